"""Other teams' projects through to a dataset: schema from their config, import, export, `load_dataset`.

The card and its YAML come from their label schema (language, licence, title), never from the news
project; a relation named `no_relation` (TACRED's convention) is the negative class, once.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from datasets import load_dataset

from helpers import DATA, run

PROJECTS = DATA / "projects"


def front_and_body(card: Path) -> tuple[dict, str]:
    _, front, body = card.read_text().split("---\n", 2)
    return yaml.safe_load(front), body.lstrip()


def test_dutch_project_exports_with_its_language_and_licence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copytree(PROJECTS / "court-nl", "court")
    run(
        "schema", "from-config", "court/config.xml", "-o", "court.labels.json", "--title", "Uitspraken",
        "--description", "Nederlandse uitspraken met personen, organisaties en hun relaties",
        "--language", "nl", "--license", "cc-by-4.0",
    )  # fmt: skip
    lab = ["--labels", "court.labels.json"]
    run(*lab, "import", "court/server-a.json", "--annotator", "anna")
    said = run(*lab, "export")  # default output: dist/<label schema name>
    (name,) = [p.name for p in Path("dist").iterdir() if p.is_dir()]
    out = Path("dist") / name
    assert f"wrote {out}:" in said and "card: " in said
    front, body = front_and_body(out / "README.md")
    assert front["language"] == ["nl"] and front["license"] == "cc-by-4.0" and "license_name" not in front
    assert front["pretty_name"] == "Uitspraken"
    assert "label-studio" in front["tags"] and "news" not in front["tags"]
    assert body.startswith("# Uitspraken (unreleased build)")
    assert "Nederlandse uitspraken met personen" in body
    for word in ("news", "News", "article", "publisher", "English", "MENAFN", "word-level"):
        assert word not in body, word
    for config in ("documents", "ner", "relations"):
        ds = load_dataset(str(out), config)
        assert sum(d.num_rows for d in ds.values()) > 0, config
    docs = load_dataset(str(out))
    rows = [r for d in docs.values() for r in d]
    assert len(rows) == 3 and all(r["text"][e["start"] : e["end"]] == e["text"] for r in rows for e in r["entities"])


def test_tacred_no_relation_is_the_negative_class(tmp_path: Path) -> None:
    schema = tmp_path / "tacred.labels.json"
    run("schema", "from-config", str(PROJECTS / "tacred" / "config.xml"), "-o", str(schema))
    lab = ["--labels", str(schema)]
    run(*lab, "import", str(PROJECTS / "tacred" / "export.json"), "-o", str(tmp_path / "annotations"))
    out = tmp_path / "dist"
    run(*lab, "export", str(tmp_path / "annotations"), "-o", str(out))
    rels = load_dataset(str(out), "relations")
    names = next(iter(rels.values())).features["pairs"].feature["label"].names
    assert names.count("no_relation") == 1 and names[0] == "no_relation"
    assert "org:founded_by" in names
    pairs = [p for split in rels.values() for row in split for p in row["pairs"]]
    labelled = {names[p["label"]] for p in pairs}
    assert {"org:founded_by", "org:city_of_headquarters", "no_relation"} <= labelled
    docs = load_dataset(str(out), "documents")
    doc_names = next(iter(docs.values())).features["relations"].feature["label"].names
    assert "no_relation" in doc_names  # in `documents`, an annotated relation like any other
    annotated = [r for d in docs.values() for row in d for r in row["relations"]]
    assert len(annotated) == 8
    ner = load_dataset(str(out), "ner")
    assert sum(d.num_rows for d in ner.values()) >= 2
