"""Stream the elements of a huge JSON array at orjson speed, one element in memory at a time.

`json.load` of a 200 MB export needs about 1.4 GB and spends most of its time in the garbage
collector. Here each element is cut out of a byte buffer and parsed by orjson alone. The cut is
found from the shape of the first element (`}, {"id": 1, "annotations"` for Label Studio exports):
a candidate is accepted only when orjson parses the slice up to it as one complete value, so a
candidate inside a string or a nested object can never be taken. Elements that do not share that
shape fall back to the standard library's incremental decoder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import orjson

from ..errors import InputError

CHUNK = 256 << 10  # small enough to reuse heap memory instead of fresh pages per chunk
MAX_LOOKAHEAD = 64 << 20
WS = re.compile(rb"[ \t\r\n]*")
_SCALAR = rb'(?:-?[0-9][0-9.eE+-]*|"(?:[^"\\]|\\.)*"|true|false|null)'
_SP = rb"[ \t\r\n]*"


@dataclass(frozen=True)
class Signature:
    """How one element ends and the next begins: a regex, and its rarest literal to find it fast."""

    regex: re.Pattern[bytes]
    literal: bytes

    def candidates(self, buf: bytes | bytearray, start: int, search_from: int) -> Iterator[int]:
        """End offsets (just past a `}`) of possible elements starting at `start`, in order."""
        lit, n = self.literal, len(self.literal)
        while True:
            q = buf.find(lit, search_from)
            if q < 0:
                return
            b = buf.rfind(b"}", start, q)
            if b >= 0:
                m = self.regex.match(buf, b)
                if m is not None and m.end() >= q + n:
                    yield b + 1
            search_from = q + 1


def signature(first: Any) -> Signature | None:
    """The shape of the boundary between elements, learned from the first element's keys."""
    if not isinstance(first, dict) or not first:
        return None
    keys = list(first)
    literal = orjson.dumps(keys[0])
    pattern = rb"\}" + _SP + rb"," + _SP + rb"\{" + _SP + re.escape(literal) + _SP + rb":"
    if len(keys) > 1 and not isinstance(first[keys[0]], (dict, list)):
        literal = orjson.dumps(keys[1])
        pattern += _SP + _SCALAR + _SP + rb"," + _SP + re.escape(literal) + _SP + rb":"
    return Signature(re.compile(pattern), literal)


