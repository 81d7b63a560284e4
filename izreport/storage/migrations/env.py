"""Alembic environment: migrations run on the connection that izreport.storage.store hands over."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only izreport.storage.store runs these migrations
    raise RuntimeError("run the migrations through izreport.storage.store.upgrade()")
context.configure(connection=connection, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
