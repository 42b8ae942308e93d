"""Another team's project: schema from its labeling config, its exports imported, validated, compared."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from toolkit.errors import SchemaFileError
from toolkit.labelschema import LabelSchema, label_config, schema_from_config

from helpers import DATA, run

PROJECTS = DATA / "projects"


def controls_of(xml: str) -> dict[str, object]:
    """What makes two labeling configs equivalent: control names, labels with colours and hotkeys."""
    root = ET.fromstring(xml)
    labels, text = root.find(".//Labels"), root.find(".//Text")
    rels = root.find(".//Relations")
    assert labels is not None and text is not None
    return {
        "labels": (labels.get("name"), labels.get("toName")),
        "text": (text.get("name"), text.get("value")),
        "entities": [(x.get("value"), x.get("hotkey")) for x in labels.iter("Label")],
        "relations": [x.get("value") for x in rels.iter("Relation")] if rels is not None else [],
        "choice": rels.get("choice", "single") if rels is not None else "single",
    }


def test_tacred_config_becomes_a_schema_with_every_label_exactly(tmp_path: Path) -> None:
    out = tmp_path / "tacred.labels.json"
    said = run("schema", "from-config", str(PROJECTS / "tacred" / "config.xml"), "-o", str(out))
    assert "13 entity label(s), 42 relation label(s)" in said
    schema = LabelSchema.load(out)
    assert {"STATE/PROVINCE", "CRIMINAL_CHARGE"} <= set(schema.entity_names)
    assert {"per:city_of_birth", "org:number_of_employees/members", "no_relation"} <= set(schema.relation_names)
    assert all(set(r["head"]) == set(schema.entity_names) for r in schema.relations)  # any type until narrowed
    assert schema.relation_class_names().count("no_relation") == 1  # the negative class, not a second name
    assert "valid (13 entity labels, 42 relation labels" in run("--labels", str(out), "schema", "check")
    regenerated = run("--labels", str(out), "schema", "config")
    assert controls_of(regenerated) == controls_of((PROJECTS / "tacred" / "config.xml").read_text())
    report = json.loads(
        run("--labels", str(out), "validate", str(PROJECTS / "tacred" / "export.json"), "--format", "json")
    )
    assert report["valid"] and report["summary"]["relations"] == 8


def test_label_studio_ner_example_with_control_ner_and_string_ids(tmp_path: Path) -> None:
    out = tmp_path / "ner.labels.json"
    run("schema", "from-config", str(PROJECTS / "ner-example" / "config.xml"), "-o", str(out))
    schema = LabelSchema.load(out)
    assert schema.controls.labels == "ner" and schema.relation_names == []
    assert controls_of(label_config(schema))["labels"] == ("ner", "text")
    export = PROJECTS / "ner-example" / "export.json"
    assert run("--labels", str(out), "validate", str(export)).startswith("valid:")
    # the bundled schema does not know the control `ner`: a clear label-config error, never a crash
    assert "[label-config]" in run("validate", str(export), code=1)
    ann = tmp_path / "annotations"
    run("--labels", str(out), "import", str(export), "-o", str(ann))
    (doc,) = [json.loads(p.read_text()) for p in ann.glob("*.json")]
    assert doc["doc_id"].startswith("doc-") and doc["annotations"][0]["id"] == str(
        json.loads(export.read_text())[0]["annotations"][0]["unique_id"]
    )


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        ("<View><Labels name='l' toName='t'><Label value='A'/></Labels></View>", "one <Text> and one <Labels>"),
        (
            "<View><Text name='t' value='$x'/><Labels name='l' toName='other'><Label value='A'/></Labels></View>",
            "toName",
        ),
        ("<View><Text name='t' value='$x'/><Labels name='l' toName='t'></Labels></View>", "no <Label"),
        ("<View><Image name='i' value='$img'/><RectangleLabels name='r' toName='i'/></View>", "RectangleLabels"),
        ("<View><Text name='t' value='$x'", "not a valid labeling config"),
        ('<!DOCTYPE v [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><View>&b;</View>', "one <Text>"),
    ],
)
def test_bad_labeling_configs_are_refused_with_a_reason(xml: str, message: str) -> None:
    with pytest.raises(SchemaFileError, match=message):
        schema_from_config(xml, "config.xml", "x")


def test_many_labels_long_hotkeys_and_a_bad_hotkey(tmp_path: Path) -> None:
    data = {
        "name": "many",
        "version": "1.0.0",
        "entities": [{"name": f"L{i}", "hotkey": f"ctrl+{i}"} for i in range(60)] + [{"name": "none-key"}],
        "relations": [],
    }
    path = tmp_path / "many.labels.json"
    path.write_text(json.dumps(data))
    assert "valid (61 entity labels" in run("--labels", str(path), "schema", "check")
    data["entities"][0]["hotkey"] = "ctrl 1"
    path.write_text(json.dumps(data))
    out = run("--labels", str(path), "schema", "check", code=2)
    assert "entities/0/hotkey" in out and "Unevaluated" not in out and out.count(str(path)) == 1


def test_a_relation_named_like_another_label_is_a_clear_schema_error(tmp_path: Path) -> None:
    data = {"name": "x", "version": "1.0.0", "entities": [{"name": "ORG"}], "relations": [{"name": "ORG"}]}
    path = tmp_path / "x.labels.json"
    path.write_text(json.dumps(data))
    assert "used both as entity and relation name" in run("--labels", str(path), "schema", "check", code=2)


def test_json_min_export_is_refused_by_name(tmp_path: Path) -> None:
    labels = tmp_path / "court.labels.json"
    run("schema", "from-config", str(PROJECTS / "court-nl" / "config.xml"), "-o", str(labels))
    out = run(
        "--labels",
        str(labels),
        "import",
        str(PROJECTS / "court-nl" / "json-min.json"),
        "-o",
        str(tmp_path / "a"),
        code=2,
    )
    assert "JSON-MIN" in out and "Export -> JSON" in out and not (tmp_path / "a").exists()


def test_two_servers_where_everyone_is_user_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Round trip for a Dutch legal-text project: from-config -> import x2 -> validate -> agreement."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(PROJECTS / "court-nl", "court")
    run(
        "schema", "from-config", "court/config.xml", "-o", "court.labels.json", "--title", "Uitspraken",
        "--description", "Nederlandse uitspraken met personen, organisaties en hun relaties",
        "--language", "nl", "--license", "cc-by-4.0",
    )  # fmt: skip
    lab = ["--labels", "court.labels.json"]
    first = run(*lab, "import", "court/server-a.json", "--annotator", "anna")
    assert "3 file(s) written" in first and "3 new" in first
    again = run(*lab, "import", "court/server-a.json", "--annotator", "anna")
    assert "0 file(s) written, 3 unchanged" in again  # importing twice changes nothing
    second = run(*lab, "import", "court/server-b.json", "--annotator", "bram")
    assert "3 new" in second
    assert "valid: 3 record(s) checked" in run(*lab, "validate", "annotations")
    report = json.loads(run(*lab, "agreement", "--format", "json"))
    assert (report["documents"], report["pairs"], len(report["annotators"])) == (3, 1, 2)
    ents = {s["label"]: s for s in report["entities"]}
    rels = {s["label"]: s for s in report["relations"]}
    assert ents["(all)"]["exact"]["pooled"] == pytest.approx(2 * 8 / (8 + 9))  # only bram marked the PLAATS span
    assert rels["(all)"]["exact"]["pooled"] == pytest.approx(2 * 3 / 8)  # werkt_bij vs leidt on one document
    assert rels["veroordeelt"]["exact"]["pooled"] == 1.0
    # without --annotator both files are "user 1": one annotator, nothing to compare, and the run says so
    run(*lab, "import", "court/server-a.json", "-o", "plain")
    run(*lab, "import", "court/server-b.json", "-o", "plain")
    assert "nothing to compare" in run(*lab, "agreement", "plain")


def test_string_ids_predictions_and_padded_span_texts(tmp_path: Path) -> None:
    report = json.loads(run("validate", str(DATA / "invalid" / "bad-prediction.json"), "--format", "json", code=1))
    assert report["summary"]["predictions"] == 2
    by_code = {e["code"]: e for e in report["errors"]}
    assert by_code["offset-range"]["path"].startswith("$.predictions[0]")
    # the unknown-label message of a prediction is the one an annotation gets, not an opaque anyOf dump
    assert '"HUMAN" is not one of' in by_code["schema"]["message"] and "anyOf" not in by_code["schema"]["message"]
    ann = tmp_path / "ann"
    run("import", str(DATA / "invalid" / "span-whitespace-text.json"), "-o", str(ann))
    (doc,) = [json.loads(p.read_text()) for p in ann.glob("*.json")]
    assert [e["text"] for e in doc["annotations"][0]["entities"]] == ["Lloyd Austin", "Pyongyang"]  # stored as slices
    assert run("validate", str(ann)).startswith("valid:")
