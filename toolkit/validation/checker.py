"""One record (a Label Studio task or an annotations/ document) -> JSON Schema, then semantic checks.

The semantic checks run on whatever part of a record can be read, also after a JSON Schema error,
so one malformed field never hides the other defects of the record. Predictions get the same
checks as annotations.
"""

from __future__ import annotations

from typing import Any

from ..labelschema import LabelSchema
from ..records import Document, Problem, canonical_to_document, shown
from ..records.labelstudio import task_name, task_to_document
from .checks import check_document
from .engines import Validator
from .fastpath import FastCheck
from .report import Report

TASK_SCHEMA = "labelstudio-task.schema.json"
DOCUMENT_SCHEMA = "document.schema.json"


class Checker:
    """Holds the compiled schemas; `check_record` handles one task or one canonical document."""

    def __init__(self, labels: LabelSchema, engine: str | None = None, strict: bool = False, fast: bool = False):
        self.labels = labels
        self.strict = strict
        self.fast = FastCheck(labels) if fast else None
        self.task_validator = Validator(labels.json_schema(TASK_SCHEMA), engine)
        self.doc_validator = Validator(labels.json_schema(DOCUMENT_SCHEMA), engine)

    def check_record(self, record: Any, where: str, report: Report) -> Document | None:
        """Validate one record; return the Document read from it (None when nothing could be read).

        With `fast`, a task the fast predicate finds clean is counted without conversion (None).
        """
        report.checked += 1
        if not isinstance(record, dict):
            report.add(
                Problem(
                    "schema",
                    where,
                    "$",
                    f"expected a task object, found {type(record).__name__}; "
                    "a Label Studio export is a list of task objects",
                    where,
                ),
                self.strict,
            )
            return None
        is_doc = "doc_id" in record and "data" not in record
        name = _doc_name(record) if is_doc else task_name(record)
        if not is_doc and is_json_min(record, self.labels):
            report.add(Problem("json-min", name, "$", JSON_MIN_MESSAGE, where), self.strict)
            return None
        validator = self.doc_validator if is_doc else self.task_validator
        valid = validator.is_valid(record)
        if not valid:
            for err in validator.iter_errors(record):
                report.add(
                    Problem("schema", name, err.path, _schema_hint(err.message, self.labels), where), self.strict
                )
        elif self.fast is not None and not is_doc:
            counts = self.fast.clean(record)
            if counts is not None:  # certainly clean: skip building records
                report.annotations += len(record["annotations"])
                report.entities += counts[0]
                report.relations += counts[1]
                return None
        doc = self._read(record, is_doc, where, name, report)
        if doc is None:
            return None
        for p in check_document(doc, self.labels, name):
            report.add(p, self.strict)
        live = doc.live()
        report.annotations += len(doc.annotations)
        report.cancelled += len(doc.annotations) - len(live)
        report.entities += sum(len(a.entities) for a in live)
        report.relations += sum(len(a.relations) for a in live)
        if not live:
            report.unannotated += 1
        if not is_doc:
            self._predictions(record, where, name, report)
        return doc

    def _read(self, record: dict[str, Any], is_doc: bool, where: str, name: str, report: Report) -> Document | None:
        if is_doc:
            return canonical_to_document(record, where)
        doc, problems = task_to_document(record, where, controls=self.labels.controls)
        for p in problems:
            report.add(p, self.strict)
        return doc

    def _predictions(self, record: dict[str, Any], where: str, name: str, report: Report) -> None:
        preds, problems = task_to_document(record, where, controls=self.labels.controls, source="predictions")
        if preds is None or not preds.annotations:
            return
        report.predictions += len(preds.annotations)
        for p in [*problems, *check_document(preds, self.labels, name)]:
            p.message = p.message.replace("re-select the span in Label Studio", "fix the model or pattern")
            report.add(p, self.strict)


JSON_MIN_MESSAGE = (
    "this is a Label Studio JSON-MIN export (one flat object per task, without 'data' and 'annotations'), "
    "which drops region ids, relations and annotators; export the project as JSON (Export -> JSON) and use that"
)


def is_json_min(record: dict[str, Any], labels: LabelSchema) -> bool:
    """JSON-MIN puts the task data and one flattened annotation at the top level."""
    if "data" in record or "annotations" in record:
        return False
    if isinstance(record.get(labels.controls.value), str) and (
        labels.controls.labels in record or "annotation_id" in record or "annotator" in record
    ):
        return True
    return isinstance(record.get(labels.controls.labels), list)


def _doc_name(record: dict[str, Any]) -> str:
    doc_id = record.get("doc_id")
    return shown(str(doc_id)) if isinstance(doc_id, str | int) else "document (no doc_id)"


def _schema_hint(message: str, labels: LabelSchema) -> str:
    if "is not one of" in message:
        return (
            f"{_short(message)}; labels come from {labels.path.name} (version {labels.version}): add the label there "
            "and re-push the project, or relabel this item"
        )
    return f"{_short(message)}; fix this field so it matches {TASK_SCHEMA} / {DOCUMENT_SCHEMA}"


def _short(message: str, limit: int = 300) -> str:
    """JSON Schema messages quote the offending value whole; a 50 MB text is cut, not repeated."""
    return message if len(message) <= limit else message[: limit - 1] + "…"
