"""Atomic writes: a temporary file beside the target, fsync, rename. Readers never see half a file.

Files get the mode the user's umask gives (0666 & ~umask), as `open()` would; `tempfile` alone
would leave them 0600.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import glob
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import orjson


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """The mode a new file gets under the current umask (0644 under the usual 022)."""
    return 0o666 & ~_umask()


def dir_mode() -> int:
    return 0o777 & ~_umask()


@contextmanager
def atomic_writer(path: Path, mode: str = "wb", *, private: bool = False) -> Iterator[IO[Any]]:
    """Write to a temporary file beside `path`, fsync, then rename over it.

    `private` keeps the file 0600 (secrets); otherwise it gets the umask's mode.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o600 if private else file_mode())
        with os.fdopen(fd, mode) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path: Path, data: bytes, *, private: bool = False) -> None:
    with atomic_writer(path, private=private) as fh:
        fh.write(data)


def write_files(items: list[tuple[Path, bytes]]) -> None:
    """Replace many files at once, each atomically: all temporaries, one `os.sync`, then the renames.

    One sync for the batch instead of an fsync per file: pulling 10,000 documents stays fast, and a
    kill at any moment still leaves every file either old or new.
    """
    temps: list[tuple[str, Path]] = []
    mode, tag = file_mode(), f"{os.getpid()}-{time.monotonic_ns()}"
    for parent in {path.parent for path, _ in items}:
        parent.mkdir(parents=True, exist_ok=True)
    try:
        for n, (path, data) in enumerate(items):
            tmp = str(path.parent / f".{path.name}.{tag}-{n}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
            temps.append((tmp, path))
            try:
                _write_all(fd, data)
            finally:
                os.close(fd)
        os.sync()
        for tmp, path in temps:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in temps:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        raise


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def dump_pretty(obj: Any) -> bytes:
    """Pretty, key-sorted JSON with a final newline: readable git diffs, byte-stable output."""
    return orjson.dumps(obj, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def write_jsonl(path: Path, records: Iterable[Any]) -> int:
    n = 0
    with atomic_writer(path) as fh:
        for rec in records:
            fh.write(orjson.dumps(rec) + b"\n")
            n += 1
    return n


def temp_dir_beside(target: Path) -> Path:
    """A new empty folder next to `target` (same file system, so a rename can move it into place)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    os.chmod(tmp, dir_mode())
    return tmp


def replace_dir(new: Path, target: Path) -> None:
    """Move the finished folder `new` into place of `target`; the old one is removed afterwards.

    On Linux the two folders are exchanged in one atomic rename (renameat2 RENAME_EXCHANGE), so
    `target` is at every moment either the old folder or the new one. Elsewhere the old folder is
    first renamed to `.<name>.old`; `recover_dir` puts it back if a kill came in between.
    """
    os.sync()  # the new folder's files are on disk before it becomes visible under `target`
    if target.exists() and _exchange(new, target):
        shutil.rmtree(new, ignore_errors=True)  # now holds the old folder
        return
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
    new.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def recover_dir(target: Path) -> int:
    """Undo what a killed `replace_dir`/`temp_dir_beside` left next to `target`; call it holding the lock.

    A `.<name>.old` without `target` is the previous complete folder (killed between the two
    renames): it is put back. Other `.<name>.*.tmp` folders are unfinished builds: removed.
    Returns how many leftovers were handled.
    """
    handled = 0
    old = target.with_name(f".{target.name}.old")
    if old.is_dir() and not old.is_symlink():
        if target.exists():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.rename(target)
        handled += 1
    if target.parent.is_dir():
        for tmp in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
            if tmp.is_dir() and not tmp.is_symlink():
                shutil.rmtree(tmp, ignore_errors=True)
                handled += 1
    return handled


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False where the system cannot, so the caller falls back."""
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))
