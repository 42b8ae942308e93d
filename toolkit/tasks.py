"""Articles -> Label Studio task payloads (one task per article)."""

from __future__ import annotations

from typing import Any

from .convert import annotation_to_result
from .models import Article, Document


def header(source: str | None, date: str | None, title: str | None = None) -> str:
    parts = [p for p in (title, source, date) if p]
    return " · ".join(parts) if parts else "(no source or date)"


def article_task(art: Article) -> dict[str, Any]:
    return {
        "data": {
            "doc_id": art.id,
            "text": art.text,
            "source": art.source,
            "date": art.date,
            "title": art.title,
            "header": header(art.source, art.date, art.title),
        }
    }


def document_task(doc: Document) -> dict[str, Any]:
    """A task carrying a committed document's annotations (so a new user sees them in the browser)."""
    meta = doc.meta
    task: dict[str, Any] = {
        "data": {
            "doc_id": doc.doc_id,
            "text": doc.text,
            "source": meta.get("source"),
            "date": meta.get("date"),
            "title": meta.get("title"),
            "header": header(meta.get("source"), meta.get("date"), meta.get("title")),
        }
    }
    task["annotations"] = [
        {"result": annotation_to_result(a), "ground_truth": a.ground_truth, "was_cancelled": a.was_cancelled}
        for a in doc.annotations
    ]
    return task
