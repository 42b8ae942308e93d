"""Agreement figures: a tiny case computed by hand, and the seed article with three annotators checked
against independent implementations (nervaluate, seqeval, scikit-learn, statsmodels)."""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Collection
from itertools import combinations
from pathlib import Path
from statistics import fmean
from typing import Any

import pytest
from click.testing import CliRunner
from nervaluate import Evaluator
from seqeval.metrics import f1_score as seqeval_f1
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

from toolkit.agreement import AgreementResult, card_section, measure_documents
from toolkit.agreement_report import markdown, text
from toolkit.cli import main
from toolkit.compare import max_matching
from toolkit.convert import canonical_to_document
from toolkit.labels import LabelSchema
from toolkit.models import Document
from toolkit.tokens import bio_tags, tokenize

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "annotations" / "000_502a72c922326d2e.json"
TINY = "Ann met Bob of Acme in Rome."
NAMES = ["annotator-aaaaaaaaaa", "annotator-bbbbbbbbbb", "annotator-cccccccccc"]


def ent(rid: str, surface: str, label: str, text: str = TINY) -> dict[str, Any]:
    start = text.index(surface)
    return {"id": rid, "start": start, "end": start + len(surface), "label": label, "text": surface}


def rel(head: str, label: str, tail: str) -> dict[str, Any]:
    return {"head": head, "tail": tail, "label": label, "symmetric": False}


def ann(name: str, entities: list[dict[str, Any]], relations: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"id": f"ann-{name[-1]}", "annotator": name, "entities": entities, "relations": relations, **extra}


def tiny_doc(annotators: int = 2) -> dict[str, Any]:
    a = ann(
        NAMES[0],
        [ent("a", "Ann", "PERSON"), ent("b", "Bob", "PERSON"), ent("c", "Acme", "ORG"), ent("r", "Rome", "GPE")],
        [rel("a", "meets_with", "b"), rel("b", "member_of", "c"), rel("c", "located_in", "r")],
    )
    b = ann(
        NAMES[1],
        [
            ent("x", "Ann", "PERSON"),
            ent("y", "Bob", "PERSON"),
            ent("z", "of Acme", "ORG"),
            ent("w", "in Rome", "LOC"),
        ],
        [rel("y", "meets_with", "x"), rel("y", "member_of", "z"), rel("z", "located_in", "w")],
    )
    c = ann(NAMES[2], [ent("p", "Ann", "PERSON")], [])
    return {"doc_id": "tiny", "text": TINY, "meta": {}, "annotations": [a, b, c][:annotators]}


def by_label(rows: list[Any]) -> dict[str, Any]:
    return {r.label: r for r in rows}


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


def _variant(
    seed: dict[str, Any],
    name: str,
    drop: Collection[str] = (),
    relabel: dict[str, str] | None = None,
    respan: dict[str, str] | None = None,
    reverse: Collection[tuple[str, str, str]] = (),
    unlink: Collection[tuple[str, str, str]] = (),
    add: Collection[tuple[str, str, str]] = (),
) -> dict[str, Any]:
    gold, text = seed["annotations"][0], seed["text"]
    ents = []
    for e in copy.deepcopy(gold["entities"]):
        if e["id"] in drop:
            continue
        e["label"] = (relabel or {}).get(e["id"], e["label"])
        if e["id"] in (respan or {}):
            surface = (respan or {})[e["id"]]
            e["start"] = text.index(surface, e["start"])
            e.update(end=e["start"] + len(surface), text=surface)
        ents.append(e)
    rels = []
    for r in copy.deepcopy(gold["relations"]):
        key = (r["head"], r["label"], r["tail"])
        if key in unlink or r["head"] in drop or r["tail"] in drop:
            continue
        if key in reverse:
            r["head"], r["tail"] = r["tail"], r["head"]
        rels.append(r)
    rels += [rel(h, label, t) for h, label, t in add]
    return ann(name, ents, rels, id=f"seed-{name[-1]}", ground_truth=False)


def three_seed_annotations(names: list[str] = NAMES) -> dict[str, Any]:
    """The seed article as three people annotated it, with deliberate disagreements:

    A leaves out the testimony (and its relation) and calls the second Pentagon a GPE;
    B shortens "September last year" and "artillery shells", draws North Korea–Russia cooperation
    the other way round (symmetric: still the same relation) and misses one accusation;
    C calls "Northeast Asian" a GPE, reverses two symmetric relations and one directed one
    (hasc part_of us1), and adds an accusation nobody else drew.
    """
    seed = json.loads(SEED.read_text())
    a = _variant(seed, names[0], drop={"testimony"}, relabel={"pentagon2": "GPE"})
    b = _variant(
        seed,
        names[1],
        respan={"sept": "September", "shells": "shells"},
        reverse={("nk1", "cooperates_with", "ru1")},
        unlink={("nk_adj2", "accuses", "us4")},
    )
    c = _variant(
        seed,
        names[2],
        relabel={"ne_asian": "GPE"},
        reverse={
            ("moscow", "cooperates_with", "pyongyang1"),
            ("kim2", "meets_with", "putin"),
            ("hasc", "part_of", "us1"),
        },
        add=(("austin1", "accuses", "ru1"),),
    )
    return {**seed, "annotations": [a, b, c]}


# -- independent implementations ------------------------------------------------------------------


