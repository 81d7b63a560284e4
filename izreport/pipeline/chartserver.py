"""One chart drawer for the workers of a batch: vl-convert's engine started once, not per worker.

A report's charts are drawn as SVG by the process that exports it
(:mod:`izreport.blocks.vega`). Were each batch worker to start its own vl-convert
JavaScript engine, it would pay about 0,4 s of CPU, holding the worker's interpreter while
its first kernel starts. The batch's parent instead serves the drawing on a Unix socket
in a private folder (``$TMPDIR/izk-<pid>-XXXX/charts``), warming the engine while the
workers are still being started; each worker sends a chart's spec and reads its SVG.

One request per connection: a line of JSON (the spec), answered by a line of JSON,
``{"svg": …}`` or ``{"error": …}``. A spec vl-convert refuses raises the same
``ValueError`` in the worker as it would have there (any other failure too, named); a
drawer that cannot be reached is a :class:`DrawerGone`, and the worker draws its charts
itself from then on.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import socketserver
import threading
from collections.abc import Callable
from typing import Any

from izreport.blocks import vega
from izreport.pipeline import outfolder

#: Longest wait for one chart (a chart is drawn in well under a second).
TIMEOUT = 120


class DrawerGone(ConnectionError):
    """The batch's chart drawer cannot be reached."""


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        server: ChartServer = self.server  # type: ignore[assignment]
        try:
            spec = json.loads(self.rfile.readline())
            answer = {"svg": server.draw(spec)}
        except ValueError as exc:          # vl-convert's refusal of a spec, or bad JSON
            answer = {"error": str(exc)}
        except Exception as exc:           # anything else: the worker's render names it
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        self.wfile.write(json.dumps(answer, ensure_ascii=False).encode("utf-8") + b"\n")


class ChartServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """The drawer, in the batch's parent: :meth:`start` it, hand :attr:`address` to the
    workers, :meth:`close` it when the batch ends."""

    daemon_threads = True

    def __init__(self) -> None:
        self._folder = outfolder.private_folder()
        self.address = os.path.join(self._folder, "charts")
        super().__init__(self.address, _Handler)
        #: charts drawn so far
        self.drawn = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def draw(self, spec: dict[str, Any]) -> str:
        """One chart's SVG, one chart at a time (the engine runs one script at a time)."""
        with self._lock:
            svg = vega.draw_locally(spec)
            self.drawn += 1
        return svg

    def start(self) -> ChartServer:
        """Serve from a background thread, the engine warmed first (requests wait in the
        socket's backlog meanwhile)."""
        def run() -> None:
            with contextlib.suppress(Exception):   # a failed warm-up fails the first chart
                vega.warm_up()
            self.serve_forever(poll_interval=0.05)   # how soon close() returns

        self._thread = threading.Thread(target=run, daemon=True, name="izreport-charts")
        self._thread.start()
        return self

    def close(self) -> None:
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
        self.server_close()
        shutil.rmtree(self._folder, ignore_errors=True)


def client(address: str) -> Callable[[dict[str, Any]], str]:
    """The function that draws a spec's SVG through the drawer at ``address``."""
    def draw(spec: dict[str, Any]) -> str:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.settimeout(TIMEOUT)
                conn.connect(address)
                conn.sendall(json.dumps(spec).encode("utf-8") + b"\n")
                with conn.makefile("rb") as answers:
                    answer = json.loads(answers.readline())
        except (OSError, ValueError) as exc:
            raise DrawerGone(f"izreport: the batch's chart drawer is gone: {exc}") from exc
        if "error" in answer:
            raise ValueError(answer["error"])
        return str(answer["svg"])

    return draw
