"""The client the report kernels are driven by: jupyter_client's, with a quicker readiness check.

jupyter_client's ``wait_for_ready`` waits for the kernel's reply to ``kernel_info`` and for
one IOPub message (then the IOPub subscription is live), and then until IOPub has been
silent for 0,2 s, to drop the status messages of that request. It runs twice per report
(the kernel's warm-up, then papermill's client): 0,4 s of every single render was spent
waiting. nbclient ignores every message that does not answer its own requests, so the
leftovers are dropped without waiting.
"""

from __future__ import annotations

import time
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.utils import ensure_async


class ReadyClient(AsyncKernelClient):  # type: ignore[misc]
    """An asynchronous kernel client whose ``wait_for_ready`` does not wait for silence."""

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        """Return once the kernel answered ``kernel_info`` and IOPub delivers messages."""
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                msg = await ensure_async(self.shell_channel.get_msg(timeout=1))
            except Empty:
                pass
            else:
                if msg["msg_type"] == "kernel_info_reply":
                    try:   # IOPub connected: the request's status message arrives
                        await ensure_async(self.iopub_channel.get_msg(timeout=0.2))
                    except Empty:
                        pass
                    else:
                        self._handle_kernel_info_reply(msg)
                        break
            if not await ensure_async(self.is_alive()):
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")
        while True:   # drop what is already there, without waiting for more
            try:
                await ensure_async(self.iopub_channel.get_msg(timeout=0))
            except Empty:
                break
