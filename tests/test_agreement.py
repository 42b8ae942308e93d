"""Agreement figures: a tiny case computed by hand, and the seed article with three annotators checked
against independent implementations (nervaluate, seqeval, scikit-learn, statsmodels)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from statistics import fmean

import pytest
from click.testing import CliRunner
from nervaluate import Evaluator

from toolkit.agreement.compare import max_matching
from toolkit.agreement.measure import measure_documents
from toolkit.agreement.report import markdown, text
from toolkit.cli import main
from toolkit.labelschema import LabelSchema
from toolkit.records import canonical_to_document

from helpers import (
    NAMES,
    ann,
    assert_matches_reference,
    by_label,
    ent,
    three_seed_annotations,
    tiny_doc,
)

# -- by hand -----------------------------------------------------------------------------------


def test_tiny_case_two_annotators_by_hand(labels: LabelSchema) -> None:
    r = measure_documents([canonical_to_document(tiny_doc(2))], labels)
    assert (r.documents, r.pairs, r.annotators) == (1, 1, NAMES[:2])
    ents, rels = by_label(r.entities), by_label(r.relations)
    # entities: Ann and Bob agree exactly; "Acme"/"of Acme" (ORG) overlap; Rome GPE vs "in Rome" LOC never match
    assert (ents["(all)"].exact.agreed, ents["(all)"].exact.marked) == (2, 8)
    assert ents["(all)"].exact.pooled == pytest.approx(0.5) and ents["(all)"].exact.pair_mean == pytest.approx(0.5)
    assert ents["(all)"].lenient.pooled == pytest.approx(0.75)
    assert (ents["PERSON"].exact.pooled, ents["ORG"].exact.pooled, ents["ORG"].lenient.pooled) == (1.0, 0.0, 1.0)
    assert (ents["GPE"].lenient.pooled, ents["LOC"].lenient.pooled) == (0.0, 0.0)
    assert (ents["ORG"].exact.documents, ents["ORG"].exact.pairs, ents["ORG"].exact.marked) == (1, 1, 2)
    # relations: meets_with drawn in opposite directions still matches (symmetric); the other two only leniently
    assert rels["(all)"].exact.pooled == pytest.approx(2 / 6) and rels["(all)"].lenient.pooled == pytest.approx(1.0)
    assert (rels["meets_with"].exact.pooled, rels["member_of"].exact.pooled, rels["member_of"].lenient.pooled) == (
        1.0,
        0.0,
        1.0,
    )
    # BIO tags  A: B-PER O B-PER O     B-ORG O     B-GPE O
    #           B: B-PER O B-PER B-ORG I-ORG B-LOC I-LOC O   -> po = 4/8, pe = 13/64
    (pair,) = r.cohen
    assert pair.kappa == pytest.approx((0.5 - 13 / 64) / (1 - 13 / 64)) and pair.tokens == 8
    assert r.fleiss == []
    (row,) = r.by_document
    assert (row.entity_f1, row.relation_f1, row.disputed) == (0.5, pytest.approx(1 / 3), 4 + 4)


def test_tiny_case_three_annotators_pooled_versus_pair_mean_and_fleiss(labels: LabelSchema) -> None:
    r = measure_documents([canonical_to_document(tiny_doc(3))], labels)
    e = by_label(r.entities)["(all)"].exact
    # pairs A-B 2 of 8, A-C 1 of 5, B-C 1 of 5
    assert (e.agreed, e.marked, e.pairs) == (4, 18, 3)
    assert e.pooled == pytest.approx(8 / 18) and e.pair_mean == pytest.approx(fmean([4 / 8, 2 / 5, 2 / 5]))
    rr = by_label(r.relations)["(all)"].exact
    assert rr.pooled == pytest.approx(2 / 12) and rr.pair_mean == pytest.approx(1 / 9) and rr.pairs == 3
    (f,) = r.fleiss
    assert (f.raters, f.documents, f.tokens) == (3, 1, 8)
    # per token P_i: 1, 1, 1/3, 1/3, 0, 1/3, 0, 1 -> P̄ = 1/2 = 288/576; category totals 5 B-PERSON, 13 O,
    # 2 B-ORG and 1 each of I-ORG, B-LOC, I-LOC, B-GPE over 24 ratings -> P̄e = 202/576
    assert f.kappa == pytest.approx(86 / 374)
    assert r.by_document[0].disputed == 5 + 5


def test_undefined_figures_are_none_not_zero(labels: LabelSchema) -> None:
    doc = tiny_doc(2)
    for a in doc["annotations"]:
        a["entities"], a["relations"] = [], []
    r = measure_documents([canonical_to_document(doc)], labels)
    assert r.entities[0].exact.pooled is None and r.cohen[0].kappa is None  # all "O": chance agreement is total
    assert r.by_document[0].disagreement == 0.0


def test_max_matching_is_maximum_not_greedy() -> None:
    # a0 overlaps b0 and b1, a1 overlaps only b0: greedy a0-b0 would leave a1 unmatched
    left, right = [(0, 10), (8, 9)], [(5, 9), (0, 2)]

    def ok(a: tuple[int, int], b: tuple[int, int]) -> bool:
        return a[0] < b[1] and b[0] < a[1]

    assert max_matching(left, right, ok) == 2
    assert max_matching(right, left, ok) == 2


def test_cancelled_and_superseded_annotations_are_not_compared(labels: LabelSchema) -> None:
    doc = tiny_doc(2)
    doc["annotations"][0]["updated_at"] = "2024-01-01T00:00:00Z"
    older = copy.deepcopy(doc["annotations"][0])
    older.update(id="old", updated_at="2000-01-01", entities=[], relations=[])
    cancelled = copy.deepcopy(doc["annotations"][1])
    cancelled.update(id="skip", annotator=NAMES[2], was_cancelled=True)
    doc["annotations"] += [older, cancelled]
    r = measure_documents([canonical_to_document(doc)], labels)
    assert r.annotators == NAMES[:2] and r.entities[0].exact.pooled == pytest.approx(0.5)


# -- the seed article with three annotators ---------------------------------------------------------


def test_tiny_case_matches_independent_implementations(labels: LabelSchema) -> None:
    doc = canonical_to_document(tiny_doc(3))
    assert_matches_reference(measure_documents([doc], labels), doc, labels)


def test_seed_with_three_annotators_matches_independent_implementations(labels: LabelSchema) -> None:
    doc = canonical_to_document(three_seed_annotations())
    r = measure_documents([doc], labels)
    assert (r.documents, r.pairs, r.misaligned_spans) == (1, 3, 0)
    assert_matches_reference(r, doc, labels)
    e = by_label(r.entities)
    assert e["(all)"].exact.pooled < e["(all)"].lenient.pooled < 1.0  # B's shortened spans match leniently
    assert e["PERSON"].exact.pooled == 1.0 and e["DATE"].exact.pooled < 1.0


def test_cli_agreement_reads_annotations_folder_and_skips_invalid_records(tmp_path: Path) -> None:
    folder = tmp_path / "annotations"
    folder.mkdir()
    (folder / "seed.json").write_text(json.dumps(three_seed_annotations()))
    broken = tiny_doc(2)
    broken["annotations"][0]["entities"][0]["end"] += 1  # text-mismatch: left out, and said so
    (folder / "tiny.json").write_text(json.dumps(broken))
    runner = CliRunner()
    res = runner.invoke(main, ["agreement", str(folder)])
    assert res.exit_code == 0, res.output
    assert "1 record(s) with validation errors left out (tiny)" in res.output
    assert "pooled    = 2·Σ|A∩B| / Σ(|A|+|B|)" in res.output and "Fleiss' kappa, 3 annotators" in res.output
    res = runner.invoke(main, ["agreement", str(folder), "--format", "json"])
    data = json.loads(res.output)
    assert data["documents"] == 1 and data["pairs"] == 3 and set(data["definitions"]) == {"pooled", "pair_mean"}
    assert data["by_document"][0]["doc_id"] == "000_502a72c922326d2e"


def test_text_and_card_section(labels: LabelSchema) -> None:
    r = measure_documents(
        [canonical_to_document(tiny_doc(3)), canonical_to_document(tiny_doc(2) | {"doc_id": "t2"})], labels
    )
    out = text(r)
    lines = out.splitlines()
    docs = lines[lines.index(next(x for x in lines if x.startswith("Documents by disagreement"))) + 2 :]
    assert [d.split()[0] for d in docs] == ["tiny", "t2"]  # three annotators disagree more: listed first
    card = markdown(r)
    assert "| entities, same span and label |" in card and "Fleiss' kappa (3 annotators)" in card
    assert not card.startswith("#")  # the card supplies the heading
    assert "no inter-annotator agreement" in markdown(measure_documents([], labels))


def release_card(name: str) -> str:
    """The README of a release built in the current folder (annotations/, adjudication.toml if any)."""
    res = CliRunner().invoke(main, ["release", "--version", "1.0.0", "-o", name, "--releases", f"{name}-releases"])
    assert res.exit_code == 0, res.output
    return Path(name, "README.md").read_text()


def test_reviewers_are_left_out_of_agreement(
    labels: LabelSchema, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    three = measure_documents([canonical_to_document(tiny_doc(3))], labels, exclude={NAMES[2]})
    two = measure_documents([canonical_to_document(tiny_doc(2))], labels)
    assert three.as_dict() == {**two.as_dict(), "excluded": [NAMES[2]]}
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "tiny.json").write_text(json.dumps(tiny_doc(3)))
    monkeypatch.chdir(tmp_path)
    assert "(3 annotator pair(s))" in release_card("d1")
    res = CliRunner().invoke(main, ["agreement"])
    assert "Reviewers left out" not in res.output and "3 annotator pair(s)" in res.output
    Path("adjudication.toml").write_text(f'reviewers = ["{NAMES[2]}"]\n')
    assert "(1 annotator pair(s))" in release_card("d2")  # the release card leaves the reviewer out too
    res = CliRunner().invoke(main, ["agreement"])
    assert f"Reviewers left out (they resolve, not annotate): {NAMES[2]}" in res.output
    assert "1 annotator pair(s)" in res.output


def test_touching_spans_do_not_overlap(labels: LabelSchema) -> None:
    text = "Jong-un"
    doc = {
        "doc_id": "touch",
        "text": text,
        "meta": {},
        "annotations": [
            ann(NAMES[0], [ent("a", "Jong", "PERSON", text)], []),
            ann(NAMES[1], [ent("b", "-un", "PERSON", text)], []),
        ],
    }
    r = measure_documents([canonical_to_document(doc)], labels)
    assert r.entities[0].lenient.pooled == 0.0
    spans = [
        [{"label": "PERSON", "start": e["start"], "end": e["end"] - 1} for e in a["entities"]]
        for a in doc["annotations"]
    ]
    ev = Evaluator(spans[:1], spans[1:], tags=["PERSON"], loader="dict").evaluate()
    assert ev["overall"]["ent_type"].correct == 0  # nervaluate: [0, 4) and [4, 7) do not overlap either
