"""Label Studio export -> annotations/, through the store's merge (nothing is ever lost)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..io.reader import iter_records
from ..labelschema import LabelSchema
from ..records import Document
from ..records.labelstudio import repair_utf16_offsets, task_name, task_to_document
from ..store import WriteResult, write_documents
from .client import client, download_export, find_project, user_emails
from .settings import Connection


@dataclass
class PullResult(WriteResult):
    tasks: int = 0
    skipped_unannotated: int = 0
    offsets_repaired: int = 0
    unreadable: list[str] = field(default_factory=list)  # tasks that could not be converted


def pull(
    conn: Connection,
    labels: LabelSchema,
    out_dir: Path,
    title: str,
    workdir: Path,
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
    emails = user_emails(ls, conn.url)
    docs: list[Document] = []
    for _, task in iter_records(export):
        result.tasks += 1
        if not task.get("annotations"):
            result.skipped_unannotated += 1
            continue
        doc, _ = task_to_document(task, f"task {task.get('id')}", emails, labels.controls)
        if doc is None:
            result.unreadable.append(
                f"task {task.get('id')} ({task_name(task)}): no text under data.{labels.controls.value}; "
                f"it is kept in {export}, run `toolkit validate {export}` for details"
            )
            continue
        if repair_offsets:
            result.offsets_repaired += repair_utf16_offsets(doc)
        docs.append(doc)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_documents(docs, out_dir, backup_dir or workdir / "pull-backups", result)
    return result