class ArrayStream:
    """Iterate (byte offset, element) over a JSON array file, optionally over a byte range only.

    With `start` (the offset of an element) and `stop` (the offset of a later element), iteration
    starts at `start` and ends exactly at `stop`; `overran` tells whether `stop` was not an element
    boundary after all (then iteration went on to the end of the array).
    """

    def __init__(
        self,
        name: str,
        fh: IO[bytes],
        start: int | None = None,
        stop: int | None = None,
        sig: Signature | None = None,
    ):
        self.name, self.fh, self.start, self.stop, self.sig = name, fh, start, stop, sig
        self.overran = False
        self.buf = b""
        self.base = 0  # file offset of buf[0]
        self.pos = 0
        self.eof = False
        self.lines = 0  # newlines before buf[0], for error positions

    def _more(self, grow: bool = False) -> bool:
        """Read the next block; `grow` reads as much as is pending, so a huge element costs linear time."""
        if self.eof:
            return False
        block = self.fh.read(max(CHUNK, len(self.buf) - self.pos) if grow else CHUNK)
        if not block:
            self.eof = True
            return False
        self.lines += self.buf.count(b"\n", 0, self.pos)
        self.buf = self.buf[self.pos :] + block
        self.base += self.pos
        self.pos = 0
        return True

    def _skip_ws(self) -> bytes:
        while True:
            self.pos = WS.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buf):
                return self.buf[self.pos : self.pos + 1]
            if not self._more():
                return b""

    def _fail(self, msg: str, at: int | None = None) -> InputError:
        at = self.pos if at is None else at
        line = self.lines + self.buf.count(b"\n", 0, at) + 1
        col = at - (self.buf.rfind(b"\n", 0, at) + 1) + 1
        return InputError(f"{self.name}:{line}:{col}: not valid JSON: {msg}")

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        if self.start is None:
            if self._skip_ws() != b"[":
                raise self._fail("expected '[' at the start of the array")
            self.pos += 1
            first = True
        else:
            self.fh.seek(self.start)
            self.base = self.start
            first = True
        while True:
            ch = self._skip_ws()
            offset = self.base + self.pos
            if self.stop is not None and not self.overran and offset >= self.stop and ch != b",":
                if offset == self.stop:
                    return
                self.overran = True
            if not ch:
                raise self._fail("unexpected end of file (truncated export?)")
            if ch == b"]":
                self.pos += 1
                if self.start is None and self._skip_ws():
                    raise self._fail("extra data after the closing ']'")
                return
            if not first:
                if ch != b",":
                    raise self._fail(f"expected ',' or ']' between elements, found {ch.decode('latin-1')!r}")
                self.pos += 1
                ch = self._skip_ws()
                offset = self.base + self.pos
                if self.stop is not None and not self.overran and offset >= self.stop:
                    if offset == self.stop:
                        return
                    self.overran = True
            obj = self._element()
            if self.sig is None and first:
                self.sig = signature(obj)
            first = False
            yield offset, obj

    def _element(self) -> Any:
        if self.sig is not None and self.buf[self.pos : self.pos + 1] == b"{":
            searched = self.pos
            while True:
                for end in self.sig.candidates(self.buf, self.pos, searched):
                    try:
                        obj = orjson.loads(self.buf[self.pos : end])
                    except orjson.JSONDecodeError:
                        searched = end
                        continue
                    self.pos = end
                    return obj
                pending = len(self.buf) - self.pos
                if pending > MAX_LOOKAHEAD or not self._more(grow=True):
                    break
                searched = max(self.pos, pending - 256)
        return self._fallback()

    def _fallback(self) -> Any:
        """One element of an unusual shape (or the last one): the standard library finds where it ends,
        orjson parses it, so the same values are refused as everywhere else (NaN, lone surrogates)."""
        # only the end offset is wanted here: numbers are not converted (no 4,300-digit limit, no cost)
        decoder = json.JSONDecoder(parse_int=len, parse_float=len, parse_constant=len)
        while True:
            raw = self.buf[self.pos :]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                if exc.start < len(raw) - 3 or self.eof:
                    raise self._fail(f"not UTF-8 text ({exc.reason})", self.pos + exc.start) from exc
                text = raw[: exc.start].decode("utf-8")
            try:
                _, end = decoder.raw_decode(text)
            except RecursionError as exc:
                raise self._fail("nested too deeply (more than the parser's recursion limit)") from exc
            except json.JSONDecodeError as exc:
                if self._more(grow=True):
                    continue
                at = self.pos + len(text[: exc.pos].encode("utf-8"))
                truncated = exc.pos >= len(text.rstrip())
                raise self._fail("unexpected end of file (truncated export?)" if truncated else exc.msg, at) from exc
            size = len(text[:end].encode("utf-8"))
            try:
                obj = orjson.loads(self.buf[self.pos : self.pos + size])
            except orjson.JSONDecodeError as exc:
                raise self._fail(exc.msg, self.pos + exc.pos) from exc
            self.pos += size
            return obj


def find_boundary(fh: IO[bytes], offset: int, sig: Signature, limit: int = 16 << 20) -> int | None:
    """Offset of the first element start at or after `offset` that looks like the first element."""
    fh.seek(offset)
    buf = fh.read(limit)
    ends = sig.candidates(buf, 0, 0)
    for end in ends:
        start = buf.index(b"{", end)
        nxt = next(sig.candidates(buf, start, start), None)
        if nxt is None:
            return None
        try:
            obj = orjson.loads(buf[start:nxt])
        except orjson.JSONDecodeError:
            continue
        if isinstance(obj, dict) and "data" in obj:
            return offset + start
    return None
