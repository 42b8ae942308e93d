"""Read article files (seed format, .txt/.md, JSONL) into Article records.

Body text is kept exactly as found after the dateline, because every span offset points into it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from .models import Article

# ` date 2024-05-01 (MENAFN) Body...`: the seed corpus's dateline, on the body's first line.
DATELINE = re.compile(r"\A[ \t]*date[ \t]+(?P<date>\d{4}-\d{2}-\d{2})[ \t]+\((?P<source>[^()\r\n]{1,100})\)[ \t]+")
TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
ID_PATTERN = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(slots=True)
class Skipped:
    path: str
    reason: str


@dataclass(slots=True)
class IngestResult:
    articles: list[Article] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def content_id(text: str) -> str:
    return "doc-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def safe_id(raw: str) -> str:
    """Ids become file names under annotations/, so keep them to a portable character set."""
    cleaned = ID_PATTERN.sub("-", raw).strip("-.")
    return cleaned or ""


def parse_article_text(text: str, stem: str | None, path: str | None = None) -> Article:
    """Split off a seed-format dateline (kept as metadata) and keep the rest verbatim."""
    date = source = None
    match = DATELINE.match(text)
    if match:
        date, source = match.group("date"), match.group("source").strip()
        text = text[match.end() :]
    doc_id = safe_id(stem) if stem else ""
    return Article(id=doc_id or content_id(text), text=text, source=source, date=date, path=path)


def _decode(path: Path) -> str:
    data = path.read_bytes()
    if not data.strip():
        raise ValueError("empty file")
    if b"\x00" in data[:8192]:
        raise ValueError("binary file (contains NUL bytes); expected UTF-8 text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"not UTF-8: invalid byte 0x{data[exc.start]:02x} at byte offset {exc.start}; re-save the file as UTF-8"
        ) from exc
    return text.removeprefix("\ufeff")


def _read_jsonl(path: Path, result: IngestResult) -> None:
    text = _decode(path)
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            result.skipped.append(Skipped(where, f"not valid JSON: {exc}"))
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str) or not obj["text"].strip():
            result.skipped.append(Skipped(where, 'expected an object with a non-empty string "text"'))
            continue
        raw_id = obj.get("id")
        doc_id = safe_id(str(raw_id)) if raw_id is not None else ""
        date, source = obj.get("date"), obj.get("source")
        result.articles.append(
            Article(
                id=doc_id or content_id(obj["text"]),
                text=obj["text"],
                source=str(source) if source is not None else None,
                date=str(date) if date is not None else None,
                title=str(obj["title"]) if obj.get("title") is not None else None,
                path=where,
            )
        )


def _expand(paths: Iterable[Path]) -> Iterator[Path]:
    for p in paths:
        if p.is_dir():
            yield from sorted(
                q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in TEXT_SUFFIXES | JSONL_SUFFIXES
            )
        else:
            yield p


def ingest(paths: Iterable[Path]) -> IngestResult:
    """Read every file; a bad file is recorded in `skipped` and never stops the others."""
    result = IngestResult()
    for path in _expand(paths):
        try:
            if not path.exists():
                raise ValueError("no such file")
            if path.suffix.lower() in JSONL_SUFFIXES:
                _read_jsonl(path, result)
            else:
                result.articles.append(parse_article_text(_decode(path), path.stem, str(path)))
        except (OSError, ValueError) as exc:
            result.skipped.append(Skipped(str(path), str(exc)))
    seen: dict[str, str] = {}
    unique: list[Article] = []
    for art in result.articles:
        if art.id in seen:
            result.skipped.append(
                Skipped(
                    art.path or art.id,
                    f'duplicate id {art.id!r} (first seen in {seen[art.id]}); rename the file or set a distinct "id"',
                )
            )
            continue
        seen[art.id] = art.path or art.id
        unique.append(art)
    result.articles = unique
    return result


def article_record(art: Article) -> dict[str, object]:
    return {"id": art.id, "text": art.text, "source": art.source, "date": art.date, "title": art.title}


def read_articles(path: Path) -> list[Article]:
    """Read back the JSONL that `ingest` wrote."""
    return [
        Article(id=o["id"], text=o["text"], source=o.get("source"), date=o.get("date"), title=o.get("title"))
        for o in (orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip())
    ]
