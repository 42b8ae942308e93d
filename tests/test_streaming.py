"""Streaming and parallel validation give exactly the sequential, whole-file answer."""

from __future__ import annotations

import json
import random
from pathlib import Path

import orjson
import pytest

from toolkit.bench.synth import iter_synthetic
from toolkit.io.jsonstream import ArrayStream, find_boundary
from toolkit.validation import validate_paths
from toolkit.validation.parallel import PARALLEL_MIN_BYTES


def read_all(path: Path) -> list:
    with path.open("rb") as fh:
        return [obj for _, obj in ArrayStream(str(path), fh)]


@pytest.mark.parametrize("indent", [None, 1, 2])
def test_array_stream_matches_json_load(tmp_path: Path, labels, indent) -> None:
    tasks = list(iter_synthetic(40, labels))
    tasks[7] = {"data": tasks[7]["data"], "id": 8}  # another key order: the slow path decodes it
    tasks[9]["data"]["text"] = 'quotes "}, {"id": 1, "annotations": [' + tasks[9]["data"]["text"]
    path = tmp_path / "t.json"
    path.write_text(json.dumps(tasks, indent=indent, ensure_ascii=False))
    assert read_all(path) == json.loads(path.read_text())


def test_ranges_stitch_exactly(tmp_path: Path, labels) -> None:
    tasks = list(iter_synthetic(60, labels))
    path = tmp_path / "t.json"
    path.write_bytes(orjson.dumps(tasks))
    with path.open("rb") as fh:
        stream = ArrayStream(str(path), fh)
        next(iter(stream))
        cut = find_boundary(fh, path.stat().st_size // 2, stream.sig)
    assert cut is not None
    with path.open("rb") as fh:
        head = ArrayStream(str(path), fh, None, cut)
        left = [o for _, o in head]
    with path.open("rb") as fh:
        right = [o for _, o in ArrayStream(str(path), fh, cut, None, head.sig)]
    assert not head.overran and left + right == tasks


def test_parallel_equals_sequential_with_errors(tmp_path: Path, labels) -> None:
    rng = random.Random(3)
    tasks = list(iter_synthetic(1100, labels))
    broken = sorted(rng.sample(range(len(tasks)), 12))
    for i in broken:
        tasks[i]["annotations"][0]["result"][0]["value"]["end"] += 1  # text-mismatch
    arr, jsonl = tmp_path / "t.json", tmp_path / "t.jsonl"
    arr.write_bytes(orjson.dumps(tasks))
    jsonl.write_bytes(b"".join(orjson.dumps(t) + b"\n" for t in tasks))
    assert arr.stat().st_size > PARALLEL_MIN_BYTES
    for path, fmt in ((arr, "{}[{}]"), (jsonl, "{}:{}")):
        seq = validate_paths([path], labels, jobs=1)
        par = validate_paths([path], labels, jobs=2)
        assert seq.checked == par.checked == len(tasks)
        assert (seq.entities, seq.relations) == (par.entities, par.relations)
        assert [p.as_dict() for p in seq.errors] == [p.as_dict() for p in par.errors]
        offset = 0 if fmt.startswith("{}[") else 1
        assert [p.file for p in par.errors] == [fmt.format(path, i + offset) for i in broken]
