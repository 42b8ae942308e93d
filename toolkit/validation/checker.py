"""One record (a Label Studio task or an annotations/ document) -> JSON Schema, then semantic checks."""

from __future__ import annotations

from typing import Any

from ..labelschema import LabelSchema
from ..records import Document, Problem, canonical_to_document
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
        live = doc.live()
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
