"""`toolkit export` (layout 2): loadable configs, the relations rule, twins, splits, the card, shards."""

from __future__ import annotations

import hashlib
import json
import random
import re
import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from click.testing import CliRunner
from datasets import ClassLabel, load_dataset
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.bench.annotations import synthetic_document
from toolkit.cli import main
from toolkit.dataset import scan, shards
from toolkit.dataset.build import export
from toolkit.dataset.configs import split_of
from toolkit.dataset.publish import plan
from toolkit.dataset.rows import NEG_MAX_GAP, NEG_MIN, NEG_PER_ANNOTATED, Vocab, bio, ner_columns, ner_rows
from toolkit.dataset.tokenized import split_sentences, tokenized
from toolkit.errors import ConfigError, ToolkitError
from toolkit.io.paths import doc_filename
from toolkit.labelschema import LabelSchema
from toolkit.labelstudio.settings import connection, read_env_file
from toolkit.records import Entity
from toolkit.tokens import TOKEN, bio_tags, sentences, tokenize

from helpers import run

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "annotations" / "000_502a72c922326d2e.json"


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def write_docs(folder: Path, docs: list[dict[str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for doc in docs:
        (folder / doc_filename(doc["doc_id"])).write_bytes(orjson.dumps(doc))
    return folder


def synthetic(n: int, shape: str = "sentences", seed: int = 3) -> list[dict[str, Any]]:
    labels, rng = LabelSchema.load(), random.Random(seed)
    return [synthetic_document(i, labels, rng, shape) for i in range(n)]


def test_seed_article_is_fully_annotated() -> None:
    doc = json.loads(SEED.read_text())
    (ann,) = doc["annotations"]
    assert len(ann["entities"]) >= 40 and len(ann["relations"]) >= 10
    assert {e["label"] for e in ann["entities"]} >= {"PERSON", "ORG", "GPE", "NORP", "ROLE", "DATE", "EVENT", "WEAPON"}
    raw = (REPO / "examples/seeds/000_502a72c922326d2e.txt").read_text()
    assert raw.endswith(doc["text"])  # the source text as given
    assert (doc["meta"]["source"], doc["meta"]["date"]) == ("MENAFN", "2024-05-01")


def test_export_loads_with_declared_features_and_is_reproducible(tmp_path: Path) -> None:
    out = tmp_path / "news-relations"
    said = run("export", str(REPO / "annotations"), "-o", str(out))
    assert "train: 1 document(s), 57 entities, 35 relations" in said
    assert "000_502a72c922326d2e -> train" in said and f"card: {out / 'README.md'}" in said
    first = files_of(out)
    assert (
        "images/labels.png" in first and "sources.jsonl" in first and "documents/train-00000-of-00001.parquet" in first
    )
    ds = load_dataset(str(out))  # every split of the default config
    assert list(ds) == ["train"]
    assert isinstance(ds["train"].features["entities"].feature["label"], ClassLabel)
    row = ds["train"][0]
    assert len(row["entities"]) == 57 and len(row["relations"]) == 35
    assert all(row["text"][e["start"] : e["end"]] == e["text"] for e in row["entities"])
    card = (out / "README.md").read_text()
    assert card.startswith("---\n") and "dataset_info:" in card and "MENAFN" in card and "holds_role" in card
    assert "](images/labels.png)" in card and "](sources.jsonl)" in card
    manifest = json.loads(first["manifest.json"])
    assert manifest["layout"] == 2 and manifest["version"] is None
    assert manifest["documents"]["000_502a72c922326d2e"]["split"] == "train"
    assert json.loads(first["sources.jsonl"]) == {
        "id": "000_502a72c922326d2e",
        "source": "MENAFN",
        "date": "2024-05-01",
        "split": "train",
    }
    shutil.rmtree(out)
    run("export", str(REPO / "annotations"), "-o", str(out))
    assert files_of(out) == first  # parquet, card, PNG chart, manifest: byte for byte


def test_every_config_loads_and_relations_follow_the_rule(tmp_path: Path) -> None:
    """One sentence with 30 mentions: all annotated pairs, and negatives by the documented rule only."""
    labels = LabelSchema.load()
    docs = synthetic(6, "one-sentence")
    ann = write_docs(tmp_path / "ann", docs)
    out = tmp_path / "out"
    run("export", str(ann), "-o", str(out))
    rels = load_dataset(str(out), "relations")
    ner = load_dataset(str(out), "ner")
    names = next(iter(rels.values())).features["pairs"].feature["label"].names
    assert names == labels.relation_class_names()
    rows = {r["doc_id"]: r for split in rels.values() for r in split}
    assert sum(split.num_rows for split in ner.values()) == 6  # one sentence each
    for doc in docs:
        row = rows[doc["doc_id"]]
        ents = doc["annotations"][0]["entities"]
        assert row["text"] == doc["text"] and len(row["entities"]) == 30  # the sentence once, every mention
        key = [(e["start"], e["end"]) for e in row["entities"]]
        by_id = {e["id"]: key.index((e["start"], e["end"])) for e in ents}
        annotated = set()
        for r in doc["annotations"][0]["relations"]:
            annotated.add((by_id[r["head"]], by_id[r["tail"]], names.index(r["label"])))
            if r["symmetric"]:
                annotated.add((by_id[r["tail"]], by_id[r["head"]], names.index(r["label"])))
        pairs = {(p["head"], p["tail"], p["label"]) for p in row["pairs"]}
        assert annotated <= pairs  # positives complete
        negatives = [(h, t) for h, t, label in pairs if label == 0]
        assert len(negatives) <= max(NEG_MIN, NEG_PER_ANNOTATED * len(annotated))
        tokens = [m.start() for m in TOKEN.finditer(doc["text"])]
        for h, t in negatives:
            a, b = sorted((row["entities"][h], row["entities"][t]), key=lambda e: e["start"])
            assert sum(a["end"] <= s < b["start"] for s in tokens) <= NEG_MAX_GAP
            types = (labels.entity_names[row["entities"][h]["label"]], labels.entity_names[row["entities"][t]["label"]])
            assert any((n, *types) in labels.allowed_triples for n in labels.relation_names)
        assert len(pairs) < 100  # 870 ordered pairs in layout 1


def test_relation_negatives_are_the_smallest_hashes(tmp_path: Path) -> None:
    """The rule re-done independently: candidates, the cap, then the smallest sha256 of [doc, head, tail]."""
    labels = LabelSchema.load()
    names = [f"Name{i}" for i in range(30)]
    text = " ".join(f"{n} and" for n in names) + " met."
    ents = [{"id": f"p{i}", "start": text.index(n + " "), "end": text.index(n + " ") + len(n), "label": "PERSON",
             "text": n} for i, n in enumerate(names)]  # fmt: skip
    rels = [{"head": "p0", "tail": "p1", "label": "meets_with", "symmetric": True},
            {"head": "p5", "tail": "p29", "label": "meets_with", "symmetric": True}]  # fmt: skip
    doc = {"doc_id": "crowd", "text": text, "meta": {"source": "x", "date": None, "title": None}, "annotations": [
        {"id": "a", "annotator": "annotator-0123456789", "entities": ents, "relations": rels}]}  # fmt: skip
    out = tmp_path / "out"
    run("export", str(write_docs(tmp_path / "ann", [doc])), "-o", str(out))
    (row,) = [r for split in load_dataset(str(out), "relations").values() for r in split]
    ann = doc["annotations"][0]
    ents = sorted(ann["entities"], key=lambda e: (e["start"], e["end"], e["label"]))
    related = {(r["head"], r["tail"]) for r in ann["relations"]}
    related |= {(r["tail"], r["head"]) for r in ann["relations"] if r["symmetric"]}
    allowed = {(h, t) for name, h, t in labels.allowed_triples}
    starts = [m.start() for m in TOKEN.finditer(doc["text"])]
    candidates = []
    for h in ents:
        for t in ents:
            a, b = sorted((h, t), key=lambda e: (e["start"], e["end"], e["label"]))
            gap = sum(a["end"] <= s < b["start"] for s in starts)
            fits = (h["label"], t["label"]) in allowed and gap <= NEG_MAX_GAP
            if h is not t and (h["id"], t["id"]) not in related and fits:
                candidates.append((h["id"], t["id"]))
    cap = max(NEG_MIN, NEG_PER_ANNOTATED * len(related))
    assert len(candidates) > cap  # the cap is what this test is about
    expected = sorted(candidates, key=lambda p: hashlib.sha256(orjson.dumps([doc["doc_id"], *p])).digest())[:cap]
    chosen = {(ents[p["head"]]["id"], ents[p["tail"]]["id"]) for p in row["pairs"] if p["label"] == 0}
    assert chosen == set(expected)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab Mr. U.S.!?\"')\n\r\tZé,", max_size=120))
def test_sentence_split_equals_the_tokenizer(text: str) -> None:
    """The export's one-pass sentence split gives exactly `tokens.sentences` and `tokens.tokenize`."""
    sents, toks = split_sentences(text)
    assert sents == sentences(text)
    assert toks == [[(t.text, t.start, t.end) for t in tokenize(text, s, e)] for s, e in sents]


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet="ab Mr. U.S.!?\"')\n\tZé,-", max_size=80),
    st.lists(st.tuples(st.integers(0, 80), st.integers(1, 12), st.sampled_from(["PERSON", "ORG"])), max_size=8),
)
def test_ner_columns_equal_the_plain_rule(text: str, spans: list[tuple[int, int, str]]) -> None:
    """The export's `ner` rows (tags set once, sliced per sentence) are `ner_rows` on `tokens`'s sentences."""
    vocab = Vocab.of(LabelSchema.load())
    ents = sorted((Entity(f"e{i}", s, s + n, label, None) for i, (s, n, label) in enumerate(spans)), key=repr)
    fast: dict[str, list[Any]] = {c: [] for c in ("id", "doc_id", "tokens", "ner_tags", "token_offsets")}
    plain: dict[str, list[Any]] = {c: [] for c in fast}
    sents, toks = split_sentences(text)
    assert ner_columns("d", ents, tokenized(text), vocab, fast) == ner_rows("d", ents, sents, toks, vocab, plain)
    assert fast == plain


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40), st.sampled_from("ABC")), max_size=6))
def test_bio_equals_the_tokenizer(spans: list[tuple[int, int, str]]) -> None:
    text = "Ann met Bob of Acme-Corp in Rome , said U.S. envoys ."
    toks = tokenize(text)
    assert bio([(t.text, t.start, t.end) for t in toks], spans) == bio_tags(toks, spans)


