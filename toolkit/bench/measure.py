"""Timing one stage as its own process: wall time and that process's peak memory (from wait4)."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time


def run(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB (the process and the workers it waited for) and stdout."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} failed: {err.read().decode()[-2000:]}")
        return wall, usage.ru_maxrss / 1024, out.read().decode()
