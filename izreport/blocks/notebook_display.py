"""Interactive charts in a live notebook front end (JupyterLab) with no network.

JupyterLab does not know altair 6's Vega-Lite mime type, and altair's default renderer
loads Vega from a CDN. A :class:`izreport.blocks.charts.Figure` always shows its static SVG; in a
kernel that a Jupyter server started for a notebook, it also makes the view interactive:

- the first figure displayed in the kernel session first displays the Vega bundle (the
  one exported pages inline) as a ``<script>`` in its own output, marked with
  ``{"izreport": {"live": "vega"}}`` in its metadata;
- every figure's HTML then ends with a small ``<script data-iz-live>`` running
  ``embed.js``, which upgrades the charts that are not drawn yet.

JupyterLab runs scripts only in trusted outputs, which outputs made in the session are;
otherwise the static SVG stays. Pages made by ``izreport render`` never get any of this
(its kernel runs with ``IZREPORT_RENDER=1`` and plain papermill kernels have no Jupyter
session), and the exporters drop it from notebooks that were run in JupyterLab, so an
exported page still has the bundle exactly once, from its template.

After reloading the page while the kernel keeps running, :func:`load_vega` displays the
bundle again.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import Any

from izreport.core.resources import asset, vega_bundle

#: Set by jupyter_server for a kernel it starts for a notebook (the notebook's path).
SESSION_ENV = "JPY_SESSION_NAME"
#: Set by :mod:`izreport.pipeline.render` for its kernel: the page template inlines the bundle.
RENDER_ENV = "IZREPORT_RENDER"
#: Metadata key (under "izreport") of outputs that only make sense in a live front end.
LIVE_KEY = "live"
#: Attribute of the per-figure script; the exporters remove such scripts.
LIVE_ATTR = "data-iz-live"

_LIVE_SCRIPT_RE = re.compile(rf"<script {LIVE_ATTR}[^>]*>.*?</script>", re.S)

Publish = Callable[[dict[str, str], dict[str, Any]], None]


class _State:
    vega_shown = False


def in_live_frontend(environ: Mapping[str, str] | None = None) -> bool:
    """Whether this kernel serves a notebook open in a Jupyter front end (not a render)."""
    env = os.environ if environ is None else environ
    return bool(env.get(SESSION_ENV)) and env.get(RENDER_ENV, "") in ("", "0")


def _embed_js() -> str:
    return asset("embed.js")


def vega_loader_html() -> str:
    """The Vega bundle as one ``<script>``, safe to run again, then ``embed.js``.

    The bundle declares many top-level names, so it runs inside a function (a second
    run would otherwise fail on ``const`` redeclarations and clobber page globals); it
    publishes ``window.vegaEmbed``, ``window.vega`` and ``window.vegaLite`` itself.
    """

    return (f'<script {LIVE_ATTR}="vega">(function () {{\n'
            f'if (typeof window.vegaEmbed === "function") {{ return; }}\n'
            f"{vega_bundle()}\n}}).call(window);\n{_embed_js()}</script>")


def figure_script() -> str:
    """Appended to a figure's HTML in a live front end: upgrade the charts not yet drawn."""
    return f'<script {LIVE_ATTR}="embed">{_embed_js()}</script>'


def _publish(data: dict[str, str], metadata: dict[str, Any]) -> None:
    from IPython.display import publish_display_data

    publish_display_data(data, metadata=metadata)


def load_vega(publish: Publish | None = None) -> None:
    """Display the Vega bundle now, in an output of its own marked as live-only."""
    (publish or _publish)({"text/html": vega_loader_html()},
                          {"izreport": {LIVE_KEY: "vega"}})
    _State.vega_shown = True


def live_html(html: str, publish: Publish | None = None) -> str:
    """A figure's HTML for a live front end: bundle once per kernel session, then upgrade.

    Outside a live front end (papermill, izreport render, tests) ``html`` is returned
    unchanged and nothing is displayed.
    """
    if not in_live_frontend():
        return html
    if not _State.vega_shown:
        load_vega(publish)
    return html + figure_script()


def strip_live(nb: Any) -> Any:
    """Remove live-only outputs and scripts from a notebook (in place): for the exporters."""
    for cell in nb.get("cells", []):
        outputs = cell.get("outputs")
        if not outputs:
            continue
        kept = [o for o in outputs
                if not o.get("metadata", {}).get("izreport", {}).get(LIVE_KEY)]
        for output in kept:
            data = output.get("data", {})
            html = data.get("text/html")
            if isinstance(html, list):
                html = "".join(html)
            if isinstance(html, str) and LIVE_ATTR in html:
                data["text/html"] = _LIVE_SCRIPT_RE.sub("", html)
        cell["outputs"] = kept
    return nb
