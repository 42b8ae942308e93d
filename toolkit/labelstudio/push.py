"""Tasks (and their annotations and predictions) into a Label Studio project, in bulk, never duplicated."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from label_studio_sdk import LabelStudio

from ..errors import InputError
from ..io.reader import iter_records
from ..labelschema import LabelSchema
from ..records.labelstudio import task_to_document
from ..validation import check_predictions, load_valid_documents
from .client import call, client, download_export, ensure_project
from .settings import Connection
from .tasks import document_task

BATCH = 500


@dataclass
class PushResult:
    project_id: int
    project_url: str
    created_project: bool
    created: int = 0
    unchanged: int = 0
    updated: int = 0
    annotations_imported: int = 0
    predictions_imported: int = 0
    conflicts: list[str] = field(default_factory=list)


def push(
    conn: Connection,
    labels: LabelSchema,
    tasks: list[dict[str, Any]],
    title: str,
    batch: int = BATCH,
) -> PushResult:
    """Create/update the project and import tasks in bulk; a doc_id already present is never duplicated.

    A task whose text changed is updated only while it has no annotations (offsets would break);
    otherwise it is listed as a conflict. Annotations carried by `tasks` are added when the task
    does not already hold an annotation with the same content.
    """
    ls = client(conn)
    project, created_project = ensure_project(ls, conn.url, labels, title)
    result = PushResult(project.id, f"{conn.url}/projects/{project.id}/data", created_project)
    existing: dict[str, dict[str, Any]] = {}
    if not created_project:
        with tempfile.TemporaryDirectory(prefix="toolkit-push-") as tmp:
            export = download_export(ls, conn.url, project.id, Path(tmp) / "existing.json")
            for _, task in iter_records(export):
                doc_id = (task.get("data") or {}).get("doc_id")
                if doc_id:
                    existing[str(doc_id)] = task
    new: list[dict[str, Any]] = []
    pending: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []  # existing tasks and their predictions
    for task in tasks:
        doc_id = task["data"]["doc_id"]
        old = existing.get(doc_id)
        if old is None:
            new.append(task)
            result.annotations_imported += len(task.get("annotations", []))
            result.predictions_imported += len(task.get("predictions", []))
            continue
        if old["data"].get("text") != task["data"]["text"]:
            if old.get("annotations"):
                result.conflicts.append(
                    f"{doc_id}: text differs from task {old['id']}, which has annotations; "
                    "not updated (annotations would point at the wrong characters)"
                )
                continue
            call(f"update task {old['id']}", conn.url, ls.tasks.update, str(old["id"]), data=task["data"])
            result.updated += 1
        else:
            result.unchanged += 1
        result.annotations_imported += _add_missing_annotations(ls, conn.url, old, task.get("annotations", []), labels)
        if task.get("predictions") and not old.get("annotations"):
            pending.append((old, task["predictions"]))
    for i in range(0, len(new), batch):
        chunk = new[i : i + batch]
        call("import tasks", conn.url, ls.projects.import_tasks, id=project.id, request=chunk)
        result.created += len(chunk)
    result.predictions_imported += _add_missing_predictions(ls, conn.url, project.id, pending, batch)
    return result


def _add_missing_annotations(
    ls: LabelStudio, url: str, old: dict[str, Any], wanted: list[dict[str, Any]], labels: LabelSchema
) -> int:
    if not wanted:
        return 0
    have, _ = task_to_document(old, controls=labels.controls)
    keys = {a.content_key() for a in have.annotations} if have else set()
    added = 0
    for ann in wanted:
        probe, _ = task_to_document(
            {"id": old["id"], "data": old["data"], "annotations": [ann]}, controls=labels.controls
        )
        if probe is not None and probe.annotations and probe.annotations[0].content_key() in keys:
            continue
        call(
            f"add an annotation to task {old['id']}",
            url,
            ls.annotations.create,
            id=old["id"],
            result=ann["result"],
            ground_truth=ann.get("ground_truth", False),
        )
        added += 1
    return added


def _add_missing_predictions(
    ls: LabelStudio, url: str, project_id: int, pending: list[tuple[dict[str, Any], list[dict[str, Any]]]], batch: int
) -> int:
    """Pre-annotations for tasks that exist already and nobody annotated: once per model_version.

    One listing of the project's predictions (the export gives prediction ids only) and bulk
    imports, never a request per task.
    """
    if not pending:
        return 0
    have: set[tuple[int, str | None]] = set()
    if any(old.get("predictions") for old, _ in pending):
        listed = call("list predictions", url, ls.predictions.list, project=project_id)
        have = {(p.task, p.model_version) for p in listed}
    todo = [
        {
            "task": old["id"],
            "result": pred["result"],
            "score": pred.get("score"),
            "model_version": pred.get("model_version"),
        }
        for old, preds in pending
        for pred in preds
        if (old["id"], pred.get("model_version")) not in have
    ]
    for i in range(0, len(todo), batch):
        call("import predictions", url, ls.projects.import_predictions, id=project_id, request=todo[i : i + batch])
    return len(todo)


def read_tasks(task_files: list[Path]) -> list[dict[str, Any]]:
    """Tasks from JSONL/JSON files as `toolkit tasks` writes them (the first task of a doc_id wins)."""
    tasks: dict[str, dict[str, Any]] = {}
    for path in task_files:
        for where, task in iter_records(path):
            data = task.get("data") if isinstance(task, dict) else None
            if not isinstance(data, dict) or not isinstance(data.get("doc_id"), str) or not data["doc_id"]:
                raise InputError(
                    f'{where}: expected a task {{"data": {{"doc_id": "...", "text": "..."}}}}; make the file '
                    "with `toolkit tasks`"
                )
            if not isinstance(data.get("text"), str):
                raise InputError(f'{where}: task {data["doc_id"]!r} has no string "text" in "data"')
            tasks.setdefault(data["doc_id"], task)
    return list(tasks.values())


def push_files(
    connect: Callable[[], Connection],
    labels: LabelSchema,
    task_files: list[Path],
    annotations: Path | None,
    title: str,
) -> PushResult:
    """Push task files and, optionally, the validated annotations/ documents (their tasks win).

    Every input is read and every prediction checked before `connect` is called: Label Studio would
    accept an unknown label silently, and a bad file should not need a server to be reported.
    """
    payload: dict[str, dict[str, Any]] = {}
    if annotations is not None:
        for doc in load_valid_documents([annotations], labels, "push the annotations"):
            payload[doc.doc_id] = document_task(doc, labels.controls)
    for task in read_tasks(task_files):
        payload.setdefault(task["data"]["doc_id"], task)
    check_predictions(payload.values(), labels)
    return push(connect(), labels, list(payload.values()), title)
