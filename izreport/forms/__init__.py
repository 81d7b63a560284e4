"""Statistical forms (biểu mẫu thống kê) declared in TOML, built from the data."""
