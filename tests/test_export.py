from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from datasets import ClassLabel, load_dataset

from toolkit.cli import main
from toolkit.errors import ConfigError
from toolkit.labelstudio.settings import connection, read_env_file

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "annotations" / "000_502a72c922326d2e.json"


def test_seed_article_is_fully_annotated() -> None:
    doc = json.loads(SEED.read_text())
    (ann,) = doc["annotations"]
    assert len(ann["entities"]) >= 40 and len(ann["relations"]) >= 10
    assert {e["label"] for e in ann["entities"]} >= {"PERSON", "ORG", "GPE", "NORP", "ROLE", "DATE", "EVENT", "WEAPON"}
    raw = (REPO / "examples/seeds/000_502a72c922326d2e.txt").read_text()
    assert raw.endswith(doc["text"])  # the source text as given
    assert (doc["meta"]["source"], doc["meta"]["date"]) == ("MENAFN", "2024-05-01")


def test_export_loads_with_declared_features_and_is_reproducible(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "news-relations"
    res = runner.invoke(main, ["export", str(REPO / "annotations"), "-o", str(out)])
    assert res.exit_code == 0, res.output
    first = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    ds = load_dataset(str(out), split="train")
    assert isinstance(ds.features["entities"].feature["label"], ClassLabel)
    row = ds[0]
    assert len(row["entities"]) == 57 and len(row["relations"]) == 35
    assert all(row["text"][e["start"] : e["end"]] == e["text"] for e in row["entities"])
    card = (out / "README.md").read_text()
    assert card.startswith("---\n") and "dataset_info:" in card and "MENAFN" in card and "holds_role" in card
    shutil.rmtree(out)
    assert runner.invoke(main, ["export", str(REPO / "annotations"), "-o", str(out)]).exit_code == 0
    assert {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()} == first


def test_export_refuses_invalid_annotations(tmp_path: Path) -> None:
    doc = json.loads(SEED.read_text())
    doc["annotations"][0]["entities"][0]["end"] += 1
    (tmp_path / "ann").mkdir()
    (tmp_path / "ann" / "bad.json").write_text(json.dumps(doc))
    res = CliRunner().invoke(main, ["export", str(tmp_path / "ann"), "-o", str(tmp_path / "out")])
    assert res.exit_code == 1
    assert "text-mismatch" in res.output and not (tmp_path / "out").exists()


def test_cancelled_annotations_are_never_exported(tmp_path: Path) -> None:
    doc = json.loads(SEED.read_text())
    doc["annotations"][0]["was_cancelled"] = True
    (tmp_path / "ann").mkdir()
    (tmp_path / "ann" / "c.json").write_text(json.dumps(doc))
    res = CliRunner().invoke(main, ["export", str(tmp_path / "ann"), "-o", str(tmp_path / "out")])
    assert res.exit_code == 0
    assert "0 document(s)" in res.output and "no annotation that was not cancelled" in res.output


def test_env_file_with_loose_permissions_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    env = tmp_path / ".env"
    env.write_text("LABEL_STUDIO_URL=http://127.0.0.1:1\nLABEL_STUDIO_API_KEY=abc\n")
    env.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        read_env_file(env)
    env.chmod(0o600)
    conn = connection(env)
    assert conn.url == "http://127.0.0.1:1" and "abc" not in repr(conn)
