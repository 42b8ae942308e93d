"""Tasks (and their annotations and predictions) into a Label Studio project, in bulk, never duplicated.

Inputs are read twice, one task in memory at a time: first to learn each document's id, text hash
and what rides along (and to check every prediction), then to send the new tasks in batches. Which
documents the project already holds comes from the project's task index (`sync`), so pushing
10,000 unchanged tasks again costs two small requests, not a listing of every task. One push per
project runs at a time on this machine (a lock); a push from elsewhere that duplicates a task is
noticed by the task count and reported.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError, LabelStudioError
from ..io.locks import exclusive
from ..io.reader import iter_records
from ..labelschema import LabelSchema, guidelines_html, label_config
from ..records.labelstudio import task_to_document
from ..validation import Report, check_predictions, iter_documents, validate_paths
from ..validation.run import ValidationFailed
from .api import Api, Transient
from .settings import Connection
from .sync import Index, text_hash
from .tasks import document_task

BATCH = 1000
Progress = Callable[[int, int | None], None]


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
    predictions_not_imported: Counter[str] = field(default_factory=Counter)  # reason -> count
    conflicts: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Wanted:
    text: str  # hash
    annotations: int
    predictions: int


@dataclass
class Inputs:
    """Where the tasks to push come from: task files, and validated annotations/ documents (which win)."""

    labels: LabelSchema
    task_files: list[Path] = field(default_factory=list)
    annotations: Path | None = None
    given: list[dict[str, Any]] = field(default_factory=list)  # tasks made in memory (review tasks)

    def tasks(self) -> Iterator[dict[str, Any]]:
        """Every task once per doc_id, annotation documents first."""
        seen: set[str] = set()
        if self.annotations is not None:
            for doc in iter_documents([self.annotations], self.labels, Report()):
                seen.add(doc.doc_id)
                yield document_task(doc, self.labels.controls)
        for n, task in enumerate(self.given):
            doc_id = _doc_id(task, f"task {n + 1}", self.labels)
            if doc_id not in seen:
                seen.add(doc_id)
                yield task
        for path in self.task_files:
            for where, task in iter_records(path):
                doc_id = _doc_id(task, where, self.labels)
                if doc_id not in seen:
                    seen.add(doc_id)
                    yield task

    def survey(self) -> dict[str, Wanted]:
        """Pass 1: each document's text hash and what rides along; every input checked first."""
        if self.annotations is not None:
            report = validate_paths([self.annotations], self.labels, jobs=1)
            if report.errors:
                raise ValidationFailed(report, "push the annotations")
        wanted: dict[str, Wanted] = {}
        with_predictions: list[dict[str, Any]] = []
        for task in self.tasks():
            data = task["data"]
            preds = [p for p in task.get("predictions") or [] if isinstance(p, dict)]
            wanted[data["doc_id"]] = Wanted(
                text_hash(data[self.labels.controls.value]), len(task.get("annotations") or []), len(preds)
            )
            if preds:
                with_predictions.append(task)
                if len(with_predictions) >= BATCH:
                    check_predictions(with_predictions, self.labels)
                    with_predictions.clear()
        check_predictions(with_predictions, self.labels)
        return wanted


def _doc_id(task: Any, where: str, labels: LabelSchema) -> str:
    data = task.get("data") if isinstance(task, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("doc_id"), str) or not data["doc_id"]:
        raise InputError(
            f'{where}: expected a task {{"data": {{"doc_id": "...", "{labels.controls.value}": "..."}}}}; make the '
            "file with `toolkit tasks`"
        )
    if not isinstance(data.get(labels.controls.value), str):
        raise InputError(f'{where}: task {data["doc_id"]!r} has no string "{labels.controls.value}" in "data"')
    return data["doc_id"]


def push_files(
    connect: Callable[[], Connection],
    labels: LabelSchema,
    task_files: list[Path],
    annotations: Path | None,
    title: str,
    workdir: Path,
    *,
    on_retry: Callable[[str], None] | None = None,
    on_wait: Callable[[str], None] | None = None,
    progress: Progress | None = None,
) -> PushResult:
    """Push task files and, optionally, the validated annotations/ documents (their tasks win).

    Every input is read and every prediction checked before `connect` is called: Label Studio would
    accept an unknown label silently, and a bad file should not need a server to be reported.
    """
    return push(connect, labels, Inputs(labels, task_files, annotations), title, workdir, on_retry=on_retry,
                on_wait=on_wait, progress=progress)  # fmt: skip


def push(
    connect: Callable[[], Connection],
    labels: LabelSchema,
    inputs: Inputs,
    title: str,
    workdir: Path,
    *,
    on_retry: Callable[[str], None] | None = None,
    on_wait: Callable[[str], None] | None = None,
    progress: Progress | None = None,
) -> PushResult:
    """Create or update the project `title` and bring `inputs` into it (see the module docstring)."""
    wanted = inputs.survey()
    conn = connect()
    with Api(conn, on_retry) as api:
        api.version()
        lock = (
            Path(tempfile.gettempdir())
            / f"toolkit-push-{hashlib.sha256(f'{api.url}#{title}'.encode()).hexdigest()[:16]}.lock"
        )
        with exclusive(lock, f"Label Studio project {title!r}", on_wait):
            return Push(api, labels, title, workdir, progress).run(inputs, wanted)


