"""Label Studio task JSON <-> records (the format of exports, imports and pushed annotations).

Canonical: entities {id, start, end, label, text}; relations {head, tail, label, symmetric}
where `direction: left` in Label Studio swaps head and tail and `bi` sets symmetric.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any

from ..labelschema import Controls
from .model import Annotation, Document, Entity, Loc, Problem, Relation, json_path, shown

PSEUDONYM_SALT = "news-relations/annotator:"
DEFAULT_CONTROLS = Controls()


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


def task_name(task: Any) -> str:
    """How messages name a task: its doc_id, else its Label Studio id."""
    if not isinstance(task, dict):
        return "task (not an object)"
    data = task.get("data")
    doc_id = data.get("doc_id") if isinstance(data, dict) else None
    if isinstance(doc_id, str | int) and str(doc_id):
        return shown(str(doc_id))
    if isinstance(task.get("id"), str | int):
        return f"task {shown(str(task['id']))}"
    return "task (no id)"


def task_text(task: Any, controls: Controls = DEFAULT_CONTROLS) -> str | None:
    """The task's text (under the <Text value="$..."> key), or None when there is none."""
    data = task.get("data") if isinstance(task, dict) else None
    text = data.get(controls.value) if isinstance(data, dict) else None
    return text if isinstance(text, str) else None


def task_to_document(
    task: Any,
    where: str = "",
    emails: dict[int, str] | None = None,
    controls: Controls = DEFAULT_CONTROLS,
    source: str = "annotations",
) -> tuple[Document | None, list[Problem]]:
    """Convert one exported task, reading whatever can be read.

    Returns None when the task has no text to anchor spans to. A result that cannot be read
    (a missing or mistyped field: the JSON Schema check names it) is left out rather than raised;
    results of a control the labeling config lacks come back as `label-config` problems.
    `source` "predictions" converts the task's predictions instead, each as an annotation.
    """
    text = task_text(task, controls)
    if text is None:
        return None, []
    data = task["data"]
    name = task_name(task)
    meta = {k: (v if isinstance(v := data.get(k), str) else None) for k in ("source", "date", "title")}
    doc_id = data.get("doc_id")
    doc = Document(
        doc_id=str(doc_id) if isinstance(doc_id, str | int) and str(doc_id) else f"task-{task.get('id')}",
        text=text,
        meta=meta,
        where=where,
    )
    problems: list[Problem] = []
    items = task.get(source)
    for ai, ann in enumerate(items if isinstance(items, list) else []):
        if not isinstance(ann, dict):
            continue
        out = _annotation(task, ann, ai, source, emails)
        results = ann.get("result")
        for ri, res in enumerate(results if isinstance(results, list) else []):
            problem = _add_result(out, (source, ai, "result", ri), res, controls) if isinstance(res, dict) else None
            if problem:
                problems.append(Problem("label-config", name, json_path(problem[0]), problem[1], where))
        doc.annotations.append(out)
    return doc, problems


def _annotation(
    task: dict[str, Any], ann: dict[str, Any], ai: int, source: str, emails: dict[int, str] | None
) -> Annotation:
    if source == "predictions":
        version = ann.get("model_version")
        return Annotation(
            id=f"prediction-{ai}",
            annotator=f"prediction:{version}" if isinstance(version, str) else "prediction",
            path=(source, ai),
        )
    uid, aid = ann.get("unique_id"), ann.get("id")
    return Annotation(
        id=str(uid if isinstance(uid, str | int) and uid != "" else aid if isinstance(aid, str | int) else ai),
        annotator=annotator_of(ann.get("completed_by"), emails),
        ground_truth=ann.get("ground_truth") is True,
        was_cancelled=ann.get("was_cancelled") is True,
        created_at=_str(ann.get("created_at")),
        updated_at=_str(ann.get("updated_at")),
        label_studio={"annotation_id": aid, "task_id": task.get("id"), "unique_id": uid},
        path=(source, ai),
    )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    """A JSON integer; a float with no fraction (JSON Schema's "integer" accepts 3.0) counts as one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _add_result(out: Annotation, loc: Loc, res: dict[str, Any], controls: Controls) -> tuple[Loc, str] | None:
    """Add one Label Studio result to `out`; returns (where, message) for a control the config lacks."""
    rtype = res.get("type")
    if rtype == "labels":
        if res.get("from_name") != controls.labels or res.get("to_name") != controls.text:
            return loc, (
                f"region uses control {res.get('from_name')!r} -> {res.get('to_name')!r}, but the labeling config "
                f"has only {controls.labels!r} -> {controls.text!r}; re-push the project with `toolkit push` and "
                "relabel this region, or give the label schema these control names (`toolkit schema from-config`)"
            )
        value = res.get("value")
        rid = res.get("id")
        if not isinstance(value, dict) or not isinstance(rid, str | int):
            return None
        start, end = _int(value.get("start")), _int(value.get("end"))
        labels = value.get("labels")
        label = labels[0] if isinstance(labels, list) and labels and isinstance(labels[0], str) else None
        if start is None or end is None:
            return None
        out.entities.append(Entity(str(rid), start, end, label, _str(value.get("text")), (*loc, "value")))
    elif rtype == "relation":
        head, tail = res.get("from_id"), res.get("to_id")
        if not isinstance(head, str | int) or not isinstance(tail, str | int):
            return None
        direction = res.get("direction", "right")
        head, tail = (str(tail), str(head)) if direction == "left" else (str(head), str(tail))
        labels = res.get("labels")
        names = [x for x in labels if isinstance(x, str)] if isinstance(labels, list) else []
        for li, label in enumerate(names or [None]):
            out.relations.append(Relation(head, tail, label, direction == "bi", (*loc, "labels", li) if label else loc))
    else:
        return (*loc, "type"), (
            f"result type {rtype!r} comes from a control that the generated labeling config does not have "
            "(only 'labels' and 'relation'); re-push the project with `toolkit push`"
        )
    return None


def annotation_to_result(ann: Annotation, controls: Controls = DEFAULT_CONTROLS) -> list[dict[str, Any]]:
    """The Label Studio `result` list for one canonical annotation (for pushing annotations back)."""
    result: list[dict[str, Any]] = []
    for e in ann.entities:
        result.append(
            {
                "id": e.id,
                "from_name": controls.labels,
                "to_name": controls.text,
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
