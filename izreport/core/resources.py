"""The package's own files (fonts, page templates, page assets) and the Vega bundle.

Charts, exporters, the live notebook display, stamps and signatures all read them; kept
here, at the bottom of the layers, so that none of them imports another for a path.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]
FONTS_DIR = PACKAGE_DIR / "fonts"
TEMPLATES_DIR = PACKAGE_DIR / "templates"
ASSETS_DIR = PACKAGE_DIR / "assets"


def asset(name: str) -> str:
    """The text of a page asset (CSS, JavaScript) shipped in the package."""
    return (ASSETS_DIR / name).read_text(encoding="utf-8")


def _cache_dir() -> Path:
    """XDG cache folder; services may run with no usable home, then the temp folder."""
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:
            import tempfile

            base = tempfile.gettempdir()
    return Path(base) / "izreport"


@cache
def vega_bundle() -> str:
    """vega + vega-lite + vega-embed as one script, built by vl-convert and cached on disk.

    Building it takes about a second, so it is done once per vl-convert version.
    """
    import vl_convert as vlc

    path = _cache_dir() / f"vega-bundle-{vlc.__version__}.js"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        pass
    bundle = vlc.javascript_bundle()
    if "</script" in bundle.lower():
        raise RuntimeError("the Vega bundle cannot be inlined: it contains '</script'")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(bundle, encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home only costs the rebuild next time
    return bundle
