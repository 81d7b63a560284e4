"""The intranet site: published reports and their index page."""
