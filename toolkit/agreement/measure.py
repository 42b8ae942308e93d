"""Inter-annotator agreement on entities, relations and token-level BIO tags.

Label Studio Community computes none of this, and no open tool reports agreement on relations.
F1 between two annotators is 2·|A∩B| / (|A|+|B|): it does not depend on who is the reference.
Over several annotators two aggregates are reported: `pooled` sums matches and sizes over every
annotator pair on every document; `pair_mean` is the mean of each pair's own F1 (pooled over the
documents that pair shares).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from statistics import fmean
from typing import Any

from ..labelschema import LabelSchema
from ..records import Annotation, Document
from ..records.gold import latest_by_annotator
from ..tokens import bio_tags, tokenize
from ..validation import load_documents
from .compare import Items, annotation_items, pair_counts

POOLED = "2·Σ|A∩B| / Σ(|A|+|B|) over every annotator pair on every document"
PAIR_MEAN = "mean over annotator pairs of each pair's F1 (pooled over the documents the pair shares)"


# -- kappa ------------------------------------------------------------------------------------


def cohen_kappa(confusion: Counter[tuple[str, str]]) -> float | None:
    """Cohen's kappa from (tag_a, tag_b) counts; None when chance agreement is total (kappa undefined)."""
    n = sum(confusion.values())
    if not n:
        return None
    row: Counter[str] = Counter()
    col: Counter[str] = Counter()
    for (x, y), c in confusion.items():
        row[x] += c
        col[y] += c
    observed = sum(c for (x, y), c in confusion.items() if x == y) / n
    expected = sum(row[k] * col[k] for k in row) / (n * n)
    return None if expected >= 1 else (observed - expected) / (1 - expected)


@dataclass
class FleissTally:
    """Running sums for Fleiss' kappa over items (tokens) that each have the same number of raters."""

    raters: int
    items: int = 0
    agreement_sum: float = 0.0
    categories: Counter[str] = field(default_factory=Counter)
    documents: int = 0

    def add(self, ratings: Sequence[str]) -> None:
        counts = Counter(ratings)
        n = self.raters
        self.items += 1
        self.agreement_sum += (sum(c * c for c in counts.values()) - n) / (n * (n - 1))
        self.categories.update(counts)

    def kappa(self) -> float | None:
        if not self.items:
            return None
        total = self.items * self.raters
        expected = sum((c / total) ** 2 for c in self.categories.values())
        observed = self.agreement_sum / self.items
        return None if expected >= 1 else (observed - expected) / (1 - expected)


# -- results ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Score:
    """An F1 figure with the counts behind it."""

    pooled: float | None  # POOLED
    pair_mean: float | None  # PAIR_MEAN
    agreed: int  # Σ|A∩B|
    marked: int  # Σ(|A|+|B|)
    documents: int
    pairs: int


@dataclass(frozen=True, slots=True)
class LabelScore:
    label: str  # "(all)" for the micro figure over every label
    exact: Score
    lenient: Score


@dataclass(frozen=True, slots=True)
class PairKappa:
    annotators: tuple[str, str]
    kappa: float | None
    documents: int
    tokens: int


@dataclass(frozen=True, slots=True)
class FleissKappa:
    raters: int
    kappa: float | None
    documents: int
    tokens: int


@dataclass(frozen=True, slots=True)
class DocumentAgreement:
    doc_id: str
    annotators: list[str]
    entity_f1: float | None  # exact, pooled over the document's annotator pairs
    entity_lenient_f1: float | None
    relation_f1: float | None
    relation_lenient_f1: float | None
    kappa: float | None  # mean Cohen's kappa over the document's pairs
    disputed: int  # entities + relations (exact) that not every annotator marked
    disagreement: float  # 1 - exact F1 over entities and relations together


@dataclass
class AgreementResult:
    documents: int  # documents with two or more annotators: the ones measured
    single_annotator: int  # documents with one live annotation: nothing to compare
    annotators: list[str]
    pairs: int  # distinct annotator pairs that share at least one document
    entities: list[LabelScore]  # "(all)" first, then labels in schema order
    relations: list[LabelScore]
    cohen: list[PairKappa]
    cohen_mean: float | None
    fleiss: list[FleissKappa]
    by_document: list[DocumentAgreement]  # most disagreement first
    misaligned_spans: int  # spans off token edges (or nested), left out of the BIO tags
    excluded: list[str] = field(default_factory=list)  # reviewers: their annotations resolve, not measure
    skipped: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return {"definitions": {"pooled": POOLED, "pair_mean": PAIR_MEAN}, **asdict(self)}


# -- computation ------------------------------------------------------------------------------

Tally = dict[tuple[str, str], dict[tuple[str, str], list[int]]]  # (measure, label) -> pair -> [agreed, marked, docs]


