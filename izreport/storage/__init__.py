"""The data store (SQLAlchemy tables, Alembic migrations) and reading it."""

#: The store's file in a data folder. Here, not in :mod:`izreport.storage.store`: telling a
#: folder of exchange CSV files from a store must not import SQLAlchemy (0,3 s).
DB_NAME = "izreport.sqlite"
