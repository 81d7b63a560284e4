"""The data store (SQLAlchemy tables, Alembic migrations) and reading it."""
