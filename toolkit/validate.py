"""Validation: JSON Schema first, then the checks JSON Schema cannot express.

Every problem is collected (never the first only), each with a code, the task or document,
a JSON path and a message that says how to fix it. Input is streamed one record at a time.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .convert import canonical_to_document, task_name, task_to_document, utf16_span
from .errors import InputError
from .fastcheck import FastCheck
from .fileio import iter_json_records, load_json
from .jsonschemas import Validator, json_path
from .labels import LabelSchema
from .models import Annotation, Document, Problem

TASK_SCHEMA = "labelstudio-task.schema.json"
DOCUMENT_SCHEMA = "document.schema.json"
WARNING_CODES = {"span-whitespace", "overlap", "zero-length", "cancelled", "unannotated"}


@dataclass
class Report:
    checked: int = 0
    annotations: int = 0
    cancelled: int = 0
    unannotated: int = 0
    entities: int = 0
    relations: int = 0
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors

    def add(self, problem: Problem, strict: bool = False) -> None:
        if problem.code in WARNING_CODES and not strict:
            problem.severity = "warning"
            self.warnings.append(problem)
        else:
            problem.severity = "error"
            self.errors.append(problem)

    def merge(self, other: Report) -> None:
        for name in ("checked", "annotations", "cancelled", "unannotated", "entities", "relations"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors += other.errors
        self.warnings += other.warnings

    def as_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "checked": self.checked,
            "summary": {
                "annotations": self.annotations,
                "cancelled": self.cancelled,
                "unannotated": self.unannotated,
                "entities": self.entities,
                "relations": self.relations,
            },
            "errors": [p.as_dict() for p in self.errors],
            "warnings": [p.as_dict() for p in self.warnings],
        }


class Checker:
    """Holds the compiled schemas; `check_record` handles one task or one canonical document."""

    def __init__(self, labels: LabelSchema, engine: str | None = None, strict: bool = False, fast: bool = False):
        self.labels = labels
        self.strict = strict
        self.fast = FastCheck(labels) if fast else None
        self.task_validator = Validator(labels.json_schema(TASK_SCHEMA), engine)
        self.doc_validator = Validator(labels.json_schema(DOCUMENT_SCHEMA), engine)

    def check_record(self, record: Any, where: str, report: Report) -> Document | None:
        """Validate one record; return the converted Document when it is structurally sound.

        With `fast`, a task the fast predicate finds clean is counted without conversion (None).
        """
        report.checked += 1
        is_doc = isinstance(record, dict) and "doc_id" in record and "data" not in record
        name = (str(record.get("doc_id")) if is_doc else task_name(record)) if isinstance(record, dict) else where
        validator = self.doc_validator if is_doc else self.task_validator
        if not isinstance(record, dict):
            report.add(
                Problem(
                    "schema",
                    name,
                    "$",
                    f"expected a task object, found {type(record).__name__}; "
                    "a Label Studio export is a list of task objects",
                    where,
                ),
                self.strict,
            )
            return None
        if not validator.is_valid(record):
            for err in validator.iter_errors(record):
                report.add(
                    Problem("schema", name, err.path, _schema_hint(err.message, self.labels), where), self.strict
                )
            return None
        if self.fast is not None and not is_doc:
            counts = self.fast.clean(record)
            if counts is not None:  # certainly clean: skip building records
                report.annotations += len(record["annotations"])
                report.entities += counts[0]
                report.relations += counts[1]
                return None
        if is_doc:
            doc, problems = canonical_to_document(record, where), list[Problem]()
        else:
            doc, problems = task_to_document(record, where)
        for p in problems:
            report.add(p, self.strict)
        for p in check_document(doc, self.labels, name):
            report.add(p, self.strict)
        live = [a for a in doc.annotations if not a.was_cancelled]
        report.annotations += len(doc.annotations)
        report.cancelled += len(doc.annotations) - len(live)
        report.entities += sum(len(a.entities) for a in live)
        report.relations += sum(len(a.relations) for a in live)
        if not live:
            report.unannotated += 1
        return doc


def _schema_hint(message: str, labels: LabelSchema) -> str:
    if "is not one of" in message:
        return (
            f"{message}; labels come from {labels.path.name} (version {labels.version}): add the label there "
            "and re-push the project, or relabel this item"
        )
    return f"{message}; fix this field so it matches {TASK_SCHEMA} / {DOCUMENT_SCHEMA}"


def check_document(doc: Document, labels: LabelSchema, name: str | None = None) -> Iterator[Problem]:
    name = name or doc.doc_id
    for ann in doc.annotations:
        if ann.was_cancelled:
            yield Problem(
                "cancelled",
                name,
                json_path(ann.path),
                "annotation was cancelled (skipped) in Label Studio; it is counted and never exported",
                doc.where,
            )
            continue
        yield from _check_annotation(doc, ann, labels, name)


def _check_annotation(doc: Document, ann: Annotation, labels: LabelSchema, name: str) -> Iterator[Problem]:
    text, where = doc.text, doc.where
    n = len(text)
    by_id: dict[str, Any] = {}
    seen_spans: dict[tuple[int, int, str | None], str] = {}
    sorted_so_far, last_start = True, -1
    for e in ann.entities:
        eid, start, end = e.id, e.start, e.end
        if eid in by_id:
            yield Problem(
                "duplicate-entity",
                name,
                json_path(e.path),
                f"region id {eid!r} is used twice; give each region its own id",
                where,
            )
        by_id[eid] = e
        if start > end or end > n:
            yield Problem(
                "offset-range",
                name,
                json_path(e.path),
                f"span [{start}, {end}) is outside the text (length {n} code points) or reversed; "
                "re-select the span in Label Studio",
                where,
            )
            continue
        if start < last_start:
            sorted_so_far = False
        last_start = start
        if start == end:
            yield Problem("zero-length", name, json_path(e.path), f"span at {start} is empty; delete the region", where)
        key = (start, end, e.label)
        if key in seen_spans:
            yield Problem(
                "duplicate-entity",
                name,
                json_path(e.path),
                f"span [{start}, {end}) {e.label} duplicates region {seen_spans[key]!r}; delete one",
                where,
            )
        else:
            seen_spans[key] = eid
        piece = text[start:end]
        if e.text is not None and piece != e.text:
            yield _mismatch(doc, e, piece, name)
        elif piece and (piece[0].isspace() or piece[-1].isspace()):
            yield Problem(
                "span-whitespace",
                name,
                json_path(e.path),
                f"span {piece!r} starts or ends with whitespace; shrink it to the word(s)",
                where,
            )
    yield from _overlaps(ann.entities, sorted_so_far, name, where)
    yield from _check_relations(ann, by_id, labels, name, where)


def _mismatch(doc: Document, e: Any, piece: str, name: str) -> Problem:
    """A span whose text is not the code-point slice; tell UTF-16 offsets apart from changed text."""
    if utf16_span(doc.text, doc.text.encode("utf-16-le"), e.start, e.end) == e.text:
        return Problem(
            "utf16-offsets",
            name,
            json_path(e.path),
            f"span [{e.start}, {e.end}) counts UTF-16 units, not code points (text {e.text!r}); "
            "run `toolkit pull --repair-offsets` to convert the offsets",
            doc.where,
        )
    return Problem(
        "text-mismatch",
        name,
        json_path(e.path),
        f"span text {e.text!r} differs from the document text at [{e.start}, {e.end}) {piece!r}; "
        "the task text changed after annotation or the offsets are wrong: re-annotate the span",
        doc.where,
    )


def _check_relations(
    ann: Annotation, by_id: dict[str, Any], labels: LabelSchema, name: str, where: str
) -> Iterator[Problem]:
    allowed, types = labels.allowed_triples, labels.relation_types
    seen_rel: set[tuple[str, str, str | None]] = set()
    for r in ann.relations:
        head, tail, label = r.head, r.tail, r.label
        if label is None:
            yield Problem(
                "relation-label",
                name,
                json_path(r.path),
                f"relation {head} -> {tail} has no label; pick one of {labels.relation_names}",
                where,
            )
        if head == tail:
            yield Problem(
                "self-relation",
                name,
                json_path(r.path),
                f"relation {label} links region {head!r} to itself; delete it or link two different spans",
                where,
            )
        h, t = by_id.get(head), by_id.get(tail)
        if h is None or t is None:
            missing = [x for x, y in ((head, h), (tail, t)) if y is None]
            yield Problem(
                "dangling-relation",
                name,
                json_path(r.path),
                f"relation {label} points at region(s) {missing} that are not entity spans of this "
                "annotation (a missing region, or a relation); delete the relation or restore the span",
                where,
            )
        rt = types.get(label) if label else None
        if r.symmetric and rt and not rt.symmetric:
            yield Problem(
                "relation-direction",
                name,
                json_path(r.path),
                f"relation {label} is directed but marked bidirectional; set its direction from head to tail",
                where,
            )
        if rt and h is not None and t is not None and h.label and t.label and (label, h.label, t.label) not in allowed:
            yield Problem(
                "relation-type",
                name,
                json_path(r.path),
                f"{label} cannot link {h.label} -> {t.label}; it allows {'|'.join(rt.head)} -> "
                f"{'|'.join(rt.tail)}: fix the span labels, reverse the relation or pick another label",
                where,
            )
        rkey = (tail, head, label) if rt and rt.symmetric and tail < head else (head, tail, label)
        if rkey in seen_rel:
            yield Problem(
                "duplicate-relation",
                name,
                json_path(r.path),
                f"relation {label} {head} -> {tail} appears twice; delete one",
                where,
            )
        seen_rel.add(rkey)


def _overlaps(entities: list[Any], is_sorted: bool, name: str, where: str) -> Iterator[Problem]:
    spans = entities if is_sorted else sorted(entities, key=_start_end)
    max_end = -1
    for i, e in enumerate(spans):
        if e.start < max_end and e.start < e.end:
            for a in spans[:i]:
                if a.end > e.start and a.start < a.end and a.label != e.label:
                    yield Problem(
                        "overlap",
                        name,
                        json_path(e.path),
                        f"span [{e.start}, {e.end}) {e.label} overlaps [{a.start}, {a.end}) {a.label}; "
                        "keep one label per piece of text unless nesting is intended",
                        where,
                    )
        if e.end > max_end:
            max_end = e.end


def _start_end(e: Any) -> tuple[int, int]:
    return e.start, e.end


def input_files(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(path.glob("*.json"))
        elif not path.exists():
            raise InputError(
                f"{path}: file not found; give a Label Studio export (.json), a JSONL of tasks "
                "or the annotations/ folder"
            )
        else:
            yield path


def iter_inputs(paths: Iterable[Path]) -> Iterator[tuple[str, Any]]:
    """(where, record) for every task or document in the given files and folders."""
    for path in input_files(paths):
        yield from records_of(path)


def records_of(path: Path) -> Iterator[tuple[str, Any]]:
    with path.open("rb") as fh:
        first = fh.read(4096).lstrip()[:1]
    if first == b"{" and path.suffix == ".json":
        yield str(path), load_json(path)
    else:
        yield from iter_json_records(path)


def validate_paths(
    paths: Iterable[Path],
    labels: LabelSchema,
    engine: str | None = None,
    strict: bool = False,
    jobs: int | None = None,
) -> Report:
    """Validate every record; large files are split across `jobs` processes (default: all cores)."""
    from .parallel import PARALLEL_MIN_BYTES, validate_file_parallel

    jobs = jobs or os.cpu_count() or 1
    checker = Checker(labels, engine, strict, fast=True)
    report = Report()
    for path in input_files(paths):
        if jobs > 1 and path.stat().st_size >= PARALLEL_MIN_BYTES:
            validate_file_parallel(path, labels, engine, strict, jobs, report)
            continue
        for where, record in records_of(path):
            checker.check_record(record, where, report)
    return report


def load_documents(paths: Iterable[Path], labels: LabelSchema) -> tuple[list[Document], Report]:
    """Validated documents for export and release; callers refuse to go on when the report has errors."""
    checker = Checker(labels)
    report = Report()
    docs = []
    for where, record in iter_inputs(paths):
        doc = checker.check_record(record, where, report)
        if doc is not None:
            docs.append(doc)
    return docs, report
