"""Named points where the kill tests stop a command, as a crash or an impatient user would.

`TOOLKIT_KILL_AT=<point>` makes the process SIGKILL itself when it reaches that point: the kill
tests (tests/test_export_kill.py) use it to stop `toolkit export` and `toolkit release` at exact
places rather than after a guessed delay. Unset, a checkpoint costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal


def checkpoint(name: str) -> None:
    if os.environ.get("TOOLKIT_KILL_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
