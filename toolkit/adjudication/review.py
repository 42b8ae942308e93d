"""Conflicts -> review tasks in Label Studio.

A held-back document goes to a separate review project (same labeling config) as one task whose
predictions are the candidates: the part a majority agreed on and every annotator's annotation.
The reviewer corrects one and submits; `toolkit pull --project "<title> (review)"` brings that
annotation into annotations/, and `toolkit adjudicate` lets it win (reviewer named in the
configuration, or the annotation marked ground truth).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..labelschema import Controls, LabelSchema
from ..labelstudio.push import Inputs, PushResult, push
from ..labelstudio.settings import Connection
from ..labelstudio.tasks import task_data
from ..records.gold import latest_by_annotator
from ..records.labelstudio import annotation_to_result
from .apply import AdjudicationResult
from .decide import Decision


def review_title(title: str) -> str:
    return f"{title} (review)"


def review_task(decision: Decision, controls: Controls) -> dict[str, Any]:
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
        predictions.append({"model_version": "agreed-by-majority", "result": annotation_to_result(agreed, controls)})
    for name, ann in sorted(latest_by_annotator(doc).items()):
        predictions.append({"model_version": name, "result": annotation_to_result(ann, controls)})
    return {
        "data": task_data(doc.doc_id, doc.text, meta, note, controls),
        "predictions": predictions,
    }


def push_review(
    conn: Connection,
    labels: LabelSchema,
    result: AdjudicationResult,
    title: str,
    workdir: Path,
    on_retry: Callable[[str], None] | None = None,
) -> PushResult:
    """Send every held-back document to the review project through the bulk import (never duplicated)."""
    tasks = [review_task(d, labels.controls) for d in result.held_back]
    return push(lambda: conn, labels, Inputs(labels, given=tasks), review_title(title), workdir, on_retry=on_retry)
