"""Exception types: one per kind of failure a user can act on."""

from __future__ import annotations


class IzReportError(Exception):
    """Base class: a failure whose message is meant for the user, not a traceback."""


class DataError(IzReportError):
    """The data on disk is missing, malformed or inconsistent (names file, row, column, rule)."""


class ScopeError(IzReportError):
    """A zone or period that the data does not cover; the message lists what exists."""


class ParameterError(IzReportError):
    """A report parameter that is unknown, of the wrong type or out of range."""


class ReconciliationError(IzReportError):
    """Totals that should add up do not (zones vs. province, ownership groups vs. total)."""


class RenderError(IzReportError):
    """Executing or exporting a report failed; the executed notebook is kept for diagnosis."""


class NetworkOutputError(RenderError):
    """An output or page would load something from the network; the intranet has none."""
