"""The annotations/ folder: one JSON file per document, merged and written so that nothing is lost.

`documents`: a document's file (the one safe id -> path mapping), reading it, and the three-way
merge of incoming annotations. `intake`: Label Studio export files -> annotations/ in two passes
(check everything, then write under the folder's lock in atomic batches); pull and import use it.
"""

from .documents import BASE_KEY, Merge, WriteResult, content_hash, document_file, merge, read_document
from .intake import Intake, IntakeResult, import_exports, take_in

__all__ = [
    "BASE_KEY",
    "Intake",
    "IntakeResult",
    "Merge",
    "WriteResult",
    "content_hash",
    "document_file",
    "import_exports",
    "merge",
    "read_document",
    "take_in",
]
