"""Pass one of a build: validated documents -> their rows in spill files, and a small index.

Documents arrive in file order, which is not id order (hashed file names, ids that sort unlike
their file names, exports in any order). So rows are written once to spill files, as Arrow record
batches of `GROUP` documents, and only a small entry per document stays in memory: its id, where
its rows are, a hash of its text (for twins) and its fingerprint. The writer then reads the rows
back in id order (`Rows`). Chunks of files are scanned by worker processes on every core; rows
are turned into Arrow there, so the writer only slices and concatenates.
"""

from __future__ import annotations

import gc
import os
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import IO, Any, NamedTuple

import orjson
import pyarrow as pa

from ..io.reader import expand
from ..labelschema import LabelSchema
from ..records import Document, canonical_to_document
from ..records.gold import choose_gold
from ..validation import Report, ValidationFailed, iter_documents
from ..validation.checker import Checker
from ..validation.run import INPUTS
from .configs import CONFIGS, features
from .manifest import document_fingerprint
from .rows import COLUMNS, Vocab, all_rows, text_key

CHUNK_FILES = (100, 1000)  # files per worker task (one spill file each, a progress step)
GROUP = 16  # documents per Arrow batch in the spill: cheap to build, cheap to read back out of order
CACHED_GROUPS = 64  # groups the writer keeps decoded (reading in id order mostly follows file order)
SHOWN = 10  # skipped documents named one by one; the rest are counted
Progress = Callable[[int, int | None], None]


class Entry(NamedTuple):
    """One exported document as the scan leaves it: small, no text, no rows."""

    doc_id: str
    spill: int  # spill file number
    offset: int  # where its group starts in the spill file
    sizes: tuple[int, ...]  # bytes of the group's batch per config
    spans: tuple[int, ...]  # (first row, rows) of this document in the group's batch, per config
    key: bytes  # `rows.text_key`: twins share it
    fingerprint: str
    misaligned: tuple[Any, ...]  # spans left out of `ner`
    weight: tuple[int, ...]  # about its rows' bytes per config (`rows.weights`): row group sizes count it


