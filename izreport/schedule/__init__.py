"""Which reports are due, and running them (izreport run-due)."""
