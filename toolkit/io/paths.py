"""The one mapping from a document id to a file name, and the guard that keeps writes inside a folder.

Document ids come from other people's servers (anyone who can import a task chooses `data.doc_id`).
An id that is a plain, portable file name is used as it is (`doc-42` -> `doc-42.json`); any other id
(path separators, `..`, a leading dot, control characters, Windows' reserved names, very long ids)
becomes `_<sha256 of the id>.json`, and the original id stays inside the file. A safe name never
starts with `_`, so the two kinds can never collide.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from ..errors import InputError

SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,149}")
RESERVED = frozenset(
    ["con", "prn", "aux", "nul"] + [f"com{i}" for i in range(10)] + [f"lpt{i}" for i in range(10)]
)  # Windows refuses these as file names, with any extension


def is_safe_id(doc_id: str) -> bool:
    return (
        SAFE_ID.fullmatch(doc_id) is not None
        and not doc_id.endswith(".")
        and ".." not in doc_id
        and doc_id.split(".")[0].lower() not in RESERVED
    )


def doc_filename(doc_id: str) -> str:
    """`<id>.json` for a safe id, else `_<sha256>.json` (the id is kept inside the file)."""
    if is_safe_id(doc_id):
        return f"{doc_id}.json"
    return "_" + hashlib.sha256(doc_id.encode("utf-8", "surrogatepass")).hexdigest()[:40] + ".json"


def doc_path(folder: Path, doc_id: str) -> Path:
    """The file of `doc_id` in `folder`, checked to lie directly inside it and not to be a symbolic link."""
    name = doc_filename(doc_id)
    if "/" in name or "\\" in name or name in (".", ".."):  # pragma: no cover - doc_filename never makes one
        raise InputError(f"document id {doc_id!r} would be written outside {folder}; refused")
    path = folder / name
    if path.is_symlink():
        raise InputError(
            f"{path} is a symbolic link; the toolkit never writes through one (it could point outside {folder}). "
            "Replace it with a regular file or remove it"
        )
    return path
