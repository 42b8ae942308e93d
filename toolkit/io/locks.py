"""One writer at a time per folder: a lock file the operating system releases when its holder dies.

`fcntl` locks (via `filelock`) vanish with the process, so a SIGKILLed command never leaves a
stale lock behind; the file itself stays and is git-ignored.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from ..errors import ToolkitError

LOCK_NAME = ".toolkit.lock"


@contextlib.contextmanager
def exclusive(
    lock_file: Path, what: str, on_wait: Callable[[str], None] | None = None, timeout: float = 900.0
) -> Iterator[None]:
    """Hold `lock_file` while writing; wait (saying so through `on_wait`) while another command holds it."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(lock_file))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if on_wait is not None:
            on_wait(f"another toolkit command is writing {what}; waiting for it to finish (lock {lock_file})")
        try:
            lock.acquire(timeout=timeout)
        except Timeout as exc:
            raise ToolkitError(
                f"another toolkit command kept {what} locked for {timeout:.0f} s ({lock_file}); wait for it to end "
                "and run this again"
            ) from exc
    try:
        yield
    finally:
        lock.release()


def folder_lock(folder: Path) -> Path:
    return folder / LOCK_NAME


def remove_stale_temporaries(folder: Path) -> int:
    """Temporary files a killed writer left behind (`.<name>.<random>.tmp`); call while holding the lock."""
    removed = 0
    for tmp in folder.glob(".*.tmp"):
        if tmp.is_file() and not tmp.is_symlink():
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
                removed += 1
    return removed
