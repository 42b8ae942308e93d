"""Validated annotations -> a Hub-layout dataset folder (layout 2), in memory that does not grow
with the number of documents.

1. scan (all cores): every input validated and each document's rows put in a spill file, from one
   reading of each file; a small entry per document stays (`scan`). Any validation error refuses
   the build before anything is written;
2. splits: from the id, twins (same text up to whitespace) kept together;
3. write in id order, streamed: parquet shards (`shards`), `sources.jsonl`, charts, card, changelog;
4. the manifest is written inside the new folder, which then replaces the old one atomically.

All of it happens in a temporary sibling of the output, under a lock on the output's parent, and
leftovers of a killed build are cleaned up first (`Staging`). The same input gives the same bytes.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import IO, Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from .. import __version__
from ..errors import ToolkitError
from ..io.faults import checkpoint
from ..io.locks import exclusive, folder_lock
from ..io.writer import atomic_write_bytes, atomic_writer, dump_pretty, recover_dir, replace_dir, temp_dir_beside
from ..labelschema import LabelSchema
from ..validation import Report, ValidationFailed, validate_paths
from .card import SOURCES_FILE, front_matter, render_card
from .charts import AGREEMENT_PNG, LABELS_PNG, agreement_chart, label_chart
from .configs import CONFIGS, DEFAULT_CONFIG, DEFAULT_RATIOS, LAYOUT, SPLITS, features, split_of
from .forked import Child
from .manifest import annotations_commit, schema_summary
from .result import FEW, SHOWN, ExportResult
from .rows import RELATIONS_RULE
from .scan import Entry, Progress, Rows, Scan, file_chunks, scan
from .shards import ShardWriter

SPLIT_RULE = "int(sha256(doc_id)[:8], 16) / 2**32"
TWIN_RULE = "documents whose texts are equal after whitespace normalisation take the split of the smallest doc_id"


def document_features(labels: LabelSchema) -> Any:
    """The Features of the default config (what `load_dataset(folder)` gives)."""
    return features(DEFAULT_CONFIG, labels)


class Staging:
    """A temporary sibling of `out_dir` to build in, under the lock of `out_dir`'s parent.

    Entering removes what a killed build left (unfinished folders, or puts back a folder caught
    between two renames). `commit()` swaps the finished folder into place; leaving without it
    removes the temporary folder and leaves `out_dir` as it was.
    """

    def __init__(self, out_dir: Path, on_wait: Callable[[str], None] | None = None):
        self.out_dir = out_dir
        self._lock = exclusive(folder_lock(out_dir.parent), str(out_dir), on_wait)
        self.folder = self.scratch = out_dir

    def __enter__(self) -> Staging:
        self._lock.__enter__()
        try:
            recover_dir(self.out_dir)
            self.folder = temp_dir_beside(self.out_dir)
            self.scratch = temp_dir_beside(self.out_dir)  # spill files: never part of the output
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise
        return self

    def commit(self) -> None:
        checkpoint("before-swap")
        replace_dir(self.folder, self.out_dir)
        checkpoint("swapped")

    def __exit__(self, *exc: object) -> None:
        try:
            for tmp in (self.folder, self.scratch):
                if tmp != self.out_dir:
                    shutil.rmtree(tmp, ignore_errors=True)
        finally:
            self._lock.__exit__(None, None, None)


def validate_all(
    paths: list[Path], labels: LabelSchema, purpose: str, jobs: int | None = None, progress: Progress | None = None
) -> Report:
    """Every input validated before anything is built (folders of files split across cores); refuse on errors."""
    jobs = jobs or os.cpu_count() or 1
    chunks = file_chunks(paths, jobs)
    if jobs > 1 and len(chunks) > 1:
        report = Report()
        with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("fork")) as pool:
            for part in pool.map(_validate_chunk, chunks, [labels] * len(chunks)):
                report.merge(part)
                if progress is not None:
                    progress(report.checked, None)
    else:
        report = validate_paths(paths, labels, jobs=jobs, progress=progress)
    if report.errors:
        raise ValidationFailed(report, purpose)
    checkpoint("validated")
    return report


def _validate_chunk(files: list[Path], labels: LabelSchema) -> Report:
    report = validate_paths(files, labels, jobs=1)
    report.warnings = report.warnings[:SHOWN]
    return report


class Builder:
    """One layout-2 build into `stage.folder`: scan, then (after any version check) write and finish."""

    def __init__(
        self,
        paths: list[Path],
        labels: LabelSchema,
        stage: Staging,
        *,
        ratios: tuple[float, float, float] = DEFAULT_RATIOS,
        reviewers: frozenset[str] = frozenset(),
        jobs: int | None = None,
        progress: Progress | None = None,
    ):
        self.paths, self.labels, self.stage, self.ratios = paths, labels, stage, ratios
        self.reviewers, self.jobs, self.progress = reviewers, jobs, progress
        self.result = ExportResult(stage.out_dir, ratios=ratios)
        self.found = Scan(stage.scratch)
        self.splits: list[str] = []

    def scan(self, purpose: str) -> None:
        """Every input validated and every document's rows to the spill, in one pass (refusing on any
        error, before anything is written); entries sorted by id; splits assigned (twins together)."""
        self.found = scan(
            self.paths,
            self.labels,
            self.stage.scratch,
            reviewers=self.reviewers,
            jobs=self.jobs,
            purpose=purpose,
            progress=self._step,
        )
        checkpoint("validated")
        checkpoint("scanned")
        entries = self.found.entries
        entries.sort(key=lambda e: e.doc_id)
        for a, b in itertools.pairwise(entries):
            if a.doc_id == b.doc_id:
                raise ToolkitError(
                    f"document id {a.doc_id!r} occurs twice in the inputs ({', '.join(map(str, self.paths))}); "
                    "give each document once (an annotations/ folder, or one export, not both)"
                )
        self.splits, groups = assign_splits(entries, self.ratios)
        r, f = self.result, self.found
        r.twin_groups, r.twin_documents = len(groups), sum(groups.values())
        r.documents, r.methods, r.skipped, r.skipped_count = len(entries), f.methods, f.skipped, f.skipped_count
        r.entity_counts, r.relation_counts = f.entity_counts, f.relation_counts
        r.entities, r.relations = sum(f.entity_counts.values()), sum(f.relation_counts.values())
        r.multi_annotator = f.several
        r.doc_splits = [(e.doc_id, s) for e, s in zip(entries, self.splits, strict=True)] if len(entries) <= FEW else []

    def _step(self, done: int, total: int | None) -> None:
        if self.progress is not None:
            self.progress(done, 2 * total if total else None)

    def core(self, version: str | None) -> dict[str, Any]:
        """The manifest's content part: what the version check compares (no files yet)."""
        return {
            "name": self.labels.name,
            "version": version,
            "layout": LAYOUT,
            "toolkit_version": __version__,
            "label_schema": schema_summary(self.labels),
            "split_rule": {
                "hash": SPLIT_RULE,
                "ratios": dict(zip(SPLITS, self.ratios, strict=True)),
                "twins": TWIN_RULE,
            },
            "relations_rule": RELATIONS_RULE,
            "documents": {
                e.doc_id: {"fingerprint": e.fingerprint, "split": s}
                for e, s in zip(self.found.entries, self.splits, strict=True)
            },
            "entity_counts": dict(sorted(self.found.entity_counts.items())),
            "relation_counts": dict(sorted(self.found.relation_counts.items())),
        }

    def write(self, version: str | None, changelog: str) -> ExportResult:
        """Parquet, sources, charts, card and changelog into the staging folder."""
        from ..agreement.measure import measure_documents

        folder, r = self.stage.folder, self.result
        agreement = measure_documents(self.found.multi_documents(), self.labels, self.reviewers)
        agreement.single_annotator = self.found.annotated_by_one
        r.agreement = agreement
        self._rows(folder)
        charts = {"labels": LABELS_PNG}
        files = {LABELS_PNG: label_chart(self.labels.entity_names, self.labels.relation_names, r.per_split)}
        if agreement.documents:
            charts["agreement"] = AGREEMENT_PNG
            files[AGREEMENT_PNG] = agreement_chart(agreement)
        for name, data in files.items():
            atomic_write_bytes(folder / name, data)
        card = render_card(self.labels, r, version=version, changelog=changelog, charts=charts)
        atomic_write_bytes(folder / "README.md", f"---\n{front_matter(self.labels, r)}---\n\n{card}".encode())
        if changelog:
            atomic_write_bytes(folder / "CHANGELOG.md", changelog.encode())
        r.card = self.stage.out_dir / "README.md"
        return r

    def _rows(self, folder: Path) -> None:
        """Every document's rows, read back from the spill in id order, into the shard writers.

        `ner` and `relations` are written in a forked process beside this one (unless jobs=1),
        `documents` here, with sources.jsonl, the counts and the progress. Each config's writers see
        the same rows in the same order either way, so the bytes do not depend on it.
        """
        r, total = self.result, len(self.found.entries)
        parallel = (self.jobs or os.cpu_count() or 1) > 1
        side = Child(functools.partial(self._write_configs, folder, CONFIGS[1:])) if parallel else None
        try:
            with atomic_writer(folder / SOURCES_FILE) as sources:
                written = self._write_configs(folder, CONFIGS[:1], sources)
            written.update(side.result() if side is not None else self._write_configs(folder, CONFIGS[1:]))
        finally:
            if side is not None:
                side.stop()
        for config, split in itertools.product(CONFIGS, SPLITS):
            rows, nbytes, shards = written[(config, split)]
            r.split_counts.setdefault(config, {})[split] = rows
            r.split_bytes.setdefault(config, {})[split] = nbytes
            r.shards.setdefault(config, {})[split] = shards
        self._step(2 * total, total)

    def _write_configs(
        self, folder: Path, configs: tuple[str, ...], sources: IO[bytes] | None = None
    ) -> dict[tuple[str, str], tuple[int, int, int]]:
        """Some configs' parquet, every split; with `sources` (the `documents` pass) also sources.jsonl,
        the counts, misaligned spans and progress. Returns (rows, bytes, shards) per (config, split)."""
        schemas = {c: features(c, self.labels).arrow_schema for c in configs}
        weights = [CONFIGS.index(c) for c in configs]
        with ThreadPoolExecutor(max_workers=1) as pool:
            writers = {
                (c, s): ShardWriter(folder / c, s, schemas[c], pool, self._counter(s) if sources else None)
                for c in configs
                for s in SPLITS
            }
            try:
                with Rows(self.stage.scratch, schemas) as spill:
                    for n, (entry, split) in enumerate(zip(self.found.entries, self.splits, strict=True)):
                        batches, source, date = spill.of(entry)
                        for config, batch, at in zip(configs, batches, weights, strict=True):
                            writers[(config, split)].add(batch, entry.weight[at], (entry.spill, entry.offset))
                        if sources is not None:
                            line = {"id": entry.doc_id, "source": source, "date": date, "split": split}
                            sources.write(orjson.dumps(line) + b"\n")
                            self._document_done(n, entry)
                shards = {key: len(w.close()) for key, w in writers.items()}  # before reading the counts
                return {key: (w.rows, w.nbytes, shards[key]) for key, w in writers.items()}
            except BaseException:
                for w in writers.values():
                    w.abort()
                raise

    def _document_done(self, n: int, entry: Entry) -> None:
        self._misaligned(entry.doc_id, entry.misaligned)
        if n % 1000 == 0:
            checkpoint("rows")  # after the first document, then every thousand
            total = len(self.found.entries)
            self._step(total + n + 1, total)

    def _counter(self, split: str) -> Callable[[pa.Table], None]:
        """Counts of one split's documents, labels and sources, taken from each `documents` row group."""
        summary, sources = self.result.per_split[split], self.result.sources
        entity_names, relation_names = self.labels.entity_names, self.labels.relation_names

        def count(table: pa.Table) -> None:
            summary.documents += table.num_rows
            for column, names, counter in (
                ("entities", entity_names, summary.entities),
                ("relations", relation_names, summary.relations),
            ):
                labels = pc.struct_field(pc.list_flatten(table.column(column)), "label")
                for item in pc.value_counts(labels).to_pylist():
                    counter[names[item["values"]]] += item["counts"]
            for item in pc.value_counts(table.column("source").fill_null("(none)")).to_pylist():
                sources[item["values"]] += item["counts"]

        return count

    def _misaligned(self, doc_id: str, spans: tuple[Any, ...]) -> None:
        self.result.misaligned_count += len(spans)
        room = max(SHOWN - len(self.result.misaligned), 0)
        self.result.misaligned += [(doc_id, s, e, label) for s, e, label in spans[:room]]

    def finish(self, manifest: dict[str, Any]) -> dict[str, Any]:
        """Hash every file, write manifest.json inside the new folder (before it replaces the old one)."""
        folder = self.stage.folder
        self.result.files = file_hashes(folder)
        full = {
            **manifest,
            "annotations": annotations_commit(self.paths),
            "splits": self.result.split_counts,
            "misaligned_spans": self.result.misaligned_count,
            "twins": {"groups": self.result.twin_groups, "documents": self.result.twin_documents},
            "files": self.result.files,
        }
        atomic_write_bytes(folder / "manifest.json", dump_pretty(full))
        checkpoint("manifest")
        return full


