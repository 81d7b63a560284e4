"""Progress lines of long commands (run-due, publish) for a terminal, cron and journald.

On a terminal the lines are plain; when stdout is not a terminal (cron mails, log files,
the journal) each line starts with its time, so a log read later says when each report
ended, and every line is flushed at once instead of when the run ends.
"""

from __future__ import annotations

import datetime as dt
import time

from rich.console import Console
from rich.markup import escape

from izreport.core import i18n
from izreport.core.i18n import _


class EventLog:
    """Writes one line per event: to stdout, or to stderr for errors and notes."""

    def __init__(self, out: Console, err: Console) -> None:
        self.out, self.err = out, err
        self.started = time.monotonic()

    def _stamp(self, console: Console) -> str:
        if console.is_terminal:
            return ""
        return dt.datetime.now().astimezone().isoformat(timespec="seconds") + " "

    def line(self, text: str, err: bool = False) -> None:
        """One event, timestamped when not on a terminal."""
        console = self.err if err else self.out
        console.print(self._stamp(console) + text, highlight=False, markup=False,
                      soft_wrap=True)
        console.file.flush()

    def error(self, text: str, style: str = "bold red") -> None:
        """A failure, once, in the error style (``lỗi: …``) on stderr."""
        label = _("error:")
        self.err.print(f"{self._stamp(self.err)}[{style}]{escape(label)}[/] "
                       f"{escape(text)}", highlight=False, soft_wrap=True)
        self.err.file.flush()

    def elapsed(self) -> str:
        """Seconds since the start (see :meth:`seconds`)."""
        return self.seconds(time.monotonic() - self.started)

    @staticmethod
    def seconds(value: float) -> str:
        """A duration in seconds, with the decimal comma in Vietnamese (12,5)."""
        text = f"{value:.1f}"
        return text.replace(".", ",") if i18n.language() == "vi" else text
