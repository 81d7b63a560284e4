"""Workbooks sent in by enterprises and zones: reading, checking, storing."""
