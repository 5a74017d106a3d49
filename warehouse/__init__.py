"""The DuckDB warehouse: single-writer connection, extract of register changes,
publishing marts as Parquet, and the read API the web app uses on published marts."""
