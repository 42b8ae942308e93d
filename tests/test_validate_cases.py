"""Every data case under tests/data/: the expected codes, exit code, and both JSON Schema engines agreeing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from toolkit.cli import main
from toolkit.errors import InputError
from toolkit.labelschema import LabelSchema
from toolkit.validation import Checker, validate_paths

DATA = Path(__file__).resolve().parent / "data"
INVALID = sorted(p for p in (DATA / "invalid").glob("*.json") if not p.name.endswith(".expected.json"))
VALID = sorted((DATA / "valid").glob("*.json"))
ALL = VALID + INVALID


def expected(case: Path) -> dict:
    return json.loads(case.with_name(case.stem + ".expected.json").read_text())


@pytest.mark.parametrize("case", INVALID, ids=lambda p: p.stem)
def test_invalid_case(case: Path) -> None:
    exp = expected(case)
    result = CliRunner().invoke(main, ["validate", str(case), "--format", "json"])
    assert result.exit_code == exp["exit"], result.output
    if exp["exit"] == 2:
        assert str(case) in result.output  # the unreadable file is named
        return
    report = json.loads(result.output)
    assert sorted({e["code"] for e in report["errors"]}) == exp["errors"]
    assert sorted({w["code"] for w in report["warnings"]}) == exp["warnings"]
    for problem in report["errors"] + report["warnings"]:
        assert problem["task"] and problem["path"].startswith("$") and problem["message"]
        assert str(case) in problem["file"]
    if "unannotated" in exp:
        assert report["summary"]["unannotated"] == exp["unannotated"]


@pytest.mark.parametrize("case", VALID, ids=lambda p: p.stem)
def test_valid_case(case: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(case)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("valid:")


def test_every_required_code_has_a_case() -> None:
    codes = set()
    for case in INVALID:
        exp = expected(case)
        codes |= set(exp["errors"]) | set(exp["warnings"])
    required = {
        "schema",
        "offset-range",
        "text-mismatch",
        "dangling-relation",
        "relation-type",
        "self-relation",
        "duplicate-entity",
        "duplicate-relation",
        "label-config",
        "utf16-offsets",
        "relation-label",
        "relation-direction",
        "span-whitespace",
        "overlap",
        "zero-length",
        "cancelled",
    }
    assert required <= codes


@pytest.mark.parametrize("case", ALL, ids=lambda p: p.stem)
def test_engines_agree(case: Path, labels) -> None:
    """jsonschema (reference) and jsonschema-rs give the same verdict and the same error locations."""
    outcomes = []
    for engine in ("python", "rs"):
        try:
            report = validate_paths([case], labels, engine=engine)
        except InputError:
            outcomes.append("unreadable")
            continue
        outcomes.append((report.valid, sorted((p.code, p.task, p.path) for p in report.errors)))
    assert outcomes[0] == outcomes[1]


def test_reports_every_problem_not_the_first(tmp_path: Path) -> None:
    tasks = []
    for case in ("offset-range", "relation-type", "self-relation"):
        tasks += json.loads((DATA / "invalid" / f"{case}.json").read_text())
    for i, t in enumerate(tasks):
        t["data"]["doc_id"] = f"doc-{i}"
    path = tmp_path / "many.json"
    path.write_text(json.dumps(tasks))
    result = CliRunner().invoke(main, ["validate", str(path), "--format", "json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["checked"] == 3
    assert {e["task"] for e in report["errors"]} == {"doc-0", "doc-1", "doc-2"}


def test_jsonl_and_array_give_the_same_report(tmp_path: Path, labels) -> None:
    tasks = json.loads((DATA / "invalid" / "duplicate-entity.json").read_text()) * 3
    arr, jsonl = tmp_path / "t.json", tmp_path / "t.jsonl"
    arr.write_text(json.dumps(tasks, indent=2))
    jsonl.write_text("".join(json.dumps(t) + "\n" for t in tasks))
    a, b = validate_paths([arr], labels), validate_paths([jsonl], labels)
    assert a.checked == b.checked == 3
    assert [(p.code, p.path) for p in a.errors] == [(p.code, p.path) for p in b.errors]


def test_strict_turns_warnings_into_errors() -> None:
    case = DATA / "invalid" / "warnings-span.json"
    assert CliRunner().invoke(main, ["validate", str(case)]).exit_code == 0
    result = CliRunner().invoke(main, ["validate", str(case), "--strict"])
    assert result.exit_code == 1
    assert "[overlap]" in result.output and "[span-whitespace]" in result.output


def test_missing_file_exits_2() -> None:
    result = CliRunner().invoke(main, ["validate", "no/such/export.json"])
    assert result.exit_code == 2
    assert "no/such/export.json" in result.output


def _tasks_in(case: Path) -> list:
    try:
        data = json.loads(case.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return []
    items = data if isinstance(data, list) else [data]
    return [t for t in items if isinstance(t, dict) and "data" in t]


def _schema_valid_tasks() -> list[tuple[Path, int]]:
    """Every task of every case that passes JSON Schema: the ones the fast predicate is asked about."""
    validator = Checker(LabelSchema.load()).task_validator
    return [(case, i) for case in ALL for i, task in enumerate(_tasks_in(case)) if validator.is_valid(task)]


@pytest.mark.parametrize(("case", "index"), _schema_valid_tasks(), ids=lambda v: v.stem if isinstance(v, Path) else v)
def test_fast_path_never_hides_a_problem(case: Path, index: int, labels) -> None:
    """Where the fast predicate says clean, the full checks find nothing and the counts agree."""
    from toolkit.records.labelstudio import task_to_document
    from toolkit.validation import Report, check_document
    from toolkit.validation.fastpath import FastCheck

    task = _tasks_in(case)[index]
    verdict = FastCheck(labels).clean(task)
    doc, problems = task_to_document(task)
    problems += list(check_document(doc, labels))
    report = Report()
    Checker(labels).check_record(task, "x", report)
    live = doc.live()
    assert verdict in (None, (sum(len(a.entities) for a in live), sum(len(a.relations) for a in live)))
    if problems or not report.valid:
        assert verdict is None, [p.code for p in problems]


def test_fast_path_is_taken_for_clean_real_exports(labels) -> None:
    from toolkit.bench.synth import iter_synthetic
    from toolkit.validation.fastpath import FastCheck

    fast = FastCheck(labels)
    for case in VALID:
        for task in _tasks_in(case):
            assert fast.clean(task) is not None, case
    assert all(fast.clean(t) is not None for t in iter_synthetic(50, labels))


def test_utf16_offsets_are_repaired_to_code_points(labels) -> None:
    from toolkit.records.labelstudio import repair_utf16_offsets, task_to_document
    from toolkit.validation import check_document

    (task,) = json.loads((DATA / "invalid" / "utf16-offsets.json").read_text())
    doc, _ = task_to_document(task)
    assert repair_utf16_offsets(doc) == 2
    assert list(check_document(doc, labels)) == []
    for e in doc.annotations[0].entities:
        assert doc.text[e.start : e.end] == e.text
    assert repair_utf16_offsets(doc) == 0  # idempotent
