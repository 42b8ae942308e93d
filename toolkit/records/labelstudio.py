"""Label Studio task JSON <-> records (the format of exports, imports and pushed annotations).

Canonical: entities {id, start, end, label, text}; relations {head, tail, label, symmetric}
where `direction: left` in Label Studio swaps head and tail and `bi` sets symmetric.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any

from ..labelschema import LABELS_CONTROL, TEXT_OBJECT
from .model import Annotation, Document, Entity, Loc, Problem, Relation, json_path

PSEUDONYM_SALT = "news-relations/annotator:"


@functools.lru_cache(maxsize=4096)
def pseudonym(identity: str) -> str:
    """A stable, non-reversible-at-a-glance name for an annotator; e-mails never leave Label Studio."""
    digest = hashlib.sha256((PSEUDONYM_SALT + identity.strip().lower()).encode("utf-8")).hexdigest()
    return "annotator-" + digest[:10]


def annotator_of(completed_by: Any, emails: dict[int, str] | None = None) -> str:
    if isinstance(completed_by, dict):
        email = completed_by.get("email")
        if email:
            return pseudonym(email)
        completed_by = completed_by.get("id")
    if isinstance(completed_by, int):
        if emails and completed_by in emails:
            return pseudonym(emails[completed_by])
        return pseudonym(f"label-studio-user:{completed_by}")
    return pseudonym("unknown")


def task_name(task: dict[str, Any]) -> str:
    data = task.get("data") if isinstance(task.get("data"), dict) else {}
    doc_id = data.get("doc_id") if isinstance(data, dict) else None
    if doc_id:
        return str(doc_id)
    if task.get("id") is not None:
        return f"task {task['id']}"
    return "task (no id)"


def task_to_document(
    task: dict[str, Any], where: str = "", emails: dict[int, str] | None = None
) -> tuple[Document, list[Problem]]:
    """Convert one exported task; problems found on the way (unknown controls) are returned, not raised."""
    data = task["data"]
    name = task_name(task)
    meta = {k: data.get(k) for k in ("source", "date", "title")}
    doc = Document(
        doc_id=str(data.get("doc_id") or f"task-{task.get('id')}"), text=data["text"], meta=meta, where=where
    )
    problems: list[Problem] = []
    for ai, ann in enumerate(task.get("annotations") or []):
        out = Annotation(
            id=str(ann.get("unique_id") or ann.get("id") or ai),
            annotator=annotator_of(ann.get("completed_by"), emails),
            ground_truth=bool(ann.get("ground_truth")),
            was_cancelled=bool(ann.get("was_cancelled")),
            created_at=ann.get("created_at"),
            updated_at=ann.get("updated_at"),
            label_studio={"annotation_id": ann.get("id"), "task_id": task.get("id"), "unique_id": ann.get("unique_id")},
            path=("annotations", ai),
        )
        for ri, res in enumerate(ann.get("result") or []):
            problem = _add_result(out, ai, ri, res)
            if problem:
                problems.append(Problem("label-config", name, json_path(problem[0]), problem[1], where))
        doc.annotations.append(out)
    return doc, problems


def _add_result(out: Annotation, ai: int, ri: int, res: dict[str, Any]) -> tuple[Loc, str] | None:
    """Add one Label Studio result to `out`; returns (where, message) for a control the config lacks."""
    rtype = res.get("type")
    if rtype == "labels":
        if res.get("from_name") != LABELS_CONTROL or res.get("to_name") != TEXT_OBJECT:
            return ("annotations", ai, "result", ri), (
                f"region uses control {res.get('from_name')!r} -> {res.get('to_name')!r}, but the labeling config "
                f"has only {LABELS_CONTROL!r} -> {TEXT_OBJECT!r}; re-push the project with `toolkit push` and "
                "relabel this region"
            )
        value = res["value"]
        labels = value.get("labels") or (None,)
        rid = res["id"]
        out.entities.append(
            Entity(
                rid if type(rid) is str else str(rid),
                value["start"],
                value["end"],
                labels[0],
                value.get("text"),
                ("annotations", ai, "result", ri, "value"),
            )
        )
    elif rtype == "relation":
        direction = res.get("direction", "right")
        head, tail = str(res["from_id"]), str(res["to_id"])
        if direction == "left":
            head, tail = tail, head
        for li, label in enumerate(res.get("labels") or [None]):
            loc: Loc = ("annotations", ai, "result", ri, "labels", li) if label else ("annotations", ai, "result", ri)
            out.relations.append(Relation(head, tail, label, direction == "bi", loc))
    else:
        return ("annotations", ai, "result", ri, "type"), (
            f"result type {rtype!r} comes from a control that the generated labeling config does not have "
            "(only 'labels' and 'relation'); re-push the project with `toolkit push`"
        )
    return None


def annotation_to_result(ann: Annotation) -> list[dict[str, Any]]:
    """The Label Studio `result` list for one canonical annotation (for pushing annotations back)."""
    result: list[dict[str, Any]] = []
    for e in ann.entities:
        result.append(
            {
                "id": e.id,
                "from_name": LABELS_CONTROL,
                "to_name": TEXT_OBJECT,
                "type": "labels",
                "origin": "manual",
                "value": {"start": e.start, "end": e.end, "text": e.text, "labels": [e.label]},
            }
        )
    for r in ann.relations:
        result.append(
            {
                "from_id": r.head,
                "to_id": r.tail,
                "type": "relation",
                "direction": "bi" if r.symmetric else "right",
                "labels": [r.label] if r.label else [],
            }
        )
    return result


def utf16_span(text: str, units: bytes, start: int, end: int) -> str | None:
    """The text of [start, end) counted in UTF-16 code units, or None when it splits a surrogate pair."""
    try:
        return units[2 * start : 2 * end].decode("utf-16-le")
    except UnicodeDecodeError:
        return None


def repair_utf16_offsets(doc: Document) -> int:
    """Convert spans stored in UTF-16 units (older Label Studio) to code points; returns how many changed.

    Only a span whose text matches the UTF-16 slice and not the code-point slice is changed.
    """
    units: bytes | None = None
    changed = 0
    for ann in doc.annotations:
        for e in ann.entities:
            if e.text is None or doc.text[e.start : e.end] == e.text:
                continue
            units = units if units is not None else doc.text.encode("utf-16-le")
            if utf16_span(doc.text, units, e.start, e.end) != e.text:
                continue
            e.start = len(units[: 2 * e.start].decode("utf-16-le"))
            e.end = e.start + len(e.text)
            changed += 1
    return changed
