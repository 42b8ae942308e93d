"""Atomic writes and streaming readers shared by every stage."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import orjson

from .errors import InputError
from .jsonstream import ArrayStream


@contextmanager
def atomic_writer(path: Path, mode: str = "wb") -> Iterator[IO[Any]]:
    """Write to a temporary file beside `path`, fsync, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    with atomic_writer(path) as fh:
        fh.write(data)


def dump_pretty(obj: Any) -> bytes:
    """Pretty, key-sorted JSON with a final newline: readable git diffs, byte-stable output."""
    return orjson.dumps(obj, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def write_jsonl(path: Path, records: Any) -> int:
    n = 0
    with atomic_writer(path) as fh:
        for rec in records:
            fh.write(orjson.dumps(rec) + b"\n")
            n += 1
    return n


def load_json(path: Path) -> Any:
    """Whole-file JSON with a file:line:column error (used for small files only)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"{path}: file not found; check the path") from exc
    except IsADirectoryError as exc:
        raise InputError(f"{path}: is a directory, expected a JSON file") from exc
    try:
        return json.loads(data)
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from exc


def _first_byte(fh: IO[bytes]) -> bytes:
    while True:
        b = fh.read(1)
        if not b or not b.isspace():
            return b


def iter_json_records(path: Path) -> Iterator[tuple[str, Any]]:
    """Yield (where, record) from a JSON array or a JSONL file, one record in memory at a time.

    A JSON array is decoded element by element with the C scanner of `json` (garbage collection
    paused, since it dominates whole-file `json.load`), so a 200 MB export never sits in memory.
    """
    try:
        fh = path.open("rb")
    except FileNotFoundError as exc:
        raise InputError(f"{path}: file not found; check the path") from exc
    except IsADirectoryError as exc:
        raise InputError(f"{path}: is a directory, expected a JSON or JSONL file") from exc
    with fh:
        first = _first_byte(fh)
        fh.seek(0)
        if first == b"[":
            yield from _iter_array(path, fh)
        elif first == b"{":
            yield from _iter_lines(path, fh)
        elif not first:
            raise InputError(f"{path}: empty file; expected a JSON array of tasks or JSONL")
        else:
            raise InputError(
                f"{path}:1:1: wrong top-level value: expected a JSON array of tasks ('[', a Label "
                f"Studio export) or JSON objects one per line ('{{', JSONL), found {first.decode('latin-1')!r}"
            )


def _iter_lines(path: Path, fh: IO[bytes]) -> Iterator[tuple[str, Any]]:
    for lineno, line in enumerate(fh, 1):
        if not line.strip():
            continue
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise InputError(f"{path}:{lineno}:{exc.colno}: not valid JSON: {exc.msg}") from exc
        yield f"{path}:{lineno}", obj


def _iter_array(path: Path, fh: IO[bytes]) -> Iterator[tuple[str, Any]]:
    gc_was = gc.isenabled()
    gc.disable()  # records are acyclic; collection passes over big buffers dominate otherwise
    try:
        for index, (_, obj) in enumerate(ArrayStream(str(path), fh)):
            yield f"{path}[{index}]", obj
    finally:
        if gc_was:
            gc.enable()