@dataclass
class Push:
    api: Api
    labels: LabelSchema
    title: str
    workdir: Path
    progress: Progress | None = None

    def run(self, inputs: Inputs, wanted: dict[str, Wanted]) -> PushResult:
        project, created = self._project()
        result = PushResult(project, f"{self.api.conn.url}/projects/{project}/data", created)
        index = Index.load(self.workdir / "labelstudio", self.api.url, project)
        if created:
            self.api.count_tasks(project)
            index.tasks.clear()
            index.high_water = self.api.server_time.isoformat() if self.api.server_time else None
        else:
            index.refresh(self.api, self.labels.controls)
        existing = index.by_doc()
        result.duplicates = [f"{d}: tasks {sorted(ids)}" for d, ids in sorted(existing.items()) if len(ids) > 1]
        new = {d for d in wanted if d not in existing}
        later: dict[str, int] = {}  # existing tasks that need more than nothing: doc_id -> task id
        for doc_id, want in wanted.items():
            if doc_id in existing:
                tid = existing[doc_id][0]
                info = index.tasks[tid]
                if info.text != want.text and info.annotations:
                    result.conflicts.append(
                        f"{doc_id}: text differs from task {tid}, which has annotations; not updated "
                        "(annotations would point at the wrong characters)"
                    )
                elif info.text != want.text or want.annotations or want.predictions:
                    later[doc_id] = tid
                else:
                    result.unchanged += 1
        self._import(inputs, new, index, result)
        index.save()
        if later:
            self._existing(inputs, later, index, result)
        if self.api.count_tasks(project) != len(index.tasks):  # someone else pushed at the same time
            index.refresh(self.api, self.labels.controls)
            dupes = index.by_doc()
            result.duplicates = [f"{d}: tasks {sorted(ids)}" for d, ids in sorted(dupes.items()) if len(ids) > 1]
        index.save()
        return result

    def _project(self) -> tuple[int, bool]:
        """Create the project, or bring an existing one's config and instructions up to date (only if they differ)."""
        config, instructions = label_config(self.labels), guidelines_html(self.labels)
        settings = {
            "label_config": config,
            "expert_instruction": instructions,
            "show_instruction": True,
            "description": f"{self.labels.title}. Label schema {self.labels.name} {self.labels.version}.",
        }
        found = self.api.find_project(self.title)
        if found is None:
            body = {"title": self.title, **settings, "enable_empty_annotation": False}
            made = self.api.json("POST", "/api/projects", "create the project", json=body, retry=False)
            if not isinstance(made, dict) or not isinstance(made.get("id"), int):
                raise LabelStudioError(f"Label Studio at {self.api.url} did not return the new project's id")
            return made["id"], True
        if any(found.get(k) != v for k, v in settings.items()):
            self.api.request("PATCH", f"/api/projects/{found['id']}", "update the project", json=settings)
        return found["id"], False

    def _import(self, inputs: Inputs, new: set[str], index: Index, result: PushResult) -> None:
        """Pass 2: the new tasks in batches; a batch whose answer was lost is checked before it is sent again."""
        batch: list[dict[str, Any]] = []
        expected = len(index.tasks)
        for task in inputs.tasks():
            if task["data"]["doc_id"] in new:
                batch.append(task)
                if len(batch) >= BATCH:
                    expected = self._send(batch, index, result, expected)
        if batch:
            self._send(batch, index, result, expected)

    def _send(self, batch: list[dict[str, Any]], index: Index, result: PushResult, expected: int) -> int:
        """One batch; when its answer is lost, the task count tells whether it landed before it is sent again."""
        n, path, what = len(batch), f"/api/projects/{index.project}/import", f"import {len(batch)} task(s)"
        ids: Any = None
        for attempt in range(self.api.attempts):
            try:
                answer = self.api.once_json("POST", path, what, params={"return_task_ids": "true"}, json=batch)
                ids = answer.get("task_ids") if isinstance(answer, dict) else None
                break
            except Transient as exc:
                wait = min(2.0**attempt, 10.0)
                if self.api.on_retry is not None:
                    self.api.on_retry(f"{exc}; checking whether the batch landed, then retrying in {wait:.0f} s")
                time.sleep(wait)
                now = self.api.count_tasks(index.project)
                if now == expected + n:  # it landed; only the answer was lost
                    break
                if now != expected:
                    raise LabelStudioError(
                        f"{exc}; the project now holds {now} tasks where {expected} or {expected + n} were expected "
                        "(someone else is importing?): run the same push again, it recounts and never duplicates"
                    ) from exc
        else:
            raise LabelStudioError(f"Label Studio at {self.api.url} kept failing to {what}; run the push again")
        if isinstance(ids, list) and len(ids) == n and all(isinstance(i, int) for i in ids):
            docs = [(t["data"]["doc_id"], t["data"][self.labels.controls.value]) for t in batch]
            index.imported(ids, docs, [len(t.get("annotations") or []) for t in batch])
        else:  # the ids were lost with the answer: list what landed
            index.refresh(self.api, self.labels.controls)
        index.save()
        result.created += n
        result.annotations_imported += sum(len(t.get("annotations") or []) for t in batch)
        result.predictions_imported += sum(len(t.get("predictions") or []) for t in batch)
        if self.progress is not None:
            self.progress(result.created, None)
        batch.clear()
        return expected + n

    def _existing(self, inputs: Inputs, later: dict[str, int], index: Index, result: PushResult) -> None:
        update_existing(self.api, self.labels, inputs.tasks(), later, index, result)


