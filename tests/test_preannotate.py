"""Pre-annotation without a server: gazetteer, patterns, model hook, prediction checks, evaluation."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from toolkit.cli import main
from toolkit.errors import ConfigError, SchemaFileError, ToolkitError
from toolkit.labelschema import RESOURCES, LabelSchema
from toolkit.preannotation.evaluate import evaluate, format_report, paragraphs
from toolkit.preannotation.gazetteer import Gazetteer
from toolkit.preannotation.model import load_model
from toolkit.preannotation.patterns import default_patterns_path, load_patterns, pattern_spans
from toolkit.preannotation.predict import Preannotator, build_preannotator, pre_annotate
from toolkit.preannotation.spans import Span, resolve
from toolkit.validation import check_predictions

REPO = Path(__file__).resolve().parent.parent
SEED = "000_502a72c922326d2e"


def spans_of(text: str, *surfaces: tuple[str, str]) -> list[tuple[int, int, str]]:
    out = []
    for surface, label in surfaces:
        start = text.index(surface)
        out.append((start, start + len(surface), label))
    return out


def found(text: str, spans: list[Span]) -> list[tuple[str, str]]:
    return [(text[s.start : s.end], s.label) for s in spans]


def test_gazetteer_longest_match_first_on_word_edges_never_overlapping() -> None:
    train = "North Korea and Korea met. Kim Jong-un spoke."
    gaz = Gazetteer.build([(train, spans_of(train, ("North Korea", "GPE"), ("Korea", "GPE"), ("Kim", "PERSON")))])
    text = "North Korean troops; North Korea's Kim, Kimchi and Korea."
    got = found(text, gaz.match(text))
    # "North Korean" is not a known form and "Korean" is not "Korea" on a word edge; "Kimchi" is no "Kim"
    assert got == [("North Korea", "GPE"), ("Kim", "PERSON"), ("Korea", "GPE")]
    spans = gaz.match(text)
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))


def test_gazetteer_label_is_the_majority_and_score_is_how_often_it_was_right() -> None:
    a = "talks began; the talks ended"
    b = "Talks in Geneva: talks again"
    gaz = Gazetteer.build(
        [
            (a, [(a.index("talks"), a.index("talks") + 5, "EVENT")]),  # 1 of 2 occurrences labelled
            (b, [(b.rindex("talks"), b.rindex("talks") + 5, "EVENT"), (9, 15, "GPE")]),
        ]
    )
    assert gaz.forms["talks"] == ("EVENT", 0.667)
    assert gaz.forms["Geneva"] == ("GPE", 1.0)
    assert "Talks" not in gaz.forms  # case matters: sentence-initial words are not guessed


def test_resolve_prefers_longer_then_earlier() -> None:
    spans = [Span(0, 5, "A"), Span(3, 12, "B"), Span(10, 14, "C"), Span(13, 15, "D")]
    assert [s.label for s in resolve(spans)] == ["B", "D"]


def test_real_patterns_file_loads_and_finds_the_seed_dates(labels: LabelSchema) -> None:
    path = default_patterns_path(labels)
    assert path == RESOURCES / "news.patterns.json"
    patterns = load_patterns(path, labels)
    assert {p.label for p in patterns} <= set(labels.entity_names)
    doc = json.loads((REPO / "annotations" / f"{SEED}.json").read_text())
    gold_dates = {(e["start"], e["end"]) for e in doc["annotations"][0]["entities"] if e["label"] == "DATE"}
    got = pattern_spans(patterns, doc["text"])
    assert {(s.start, s.end) for s in got} == gold_dates
    text = "On 12 March 2024, a week after 2024-03-05, talks resumed last year on Tuesday; Mayday."
    assert [t for t, _ in found(text, pattern_spans(patterns, text))] == [
        "12 March 2024",
        "2024-03-05",
        "last year",
        "Tuesday",
    ]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"label": "PLACE"}, "'PLACE' is not an entity label of news.labels.json"),
        ({"pattern": "(unclosed"}, "not a valid regular expression"),
        ({"examples": ["nope"]}, "['nope'] are not matched whole"),
        ({"score": 2}, "patterns/0/score"),
        ({"colour": "red"}, "Additional properties are not allowed"),
    ],
)
def test_invalid_patterns_file_is_refused_with_file_and_place(
    labels: LabelSchema, tmp_path: Path, entry: dict, message: str
) -> None:
    shutil.copy(RESOURCES / "patterns.meta.schema.json", tmp_path)
    pattern = {"name": "years", "label": "DATE", "pattern": "(?:19|20)\\d{2}", "examples": ["1999"], **entry}
    path = tmp_path / "bad.patterns.json"
    path.write_text(json.dumps({"patterns": [pattern]}))
    with pytest.raises(SchemaFileError) as err:
        load_patterns(path, labels)
    assert message in str(err.value) and str(path) in str(err.value)


def test_model_hook_any_callable_and_spacy_skipped_when_absent(
    labels: LabelSchema, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "my_ner.py").write_text(
        "def predict(text):\n"
        "    i = text.find('Vladivostok')\n"
        "    return [(i, i + 11, 'GPE', 0.5), {'start': 0, 'end': 3, 'label': 'PERSON'}] if i >= 0 else []\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    model, note = load_model("my_ner:predict", labels)
    assert model is not None and note is None
    pre = Preannotator(labels, Gazetteer({"Kim Jong-un": ("PERSON", 1.0)}), [], model)
    text = "Kim Jong-un arrived in Vladivostok."
    got = pre.spans(text)
    # the gazetteer wins where the model's (0, 3) would overlap it
    assert [(text[s.start : s.end], s.label, s.source) for s in got] == [
        ("Kim Jong-un", "PERSON", "gazetteer"),
        ("Vladivostok", "GPE", "model:my_ner:predict"),
    ]
    assert "model:my_ner:predict" in pre.model_version
    missing, note = load_model("spacy:no_such_pipeline_xyz", labels)
    assert missing is None and note and "spaCy" in note and "not installed" in note
    for bad in ("no_such_module_xyz:f", "my_ner:nope", "my_ner"):
        with pytest.raises(ConfigError):
            load_model(bad, labels)
    assert load_model("none", labels) == (None, None)


def test_predictions_get_the_annotation_checks(
    labels: LabelSchema, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "bad_ner.py").write_text("def predict(text):\n    return [(0, 3, 'PLACE'), (2, 999, 'GPE')]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    model, _ = load_model("bad_ner:predict", labels)
    tasks = [{"data": {"doc_id": "d1", "text": "Kim went home."}}]
    with pytest.raises(ToolkitError) as err:
        pre_annotate(tasks, Preannotator(labels, model=model))
    msg = str(err.value)
    assert "[schema]" in msg and "PLACE" in msg and "$.predictions[0]" in msg
    # an out-of-range span reaches the checks rather than being dropped silently
    tasks[0]["predictions"][0]["result"] = tasks[0]["predictions"][0]["result"][1:]
    with pytest.raises(ToolkitError, match=r"\[offset-range\]"):
        check_predictions(tasks, labels)


def test_tasks_pre_annotate_cli_writes_valid_predictions(workdir: Path) -> None:
    runner = CliRunner()
    other = "Lloyd Austin met officials from North Korea and Russia last July, the Pentagon said on Tuesday."
    Path("new.jsonl").write_bytes(orjson.dumps({"id": "new-1", "text": other}) + b"\n")
    assert runner.invoke(main, ["ingest", "new.jsonl"]).exit_code == 0
    res = runner.invoke(main, ["tasks", "--pre-annotate", "--model", "none"])
    assert res.exit_code == 0, res.output
    assert "pre-annotated 1 of 1 task(s): 6 span(s) (gazetteer 5, pattern 1)" in res.output
    (task,) = [orjson.loads(line) for line in Path("build/tasks.jsonl").read_bytes().splitlines()]
    (pred,) = task["predictions"]
    assert pred["model_version"].startswith("toolkit-preannotate/news-relations-1.0.0/gazetteer:")
    assert 0 < pred["score"] <= 1
    got = [(r["value"]["text"], r["value"]["labels"][0]) for r in pred["result"]]
    assert got == [
        ("Lloyd Austin", "PERSON"),
        ("North Korea", "GPE"),
        ("Russia", "GPE"),
        ("last July", "DATE"),
        ("Pentagon", "ORG"),
        ("Tuesday", "DATE"),  # from the patterns: no annotation has it
    ]
    assert all(other[r["value"]["start"] : r["value"]["end"]] == r["value"]["text"] for r in pred["result"])


def test_push_refuses_a_tasks_file_with_a_bad_prediction(workdir: Path) -> None:
    task = {
        "data": {"doc_id": "x", "text": "Kim went home."},
        "predictions": [
            {
                "model_version": "hand-made",
                "result": [
                    {
                        "id": "r1",
                        "from_name": "label",
                        "to_name": "text",
                        "type": "labels",
                        "value": {"start": 0, "end": 3, "text": "Kim", "labels": ["HUMAN"]},
                    }
                ],
            }
        ],
    }
    Path("tasks.jsonl").write_bytes(orjson.dumps(task) + b"\n")
    res = CliRunner().invoke(main, ["push", "tasks.jsonl"])
    assert res.exit_code == 1
    assert "HUMAN" in res.output and "nothing was written or pushed" in res.output
    assert "LABEL_STUDIO_URL" not in res.output  # refused before any connection is attempted


def test_build_from_annotations_folder(labels: LabelSchema) -> None:
    pre = build_preannotator(labels, REPO / "annotations", None, "none")
    assert len(pre.gazetteer) == 36 and len(pre.patterns) == 4 and pre.model is None


def test_evaluation_separates_leave_one_out_patterns_and_within_document(labels: LabelSchema) -> None:
    from toolkit.validation import load_documents

    docs, _ = load_documents([REPO / "annotations"], labels)
    (ev,) = evaluate(docs, labels, load_patterns(RESOURCES / "news.patterns.json", labels))
    rows = {r.name: r.score for r in ev.rows}
    assert (ev.gold, ev.others, ev.forms) == (57, 0, 0)
    loo = rows["leave-one-out gazetteer"]
    assert (loo.proposed, loo.correct, loo.precision, loo.recall) == (0, 0, None, 0.0)
    assert (rows["patterns"].proposed, rows["patterns"].correct) == (2, 2)
    progressive = rows["within document, progressive by paragraph"]
    assert progressive.gold == 57 and 0 < progressive.correct <= progressive.proposed
    text = format_report([ev])
    assert "n/a" in text and "leave-one-out gazetteer" in text and "progressive by sentence" in text


def test_paragraphs_split_on_blank_lines_with_crlf() -> None:
    text = "One.\r\n\r\nTwo a.\nTwo b.\n\n\n  Three."
    assert [text[a:b] for a, b in paragraphs(text)] == ["One.", "Two a.\nTwo b.", "  Three."]


def test_parts_of_longer_capitalised_names_are_not_proposed() -> None:
    from toolkit.preannotation.spans import Span, drop_partial_names

    text = "The new Secretary General spoke. General Charles Brown agreed. Yesterday Putin met Theresa May in May."

    def at(word: str, label: str, nth: int = 0) -> Span:
        i = -1
        for _ in range(nth + 1):
            i = text.index(word, i + 1)
        return Span(i, i + len(word), label)

    spans = [at("General", "ROLE"), at("General", "ROLE", 1), at("Charles Brown", "PERSON"), at("Putin", "PERSON")]
    spans += [at("May", "DATE"), at("May", "DATE", 1)]
    kept, dropped = drop_partial_names(text, spans)
    assert dropped == 2  # "General" of "Secretary General", "May" of "Theresa May"
    assert [text[s.start : s.end] for s in kept] == ["General", "Charles Brown", "Putin", "May"]
    assert kept[0].start == text.index("General Charles")  # a role before a name it does not belong to stays
