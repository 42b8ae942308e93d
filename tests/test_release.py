"""Versioned releases: two releases, changelog, refused versions, reproducibility, configs, publish."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from datasets import ClassLabel, load_dataset
from huggingface_hub import CommitOperationAdd, HfApi
from huggingface_hub.hf_api import CommitInfo

from toolkit.cli import main
from toolkit.dataset.configs import split_of
from toolkit.dataset.manifest import check_version, required_bump
from toolkit.dataset.publish import plan, publish
from toolkit.errors import ToolkitError
from toolkit.labelschema import DEFAULT_LABELS
from toolkit.records.labelstudio import task_to_document

from helpers import three_seed_annotations

REPO = Path(__file__).resolve().parent.parent
UNICODE_EXPORT = REPO / "tests" / "data" / "valid" / "labelstudio-export-unicode.json"


def invoke(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    ann = tmp_path / "annotations"
    ann.mkdir()
    shutil.copy(REPO / "annotations" / "000_502a72c922326d2e.json", ann)
    return ann


def release_1_0_0(corpus: Path, tmp_path: Path) -> Path:
    dist = tmp_path / "dist"
    res = invoke("release", "--version", "1.0.0", str(corpus), "-o", str(dist), "--releases", str(tmp_path / "r"))
    assert res.exit_code == 0, res.output
    return dist


def add_documents(ann: Path) -> list[str]:
    """Documents from a real Label Studio export, converted to annotation files."""
    ids = []
    for task in json.loads(UNICODE_EXPORT.read_text()):
        doc, _ = task_to_document(task)
        (ann / f"{doc.doc_id}.json").write_text(json.dumps(doc.record(), ensure_ascii=False))
        ids.append(doc.doc_id)
    return ids


def test_two_releases_changelog_refusals_and_rebuild(corpus: Path, tmp_path: Path) -> None:
    rel, dist = tmp_path / "releases", tmp_path / "dist" / "news-relations"
    res = invoke("release", "--version", "1.0.0", str(corpus), "-o", str(dist), "--releases", str(rel))
    assert res.exit_code == 0, res.output
    first = {p.relative_to(dist): p.read_bytes() for p in dist.rglob("*") if p.is_file()}
    assert (rel / "1.0.0.json").exists()

    res = invoke("release", "--version", "1.0.0", str(corpus), "-o", str(dist), "--releases", str(rel))
    assert res.exit_code == 1 and "already released" in res.output
    res = invoke("release", "--version", "1.0.1", str(corpus), "-o", str(dist), "--releases", str(rel))
    assert res.exit_code == 1 and "nothing changed" in res.output

    added = add_documents(corpus)
    res = invoke("release", "--version", "1.0.1", str(corpus), "-o", str(dist), "--releases", str(rel))
    assert res.exit_code == 1
    assert "need a minor bump" in res.output and "3 document(s) added" in res.output and "1.1.0" in res.output
    assert {p.relative_to(dist): p.read_bytes() for p in dist.rglob("*") if p.is_file()} == first  # untouched
    res = invoke("release", "--version", "1.1.0", str(corpus), "-o", str(dist), "--releases", str(rel))
    assert res.exit_code == 0, res.output

    log = (dist / "CHANGELOG.md").read_text()
    assert log.index("## v1.1.0") < log.index("## v1.0.0")  # newest first
    assert "documents added (3): " + ", ".join(f"`{d}`" for d in sorted(added)) in log
    new_persons = sum(
        e["label"] == "PERSON"
        for t in json.loads(UNICODE_EXPORT.read_text())
        for e in (
            r["value"] | {"label": r["value"]["labels"][0]}
            for r in t["annotations"][0]["result"]
            if r["type"] == "labels"
        )
    )
    assert new_persons == 5
    assert f"| `PERSON` | entity | {9 + new_persons} | +{new_persons} |" in log
    manifest = json.loads((dist / "manifest.json").read_text())
    assert manifest["version"] == "1.1.0" and set(manifest["documents"]) == {"000_502a72c922326d2e", *added}
    assert manifest["label_schema"]["sha256"] and manifest["toolkit_version"]
    assert all(manifest["documents"][d]["split"] == split_of(d) for d in manifest["documents"])

    rebuilt = tmp_path / "rebuilt"
    shutil.copytree(corpus, tmp_path / "ann-1.0.0")
    for d in added:
        (tmp_path / "ann-1.0.0" / f"{d}.json").unlink()
    res = invoke(
        "release",
        "--version",
        "1.0.0",
        str(tmp_path / "ann-1.0.0"),
        "-o",
        str(rebuilt),
        "--releases",
        str(rel),
        "--rebuild",
    )
    assert res.exit_code == 0, res.output
    assert {
        p.relative_to(rebuilt): p.read_bytes() for p in rebuilt.rglob("*") if p.is_file() and p.name != "manifest.json"
    } == {k: v for k, v in first.items() if k.name != "manifest.json"}


def test_rebuild_uses_the_label_schema_the_release_was_built_with(corpus: Path, tmp_path: Path) -> None:
    """Colours, definitions and project metadata may change after a release; its rebuild still matches."""
    release_1_0_0(corpus, tmp_path)
    assert (tmp_path / "r" / "1.0.0.labels.json").read_bytes() == DEFAULT_LABELS.read_bytes()
    edited = json.loads(DEFAULT_LABELS.read_text())
    edited["entities"][0].update(color="#ffffff", description="Changed after the release.")
    edited["project"]["description"] = "Changed after the release."
    (tmp_path / "now.labels.json").write_text(json.dumps(edited))
    res = invoke(
        "--labels", str(tmp_path / "now.labels.json"), "release", "--version", "1.0.0", str(corpus),
        "-o", str(tmp_path / "again"), "--releases", str(tmp_path / "r"), "--rebuild",
    )  # fmt: skip
    assert res.exit_code == 0 and "byte-identical" in res.output, res.output


def test_all_configs_load_and_ner_matches_token_classification(corpus: Path, tmp_path: Path) -> None:
    add_documents(corpus)
    dist = release_1_0_0(corpus, tmp_path)
    docs = load_dataset(str(dist), "documents")
    ner = load_dataset(str(dist), "ner")
    rels = load_dataset(str(dist), "relations")
    assert sum(d.num_rows for d in docs.values()) == 4
    split = next(iter(ner))
    feat = ner[split].features["ner_tags"].feature
    assert isinstance(feat, ClassLabel) and feat.names[:3] == ["O", "B-PERSON", "I-PERSON"]
    for row in ner[split]:
        assert len(row["tokens"]) == len(row["ner_tags"]) == len(row["token_offsets"])
    seed = next(r for d in docs.values() for r in d if r["id"] == "000_502a72c922326d2e")
    seed_ner = [r for d in ner.values() for r in d if r["doc_id"] == "000_502a72c922326d2e"]
    b_tags = sum(1 for r in seed_ner for t in r["ner_tags"] if feat.names[t].startswith("B-"))
    assert b_tags == len(seed["entities"]) == 57  # every seed span is on token boundaries
    for r in seed_ner:
        for tok, off in zip(r["tokens"], r["token_offsets"], strict=True):
            assert seed["text"][off : off + len(tok)] == tok
    names = next(iter(rels.values())).features["pairs"].feature["label"].names
    assert names[0] == "no_relation"
    seed_rels = [r for d in rels.values() for r in d if r["doc_id"] == "000_502a72c922326d2e"]
    labelled = [p for r in seed_rels for p in r["pairs"] if p["label"] != 0]
    sym = {"cooperates_with", "meets_with", "in_conflict_with"}
    expected = sum(2 if rel in sym else 1 for rel in _seed_relation_labels())
    assert len(labelled) == expected  # symmetric relations appear in both directions
    for r in seed_rels:
        assert seed["text"][r["text_start"] : r["text_start"] + len(r["text"])] == r["text"]  # stored once
        for e in r["entities"]:
            assert r["text"][e["start"] : e["end"]] == e["text"]
    assert sum(len(r["entities"]) for r in seed_rels) <= 57  # each mention at most once
    card = (dist / "README.md").read_text()
    assert "sha256(doc_id)" in card and 'revision="v1.0.0"' in card and "## Changelog" in card
    assert "sequence:" in card  # datasets 3.x reads Sequence(ClassLabel)
    assert json.loads((dist / "manifest.json").read_text())["layout"] == 2


def test_recorded_layout_1_release_rebuilds_byte_identical(tmp_path: Path) -> None:
    """releases/1.0.0.json has no layout: it is rebuilt by the frozen layout-1 code, file for file."""
    recorded = json.loads((REPO / "releases" / "1.0.0.json").read_text())
    assert "layout" not in recorded
    out = tmp_path / "x"
    res = invoke(
        "release", "--version", "1.0.0", str(REPO / "annotations"), "-o", str(out), "--releases",
        str(REPO / "releases"), "--rebuild",
    )  # fmt: skip
    assert res.exit_code == 0 and "byte-identical to the recorded release (5 files)" in res.output, res.output
    assert "(layout 1)" in res.output
    assert {f: hashlib.sha256((out / f).read_bytes()).hexdigest() for f in recorded["files"]} == recorded["files"]
    assert "train-00000-of-00001.parquet" in str(sorted(recorded["files"]))
    rels = load_dataset(str(out), "relations", split="train")
    assert rels.num_rows == 310 and "head" in rels.features  # one row per ordered pair, as recorded


def test_changelog_names_labels_and_constraints(corpus: Path, tmp_path: Path) -> None:
    rel, dist = tmp_path / "releases", tmp_path / "dist"
    assert invoke("release", "--version", "1.0.0", str(corpus), "-o", str(dist), "--releases", str(rel)).exit_code == 0
    data = json.loads(DEFAULT_LABELS.read_text())
    data["entities"].append({"name": "FACILITY", "description": "A building.", "example": "the [Pentagon]"})
    data["relations"] = [r for r in data["relations"] if r["name"] != "supplies"]
    for r in data["relations"]:
        if r["name"] == "visits":
            r["tail"] = [*r["tail"], "FACILITY"]
    doc = json.loads((corpus / "000_502a72c922326d2e.json").read_text())
    doc["annotations"][0]["relations"] = [r for r in doc["annotations"][0]["relations"] if r["label"] != "supplies"]
    (corpus / "000_502a72c922326d2e.json").write_text(json.dumps(doc))
    schema = tmp_path / "new.labels.json"
    schema.write_text(json.dumps(data))
    res = invoke("--labels", str(schema), "release", "--version", "2.0.0", str(corpus), "-o", str(dist),
                 "--releases", str(rel))  # fmt: skip
    assert res.exit_code == 0, res.output
    log = (dist / "CHANGELOG.md").read_text()
    entry = log[log.index("## v2.0.0") : log.index("## v1.0.0")]
    assert "- entity labels added: `FACILITY`" in entry
    assert "- relation labels removed: `supplies`" in entry
    assert "- relation `visits` constraints changed: tail GPE/LOC/ORG → FACILITY/GPE/LOC/ORG" in entry
    assert "## Changelog" in (dist / "README.md").read_text()


def test_release_card_shows_agreement_charts_reproducibly(tmp_path: Path) -> None:
    ann = tmp_path / "annotations"
    ann.mkdir()
    (ann / "seed.json").write_text(json.dumps(three_seed_annotations()))
    outs = []
    for k in range(2):
        out = tmp_path / f"dist{k}"
        res = invoke("release", "--version", "1.0.0", str(ann), "-o", str(out), "--releases", str(tmp_path / f"r{k}"))
        assert res.exit_code == 0, res.output
        assert "1 document(s) have several annotations and no adjudication" in res.output
        outs.append(out)
    card = (outs[0] / "README.md").read_text()
    assert "![Agreement per label](images/agreement.png)" in card and "| `PERSON` | entity |" in card
    png = (outs[0] / "images" / "agreement.png").read_bytes()
    assert png.startswith(b"\x89PNG") and b"Software" not in png
    assert png == (outs[1] / "images" / "agreement.png").read_bytes()
    assert (outs[0] / "images" / "labels.png").read_bytes() == (outs[1] / "images" / "labels.png").read_bytes()
    m0, m1 = (json.loads((o / "manifest.json").read_text()) for o in outs)
    assert m0["files"] == m1["files"]


def _seed_relation_labels() -> list[str]:
    doc = json.loads((REPO / "annotations" / "000_502a72c922326d2e.json").read_text())
    return [r["label"] for r in doc["annotations"][0]["relations"]]


def test_release_refuses_invalid_annotations(corpus: Path, tmp_path: Path) -> None:
    path = corpus / "000_502a72c922326d2e.json"
    doc = json.loads(path.read_text())
    doc["annotations"][0]["entities"][0]["label"] = "NOT_A_LABEL"
    path.write_text(json.dumps(doc))
    res = invoke(
        "release", "--version", "1.0.0", str(corpus), "-o", str(tmp_path / "d"), "--releases", str(tmp_path / "r")
    )
    assert res.exit_code == 1 and "validation error" in res.output and not (tmp_path / "r").exists()


def manifest(entities: list[str], relations: dict[str, Any], docs: dict[str, str], version: str = "1.0.0") -> dict:
    return {
        "version": version,
        "label_schema": {"sha256": json.dumps([entities, relations]), "entities": entities, "relations": relations},
        "documents": {d: {"fingerprint": f} for d, f in docs.items()},
    }


REL = {"r": {"head": ["A"], "tail": ["B"], "symmetric": False}}


@pytest.mark.parametrize(
    ("new", "needed"),
    [
        (manifest(["A"], REL, {"d1": "x"}), "major"),  # entity label removed
        (manifest(["A", "B"], {"r": {"head": ["A"], "tail": ["A"], "symmetric": False}}, {"d1": "x"}), "major"),
        (manifest(["A", "B"], REL, {}), "major"),  # document removed
        (manifest(["A", "B", "C"], REL, {"d1": "x"}), "minor"),  # label added
        (manifest(["A", "B"], REL, {"d1": "x", "d2": "y"}), "minor"),  # document added
        (manifest(["A", "B"], REL, {"d1": "changed"}), "patch"),  # annotation corrected
        (manifest(["A", "B"], REL, {"d1": "x"}), "none"),
    ],
)
def test_semver_rules(new: dict, needed: str) -> None:
    prev = manifest(["A", "B"], REL, {"d1": "x"})
    assert required_bump(prev, new).required == needed
    if needed in ("major", "minor"):
        new["version"] = "1.0.1"
        with pytest.raises(ToolkitError, match=f"need a {needed} bump"):
            check_version(prev, new)
        new["version"] = "2.0.0"
        check_version(prev, new)  # a larger bump than needed is allowed


class RecordingHub(HfApi):
    """The Hub boundary: every call that would go over the network is recorded instead."""

    def __init__(self, tags: list[str] | None = None) -> None:
        super().__init__(token="hf_test")
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.tags = tags or []

    def list_repo_refs(self, repo_id: str, **kw: Any) -> Any:
        self.calls.append(("list_repo_refs", {"repo_id": repo_id, **kw}))
        return type("Refs", (), {"tags": [type("Ref", (), {"name": t})() for t in self.tags]})()

    def create_repo(self, repo_id: str, **kw: Any) -> Any:  # type: ignore[override]
        self.calls.append(("create_repo", {"repo_id": repo_id, **kw}))

    def create_commit(self, repo_id: str, operations: Any, **kw: Any) -> Any:  # type: ignore[override]
        self.calls.append(("create_commit", {"repo_id": repo_id, "operations": list(operations), **kw}))
        return CommitInfo(
            commit_url=f"https://huggingface.co/datasets/{repo_id}/commit/abc123",
            commit_message="",
            commit_description="",
            oid="abc123",
        )

    def create_tag(self, repo_id: str, **kw: Any) -> Any:  # type: ignore[override]
        self.calls.append(("create_tag", {"repo_id": repo_id, **kw}))


def test_publish_up_to_the_hub_boundary(corpus: Path, tmp_path: Path) -> None:
    """No Hub is reachable here: everything above the huggingface_hub network calls runs for real."""
    dist = release_1_0_0(corpus, tmp_path)
    hub = RecordingHub()
    out = publish(plan(dist, "org/news-relations"), hub)
    assert out == {
        "commit": "abc123",
        "tag": "v1.0.0",
        "url": "https://huggingface.co/datasets/org/news-relations/commit/abc123",
    }
    assert [name for name, _ in hub.calls] == ["list_repo_refs", "create_repo", "create_commit", "create_tag"]
    commit = hub.calls[2][1]
    files = sorted(str(p.relative_to(dist)) for p in dist.rglob("*") if p.is_file())
    ops = commit["operations"]
    assert all(isinstance(op, CommitOperationAdd) for op in ops)
    assert [op.path_in_repo for op in ops] == files
    assert all(op.path_or_fileobj == str(dist / op.path_in_repo) for op in ops)
    assert commit["repo_type"] == "dataset" and commit["commit_message"] == "Release v1.0.0"
    assert hub.calls[3][1] == {
        "repo_id": "org/news-relations",
        "tag": "v1.0.0",
        "revision": "abc123",
        "repo_type": "dataset",
        "tag_message": "Release v1.0.0",
    }


def test_publish_refuses_existing_tag_and_tampered_folder(corpus: Path, tmp_path: Path) -> None:
    dist = release_1_0_0(corpus, tmp_path)
    hub = RecordingHub(tags=["v1.0.0"])
    with pytest.raises(ToolkitError, match=r"already has tag v1\.0\.0"):
        publish(plan(dist, "org/x"), hub)
    assert [n for n, _ in hub.calls] == ["list_repo_refs"]  # nothing sent
    res = invoke("publish", str(dist), "--repo-id", "org/x", "--dry-run")
    assert res.exit_code == 0 and "would commit 8 file(s)" in res.output and "tag it v1.0.0" in res.output
    assert "would upload images/labels.png" in res.output and "would upload sources.jsonl" in res.output
    (dist / "README.md").write_text("edited")
    res = invoke("publish", str(dist), "--repo-id", "org/x", "--dry-run")
    assert res.exit_code == 1 and "README.md: changed since the release was built" in res.output
    res = invoke("publish", str(tmp_path), "--repo-id", "org/x", "--dry-run")
    assert res.exit_code == 2 and "no manifest.json" in res.output


def test_publish_needs_a_token(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dist = release_1_0_0(corpus, tmp_path)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    res = invoke("publish", str(dist), "--repo-id", "org/x")
    assert res.exit_code == 2 and "HF_TOKEN" in res.output
