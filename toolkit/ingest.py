"""Read article files (seed format, .txt/.md, JSONL, a JSON array) into Article records.

Body text is kept exactly as found after the dateline, because every span offset points into it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError
from .io.reader import decode_utf8, iter_records, parse_json, read_bytes
from .records import Article

# ` date 2024-05-01 (MENAFN) Body...`: the seed corpus's dateline, on the body's first line.
DATELINE = re.compile(r"\A[ \t]*date[ \t]+(?P<date>\d{4}-\d{2}-\d{2})[ \t]+\((?P<source>[^()\r\n]{1,100})\)[ \t]+")
TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
ARTICLE_SUFFIXES = TEXT_SUFFIXES | JSONL_SUFFIXES | {".json"}
ID_PATTERN = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(slots=True)
class Skipped:
    """A file or line that was not ingested; `message` names it, says what is wrong and how to fix it."""

    message: str


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
    data = read_bytes(path, "an article (.txt, .md or JSONL)")
    if not data.strip():
        raise InputError(f"{path}: empty file; expected an article")
    if b"\x00" in data[:8192]:
        raise InputError(f"{path}: binary file (contains NUL bytes); expected UTF-8 text")
    return decode_utf8(data, str(path))


def _read_jsonl(path: Path, result: IngestResult) -> None:
    """One article per line; a bad line is skipped and named, the others go through."""
    text = _decode(path)
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            obj = parse_json(line.encode("utf-8"), where)
        except InputError as exc:
            result.skipped.append(Skipped(str(exc)))
            continue
        _add_record(obj, where, result)


def _read_json(path: Path, result: IngestResult) -> None:
    """A JSON array of article objects (or one object); reading stops at the first syntax error, named."""
    try:
        for where, obj in iter_records(path):
            _add_record(obj, where, result)
    except InputError as exc:
        result.skipped.append(Skipped(str(exc)))


def _add_record(obj: object, where: str, result: IngestResult) -> None:
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str) or not obj["text"].strip():
        result.skipped.append(Skipped(f'{where}: expected an object with a non-empty string "text"'))
        return
    raw_id = obj.get("id")
    doc_id = safe_id(str(raw_id)) if raw_id is not None else ""
    result.articles.append(
        Article(
            id=doc_id or content_id(obj["text"]),
            text=obj["text"],
            source=_opt(obj.get("source")),
            date=_opt(obj.get("date")),
            title=_opt(obj.get("title")),
            path=where,
        )
    )


def _expand(paths: Iterable[Path]) -> Iterator[Path]:
    for p in paths:
        if p.is_dir():
            yield from sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in ARTICLE_SUFFIXES)
        else:
            yield p


def ingest(paths: Iterable[Path]) -> IngestResult:
    """Read every file; a bad file is recorded in `skipped` and never stops the others."""
    result = IngestResult()
    for path in _expand(paths):
        try:
            if not path.exists():
                raise InputError(f"{path}: no such file; check the path")
            if path.suffix.lower() in JSONL_SUFFIXES:
                _read_jsonl(path, result)
            elif path.suffix.lower() == ".json":
                _read_json(path, result)
            else:
                result.articles.append(parse_article_text(_decode(path), path.stem, str(path)))
        except InputError as exc:
            result.skipped.append(Skipped(str(exc)))
    seen: dict[str, str] = {}
    unique: list[Article] = []
    for art in result.articles:
        if art.id in seen:
            result.skipped.append(
                Skipped(
                    f"{art.path or art.id}: duplicate id {art.id!r} (first seen in {seen[art.id]}); "
                    'rename the file or set a distinct "id"'
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
    """Read back the JSONL that `ingest` wrote; anything else is an InputError naming the line."""
    out = []
    for where, o in iter_records(path):
        if not isinstance(o, dict) or not isinstance(o.get("id"), str) or not isinstance(o.get("text"), str):
            raise InputError(
                f'{where}: expected an article {{"id": "...", "text": "..."}} as `toolkit ingest` writes it; '
                "run `toolkit ingest` to make this file"
            )
        out.append(
            Article(
                id=o["id"],
                text=o["text"],
                source=_opt(o.get("source")),
                date=_opt(o.get("date")),
                title=_opt(o.get("title")),
            )
        )
    return out


def _opt(value: object) -> str | None:
    return None if value is None else str(value)
