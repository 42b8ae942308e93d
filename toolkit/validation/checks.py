"""The checks JSON Schema cannot express: offsets, span texts, relation endpoints and types, duplicates.

Every problem is collected (never the first only), each with a code, the task or document, a JSON
path and a message that says how to fix it. Spans are named by their text and label, as the
annotator sees them ("Pyongyang (GPE)"), never by region ids alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..labelschema import NO_RELATION, LabelSchema
from ..records import Annotation, Document, Entity, Problem, json_path, shown
from ..records.labelstudio import utf16_span

SHOWN = 40  # characters of a span's text quoted in a message


def describe(doc: Document, e: Entity) -> str:
    """A span as the annotator sees it: its text and label, e.g. `Pyongyang (GPE)`."""
    piece = doc.text[e.start : e.end] if 0 <= e.start <= e.end <= len(doc.text) else (e.text or "")
    piece = shown(" ".join(piece.split())) or repr(piece)
    if len(piece) > SHOWN:
        piece = piece[: SHOWN - 1] + "…"
    return f"{piece} ({e.label or 'no label'})"


def check_document(doc: Document, labels: LabelSchema, name: str | None = None) -> Iterator[Problem]:
    name = name or doc.doc_id
    for ann in doc.annotations:
        if ann.was_cancelled:
            yield Problem(
                "cancelled",
                name,
                json_path(ann.path),
                "annotation was cancelled (skipped) in Label Studio; it is counted and never exported",
                doc.where,
            )
            continue
        yield from _check_annotation(doc, ann, labels, name)


def _check_annotation(doc: Document, ann: Annotation, labels: LabelSchema, name: str) -> Iterator[Problem]:
    by_id: dict[str, Entity] = {}
    seen_spans: dict[tuple[int, int, str | None], Entity] = {}
    sorted_so_far, last_start = True, -1
    for e in ann.entities:
        if e.id in by_id:
            yield _problem(
                doc, name, "duplicate-entity", e, f"region id {e.id!r} is used twice; give each region its own id"
            )
        by_id[e.id] = e
        if e.start < 0 or e.start > e.end or e.end > len(doc.text):
            yield _problem(
                doc,
                name,
                "offset-range",
                e,
                f"span [{e.start}, {e.end}) {e.text!r} is outside the text (length {len(doc.text)} code points) or "
                "reversed; re-select the span in Label Studio",
            )
            continue
        if e.start < last_start:
            sorted_so_far = False
        last_start = e.start
        if e.start == e.end:
            yield _problem(doc, name, "zero-length", e, f"span at {e.start} is empty; delete the region")
        key = (e.start, e.end, e.label)
        if key in seen_spans:
            yield _problem(
                doc,
                name,
                "duplicate-entity",
                e,
                f"span {describe(doc, e)} at [{e.start}, {e.end}) is there twice (region "
                f"{seen_spans[key].id!r} too); delete one",
            )
        else:
            seen_spans[key] = e
        yield from _span_text(doc, e, name)
    yield from _overlaps(doc, ann.entities, sorted_so_far, name)
    yield from _check_relations(doc, ann, by_id, labels, name)


def _problem(doc: Document, name: str, code: str, item: Any, message: str) -> Problem:
    return Problem(code, name, json_path(item.path), message, doc.where)


def _span_text(doc: Document, e: Entity, name: str) -> Iterator[Problem]:
    piece = doc.text[e.start : e.end]
    if e.text is not None and piece != e.text:
        if piece and piece == piece.strip() == e.text.strip():  # offsets on the words, text padded
            yield _problem(
                doc,
                name,
                "span-whitespace",
                e,
                f"span text {e.text!r} differs from the document text at [{e.start}, {e.end}) {piece!r} only by "
                "surrounding whitespace; the offsets are kept (they point at the right words)",
            )
        else:
            yield _mismatch(doc, e, piece, name)
    elif piece and (piece[0].isspace() or piece[-1].isspace()):
        yield _problem(
            doc, name, "span-whitespace", e, f"span {piece!r} starts or ends with whitespace; shrink it to the word(s)"
        )


def _mismatch(doc: Document, e: Entity, piece: str, name: str) -> Problem:
    """A span whose text is not the code-point slice; tell UTF-16 offsets apart from changed text."""
    if e.text is not None and utf16_span(doc.text, doc.text.encode("utf-16-le"), e.start, e.end) == e.text:
        return _problem(
            doc,
            name,
            "utf16-offsets",
            e,
            f"span [{e.start}, {e.end}) counts UTF-16 units, not code points (text {e.text!r}); "
            "run `toolkit pull --repair-offsets` to convert the offsets",
        )
    return _problem(
        doc,
        name,
        "text-mismatch",
        e,
        f"span text {e.text!r} ({e.label}) differs from the document text at [{e.start}, {e.end}) {piece!r}; "
        "the task text changed after annotation or the offsets are wrong: re-annotate the span",
    )


def _check_relations(
    doc: Document, ann: Annotation, by_id: dict[str, Entity], labels: LabelSchema, name: str
) -> Iterator[Problem]:
    allowed, types = labels.allowed_triples, labels.relation_types
    seen_rel: set[tuple[str, str, str | None]] = set()
    by_pair: dict[tuple[str, str], set[str]] = {}
    for r in ann.relations:
        head, tail, label = r.head, r.tail, r.label
        h, t = by_id.get(head), by_id.get(tail)
        ends = f"{describe(doc, h) if h else head} → {describe(doc, t) if t else tail}"
        if label is None:
            yield _problem(
                doc, name, "relation-label", r, f"relation {ends} has no label; pick one of {labels.relation_names}"
            )
        if head == tail:
            yield _problem(
                doc, name, "self-relation", r, f"relation {label} links {ends}, a span to itself; link two spans"
            )
        if h is None or t is None:
            missing = [x for x, y in ((head, h), (tail, t)) if y is None]
            yield _problem(
                doc,
                name,
                "dangling-relation",
                r,
                f"relation {label} {ends} points at region(s) {missing} that are not entity spans of this "
                "annotation (a missing region, or a relation); delete the relation or restore the span",
            )
        rt = types.get(label) if label else None
        if r.symmetric and rt and not rt.symmetric:
            yield _problem(
                doc,
                name,
                "relation-direction",
                r,
                f"relation {label} {ends} is directed but marked bidirectional; set its direction from head to tail",
            )
        if rt and h is not None and t is not None and h.label and t.label and (label, h.label, t.label) not in allowed:
            yield _problem(
                doc,
                name,
                "relation-type",
                r,
                f"{label} cannot link {ends}; it allows {'|'.join(rt.head)} → {'|'.join(rt.tail)}: fix the span "
                "labels, reverse the relation or pick another label",
            )
        symmetric = bool(rt and rt.symmetric)
        rkey = (tail, head, label) if symmetric and tail < head else (head, tail, label)
        if rkey in seen_rel:
            yield _problem(doc, name, "duplicate-relation", r, f"relation {label} {ends} appears twice; delete one")
        seen_rel.add(rkey)
        if label is not None:
            pair = (min(head, tail), max(head, tail)) if symmetric else (head, tail)
            others = by_pair.setdefault(pair, set())
            if others - {label} and (labels.relation_choice == "single" or NO_RELATION in others | {label}):
                why = (
                    f"{NO_RELATION} cannot go with another label"
                    if NO_RELATION in others | {label} and labels.relation_choice == "multiple"
                    else "the label schema allows one label per relation (relation_choice single)"
                )
                yield _problem(
                    doc,
                    name,
                    "relation-multilabel",
                    r,
                    f"relation {ends} carries the labels {sorted(others | {label})}; {why}: keep one",
                )
            others.add(label)


def _overlaps(doc: Document, entities: list[Entity], is_sorted: bool, name: str) -> Iterator[Problem]:
    spans = entities if is_sorted else sorted(entities, key=_start_end)
    max_end = -1
    for i, e in enumerate(spans):
        if e.start < max_end and e.start < e.end:
            for a in spans[:i]:
                if a.end > e.start and a.start < a.end and a.label != e.label:
                    yield _problem(
                        doc,
                        name,
                        "overlap",
                        e,
                        f"span {describe(doc, e)} [{e.start}, {e.end}) overlaps {describe(doc, a)} [{a.start}, "
                        f"{a.end}); keep one label per piece of text unless nesting is intended",
                    )
        if e.end > max_end:
            max_end = e.end


def _start_end(e: Entity) -> tuple[int, int]:
    return e.start, e.end
