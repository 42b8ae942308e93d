"""Validation: JSON Schema first, then the checks JSON Schema cannot express.

Every problem is collected (never the first only), each with a code, the task or document,
a JSON path and a message that says how to fix it. Input is streamed one record at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .convert import canonical_to_document, task_name, task_to_document
from .errors import InputError
from .fileio import iter_json_records
from .jsonschemas import Validator
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

    def __init__(self, labels: LabelSchema, engine: str | None = None, strict: bool = False):
        self.labels = labels
        self.strict = strict
        self.task_validator = Validator(labels.json_schema(TASK_SCHEMA), engine)
        self.doc_validator = Validator(labels.json_schema(DOCUMENT_SCHEMA), engine)

    def check_record(self, record: Any, where: str, report: Report) -> Document | None:
        """Validate one record; return the converted Document when it is structurally sound."""
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
                ann.path,
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
    for e in ann.entities:
        if e.id in by_id:
            yield Problem(
                "duplicate-entity",
                name,
                e.path,
                f"region id {e.id!r} is used twice; give each region its own id",
                where,
            )
        by_id[e.id] = e
        if e.start > e.end or e.end > n:
            yield Problem(
                "offset-range",
                name,
                e.path,
                f"span [{e.start}, {e.end}) is outside the text (length {n} code points) or reversed; "
                "re-select the span in Label Studio",
                where,
            )
            continue
        if e.start == e.end:
            yield Problem("zero-length", name, e.path, f"span at {e.start} is empty; delete the region", where)
        key = (e.start, e.end, e.label)
        if key in seen_spans:
            yield Problem(
                "duplicate-entity",
                name,
                e.path,
                f"span [{e.start}, {e.end}) {e.label} duplicates region {seen_spans[key]!r}; delete one",
                where,
            )
        else:
            seen_spans[key] = e.id
        piece = text[e.start : e.end]
        if e.text is not None and piece != e.text:
            yield Problem(
                "text-mismatch",
                name,
                e.path,
                f"span text {e.text!r} differs from the document text at [{e.start}, {e.end}) {piece!r}; "
                "the task text changed after annotation or the offsets are wrong: re-annotate the span",
                where,
            )
        elif piece and (piece[0].isspace() or piece[-1].isspace()):
            yield Problem(
                "span-whitespace",
                name,
                e.path,
                f"span {piece!r} starts or ends with whitespace; shrink it to the word(s)",
                where,
            )
    yield from _overlaps(ann, name, where)
    seen_rel: set[tuple[str, str, str | None]] = set()
    for r in ann.relations:
        if r.label is None:
            yield Problem(
                "relation-label",
                name,
                r.path,
                f"relation {r.head} -> {r.tail} has no label; pick one of {labels.relation_names}",
                where,
            )
        if r.head == r.tail:
            yield Problem(
                "self-relation",
                name,
                r.path,
                f"relation {r.label} links region {r.head!r} to itself; delete it or link two different spans",
                where,
            )
        missing = [x for x in (r.head, r.tail) if x not in by_id]
        if missing:
            yield Problem(
                "dangling-relation",
                name,
                r.path,
                f"relation {r.label} points at region(s) {missing} that are not entity spans of this "
                "annotation; delete the relation or restore the span",
                where,
            )
        rt = labels.relation_types.get(r.label) if r.label else None
        if r.symmetric and rt and not rt.symmetric:
            yield Problem(
                "relation-direction",
                name,
                r.path,
                f"relation {r.label} is directed but marked bidirectional; set its direction from head to tail",
                where,
            )
        if rt and not missing:
            hl, tl = by_id[r.head].label, by_id[r.tail].label
            if hl and tl and not rt.allows(hl, tl):
                yield Problem(
                    "relation-type",
                    name,
                    r.path,
                    f"{r.label} cannot link {hl} -> {tl}; it allows {'|'.join(rt.head)} -> "
                    f"{'|'.join(rt.tail)}: fix the span labels, reverse the relation or pick another label",
                    where,
                )
        rkey = (r.head, r.tail, r.label)
        if rt and rt.symmetric and r.tail < r.head:
            rkey = (r.tail, r.head, r.label)
        if rkey in seen_rel:
            yield Problem(
                "duplicate-relation",
                name,
                r.path,
                f"relation {r.label} {r.head} -> {r.tail} appears twice; delete one",
                where,
            )
        seen_rel.add(rkey)


def _overlaps(ann: Annotation, name: str, where: str) -> Iterator[Problem]:
    spans = sorted((e for e in ann.entities if e.start < e.end), key=lambda e: (e.start, e.end))
    active: list[Any] = []
    for e in spans:
        active = [a for a in active if a.end > e.start]
        for a in active:
            if a.label != e.label:
                yield Problem(
                    "overlap",
                    name,
                    e.path,
                    f"span [{e.start}, {e.end}) {e.label} overlaps [{a.start}, {a.end}) {a.label}; "
                    "keep one label per piece of text unless nesting is intended",
                    where,
                )
        active.append(e)


def iter_inputs(paths: Iterable[Path]) -> Iterator[tuple[str, Any]]:
    """(where, record) for every task or document in the given files and folders."""
    for path in paths:
        if path.is_dir():
            files = sorted(path.glob("*.json"))
            for f in files:
                yield from _single_or_many(f)
        elif not path.exists():
            raise InputError(
                f"{path}: file not found; give a Label Studio export (.json), a JSONL of tasks "
                "or the annotations/ folder"
            )
        else:
            yield from _single_or_many(path)


def _single_or_many(path: Path) -> Iterator[tuple[str, Any]]:
    first = path.open("rb").read(4096).lstrip()[:1] if path.is_file() else b""
    if first == b"{" and path.suffix == ".json":
        from .fileio import load_json

        yield str(path), load_json(path)
    else:
        yield from iter_json_records(path)


def validate_paths(
    paths: Iterable[Path], labels: LabelSchema, engine: str | None = None, strict: bool = False
) -> Report:
    checker = Checker(labels, engine, strict)
    report = Report()
    for where, record in iter_inputs(paths):
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
