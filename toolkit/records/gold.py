"""Which annotation of a document counts: the one rule, used by every stage.

Order: the adjudicated gold written by `toolkit adjudicate` (when it is resolved and still matches
the annotations it was made from), else an annotation marked ground truth in Label Studio, else the
most recently updated live annotation. Cancelled annotations never count. "Most recent" is the
same everywhere: the largest `(updated_at, id)`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .model import Annotation, Document, Entity, Relation


def _recency(ann: Annotation) -> tuple[str, str]:
    return ann.updated_at or "", ann.id


def latest(annotations: Iterable[Annotation]) -> Annotation | None:
    """The most recently updated annotation (ties broken by id), or None."""
    return max(annotations, key=_recency, default=None)


def latest_by_annotator(doc: Document) -> dict[str, Annotation]:
    """One live annotation per annotator, the most recent: a person's last word counts."""
    out: dict[str, Annotation] = {}
    for ann in doc.live():
        old = out.get(ann.annotator)
        if old is None or _recency(ann) > _recency(old):
            out[ann.annotator] = ann
    return out


def inputs_fingerprint(doc: Document) -> str:
    """Identity of the live annotations a gold was made from: any change makes the gold out of date."""
    live = sorted((a.id, a.annotator, a.ground_truth, a.content_key()) for a in doc.live())
    return hashlib.sha256(json.dumps(live, ensure_ascii=False).encode()).hexdigest()


def gold_annotation(adj: dict[str, Any]) -> Annotation:
    """The stored `adjudicated` block as an annotation."""
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


@dataclass(frozen=True, slots=True)
class Gold:
    """The annotation a document contributes, how it was chosen, and why there is none."""

    annotation: Annotation | None
    method: str  # adjudicated | ground_truth | only | latest | none
    reason: str = ""  # why `annotation` is None
    candidates: int = 0  # live annotations the choice was made among


def choose_gold(doc: Document) -> Gold:
    """The one gold choice: adjudicated, else ground truth, else the most recent live annotation."""
    if doc.adjudicated is not None:
        ann, why = adjudicated_gold(doc)
        return Gold(ann, "adjudicated" if ann else "none", why, len(doc.live()))
    live = doc.live()
    if not live:
        return Gold(None, "none", "no annotation that was not cancelled")
    truth = [a for a in live if a.ground_truth]
    if truth:
        return Gold(latest(truth), "ground_truth", candidates=len(live))
    if len(live) == 1:
        return Gold(live[0], "only", candidates=1)
    return Gold(latest(live), "latest", candidates=len(live))
