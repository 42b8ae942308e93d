"""Deciding one document: several annotations -> the one gold annotation that export and release use.

A ground-truth annotation (marked in Label Studio) or one made by a configured reviewer wins.
Otherwise items are voted on: spans and relations a majority marked are kept and the rest are
conflicts that hold the document back (policy `review`), unless the policy says to keep only the
majority, everything (`union`) or only what everyone marked (`intersection`). The result is
written beside the annotations as the document's `adjudicated` key; no annotation is changed.
A voted gold that breaks the label schema (validation errors) is held back under every policy.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ..agreement.compare import EntityItem, Items, RelationItem, annotation_items, overlaps
from ..labelschema import LabelSchema
from ..records import Annotation, Document, Entity, Relation
from ..records.gold import gold_annotation, inputs_fingerprint, latest, latest_by_annotator
from ..validation import WARNING_CODES, check_document
from .config import AdjudicationConfig


@dataclass(frozen=True, slots=True)
class Conflict:
    """One disputed item and who said what about that stretch of text."""

    kind: str  # entity | relation | check
    item: str
    reason: str
    votes: dict[str, str]

    def record(self) -> dict[str, Any]:
        return {"kind": self.kind, "item": self.item, "reason": self.reason, "votes": dict(self.votes)}


@dataclass
class Decision:
    doc_id: str
    policy: str
    method: str  # ground_truth | reviewer | one of POLICIES
    decided_by: str | None
    sources: list[str]
    inputs: str
    entities: list[Entity]
    relations: list[Relation]
    conflicts: list[Conflict]
    annotators: list[str]
    doc: Document | None = field(default=None, repr=False)

    @property
    def status(self) -> str:
        return "conflicts" if self.conflicts else "resolved"

    def record(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "method": self.method,
            "status": self.status,
            "decided_by": self.decided_by,
            "sources": self.sources,
            "inputs": self.inputs,
            "entities": [e.record() for e in self.entities],
            "relations": [r.record() for r in self.relations],
            "conflicts": [c.record() for c in self.conflicts],
        }

    def annotation(self) -> Annotation:
        return gold_annotation(self.record())


# -- deciding one document ----------------------------------------------------------------------


def decide(doc: Document, labels: LabelSchema, config: AdjudicationConfig) -> Decision | None:
    """The gold of one document, or None when fewer than two people annotated it (nothing to adjudicate)."""
    anns = latest_by_annotator(doc)
    if len(anns) < 2:
        return None
    names = sorted(anns)
    inputs = inputs_fingerprint(doc)
    live = doc.live()
    for method, pool in (
        ("ground_truth", [a for a in live if a.ground_truth]),
        ("reviewer", [a for a in live if a.annotator in config.reviewers]),
    ):
        win = latest(pool)
        if win is not None:
            ents = [Entity(e.id, e.start, e.end, e.label, e.text) for e in win.entities]
            rels = [Relation(r.head, r.tail, r.label, r.symmetric) for r in win.relations]
            return Decision(
                doc.doc_id, config.policy, method, win.annotator, [win.id], inputs, ents, rels, [], names, doc
            )
    ents, rels, conflicts = vote(doc, anns, labels, config.policy)
    decision = Decision(
        doc_id=doc.doc_id,
        policy=config.policy,
        method=config.policy,
        decided_by=None,
        sources=[anns[a].id for a in names],
        inputs=inputs,
        entities=ents,
        relations=rels,
        conflicts=conflicts,
        annotators=names,
        doc=doc,
    )
    decision.conflicts += _check(doc, decision.annotation(), labels)
    return decision


def _check(doc: Document, gold: Annotation, labels: LabelSchema) -> list[Conflict]:
    """A voted gold can still break the label schema (e.g. a kept relation between re-labelled spans)."""
    probe = Document(doc.doc_id, doc.text, annotations=[gold])
    return [
        Conflict("check", f"gold annotation: {p.code}", p.message, {})
        for p in check_document(probe, labels)
        if p.code not in WARNING_CODES
    ]


def vote(
    doc: Document, anns: dict[str, Annotation], labels: LabelSchema, policy: str
) -> tuple[list[Entity], list[Relation], list[Conflict]]:
    """Items kept by the policy's threshold; under `review` everything below a majority is a conflict."""
    names = sorted(anns)
    n = len(names)
    need = {"union": 1, "intersection": n}.get(policy, n // 2 + 1)
    items = {a: annotation_items(anns[a], labels) for a in names}
    ent_support = _support(names, items, "entities")
    rel_support = _support(names, items, "relations")
    kept = sorted(e for e, who in ent_support.items() if len(who) >= need)
    entities = _gold_entities(doc, kept, anns, ent_support)
    by_span: dict[tuple[int, int], list[Entity]] = defaultdict(list)
    for e in entities:
        by_span[(e.start, e.end)].append(e)
    conflicts: list[Conflict] = []
    if policy == "review":
        conflicts += [
            _conflict(doc, "entity", e, items, labels, f"{len(who)} of {n} annotators marked it; {need} needed")
            for e, who in sorted(ent_support.items())
            if len(who) < need
        ]
    relations: list[Relation] = []
    for r, who in sorted(rel_support.items()):
        head, tail = _endpoint(by_span, r.head, ent_support), _endpoint(by_span, r.tail, ent_support)
        if len(who) >= need and head is not None and tail is not None:
            relations.append(Relation(head.id, tail.id, r.label, labels.is_symmetric(r.label)))
        elif policy == "review":
            reason = f"{len(who)} of {n} annotators drew it; {need} needed"
            if len(who) >= need:
                reason = f"{len(who)} of {n} annotators drew it, but an endpoint has no gold entity (disputed span)"
            conflicts.append(_conflict(doc, "relation", r, items, labels, reason))
    return entities, relations, conflicts


def _support(names: list[str], items: dict[str, Items], kind: str) -> dict[Any, list[str]]:
    support: dict[Any, list[str]] = defaultdict(list)
    for a in names:
        for item in sorted(set(getattr(items[a], kind))):
            support[item].append(a)
    return support


def _gold_entities(
    doc: Document, kept: list[EntityItem], anns: dict[str, Annotation], support: dict[Any, list[str]]
) -> list[Entity]:
    """Kept spans as entities; ids are taken from the first supporter's region, made unique when they clash."""
    out, used = [], set()
    for item in kept:
        src = anns[support[item][0]]
        rid = next(e.id for e in src.entities if (e.start, e.end, e.label) == (item.start, item.end, item.label))
        base, k = rid, 1
        while rid in used:
            k += 1
            rid = f"{base}-{k}"
        used.add(rid)
        out.append(Entity(rid, item.start, item.end, item.label, doc.text[item.start : item.end]))
    return out


def _endpoint(
    by_span: dict[tuple[int, int], list[Entity]], span: tuple[int, int], support: dict[Any, list[str]]
) -> Entity | None:
    """The gold entity at a relation endpoint; with several labels on one span, the best-supported one."""
    cands = by_span.get(span) or []
    return max(cands, key=lambda e: (len(support[EntityItem(e.start, e.end, e.label or "")]), e.label), default=None)


def describe(doc: Document, item: EntityItem | RelationItem, labels: LabelSchema) -> str:
    """An item as a reviewer reads it: label, quoted text and code-point span."""

    def span(s: tuple[int, int]) -> str:
        return f'"{doc.text[s[0] : s[1]]}" [{s[0]}, {s[1]})'

    if isinstance(item, EntityItem):
        return f"{item.label} {span((item.start, item.end))}"
    arrow = "<->" if labels.is_symmetric(item.label) else "->"
    return f"{item.label} {span(item.head)} {arrow} {span(item.tail)}"


def _conflict(
    doc: Document, kind: str, item: Any, items: dict[str, Items], labels: LabelSchema, reason: str
) -> Conflict:
    """Who said what: for each annotator, what they marked on the same stretch of text."""
    votes = {}
    for a, its in items.items():
        near: list[Any]
        if kind == "entity":
            near = [e for e in its.entities if overlaps((e.start, e.end), (item.start, item.end))]
        else:
            near = [r for r in its.relations if _near(r, item)]
        votes[a] = "; ".join(describe(doc, x, labels) for x in sorted(near)) or "nothing here"
    return Conflict(kind, describe(doc, item, labels), reason, votes)


def _near(r: RelationItem, target: RelationItem) -> bool:
    same = overlaps(r.head, target.head) and overlaps(r.tail, target.tail)
    return same or (overlaps(r.head, target.tail) and overlaps(r.tail, target.head))
