"""Label Studio export files -> annotations/: what `pull` and `import` share.

Two passes over the export files, one record in memory at a time:
1. every task is checked (JSON Schema and the semantic checks); a task that cannot be read whole
   (a schema error, a control the config lacks, a JSON-MIN record) is reported and not written,
   so no annotation is ever half-written; semantic problems are counted, the data still saved;
2. under the folder's lock, each document is merged with its file (three-way, see `documents`)
   and the files are replaced in atomic batches, previous versions copied to the backups folder.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..ingest import content_id
from ..io.locks import exclusive, folder_lock, remove_stale_temporaries
from ..io.paths import is_safe_id
from ..io.reader import iter_records
from ..io.writer import dump_pretty, write_files
from ..labelschema import LabelSchema
from ..records import Document, Problem
from ..records.labelstudio import pseudonym, repair_utf16_offsets, task_to_document
from ..validation import JSON_MIN_MESSAGE, is_json_min, validate_paths
from .documents import WriteResult, document_file, load_document, merge

BATCH = 1000  # documents replaced per sync
STRUCTURAL = frozenset({"schema", "json-min", "label-config"})  # a task with these is not written
Progress = Callable[[int, int | None], None]


@dataclass
class IntakeResult(WriteResult):
    tasks: int = 0
    skipped_unannotated: int = 0
    offsets_repaired: int = 0
    unreadable: list[str] = field(default_factory=list)  # tasks not written, with the reason
    problems: int = 0  # validation problems in documents that were written
    stale_temporaries: int = 0
    renamed: list[str] = field(default_factory=list)  # ids that are not safe file names, and their files
    taken: set[int] = field(default_factory=set)  # Label Studio ids of the tasks now in annotations/


@dataclass
class Intake:
    """How incoming tasks become documents."""

    labels: LabelSchema
    emails: dict[int, str] = field(default_factory=dict)
    annotator: str | None = None  # every annotation's annotator (a name; pseudonymized here)
    repair_offsets: bool = False
    replace_local: bool = False


def take_in(
    exports: list[Path],
    intake: Intake,
    out_dir: Path,
    backup_dir: Path,
    *,
    progress: Progress | None = None,
    on_wait: Callable[[str], None] | None = None,
    observe: Callable[[dict[str, Any]], None] | None = None,
) -> IntakeResult:
    """Check every task of `exports`, then merge the good ones into `out_dir` (see the module doc).

    `observe` sees every task with an integer id, written or not, as pass 2 reads it (pull's task
    index), so the exports are parsed once less.
    """
    result = IntakeResult()
    skip = _check_all(exports, intake.labels, result)
    out_dir.mkdir(parents=True, exist_ok=True)
    with exclusive(folder_lock(out_dir), str(out_dir), on_wait):
        result.stale_temporaries = remove_stale_temporaries(out_dir)
        _write_all(exports, intake, out_dir, backup_dir / _stamp(), skip, result, progress, observe)
    return result


def _stamp() -> str:
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime())


def _records(exports: list[Path]) -> Iterator[tuple[str, Any]]:
    for path in exports:
        yield from iter_records(path)


def _check_all(exports: list[Path], labels: LabelSchema, result: IntakeResult) -> set[str]:
    """Pass 1 (on every core for big exports): the records that are not written, each reported once."""
    report = validate_paths(exports, labels)
    result.tasks = report.checked
    fatal: dict[str, list[Problem]] = {}
    for p in report.errors:
        if p.code in STRUCTURAL:
            fatal.setdefault(p.file, []).append(p)
        else:
            result.problems += 1
    for where, problems in fatal.items():
        p = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        result.unreadable.append(f"{where} ({p.task}) {p.path}: [{p.code}] {p.message}{more}")
    return set(fatal)


@dataclass
class _Pending:
    """A document merged and waiting for its batch: the file's bytes as read (None: no file yet)."""

    doc: Document
    ids: set[int]
    old: bytes | None


def _write_all(
    exports: list[Path],
    intake: Intake,
    out_dir: Path,
    backups: Path,
    skip: set[str],
    result: IntakeResult,
    progress: Progress | None,
    observe: Callable[[dict[str, Any]], None] | None,
) -> None:
    """Pass 2: merge each document with its file and write in atomic batches."""
    pending: dict[Path, _Pending] = {}
    todo = result.tasks - len(skip)
    done = 0
    for where, record in _records(exports):
        if observe is not None and isinstance(record, dict) and isinstance(record.get("id"), int):
            observe(record)
        if where in skip:
            continue
        if not (isinstance(record, dict) and record.get("annotations")):
            result.skipped_unannotated += 1
            continue
        _merge_one(record, where, intake, out_dir, pending, result)
        done += 1
        if len(pending) >= BATCH:
            _flush(pending, backups, result)
        if progress is not None:
            progress(done, todo)
    _flush(pending, backups, result)


