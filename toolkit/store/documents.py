"""annotations/: one JSON file per document, merged so that nothing is ever lost.

Each annotation that came from Label Studio remembers the hash of its content as it came
(`label_studio.pulled`), the base of a three-way merge:
- an incoming annotation with the same Label Studio `unique_id` replaces the local one when only
  the server changed it; a local edit is kept when only the local file changed;
- when both changed, or the document's text changed under its spans, the document is a conflict:
  its file is left as it is and the conflict is reported (`replace_local` takes the server's
  version; the previous file is copied to the backups folder first);
- an annotation whose content equals a local one is the same annotation; anything else is added;
  local annotations absent from the incoming side stay.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..io.paths import doc_path
from ..io.reader import parse_json, read_bytes
from ..records import Annotation, Document, canonical_to_document

BASE_KEY = "pulled"  # in Annotation.label_studio: content hash as it came from Label Studio


@dataclass
class WriteResult:
    """What merging incoming documents into annotations/ did."""

    files_written: int = 0
    files_unchanged: int = 0
    annotations_added: int = 0
    annotations_updated: int = 0
    annotations_kept_local: int = 0  # only in the local file
    local_edits_kept: int = 0  # changed locally, unchanged on the server
    conflicts: list[str] = field(default_factory=list)
    backups: list[str] = field(default_factory=list)


@dataclass
class Merge:
    doc: Document | None  # None: a conflict, the local file stays as it is
    added: int = 0
    updated: int = 0
    kept_local: int = 0
    edits_kept: int = 0
    conflicts: list[str] = field(default_factory=list)


def content_hash(ann: Annotation) -> str:
    """What an annotation says (spans, relations, cancelled, ground truth), not who or when."""
    key = json.dumps([ann.content_key(), ann.ground_truth], ensure_ascii=False, default=list)
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def with_base(ann: Annotation) -> Annotation:
    """The incoming annotation, marked with the hash of its content as it came."""
    ann.label_studio = {**(ann.label_studio or {}), BASE_KEY: content_hash(ann)}
    return ann


def merge(local: Document | None, incoming: Document, replace_local: bool = False, same_person: bool = False) -> Merge:
    """Merge an incoming document (from Label Studio or an export file) into the local one.

    `same_person`: an annotation with the same content is the same annotation only when its
    annotator is the same too (imports that name the annotator); otherwise equal content is enough,
    so an annotation pushed from annotations/ and pulled back is recognised.
    """
    if local is None:
        return Merge(_fresh(incoming), added=len(incoming.annotations))
    if local.text != incoming.text and local.annotations and not replace_local:
        return Merge(None, conflicts=[_text_conflict(local, incoming)])
    if local.text != incoming.text:  # replace_local: the server's document, the old file goes to the backups
        return Merge(_fresh(incoming), updated=len(incoming.annotations))
    out = Merge(None)
    merged = list(local.annotations)
    matched: set[int] = set()
    for ann in incoming.annotations:
        idx = _match(merged, matched, ann, same_person)
        if idx is None:
            merged.append(with_base(ann))
            matched.add(len(merged) - 1)
            out.added += 1
            continue
        matched.add(idx)
        if _uid(merged[idx]) is not None and _uid(merged[idx]) == _uid(ann) and merged[idx].annotator == ann.annotator:
            _three_way(merged, idx, ann, local, replace_local, out)
    out.kept_local = len(local.annotations) - len(matched & set(range(len(local.annotations))))
    if out.conflicts:
        return out
    meta = {**local.meta, **{k: v for k, v in incoming.meta.items() if v is not None}}
    out.doc = Document(incoming.doc_id, incoming.text, meta, merged, adjudicated=local.adjudicated)
    return out


def _fresh(incoming: Document) -> Document:
    return Document(incoming.doc_id, incoming.text, incoming.meta, [with_base(a) for a in incoming.annotations])


def _three_way(merged: list[Annotation], idx: int, ann: Annotation, local: Document, replace: bool, out: Merge) -> None:
    old = merged[idx]
    theirs, mine = content_hash(ann), content_hash(old)
    base = (old.label_studio or {}).get(BASE_KEY)
    if theirs == mine or replace or mine == base:  # same content, or only the server changed it
        new = with_base(ann)
        if new.record() != old.record():
            merged[idx] = new
            out.updated += theirs != mine or replace
    elif theirs == base:  # only the local file changed it: keep the edit
        out.edits_kept += 1
    else:
        why = "changed both here and in Label Studio since the last pull" if base else "differs from Label Studio's"
        out.conflicts.append(
            f"{local.where or local.doc_id}: annotation {old.id} ({old.annotator}) {why}; the file is left as it is. "
            "To take Label Studio's version run `toolkit pull --replace-local` (yours is copied to the backups "
            "first); to keep yours, leave it: pulls report it until the two agree"
        )


def _text_conflict(local: Document, incoming: Document) -> str:
    return (
        f"{local.where or local.doc_id}: the text of document {local.doc_id!r} changed in Label Studio "
        f"({len(local.text)} -> {len(incoming.text)} characters) while the local file holds {len(local.annotations)} "
        "annotation(s) on the old text; not merged (their offsets would point at the wrong characters). "
        "`toolkit pull --replace-local` takes Label Studio's document (the old file is copied to the backups)"
    )


def _uid(ann: Annotation) -> str | None:
    uid = (ann.label_studio or {}).get("unique_id")
    return str(uid) if uid else None


def _match(existing: list[Annotation], taken: set[int], ann: Annotation, same_person: bool) -> int | None:
    uid = _uid(ann)
    if uid:  # the same Label Studio annotation (its annotator never changes)
        for i, old in enumerate(existing):
            if i not in taken and _uid(old) == uid and old.annotator == ann.annotator:
                return i
    key = ann.content_key()
    for i, old in enumerate(existing):
        if i not in taken and old.content_key() == key and (not same_person or old.annotator == ann.annotator):
            return i
    return None


def document_file(folder: Path, doc_id: str) -> Path:
    """The file of a document in annotations/ (the one safe id -> path mapping, see toolkit.io.paths)."""
    return doc_path(folder, doc_id)


def read_document(path: Path) -> Document | None:
    """The annotations/ file at `path`, or None when there is none yet."""
    return load_document(path)[0]


def load_document(path: Path) -> tuple[Document | None, bytes | None]:
    """The annotations/ file at `path` and its bytes as read (one open, no separate existence check)."""
    try:
        with path.open("rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        return None, None
    except OSError:
        raw = read_bytes(path, "an annotations/ file")  # its plain message (a folder, no permission)
    doc = canonical_to_document(parse_json(raw, str(path)), str(path))
    if doc is None:
        raise InputError(
            f"{path}: cannot be merged, it is not an annotation file (no doc_id or text); fix or move it, "
            "then pull again"
        )
    return doc, raw
