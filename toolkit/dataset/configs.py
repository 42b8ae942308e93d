"""The dataset's configs: declared Features and rows for `documents`, `ner` and `relations`.

Features are declared from the label schema, never inferred. Rows are built from one gold
annotation per document; everything here is deterministic (sorted, no clocks, no randomness).
"""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass, field
from typing import Any

from datasets import ClassLabel, Features, List, Sequence, Value

from ..labelschema import LabelSchema
from ..records import Annotation, Document
from ..tokens import bio_tags, sentences, tokenize

CONFIGS = ("documents", "ner", "relations")
SPLITS = ("train", "validation", "test")
DEFAULT_RATIOS = (0.8, 0.1, 0.1)
NO_RELATION = "no_relation"


def split_of(doc_id: str, ratios: tuple[float, float, float] = DEFAULT_RATIOS) -> str:
    """The split from a hash of the id alone, so a document keeps its split in every release."""
    bucket = int(hashlib.sha256(doc_id.encode("utf-8")).hexdigest()[:8], 16) / 2**32
    edge = 0.0
    for name, ratio in zip(SPLITS, ratios, strict=True):
        edge += ratio
        if bucket < edge:
            return name
    return SPLITS[-1]


def _entity_struct(labels: LabelSchema) -> dict[str, Any]:
    return {
        "start": Value("int32"),
        "end": Value("int32"),
        "label": ClassLabel(names=labels.entity_names),
        "text": Value("string"),
    }


def features(config: str, labels: LabelSchema) -> Features:
    if config == "documents":
        return Features(
            {
                "id": Value("string"),
                "text": Value("string"),
                "source": Value("string"),
                "date": Value("string"),
                "entities": List({"id": Value("string"), **_entity_struct(labels)}),
                "relations": List(
                    {"head": Value("int32"), "tail": Value("int32"), "label": ClassLabel(names=labels.relation_names)}
                ),
            }
        )
    if config == "ner":
        # Sequence (not List) so that datasets 3.x readers see Sequence(ClassLabel), as the
        # transformers token-classification example expects (`ner_tags.feature.names`).
        return Features(
            {
                "id": Value("string"),
                "doc_id": Value("string"),
                "tokens": Sequence(Value("string")),
                "ner_tags": Sequence(ClassLabel(names=labels.ner_tags())),
                "token_offsets": Sequence(Value("int32")),
            }
        )
    if config == "relations":
        return Features(
            {
                "id": Value("string"),
                "doc_id": Value("string"),
                "text": Value("string"),
                "text_start": Value("int32"),
                "head": _entity_struct(labels),
                "tail": _entity_struct(labels),
                "label": ClassLabel(names=[NO_RELATION, *labels.relation_names]),
            }
        )
    raise ValueError(f"unknown config {config!r}; use one of {CONFIGS}")


@dataclass
class Rows:
    """Rows of every config for one document, plus what could not be represented."""

    documents: list[dict[str, Any]] = field(default_factory=list)
    ner: list[dict[str, Any]] = field(default_factory=list)
    relations: list[dict[str, Any]] = field(default_factory=list)
    misaligned: list[tuple[str, int, int, str]] = field(default_factory=list)  # doc, start, end, label


def document_rows(doc: Document, ann: Annotation, labels: LabelSchema, rows: Rows) -> None:
    ents = sorted(ann.entities, key=lambda e: (e.start, e.end, e.label or ""))
    index = {e.id: i for i, e in enumerate(ents)}
    ent_ids = {n: i for i, n in enumerate(labels.entity_names)}
    rel_ids = {n: i for i, n in enumerate(labels.relation_names)}
    rels = sorted(
        ({"head": index[r.head], "tail": index[r.tail], "label": rel_ids[r.label or ""]} for r in ann.relations),
        key=lambda r: (r["head"], r["tail"], r["label"]),
    )
    rows.documents.append(
        {
            "id": doc.doc_id,
            "text": doc.text,
            "source": doc.meta.get("source"),
            "date": doc.meta.get("date"),
            "entities": [
                {"id": e.id, "start": e.start, "end": e.end, "label": ent_ids[e.label or ""], "text": e.text}
                for e in ents
            ],
            "relations": rels,
        }
    )
    sents = sentences(doc.text)
    _ner_rows(doc, ents, sents, labels, rows)
    _relation_rows(doc, ents, ann, sents, labels, rows)


def _ner_rows(doc: Document, ents: list[Any], sents: list[tuple[int, int]], labels: LabelSchema, rows: Rows) -> None:
    tag_ids = {t: i for i, t in enumerate(labels.ner_tags())}
    spans = [(e.start, e.end, e.label) for e in ents]
    placed: set[tuple[int, int, str]] = set()
    for si, (s, e) in enumerate(sents):
        toks = tokenize(doc.text, s, e)
        inside = [sp for sp in spans if s <= sp[0] and sp[1] <= e]
        tags, bad = bio_tags(toks, inside)
        placed.update(sp for sp in inside if sp not in bad)
        rows.ner.append(
            {
                "id": f"{doc.doc_id}-{si}",
                "doc_id": doc.doc_id,
                "tokens": [t.text for t in toks],
                "ner_tags": [tag_ids[t] for t in tags],
                "token_offsets": [t.start for t in toks],
            }
        )
    rows.misaligned += [(doc.doc_id, *sp) for sp in spans if sp not in placed]


def _relation_rows(
    doc: Document, ents: list[Any], ann: Annotation, sents: list[tuple[int, int]], labels: LabelSchema, rows: Rows
) -> None:
    """Every ordered pair of mentions within a sentence, plus every annotated pair across sentences."""
    rel_ids = {n: i + 1 for i, n in enumerate(labels.relation_names)}
    ent_ids = {n: i for i, n in enumerate(labels.entity_names)}
    starts = [s for s, _ in sents]
    sent_of = [max(bisect.bisect_right(starts, x.start) - 1, 0) for x in ents]
    gold: dict[tuple[int, int], int] = {}
    index = {e.id: i for i, e in enumerate(ents)}
    for r in ann.relations:
        h, t = index[r.head], index[r.tail]
        gold[(h, t)] = rel_ids[r.label or ""]
        if labels.is_symmetric(r.label or ""):
            gold[(t, h)] = rel_ids[r.label or ""]
    pairs = {
        (h, t)
        for h in range(len(ents))
        for t in range(len(ents))
        if h != t and sent_of[h] == sent_of[t] and sent_of[h] >= 0
    } | set(gold)
    for h, t in sorted(pairs):
        first, last = sorted((sent_of[h], sent_of[t]))
        cs, ce = sents[first][0], sents[last][1]

        def span(x: Any, cs: int = cs) -> dict[str, Any]:
            return {"start": x.start - cs, "end": x.end - cs, "label": ent_ids[x.label], "text": x.text}

        rows.relations.append(
            {
                "id": f"{doc.doc_id}-{ents[h].id}-{ents[t].id}",
                "doc_id": doc.doc_id,
                "text": doc.text[cs:ce],
                "text_start": cs,
                "head": span(ents[h]),
                "tail": span(ents[t]),
                "label": gold.get((h, t), 0),
            }
        )
