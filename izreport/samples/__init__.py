"""The generated sample data of a fictitious province."""