def assign_splits(entries: list[Entry], ratios: tuple[float, float, float]) -> tuple[list[str], dict[bytes, int]]:
    """Each entry's split (entries sorted by id); twins take the split of the smallest id among them.

    Returns the splits and, per group of twins, its size. A document without a twin keeps the split
    its id alone gives, as in every earlier release.
    """
    sizes: dict[bytes, int] = {}
    for e in entries:
        sizes[e.key] = sizes.get(e.key, 0) + 1
    first: dict[bytes, str] = {}
    splits = []
    for e in entries:
        owner = first.setdefault(e.key, e.doc_id) if sizes[e.key] > 1 else e.doc_id
        splits.append(split_of(owner, ratios))
    return splits, {k: n for k, n in sizes.items() if n > 1}


def file_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file of the folder (but the manifest), read in blocks: shards can be 250 MB."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and p.name != "manifest.json":
            with p.open("rb") as fh:
                out[p.relative_to(folder).as_posix()] = hashlib.file_digest(fh, "sha256").hexdigest()
    return out


def export(
    paths: list[Path],
    out_dir: Path,
    labels: LabelSchema,
    ratios: tuple[float, float, float] = DEFAULT_RATIOS,
    *,
    reviewers: frozenset[str] = frozenset(),
    jobs: int | None = None,
    progress: Progress | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> ExportResult:
    """An unversioned build (no changelog, nothing recorded in releases/); `release` makes versioned ones."""
    with Staging(out_dir, on_wait) as stage:
        b = Builder(paths, labels, stage, ratios=ratios, reviewers=reviewers, jobs=jobs, progress=progress)
        b.scan("build the dataset")
        core = b.core(None)
        result = b.write(None, "")
        b.finish(core)
        stage.commit()
    return result
