"""Synthetic annotations/ folders for the export benchmark: one valid JSON file per document.

Two shapes, both about 3,400 characters with 30 one-word entity spans and 10 relations per
document: `sentences` has realistic sentences (about 19 per document); `one-sentence` has no
sentence break at all, so all 30 mentions share one sentence, the shape where one row per mention
pair explodes. One document in 200 repeats the text before it with other whitespace (a twin), one
in 50 has a second annotator, one in 50 has an id that is not a safe file name (stored under a
hashed name, as `toolkit pull` stores it). Deterministic for a given seed.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from ..io.paths import doc_filename
from ..io.writer import write_files
from ..labelschema import LabelSchema
from .synth import WORDS

SHAPES = ("sentences", "one-sentence")
CHARS, SPANS, RELATIONS = 3400, 30, 10
SENTENCE_WORDS = (22, 34)  # words per sentence of the `sentences` shape: about 19 sentences per document
STAMPS = ("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z")


def _annotator(k: int) -> str:
    return "annotator-" + hashlib.sha256(f"bench-{k}".encode()).hexdigest()[:10]


def synthetic_document(
    i: int, labels: LabelSchema, rng: random.Random, shape: str = "sentences", text: str | None = None
) -> dict[str, Any]:
    """One canonical annotations/ document (the form `toolkit pull` writes), valid against `labels`."""
    if text is None:
        text, words = _text(rng, shape)
    else:  # a twin: the same words, other whitespace
        words = _words(text)
        text = text.replace(" ", "  ", 1) + "\n"
        words = _words(text)
    anns = [_annotation(f"a{i}", _annotator(i % 7), words, labels, rng, STAMPS[0])]
    if i % 50 == 25:
        anns.append(_annotation(f"b{i}", _annotator(i % 7 + 1), words, labels, rng, STAMPS[1]))
    return {
        "doc_id": f"synthetic/{i:06d}" if i % 50 == 49 else f"synthetic-{i:06d}",
        "text": text,
        "meta": {"source": f"SYNTH-{i % 5}", "date": "2024-01-01", "title": None},
        "annotations": anns,
    }


def _annotation(
    ann_id: str, annotator: str, words: list[tuple[int, str]], labels: LabelSchema, rng: random.Random, stamp: str
) -> dict[str, Any]:
    step = len(words) // SPANS
    entities = []
    for k in range(SPANS):
        start, word = words[k * step + rng.randrange(step)]
        label = rng.choice(labels.entity_names)
        entities.append({"id": f"e{k}", "start": start, "end": start + len(word), "label": label, "text": word})
    return {
        "id": ann_id,
        "annotator": annotator,
        "ground_truth": False,
        "was_cancelled": False,
        "created_at": stamp,
        "updated_at": stamp,
        "entities": entities,
        "relations": _relations(entities, labels, rng),
    }


def _text(rng: random.Random, shape: str) -> tuple[str, list[tuple[int, str]]]:
    """About CHARS characters; each word with its offset."""
    parts: list[str] = []
    pos, left = 0, 0
    while pos < CHARS:
        word = rng.choice(WORDS)
        if shape == "sentences" and left == 0:
            left = rng.randint(*SENTENCE_WORDS)
            word = word.capitalize()
        left -= 1
        sep = ". " if shape == "sentences" and left == 0 else " "
        parts += [word, sep]
        pos += len(word) + len(sep)
    text = "".join(parts[:-1]) + ("." if shape == "sentences" else "")
    return text, _words(text)


def _words(text: str) -> list[tuple[int, str]]:
    out, pos = [], 0
    for part in text.split(" "):
        word = part.strip(".\n")
        if word:
            out.append((pos + part.index(word), word))
        pos += len(part) + 1
    return out


def _relations(entities: list[dict[str, Any]], labels: LabelSchema, rng: random.Random) -> list[dict[str, Any]]:
    """RELATIONS relations between distinct span pairs, each of a type the schema allows for their labels."""
    types = list(labels.relation_types.values())
    seen: set[frozenset[str]] = set()
    out: list[dict[str, Any]] = []
    for _ in range(2000):
        h, t = rng.sample(entities, 2)
        key = frozenset((h["id"], t["id"]))
        fits = [rt for rt in types if h["label"] in rt.head and t["label"] in rt.tail]
        if key in seen or not fits:
            continue
        seen.add(key)
        rt = rng.choice(fits)
        out.append({"head": h["id"], "tail": t["id"], "label": rt.name, "symmetric": rt.symmetric})
        if len(out) == RELATIONS:
            break
    return out


def iter_documents(n: int, labels: LabelSchema, shape: str = "sentences", seed: int = 11) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    previous = ""
    for i in range(n):
        doc = synthetic_document(i, labels, rng, shape, previous if i % 200 == 199 else None)
        previous = doc["text"]
        yield doc


def write_annotations(folder: Path, n: int, labels: LabelSchema, shape: str = "sentences", batch: int = 2000) -> int:
    """`n` documents in `folder`, one file each, named as `toolkit pull` names them; returns bytes written."""
    size = 0
    items: list[tuple[Path, bytes]] = []
    for doc in iter_documents(n, labels, shape):
        data = orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
        items.append((folder / doc_filename(doc["doc_id"]), data))
        size += len(data)
        if len(items) >= batch:
            write_files(items)
            items = []
    write_files(items)
    return size
