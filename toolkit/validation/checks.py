"""The checks JSON Schema cannot express: offsets, span texts, relation endpoints and types, duplicates.

Every problem is collected (never the first only), each with a code, the task or document,
a JSON path and a message that says how to fix it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..labelschema import LabelSchema
from ..records import Annotation, Document, Problem, json_path
from ..records.labelstudio import utf16_span


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
    text, where = doc.text, doc.where
    n = len(text)
    by_id: dict[str, Any] = {}
    seen_spans: dict[tuple[int, int, str | None], str] = {}
    sorted_so_far, last_start = True, -1
    for e in ann.entities:
        eid, start, end = e.id, e.start, e.end
        if eid in by_id:
            yield Problem(
                "duplicate-entity",
                name,
                json_path(e.path),
                f"region id {eid!r} is used twice; give each region its own id",
                where,
            )
        by_id[eid] = e
        if start > end or end > n:
            yield Problem(
                "offset-range",
                name,
                json_path(e.path),
                f"span [{start}, {end}) is outside the text (length {n} code points) or reversed; "
                "re-select the span in Label Studio",
                where,
            )
            continue
        if start < last_start:
            sorted_so_far = False
        last_start = start
        if start == end:
            yield Problem("zero-length", name, json_path(e.path), f"span at {start} is empty; delete the region", where)
        key = (start, end, e.label)
        if key in seen_spans:
            yield Problem(
                "duplicate-entity",
                name,
                json_path(e.path),
                f"span [{start}, {end}) {e.label} duplicates region {seen_spans[key]!r}; delete one",
                where,
            )
        else:
            seen_spans[key] = eid
        piece = text[start:end]
        if e.text is not None and piece != e.text:
            yield _mismatch(doc, e, piece, name)
        elif piece and (piece[0].isspace() or piece[-1].isspace()):
            yield Problem(
                "span-whitespace",
                name,
                json_path(e.path),
                f"span {piece!r} starts or ends with whitespace; shrink it to the word(s)",
                where,
            )
    yield from _overlaps(ann.entities, sorted_so_far, name, where)
    yield from _check_relations(ann, by_id, labels, name, where)


def _mismatch(doc: Document, e: Any, piece: str, name: str) -> Problem:
    """A span whose text is not the code-point slice; tell UTF-16 offsets apart from changed text."""
    if utf16_span(doc.text, doc.text.encode("utf-16-le"), e.start, e.end) == e.text:
        return Problem(
            "utf16-offsets",
            name,
            json_path(e.path),
            f"span [{e.start}, {e.end}) counts UTF-16 units, not code points (text {e.text!r}); "
            "run `toolkit pull --repair-offsets` to convert the offsets",
            doc.where,
        )
    return Problem(
        "text-mismatch",
        name,
        json_path(e.path),
        f"span text {e.text!r} differs from the document text at [{e.start}, {e.end}) {piece!r}; "
        "the task text changed after annotation or the offsets are wrong: re-annotate the span",
        doc.where,
    )


def _check_relations(
    ann: Annotation, by_id: dict[str, Any], labels: LabelSchema, name: str, where: str
) -> Iterator[Problem]:
    allowed, types = labels.allowed_triples, labels.relation_types
    seen_rel: set[tuple[str, str, str | None]] = set()
    for r in ann.relations:
        head, tail, label = r.head, r.tail, r.label
        if label is None:
            yield Problem(
                "relation-label",
                name,
                json_path(r.path),
                f"relation {head} -> {tail} has no label; pick one of {labels.relation_names}",
                where,
            )
        if head == tail:
            yield Problem(
                "self-relation",
                name,
                json_path(r.path),
                f"relation {label} links region {head!r} to itself; delete it or link two different spans",
                where,
            )
        h, t = by_id.get(head), by_id.get(tail)
        if h is None or t is None:
            missing = [x for x, y in ((head, h), (tail, t)) if y is None]
            yield Problem(
                "dangling-relation",
                name,
                json_path(r.path),
                f"relation {label} points at region(s) {missing} that are not entity spans of this "
                "annotation (a missing region, or a relation); delete the relation or restore the span",
                where,
            )
        rt = types.get(label) if label else None
        if r.symmetric and rt and not rt.symmetric:
            yield Problem(
                "relation-direction",
                name,
                json_path(r.path),
                f"relation {label} is directed but marked bidirectional; set its direction from head to tail",
                where,
            )
        if rt and h is not None and t is not None and h.label and t.label and (label, h.label, t.label) not in allowed:
            yield Problem(
                "relation-type",
                name,
                json_path(r.path),
                f"{label} cannot link {h.label} -> {t.label}; it allows {'|'.join(rt.head)} -> "
                f"{'|'.join(rt.tail)}: fix the span labels, reverse the relation or pick another label",
                where,
            )
        rkey = (tail, head, label) if rt and rt.symmetric and tail < head else (head, tail, label)
        if rkey in seen_rel:
            yield Problem(
                "duplicate-relation",
                name,
                json_path(r.path),
                f"relation {label} {head} -> {tail} appears twice; delete one",
                where,
            )
        seen_rel.add(rkey)


def _overlaps(entities: list[Any], is_sorted: bool, name: str, where: str) -> Iterator[Problem]:
    spans = entities if is_sorted else sorted(entities, key=_start_end)
    max_end = -1
    for i, e in enumerate(spans):
        if e.start < max_end and e.start < e.end:
            for a in spans[:i]:
                if a.end > e.start and a.start < a.end and a.label != e.label:
                    yield Problem(
                        "overlap",
                        name,
                        json_path(e.path),
                        f"span [{e.start}, {e.end}) {e.label} overlaps [{a.start}, {a.end}) {a.label}; "
                        "keep one label per piece of text unless nesting is intended",
                        where,
                    )
        if e.end > max_end:
            max_end = e.end


def _start_end(e: Any) -> tuple[int, int]:
    return e.start, e.end
