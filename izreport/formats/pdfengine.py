"""WeasyPrint, imported without running the C compiler: import it from here.

WeasyPrint opens Pango, HarfBuzz and fontconfig through cffi and tries several spellings
of each library's name (Linux, macOS and Windows ones). For every spelling that does not
open as it is, cffi asks :func:`ctypes.util.find_library`, which on Linux runs
``ldconfig -p`` and then, for a name the linker cache does not list, ``gcc`` and ``ld``:
22 ``ldconfig``, 16 ``gcc`` and 32 ``ld`` processes for one ``import weasyprint``,
0,15 to 0,2 s of CPU and 0,2 s of wall time on the board's server, paid by every render
and by every batch before its first PDF.

While WeasyPrint is imported here, the lookup is answered from the linker cache, read
once, by the rule ``find_library`` applies to it first. Where the cache does not list
every library WeasyPrint needs (a build of its own, found only through the compiler's
search path), or on another system, WeasyPrint is imported with the standard lookup.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from types import ModuleType

#: The libraries WeasyPrint cannot do without (its optional ones may be missing).
REQUIRED = ("gobject-2.0", "pango-1.0", "harfbuzz", "fontconfig", "pangoft2-1.0")
#: glibc's linker cache and the locale ``find_library`` reads it in.
LDCONFIG = ("/sbin/ldconfig", "-p")

_lock = threading.Lock()


def linker_cache() -> bytes:
    """The linker cache's listing (``ldconfig -p``), empty where it cannot be read."""
    try:
        done = subprocess.run(LDCONFIG, capture_output=True, check=False, timeout=10,
                              env={"LC_ALL": "C", "LANG": "C"}, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return b""
    return done.stdout if done.returncode == 0 else b""


def _abi() -> str:
    """The ABI tag of this interpreter's libraries in the cache (as ctypes.util has it)."""
    import struct

    machine = f"{os.uname().machine}-{struct.calcsize('P') * 8}"
    return {"x86_64-64": "libc6,x86-64", "ppc64-64": "libc6,64bit",
            "sparc64-64": "libc6,64bit", "s390x-64": "libc6,64bit",
            "ia64-64": "libc6,IA-64"}.get(machine, "libc6")


def cache_lookup(listing: bytes, abi: str | None = None) -> Callable[[str], str | None]:
    """``find_library``'s first rule over a cache listing read once: the soname of
    ``lib<name>.…`` for this ABI, or None (and no compiler asked)."""
    abi = abi or _abi()
    found: dict[str, str | None] = {}

    def find(name: str) -> str | None:
        if name not in found:
            pattern = os.fsencode(rf"\s+(lib{re.escape(name)}\.[^\s]+)\s+\({abi}")
            match = re.search(pattern, listing)
            found[name] = os.fsdecode(match.group(1)) if match else None
        return found[name]

    return find


@contextlib.contextmanager
def _answered_from(find: Callable[[str], str | None]) -> Iterator[None]:
    import ctypes.util

    standard = ctypes.util.find_library
    ctypes.util.find_library = find
    try:
        yield
    finally:
        ctypes.util.find_library = standard


def load() -> ModuleType:
    """The ``weasyprint`` module, imported once per process (see the module's note)."""
    with _lock:
        if "weasyprint" in sys.modules:
            return sys.modules["weasyprint"]
        find = cache_lookup(linker_cache()) if sys.platform.startswith("linux") else None
        if find is None or not all(find(name) for name in REQUIRED):
            import weasyprint
        else:
            with _answered_from(find):
                import weasyprint
        return weasyprint


weasyprint = load()

from weasyprint import HTML  # noqa: E402 - loaded above, by load()
from weasyprint.text.fonts import FontConfiguration  # noqa: E402
from weasyprint.urls import URLFetcher  # noqa: E402

__all__ = ["HTML", "FontConfiguration", "URLFetcher", "load", "weasyprint"]