# -- tasks that exist already: a changed text, missing annotations, new predictions ----------

EXPORT_IDS = 200  # task ids per export request (they travel in the URL)


def update_existing(
    api: Api,
    labels: LabelSchema,
    tasks: Iterable[dict[str, Any]],
    later: dict[str, int],
    index: Index,
    result: PushResult,
) -> None:
    value = labels.controls.value
    annotated: dict[int, list[dict[str, Any]]] = {}
    predictions: list[tuple[int, dict[str, Any]]] = []
    for task in tasks:
        tid = later.get(task["data"]["doc_id"])
        if tid is None:
            continue
        info = index.tasks[tid]
        if info.text != text_hash(task["data"][value]):
            api.request("PATCH", f"/api/tasks/{tid}", f"update the text of task {tid}", json={"data": task["data"]})
            result.updated += 1
        else:
            result.unchanged += 1
        if task.get("annotations"):
            annotated[tid] = task["annotations"]
        preds = [p for p in task.get("predictions") or [] if isinstance(p, dict)]
        if preds and info.annotations:
            result.predictions_not_imported["task already annotated"] += len(preds)
        else:
            predictions += [(tid, p) for p in preds]
    if annotated:
        _add_missing_annotations(api, labels, annotated, index, result)
    if predictions:
        _add_missing_predictions(api, index.project, predictions, result)


def _add_missing_annotations(
    api: Api, labels: LabelSchema, wanted: dict[int, list[dict[str, Any]]], index: Index, result: PushResult
) -> None:
    """Annotations not yet on their task (compared by content, so a rerun never adds one twice)."""
    ids = sorted(wanted)
    with tempfile.TemporaryDirectory(prefix="toolkit-push-") as tmp:
        for start in range(0, len(ids), EXPORT_IDS):
            chunk = ids[start : start + EXPORT_IDS]
            export = api.export(index.project, Path(tmp) / "existing.json", chunk)
            for _, old in iter_records(export):
                if isinstance(old, dict) and old.get("id") in wanted:
                    result.annotations_imported += _add(api, labels, old, wanted[old["id"]])


def _add(api: Api, labels: LabelSchema, old: dict[str, Any], wanted: list[dict[str, Any]]) -> int:
    have, _ = task_to_document(old, controls=labels.controls)
    keys = {a.content_key() for a in have.annotations} if have else set()
    added = 0
    for ann in wanted:
        probe, _ = task_to_document(
            {"id": old["id"], "data": old["data"], "annotations": [ann]}, controls=labels.controls
        )
        if probe is not None and probe.annotations and probe.annotations[0].content_key() in keys:
            continue
        body = {"result": ann["result"], "ground_truth": bool(ann.get("ground_truth"))}
        # not retried blindly: a rerun compares contents and adds only what is missing
        api.request("POST", f"/api/tasks/{old['id']}/annotations/", f"add an annotation to task {old['id']}",
                    json=body, retry=False)  # fmt: skip
        added += 1
    return added


def _add_missing_predictions(
    api: Api, project: int, todo: list[tuple[int, dict[str, Any]]], result: PushResult
) -> None:
    """Pre-annotations for existing unannotated tasks, once per model_version; one listing, bulk imports."""
    listed = api.json("GET", "/api/predictions/", "list predictions", params={"project": project})
    items = listed.get("results") if isinstance(listed, dict) else listed
    have = {(p.get("task"), p.get("model_version")) for p in items or [] if isinstance(p, dict)}
    send = []
    for tid, pred in todo:
        if (tid, pred.get("model_version")) in have:
            result.predictions_not_imported["same model_version already there"] += 1
            continue
        send.append(
            {
                "task": tid,
                "result": pred["result"],
                "score": pred.get("score"),
                "model_version": pred.get("model_version"),
            }
        )
    for start in range(0, len(send), BATCH):
        chunk = send[start : start + BATCH]
        api.request("POST", f"/api/projects/{project}/import/predictions", f"import {len(chunk)} prediction(s)",
                    json=chunk, retry=False)  # fmt: skip
        result.predictions_imported += len(chunk)
