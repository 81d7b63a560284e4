"""Where a batch's worker processes come from: a fork server that imported the render stack.

Kept apart from :mod:`izreport.pipeline.batch` (and free of its imports) so that
``izreport render --all-zones`` can start the fork server first thing, before it reads
the report declarations and checks the requests: its imports (nbconvert, WeasyPrint:
most of a second) then overlap with that work.
"""

from __future__ import annotations

import multiprocessing
import os
from typing import Any

#: Imported once in the fork server, so that each worker starts with them loaded: what
#: exports a report (nbconvert, WeasyPrint). Not papermill: a batch's notebooks run in
#: processes its report launcher forks (:mod:`izreport.pipeline.zygote`); a worker
#: imports it only where the launcher cannot run them.
#: (The first turns the cycle collector off for the imports: :mod:`izreport.pipeline.forking`.)
PRELOAD = ["izreport.pipeline.preload", "izreport.pipeline.lifeline",
           "izreport.pipeline.render", "nbformat", "nbconvert",
           "izreport.formats.pdfengine", "izreport.formats.export",
           "izreport.pipeline.chartserver"]
#: ``spawn`` starts each worker as a new interpreter (no fork server).
START_ENV = "IZREPORT_BATCH_START"


def default_workers(jobs: int) -> int:
    """As many workers as jobs, at most one per core available to this process."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(jobs, cores, os.cpu_count() or cores))


def context() -> Any:
    """The multiprocessing context the workers start from: the fork server, else spawn."""
    from izreport.pipeline.lifeline import arm_children

    arm_children()   # the fork server, started now or later from here, dies with us
    if os.environ.get(START_ENV) != "spawn" and \
            "forkserver" in multiprocessing.get_all_start_methods():
        forkserver = multiprocessing.get_context("forkserver")
        forkserver.set_forkserver_preload(PRELOAD)
        return forkserver
    return multiprocessing.get_context("spawn")


def start() -> None:
    """Start the fork server now (it imports while the caller goes on); nothing to start
    where workers are spawned."""
    if context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()
