"""Trusted HTML fragments the report blocks display (no pandas: the exporters import it too)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any


@dataclass(frozen=True)
class Html:
    """A trusted HTML fragment built by this package (its data parts already escaped).

    ``meta`` travels in the output's metadata under "izreport" (the exporters read the
    page title and the sections from there).
    """

    html: str
    meta: tuple[tuple[str, str], ...] = ()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None
                          ) -> tuple[dict[str, str], dict[str, Any]]:
        return {"text/html": self.html}, ({"izreport": dict(self.meta)} if self.meta else {})


def paragraphs(*texts: str, css_class: str = "iz-text") -> Html:
    """Plain-text paragraphs, escaped."""
    return Html("".join(f'<p class="{css_class}">{escape(t)}</p>' for t in texts if t))
