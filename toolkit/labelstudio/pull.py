"""Label Studio -> annotations/: only what changed since the last pull, merged so nothing is lost.

The first pull (or `full`) exports the whole project in one streamed request. Later pulls refresh
the project's task index (`sync`: one filtered listing, one count) and export only the tasks whose
annotations changed since the version in annotations/, by id. Exports are streamed to disk and
read one task at a time; the store checks every task before it writes any file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError, ToolkitError
from ..labelschema import LabelSchema
from ..store import Intake, IntakeResult, document_file, take_in
from .api import Api
from .settings import Connection
from .sync import MARGIN, Index, mark_pulled, pulled_since

EXPORT_IDS = 200  # task ids per export request (they travel in the URL)
Progress = Callable[[int, int | None], None]


@dataclass
class PullResult(IntakeResult):
    full: bool = False
    changed: int = 0  # tasks exported because their annotations changed
    deleted: list[int] = field(default_factory=list)


def pull(
    conn: Connection,
    labels: LabelSchema,
    out_dir: Path,
    title: str,
    workdir: Path,
    *,
    full: bool = False,
    repair_offsets: bool = False,
    replace_local: bool = False,
    on_retry: Callable[[str], None] | None = None,
    on_wait: Callable[[str], None] | None = None,
    progress: Progress | None = None,
) -> PullResult:
    with Api(conn, on_retry) as api:
        api.version()
        project = api.find_project(title)
        if project is None:
            raise InputError(
                f"no Label Studio project titled {title!r} at {api.url}; run `toolkit push` first "
                "or pass --project with the right title"
            )
        index = Index.load(workdir / "labelstudio", api.url, project["id"])
        exports, result, before = _export(api, index, labels, workdir, full, out_dir)
        emails = _emails(api)
        intake = Intake(labels, emails, repair_offsets=repair_offsets, replace_local=replace_local)

        def note(task: dict[str, Any]) -> None:  # the exported version is the one pulled
            index.note(task, labels.controls)

        backups = workdir / "pull-backups"
        taken = take_in(exports, intake, out_dir, backups, progress=progress, on_wait=on_wait, observe=note)
    result.deleted = sorted(before - set(index.tasks))
    for name in IntakeResult.__dataclass_fields__:
        setattr(result, name, getattr(taken, name))
    mark_pulled(index, out_dir, taken.taken)
    index.save()
    return result


def _export(
    api: Api, index: Index, labels: LabelSchema, workdir: Path, full: bool, out_dir: Path
) -> tuple[list[Path], PullResult, set[int]]:
    """The export files to take in (the whole project, or the changed tasks only) and the task ids known
    before. The exported tasks are noted in the index while they are taken in (`take_in`'s observer)."""
    folder = workdir / "labelstudio"
    if full or index.high_water is None:
        api.count_tasks(index.project)  # the server's clock before the export
        began = api.server_time
        path = api.export(index.project, folder / f"export-{index.project}.json")
        before = set(index.tasks)
        index.tasks.clear()
        index.own = []
        index.high_water = (began - MARGIN).isoformat() if began else None
        return [path], PullResult(full=True), before
    known = set(index.tasks)
    index.refresh(api, labels.controls)
    todo = pulled_since(index, out_dir, lambda doc_id: _has_file(out_dir, doc_id))
    paths = []
    for n, start in enumerate(range(0, len(todo), EXPORT_IDS)):
        name = f"export-{index.project}-{n:05d}.json"
        paths.append(api.export(index.project, folder / name, todo[start : start + EXPORT_IDS]))
    for stale in folder.glob(f"export-{index.project}-*.json"):
        if stale not in paths:
            stale.unlink()
    return paths, PullResult(changed=len(todo)), known


def _emails(api: Api) -> dict[int, str]:
    """User id -> e-mail, only to make pseudonyms; e-mails are never written anywhere."""
    users = api.json("GET", "/api/users/", "list users")
    items = users.get("results") if isinstance(users, dict) else users
    return {
        u["id"]: u["email"]
        for u in items or []
        if isinstance(u, dict) and isinstance(u.get("id"), int) and isinstance(u.get("email"), str) and u["email"]
    }


def _has_file(folder: Path, doc_id: str) -> bool:
    try:
        return document_file(folder, doc_id).exists()
    except ToolkitError:
        return False