@dataclass
class Scan:
    """What the first pass found; everything here is small per document."""

    spill_dir: Path
    entries: list[Entry] = field(default_factory=list)
    multi: list[tuple[str, int, int, int]] = field(default_factory=list)  # several annotators: id, spill, off, len
    methods: Counter[str] = field(default_factory=Counter)  # how each document's gold was chosen
    entity_counts: Counter[str] = field(default_factory=Counter)
    relation_counts: Counter[str] = field(default_factory=Counter)
    annotators: Counter[str] = field(default_factory=Counter)  # pseudonym -> documents they annotated
    skipped: list[str] = field(default_factory=list)
    skipped_count: int = 0
    several: int = 0  # documents with more than one live annotation
    annotated_by_one: int = 0  # documents with one annotator (reviewers aside): no agreement to measure
    report: Report = field(default_factory=Report)

    def merge(self, other: Scan) -> None:
        self.entries += other.entries
        self.multi += other.multi
        for name in ("methods", "entity_counts", "relation_counts", "annotators"):
            getattr(self, name).update(getattr(other, name))
        self.skipped += other.skipped[: max(SHOWN - len(self.skipped), 0)]
        for name in ("skipped_count", "several", "annotated_by_one"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.report.merge(other.report)

    def multi_documents(self) -> Iterator[Document]:
        """Documents with several annotators, in id order (for agreement), read back from the spill."""
        with Rows(self.spill_dir, {}) as rows:
            for _, spill, offset, length in sorted(self.multi):
                doc = canonical_to_document(orjson.loads(rows.read(spill, offset, length)))
                if doc is not None:
                    yield doc


class Rows:
    """Reads documents' rows back from the spill, in any order, keeping `CACHED_GROUPS` groups decoded."""

    def __init__(self, spill_dir: Path, schemas: dict[str, pa.Schema]):
        self.spill_dir, self.schemas = spill_dir, schemas
        self._fds: dict[int, int] = {}
        self._groups: OrderedDict[tuple[int, int], tuple[list[pa.RecordBatch], list[Any], list[Any]]] = OrderedDict()

    def __enter__(self) -> Rows:
        return self

    def __exit__(self, *exc: object) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()

    def read(self, spill: int, offset: int, length: int) -> bytes:
        if spill not in self._fds:
            self._fds[spill] = os.open(self.spill_dir / f"{spill:06d}.bin", os.O_RDONLY)
        return os.pread(self._fds[spill], length, offset)

    def of(self, entry: Entry) -> tuple[list[pa.RecordBatch], str | None, str | None]:
        """One document's rows (a batch per config of `schemas`, in `CONFIGS` order), its source and its
        date (None unless `documents` is among the configs)."""
        key = (entry.spill, entry.offset)
        group = self._groups.get(key)
        if group is None:
            data = pa.py_buffer(self.read(entry.spill, entry.offset, sum(entry.sizes)))
            batches, at = [], 0
            for config, size in zip(CONFIGS, entry.sizes, strict=True):
                if config in self.schemas:
                    batches.append(pa.ipc.read_record_batch(data.slice(at, size), self.schemas[config]))
                at += size
            if "documents" in self.schemas:
                docs = batches[0]
                group = (batches, docs.column("source").to_pylist(), docs.column("date").to_pylist())
            else:
                group = (batches, [], [])
            self._groups[key] = group
            if len(self._groups) > CACHED_GROUPS:
                self._groups.popitem(last=False)
        else:
            self._groups.move_to_end(key)
        batches, sources, dates = group
        spans, firsts = entry.spans, [2 * i for i, c in enumerate(CONFIGS) if c in self.schemas]
        out = [b.slice(spans[i], spans[i + 1]) for i, b in zip(firsts, batches, strict=True)]
        return out, sources[spans[0]] if sources else None, dates[spans[0]] if dates else None


def scan(
    paths: list[Path],
    labels: LabelSchema,
    spill_dir: Path,
    *,
    reviewers: frozenset[str] = frozenset(),
    jobs: int | None = None,
    purpose: str = "build the dataset",
    progress: Progress | None = None,
) -> Scan:
    """Validate and scan every document; `ValidationFailed` (refusing to `purpose`) if any is invalid."""
    jobs = jobs or os.cpu_count() or 1
    chunks = file_chunks(paths, jobs)
    jobs = min(jobs, len(chunks))
    result = Scan(spill_dir)

    def merge(part: Scan) -> None:
        result.merge(part)
        if progress is not None:
            progress(len(result.entries) + result.skipped_count, None)

    if jobs <= 1:
        worker = _Worker(labels, spill_dir, reviewers)
        for k, chunk in enumerate(chunks):
            merge(worker.chunk(chunk, k))
    else:
        start = (labels, spill_dir, reviewers)
        with ProcessPoolExecutor(jobs, mp_context=get_context("fork"), initializer=_start, initargs=start) as pool:
            for fut in [pool.submit(_chunk, chunk, k) for k, chunk in enumerate(chunks)]:
                merge(fut.result())
    if result.report.errors:
        raise ValidationFailed(result.report, purpose)
    return result


def file_chunks(paths: list[Path], jobs: int) -> list[list[Path]]:
    """The input files in chunks for `jobs` processes: about 8 tasks per process, so that whichever
    finishes first takes the next and all end at about the same time, but at least `CHUNK_FILES[0]`
    files (a task's fixed costs stay small beside its work) and at most `CHUNK_FILES[1]` (a slow
    last task keeps the others waiting for little)."""
    files = list(expand(paths, "*.json", INPUTS))
    size = min(max(len(files) // (8 * jobs), CHUNK_FILES[0]), CHUNK_FILES[1])
    return [files[i : i + size] for i in range(0, len(files), size)]


class _Spill:
    """One worker's spill file: documents' rows gathered into groups, each written as Arrow batches."""

    def __init__(self, fh: IO[bytes], number: int, labels: LabelSchema):
        self.fh, self.number, self.offset = fh, number, 0
        self.schemas = [features(c, labels).arrow_schema for c in CONFIGS]
        self.pending: list[tuple[str, dict[str, Any], bytes, str]] = []

    def write_bytes(self, data: bytes) -> tuple[int, int]:
        self.fh.write(data)
        self.offset += len(data)
        return self.offset - len(data), len(data)

    def add(self, doc_id: str, rows: dict[str, Any], key: bytes, fingerprint: str, out: list[Entry]) -> None:
        self.pending.append((doc_id, rows, key, fingerprint))
        if len(self.pending) == GROUP:
            self.flush(out)

    def flush(self, out: list[Entry]) -> None:
        if not self.pending:
            return
        columns: dict[str, dict[str, list[Any]]] = {c: {name: [] for name in COLUMNS[c]} for c in CONFIGS}
        spans: list[list[int]] = []
        for _, rows, _, _ in self.pending:
            one = []
            for c in CONFIGS:
                one += [len(columns[c]["id"]), len(rows[c]["id"])]
                for name, values in rows[c].items():
                    columns[c][name] += values
            spans.append(one)
        parts = [
            pa.RecordBatch.from_pydict(columns[c], schema=s).serialize().to_pybytes()
            for c, s in zip(CONFIGS, self.schemas, strict=True)
        ]
        offset, _ = self.write_bytes(b"".join(parts))
        sizes = tuple(len(p) for p in parts)
        for (doc_id, rows, key, fingerprint), one in zip(self.pending, spans, strict=True):
            misaligned = tuple(tuple(m) for m in rows["misaligned"])
            e = Entry(doc_id, self.number, offset, sizes, tuple(one), key, fingerprint, misaligned, rows["weight"])
            out.append(e)
        self.pending = []


class _Worker:
    """What every scan task of one process shares, built once per process: the compiled JSON Schemas
    of the checker (about 0.1 s) and the label lookups."""

    def __init__(self, labels: LabelSchema, spill_dir: Path, reviewers: frozenset[str]):
        self.labels, self.spill_dir, self.reviewers = labels, spill_dir, reviewers
        self.checker, self.vocab = Checker(labels), Vocab.of(labels)

    def chunk(self, files: list[Path], number: int) -> Scan:
        """Scan some files into spill file `number`; garbage collection paused (rows hold no cycles,
        and collection passes over the many small objects of a document cost more than they free)."""
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._chunk(files, number)
        finally:
            if enabled:
                gc.enable()

    def _chunk(self, files: list[Path], number: int) -> Scan:
        out, vocab = Scan(self.spill_dir), self.vocab
        with open(self.spill_dir / f"{number:06d}.bin", "wb") as fh:
            spill = _Spill(fh, number, self.labels)
            for doc in iter_documents(files, self.labels, out.report, self.checker):
                gold = choose_gold(doc)
                out.methods[gold.method] += 1
                out.several += gold.candidates > 1
                people = {a.annotator for a in doc.live()}
                out.annotators.update(people)
                measured = len(people - self.reviewers)
                out.annotated_by_one += measured == 1
                if measured > 1:
                    out.multi.append((doc.doc_id, number, *spill.write_bytes(orjson.dumps(doc.record()))))
                ann = gold.annotation
                if ann is None:
                    out.skipped_count += 1
                    if len(out.skipped) < SHOWN:
                        out.skipped.append(f"{doc.doc_id}: {gold.reason}")
                    continue
                rows = all_rows(doc, ann, vocab)
                spill.add(doc.doc_id, rows, text_key(doc.text), document_fingerprint(doc, ann), out.entries)
                out.entity_counts.update(e.label for e in ann.entities if e.label)
                out.relation_counts.update(r.label for r in ann.relations if r.label)
            spill.flush(out.entries)
        out.report.warnings = []  # counted by validation already; not carried across processes
        return out


_WORKER: _Worker | None = None  # the scan worker process's own


def _start(labels: LabelSchema, spill_dir: Path, reviewers: frozenset[str]) -> None:
    global _WORKER
    _WORKER = _Worker(labels, spill_dir, reviewers)


def _chunk(files: list[Path], number: int) -> Scan:
    assert _WORKER is not None
    return _WORKER.chunk(files, number)
