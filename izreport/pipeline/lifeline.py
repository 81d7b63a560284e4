"""The processes a render batch starts end with the izreport process that started them.

A killed ``run-due`` must not leave its fork server, pool workers, report processes and
kernels running on, still rendering into the output folder while the next run holds the
lock. Linux delivers a chosen signal to a process when the thread that forked it ends
(``PR_SET_PDEATHSIG``):

- the fork server is a direct child of izreport; importing this module there (among the
  first modules the fork server preloads) arms it against izreport's end, once izreport
  has named itself with :func:`arm_children`;
- each pool worker arms itself against the fork server (``batch._init_worker``);
- a kernel polls its parent, the worker, each second and exits when it is gone (ipykernel);
- a batch's report launcher (:mod:`izreport.pipeline.zygote`) arms itself against the
  process that started it, and each report process it forks against the launcher.

So a SIGKILL of izreport ends the fork server and the launcher, then the workers and the
report processes, then their kernels.
"""

from __future__ import annotations

import os

#: The pid of the izreport process whose direct children arm themselves on import.
PARENT_ENV = "IZREPORT_DIE_WITH"
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Linux: have this process killed (SIGKILL) when the process that forked it ends."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: nothing to do
        return
    if os.getppid() == 1:   # the parent ended before the request: it would never come
        os._exit(1)


def arm_children() -> None:
    """Let this process's direct children that import this module die with it."""
    os.environ[PARENT_ENV] = str(os.getpid())


if os.environ.get(PARENT_ENV) == str(os.getppid()):
    die_with_parent()