def _merge_one(
    record: dict[str, Any],
    where: str,
    intake: Intake,
    out_dir: Path,
    pending: dict[Path, _Pending],
    result: IntakeResult,
) -> None:
    doc = _document(record, where, intake, result)
    path = document_file(out_dir, doc.doc_id)
    if not is_safe_id(doc.doc_id) and path not in pending:
        result.renamed.append(f"{where} ({_shown(doc.doc_id)}) -> {path.name}")
    waiting = pending.get(path)
    local, old = (waiting.doc, waiting.old) if waiting else load_document(path)
    merged = merge(local, doc, intake.replace_local, same_person=intake.annotator is not None)
    result.conflicts += merged.conflicts
    if merged.doc is None:
        return
    result.annotations_added += merged.added
    result.annotations_updated += merged.updated
    result.annotations_kept_local += merged.kept_local
    result.local_edits_kept += merged.edits_kept
    merged.doc.where = str(path)
    ids = waiting.ids if waiting else set()
    if isinstance(record.get("id"), int):
        ids.add(record["id"])
    pending[path] = _Pending(merged.doc, ids, old)


def _document(record: dict[str, Any], where: str, intake: Intake, result: IntakeResult) -> Document:
    doc, _ = task_to_document(record, where, intake.emails, intake.labels.controls)
    assert doc is not None  # pass 1 skipped records without a text
    data = record["data"]
    if not (isinstance(data.get("doc_id"), str | int) and str(data.get("doc_id"))):
        doc.doc_id = content_id(doc.text)  # the same text from several servers: one document
    if intake.annotator is not None:
        name = intake.annotator if intake.annotator.startswith("annotator-") else pseudonym(intake.annotator)
        for ann in doc.annotations:
            ann.annotator = name
    if intake.repair_offsets:
        result.offsets_repaired += repair_utf16_offsets(doc)
    _trim_span_texts(doc)
    return doc


def _trim_span_texts(doc: Document) -> None:
    """A span text padded with whitespace (offsets right: a `span-whitespace` warning) is stored as the slice."""
    for ann in doc.annotations:
        for e in ann.entities:
            if e.text is not None and 0 <= e.start <= e.end <= len(doc.text):
                piece = doc.text[e.start : e.end]
                if piece != e.text and piece and piece == piece.strip() == e.text.strip():
                    e.text = piece


def _flush(pending: dict[Path, _Pending], backups: Path, result: IntakeResult) -> None:
    """Write the batch; a file that changed is first copied to `backups`, an identical one is left alone."""
    writes: list[tuple[Path, bytes]] = []
    for path, item in pending.items():
        data = dump_pretty(item.doc.record())
        result.taken |= item.ids
        old = item.old if item.old is not None or not path.exists() else path.read_bytes()  # appeared meanwhile
        if old is not None:
            if old == data:
                result.files_unchanged += 1
                continue
            backup = backups / path.name
            backup.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, backup)
            result.backups.append(str(backup))
        writes.append((path, data))
    write_files(writes)
    result.files_written += len(writes)
    pending.clear()


def import_exports(
    exports: list[Path],
    intake: Intake,
    out_dir: Path,
    backup_dir: Path,
    *,
    progress: Progress | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> IntakeResult:
    """Label Studio exports made elsewhere -> annotations/, exactly as a pull would merge them.

    A JSON-MIN export is refused whole, before anything is written: it has lost the region ids,
    the relations and the annotators.
    """
    for path in exports:
        first = next(iter_records(path), None)
        if first is not None and isinstance(first[1], dict) and is_json_min(first[1], intake.labels):
            raise InputError(f"{first[0]}: {JSON_MIN_MESSAGE}")
        if first is None:
            raise InputError(f"{path}: holds no tasks; expected a Label Studio JSON export")
    return take_in(exports, intake, out_dir, backup_dir, progress=progress, on_wait=on_wait)


def _shown(doc_id: str, limit: int = 60) -> str:
    text = repr(doc_id)
    return text if len(text) <= limit else text[: limit - 1] + "…"