class _Accumulator:
    def __init__(self, labels: LabelSchema):
        self.labels = labels
        self.tally: Tally = defaultdict(lambda: defaultdict(lambda: [0, 0]))
        self.docs: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.confusion: dict[tuple[str, str], Counter[tuple[str, str]]] = defaultdict(Counter)
        self.kappa_docs: Counter[tuple[str, str]] = Counter()
        self.fleiss: dict[int, FleissTally] = {}
        self.annotators: set[str] = set()
        self.misaligned = 0

    def document(self, doc: Document, anns: dict[str, Annotation]) -> DocumentAgreement:
        names = sorted(anns)
        self.annotators.update(names)
        items = {a: annotation_items(anns[a], self.labels) for a in names}
        doc_sums: Counter[str] = Counter()
        for pair in combinations(names, 2):
            for measure, label, agreed, marked in pair_counts(items[pair[0]], items[pair[1]], self.labels):
                cell = self.tally[(measure, label)][pair]
                cell[0] += agreed
                cell[1] += marked
                if marked:
                    self.docs[(measure, label)].add(doc.doc_id)
                doc_sums[measure + ":a"] += agreed
                doc_sums[measure + ":m"] += marked
        kappas = self._tags(doc, names, anns)
        return _document_row(doc.doc_id, names, items, doc_sums, kappas)

    def _tags(self, doc: Document, names: list[str], anns: dict[str, Annotation]) -> list[float | None]:
        tokens = tokenize(doc.text)
        tags = {}
        for a in names:
            tags[a], misaligned = bio_tags(tokens, [(e.start, e.end, e.label or "") for e in anns[a].entities])
            self.misaligned += len(misaligned)
        kappas = []
        for pair in combinations(names, 2):
            one = Counter(zip(tags[pair[0]], tags[pair[1]], strict=True))
            self.confusion[pair].update(one)
            self.kappa_docs[pair] += 1
            kappas.append(cohen_kappa(one))
        if len(names) >= 3:
            tally = self.fleiss.setdefault(len(names), FleissTally(len(names)))
            tally.documents += 1
            for column in zip(*(tags[a] for a in names), strict=True):
                tally.add(column)
        return kappas


def _f1(agreed: int, marked: int) -> float | None:
    return 2 * agreed / marked if marked else None


def _document_row(
    doc_id: str, names: list[str], items: dict[str, Items], sums: Counter[str], kappas: list[float | None]
) -> DocumentAgreement:
    sets = [set(items[a].entities) | set(items[a].relations) for a in names]
    union: set[Any] = set().union(*sets)
    everyone = set.intersection(*sets)
    both = _f1(sums["entity_exact:a"] + sums["relation_exact:a"], sums["entity_exact:m"] + sums["relation_exact:m"])
    known = [k for k in kappas if k is not None]
    return DocumentAgreement(
        doc_id=doc_id,
        annotators=names,
        entity_f1=_f1(sums["entity_exact:a"], sums["entity_exact:m"]),
        entity_lenient_f1=_f1(sums["entity_lenient:a"], sums["entity_lenient:m"]),
        relation_f1=_f1(sums["relation_exact:a"], sums["relation_exact:m"]),
        relation_lenient_f1=_f1(sums["relation_lenient:a"], sums["relation_lenient:m"]),
        kappa=fmean(known) if known else None,
        disputed=len(union - everyone),
        disagreement=1.0 - (both if both is not None else 1.0),
    )


def _score(acc: _Accumulator, measure: str, label_set: Iterable[str]) -> Score:
    per_pair: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    docs: set[str] = set()
    for label in label_set:
        for pair, (agreed, marked) in acc.tally.get((measure, label), {}).items():
            per_pair[pair][0] += agreed
            per_pair[pair][1] += marked
        docs |= acc.docs.get((measure, label), set())
    used = {p: v for p, v in per_pair.items() if v[1]}
    agreed, marked = sum(v[0] for v in used.values()), sum(v[1] for v in used.values())
    pair_f1 = [2 * v[0] / v[1] for v in used.values()]
    return Score(_f1(agreed, marked), fmean(pair_f1) if pair_f1 else None, agreed, marked, len(docs), len(used))


def _label_scores(acc: _Accumulator, kind: str, names: list[str]) -> list[LabelScore]:
    used = [n for n in names if (f"{kind}_exact", n) in acc.tally]
    rows = [LabelScore("(all)", _score(acc, f"{kind}_exact", names), _score(acc, f"{kind}_lenient", names))]
    rows += [LabelScore(n, _score(acc, f"{kind}_exact", [n]), _score(acc, f"{kind}_lenient", [n])) for n in used]
    return rows


def measure_documents(docs: Iterable[Document], labels: LabelSchema, exclude: Collection[str] = ()) -> AgreementResult:
    """Agreement over every document with two or more annotators (pure: no files, no server).

    Annotators in `exclude` (reviewers, who resolve disagreements rather than annotate) are left out.
    """
    acc = _Accumulator(labels)
    rows, single = [], 0
    for doc in docs:
        anns = {a: ann for a, ann in latest_by_annotator(doc).items() if a not in exclude}
        if len(anns) >= 2:
            rows.append(acc.document(doc, anns))
        elif anns:
            single += 1
    cohen = [
        PairKappa(pair, cohen_kappa(conf), acc.kappa_docs[pair], sum(conf.values()))
        for pair, conf in sorted(acc.confusion.items())
    ]
    known = [k.kappa for k in cohen if k.kappa is not None]
    return AgreementResult(
        documents=len(rows),
        single_annotator=single,
        annotators=sorted(acc.annotators),
        pairs=len(acc.confusion),
        entities=_label_scores(acc, "entity", labels.entity_names),
        relations=_label_scores(acc, "relation", labels.relation_names),
        cohen=cohen,
        cohen_mean=fmean(known) if known else None,
        fleiss=[FleissKappa(n, t.kappa(), t.documents, t.items) for n, t in sorted(acc.fleiss.items())],
        by_document=sorted(rows, key=lambda r: (-r.disagreement, -r.disputed, r.doc_id)),
        misaligned_spans=acc.misaligned,
        excluded=sorted(exclude),
    )


def agreement(paths: Iterable[Path], labels: LabelSchema, exclude: Collection[str] = ()) -> AgreementResult:
    """Agreement over the same inputs `toolkit validate` takes; records with validation errors are left out."""
    docs, report = load_documents(paths, labels)
    result = measure_documents(docs, labels, exclude)
    names = sorted({p.task for p in report.errors})
    if names:
        result.skipped.append(
            f"{len(names)} record(s) with validation errors left out ({', '.join(names[:5])}"
            f"{', ...' if len(names) > 5 else ''}); run `toolkit validate` to see them"
        )
    return result
