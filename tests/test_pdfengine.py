"""WeasyPrint imported from the linker cache: no compiler run, the standard lookup kept."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from izreport.formats.pdfengine import cache_lookup

ROOT = Path(__file__).resolve().parents[1]

LISTING = b"""1234 libs found in cache `/etc/ld.so.cache'
\tlibpangoft2-1.0.so.0 (libc6,x86-64) => /lib/x86_64-linux-gnu/libpangoft2-1.0.so.0
\tlibpango-1.0.so.0 (libc6,x86-64) => /lib/x86_64-linux-gnu/libpango-1.0.so.0
\tlibpango-1.0.so.0 (libc6) => /lib/i386-linux-gnu/libpango-1.0.so.0
\tlibharfbuzz.so.0 (libc6) => /lib/i386-linux-gnu/libharfbuzz.so.0
"""


def test_the_cache_answers_as_find_library_reads_it() -> None:
    find = cache_lookup(LISTING, abi="libc6,x86-64")
    assert find("pango-1.0") == "libpango-1.0.so.0"
    assert find("pangoft2-1.0") == "libpangoft2-1.0.so.0"
    # the Windows and full spellings WeasyPrint also tries are not names of the cache
    assert find("libpango-1.0-0") is None
    assert find("pango-1.0-0") is None
    # a library listed for another ABI only is not this interpreter's
    assert find("harfbuzz") is None
    assert cache_lookup(LISTING, abi="libc6")("harfbuzz") == "libharfbuzz.so.0"


def _python(code: str, path_first: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if path_first is not None:
        env["PATH"] = f"{path_first}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120)


def test_importing_weasyprint_from_here_runs_no_compiler_or_linker(tmp_path: Path) -> None:
    """``find_library`` would run gcc and ld for every spelling the cache lacks (on this
    kind of machine: 16 gcc and 32 ld processes per import); stand-ins on PATH record it."""
    tools, log = tmp_path / "bin", tmp_path / "ran.log"
    tools.mkdir()
    for tool in ("gcc", "cc", "ld", "objdump"):
        script = tools / tool
        script.write_text(f'#!/bin/sh\necho {tool} >> "{log}"\nexit 1\n')
        script.chmod(0o755)
    done = _python("import ctypes.util, sys\n"
                   "from izreport.formats import pdfengine\n"
                   "assert 'weasyprint' in sys.modules\n"
                   "assert ctypes.util.find_library.__module__ == 'ctypes.util'\n"
                   "print(pdfengine.HTML.__module__)\n", tools)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "weasyprint"
    assert not log.exists(), log.read_text()


def test_without_a_linker_cache_weasyprint_is_imported_the_standard_way() -> None:
    done = _python("import subprocess, sys\n"
                   "from unittest import mock\n"
                   "with mock.patch.object(subprocess, 'run', side_effect=OSError('no')):\n"
                   "    from izreport.formats import pdfengine\n"
                   "assert pdfengine.linker_cache.__module__ == 'izreport.formats.pdfengine'\n"
                   "import weasyprint\n"
                   "assert pdfengine.weasyprint is weasyprint\n"
                   "print(pdfengine.FontConfiguration.__name__)\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "FontConfiguration"
