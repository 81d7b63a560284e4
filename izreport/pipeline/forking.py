"""Python's cycle collector in the processes that import once and then only fork.

A batch's fork server (:mod:`izreport.pipeline.workers`) and its report launcher
(:mod:`izreport.pipeline.zygote`) each import their part of the render stack, a thousand
modules or more, then fork workers and report processes. They follow the recipe of
:func:`gc.freeze`'s documentation:

- the collector is off while they import; otherwise it walks the growing heap of module
  objects again and again (0,13 to 0,14 s of the 0,7 to 0,9 s of CPU each spends
  importing, medians of 8 runs);
- a forked child freezes what it inherited before it turns the collector on: its own
  collections then never walk those objects (nor write to their pages, which stay
  shared with the other children).
"""

from __future__ import annotations

import gc


def importing() -> None:
    """Before the imports of a process that will fork: no collection."""
    gc.disable()


def forked() -> None:
    """First thing in a forked child: the inherited objects frozen, collection back on."""
    gc.freeze()
    gc.enable()
