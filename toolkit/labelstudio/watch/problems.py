"""One exported task -> the problems text the annotator sees above the text (or none).

The checks are `toolkit validate`'s own (`Checker.check_record`), so the page and the command never
disagree. Only what the annotator can fix is shown: problems of annotations, not of predictions,
and no note that a skipped annotation was skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ...labelschema import PROBLEMS_KEY
from ...records import Problem, shown
from ...validation import Checker, Report

SHOWN = 20  # problems listed on the page; the rest are counted
LINE = 400  # characters of one message
NOT_SHOWN = frozenset({"cancelled", "unannotated"})
_ANNOTATION = re.compile(r"^\$\.annotations\[(\d+)\]")


@dataclass(frozen=True)
class Checked:
    task_id: int
    doc_id: str
    problems: int
    text: str  # what the task's problems field should hold; "" means none

    def data(self, current: dict[str, Any]) -> dict[str, Any] | None:
        """The task data to store, or None when it already says this (nothing to write)."""
        old = current.get(PROBLEMS_KEY)
        if self.text == (old if isinstance(old, str) else "") and (self.text or PROBLEMS_KEY not in current):
            return None
        data = {k: v for k, v in current.items() if k != PROBLEMS_KEY}
        if self.text:  # cleared means removed: "is empty" in the Data Manager then never depends on row order
            data[PROBLEMS_KEY] = self.text
        return data


def check_task(checker: Checker, task: dict[str, Any]) -> Checked:
    """Validate one task of a Label Studio export; `task` must have an int `id` and a dict `data`."""
    report = Report()
    checker.check_record(task, f"task {task['id']}", report)
    found = [p for p in [*report.errors, *report.warnings] if _fixable(p)]
    doc_id = task["data"].get("doc_id")
    name = shown(doc_id[:80]) if isinstance(doc_id, str) and doc_id else "(no doc_id)"  # printed: made safe
    return Checked(task["id"], name, len(found), problems_text(found, _annotation_ids(task)))


def _fixable(p: Problem) -> bool:
    return p.code not in NOT_SHOWN and not p.path.startswith("$.predictions")


def _annotation_ids(task: dict[str, Any]) -> list[Any]:
    anns = task.get("annotations")
    return [a.get("id") if isinstance(a, dict) else None for a in anns] if isinstance(anns, list) else []


def problems_text(problems: list[Problem], annotation_ids: list[Any]) -> str:
    """Plain text (Label Studio shows it escaped), one line per problem, naming spans as `text (LABEL)`."""
    if not problems:
        return ""
    several = sum(1 for i in annotation_ids if i is not None) > 1
    noun = "problem" if len(problems) == 1 else "problems"
    lines = [f"⚠ {len(problems)} {noun} found by toolkit validate: fix, then Update"]
    for p in problems[:SHOWN]:
        where = ""
        match = _ANNOTATION.match(p.path)
        if several and match and int(match.group(1)) < len(annotation_ids):
            where = f"annotation #{annotation_ids[int(match.group(1))]}: "
        kind = "warning: " if p.severity == "warning" else ""
        line = " ".join(f"{where}{kind}{p.message}".split())
        lines.append("• " + (line if len(line) <= LINE else line[: LINE - 1] + "…"))
    if len(problems) > SHOWN:
        lines.append(f"… and {len(problems) - SHOWN} more: run `toolkit validate` on a pull of this task")
    return "\n".join(lines)
