"""Adjudication: ground truth and reviewers win, majority voting with conflicts, policies, the stored gold,
export holding documents back; and the whole loop with three annotators in a real Label Studio."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from toolkit.adjudication.apply import adjudicate
from toolkit.adjudication.config import AdjudicationConfig, load_config
from toolkit.adjudication.decide import decide
from toolkit.adjudication.review import push_review, review_title
from toolkit.agreement.measure import agreement, measure_documents
from toolkit.cli import main
from toolkit.dataset.build import export
from toolkit.errors import ConfigError, InputError
from toolkit.labelschema import LabelSchema
from toolkit.labelstudio.pull import pull
from toolkit.labelstudio.settings import Connection
from toolkit.labelstudio.tasks import document_task
from toolkit.records import canonical_to_document
from toolkit.records.gold import adjudicated_gold, choose_gold
from toolkit.records.labelstudio import annotation_to_result, pseudonym
from toolkit.store import merge
from toolkit.validation import validate_paths

from helpers import (
    NAMES,
    SEED,
    ann,
    assert_matches_reference,
    client,
    ent,
    find_project,
    push_tasks,
    rel,
    three_seed_annotations,
    tiny_doc,
)

REVIEW = AdjudicationConfig()
SEED_CONFLICTS = [
    ("entity", 'DATE "September" [576, 585)'),
    ("entity", 'WEAPON "shells" [1547, 1553)'),
    ("entity", 'GPE "Northeast Asian" [1769, 1784)'),
    ("entity", 'GPE "Pentagon" [1988, 1996)'),
    ("relation", 'accuses "Lloyd Austin" [103, 115) -> "Russia" [186, 192)'),
    ("relation", 'occurred_on "visit" [517, 522) -> "September" [576, 585)'),
    ("relation", 'occurred_on "talks" [537, 542) -> "September" [576, 585)'),
    ("relation", 'part_of "United States" [22, 35) -> "House Armed Services Committee" [36, 66)'),
]


def content(entities: list[Any], relations: list[Any], labels: LabelSchema) -> tuple[set[Any], set[Any]]:
    """Spans and relations by what they say, not by region id or drawing direction of symmetric ones."""
    spans = {e.id: (e.start, e.end, e.label) for e in entities}
    rels = set()
    for r in relations:
        ends = (spans[r.head], spans[r.tail])
        rels.add((r.label, frozenset(ends) if labels.is_symmetric(r.label) else ends))
    return set(spans.values()), rels


def seed_gold(labels: LabelSchema) -> tuple[set[Any], set[Any]]:
    (gold,) = canonical_to_document(json.loads(SEED.read_text())).annotations
    return content(gold.entities, gold.relations, labels)


def write(folder: Path, doc: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{doc['doc_id']}.json"
    path.write_text(json.dumps(doc, indent=2))
    return path


# -- deciding -----------------------------------------------------------------------------------------


def test_review_policy_keeps_what_a_majority_marked_and_lists_every_other_item(labels: LabelSchema) -> None:
    d = decide(canonical_to_document(three_seed_annotations()), labels, REVIEW)
    assert d is not None and (d.method, d.status, d.decided_by) == ("review", "conflicts", None)
    assert content(d.entities, d.relations, labels) == seed_gold(labels)  # each deviation was one person's
    assert [(c.kind, c.item) for c in d.conflicts] == SEED_CONFLICTS
    sept = d.conflicts[0]
    assert sept.reason == "1 of 3 annotators marked it; 2 needed"
    assert sept.votes == {
        NAMES[0]: 'DATE "September last year" [576, 595)',
        NAMES[1]: 'DATE "September" [576, 585)',
        NAMES[2]: 'DATE "September last year" [576, 595)',
    }
    assert d.conflicts[4].votes[NAMES[0]] == "nothing here"
    assert sorted(d.sources) == ["seed-a", "seed-b", "seed-c"]


@pytest.mark.parametrize(
    ("policy", "entities", "relations"), [("majority", 57, 35), ("union", 61, 39), ("intersection", 52, 30)]
)
def test_policies(labels: LabelSchema, policy: str, entities: int, relations: int) -> None:
    d = decide(canonical_to_document(three_seed_annotations()), labels, AdjudicationConfig(policy=policy))
    assert d is not None and d.status == "resolved" and d.method == policy
    assert (len(d.entities), len(d.relations)) == (entities, relations)
    if policy == "majority":
        assert content(d.entities, d.relations, labels) == seed_gold(labels)


def test_ground_truth_beats_reviewer_beats_voting(labels: LabelSchema) -> None:
    doc = three_seed_annotations()
    doc["annotations"][1]["ground_truth"] = True
    d = decide(canonical_to_document(doc), labels, AdjudicationConfig(frozenset({NAMES[2]})))
    assert d is not None and (d.method, d.decided_by, d.sources, d.conflicts) == (
        "ground_truth",
        NAMES[1],
        ["seed-b"],
        [],
    )
    doc["annotations"][1]["ground_truth"] = False
    d = decide(canonical_to_document(doc), labels, AdjudicationConfig(frozenset({NAMES[2]})))
    assert d is not None and (d.method, d.decided_by, d.sources) == ("reviewer", NAMES[2], ["seed-c"])
    (c,) = canonical_to_document(doc).annotations[2:]
    assert content(d.entities, d.relations, labels) == content(c.entities, c.relations, labels)


def test_relation_agreed_by_everyone_waits_for_its_disputed_endpoint(labels: LabelSchema) -> None:
    def one(name: str, acme: str) -> dict[str, Any]:
        return ann(name, [ent("b", "Bob", "PERSON"), ent("a", "Acme", acme)], [rel("b", "member_of", "a")])

    doc = {**tiny_doc(), "annotations": [one(NAMES[0], "ORG"), one(NAMES[1], "GPE"), one(NAMES[2], "PERSON")]}
    d = decide(canonical_to_document(doc), labels, REVIEW)
    assert d is not None
    kinds = [(c.kind, c.reason) for c in d.conflicts]
    assert ("relation", "3 of 3 annotators drew it, but an endpoint has no gold entity (disputed span)") in kinds
    d = decide(canonical_to_document(doc), labels, AdjudicationConfig(policy="majority"))
    assert d is not None and d.status == "resolved" and [e.text for e in d.entities] == ["Bob"] and not d.relations


def test_voted_gold_that_breaks_the_label_schema_is_a_conflict(labels: LabelSchema) -> None:
    def one(name: str, acme: str, linked: bool) -> dict[str, Any]:
        rels = [rel("b", "member_of", "a")] if linked else []
        return ann(name, [ent("b", "Bob", "PERSON"), ent("a", "Acme", acme)], rels)

    anns = [one(NAMES[0], "ORG", True), one(NAMES[1], "ROLE", True), one(NAMES[2], "ROLE", False)]
    d = decide(
        canonical_to_document({**tiny_doc(), "annotations": anns}), labels, AdjudicationConfig(policy="majority")
    )
    assert d is not None and [(c.kind, c.item) for c in d.conflicts] == [("check", "gold annotation: relation-type")]
    assert "member_of cannot link Bob (PERSON) → Acme (ROLE)" in d.conflicts[0].reason


def test_one_annotator_is_not_adjudicated(labels: LabelSchema) -> None:
    assert decide(canonical_to_document(json.loads(SEED.read_text())), labels, REVIEW) is None


# -- files, export, pull ---------------------------------------------------------------------------------


def test_gold_is_stored_beside_untouched_annotations_and_export_follows_it(labels: LabelSchema, tmp_path: Path) -> None:
    folder = tmp_path / "annotations"
    path = write(folder, three_seed_annotations())
    before = json.loads(path.read_text())
    r = adjudicate([folder], labels, REVIEW)
    assert [d.doc_id for d in r.held_back] == ["000_502a72c922326d2e"] and r.written == [str(path)]
    stored = json.loads(path.read_text())
    assert stored["annotations"] == before["annotations"]  # nothing an annotator did is lost
    adj = stored["adjudicated"]
    assert (adj["status"], adj["policy"], len(adj["conflicts"]), sorted(adj["sources"])) == (
        "conflicts",
        "review",
        8,
        ["seed-a", "seed-b", "seed-c"],
    )
    assert validate_paths([folder], labels).valid
    assert adjudicate([folder], labels, REVIEW).written == []  # same decision: file untouched
    held = export([folder], tmp_path / "dist", labels)
    assert held.documents == 0 and "8 unresolved adjudication conflict(s)" in held.skipped[0]
    adjudicate([folder], labels, AdjudicationConfig(policy="majority"))
    (doc,) = [canonical_to_document(json.loads(path.read_text()), str(path))]
    gold = choose_gold(doc).annotation
    assert gold is not None and content(gold.entities, gold.relations, labels) == seed_gold(labels)
    assert export([folder], tmp_path / "dist", labels).entities == 57


def test_changed_annotation_makes_the_gold_out_of_date(labels: LabelSchema, tmp_path: Path) -> None:
    folder = tmp_path / "annotations"
    path = write(folder, three_seed_annotations())
    adjudicate([folder], labels, AdjudicationConfig(policy="majority"))
    data = json.loads(path.read_text())
    first = data["annotations"][0]
    first["entities"] = [e for e in first["entities"] if e["id"] != "pentagon2"]
    path.write_text(json.dumps(data))
    doc = canonical_to_document(data)
    assert choose_gold(doc).annotation is None and "changed after `toolkit adjudicate` ran" in adjudicated_gold(doc)[1]
    data["annotations"] = data["annotations"][:1]  # one annotator left: the stale gold is removed
    path.write_text(json.dumps(data))
    r = adjudicate([folder], labels, REVIEW)
    assert r.cleared == ["000_502a72c922326d2e"] and "adjudicated" not in json.loads(path.read_text())


def test_pull_merge_keeps_the_adjudicated_gold() -> None:
    local = canonical_to_document({**three_seed_annotations(), "adjudicated": {"status": "resolved"}})
    pulled = canonical_to_document(three_seed_annotations())
    merged = merge(local, pulled).doc
    assert merged.record()["adjudicated"] == {"status": "resolved"}


def test_adjudicate_refuses_to_write_into_an_export(labels: LabelSchema, tmp_path: Path) -> None:
    tasks = tmp_path / "tasks.jsonl"
    doc = canonical_to_document(three_seed_annotations())
    task = document_task(doc)
    for user, a in enumerate(task["annotations"], 1):
        a["completed_by"] = user
    tasks.write_text(json.dumps(task) + "\n")
    with pytest.raises(InputError, match="writes into the annotations/ files"):
        adjudicate([tasks], labels, REVIEW)
    assert adjudicate([tasks], labels, REVIEW, write=False).decisions[0].status == "conflicts"


def test_config_files_and_pseudonyms(tmp_path: Path) -> None:
    toml = tmp_path / "adjudication.toml"
    toml.write_text(f'reviewers = ["{NAMES[0]}"]\npolicy = "union"\n')
    assert load_config(toml) == AdjudicationConfig(frozenset({NAMES[0]}), "union")
    assert load_config(toml, [NAMES[1]], "majority") == AdjudicationConfig(frozenset(NAMES[:2]), "majority")
    js = tmp_path / "reviewers.json"
    js.write_text(json.dumps({"reviewers": ["lead@example.com"]}))
    with pytest.raises(ConfigError, match=f"its pseudonym is {pseudonym('lead@example.com')}"):
        load_config(js)
    js.write_text(json.dumps({"reviewer": [NAMES[0]]}))
    with pytest.raises(ConfigError, match="expected only the keys"):
        load_config(js)
    with pytest.raises(ConfigError, match="policy 'vote'"):
        load_config(None, policy="vote")
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml")


def test_cli_adjudicate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "annotations", three_seed_annotations())
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    res = runner.invoke(main, ["adjudicate", "--dry-run"])
    assert res.exit_code == 0, res.output
    assert "8 conflict(s), held back" in res.output and "0 file(s) written" in res.output
    assert "adjudicated" not in json.loads(path.read_text())
    Path("adjudication.toml").write_text(f'reviewers = ["{NAMES[1]}"]\n')  # picked up without --config
    res = runner.invoke(main, ["adjudicate", "--format", "json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["documents"][0]["method"] == "reviewer" and out["held_back"] == []
    assert json.loads(path.read_text())["adjudicated"]["decided_by"] == NAMES[1]
    res = runner.invoke(main, ["adjudicate", "--reviewer", "someone@example.com"])
    assert res.exit_code == 2 and "not a pseudonym" in res.output


# -- the whole loop in a real Label Studio -----------------------------------------------------------


def _annotate(ls: Any, task_id: int, email: str, username: str, result: list[dict[str, Any]]) -> None:
    user = ls.users.create(email=email, username=username, password="pw-" + "x" * 12)
    ls.annotations.create(id=task_id, result=result, completed_by=user.id)


def _tasks(ls: Any, conn: Connection, title: str) -> list[Any]:
    return list(ls.tasks.list(project=find_project(ls, conn.url, title).id))


@pytest.mark.labelstudio
def test_three_annotators_in_label_studio_agreement_adjudication_and_review(
    ls_conn: Connection, labels: LabelSchema, project_title: str, tmp_path: Path
) -> None:
    emails = [f"{project_title}-{k}@example.com" for k in "abc"]
    local = canonical_to_document(three_seed_annotations([pseudonym(e) for e in emails]))
    task = document_task(local)
    del task["annotations"]
    push_tasks(ls_conn, labels, [task], project_title, tmp_path / "build")
    ls = client(ls_conn)
    (t,) = _tasks(ls, ls_conn, project_title)
    for k, (email, a) in enumerate(zip(emails, local.annotations, strict=True)):
        _annotate(ls, t.id, email, f"{project_title}-{k}", annotation_to_result(a))
    out = tmp_path / "annotations"
    assert pull(ls_conn, labels, out, project_title, tmp_path / "build").annotations_added == 3

    # agreement on what came back from Label Studio equals the independent implementations
    (pulled,) = [canonical_to_document(json.loads(p.read_text())) for p in out.glob("*.json")]
    assert sorted(a.annotator for a in pulled.annotations) == sorted(pseudonym(e) for e in emails)
    result = agreement([out], labels)
    assert_matches_reference(result, pulled, labels)
    assert result.as_dict() == measure_documents([local], labels).as_dict()  # nothing changed on the way

    # adjudication: the majority gold and exactly the deliberate disagreements as conflicts
    r = adjudicate([out], labels, REVIEW)
    (d,) = r.decisions
    assert [(c.kind, c.item) for c in d.conflicts] == SEED_CONFLICTS
    assert content(d.entities, d.relations, labels) == seed_gold(labels)
    assert export([out], tmp_path / "dist", labels).documents == 0

    # the conflicts go to the review project as one task with the candidates as predictions
    sent = push_review(ls_conn, labels, r, project_title, tmp_path / "build")
    assert sent.created == 1 and push_review(ls_conn, labels, r, project_title, tmp_path / "build").created == 0
    (review,) = _tasks(ls, ls_conn, review_title(project_title))
    predictions = [p for p in ls.predictions.list(task=review.id) if p.task == review.id]  # filter is not applied
    assert sorted(p.model_version for p in predictions) == sorted(["agreed-by-majority", *map(pseudonym, emails)])

    # a reviewer submits the corrected annotation in the browser (here: through the API); pull; adjudicate
    reviewer = f"{project_title}-lead@example.com"
    _annotate(ls, review.id, reviewer, f"{project_title}-lead", annotation_to_result(d.annotation()))
    assert pull(ls_conn, labels, out, review_title(project_title), tmp_path / "build").annotations_added == 1
    final = adjudicate([out], labels, load_config(None, [pseudonym(reviewer)]))
    (d,) = final.decisions
    assert (d.method, d.decided_by, d.status) == ("reviewer", pseudonym(reviewer), "resolved")
    again = agreement([out], labels, exclude={pseudonym(reviewer)})  # the reviewer resolves, is not measured
    assert again.as_dict() == {**result.as_dict(), "excluded": [pseudonym(reviewer)]}
    assert len(json.loads(next(out.glob("*.json")).read_text())["annotations"]) == 4  # all kept
    built = export([out], tmp_path / "dist", labels)
    assert (built.documents, built.entities, built.relations) == (1, 57, 35)
