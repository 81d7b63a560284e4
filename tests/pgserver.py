"""A throw-away PostgreSQL server for the tests (Debian's postgresql package).

initdb into a temporary folder, a free port on 127.0.0.1, trust authentication, stopped at
the end. PostgreSQL refuses to run as root: as root the server runs as the ``postgres`` user
that the Debian package creates.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} not found: install Debian's postgresql package")
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A running server; :meth:`database` makes a new database (optionally from a template)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.admin = sa.create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT",
                                      poolclass=sa.pool.NullPool)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def database(self, template: str | None = None) -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        clause = f" TEMPLATE {template}" if template else ""
        with self.admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {name}{clause}"))
        return self.url(name)


@contextmanager
def running() -> Iterator[Server]:
    root = os.geteuid() == 0
    folder = Path(tempfile.mkdtemp(prefix="izreport-pg-"))
    as_user = ["runuser", "-u", "postgres", "--"] if root else []
    if root:
        shutil.chown(folder, "postgres")
    pgdata = folder / "data"
    port = _free_port()
    subprocess.run([*as_user, _bin("initdb"), "-D", str(pgdata), "-U", "postgres",
                    "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"],
                   check=True, capture_output=True, cwd=folder)
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run([*as_user, _bin("pg_ctl"), "-D", str(pgdata), "-o", options,
                    "-l", str(folder / "server.log"), "-w", "start"],
                   check=True, capture_output=True, cwd=folder)
    try:
        yield Server(port)
    finally:
        subprocess.run([*as_user, _bin("pg_ctl"), "-D", str(pgdata), "-m", "immediate", "stop"],
                       capture_output=True, cwd=folder)
        shutil.rmtree(folder, ignore_errors=True)
