"""Label Studio export -> annotations/<doc_id>.json, merged so that nothing is ever lost.

Merge rule per document: a pulled annotation replaces the local one with the same Label Studio
`unique_id`; one whose content equals a local annotation is the same annotation (kept as is);
anything else is added. Local annotations absent from Label Studio stay. Before a file changes,
its previous version is copied to the backup folder.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from .convert import canonical_to_document, repair_utf16_offsets, task_name, task_to_document
from .errors import InputError
from .fileio import atomic_write_bytes, dump_pretty
from .labelstudio import DEFAULT_TITLE, client, download_export, find_project, iter_export, user_emails
from .models import Annotation, Document
from .settings import Connection


@dataclass
class PullResult:
    tasks: int = 0
    skipped_unannotated: int = 0
    files_written: int = 0
    files_unchanged: int = 0
    annotations_added: int = 0
    annotations_updated: int = 0
    annotations_kept_local: int = 0
    backups: list[str] = field(default_factory=list)
    export_path: str = ""
    offsets_repaired: int = 0
    unreadable: list[str] = field(default_factory=list)  # tasks that could not be converted


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
    if not path.exists():
        return None
    try:
        return canonical_to_document(orjson.loads(path.read_bytes()), str(path))
    except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
        raise InputError(
            f"{path}: cannot be merged, it is not a valid annotation file ({exc}); fix or move it, then pull again"
        ) from exc


def write_documents(docs: list[Document], out_dir: Path, backup_dir: Path, result: PullResult) -> None:
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


def pull(
    conn: Connection,
    out_dir: Path,
    title: str = DEFAULT_TITLE,
    workdir: Path = Path("build"),
    backup_dir: Path | None = None,
    repair_offsets: bool = False,
) -> PullResult:
    ls = client(conn)
    project = find_project(ls, conn.url, title)
    if project is None:
        raise InputError(
            f"no Label Studio project titled {title!r} at {conn.url}; run `toolkit push` first "
            "or pass --project with the right title"
        )
    result = PullResult()
    export = download_export(ls, conn.url, project.id, workdir / "labelstudio-export.json")
    result.export_path = str(export)
    emails = user_emails(ls, conn.url)
    docs: list[Document] = []
    for task in iter_export(export):
        result.tasks += 1
        if not task.get("annotations"):
            result.skipped_unannotated += 1
            continue
        try:
            doc, _ = task_to_document(task, f"task {task.get('id')}", emails)
        except (KeyError, TypeError, AttributeError) as exc:  # a result missing a field Label Studio always sets
            result.unreadable.append(
                f"task {task.get('id')} ({task_name(task)}): malformed result ({exc!r}); "
                f"it is kept in {export}, run `toolkit validate {export}` for details"
            )
            continue
        if repair_offsets:
            result.offsets_repaired += repair_utf16_offsets(doc)
        docs.append(doc)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_documents(docs, out_dir, backup_dir or workdir / "pull-backups", result)
    return result
