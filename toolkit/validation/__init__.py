"""Validation: JSON Schema first, then the checks JSON Schema cannot express.

`engines` runs JSON Schema (jsonschema-rs, or jsonschema as the reference); `checks` holds the
semantic checks; `checker` applies both to one record; `fastpath` settles clean tasks without
building records; `parallel` splits big files across cores; `run` validates files and is the one
loader of validated documents (`load_valid_documents`, which raises `ValidationFailed`).
"""

from .checker import DOCUMENT_SCHEMA, JSON_MIN_MESSAGE, TASK_SCHEMA, Checker, is_json_min
from .checks import check_document
from .predictions import check_predictions, prediction_report
from .report import WARNING_CODES, Report
from .run import ValidationFailed, iter_documents, iter_inputs, load_documents, load_valid_documents, validate_paths

__all__ = [
    "DOCUMENT_SCHEMA",
    "JSON_MIN_MESSAGE",
    "TASK_SCHEMA",
    "WARNING_CODES",
    "Checker",
    "Report",
    "ValidationFailed",
    "check_document",
    "check_predictions",
    "is_json_min",
    "iter_documents",
    "iter_inputs",
    "load_documents",
    "load_valid_documents",
    "prediction_report",
    "validate_paths",
]
