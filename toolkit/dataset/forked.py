"""Run a function in a forked child process, alongside the parent, and get its (small) result back.

The child sees the parent's memory as it was at the fork (nothing is pickled on the way in), and
dies with the parent: a killed build leaves no process behind writing into its folders.
"""

from __future__ import annotations

import ctypes
import os
import signal
import traceback
from collections.abc import Callable
from multiprocessing import get_context
from typing import Any

from ..errors import ToolkitError

_PR_SET_PDEATHSIG = 1


class Child:
    """`fn()` running in a forked child; `result()` waits for its return value (or raises)."""

    def __init__(self, fn: Callable[[], Any]):
        ctx = get_context("fork")
        self._recv, send = ctx.Pipe(duplex=False)
        parent = os.getpid()

        def run() -> None:
            _die_with(parent)
            try:
                send.send((True, fn()))
            except BaseException:  # reported to the parent, which raises
                send.send((False, traceback.format_exc()))
            finally:
                send.close()

        self._proc = ctx.Process(target=run, daemon=True)
        self._proc.start()
        send.close()

    def result(self) -> Any:
        try:
            ok, value = self._recv.recv()
        except EOFError:
            ok, value = False, f"the process ended without a result (exit code {self._proc.exitcode})"
        finally:
            self._recv.close()
            self._proc.join()
        if not ok:
            raise ToolkitError(f"a writer process failed:\n{value}")
        return value

    def stop(self) -> None:
        """Kill the child if it still runs (the parent is giving up)."""
        if self._proc.is_alive():
            self._proc.kill()
        self._proc.join()


def _die_with(parent: int) -> None:
    """Ask Linux to SIGKILL this process when its parent dies; elsewhere, nothing."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os.kill(os.getpid(), signal.SIGKILL)
