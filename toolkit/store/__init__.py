"""The annotations/ folder: one JSON file per document, merged and written so that nothing is lost.

`documents` reads a document file, merges incoming annotations into it, backs up and writes it.
Pull (from a server) and import (from export files) both write through here.
"""

from .documents import WriteResult, merge, read_document, write_documents

__all__ = ["WriteResult", "merge", "read_document", "write_documents"]
