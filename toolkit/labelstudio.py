"""Everything that talks to a Label Studio server, through label-studio-sdk 2.x bulk calls."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError

from .convert import task_to_document
from .errors import LabelStudioError
from .fileio import atomic_writer, iter_json_records
from .labels import LabelSchema
from .settings import Connection

DEFAULT_TITLE = "News relations"
BATCH = 500


def client(conn: Connection) -> LabelStudio:
    return LabelStudio(base_url=conn.url, api_key=conn.api_key, timeout=120)


def _call(what: str, conn_url: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except ApiError as exc:
        body = str(exc.body)[:500]
        hint = " (check LABEL_STUDIO_API_KEY)" if exc.status_code in (401, 403) else ""
        raise LabelStudioError(
            f"Label Studio at {conn_url} refused to {what}: HTTP {exc.status_code}{hint}: {body}"
        ) from exc
    except (httpx.HTTPError, OSError) as exc:
        raise LabelStudioError(
            f"cannot reach Label Studio at {conn_url} to {what}: {exc}; is it running (`make label-studio`)?"
        ) from exc


def find_project(ls: LabelStudio, url: str, title: str) -> Any | None:
    for proj in _call("list projects", url, lambda: list(ls.projects.list(title=title))):
        if proj.title == title:
            return proj
    return None


def ensure_project(ls: LabelStudio, url: str, labels: LabelSchema, title: str) -> tuple[Any, bool]:
    """Create the project, or bring an existing one's config and instructions up to date."""
    config, instructions = labels.label_config(), labels.guidelines_html()
    description = f"{labels.title}. Label schema {labels.name} {labels.version}."
    project = find_project(ls, url, title)
    if project is None:
        project = _call(
            "create the project",
            url,
            ls.projects.create,
            title=title,
            label_config=config,
            expert_instruction=instructions,
            show_instruction=True,
            description=description,
            enable_empty_annotation=False,
        )
        return project, True
    _call(
        "update the project",
        url,
        ls.projects.update,
        project.id,
        label_config=config,
        expert_instruction=instructions,
        show_instruction=True,
        description=description,
    )
    return project, False


def download_export(ls: LabelStudio, url: str, project_id: int, dest: Path) -> Path:
    """Stream the project's full JSON export to `dest` (one request, never held in memory)."""

    def run() -> None:
        with atomic_writer(dest) as fh:
            for chunk in ls.projects.exports.download_sync(project_id, export_type="JSON", download_all_tasks=True):
                fh.write(chunk)

    _call("export the project", url, run)
    return dest


def iter_export(path: Path) -> Iterator[dict[str, Any]]:
    for _, task in iter_json_records(path):
        yield task


def user_emails(ls: LabelStudio, url: str) -> dict[int, str]:
    return {u.id: u.email for u in _call("list users", url, ls.users.list) if u.email}


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
    title: str = DEFAULT_TITLE,
    workdir: Path = Path("build"),
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
        export = download_export(ls, conn.url, project.id, workdir / f"push-existing-{project.id}.json")
        for task in iter_export(export):
            doc_id = (task.get("data") or {}).get("doc_id")
            if doc_id:
                existing[str(doc_id)] = task
        export.unlink()
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
            _call(f"update task {old['id']}", conn.url, ls.tasks.update, str(old["id"]), data=task["data"])
            result.updated += 1
        else:
            result.unchanged += 1
        result.annotations_imported += _add_missing_annotations(ls, conn.url, old, task.get("annotations", []))
        if task.get("predictions") and not old.get("annotations"):
            pending.append((old, task["predictions"]))
    for i in range(0, len(new), batch):
        chunk = new[i : i + batch]
        _call("import tasks", conn.url, ls.projects.import_tasks, id=project.id, request=chunk)
        result.created += len(chunk)
    result.predictions_imported += _add_missing_predictions(ls, conn.url, project.id, pending, batch)
    return result


def _add_missing_annotations(ls: LabelStudio, url: str, old: dict[str, Any], wanted: list[dict[str, Any]]) -> int:
    if not wanted:
        return 0
    have, _ = task_to_document(old)
    keys = {a.content_key() for a in have.annotations}
    added = 0
    for ann in wanted:
        probe, _ = task_to_document({"id": old["id"], "data": old["data"], "annotations": [ann]})
        if probe.annotations[0].content_key() in keys:
            continue
        _call(
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
        listed = _call("list predictions", url, ls.predictions.list, project=project_id)
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
        _call("import predictions", url, ls.projects.import_predictions, id=project_id, request=todo[i : i + batch])
    return len(todo)
