"""The one reader of input files: every command reads through here.

Whatever is wrong with a file (missing, a folder, unreadable, not UTF-8, empty, truncated, not
JSON, the wrong top-level value) becomes one `InputError` (exit 2) that names the file and, where
there is one, the line and column. JSON is parsed by orjson, which also refuses what Python's
`json` would let through and break on later (NaN, integers beyond 64 bits, runaway nesting).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from ..errors import InputError, ToolkitError
from .jsonstream import ArrayStream

JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
HEAD_BYTES = 1 << 20  # files up to this size are read whole at once


def open_input(path: Path, what: str = "file", error: type[ToolkitError] = InputError) -> IO[bytes]:
    """Open `path` for reading bytes, or raise `error` saying what is wrong and what was expected."""
    try:
        return path.open("rb")
    except FileNotFoundError as exc:
        raise error(f"{path}: file not found; check the path (expected {what})") from exc
    except IsADirectoryError as exc:
        raise error(f"{path}: is a folder, expected {what}") from exc
    except PermissionError as exc:
        raise error(f"{path}: permission denied; make it readable (chmod u+r {path})") from exc
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror})") from exc


def read_bytes(path: Path, what: str = "file", error: type[ToolkitError] = InputError) -> bytes:
    with open_input(path, what, error) as fh:
        try:
            return fh.read()
        except OSError as exc:
            raise error(f"{path}: cannot be read ({exc.strerror})") from exc


def decode_utf8(data: bytes, where: str, error: type[ToolkitError] = InputError) -> str:
    """Strict UTF-8 (a leading BOM is dropped), with the byte offset of the first bad byte."""
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise error(
            f"{where}: not UTF-8 text (invalid byte 0x{data[exc.start]:02x} at byte {exc.start}); re-save it as UTF-8"
        ) from exc


def read_text(path: Path, what: str = "a UTF-8 text file", error: type[ToolkitError] = InputError) -> str:
    return decode_utf8(read_bytes(path, what, error), str(path), error)


def parse_json(data: bytes, where: str, error: type[ToolkitError] = InputError) -> Any:
    """Parse one JSON document; errors name `where`, the line and the column."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if not data.strip():
            raise error(f"{where}: empty file; expected JSON") from exc
        raise error(f"{where}:{exc.lineno}:{exc.colno}: not valid JSON: {_reason(exc.msg)}") from exc


def _reason(msg: str) -> str:
    """orjson's message, with a hint where it is not self-explanatory."""
    if "recursion" in msg:
        return f"{msg} (nested deeper than 1024 levels)"
    if "surrogate" in msg.lower():
        return f"{msg} (a lone UTF-16 surrogate escape such as \\ud800 is not a character)"
    return msg


def load_json(path: Path, what: str = "a JSON file", error: type[ToolkitError] = InputError) -> Any:
    """A whole (small) JSON file."""
    return parse_json(read_bytes(path, what, error), str(path), error)


def _first_byte(fh: IO[bytes]) -> bytes:
    bom = fh.read(3)
    if bom != b"\xef\xbb\xbf":
        fh.seek(0)
    while True:
        b = fh.read(1)
        if not b or not b.isspace():
            return b


def sniff(path: Path) -> str:
    """'array', 'object' or 'lines' from the first non-space byte (and the suffix, for '{')."""
    with open_input(path, "a JSON or JSONL file") as fh:
        return _kind(path, _first_byte(fh))


def _kind(path: Path, first: bytes) -> str:
    if first == b"[":
        return "array"
    if first == b"{":
        return "lines" if path.suffix.lower() in JSONL_SUFFIXES else "object"
    if not first:
        raise InputError(f"{path}: empty file; expected a JSON array of tasks, a JSON object or JSONL")
    raise InputError(
        f"{path}:1:1: wrong top-level value: expected a JSON array of tasks ('[', a Label Studio export), "
        f"one JSON object ('{{', an annotations/ file) or JSON objects one per line (JSONL), "
        f"found {first.decode('latin-1')!r}"
    )


def iter_records(path: Path) -> Iterator[tuple[str, Any]]:
    """(where, record) from a JSON array, a single JSON object or JSONL, one record in memory at a time.

    `where` is `file[index]` for array elements, `file:line` for JSONL and `file` for a single
    object. A `.json` file holding several objects one per line is read as JSONL.
    """
    data, kind = _small_object(path)
    if kind == "object":
        try:
            obj = orjson.loads(data.removeprefix(b"\xef\xbb\xbf"))
        except orjson.JSONDecodeError as exc:
            if "trailing" not in exc.msg or data.count(b"\n", 0, exc.pos) == 0:
                raise InputError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {_reason(exc.msg)}") from exc
            kind = "lines"  # several objects: JSONL under a .json name
        else:
            yield str(path), obj
            return
    with open_input(path) as fh:
        if kind == "array":
            yield from _iter_array(path, fh)
        else:
            yield from _iter_lines(path, fh)


def _small_object(path: Path) -> tuple[bytes, str]:
    """A file's kind (`sniff`), and its bytes when it is one object (an annotations/ document): a
    small file is read at once, not opened twice."""
    with open_input(path, "a JSON or JSONL file") as fh:
        try:
            head = fh.read(HEAD_BYTES + 1)
        except OSError as exc:
            raise InputError(f"{path}: cannot be read ({exc.strerror})") from exc
        if len(head) <= HEAD_BYTES:
            stripped = head.removeprefix(b"\xef\xbb\xbf").lstrip()
            kind = _kind(path, stripped[:1])
            return (head, kind) if kind == "object" else (b"", kind)
        fh.seek(0)
        kind = _kind(path, _first_byte(fh))
        if kind != "object":
            return b"", kind
        fh.seek(0)
        try:
            return fh.read(), kind
        except OSError as exc:
            raise InputError(f"{path}: cannot be read ({exc.strerror})") from exc


def _iter_lines(path: Path, fh: IO[bytes]) -> Iterator[tuple[str, Any]]:
    for lineno, line in enumerate(fh, 1):
        if lineno == 1:
            line = line.removeprefix(b"\xef\xbb\xbf")
        if not line.strip():
            continue
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise InputError(f"{path}:{lineno}:{exc.colno}: not valid JSON: {_reason(exc.msg)}") from exc
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


def expand(paths: Iterable[Path], pattern: str = "*.json", what: str = "a file") -> Iterator[Path]:
    """Files named by `paths`, folders expanded to their `pattern` files in sorted order.

    A path that does not exist is an InputError here, before anything is read.
    """
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.glob(pattern) if p.is_file())
        elif not path.exists():
            raise InputError(f"{path}: file not found; give {what}")
        else:
            yield path
