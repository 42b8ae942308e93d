"""`toolkit stats`: what the annotations (or a built dataset) hold, per split and label, who annotated
how much, agreement, and how much is left in Label Studio.

For annotations the splits are the ones an export would make (twins kept together). Counting
needs a few numbers per document, never its text or rows; chunks of files are read by worker
processes on every core. Label Studio is asked only for two counts (tasks, and tasks with an
annotation), never once per task.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq

from ..agreement.measure import AgreementResult, measure_documents
from ..errors import InputError
from ..io.reader import load_json
from ..labelschema import LabelSchema
from ..labelstudio.api import Api, number_above
from ..records import canonical_to_document
from ..records.gold import choose_gold
from ..validation import Report, iter_documents
from .build import assign_splits
from .configs import DEFAULT_RATIOS, SPLITS
from .result import SplitSummary
from .rows import text_key
from .scan import Entry, Progress, file_chunks


@dataclass
class LabelStudioCounts:
    project: str
    found: bool
    tasks: int = 0
    annotated: int = 0  # tasks with at least one annotation

    @property
    def remaining(self) -> int:
        return self.tasks - self.annotated


@dataclass
class Stats:
    what: str  # "annotations" or "dataset"
    path: str
    per_split: dict[str, SplitSummary] = field(default_factory=lambda: {s: SplitSummary() for s in SPLITS})
    records: int = 0  # records read (annotations only)
    invalid: int = 0  # records with validation errors, left out
    skipped: int = 0  # valid documents an export leaves out (no usable annotation)
    methods: Counter[str] = field(default_factory=Counter)  # how each document's gold is chosen
    annotators: Counter[str] = field(default_factory=Counter)  # pseudonym -> documents with a live annotation
    twin_groups: int = 0
    agreement: AgreementResult | None = None
    version: str | None = None  # dataset only
    layout: int | None = None  # dataset only
    label_studio: LabelStudioCounts | None = None
    label_studio_note: str = ""  # why there are no Label Studio counts
    entity_names: list[str] = field(default_factory=list)  # the order labels are shown in
    relation_names: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        plain = ("what", "path", "records", "invalid", "skipped", "twin_groups", "version", "layout")
        out: dict[str, Any] = {name: getattr(self, name) for name in plain}
        out["per_split"] = {
            s: {
                "documents": p.documents,
                "entities": {n: p.entities[n] for n in self.entity_names},
                "relations": {n: p.relations[n] for n in self.relation_names},
            }
            for s, p in self.per_split.items()
        }
        out["methods"], out["annotators"] = dict(self.methods), dict(self.annotators)
        ls = self.label_studio
        out["label_studio"] = {**asdict(ls), "remaining": ls.remaining} if ls else {"note": self.label_studio_note}
        out["agreement"] = _agreement_summary(self.agreement) if self.agreement else None
        return out


def _agreement_summary(a: AgreementResult) -> dict[str, Any]:
    e, r = a.entities[0], a.relations[0]
    return {
        "documents": a.documents,
        "single_annotator": a.single_annotator,
        "annotators": a.annotators,
        "entity_f1_exact_pooled": e.exact.pooled,
        "entity_f1_lenient_pooled": e.lenient.pooled,
        "relation_f1_exact_pooled": r.exact.pooled,
        "cohen_kappa_mean": a.cohen_mean,
        "entity_f1_exact_pooled_by_label": {s.label: s.exact.pooled for s in a.entities[1:]},
    }


Counts = tuple[str, bytes, tuple[int, ...], tuple[int, ...]]  # doc id, text key, entity counts, relation counts


def annotation_stats(
    paths: list[Path],
    labels: LabelSchema,
    ratios: tuple[float, float, float] = DEFAULT_RATIOS,
    reviewers: frozenset[str] = frozenset(),
    jobs: int | None = None,
    progress: Progress | None = None,
) -> Stats:
    """Counts over annotations (anything `toolkit validate` reads); invalid records are counted, left out."""
    jobs = jobs or os.cpu_count() or 1
    chunks = file_chunks(paths, jobs)
    parts: list[_Part] = []
    if jobs > 1 and len(chunks) > 1:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("fork")) as pool:
            for part in pool.map(_count_chunk, chunks, [labels] * len(chunks), [reviewers] * len(chunks)):
                parts.append(part)
                _tick(progress, parts)
    else:
        for chunk in chunks:
            parts.append(_count_chunk(chunk, labels, reviewers))
            _tick(progress, parts)
    out = Stats("annotations", ", ".join(map(str, paths)))
    out.entity_names, out.relation_names = list(labels.entity_names), list(labels.relation_names)
    docs: list[Counts] = []
    multi: list[bytes] = []
    for part in parts:
        docs += part.docs
        multi += part.multi
        out.records += part.records
        out.invalid += part.invalid
        out.skipped += part.skipped
        out.methods.update(part.methods)
        out.annotators.update(part.annotators)
    docs.sort(key=lambda d: d[0])
    entries = [Entry(d[0], 0, 0, (), (), d[1], "", (), ()) for d in docs]
    splits, groups = assign_splits(entries, ratios)
    out.twin_groups = len(groups)
    for (_, _, ents, rels), split in zip(docs, splits, strict=True):
        p = out.per_split[split]
        p.documents += 1
        p.entities.update({n: c for n, c in zip(labels.entity_names, ents, strict=True) if c})
        p.relations.update({n: c for n, c in zip(labels.relation_names, rels, strict=True) if c})
    multi.sort()
    documents = (canonical_to_document(orjson.loads(m)) for m in multi)
    out.agreement = measure_documents((d for d in documents if d is not None), labels, reviewers)
    out.agreement.single_annotator = sum(p.single for p in parts)
    return out


def _tick(progress: Progress | None, parts: list[_Part]) -> None:
    if progress is not None:
        progress(sum(p.records for p in parts), None)


@dataclass
class _Part:
    docs: list[Counts] = field(default_factory=list)
    multi: list[bytes] = field(default_factory=list)  # documents several people annotated (for agreement)
    records: int = 0
    invalid: int = 0
    skipped: int = 0
    single: int = 0
    methods: Counter[str] = field(default_factory=Counter)
    annotators: Counter[str] = field(default_factory=Counter)


def _count_chunk(files: list[Path], labels: LabelSchema, reviewers: frozenset[str]) -> _Part:
    part = _Part()
    report = Report()
    ent_index = {n: i for i, n in enumerate(labels.entity_names)}
    rel_index = {n: i for i, n in enumerate(labels.relation_names)}
    for doc in iter_documents(files, labels, report):
        gold = choose_gold(doc)
        part.methods[gold.method] += 1
        people = {a.annotator for a in doc.live()}
        part.annotators.update(people)
        measured = len(people - reviewers)
        part.single += measured == 1
        if measured > 1:
            part.multi.append(orjson.dumps(doc.record()))
        ann = gold.annotation
        if ann is None:
            part.skipped += 1
            continue
        ents, rels = [0] * len(ent_index), [0] * len(rel_index)
        for e in ann.entities:
            ents[ent_index[e.label or ""]] += 1
        for r in ann.relations:
            rels[rel_index[r.label or ""]] += 1
        part.docs.append((doc.doc_id, text_key(doc.text), tuple(ents), tuple(rels)))
    part.records = report.checked
    part.invalid = len({p.task for p in report.errors})
    return part


def is_dataset(path: Path) -> bool:
    return (path / "manifest.json").is_file() or ((path / "README.md").is_file() and (path / "documents").is_dir())


def dataset_stats(folder: Path) -> Stats:
    """Counts of a built dataset folder, read from its `documents` parquet files (column by column)."""
    from datasets import Features

    out = Stats("dataset", str(folder))
    if (folder / "manifest.json").is_file():
        manifest = load_json(folder / "manifest.json")
        out.version, out.layout = manifest.get("version"), manifest.get("layout", 1)
    files = sorted((folder / "documents").glob("*.parquet"))
    if not files:
        raise InputError(f"{folder}: no documents/*.parquet; give a folder made by `toolkit export` or `release`")
    for path in files:
        split = path.name.split("-")[0]
        pf = pq.ParquetFile(path)
        feats = Features.from_arrow_schema(pf.schema_arrow)
        names = {
            "entities": feats["entities"].feature["label"].names,
            "relations": feats["relations"].feature["label"].names,
        }
        out.entity_names, out.relation_names = list(names["entities"]), list(names["relations"])
        p = out.per_split.setdefault(split, SplitSummary())
        for batch in pf.iter_batches(columns=["entities", "relations"]):
            p.documents += batch.num_rows
            for column in ("entities", "relations"):
                counter = p.entities if column == "entities" else p.relations
                for items in batch.column(column).to_pylist():
                    counter.update(names[column][x["label"]] for x in items)
    return out


def label_studio_counts(api: Api, title: str) -> LabelStudioCounts:
    """Tasks and annotated tasks of the project: two cheap counting requests."""
    project = api.find_project(title)
    if project is None:
        return LabelStudioCounts(title, False)
    pid = project["id"]
    return LabelStudioCounts(
        title, True, api.count_tasks(pid), api.count_tasks(pid, [number_above("total_annotations", 0)])
    )


def add_label_studio(stats: Stats, api: Callable[[], Api] | None, title: str) -> None:
    """Label Studio counts when a connection is configured (`api`), else a note saying it was not asked."""
    from ..errors import LabelStudioError

    if api is None:
        stats.label_studio_note = "not asked: no Label Studio connection (LABEL_STUDIO_URL, LABEL_STUDIO_API_KEY)"
        return
    try:
        with api() as client:
            stats.label_studio = label_studio_counts(client, title)
    except LabelStudioError as exc:
        stats.label_studio_note = f"could not be asked: {exc}"


def text(s: Stats) -> str:
    """The report for a terminal: splits, Label Studio, annotators, labels per split, agreement."""
    lines = [f"{s.what}: {s.path}"]
    if s.what == "dataset":
        lines.append(
            f"release v{s.version} (layout {s.layout})" if s.version else f"unversioned build (layout {s.layout})"
        )
    else:
        lines.append(
            f"{s.records} record(s) read, {s.invalid} with validation errors left out (`toolkit validate` lists them), "
            f"{s.skipped} without a usable annotation"
        )
    lines += [
        "",
        _table(
            ["split", "documents", "entities", "relations"],
            [
                [name, str(p.documents), str(sum(p.entities.values())), str(sum(p.relations.values()))]
                for name, p in s.per_split.items()
            ],
        ),
    ]
    if s.twin_groups:
        lines.append(f"{s.twin_groups} group(s) of documents with the same text, each kept in one split")
    lines += ["", _label_studio(s)]
    if s.what == "annotations":
        lines += ["", f"annotators ({len(s.annotators)}), documents with a live annotation of theirs:"]
        lines += [f"  {name}  {n}" for name, n in sorted(s.annotators.items(), key=lambda kv: (-kv[1], kv[0]))]
        lines += ["annotation exported per document: " + ", ".join(f"{m} {n}" for m, n in sorted(s.methods.items()))]
        if s.methods.get("latest"):
            lines.append(
                f"  {s.methods['latest']} take the most recent of several annotations: run `toolkit adjudicate`"
            )
    lines += ["", "labels per split:", _labels(s), "", _agreement(s)]
    return "\n".join(lines) + "\n"


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    fmt = [(lambda c, w: c.ljust(w)) if i == 0 else (lambda c, w: c.rjust(w)) for i in range(len(header))]
    return "\n".join(
        "  ".join(f(c, w) for f, c, w in zip(fmt, r, widths, strict=True)).rstrip() for r in [header, *rows]
    )


def _label_studio(s: Stats) -> str:
    ls = s.label_studio
    if ls is None:
        return f"Label Studio: {s.label_studio_note or 'not asked'}"
    if not ls.found:
        return f"Label Studio: no project titled {ls.project!r}"
    return (
        f"Label Studio project {ls.project!r}: {ls.tasks} task(s), {ls.annotated} annotated, {ls.remaining} remaining"
    )


def _labels(s: Stats) -> str:
    splits = list(s.per_split)
    rows = []
    for kind, attr, names in (("entity", "entities", s.entity_names), ("relation", "relations", s.relation_names)):
        rows += [[n, kind, *(str(getattr(s.per_split[x], attr)[n]) for x in splits)] for n in names]
    return _table(["label", "kind", *splits], rows) if rows else "(no labels)"


def _agreement(s: Stats) -> str:
    a = s.agreement
    if a is None:
        return "agreement: not measured here (a release card holds its figures)"
    if not a.documents:
        return f"agreement: no document has two or more annotators ({a.single_annotator} with one): nothing to compare"
    e, r = a.entities[0], a.relations[0]

    def num(x: float | None) -> str:
        return "-" if x is None else f"{x:.3f}"

    return (
        f"agreement over {a.documents} document(s), {len(a.annotators)} annotators: entity F1 exact "
        f"{num(e.exact.pooled)} (lenient {num(e.lenient.pooled)}), relation F1 exact {num(r.exact.pooled)}, Cohen's "
        f"kappa mean {num(a.cohen_mean)}; `toolkit agreement` has the details"
    )
