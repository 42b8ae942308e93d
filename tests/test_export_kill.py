"""SIGKILL `toolkit export` and `toolkit release` at fixed points: the output folder is always the
previous complete build or the new one, and running the command again converges.

The points are named checkpoints (`TOOLKIT_KILL_AT`, toolkit/io/faults.py) where the process kills
itself with SIGKILL, so each kill lands exactly there: after validation, after the scan, while
parquet is being written, with the manifest written inside the new folder, just before and just
after the folder swap, and (release) between recording the label schema and the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import orjson

from toolkit.bench.annotations import synthetic_document
from toolkit.io.paths import doc_filename
from toolkit.labelschema import LabelSchema

from helpers import REPO, SEED, finish

EXPORT_POINTS = ["scanned", "rows", "before-swap", "swapped"]
RELEASE_POINTS = ["scanned", "before-swap", "labels-recorded"]


def toolkit(cwd: Path, *args: str, kill_at: str | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("TOOLKIT_KILL_AT", None)
    if kill_at:
        env["TOOLKIT_KILL_AT"] = kill_at
    return subprocess.Popen(
        [sys.executable, "-m", "toolkit", *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip


def complete(folder: Path) -> dict[str, str]:
    """The folder's files, checked against its own manifest: every file whole, nothing missing or extra."""
    manifest = json.loads((folder / "manifest.json").read_text())
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {"manifest.json"}
    assert present == set(manifest["files"])
    for name, sha in manifest["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == sha, name
    return dict(manifest["files"])


def add_documents(folder: Path, n: int, seed: int) -> None:
    labels, rng = LabelSchema.load(), random.Random(seed)
    for i in range(n):
        doc = synthetic_document(seed * 100 + i, labels, rng)
        (folder / doc_filename(doc["doc_id"])).write_bytes(orjson.dumps(doc))


def leftovers(parent: Path, name: str) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(f".{name}."))


def test_killed_export_leaves_old_or_new_and_converges(tmp_path: Path) -> None:
    ann = tmp_path / "annotations"
    ann.mkdir()
    shutil.copy(SEED, ann)
    add_documents(ann, 3, seed=1)
    finish(toolkit(tmp_path, "export", "annotations", "-o", "dist/x"))
    old = complete(tmp_path / "dist" / "x")
    add_documents(ann, 2, seed=2)
    finish(toolkit(tmp_path, "export", "annotations", "-o", "dist/ref"))
    new = complete(tmp_path / "dist" / "ref")
    assert new != old
    for point in EXPORT_POINTS:
        finish(toolkit(tmp_path, "export", "annotations", "-o", "dist/x", kill_at=point), -signal.SIGKILL)
        now = complete(tmp_path / "dist" / "x")
        assert now == (new if point == "swapped" else old), point  # "swapped" is the last point
    assert leftovers(tmp_path / "dist", "x")  # the killed builds left their temporary folders
    finish(toolkit(tmp_path, "export", "annotations", "-o", "dist/x"))
    assert complete(tmp_path / "dist" / "x") == new
    assert leftovers(tmp_path / "dist", "x") == []  # and the next run removed them


def test_killed_release_converges_and_records_once(tmp_path: Path) -> None:
    ann = tmp_path / "annotations"
    ann.mkdir()
    shutil.copy(SEED, ann)
    args = ["annotations", "-o", "dist/r", "--releases", "releases"]
    finish(toolkit(tmp_path, "release", "--version", "1.0.0", *args))
    first = complete(tmp_path / "dist" / "r")
    add_documents(ann, 2, seed=3)
    for point in RELEASE_POINTS:
        finish(toolkit(tmp_path, "release", "--version", "1.1.0", *args, kill_at=point), -signal.SIGKILL)
        now = complete(tmp_path / "dist" / "r")
        assert now == first or point == "labels-recorded", point
        assert not (tmp_path / "releases" / "1.1.0.json").exists()  # not recorded until everything is in place
    out = finish(toolkit(tmp_path, "release", "--version", "1.1.0", *args))
    assert "recorded releases/1.1.0.json" in out
    final = complete(tmp_path / "dist" / "r")
    manifest = json.loads((tmp_path / "releases" / "1.1.0.json").read_text())
    assert manifest["version"] == "1.1.0" and manifest["files"] == final
    assert leftovers(tmp_path / "dist", "r") == []
    again = finish(toolkit(tmp_path, "release", "--version", "1.1.0", *args, "--rebuild"))
    assert "byte-identical" in again


def test_two_exports_at_once_do_not_interleave(tmp_path: Path) -> None:
    ann = tmp_path / "annotations"
    ann.mkdir()
    shutil.copy(SEED, ann)
    add_documents(ann, 4, seed=4)
    procs = [toolkit(tmp_path, "export", "annotations", "-o", "dist/x") for _ in range(2)]
    for proc in procs:
        finish(proc)
    complete(tmp_path / "dist" / "x")
    assert leftovers(tmp_path / "dist", "x") == []
