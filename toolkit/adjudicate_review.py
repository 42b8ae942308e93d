"""Conflicts -> review tasks in Label Studio, and the adjudication report for the terminal.

A held-back document goes to a separate review project (same labeling config) as one task whose
predictions are the candidates: the part a majority agreed on and every annotator's annotation.
The reviewer corrects one and submits; `toolkit pull --project "<title> (review)"` brings that
annotation into annotations/, and `toolkit adjudicate` lets it win (reviewer named in the
configuration, or the annotation marked ground truth).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .adjudicate import AdjudicationResult, Decision
from .compare import latest_by_annotator
from .convert import annotation_to_result
from .labels import LabelSchema
from .labelstudio import DEFAULT_TITLE, PushResult, push
from .settings import Connection
from .tasks import task_data


def review_title(title: str = DEFAULT_TITLE) -> str:
    return f"{title} (review)"


def review_task(decision: Decision) -> dict[str, Any]:
    """One review task: the document's text and every candidate annotation as a prediction."""
    doc = decision.doc
    if doc is None:
        raise ValueError("a review task needs the decision's document")
    meta = doc.meta
    note = (
        f"REVIEW {len(decision.conflicts)} conflict(s) between {', '.join(decision.annotators)}: pick the closest "
        "prediction, correct it, submit"
    )
    predictions = []
    agreed = decision.annotation()
    if agreed.entities:
        predictions.append({"model_version": "agreed-by-majority", "result": annotation_to_result(agreed)})
    for name, ann in sorted(latest_by_annotator(doc).items()):
        predictions.append({"model_version": name, "result": annotation_to_result(ann)})
    return {
        "data": task_data(doc.doc_id, doc.text, meta, note),
        "predictions": predictions,
    }


def push_review(
    conn: Connection,
    labels: LabelSchema,
    result: AdjudicationResult,
    title: str = DEFAULT_TITLE,
    workdir: Path = Path("build"),
) -> PushResult:
    """Send every held-back document to the review project through the bulk import (never duplicated)."""
    tasks = [review_task(d) for d in result.held_back]
    return push(conn, labels, tasks, review_title(title), workdir)


def report(result: AdjudicationResult) -> str:
    """What was decided per document, every conflict with who said what, and a one-line summary."""
    out = []
    for d in result.decisions:
        how = {"ground_truth": f"ground truth by {d.decided_by}", "reviewer": f"reviewer {d.decided_by}"}.get(
            d.method, f"policy {d.method}"
        )
        state = f"{len(d.conflicts)} conflict(s), held back" if d.conflicts else "resolved"
        out.append(
            f"{d.doc_id}: {len(d.annotators)} annotators, {how}: {len(d.entities)} entities, "
            f"{len(d.relations)} relations; {state}"
        )
        for c in d.conflicts:
            out.append(f"  conflict {c.kind} {c.item}: {c.reason}")
            out += [f"    {who}: {said}" for who, said in c.votes.items()]
    out += [f"skipped {s}" for s in result.skipped]
    out += [f"{doc_id}: fewer than two annotators now, adjudicated gold removed" for doc_id in result.cleared]
    out.append(
        f"{len(result.decisions)} document(s) adjudicated, {len(result.held_back)} held back with conflicts; "
        f"{result.single} with one annotator used as is; {len(result.written)} file(s) written"
    )
    return "\n".join(out) + "\n"
