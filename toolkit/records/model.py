"""The records every stage passes around.

Spans and links carry the JSON path they came from, so a semantic check can point at the
exact place in whichever input format (Label Studio export or canonical file) it read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Loc = tuple[str | int, ...]  # JSON path parts, formatted only when a problem is reported


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


def canonical_to_document(obj: dict[str, Any], where: str = "") -> Document:
    """An annotations/ file (the form `Document.record()` writes) back into a Document."""
    doc = Document(doc_id=obj["doc_id"], text=obj["text"], meta=dict(obj.get("meta") or {}), where=where)
    doc.adjudicated = obj.get("adjudicated")
    for ai, ann in enumerate(obj.get("annotations") or []):
        apath: Loc = ("annotations", ai)
        doc.annotations.append(
            Annotation(
                id=str(ann.get("id", ai)),
                annotator=ann["annotator"],
                ground_truth=bool(ann.get("ground_truth")),
                was_cancelled=bool(ann.get("was_cancelled")),
                created_at=ann.get("created_at"),
                updated_at=ann.get("updated_at"),
                label_studio=ann.get("label_studio"),
                path=apath,
                entities=[
                    Entity(e["id"], e["start"], e["end"], e["label"], e["text"], (*apath, "entities", i))
                    for i, e in enumerate(ann["entities"])
                ],
                relations=[
                    Relation(r["head"], r["tail"], r["label"], bool(r.get("symmetric")), (*apath, "relations", i))
                    for i, r in enumerate(ann["relations"])
                ],
            )
        )
    return doc
