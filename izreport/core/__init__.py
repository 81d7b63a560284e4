"""The vocabulary every layer uses: errors, messages, settings, periods, indicators."""
