"""The records every stage passes around.

Spans and links carry the JSON path they came from, so a semantic check can point at the
exact place in whichever input format (Label Studio export or canonical file) it read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Loc = tuple[str | int, ...]  # JSON path parts, formatted only when a problem is reported


def shown(text: str) -> str:
    """Text that is safe to print: control and other invisible characters escaped (ids and spans are
    other people's text, and a terminal must never receive their escape sequences)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def json_path(parts: Any) -> str:
    """`$.annotations[0].result[3]` from path parts."""
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


@dataclass(slots=True)
class Article:
    id: str
    text: str
    source: str | None = None
    date: str | None = None
    path: str | None = None
    title: str | None = None

    def meta(self) -> dict[str, Any]:
        return {"source": self.source, "date": self.date, "title": self.title}


@dataclass(slots=True)
class Entity:
    id: str
    start: int
    end: int
    label: str | None
    text: str | None
    path: Loc = ()

    def record(self) -> dict[str, Any]:
        return {"id": self.id, "start": self.start, "end": self.end, "label": self.label, "text": self.text}


@dataclass(slots=True)
class Relation:
    head: str
    tail: str
    label: str | None
    symmetric: bool = False
    path: Loc = ()

    def record(self) -> dict[str, Any]:
        return {"head": self.head, "tail": self.tail, "label": self.label, "symmetric": self.symmetric}


@dataclass(slots=True)
class Annotation:
    id: str
    annotator: str
    entities: list[Entity] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    ground_truth: bool = False
    was_cancelled: bool = False
    created_at: str | None = None
    updated_at: str | None = None
    label_studio: dict[str, Any] | None = None
    path: Loc = ()

    def content_key(self) -> tuple[Any, ...]:
        """Identity of what was annotated, independent of who, when and which server."""
        ents = sorted((e.start, e.end, e.label or "") for e in self.entities)
        by_id = {e.id: (e.start, e.end, e.label or "") for e in self.entities}
        rels = sorted(
            (by_id.get(r.head, ()), by_id.get(r.tail, ()), r.label or "", r.symmetric) for r in self.relations
        )
        return (tuple(ents), tuple(rels), self.was_cancelled)

    def record(self) -> dict[str, Any]:
        rec: dict[str, Any] = {
            "id": self.id,
            "annotator": self.annotator,
            "ground_truth": self.ground_truth,
            "was_cancelled": self.was_cancelled,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "entities": [e.record() for e in sorted(self.entities, key=lambda e: (e.start, e.end, e.id))],
            "relations": [r.record() for r in self.relations],
        }
        if self.label_studio is not None:
            rec["label_studio"] = self.label_studio
        return rec


@dataclass(slots=True)
class Document:
    doc_id: str
    text: str
    meta: dict[str, Any] = field(default_factory=dict)
    annotations: list[Annotation] = field(default_factory=list)
    where: str = ""  # file (and line/index) the document was read from, for messages
    adjudicated: dict[str, Any] | None = None  # the gold written by `toolkit adjudicate`, kept as stored

    def live(self) -> list[Annotation]:
        """The annotations that count: every one not cancelled (skipped) in Label Studio."""
        return [a for a in self.annotations if not a.was_cancelled]

    def record(self) -> dict[str, Any]:
        rec: dict[str, Any] = {
            "doc_id": self.doc_id,
            "text": self.text,
            "meta": self.meta,
            "annotations": [a.record() for a in self.annotations],
        }
        if self.adjudicated is not None:
            rec["adjudicated"] = self.adjudicated
        return rec


@dataclass(slots=True)
class Problem:
    """One validation finding; `task` names the task or document, `path` is a JSON path inside it."""

    code: str
    task: str
    path: str
    message: str
    file: str = ""
    severity: str = "error"

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "task": self.task, "path": self.path, "message": self.message, "file": self.file}


def canonical_to_document(obj: Any, where: str = "") -> Document | None:
    """An annotations/ file (the form `Document.record()` writes) back into a Document.

    Reads whatever can be read: an entity or relation with a missing or mistyped field is left out
    (the JSON Schema check names it); None when there is no doc_id or text at all.
    """
    if not isinstance(obj, dict) or not isinstance(obj.get("doc_id"), str) or not isinstance(obj.get("text"), str):
        return None
    meta = obj.get("meta")
    doc = Document(
        doc_id=obj["doc_id"], text=obj["text"], meta=dict(meta) if isinstance(meta, dict) else {}, where=where
    )
    adjudicated = obj.get("adjudicated")
    doc.adjudicated = adjudicated if isinstance(adjudicated, dict) else None
    annotations = obj.get("annotations")
    for ai, ann in enumerate(annotations if isinstance(annotations, list) else []):
        if not isinstance(ann, dict):
            continue
        apath: Loc = ("annotations", ai)
        ann_id, annotator = ann.get("id", ai), ann.get("annotator")
        doc.annotations.append(
            Annotation(
                id=str(ann_id) if isinstance(ann_id, str | int) else str(ai),
                annotator=annotator if isinstance(annotator, str) else "unknown",
                ground_truth=ann.get("ground_truth") is True,
                was_cancelled=ann.get("was_cancelled") is True,
                created_at=_opt_str(ann.get("created_at")),
                updated_at=_opt_str(ann.get("updated_at")),
                label_studio=ann.get("label_studio") if isinstance(ann.get("label_studio"), dict) else None,
                path=apath,
                entities=[
                    Entity(
                        e["id"], e["start"], e["end"], e.get("label"), _opt_str(e.get("text")), (*apath, "entities", i)
                    )
                    for i, e in _items(ann, "entities")
                    if isinstance(e.get("id"), str) and _is_int(e.get("start")) and _is_int(e.get("end"))
                ],
                relations=[
                    Relation(r["head"], r["tail"], r.get("label"), r.get("symmetric") is True, (*apath, "relations", i))
                    for i, r in _items(ann, "relations")
                    if isinstance(r.get("head"), str) and isinstance(r.get("tail"), str)
                ],
            )
        )
    return doc


def _items(obj: dict[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
    items = obj.get(key)
    return [(i, x) for i, x in enumerate(items) if isinstance(x, dict)] if isinstance(items, list) else []


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