def _ids_in_two_splits() -> tuple[str, str]:
    ids = [f"twin-{i}" for i in range(50)]
    a = min(ids)
    b = next(i for i in ids if split_of(i) != split_of(a))
    return a, b


def test_twins_share_one_split_and_the_export_says_so(tmp_path: Path) -> None:
    seed = json.loads(SEED.read_text())
    a, b = _ids_in_two_splits()
    twin = {**seed, "doc_id": b, "text": seed["text"].replace(" ", "  \n", 3)}  # same words, other spaces
    twin["annotations"] = [_shifted(seed["annotations"][0], seed["text"], twin["text"])]
    alone = {**synthetic(1)[0], "doc_id": "alone"}
    ann = write_docs(tmp_path / "ann", [{**seed, "doc_id": a}, twin, alone])
    out = tmp_path / "out"
    said = run("export", str(ann), "-o", str(out))
    assert "1 group(s) of documents with the same text" in said and "2 document(s)" in said
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["documents"][a]["split"] == manifest["documents"][b]["split"] == split_of(a)
    assert manifest["documents"]["alone"]["split"] == split_of("alone")  # no twin: as it always was
    assert manifest["twins"] == {"groups": 1, "documents": 2}


def _shifted(ann: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """The same annotation on a text with other whitespace (offsets moved word by word)."""
    starts = [m.start() for m in re.finditer(r"\S+", old)]
    moved = [m.start() for m in re.finditer(r"\S+", new)]
    where = dict(zip(starts, moved, strict=True))
    ents = []
    for e in ann["entities"]:
        s = where.get(e["start"], e["start"])
        if new[s : s + len(e["text"])] != e["text"]:
            continue
        ents.append({**e, "start": s, "end": s + len(e["text"])})
    keep = {e["id"] for e in ents}
    rels = [r for r in ann["relations"] if r["head"] in keep and r["tail"] in keep]
    return {**ann, "entities": ents, "relations": rels}


def test_latest_annotation_is_named_and_adjudication_suggested(tmp_path: Path) -> None:
    seed = json.loads(SEED.read_text())
    first = {**seed["annotations"][0], "ground_truth": False, "updated_at": "2026-01-01T00:00:00Z"}
    second = {**first, "id": "other", "annotator": "annotator-0123456789", "entities": first["entities"][:10]}
    second["relations"] = [
        r for r in first["relations"] if {r["head"], r["tail"]} <= {e["id"] for e in second["entities"]}
    ]
    second["updated_at"] = "2026-02-01T00:00:00Z"
    ann = write_docs(tmp_path / "ann", [{**seed, "annotations": [first, second]}])
    said = run("export", str(ann), "-o", str(tmp_path / "out"))
    assert "1 document(s) have several annotations and no adjudication or ground truth" in said
    assert "`toolkit adjudicate`" in said
    assert "train: 1 document(s), 10 entities" in said  # the most recent one was exported
    card = (tmp_path / "out" / "README.md").read_text()
    assert "| the most recent of several (nobody decided) | 1 |" in card


def test_rows_are_in_id_order_whatever_the_file_names(tmp_path: Path) -> None:
    """`doc.json` sorts after `doc-1.json`, hashed names sort anywhere: the rows still follow the ids."""
    seed = json.loads(SEED.read_text())
    ids = ["doc", "doc-1", "doc/2", "Doc", "doc 3", "ä-doc"]
    ann = write_docs(tmp_path / "ann", [{**seed, "doc_id": i} for i in ids])
    out = tmp_path / "out"
    run("export", str(ann), "-o", str(out))
    got = [json.loads(line)["id"] for line in (out / "sources.jsonl").read_text().splitlines()]
    assert got == sorted(ids)
    docs = load_dataset(str(out))
    for split in docs.values():
        assert split["id"] == sorted(split["id"])
    assert "1 group(s) of documents with the same text (after whitespace normalisation), 6 document(s)" in run(
        "export", str(ann), "-o", str(out)
    )


def test_same_id_twice_is_refused(tmp_path: Path) -> None:
    a = write_docs(tmp_path / "a", [json.loads(SEED.read_text())])
    b = write_docs(tmp_path / "b", [json.loads(SEED.read_text())])
    said = run("export", str(a), str(b), "-o", str(tmp_path / "out"), code=1)
    assert "occurs twice" in said and not (tmp_path / "out").exists()


def test_shards_and_row_groups_are_bounded_and_reproducible(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    labels = LabelSchema.load()
    ann = write_docs(tmp_path / "ann", synthetic(120))
    monkeypatch.setattr(shards, "SHARD_BYTES", 60_000)
    monkeypatch.setattr(shards, "ROW_GROUP_BYTES", 20_000)
    one = export([ann], tmp_path / "one", labels, jobs=1)
    two = export([ann], tmp_path / "two", labels, jobs=2)
    assert files_of(tmp_path / "one") == files_of(tmp_path / "two")  # the same bytes on one core or two
    monkeypatch.setattr(scan, "CHUNK_FILES", (7, 7))  # other tasks, other spill groups: still the same bytes
    export([ann], tmp_path / "three", labels, jobs=2)
    assert files_of(tmp_path / "one") == files_of(tmp_path / "three")
    assert one.shards["ner"]["train"] > 1
    names = sorted(p.name for p in (tmp_path / "one" / "ner").glob("train-*"))
    n = len(names)
    assert names == [f"train-{k:05d}-of-{n:05d}.parquet" for k in range(n)]
    ner = load_dataset(str(tmp_path / "one"), "ner")
    assert {s: d.num_rows for s, d in ner.items()} == {s: c for s, c in two.split_counts["ner"].items() if c}


def test_card_escapes_other_peoples_text_and_stays_small(tmp_path: Path) -> None:
    data = json.loads((REPO / "toolkit" / "resources" / "news.labels.json").read_text())
    data["entities"][0]["description"] = "A <b>person</b> | or\nnot <script>alert(1)</script>"
    data["project"]["source"] = "Feeds <img src=x onerror=alert(1)> | wires"
    schema = tmp_path / "x.labels.json"
    schema.write_text(json.dumps(data))
    docs = synthetic(60)
    for i, d in enumerate(docs):
        d["meta"]["source"] = f"Source {i} <i>|</i>\nline"
    ann = write_docs(tmp_path / "ann", docs)
    run("--labels", str(schema), "export", str(ann), "-o", str(tmp_path / "out"))
    card = (tmp_path / "out" / "README.md").read_text()
    body = card.split("---\n", 2)[2]
    assert "<script>" not in body and "<b>" not in body and "<img" not in body and "<i>" not in body
    assert "A &lt;b&gt;person&lt;/b&gt; \\| or not &lt;script&gt;" in body
    assert "| 40 other source(s) | 40 |" in body  # 20 named, the rest counted
    assert len(card) < 40_000
    sources = [json.loads(x) for x in (tmp_path / "out" / "sources.jsonl").read_text().splitlines()]
    assert len(sources) == 60 and sources[0]["source"].startswith("Source ")


def test_export_refuses_invalid_annotations(tmp_path: Path) -> None:
    doc = json.loads(SEED.read_text())
    doc["annotations"][0]["entities"][0]["end"] += 1
    (tmp_path / "ann").mkdir()
    (tmp_path / "ann" / "bad.json").write_text(json.dumps(doc))
    res = CliRunner().invoke(main, ["export", str(tmp_path / "ann"), "-o", str(tmp_path / "out")])
    assert res.exit_code == 1
    assert "text-mismatch" in res.output and not (tmp_path / "out").exists()
    assert not list(tmp_path.glob(".out.*"))  # nothing left beside it


def test_cancelled_annotations_are_never_exported(tmp_path: Path) -> None:
    doc = json.loads(SEED.read_text())
    doc["annotations"][0]["was_cancelled"] = True
    (tmp_path / "ann").mkdir()
    (tmp_path / "ann" / "c.json").write_text(json.dumps(doc))
    res = CliRunner().invoke(main, ["export", str(tmp_path / "ann"), "-o", str(tmp_path / "out")])
    assert res.exit_code == 0
    assert "0 document(s)" in res.output and "no annotation that was not cancelled" in res.output


def test_default_output_is_named_after_the_label_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = json.loads((REPO / "toolkit" / "resources" / "news.labels.json").read_text())
    data["name"] = "my-project"
    (tmp_path / "my.labels.json").write_text(json.dumps(data))
    shutil.copytree(REPO / "annotations", tmp_path / "annotations")
    monkeypatch.chdir(tmp_path)
    said = run("--labels", "my.labels.json", "export")
    assert "wrote dist/my-project:" in said and (tmp_path / "dist" / "my-project" / "README.md").exists()
    with pytest.raises(ToolkitError, match="unversioned"):
        plan(tmp_path / "dist" / "my-project", "org/x")


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


def test_front_matter_comes_from_the_schema(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run("export", str(REPO / "annotations"), "-o", str(out))
    front = yaml.safe_load((out / "README.md").read_text().split("---\n")[1])
    assert front["language"] == ["en"] and front["license"] == "other"
    assert front["license_name"] == "annotations-cc-by-4.0-texts-publishers"
    assert front["tags"] == ["relation-extraction", "news", "label-studio"]
    assert [c["config_name"] for c in front["configs"]] == ["documents", "ner", "relations"]
