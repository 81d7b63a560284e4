"""Output formats: nbconvert exporters (HTML, PDF, Word), offline checks."""
