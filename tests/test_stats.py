"""`toolkit stats`: splits as an export makes them, labels, annotators, agreement, Label Studio counts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from toolkit.dataset.configs import split_of
from toolkit.labelstudio.settings import Connection

from helpers import REPO, SEED, SEED_ID, run, three_seed_annotations


@pytest.fixture
def no_label_studio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no .env here
    for var in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def test_stats_of_annotations_match_the_export(no_label_studio: Path) -> None:
    ann = no_label_studio / "annotations"
    shutil.copytree(REPO / "annotations", ann)
    (ann / "three.json").write_text(json.dumps({**three_seed_annotations(), "doc_id": "three"}))
    text = run("stats")
    assert "Label Studio: not asked" in text and "2 record(s) read, 0 with validation errors" in text
    assert "take the most recent of several annotations: run `toolkit adjudicate`" in text
    assert "agreement over 1 document(s), 3 annotators" in text
    report = json.loads(run("stats", "--format", "json"))
    assert report["label_studio"] == {
        "note": "not asked: no Label Studio connection (LABEL_STUDIO_URL, LABEL_STUDIO_API_KEY)"
    }
    assert report["twin_groups"] == 1  # the same article twice: kept in one split
    split = split_of(min(SEED_ID, "three"))
    assert report["per_split"][split]["documents"] == 2
    assert report["per_split"][split]["entities"]["PERSON"] >= 9
    assert report["methods"] == {"ground_truth": 1, "latest": 1}
    assert set(report["annotators"]) == {
        "annotator-da486e9faf",
        *(a["annotator"] for a in three_seed_annotations()["annotations"]),
    }
    assert report["agreement"]["documents"] == 1 and report["agreement"]["single_annotator"] == 1
    # a dataset built from the same annotations counts the same
    run("export", "-o", "dist/x")
    built = json.loads(run("stats", "dist/x", "--format", "json"))
    assert built["what"] == "dataset" and built["layout"] == 2
    assert built["per_split"][split] == report["per_split"][split]


def test_stats_counts_invalid_records_and_leaves_them_out(no_label_studio: Path) -> None:
    ann = no_label_studio / "annotations"
    ann.mkdir()
    shutil.copy(SEED, ann)
    bad = json.loads(SEED.read_text())
    bad["doc_id"] = "bad"
    bad["annotations"][0]["entities"][0]["end"] += 1
    (ann / "bad.json").write_text(json.dumps(bad))
    report = json.loads(run("stats", "--format", "json"))
    assert (report["records"], report["invalid"]) == (2, 1)
    assert sum(s["documents"] for s in report["per_split"].values()) == 1


@pytest.mark.labelstudio
def test_stats_counts_tasks_in_label_studio(
    ls_conn: Connection, no_label_studio: Path, monkeypatch: pytest.MonkeyPatch, project_title: str
) -> None:
    monkeypatch.setenv("LABEL_STUDIO_URL", ls_conn.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", ls_conn.api_key)
    shutil.copytree(REPO / "examples", "examples")
    shutil.copytree(REPO / "annotations", "annotations")
    run("ingest", "examples/seeds")
    run("tasks")
    run("push", "build/tasks.jsonl", "--annotations", "annotations", "--project", project_title)
    report = json.loads(run("stats", "--project", project_title, "--format", "json"))
    assert report["label_studio"] == {
        "project": project_title,
        "found": True,
        "tasks": 1,
        "annotated": 1,
        "remaining": 0,
    }
    assert "no project titled 'nope'" in run("stats", "--project", "nope")
