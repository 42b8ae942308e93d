"""Validate files, and the one loader of validated documents every later stage uses."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from ..errors import ToolkitError
from ..io.reader import expand, iter_records, sniff
from ..labelschema import LabelSchema
from ..records import Document
from .checker import Checker
from .parallel import PARALLEL_MIN_BYTES, validate_file_parallel
from .report import Report

INPUTS = "a Label Studio export (.json), a JSONL of tasks, an annotations/ file or the annotations/ folder"


class ValidationFailed(ToolkitError):
    """Input has validation errors and the stage refuses to go on; carries the whole report."""

    exit_code = 1

    def __init__(self, report: Report, purpose: str, shown: int = 10):
        self.report = report
        first = "\n".join(f"  {p.file} {p.path}: [{p.code}] {p.message}" for p in report.errors[:shown])
        more = f"\n  ... and {len(report.errors) - shown} more" if len(report.errors) > shown else ""
        super().__init__(
            f"refusing to {purpose}: {len(report.errors)} validation error(s); run `toolkit validate` for the "
            f"full list. First ones:\n{first}{more}"
        )


def iter_inputs(paths: Iterable[Path]) -> Iterator[tuple[str, Any]]:
    """(where, record) for every task or document in the given files and folders."""
    for path in expand(paths, "*.json", INPUTS):
        yield from iter_records(path)


def validate_paths(
    paths: Iterable[Path],
    labels: LabelSchema,
    engine: str | None = None,
    strict: bool = False,
    jobs: int | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> Report:
    """Validate every record; large files are split across `jobs` processes (default: all cores).

    `progress(records checked, None)` is called every thousand records and after each file.
    """
    jobs = jobs or os.cpu_count() or 1
    checker = Checker(labels, engine, strict, fast=True)
    report = Report()
    for path in expand(paths, "*.json", INPUTS):
        kind = sniff(path)
        if jobs > 1 and kind != "object" and path.stat().st_size >= PARALLEL_MIN_BYTES:
            validate_file_parallel(path, kind, labels, engine, strict, jobs, report)
        else:
            for where, record in iter_records(path):
                checker.check_record(record, where, report)
                if progress is not None and report.checked % 1000 == 0:
                    progress(report.checked, None)
        if progress is not None:
            progress(report.checked, None)
    return report


def iter_documents(
    paths: Iterable[Path], labels: LabelSchema, report: Report, checker: Checker | None = None
) -> Iterator[Document]:
    """Documents one at a time (memory bounded by one record), only those that passed validation.

    Every problem, of the documents left out too, goes into `report`. A caller reading many batches
    of files may pass its `Checker(labels)`: compiling the JSON Schemas takes about 0.1 s.
    """
    checker = checker or Checker(labels)
    for where, record in iter_inputs(paths):
        before = len(report.errors)
        doc = checker.check_record(record, where, report)
        if doc is not None and len(report.errors) == before:
            yield doc


def load_documents(paths: Iterable[Path], labels: LabelSchema) -> tuple[list[Document], Report]:
    """Every document that passed validation, and the report on all of them.

    A document with a validation error is left out (the report says why); stages that must not
    go on with any error use `load_valid_documents`.
    """
    report = Report()
    docs = list(iter_documents(paths, labels, report))
    return docs, report


def load_valid_documents(paths: Iterable[Path], labels: LabelSchema, purpose: str) -> list[Document]:
    """Validated documents, or `ValidationFailed` (exit 1) when anything has a validation error."""
    docs, report = load_documents(paths, labels)
    if report.errors:
        raise ValidationFailed(report, purpose)
    return docs
