"""Predictions get the annotation checks before they are written or pushed.

Label Studio itself accepts a prediction with a label the config does not have, so nothing else
would catch it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import ToolkitError
from ..labelschema import LabelSchema
from .checker import Checker
from .report import Report


def prediction_report(tasks: Iterable[dict[str, Any]], labels: LabelSchema) -> Report:
    """The annotation checks (JSON Schema, offsets, text, labels, overlaps as errors) on predictions."""
    checker = Checker(labels, strict=True)
    report = Report()
    for i, task in enumerate(tasks):
        preds = [p for p in task.get("predictions") or [] if isinstance(p, dict)]
        if not preds:
            continue
        probe = {k: v for k, v in task.items() if k not in ("annotations", "predictions")}
        probe["annotations"] = preds
        before = len(report.errors)
        checker.check_record(probe, f"task {i + 1}", report)
        for p in report.errors[before:]:
            p.path = p.path.replace("$.annotations", "$.predictions", 1)
            p.message = p.message.replace("re-select the span in Label Studio", "fix the model or pattern")
    return report


def check_predictions(tasks: Iterable[dict[str, Any]], labels: LabelSchema, limit: int = 20) -> None:
    """Raise (naming every problem, up to `limit`) when any prediction fails the checks."""
    report = prediction_report(tasks, labels)
    if report.errors:
        shown = "\n  ".join(f"[{p.code}] {p.task} {p.path}: {p.message}" for p in report.errors[:limit])
        more = f"\n  ... and {len(report.errors) - limit} more" if len(report.errors) > limit else ""
        raise ToolkitError(
            f"{len(report.errors)} problem(s) in predictions; nothing was written or pushed:\n  {shown}{more}"
        )
