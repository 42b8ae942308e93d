"""Rows of every config for one document (layout 2), from its gold annotation.

No pyarrow and no datasets here: the build's worker processes need only this. Rows come out as
columns (config -> column -> values) so the writer can append them without per-row dicts.

The `relations` config has one row per *passage*: a sentence, or the run of sentences that an
annotated relation spans (overlapping runs merged), holding its mentions once and its candidate
pairs as indexes into them. Pairs are every annotated relation (symmetric ones in both directions)
and the negatives chosen by the rule in `RELATIONS_RULE`, so a sentence with 30 mentions costs its
text once and a bounded number of pairs, not 870 rows each repeating it.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from dataclasses import dataclass
from typing import Any, cast

import orjson

from ..labelschema import NO_RELATION, LabelSchema
from ..records import Annotation, Document, Entity
from ..tokens import CLOSERS, TOKEN, Token, _ends_sentence

NEG_MAX_GAP = 20  # at most this many tokens between the two mentions of a negative pair
NEG_PER_ANNOTATED = 3  # negatives per annotated pair of the document ...
NEG_MIN = 10  # ... but at least this many, when there are that many candidates
RELATIONS_RULE = {
    "row": "passage: a sentence, or the sentences an annotated relation spans (overlapping runs merged)",
    "positives": "every annotated relation; symmetric relations in both directions",
    "negative_candidates": (
        "ordered pairs of different mentions inside one sentence, with no annotated relation from the first "
        "to the second, whose entity types some relation of the label schema allows as head and tail, and at "
        f"most {NEG_MAX_GAP} tokens apart"
    ),
    "negatives_per_document": f"at most max({NEG_MIN}, {NEG_PER_ANNOTATED} x annotated pairs)",
    "negative_choice": "when there are more candidates, those with the smallest sha256 of the JSON [doc_id, head id, "
    "tail id]",
}
_MAY_END = frozenset(".!?" + CLOSERS)  # tokens after which `tokens._ends_sentence` can be true
_TWO_BREAKS = re.compile(r"\n\s*?\n")  # ... or gaps holding two line breaks
COLUMNS = {
    "documents": ("id", "text", "source", "date", "entities", "relations"),
    "ner": ("id", "doc_id", "tokens", "ner_tags", "token_offsets"),
    "relations": ("id", "doc_id", "text", "text_start", "entities", "pairs"),
}
Columns = dict[str, list[Any]]


Tok = tuple[str, int, int]  # a token: text, start, end (`tokens.Token` costs twice as much to build)


@dataclass(frozen=True)
class Vocab:
    """Label schema lookups every document needs, built once per build."""

    entity: dict[str, int]
    relation: dict[str, int]  # the documents config: index into the schema's relation names
    relation_class: dict[str, int]  # the relations config: index into `relation_class_names()`
    tags: dict[str, int]
    typed: frozenset[tuple[str, str]]  # (head type, tail type) some relation allows
    symmetric: frozenset[str]

    @classmethod
    def of(cls, labels: LabelSchema) -> Vocab:
        return cls(
            entity={n: i for i, n in enumerate(labels.entity_names)},
            relation={n: i for i, n in enumerate(labels.relation_names)},
            relation_class={n: i for i, n in enumerate(labels.relation_class_names())},
            tags={t: i for i, t in enumerate(labels.ner_tags())},
            typed=frozenset((h, t) for name, h, t in labels.allowed_triples if name != NO_RELATION),
            symmetric=frozenset(n for n in labels.relation_names if labels.is_symmetric(n)),
        )


def empty_columns(config: str) -> Columns:
    return {c: [] for c in COLUMNS[config]}


def sorted_entities(ann: Annotation) -> list[Entity]:
    return sorted(ann.entities, key=lambda e: (e.start, e.end, e.label or ""))


def document_row(doc: Document, ents: list[Entity], ann: Annotation, vocab: Vocab) -> dict[str, Any]:
    """The `documents` row: the article with its spans and relations (indexes into the spans)."""
    index = {e.id: i for i, e in enumerate(ents)}
    rels = sorted(
        ({"head": index[r.head], "tail": index[r.tail], "label": vocab.relation[r.label or ""]} for r in ann.relations),
        key=lambda r: (r["head"], r["tail"], r["label"]),
    )
    return {
        "id": doc.doc_id,
        "text": doc.text,
        "source": doc.meta.get("source"),
        "date": doc.meta.get("date"),
        "entities": [
            {"id": e.id, "start": e.start, "end": e.end, "label": vocab.entity[e.label or ""], "text": e.text}
            for e in ents
        ],
        "relations": rels,
    }


def sentence_tokens(text: str, sents: list[tuple[int, int]]) -> list[list[Tok]]:
    """Tokens of each sentence: exactly `tokens.tokenize(text, start, end)`, as plain tuples."""
    return [[(m.group(), m.start(), m.end()) for m in TOKEN.finditer(text, s, e)] for s, e in sents]


class _TokenView:
    """Tuples as `tokens.Token`, built only for the few indexes `_ends_sentence` reads."""

    __slots__ = ("items",)

    def __init__(self, items: list[Tok]):
        self.items = items

    def __getitem__(self, i: int) -> Token:
        return Token(*self.items[i])


def split_sentences(text: str) -> tuple[list[tuple[int, int]], list[list[Tok]]]:
    """`tokens.sentences(text)` and each sentence's tokens (`tokenize(text, start, end)`), from one pass.

    `tokens.sentences` builds a Token per word and asks its rule (`_ends_sentence`) after every
    token; the rule can only say yes after `.`, `!`, `?`, a closing quote or bracket, or before a gap
    holding two line breaks, so it is asked only there, on plain tuples. The same spans and tokens
    (tests/test_export.py checks it on generated texts) in a third of the time: most of an export's
    work is this.
    """
    toks = [(m.group(), m.start(), m.end()) for m in TOKEN.finditer(text)]
    if not toks:
        return [], []
    last = len(toks) - 1
    ask = {i for i, t in enumerate(toks) if t[0] in _MAY_END}
    if "\n" in text:
        ends = [t[2] for t in toks]
        ask.update(bisect.bisect_right(ends, m.start()) - 1 for m in _TWO_BREAKS.finditer(text))
    view = cast(list[Token], _TokenView(toks))
    sents, per_sentence, first = [], [], 0
    for i in sorted(i for i in ask if 0 <= i < last):
        if _ends_sentence(text, view, i):
            sents.append((toks[first][1], toks[i][2]))
            per_sentence.append(toks[first : i + 1])
            first = i + 1
    sents.append((toks[first][1], toks[last][2]))
    per_sentence.append(toks[first:])
    return sents, per_sentence


def bio(toks: list[Tok], spans: list[tuple[int, int, str]]) -> tuple[list[str], list[tuple[int, int, str]]]:
    """`tokens.bio_tags` on token tuples: the same tags and the same spans refused (tests check both)."""
    tags = ["O"] * len(toks)
    starts = {t[1]: i for i, t in enumerate(toks)}
    ends = {t[2]: i for i, t in enumerate(toks)}
    misaligned = []
    for start, end, label in sorted(spans):
        first, last = starts.get(start), ends.get(end)
        if first is None or last is None or any(tags[k] != "O" for k in range(first, last + 1)):
            misaligned.append((start, end, label))
            continue
        tags[first] = f"B-{label}"
        for k in range(first + 1, last + 1):
            tags[k] = f"I-{label}"
    return tags, misaligned


def ner_rows(
    doc_id: str, ents: list[Entity], sents: list[tuple[int, int]], toks: list[list[Tok]], vocab: Vocab, out: Columns
) -> list[tuple[int, int, str]]:
    """One `ner` row per sentence (BIO tags); returns the spans that could not be tagged."""
    spans = [(e.start, e.end, e.label or "") for e in ents]
    placed: set[tuple[int, int, str]] = set()
    for si, ((s, e), sent_toks) in enumerate(zip(sents, toks, strict=True)):
        inside = [sp for sp in spans if s <= sp[0] and sp[1] <= e]
        tags, bad = bio(sent_toks, inside) if inside else (["O"] * len(sent_toks), [])
        placed.update(sp for sp in inside if sp not in bad)
        out["id"].append(f"{doc_id}-{si}")
        out["doc_id"].append(doc_id)
        out["tokens"].append([t[0] for t in sent_toks])
        out["ner_tags"].append([vocab.tags[t] for t in tags])
        out["token_offsets"].append([t[1] for t in sent_toks])
    return [sp for sp in spans if sp not in placed]


def relation_rows(
    doc: Document,
    ents: list[Entity],
    ann: Annotation,
    sents: list[tuple[int, int]],
    toks: list[list[Tok]],
    vocab: Vocab,
    out: Columns,
) -> None:
    """One `relations` row per passage that has at least one pair (see the module docstring)."""
    if not sents:
        return
    starts = [s for s, _ in sents]

    def sent(x: int) -> int:
        return max(bisect.bisect_right(starts, x) - 1, 0)

    where = [(sent(e.start), sent(max(e.end - 1, e.start))) for e in ents]
    index = {e.id: i for i, e in enumerate(ents)}
    annotated: set[tuple[int, int, int]] = set()
    for r in ann.relations:
        h, t, label = index[r.head], index[r.tail], r.label or ""
        annotated.add((h, t, vocab.relation_class[label]))
        if label in vocab.symmetric:
            annotated.add((t, h, vocab.relation_class[label]))
    pairs = annotated | {(h, t, 0) for h, t in _negatives(doc.doc_id, ents, where, annotated, toks, vocab)}
    runs = [*where, *((min(where[h][0], where[t][0]), max(where[h][1], where[t][1])) for h, t, _ in annotated)]
    for first, last in _merge(runs):
        members = [i for i, (a, _) in enumerate(where) if first <= a <= last]
        local = {i: k for k, i in enumerate(members)}
        mine = sorted((local[h], local[t], c) for h, t, c in pairs if h in local)
        if not mine:
            continue
        cs, ce = sents[first][0], sents[last][1]
        out["id"].append(f"{doc.doc_id}-{first}")
        out["doc_id"].append(doc.doc_id)
        out["text"].append(doc.text[cs:ce])
        out["text_start"].append(cs)
        out["entities"].append(
            [
                {"start": e.start - cs, "end": e.end - cs, "label": vocab.entity[e.label or ""], "text": e.text}
                for e in (ents[i] for i in members)
            ]
        )
        out["pairs"].append([{"head": h, "tail": t, "label": c} for h, t, c in mine])


def _merge(runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for a, b in sorted(runs):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _negatives(
    doc_id: str,
    ents: list[Entity],
    where: list[tuple[int, int]],
    annotated: set[tuple[int, int, int]],
    toks: list[list[Tok]],
    vocab: Vocab,
) -> list[tuple[int, int]]:
    """Negative pairs by the documented rule: same sentence, type-compatible, close, capped per document."""
    related = {(h, t) for h, t, _ in annotated}
    by_sentence: dict[int, list[int]] = {}
    for i, (a, b) in enumerate(where):
        if a == b:
            by_sentence.setdefault(a, []).append(i)
    candidates = []
    for k, members in by_sentence.items():
        tok_starts = [t[1] for t in toks[k]]
        for h in members:
            for t in members:
                if h == t or (h, t) in related or (ents[h].label, ents[t].label) not in vocab.typed:
                    continue
                first, second = ents[min(h, t)], ents[max(h, t)]
                gap = bisect.bisect_left(tok_starts, second.start) - bisect.bisect_left(tok_starts, first.end)
                if gap <= NEG_MAX_GAP:
                    candidates.append((h, t))
    cap = max(NEG_MIN, NEG_PER_ANNOTATED * len(annotated))
    if len(candidates) > cap:
        candidates.sort(key=lambda p: hashlib.sha256(orjson.dumps([doc_id, ents[p[0]].id, ents[p[1]].id])).digest())
        candidates = candidates[:cap]
    return candidates


def text_key(text: str) -> bytes:
    """Identity of a text up to whitespace: twins (the same article twice) share it."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8", "surrogatepass")).digest()[:16]


def all_rows(doc: Document, ann: Annotation, vocab: Vocab) -> dict[str, Any]:
    """Every config's rows of one document, and its spans that could not be tagged (`misaligned`)."""
    ents = sorted_entities(ann)
    sents, toks = split_sentences(doc.text)
    out: dict[str, Any] = {c: empty_columns(c) for c in COLUMNS}
    row = document_row(doc, ents, ann, vocab)
    for c in COLUMNS["documents"]:
        out["documents"][c].append(row[c])
    out["misaligned"] = ner_rows(doc.doc_id, ents, sents, toks, vocab, out["ner"])
    relation_rows(doc, ents, ann, sents, toks, vocab, out["relations"])
    return out
