"""One render per output stem at a time, no leftovers of killed renders, finals kept.

A render writes ``<out>/<stem>.*`` through a temporary folder ``<out>/.<stem>.XXXX/``, and
its kernel's sockets and connection file go to ``$TMPDIR/izk-<pid>-XXXX/``.
Two renders of the same stem at once would interleave their renames (the HTML of one
beside the PDF of the other), so each holds ``<out>/.state/locks/<stem>.lock`` (``flock``:
released by the kernel however the process ends) and the second refuses at once. Holding
it, a render removes the temporary folders that killed renders of its stem left, and the
kernel folders of processes that are gone. A final
report (``--final``) is the document the board issued: a draft of the same stem must not
replace it, so the draft is refused; render it into another folder (``--out``).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from izreport.core.errors import RenderError
from izreport.core.i18n import _

LOCKS = "locks"
#: Temporary folders of a render's sockets (kernel, launcher, chart drawer): izk-<pid>-XXXX.
KERNEL_PREFIX = "izk-"


def private_folder() -> str:
    """A new folder for this process's sockets (a kernel's, the report launcher's, the
    chart drawer's), only this user's to read: ``$TMPDIR/izk-<pid>-XXXX``, so that
    :func:`clean_stale_kernels` removes it once the process is gone."""
    import tempfile

    return tempfile.mkdtemp(prefix=f"{KERNEL_PREFIX}{os.getpid()}-")


class StemBusy(RenderError):
    """Another render of the same report and period writes into the same folder now."""


@contextmanager
def stem_lock(out: Path, stem: str) -> Iterator[Path]:
    """Hold the stem's lock for the block, or raise :class:`StemBusy` at once."""
    from izreport.pipeline.runlog import state_dir

    folder = state_dir(out) / LOCKS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip()
            raise StemBusy(_("{out}/{stem}: another render of this report is writing it now "
                             "(process {pid}); nothing done, try again when it has finished")
                           .format(out=out, stem=stem, pid=holder or "?")) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield path
    finally:
        os.close(fd)          # releases the lock


def clean_stale(out: Path, stem: str) -> list[Path]:
    """Remove the temporary folders killed renders of ``stem`` left (call holding its lock)."""
    # tempfile's names: the prefix and 8 characters (another stem may begin with this one)
    name = re.compile(re.escape(f".{stem}.") + r"[a-z0-9_]{8}")
    removed = []
    for leftover in out.iterdir():
        if name.fullmatch(leftover.name) and leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
            removed.append(leftover)
    return removed


def clean_stale_kernels() -> list[Path]:
    """Remove the kernel folders (sockets, connection file) of renders no longer running.

    Each folder is named by the id of the process that made it; only this user's folders
    whose process is gone are removed.
    """
    import tempfile

    import psutil

    name = re.compile(re.escape(KERNEL_PREFIX) + r"(\d+)-[a-z0-9_]{8}")
    removed = []
    for folder in Path(tempfile.gettempdir()).iterdir():
        match = name.fullmatch(folder.name)
        if match is None or folder.is_symlink() or not folder.is_dir():
            continue
        try:
            if folder.stat().st_uid != os.getuid():
                continue
            alive = psutil.Process(int(match.group(1))).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            alive = False
        except OSError:
            continue
        if not alive:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _final_of(notebook: Path) -> dict[str, Any] | None:
    """The parameters of an executed notebook if it was a final render, else None."""
    try:
        meta = json.loads(notebook.read_text(encoding="utf-8")).get("metadata", {})
    except (OSError, ValueError):
        return None
    params = (meta.get("papermill") or {}).get("parameters") or {}
    return params if params.get("final") is True else None


def check_final(out: Path, stem: str, values: dict[str, Any]) -> None:
    """Refuse a draft that would replace the final report of the same stem."""
    if values.get("final") is True:
        return
    final = _final_of(out / f"{stem}.ipynb")
    if final is not None:
        raise RenderError(_("{out}/{stem}: the final report (number {number}, issued {issued}) "
                            "is there and a draft must not replace it; render the draft into "
                            "another folder with --out").format(
            out=out, stem=stem, number=final.get("number"), issued=final.get("issued")))
