"""Several annotations of a document -> the one gold annotation that export and release use.

A ground-truth annotation (marked in Label Studio) or one made by a configured reviewer wins.
Otherwise items are voted on: spans and relations a majority marked are kept and the rest are
conflicts that hold the document back (policy `review`), unless the policy says to keep only the
majority, everything (`union`) or only what everyone marked (`intersection`). The result is
written beside the annotations as the document's `adjudicated` key; no annotation is changed.
A voted gold that breaks the label schema (validation errors) is held back under every policy.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from .compare import EntityItem, Items, RelationItem, annotation_items, latest_by_annotator, overlaps
from .convert import pseudonym
from .errors import ConfigError, InputError
from .fileio import atomic_write_bytes, dump_pretty
from .labels import LabelSchema
from .models import Annotation, Document, Entity, Relation
from .validate import WARNING_CODES, check_document, load_documents

POLICIES = ("review", "majority", "union", "intersection")
PSEUDONYM = re.compile(r"^annotator-[0-9a-f]{10}$")
DEFAULT_CONFIG = Path("adjudication.toml")


@dataclass(frozen=True)
class AdjudicationConfig:
    reviewers: frozenset[str] = frozenset()
    policy: str = "review"


def load_config(
    path: Path | None = None, reviewers: Iterable[str] = (), policy: str | None = None
) -> AdjudicationConfig:
    """Reviewers and policy from a JSON/TOML file plus CLI values; names must be pseudonyms, never e-mails."""
    data: dict[str, Any] = {}
    if path is not None:
        try:
            raw = path.read_bytes()
            data = tomllib.loads(raw.decode()) if path.suffix == ".toml" else json.loads(raw)
        except FileNotFoundError as exc:
            raise ConfigError(f"{path}: adjudication config not found") from exc
        except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid {'TOML' if path.suffix == '.toml' else 'JSON'}: {exc}") from exc
        if not isinstance(data, dict) or set(data) - {"reviewers", "policy"}:
            raise ConfigError(f"{path}: expected only the keys 'reviewers' (a list of pseudonyms) and 'policy'")
    names = [*(data.get("reviewers") or []), *reviewers]
    for name in names:
        if not isinstance(name, str) or not PSEUDONYM.match(name):
            hint = f"; its pseudonym is {pseudonym(name)}" if isinstance(name, str) and "@" in name else ""
            raise ConfigError(
                f"reviewer {name!r} is not a pseudonym like annotator-0123456789 (annotators appear only as "
                f"pseudonyms in annotations/, e-mails never go into the repository){hint}"
            )
    chosen = policy or data.get("policy") or "review"
    if chosen not in POLICIES:
        raise ConfigError(f"policy {chosen!r} is not one of {', '.join(POLICIES)}")
    return AdjudicationConfig(frozenset(names), chosen)


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


def inputs_fingerprint(doc: Document) -> str:
    """Identity of the live annotations a gold was made from: any change makes the gold out of date."""
    live = sorted((a.id, a.annotator, a.ground_truth, a.content_key()) for a in doc.annotations if not a.was_cancelled)
    return hashlib.sha256(json.dumps(live, ensure_ascii=False).encode()).hexdigest()


def gold_annotation(adj: dict[str, Any]) -> Annotation:
    return Annotation(
        id="adjudicated",
        annotator=adj.get("decided_by") or "adjudicated",
        ground_truth=True,
        entities=[Entity(e["id"], e["start"], e["end"], e["label"], e["text"]) for e in adj["entities"]],
        relations=[Relation(r["head"], r["tail"], r["label"], bool(r.get("symmetric"))) for r in adj["relations"]],
    )


def adjudicated_gold(doc: Document) -> tuple[Annotation | None, str]:
    """The stored gold when it is resolved and up to date; otherwise None and why the document is held back."""
    adj = doc.adjudicated
    if adj is None:
        return None, "not adjudicated"
    if adj.get("inputs") != inputs_fingerprint(doc):
        return None, "its annotations changed after `toolkit adjudicate` ran; run it again"
    if adj.get("status") != "resolved":
        return None, (
            f"{len(adj.get('conflicts') or [])} unresolved adjudication conflict(s); resolve them in Label Studio "
            "(`toolkit adjudicate --push-review`) or choose a --policy, then run `toolkit adjudicate` again"
        )
    gold = gold_annotation(adj)
    ids = {e.id for e in gold.entities}
    if any(doc.text[e.start : e.end] != e.text for e in gold.entities) or any(
        r.head not in ids or r.tail not in ids for r in gold.relations
    ):
        return None, "its adjudicated gold does not fit the text or has dangling relations; run `toolkit adjudicate`"
    return gold, ""


# -- deciding one document ----------------------------------------------------------------------


def decide(doc: Document, labels: LabelSchema, config: AdjudicationConfig) -> Decision | None:
    """The gold of one document, or None when fewer than two people annotated it (nothing to adjudicate)."""
    anns = latest_by_annotator(doc)
    if len(anns) < 2:
        return None
    names = sorted(anns)
    inputs = inputs_fingerprint(doc)
    live = [a for a in doc.annotations if not a.was_cancelled]
    for method, pool in (
        ("ground_truth", [a for a in live if a.ground_truth]),
        ("reviewer", [a for a in live if a.annotator in config.reviewers]),
    ):
        if pool:
            win = max(pool, key=lambda a: (a.updated_at or "", a.id))
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


# -- files ----------------------------------------------------------------------------------------


@dataclass
class AdjudicationResult:
    decisions: list[Decision] = field(default_factory=list)
    single: int = 0  # documents with one annotator: export uses that annotation as it is
    cleared: list[str] = field(default_factory=list)  # stale gold removed (fewer than two annotators left)
    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def held_back(self) -> list[Decision]:
        return [d for d in self.decisions if d.conflicts]

    def as_dict(self) -> dict[str, Any]:
        return {
            "documents": [{"doc_id": d.doc_id, "annotators": d.annotators, **d.record()} for d in self.decisions],
            "held_back": [d.doc_id for d in self.held_back],
            "single_annotator": self.single,
            "cleared": self.cleared,
            "written": self.written,
            "skipped": self.skipped,
        }


def adjudicate(
    paths: Iterable[Path], labels: LabelSchema, config: AdjudicationConfig, write: bool = True
) -> AdjudicationResult:
    """Decide every document and (with `write`) store each gold in its annotations/ file."""
    docs, report = load_documents(paths, labels)
    bad = {p.file for p in report.errors}
    result = AdjudicationResult(skipped=sorted({f"{p.task}: has validation errors" for p in report.errors}))
    changes: list[tuple[Document, Decision | None]] = []
    for doc in sorted(docs, key=lambda d: d.doc_id):
        if doc.where in bad:
            continue
        decision = decide(doc, labels, config)
        if decision is None:
            result.single += 1
            if doc.adjudicated is not None:
                result.cleared.append(doc.doc_id)
        else:
            result.decisions.append(decision)
        if decision is not None or doc.adjudicated is not None:
            changes.append((doc, decision))
    if write:
        for doc, _ in changes:  # check every target before the first write
            _target(doc)
        result.written = [doc.where for doc, decision in changes if _store(doc, decision)]
    return result


def _target(doc: Document) -> tuple[Path, dict[str, Any], bytes]:
    path = Path(doc.where)
    if path.suffix != ".json" or not path.is_file():
        raise InputError(
            f"{doc.where}: adjudicate writes into the annotations/ files; pull this export first "
            "(`toolkit pull`) or use --dry-run"
        )
    before = path.read_bytes()
    obj = orjson.loads(before)
    if not isinstance(obj, dict) or obj.get("doc_id") != doc.doc_id:
        raise InputError(f"{path}: not a single annotations/ document file; use --dry-run for other inputs")
    return path, obj, before


def _store(doc: Document, decision: Decision | None) -> bool:
    """Set (or drop) the `adjudicated` key of the document's file; everything else stays byte for byte."""
    path, obj, before = _target(doc)
    if decision is None:
        obj.pop("adjudicated", None)
    else:
        obj["adjudicated"] = decision.record()
    after = dump_pretty(obj)
    if after == before:
        return False
    atomic_write_bytes(path, after)
    return True
