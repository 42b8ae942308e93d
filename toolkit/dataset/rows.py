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
import itertools
from dataclasses import dataclass
from typing import Any

import orjson

from ..labelschema import NO_RELATION, LabelSchema
from ..records import Annotation, Document, Entity
from ..tokens import TOKEN, bio_by_edges
from .tokenized import Tok, Tokenized, tokenized

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
COLUMNS = {
    "documents": ("id", "text", "source", "date", "entities", "relations"),
    "ner": ("id", "doc_id", "tokens", "ner_tags", "token_offsets"),
    "relations": ("id", "doc_id", "text", "text_start", "entities", "pairs"),
}
Columns = dict[str, list[Any]]


@dataclass(frozen=True)
class Vocab:
    """Label schema lookups every document needs, built once per build."""

    entity: dict[str, int]
    relation: dict[str, int]  # the documents config: index into the schema's relation names
    relation_class: dict[str, int]  # the relations config: index into `relation_class_names()`
    tags: dict[str, int]
    bio: dict[str, tuple[int, int]]  # entity label -> its B- and I- tags
    typed: frozenset[tuple[str, str]]  # (head type, tail type) some relation allows
    symmetric: frozenset[str]

    @classmethod
    def of(cls, labels: LabelSchema) -> Vocab:
        return cls(
            entity={n: i for i, n in enumerate(labels.entity_names)},
            relation={n: i for i, n in enumerate(labels.relation_names)},
            relation_class={n: i for i, n in enumerate(labels.relation_class_names())},
            tags={t: i for i, t in enumerate(labels.ner_tags())},
            bio={n: (2 * i + 1, 2 * i + 2) for i, n in enumerate(labels.entity_names)},  # `ner_tags()` order
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


def bio(toks: list[Tok], spans: list[tuple[int, int, str]]) -> tuple[list[str], list[tuple[int, int, str]]]:
    """`tokens.bio_tags` on token tuples: the same rule, `tokens.bio_by_edges`."""
    return bio_by_edges([(t[1], t[2]) for t in toks], spans)


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


def ner_columns(
    doc_id: str, ents: list[Entity], t: Tokenized, vocab: Vocab, out: Columns
) -> list[tuple[int, int, str]]:
    """`ner_rows` on the parallel token lists: the same rows and spans refused (tests check both).

    A span is tagged in the one sentence holding its start, when it ends there too; tags are set on
    the document's tokens at once and sliced per sentence.
    """
    spans = [(e.start, e.end, e.label or "") for e in ents]
    if any(s >= e for s, e, _ in spans):  # not valid input: the plain rule decides
        return ner_rows(doc_id, ents, t.sentences(), [t.tokens(k) for k in range(len(t.cuts) - 1)], vocab, out)
    sents, starts, ends = t.sentences(), t.starts, t.ends
    sent_starts = [s for s, _ in sents]
    tags, bad = [0] * len(starts), set()
    inside = [sp for sp in spans if (k := bisect.bisect_right(sent_starts, sp[0]) - 1) >= 0 and sp[1] <= sents[k][1]]
    for start, end, label in sorted(inside):
        first, last = bisect.bisect_left(starts, start), bisect.bisect_left(ends, end)
        if first == len(starts) or starts[first] != start or ends[last] != end or any(tags[first : last + 1]):
            bad.add((start, end, label))
            continue
        b, i = vocab.bio[label]
        tags[first : last + 1] = [b] + [i] * (last - first)
    for si, (a, b) in enumerate(itertools.pairwise(t.cuts)):
        out["id"].append(f"{doc_id}-{si}")
        out["doc_id"].append(doc_id)
        out["tokens"].append(t.words[a:b])
        out["ner_tags"].append(tags[a:b])
        out["token_offsets"].append(t.starts[a:b])
    placed = {sp for sp in inside if sp not in bad}
    return [sp for sp in spans if sp not in placed]


def relation_rows(doc: Document, ents: list[Entity], ann: Annotation, t: Tokenized, vocab: Vocab, out: Columns) -> None:
    """One `relations` row per passage that has at least one pair (see the module docstring)."""
    sents = t.sentences()
    if not sents:
        return
    starts = [s for s, _ in sents]

    def sent(x: int) -> int:
        return max(bisect.bisect_right(starts, x) - 1, 0)

    where = [(sent(e.start), sent(max(e.end - 1, e.start))) for e in ents]
    index = {e.id: i for i, e in enumerate(ents)}
    annotated: set[tuple[int, int, int]] = set()
    for r in ann.relations:
        h, tail, label = index[r.head], index[r.tail], r.label or ""
        annotated.add((h, tail, vocab.relation_class[label]))
        if label in vocab.symmetric:
            annotated.add((tail, h, vocab.relation_class[label]))
    pairs = annotated | {(h, tail, 0) for h, tail in _negatives(doc.doc_id, ents, where, annotated, t, vocab)}
    runs = [*where, *((min(where[h][0], where[x][0]), max(where[h][1], where[x][1])) for h, x, _ in annotated)]
    for first, last in _merge(runs):
        members = [i for i, (a, _) in enumerate(where) if first <= a <= last]
        local = {i: k for k, i in enumerate(members)}
        mine = sorted((local[h], local[x], c) for h, x, c in pairs if h in local)
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
        out["pairs"].append([{"head": h, "tail": x, "label": c} for h, x, c in mine])


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
    t: Tokenized,
    vocab: Vocab,
) -> list[tuple[int, int]]:
    """Negative pairs by the documented rule: same sentence, type-compatible, close, capped per document.

    The gap of a pair is counted from the end of its first mention to the start of its second (mentions
    in text order). Mentions are sorted by start, so for a given first mention the gap only grows with
    the second: the inner loop stops at the first one too far away.
    """
    related = {(h, x) for h, x, _ in annotated}
    by_sentence: dict[int, list[int]] = {}
    for i, (a, b) in enumerate(where):
        if a == b:
            by_sentence.setdefault(a, []).append(i)
    labels, typed, starts = [e.label for e in ents], vocab.typed, t.starts
    candidates = []
    for k, members in by_sentence.items():
        lo, hi = t.cuts[k], t.cuts[k + 1]
        begins = [bisect.bisect_left(starts, ents[i].start, lo, hi) for i in members]
        gap_from = [bisect.bisect_left(starts, ents[i].end, lo, hi) for i in members]
        for x, a in enumerate(members):
            for y in range(x + 1, len(members)):
                if begins[y] - gap_from[x] > NEG_MAX_GAP:
                    break
                b = members[y]
                for h, tail in ((a, b), (b, a)):
                    if (h, tail) not in related and (labels[h], labels[tail]) in typed:
                        candidates.append((h, tail))
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
    t = tokenized(doc.text)
    out: dict[str, Any] = {c: empty_columns(c) for c in COLUMNS}
    row = document_row(doc, ents, ann, vocab)
    for c in COLUMNS["documents"]:
        out["documents"][c].append(row[c])
    out["misaligned"] = ner_columns(doc.doc_id, ents, t, vocab, out["ner"])
    relation_rows(doc, ents, ann, t, vocab, out["relations"])
    out["weight"] = weights(out)
    return out


def weights(out: dict[str, Columns]) -> tuple[int, int, int]:
    """About the Arrow bytes of a document's rows in each config, from the rows alone (row groups
    are cut by these sums, so they must not depend on which documents were processed together)."""
    docs, ner, rel = out["documents"], out["ner"], out["relations"]
    id_bytes = 2 * len(docs["id"][0]) + 16
    return (
        64 + id_bytes + len(docs["text"][0]) + 48 * len(docs["entities"][0]) + 12 * len(docs["relations"][0]),
        sum(id_bytes + 12 * len(tokens) + sum(map(len, tokens)) for tokens in ner["tokens"]),
        sum(id_bytes + len(text) for text in rel["text"])
        + sum(36 * len(ents) for ents in rel["entities"])
        + sum(12 * len(pairs) for pairs in rel["pairs"]),
    )
