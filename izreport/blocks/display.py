"""Plain objects become report parts in a report kernel: altair charts, DataFrames, Stylers.

:func:`activate` registers display formatters with IPython, so a cell that ends with an
altair chart shows a numbered, themed figure (offline, vector in print) and a cell that
ends with a DataFrame shows a numbered report table with Vietnamese numbers. It runs
when a report notebook opens its report (``iz.open_report``) or imports
:mod:`izreport.blocks.report`, in JupyterLab, ``izreport render`` and plain papermill alike.

:func:`table`, :func:`figure` and :func:`text` say what a plain object cannot: caption,
units, decimals, column labels, source, text alternative.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd

from izreport.blocks.charts import Figure, use_theme
from izreport.blocks.html import Html, paragraphs
from izreport.blocks.tables import Table
from izreport.blocks.values import compose

__all__ = ["activate", "figure", "table", "text"]


def table(data: Any, caption: str | None = None, *, labels: Mapping[Any, str] | None = None,
          units: Mapping[Any, str] | None = None, decimals: Mapping[Any, int] | None = None,
          percent: Sequence[Any] = (), note: str | None = None, source: str | None = None,
          numbered: bool = True, row_decimals: str | None = None,
          drop_empty: bool = False) -> Table:
    """A report table from a DataFrame, Series or Styler.

    ``labels``, ``units`` and ``decimals`` map column names to header text, unit (a unit
    code such as ``"bn_vnd"`` or any text) and decimals; ``percent`` lists the columns
    that hold ratios (0.462 shown 46,2%). Columns named after catalogue entries
    (``production_value``, ``occupancy``, ...) need none of these. ``row_decimals`` names
    a column with each row's decimals, for tables whose rows are different indicators;
    ``drop_empty`` leaves out columns without any value. A total row whose rounded value
    differs from the sum of the rounded rows gets the usual note on rounding.
    """
    return Table.from_frame(data, caption, labels=labels, units=units, decimals=decimals,
                            percent=percent, note=note, source=source, numbered=numbered,
                            row_decimals=row_decimals, drop_empty=drop_empty)


def figure(chart: alt.TopLevelMixin, caption: str | None = None, *, alt_text: str | None = None,
           source: str | None = None, numbered: bool = True) -> Figure:
    """A report figure from an altair chart; caption and text alternative default to the
    chart's ``title`` and ``description``."""
    return Figure.of(chart, caption, alt_text, source, numbered)


def text(*paragraph: str) -> Html:
    """Paragraphs of the report; a clause holding a missing comparison is dropped."""
    return paragraphs(*(compose(p) for p in paragraph))


def _chart_bundle(chart: alt.TopLevelMixin, include: Any = None, exclude: Any = None
                  ) -> tuple[dict[str, str], dict[str, Any]]:
    return Figure.of(chart)._repr_mimebundle_(include, exclude)


def _table_bundle(data: Any, include: Any = None, exclude: Any = None
                  ) -> tuple[dict[str, str], dict[str, Any]]:
    return Table.from_frame(data)._repr_mimebundle_(include, exclude)


def activate(shell: Any = None) -> bool:
    """Register the formatters in the running IPython kernel (idempotent).

    Returns False outside IPython (a script or the test suite), where nothing displays.
    """
    use_theme()
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover - IPython comes with every kernel
            return False
        shell = get_ipython()
    if shell is None:
        return False
    formatter = shell.display_formatter.mimebundle_formatter
    formatter.for_type(alt.TopLevelMixin, _chart_bundle)
    formatter.for_type(pd.DataFrame, _table_bundle)
    formatter.for_type(pd.Series, _table_bundle)
    # by name: importing pandas' Styler (jinja2 templates) costs a report ~30 ms, and a
    # notebook that never makes a Styler has none to show
    formatter.for_type_by_name("pandas.io.formats.style", "Styler", _table_bundle)
    return True
