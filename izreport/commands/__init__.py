"""The izreport command line: commands, help, progress, status."""
