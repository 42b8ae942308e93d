"""What several test modules share: paths, small annotation builders, the seed article with three
annotators, and the check of agreement figures against independent implementations."""

from __future__ import annotations

import copy
import json
import subprocess
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

from toolkit.agreement.measure import AgreementResult
from toolkit.cli import main
from toolkit.labelschema import LabelSchema
from toolkit.records import Document
from toolkit.tokens import bio_tags, tokenize

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
SEED_ID = "000_502a72c922326d2e"
SEED = REPO / "annotations" / f"{SEED_ID}.json"
SEED_TEXT = REPO / "examples" / "seeds" / f"{SEED_ID}.txt"
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


# -- Label Studio from the tests' side ----------------------------------------------------------


def client(conn: Any) -> Any:
    """Label Studio's own SDK, for what a test does as an annotator or an admin (never the toolkit's path)."""
    from label_studio_sdk import LabelStudio

    return LabelStudio(base_url=conn.url, api_key=conn.api_key, timeout=120)


def find_project(ls: Any, url: str, title: str) -> Any:
    return next((p for p in ls.projects.list(title=title) if p.title == title), None)


def push_tasks(conn: Any, labels: LabelSchema, tasks: list[dict[str, Any]], title: str, workdir: Path) -> Any:
    """The toolkit's push of tasks made in the test."""
    from toolkit.labelstudio.push import Inputs, push

    return push(lambda: conn, labels, Inputs(labels, given=tasks), title, workdir)


def run(*args: str, code: int = 0) -> str:
    """`toolkit ARGS` in this process: the exit code it must give, and never a traceback."""
    res = CliRunner().invoke(main, list(args))
    assert res.exit_code == code, res.output
    assert "Traceback" not in res.output
    return res.output


def finish(proc: subprocess.Popen[str], code: int = 0) -> str:
    """Wait for a `toolkit` child process: the exit code it must give, and never a traceback."""
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == code, out
    assert "Traceback" not in out
    return out
