"""No traceback on any input: property-based tests for the commands that read other people's files.

Arbitrary JSON values, and mutations of a real Label Studio export (keys removed, types changed,
huge or negative numbers, NaN, lone surrogates, invalid UTF-8, a BOM, truncation), go through
`validate`, `import`, `ingest` and `tasks`: every run ends with exit 0, 1 or 2 and a message, never
an exception. `make test` runs a few hundred examples; `make fuzz` (HYPOTHESIS_PROFILE=fuzz) many more.
The pathological shapes (100,000-deep nesting, a 50 MB string) run once each in a child process
with a memory cap, so a regression shows as a failure rather than a hung or swapped machine.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.cli import main

from helpers import DATA, REPO

pytestmark = pytest.mark.fuzz

settings.register_profile(
    "default", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.register_profile("fuzz", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

EXPORT = json.loads((DATA / "valid" / "labelstudio-export-unicode.json").read_text())
SCALARS = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=30)
JSON = st.recursive(
    SCALARS, lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4), max_leaves=25
)
ODD_VALUES = st.sampled_from(
    [None, True, -1, 0, 2**63 - 1, -(2**63), 10**30, 1.5, 0.0, "", "x" * 200, [], {}, [1, 2], {"a": None}, "\ud800"]
)  # fmt: skip


def paths_of(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += paths_of(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += paths_of(v, (*prefix, i))
    return out


@st.composite
def mutated_export(draw: st.DrawFn) -> bytes:
    """A real export with a few keys removed or values replaced, serialized with raw-byte damage."""
    data = json.loads(json.dumps(EXPORT))
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(paths_of(data)[1:]))
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        if draw(st.booleans()) and isinstance(parent, dict):
            parent.pop(path[-1], None)
        else:
            parent[path[-1]] = draw(ODD_VALUES | JSON)
    raw = json.dumps(data, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    damage = draw(st.sampled_from(["none", "truncate", "bom", "bad-utf8", "nan", "surrogate", "jsonl"]))
    if damage == "truncate":
        raw = raw[: draw(st.integers(0, len(raw)))]
    elif damage == "bom":
        raw = b"\xef\xbb\xbf" + raw
    elif damage == "bad-utf8":
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + b"\xff\xfe" + raw[at:]
    elif damage == "nan":
        raw = raw.replace(b"0", b"NaN", 1)
    elif damage == "surrogate":
        raw = raw.replace(b'"text": "', b'"text": "\\udc80', 1)
    elif damage == "jsonl":
        raw = b"\n".join(json.dumps(t).encode() for t in data) if isinstance(data, list) else raw
    return raw


def check(args: list[str]) -> None:
    res = CliRunner().invoke(main, args)
    assert res.exception is None or isinstance(res.exception, SystemExit), (args, res.exception)
    assert res.exit_code in (0, 1, 2), (args, res.output)
    assert "Traceback" not in res.output
    if res.exit_code == 2:
        assert res.output.strip(), args  # a message, not silence


def run_all(raw: bytes, suffix: str = ".json") -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"input{suffix}"
        path.write_bytes(raw)
        check(["validate", str(path)])
        check(["import", str(path), "-o", str(Path(tmp) / "annotations")])
        check(["ingest", str(path), "-o", str(Path(tmp) / "articles.jsonl")])
        check(["tasks", str(path), "-o", str(Path(tmp) / "tasks.jsonl")])


@given(JSON)
def test_any_json_value(value: Any) -> None:
    run_all(json.dumps(value).encode())


@given(mutated_export())
def test_mutations_of_a_real_export(raw: bytes) -> None:
    run_all(raw)


@given(st.lists(JSON, max_size=5))
def test_any_jsonl(values: list[Any]) -> None:
    run_all(b"\n".join(json.dumps(v).encode() for v in values), ".jsonl")


@given(st.binary(max_size=300))
def test_any_bytes(raw: bytes) -> None:
    run_all(raw)


def _capped(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """A child with at most 3 GB of address space; a hang is cut off after 10 minutes."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, preexec_fn=cap, env=env, timeout=600, check=False
    )


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("deep-array.json", lambda: b"[" * 100_000 + b"]" * 100_000, 2),
        (
            "deep-in-task.json",
            lambda: b'[{"data": {"text": "x"}, "meta": ' + b"[" * 100_000 + b"]" * 100_000 + b"}]",
            2,
        ),
        ("deep-object.json", lambda: b'{"a":' * 100_000 + b"1" + b"}" * 100_000, 2),
        ("huge-text.json", lambda: json.dumps([{"data": {"doc_id": "big", "text": "word " * 10_000_000}}]).encode(), 0),
        ("huge-int.json", lambda: b'[{"data": {"text": "x"}, "id": ' + b"9" * 5000 + b"}]", 2),
    ],
)
def test_pathological_inputs_in_bounded_memory(name: str, content: Any, code: int, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(content())
    res = _capped([sys.executable, "-m", "toolkit", "validate", str(path)], tmp_path)
    assert res.returncode == code, res.stderr[-2000:]
    assert "Traceback" not in res.stderr and (code == 0 or str(path) in res.stderr)
