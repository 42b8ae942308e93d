"""What annotations say, made comparable across annotators: items keyed by span and label
(region ids are per annotation), and one-to-one matching for the lenient variants.

Shared by agreement (how much people agree) and adjudication (what the gold keeps).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..labelschema import LabelSchema
from ..records import Annotation

Span = tuple[int, int]


@dataclass(frozen=True, slots=True, order=True)
class EntityItem:
    start: int
    end: int
    label: str


@dataclass(frozen=True, slots=True, order=True)
class RelationItem:
    """Endpoints are spans, not region ids (ids are per annotation); symmetric ones are stored sorted."""

    label: str
    head: Span
    tail: Span


@dataclass(frozen=True, slots=True)
class Items:
    entities: list[EntityItem]
    relations: list[RelationItem]


def annotation_items(ann: Annotation, labels: LabelSchema) -> Items:
    """What one annotation says, comparable across annotators; dangling or unlabelled relations are left out."""
    ents = [EntityItem(e.start, e.end, e.label) for e in ann.entities if e.label]
    spans = {e.id: (e.start, e.end) for e in ann.entities}
    rels = []
    for r in ann.relations:
        head, tail = spans.get(r.head), spans.get(r.tail)
        if r.label and head is not None and tail is not None:
            if labels.is_symmetric(r.label) and tail < head:
                head, tail = tail, head
            rels.append(RelationItem(r.label, head, tail))
    return Items(ents, rels)


# -- matching ---------------------------------------------------------------------------------


def overlaps(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def max_matching(left: Sequence[Any], right: Sequence[Any], compatible: Callable[[Any, Any], bool]) -> int:
    """Size of a maximum one-to-one matching (augmenting paths), so lenient F1 stays symmetric."""
    adj = [[j for j, b in enumerate(right) if compatible(a, b)] for a in left]
    match_r: dict[int, int] = {}
    match_l: dict[int, int] = {}
    for u in range(len(left)):
        parent: dict[int, int] = {}
        stack, found = [u], None
        while stack and found is None:
            x = stack.pop()
            for v in adj[x]:
                if v in parent:
                    continue
                parent[v] = x
                if v not in match_r:
                    found = v
                    break
                stack.append(match_r[v])
        while found is not None:  # flip the path back to u
            x = parent[found]
            nxt = match_l.get(x)
            match_r[found], match_l[x] = x, found
            found = None if x == u else nxt
    return len(match_l)


def _entity_lenient(a: EntityItem, b: EntityItem) -> bool:
    return overlaps((a.start, a.end), (b.start, b.end))


def _relation_lenient(symmetric: bool) -> Callable[[RelationItem, RelationItem], bool]:
    def ok(a: RelationItem, b: RelationItem) -> bool:
        if overlaps(a.head, b.head) and overlaps(a.tail, b.tail):
            return True
        return symmetric and overlaps(a.head, b.tail) and overlaps(a.tail, b.head)

    return ok


def pair_counts(a: Items, b: Items, labels: LabelSchema) -> Iterable[tuple[str, str, int, int]]:
    """(measure, label, |A∩B|, |A|+|B|) for every label either annotator used."""
    for measure, xs, ys in (("entity", a.entities, b.entities), ("relation", a.relations, b.relations)):
        by_x: dict[str, list[Any]] = defaultdict(list)
        by_y: dict[str, list[Any]] = defaultdict(list)
        for item in xs:
            by_x[item.label].append(item)
        for item in ys:
            by_y[item.label].append(item)
        for label in sorted(set(by_x) | set(by_y)):
            lx, ly = by_x[label], by_y[label]
            size = len(lx) + len(ly)
            exact = sum((Counter(lx) & Counter(ly)).values())
            ok = _entity_lenient if measure == "entity" else _relation_lenient(labels.is_symmetric(label))
            yield f"{measure}_exact", label, exact, size
            yield f"{measure}_lenient", label, max_matching(lx, ly, ok), size
