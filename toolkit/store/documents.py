"""annotations/: one JSON file per document, merged so that nothing is ever lost.

Merge rule per document: an incoming annotation replaces the local one with the same Label Studio
`unique_id`; one whose content equals a local annotation is the same annotation (kept as is);
anything else is added. Local annotations absent from the incoming side stay. Before a file
changes, its previous version is copied to the backup folder.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..io.reader import parse_json, read_bytes
from ..io.writer import atomic_write_bytes, dump_pretty
from ..records import Annotation, Document, canonical_to_document


@dataclass
class WriteResult:
    """What merging incoming documents into annotations/ did."""

    files_written: int = 0
    files_unchanged: int = 0
    annotations_added: int = 0
    annotations_updated: int = 0
    annotations_kept_local: int = 0
    backups: list[str] = field(default_factory=list)


def merge(local: Document | None, pulled: Document) -> tuple[Document, int, int, int]:
    """Return the merged document and counts (added, updated, kept-local-only)."""
    if local is None:
        return pulled, len(pulled.annotations), 0, 0
    merged = list(local.annotations)
    matched: set[int] = set()
    added = updated = 0
    for ann in pulled.annotations:
        idx = _match(merged, matched, ann)
        if idx is None:
            merged.append(ann)
            matched.add(len(merged) - 1)
            added += 1
            continue
        matched.add(idx)
        old = merged[idx]
        same_uid = _uid(old) is not None and _uid(old) == _uid(ann)
        if same_uid and old.record() != ann.record():
            merged[idx] = ann
            updated += 1
    kept = len(local.annotations) - len(matched & set(range(len(local.annotations))))
    meta = {**local.meta, **{k: v for k, v in pulled.meta.items() if v is not None}}
    return Document(pulled.doc_id, pulled.text, meta, merged, adjudicated=local.adjudicated), added, updated, kept


def _uid(ann: Annotation) -> str | None:
    return (ann.label_studio or {}).get("unique_id")


def _match(existing: list[Annotation], taken: set[int], ann: Annotation) -> int | None:
    uid = _uid(ann)
    if uid:
        for i, old in enumerate(existing):
            if i not in taken and _uid(old) == uid:
                return i
    key = ann.content_key()
    for i, old in enumerate(existing):
        if i not in taken and old.content_key() == key:
            return i
    return None


def read_document(path: Path) -> Document | None:
    """The annotations/ file at `path`, or None when there is none yet."""
    if not path.exists():
        return None
    doc = canonical_to_document(parse_json(read_bytes(path, "an annotations/ file"), str(path)), str(path))
    if doc is None:
        raise InputError(
            f"{path}: cannot be merged, it is not an annotation file (no doc_id or text); fix or move it, "
            "then pull again"
        )
    return doc


def write_documents(docs: list[Document], out_dir: Path, backup_dir: Path, result: WriteResult) -> None:
    """Merge each document into its file under `out_dir`, keeping the previous version in `backup_dir`."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    for pulled in docs:
        path = out_dir / f"{pulled.doc_id}.json"
        local = read_document(path)
        doc, added, updated, kept = merge(local, pulled)
        result.annotations_added += added
        result.annotations_updated += updated
        result.annotations_kept_local += kept
        data = dump_pretty(doc.record())
        if path.exists():
            if path.read_bytes() == data:
                result.files_unchanged += 1
                continue
            backup = backup_dir / stamp / path.name
            backup.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, backup)
            result.backups.append(str(backup))
        atomic_write_bytes(path, data)
        result.files_written += 1
