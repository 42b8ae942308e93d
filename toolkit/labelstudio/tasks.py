"""Articles -> Label Studio task payloads (one task per article)."""

from __future__ import annotations

from typing import Any

from ..labelschema import Controls
from ..records import Article, Document
from ..records.labelstudio import DEFAULT_CONTROLS, annotation_to_result


def header(source: str | None, date: str | None, title: str | None = None) -> str:
    parts = [p for p in (title, source, date) if p]
    return " · ".join(parts) if parts else "(no source or date)"


def task_data(
    doc_id: str, text: str, meta: dict[str, Any], note: str = "", controls: Controls = DEFAULT_CONTROLS
) -> dict[str, Any]:
    """A task's `data`: the text (under the schema's text key), its id, and the source line shown above it."""
    line = header(meta.get("source"), meta.get("date"), meta.get("title"))
    return {
        "doc_id": doc_id,
        controls.value: text,
        "source": meta.get("source"),
        "date": meta.get("date"),
        "title": meta.get("title"),
        "header": f"{note} · {line}" if note else line,
    }


def article_task(art: Article, controls: Controls = DEFAULT_CONTROLS) -> dict[str, Any]:
    return {"data": task_data(art.id, art.text, art.meta(), controls=controls)}


def document_task(doc: Document, controls: Controls = DEFAULT_CONTROLS) -> dict[str, Any]:
    """A task carrying a committed document's annotations (so a new user sees them in the browser)."""
    task: dict[str, Any] = {"data": task_data(doc.doc_id, doc.text, doc.meta, controls=controls)}
    task["annotations"] = [
        {
            "result": annotation_to_result(a, controls),
            "ground_truth": a.ground_truth,
            "was_cancelled": a.was_cancelled,
        }
        for a in doc.annotations
    ]
    return task
