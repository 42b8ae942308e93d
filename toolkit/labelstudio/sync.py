"""What the toolkit knows of a project's tasks, kept between runs so that push and pull stay cheap.

Label Studio's task listing costs about a millisecond per task returned, but a filtered count or
an empty filtered listing costs a fraction of a second. So the index remembers every task (id,
doc_id, a hash of its text, annotation counts, `updated_at`, and the `updated_at` of the version
last pulled) and a high-water mark: the server's time before the last refresh. A refresh lists
only the tasks updated since, and checks the task count to notice deletions (and tasks created by
someone else) cheaply; any doubt falls back to one full listing. Tasks this machine just imported
are remembered by id range and time, so they are not listed again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from ..errors import InputError
from ..io.reader import load_json
from ..io.writer import atomic_write_bytes
from ..labelschema import Controls
from .api import Api, number_above, parse_time, updated_after

MARGIN = timedelta(seconds=2)  # server clock steps and the 1-second Date header
FIELDS = "id,data,updated_at,total_annotations,cancelled_annotations"
VERSION = 2


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


@dataclass
class TaskInfo:
    doc_id: str | None
    text: str | None  # hash of the text
    updated: str | None  # Label Studio's updated_at
    annotations: int = 0
    cancelled: int = 0

    def row(self) -> list[Any]:
        return [self.doc_id, self.text, self.updated, self.annotations, self.cancelled]


@dataclass
class Index:
    path: Path
    url: str
    project: int
    high_water: str | None = None
    own: list[list[int]] = field(default_factory=list)  # [first id, last id] of our own imports since the refresh
    tasks: dict[int, TaskInfo] = field(default_factory=dict)
    pulled: dict[str, dict[int, str | None]] = field(default_factory=dict)  # folder -> task id -> updated_at pulled

    @classmethod
    def load(cls, folder: Path, url: str, project: int) -> Index:
        """The index of `project` at `url` (redacted), or an empty one; a damaged file is rebuilt, not trusted."""
        key = hashlib.sha256(f"{url}#{project}".encode()).hexdigest()[:16]
        path = folder / f"{key}.json"
        index = cls(path, url, project)
        if not path.exists():
            return index
        try:
            data = load_json(path)
            if data.get("version") != VERSION or data.get("url") != url or data.get("project") != project:
                return index
            index.high_water, index.own = data["high_water"], data["own"]
            index.tasks = {int(k): TaskInfo(*v) for k, v in data["tasks"].items()}
            index.pulled = {f: {int(k): v for k, v in m.items()} for f, m in data["pulled"].items()}
        except (InputError, AttributeError, KeyError, TypeError, ValueError):
            return cls(path, url, project)
        return index

    def save(self) -> None:
        body = {
            "version": VERSION,
            "url": self.url,
            "project": self.project,
            "high_water": self.high_water,
            "own": self.own,
            "tasks": {str(k): v.row() for k, v in sorted(self.tasks.items())},
            "pulled": {f: {str(k): v for k, v in sorted(m.items())} for f, m in sorted(self.pulled.items())},
        }
        atomic_write_bytes(self.path, orjson.dumps(body))

    def by_doc(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for tid, info in self.tasks.items():
            if info.doc_id is not None:
                out.setdefault(info.doc_id, []).append(tid)
        return out

    # -- keeping it current --------------------------------------------------------------------

    def note(self, task: dict[str, Any], controls: Controls) -> None:
        """Record a task as listed or exported (`data`, counts and `updated_at`)."""
        data = task.get("data")
        data = data if isinstance(data, dict) else {}
        doc_id, text = data.get("doc_id"), data.get(controls.value)
        annotations = task.get("total_annotations")
        if annotations is None and isinstance(task.get("annotations"), list):  # an export
            live = [a for a in task["annotations"] if isinstance(a, dict)]
            annotations = sum(1 for a in live if not a.get("was_cancelled"))
            task = {**task, "cancelled_annotations": len(live) - annotations}
        self.tasks[task["id"]] = TaskInfo(
            doc_id=str(doc_id) if isinstance(doc_id, str | int) and str(doc_id) else None,
            text=text_hash(text) if isinstance(text, str) else None,
            updated=task.get("updated_at") if isinstance(task.get("updated_at"), str) else None,
            annotations=annotations if isinstance(annotations, int) else 0,
            cancelled=_count(task.get("cancelled_annotations")),
        )

    def imported(self, ids: list[int], docs: list[tuple[str, str]], annotations: list[int]) -> None:
        """Tasks this run created: known without listing them again."""
        for tid, (doc_id, text), n in zip(ids, docs, annotations, strict=True):
            self.tasks[tid] = TaskInfo(doc_id, text_hash(text), None, n)
        if ids:
            self.own.append([min(ids), max(ids)])

    def refresh(self, api: Api, controls: Controls) -> list[int]:
        """Bring the index up to date; returns the ids of the tasks listed (changed since the last refresh)."""
        api.count_tasks(self.project)  # also reads the server's clock
        start = api.server_time
        changed: list[int] = []
        if self.high_water is None:
            self.tasks.clear()
            changed = self._list(api, controls, None)
        else:
            since = datetime.fromisoformat(self.high_water)
            if self.own:  # our own imports are known: list only what others changed in and around them
                first, last = min(w[0] for w in self.own), max(w[1] for w in self.own)
                recent = updated_after(since)
                changed = self._list(api, controls, [recent, _id("less", first)])
                changed += self._list(api, controls, [recent, _id("greater", last)])
                for column in ("total_annotations", "cancelled_annotations"):
                    inside = [recent, _id("greater", first - 1), _id("less", last + 1), number_above(column, 0)]
                    changed += self._list(api, controls, inside)
            else:
                changed = self._list(api, controls, [updated_after(since)])
            if api.count_tasks(self.project) != len(self.tasks):  # deleted, or created elsewhere: list all ids
                changed += self._reconcile(api, controls)
        self.own = []
        self.high_water = (start - MARGIN).isoformat() if start else None
        return sorted(set(changed))

    def _list(self, api: Api, controls: Controls, filters: list[dict[str, Any]] | None) -> list[int]:
        ids = []
        for task in api.list_tasks(self.project, FIELDS, filters):
            if isinstance(task.get("id"), int):
                self.note(task, controls)
                ids.append(task["id"])
        return ids

    def _reconcile(self, api: Api, controls: Controls) -> list[int]:
        present = {t["id"] for t in api.list_tasks(self.project, "id") if isinstance(t.get("id"), int)}
        for gone in set(self.tasks) - present:
            del self.tasks[gone]
        unknown = sorted(present - set(self.tasks))
        if not unknown:
            return []
        return [i for i in self._list(api, controls, [_id("greater", unknown[0] - 1)]) if i in set(unknown)]


def _id(operator: str, value: int) -> dict[str, Any]:
    return {"filter": "filter:tasks:id", "operator": operator, "type": "Number", "value": value}


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def pulled_since(index: Index, folder: Path, exists: Callable[[str], bool]) -> list[int]:
    """Tasks with annotations whose current version is not the one in `folder` (or whose file is gone)."""
    pulled = index.pulled.get(str(folder.resolve()), {})
    return sorted(
        tid
        for tid, info in index.tasks.items()
        if (info.annotations or info.cancelled)
        and (tid not in pulled or pulled[tid] != info.updated or not (info.doc_id and exists(info.doc_id)))
    )


def mark_pulled(index: Index, folder: Path, task_ids: set[int]) -> None:
    marks = index.pulled.setdefault(str(folder.resolve()), {})
    for tid in task_ids:
        if tid in index.tasks:
            marks[tid] = index.tasks[tid].updated


def latest_time(values: list[str | None]) -> datetime | None:
    times = [t for t in (parse_time(v) for v in values) if t is not None]
    return max(times, default=None)
