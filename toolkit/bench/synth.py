"""Synthetic Label Studio exports for benchmarks: realistic size, valid against the label schema."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from ..io.writer import atomic_writer
from ..labelschema import LabelSchema

WORDS = (
    "the",
    "minister",
    "said",
    "talks",
    "with",
    "officials",
    "in",
    "the",
    "capital",
    "would",
    "continue",
    "after",
    "the",
    "summit",
    "government",
    "forces",
    "reported",
    "new",
    "attacks",
    "near",
    "the",
    "border",
    "while",
    "envoys",
    "met",
    "allies",
    "to",
    "discuss",
    "aid",
    "sanctions",
    "elections",
    "parliament",
    "ceasefire",
    "delegation",
    "agreement",
    "spokesman",
    "ministry",
    "army",
)


def synthetic_task(
    i: int, labels: LabelSchema, rng: random.Random, chars: int = 3000, spans: int = 30, relations: int = 10
) -> dict[str, Any]:
    text, words = _text(rng, chars)
    regions = _regions(i, text, words, labels, rng, spans)
    result = regions + _relations([(r["id"], r["value"]["labels"][0]) for r in regions], labels, rng, relations)
    stamp = "2024-01-01T00:00:00Z"
    return {
        "id": i + 1,
        "annotations": [
            {
                "id": i + 1,
                "completed_by": 1,
                "result": result,
                "was_cancelled": False,
                "ground_truth": False,
                "created_at": stamp,
                "updated_at": stamp,
                "lead_time": 12.5,
                "task": i + 1,
                "project": 1,
            }
        ],
        "predictions": [],
        "data": {"doc_id": f"synthetic-{i:06d}", "text": text, "source": "SYNTH", "date": "2024-01-01"},
        "meta": {},
        "created_at": stamp,
        "updated_at": stamp,
        "project": 1,
    }


def _text(rng: random.Random, chars: int) -> tuple[str, list[tuple[int, str]]]:
    """About `chars` characters of words, and each word with its offset."""
    words: list[tuple[int, str]] = []
    pos = 0
    while pos < chars:
        w = rng.choice(WORDS)
        words.append((pos, w))
        pos += len(w) + 1
    return " ".join(w for _, w in words), words


def _regions(
    i: int, text: str, words: list[tuple[int, str]], labels: LabelSchema, rng: random.Random, spans: int
) -> list[dict[str, Any]]:
    step = len(words) // spans
    out = []
    for k in range(spans):
        s, w = words[k * step + rng.randrange(step)]
        out.append(
            {
                "id": f"t{i}r{k}",
                "from_name": "label",
                "to_name": "text",
                "type": "labels",
                "origin": "manual",
                "value": {
                    "start": s,
                    "end": s + len(w),
                    "text": text[s : s + len(w)],
                    "labels": [rng.choice(labels.entity_names)],
                },
            }
        )
    return out


def _relations(
    ents: list[tuple[str, str]], labels: LabelSchema, rng: random.Random, relations: int
) -> list[dict[str, Any]]:
    """Relations between distinct span pairs, each of a type the schema allows for their labels."""
    pairs = [
        (h, t, rt.name)
        for h in ents
        for t in ents
        if h is not t
        for rt in labels.relation_types.values()
        if h[1] in rt.head and t[1] in rt.tail
    ]
    rng.shuffle(pairs)
    seen: set[tuple[str, str]] = set()
    out = []
    for h, t, name in pairs:
        if len(seen) >= relations:
            break
        if (h[0], t[0]) in seen or (t[0], h[0]) in seen:
            continue
        seen.add((h[0], t[0]))
        out.append({"from_id": h[0], "to_id": t[0], "type": "relation", "direction": "right", "labels": [name]})
    return out


def iter_synthetic(n: int, labels: LabelSchema, seed: int = 7) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    for i in range(n):
        yield synthetic_task(i, labels, rng)


def write_export(path: Path, n: int, labels: LabelSchema, jsonl: bool = False) -> int:
    """Write a JSON array (like Label Studio's export) or JSONL, streaming; returns bytes written."""
    size = 0
    with atomic_writer(path) as fh:
        if not jsonl:
            fh.write(b"[")
            size += 1
        for i, task in enumerate(iter_synthetic(n, labels)):
            data = orjson.dumps(task)
            if jsonl:
                data += b"\n"
            elif i:
                data = b",\n" + data
            fh.write(data)
            size += len(data)
        if not jsonl:
            fh.write(b"]\n")
            size += 2
    return size
