"""Synthetic Label Studio exports for benchmarks: realistic size, valid against the label schema."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from .fileio import atomic_writer
from .labels import LabelSchema

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
    words: list[str] = []
    length = 0
    while length < chars:
        w = rng.choice(WORDS)
        words.append(w)
        length += len(w) + 1
    starts = []
    pos = 0
    for w in words:
        starts.append(pos)
        pos += len(w) + 1
    text = " ".join(words)
    step = len(words) // spans
    result: list[dict[str, Any]] = []
    ents = []
    for k in range(spans):
        wi = k * step + rng.randrange(step)
        s, e = starts[wi], starts[wi] + len(words[wi])
        label = rng.choice(labels.entity_names)
        rid = f"t{i}r{k}"
        ents.append((rid, label))
        result.append(
            {
                "id": rid,
                "from_name": "label",
                "to_name": "text",
                "type": "labels",
                "origin": "manual",
                "value": {"start": s, "end": e, "text": text[s:e], "labels": [label]},
            }
        )
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
    for h, t, name in pairs:
        if len(seen) >= relations:
            break
        if (h[0], t[0]) in seen or (t[0], h[0]) in seen:
            continue
        seen.add((h[0], t[0]))
        result.append({"from_id": h[0], "to_id": t[0], "type": "relation", "direction": "right", "labels": [name]})
    return {
        "id": i + 1,
        "annotations": [
            {
                "id": i + 1,
                "completed_by": 1,
                "result": result,
                "was_cancelled": False,
                "ground_truth": False,
                "created_at": "2024-01-01T00:00:00Z",
                "updated_at": "2024-01-01T00:00:00Z",
                "lead_time": 12.5,
                "task": i + 1,
                "project": 1,
            }
        ],
        "predictions": [],
        "data": {"doc_id": f"synthetic-{i:06d}", "text": text, "source": "SYNTH", "date": "2024-01-01"},
        "meta": {},
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
        "project": 1,
    }


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
