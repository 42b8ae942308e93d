"""Validate one large file with several processes: byte ranges cut at record boundaries.

JSONL is cut at newlines. A JSON array is cut where `jsonstream.find_boundary` sees the start of
a task; each worker stops exactly at the next cut, and if a cut turns out not to be a boundary the
worker before it simply goes on to the end, so no record is ever skipped or read twice.
"""

from __future__ import annotations

import gc
import re
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import orjson

from ..errors import InputError
from ..io.jsonstream import ArrayStream, Signature, find_boundary
from ..io.reader import iter_records
from ..labelschema import LabelSchema
from .checker import Checker
from .report import Report

PARALLEL_MIN_BYTES = 8 << 20
_TAIL_INDEX = re.compile(r"(\[|:)(\d+)(\]?)$")  # path[index] for arrays, path:line for JSONL


def _array_cuts(path: Path, jobs: int) -> tuple[list[int | None], Signature | None]:
    size = path.stat().st_size
    with path.open("rb") as fh:
        stream = ArrayStream(str(path), fh)
        try:
            _, _first = next(iter(stream))
        except StopIteration:
            return [None], None
        sig = stream.sig
        cuts: list[int | None] = [None]
        if sig is None:
            return cuts, None
        for k in range(1, jobs):
            cut = find_boundary(fh, k * size // jobs, sig)
            if cut is not None and cut > (cuts[-1] or 0):
                cuts.append(cut)
    return cuts, sig


def _line_cuts(path: Path, jobs: int) -> list[int | None]:
    size = path.stat().st_size
    cuts: list[int | None] = [None]
    with path.open("rb") as fh:
        for k in range(1, jobs):
            fh.seek(k * size // jobs)
            fh.readline()
            pos = fh.tell()
            if pos < size and pos > (cuts[-1] or 0):
                cuts.append(pos)
    return cuts


def _worker(
    path: str,
    kind: str,
    start: int | None,
    stop: int | None,
    labels: LabelSchema,
    engine: str | None,
    strict: bool,
    sig: Signature | None,
) -> tuple[Report, int, bool]:
    """Validate one range; returns the partial report, records (or lines) consumed, and overrun."""
    gc.disable()
    checker = Checker(labels, engine, strict, fast=True)
    report = Report()
    consumed = 0
    with open(path, "rb") as fh:
        if kind == "array":
            stream = ArrayStream(path, fh, start, stop, sig)
            for _, record in stream:
                checker.check_record(record, f"{path}[{consumed}]", report)
                consumed += 1
            return report, consumed, stream.overran
        fh.seek(start or 0)
        while stop is None or fh.tell() < stop:
            line = fh.readline()
            if not line:
                break
            consumed += 1
            if line.strip():
                try:
                    record = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    raise InputError(f"{path}: line {consumed} of a range: {exc}") from exc
                checker.check_record(record, f"{path}:{consumed}", report)
    return report, consumed, False


def _shift(where: str, base: int) -> str:
    return _TAIL_INDEX.sub(lambda m: f"{m.group(1)}{int(m.group(2)) + base}{m.group(3)}", where)


def validate_file_parallel(
    path: Path, kind: str, labels: LabelSchema, engine: str | None, strict: bool, jobs: int, report: Report
) -> None:
    """Validate a JSON array (`kind` 'array') or JSONL ('lines') file with `jobs` processes into `report`."""
    sig: Any = None
    if kind == "array":
        cuts, sig = _array_cuts(path, jobs)
    else:
        cuts = _line_cuts(path, jobs)
    ranges = list(zip(cuts, [*cuts[1:], None], strict=True))
    ctx = get_context("fork")
    try:
        with ProcessPoolExecutor(max_workers=len(ranges), mp_context=ctx) as pool:
            futures = [pool.submit(_worker, str(path), kind, a, b, labels, engine, strict, sig) for a, b in ranges]
            results = [f.result() for f in futures]
    except InputError:
        # Re-read sequentially so the error carries the exact line and column of the whole file.
        checker = Checker(labels, engine, strict, fast=True)
        for where, record in iter_records(path):
            checker.check_record(record, where, report)
        return
    base = 0
    for part, consumed, overran in results:
        for problem in part.errors + part.warnings:
            problem.file = _shift(problem.file, base)
        report.merge(part)
        base += consumed
        if overran:
            break