def reference_figures(doc: Document, labels: LabelSchema) -> dict[str, Any]:
    """The same figures from other people's code: nervaluate (spans), seqeval (BIO spans),
    scikit-learn (Cohen's kappa), statsmodels (Fleiss' kappa); relations by plain set arithmetic."""
    anns = {a.annotator: a for a in doc.annotations if not a.was_cancelled}
    names = sorted(anns)
    spans = {n: [{"label": e.label, "start": e.start, "end": e.end - 1} for e in anns[n].entities] for n in names}
    tokens = tokenize(doc.text)
    tags = {n: bio_tags(tokens, [(e.start, e.end, e.label) for e in anns[n].entities])[0] for n in names}
    out: dict[str, Any] = {"pairs": {}}
    sums: Counter[str] = Counter()
    for x, y in combinations(names, 2):
        ev = Evaluator([spans[x]], [spans[y]], tags=labels.entity_names, loader="dict").evaluate()
        strict, typed = ev["overall"]["strict"], ev["overall"]["ent_type"]
        rx, ry = _relation_set(anns[x], labels), _relation_set(anns[y], labels)
        pair = {
            "entity_exact": strict.f1,
            "entity_lenient": typed.f1,
            "entity_by_label": {t: r["strict"].f1 for t, r in ev["entities"].items()},
            "entity_lenient_by_label": {t: r["ent_type"].f1 for t, r in ev["entities"].items()},
            "seqeval": seqeval_f1([tags[x]], [tags[y]]),
            "relation_exact": 2 * len(rx & ry) / (len(rx) + len(ry)),
            "kappa": cohen_kappa_score(tags[x], tags[y]),
        }
        out["pairs"][(x, y)] = pair
        sums["correct"] += strict.correct
        sums["typed"] += typed.correct
        sums["size"] += strict.actual + strict.possible
    out["entity_exact_pooled"] = 2 * sums["correct"] / sums["size"]
    out["entity_lenient_pooled"] = 2 * sums["typed"] / sums["size"]
    if len(names) >= 3:
        table, _ = aggregate_raters(list(zip(*(tags[n] for n in names), strict=True)))
        out["fleiss"] = fleiss_kappa(table, method="fleiss")
    return out


def _relation_set(a: Any, labels: LabelSchema) -> set[tuple[Any, ...]]:
    span = {e.id: (e.start, e.end) for e in a.entities}
    out = set()
    for r in a.relations:
        ends = (span[r.head], span[r.tail])
        out.add((r.label, frozenset(ends) if labels.is_symmetric(r.label) else ends))
    return out


def assert_matches_reference(result: AgreementResult, doc: Document, labels: LabelSchema) -> None:
    ref = reference_figures(doc, labels)
    ents, rels = by_label(result.entities), by_label(result.relations)
    pairs = ref["pairs"]
    assert ents["(all)"].exact.pooled == pytest.approx(ref["entity_exact_pooled"])
    assert ents["(all)"].lenient.pooled == pytest.approx(ref["entity_lenient_pooled"])
    assert ents["(all)"].exact.pair_mean == pytest.approx(fmean(p["entity_exact"] for p in pairs.values()))
    assert ents["(all)"].lenient.pair_mean == pytest.approx(fmean(p["entity_lenient"] for p in pairs.values()))
    assert ents["(all)"].exact.pair_mean == pytest.approx(fmean(p["seqeval"] for p in pairs.values()))
    for label, score in ents.items():
        if label != "(all)":
            # nervaluate reports a label for a pair only when one of the two used it; so do we
            exact = [p["entity_by_label"][label] for p in pairs.values() if label in p["entity_by_label"]]
            lenient = [p["entity_lenient_by_label"][label] for p in pairs.values() if label in p["entity_by_label"]]
            assert (score.exact.pairs, score.lenient.pairs) == (len(exact), len(exact)), label
            assert score.exact.pair_mean == pytest.approx(fmean(exact)), label
            assert score.lenient.pair_mean == pytest.approx(fmean(lenient)), label
    assert rels["(all)"].exact.pair_mean == pytest.approx(fmean(p["relation_exact"] for p in pairs.values()))
    got_kappa = {k.annotators: k.kappa for k in result.cohen}
    assert got_kappa == pytest.approx({k: p["kappa"] for k, p in pairs.items()})
    if "fleiss" in ref:
        assert result.fleiss[0].kappa == pytest.approx(ref["fleiss"])


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


def test_reviewers_are_left_out_of_agreement(
    labels: LabelSchema, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    three = measure_documents([canonical_to_document(tiny_doc(3))], labels, exclude={NAMES[2]})
    two = measure_documents([canonical_to_document(tiny_doc(2))], labels)
    assert three.as_dict() == {**two.as_dict(), "excluded": [NAMES[2]]}
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "tiny.json").write_text(json.dumps(tiny_doc(3)))
    monkeypatch.chdir(tmp_path)
    assert "(3 annotator pair(s))" in card_section([Path("annotations")], labels)
    res = CliRunner().invoke(main, ["agreement"])
    assert "Reviewers left out" not in res.output and "3 annotator pair(s)" in res.output
    Path("adjudication.toml").write_text(f'reviewers = ["{NAMES[2]}"]\n')
    assert "(1 annotator pair(s))" in card_section([Path("annotations")], labels)
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
