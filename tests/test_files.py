"""Files are written atomically with the user's umask, and other people's text cannot break generated Markdown."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from toolkit.cli import main
from toolkit.io.writer import atomic_write_bytes, temp_dir_beside, write_files
from toolkit.labelschema import DEFAULT_LABELS, LabelSchema, guidelines_markdown

from helpers import DATA


@pytest.fixture
def umask_022() -> object:
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_written_files_get_the_umask_modes(tmp_path: Path, umask_022: object) -> None:
    atomic_write_bytes(tmp_path / "a.json", b"{}")
    write_files([(tmp_path / "b.json", b"{}"), (tmp_path / "c.json", b"{}")])
    folder = temp_dir_beside(tmp_path / "dist")
    assert [mode(tmp_path / n) for n in ("a.json", "b.json", "c.json")] == [0o644] * 3
    assert mode(folder) == 0o755
    atomic_write_bytes(tmp_path / ".env", b"X=1", private=True)
    assert mode(tmp_path / ".env") == 0o600
    assert not [p for p in tmp_path.glob(".*.tmp") if p.is_file()]  # no temporary file left


def test_imported_and_exported_files_are_readable_by_the_group(tmp_path: Path, umask_022: object) -> None:
    runner = CliRunner()
    ann, dist = tmp_path / "ann", tmp_path / "dist"
    assert (
        runner.invoke(main, ["import", str(DATA / "valid" / "seed-labelstudio-export.json"), "-o", str(ann)]).exit_code
        == 0
    )
    assert runner.invoke(main, ["export", str(ann), "-o", str(dist)]).exit_code == 0
    assert {mode(p) for p in ann.glob("*.json")} == {0o644}
    assert {mode(p) for p in dist.rglob("*") if p.is_file()} == {0o644}
    assert {mode(p) for p in [dist, *dist.rglob("*")] if p.is_dir()} == {0o755}


def test_label_texts_cannot_break_the_guidelines(tmp_path: Path) -> None:
    data = json.loads(DEFAULT_LABELS.read_text())
    data["entities"][0]["description"] = 'Pipes | and\nnew lines <script>alert("x")</script>'
    path = tmp_path / "x.labels.json"
    path.write_text(json.dumps(data))
    text = guidelines_markdown(LabelSchema.load(path))
    row = next(line for line in text.splitlines() if line.startswith(f"| `{data['entities'][0]['name']}`"))
    assert row.count(" | ") == 3 and "<script>" not in text and "&lt;script&gt;" in row and "\\|" in row
