"""What report notebooks call: figures, tables, charts, texts, document blocks."""
