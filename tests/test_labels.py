"""The label schema is the one source: config, JSON Schema enums and ClassLabel names follow it."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from toolkit.cli import main
from toolkit.dataset.build import document_features
from toolkit.errors import SchemaFileError
from toolkit.labelschema import DEFAULT_LABELS, RESOURCES, LabelSchema, label_config
from toolkit.validation import validate_paths

REPO = Path(__file__).resolve().parent.parent

REQUIRED_ENTITIES = ["PERSON", "ORG", "GPE", "LOC", "NORP", "ROLE", "DATE", "EVENT", "WEAPON"]
REQUIRED_RELATIONS = {
    "holds_role": ({"PERSON"}, {"ROLE"}, False),
    "member_of": ({"PERSON", "ORG"}, {"ORG", "GPE"}, False),
    "leader_of": ({"PERSON"}, {"ORG", "GPE"}, False),
    "part_of": ({"ORG", "GPE", "LOC"}, {"ORG", "GPE", "LOC"}, False),
    "located_in": ({"PERSON", "ORG", "LOC", "EVENT"}, {"GPE", "LOC"}, False),
    "cooperates_with": ({"PERSON", "ORG", "GPE"}, {"PERSON", "ORG", "GPE"}, True),
    "meets_with": ({"PERSON"}, {"PERSON"}, True),
    "visits": ({"PERSON", "ORG"}, {"GPE", "LOC", "ORG"}, False),
    "testifies_before": ({"PERSON"}, {"ORG"}, False),
    "supplies": ({"ORG", "GPE"}, {"ORG", "GPE"}, False),
    "accuses": ({"PERSON", "ORG", "GPE", "NORP"}, {"PERSON", "ORG", "GPE"}, False),
    "in_conflict_with": ({"ORG", "GPE", "NORP"}, {"ORG", "GPE", "NORP"}, True),
    "participates_in": ({"PERSON", "ORG", "GPE"}, {"EVENT"}, False),
    "occurred_on": ({"EVENT"}, {"DATE"}, False),
}


def copy_schema(tmp_path: Path) -> Path:
    """The bundled label schema copied to a folder of its own (nothing else beside it)."""
    (tmp_path / "schemas").mkdir()
    shutil.copy(DEFAULT_LABELS, tmp_path / "schemas" / "news.labels.json")
    return tmp_path / "schemas" / "news.labels.json"


def edit(path: Path, fn) -> None:
    data = json.loads(path.read_text())
    fn(data)
    path.write_text(json.dumps(data))


def test_required_label_set(labels: LabelSchema) -> None:
    assert set(REQUIRED_ENTITIES) <= set(labels.entity_names)
    for name, (head, tail, sym) in REQUIRED_RELATIONS.items():
        rt = labels.relation_types[name]
        assert (set(rt.head), set(rt.tail), rt.symmetric) == (head, tail, sym)


def test_generated_config_has_contract_controls_and_every_label(labels: LabelSchema) -> None:
    root = ET.fromstring(label_config(labels))
    labels_el = root.find("Labels")
    assert labels_el is not None and labels_el.get("name") == "label" and labels_el.get("toName") == "text"
    text_el = root.find("Text")
    assert text_el is not None and text_el.get("name") == "text" and text_el.get("value") == "$text"
    assert text_el.get("granularity") == "word"
    got = {el.get("value"): (el.get("background"), el.get("hotkey")) for el in labels_el.findall("Label")}
    assert got == {e["name"]: (e["color"], e["hotkey"]) for e in labels.entities}
    rels = root.find("Relations")
    assert rels is not None
    assert [el.get("value") for el in rels.findall("Relation")] == labels.relation_names


def test_label_names_are_xml_escaped(tmp_path: Path) -> None:
    path = copy_schema(tmp_path)
    edit(path, lambda d: d["entities"][0].update(name='A&B<"x">'))
    edit(
        path,
        lambda d: [
            r.update(
                head=[h if h != "PERSON" else 'A&B<"x">' for h in r["head"]],
                tail=[t if t != "PERSON" else 'A&B<"x">' for t in r["tail"]],
            )
            for r in d["relations"]
        ],
    )
    schema = LabelSchema.load(path)
    root = ET.fromstring(label_config(schema))  # parses: the name was escaped
    assert root.find("Labels").findall("Label")[0].get("value") == 'A&B<"x">'


def test_renaming_a_label_changes_everything_generated(tmp_path: Path) -> None:
    path = copy_schema(tmp_path)

    def rename(d: dict) -> None:
        d["entities"][0]["name"] = "PER"
        for r in d["relations"]:
            r["head"] = ["PER" if x == "PERSON" else x for x in r["head"]]
            r["tail"] = ["PER" if x == "PERSON" else x for x in r["tail"]]

    edit(path, rename)
    schema = LabelSchema.load(path)
    assert 'value="PER"' in label_config(schema) and 'value="PERSON"' not in label_config(schema)
    enum = schema.json_schema("labelstudio-task.schema.json")["$defs"]["EntityLabel"]["enum"]
    assert "PER" in enum and "PERSON" not in enum
    names = document_features(schema)["entities"].feature["label"].names
    assert names[0] == "PER"
    assert "B-PER" in schema.ner_tags()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["entities"][1].update(hotkey="p"), "hotkey"),
        (lambda d: d["relations"][0].update(head=["NOBODY"]), "NOBODY"),
        (lambda d: d["entities"].append(dict(d["entities"][0])), "duplicate entity"),
        (lambda d: d.update(colour="red"), "colour"),
        (lambda d: d["entities"][0].update(color="red"), "color"),
        (lambda d: d.update(version="1.0"), "version"),
    ],
)
def test_bad_label_schema_is_refused_with_the_file_named(tmp_path: Path, mutate, message: str) -> None:
    path = copy_schema(tmp_path)
    edit(path, mutate)
    with pytest.raises(SchemaFileError) as err:
        LabelSchema.load(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_invalid_json_schema_file_is_reported_before_data(tmp_path: Path) -> None:
    resources = tmp_path / "resources"
    shutil.copytree(RESOURCES, resources)
    (resources / "labelstudio-task.schema.json").write_text('{"type": 12}')
    schema = LabelSchema.load(DEFAULT_LABELS, resources)
    with pytest.raises(SchemaFileError, match=r"labelstudio-task\.schema\.json: not a valid JSON Schema"):
        validate_paths([REPO / "tests/data/valid/directions.json"], schema)


def test_label_schema_anywhere_uses_the_packaged_json_schemas(tmp_path: Path) -> None:
    """A label schema alone in a folder validates: meta-schema and task schemas ship in the package."""
    path = copy_schema(tmp_path)
    result = CliRunner().invoke(
        main, ["--labels", str(path), "validate", str(REPO / "tests/data/valid/directions.json")]
    )
    assert result.exit_code == 0, result.output


def test_cli_schema_commands() -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["schema", "check"]).exit_code == 0
    config = runner.invoke(main, ["schema", "config"]).output
    assert '<Relations name="relation"' in config
    guide = runner.invoke(main, ["schema", "guidelines"]).output
    assert "| `holds_role` |" in guide and "Lloyd Austin" in guide


# -- colour contrast (WCAG 2.1 AA: 4.5:1 for text) ----------------------------------------------
# What Label Studio 1.23.2 puts on a label's colour, read off its CSS and DOM in Chromium:
# a selected label chip and the region list write an entity's name in white on the colour
# (`.lsf-label_selected { background: var(--color); color: var(--white) }`), a region is the
# colour at 30% under the page's dark text (#262522), and the relation label menu writes a
# relation's name in `text-neutral-content-subtle` (#45433e) on the relation's colour.
WHITE, PAGE_TEXT, MENU_TEXT, AA = "#ffffff", "#262522", "#45433e", 4.5


def _rgb(colour: str) -> tuple[float, float, float]:
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return r, g, b


def _luminance(rgb: tuple[float, float, float]) -> float:
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def tint(colour: str, alpha: float) -> tuple[float, float, float]:
    """The colour at `alpha` over a white page (how Label Studio draws a region)."""
    r, g, b = _rgb(colour)
    return (alpha * r + 1 - alpha, alpha * g + 1 - alpha, alpha * b + 1 - alpha)


def test_contrast_formula_matches_wcag_reference_values() -> None:
    assert contrast(_rgb("#000000"), _rgb("#ffffff")) == pytest.approx(21.0)
    assert contrast(_rgb("#777777"), _rgb("#ffffff")) == pytest.approx(4.48, abs=0.01)  # the classic near miss
    assert contrast(_rgb("#767676"), _rgb("#ffffff")) == pytest.approx(4.54, abs=0.01)


def entity_contrasts(colour: str) -> dict[str, float]:
    return {
        "white name on the colour": contrast(_rgb(WHITE), _rgb(colour)),
        "page text on the region": contrast(_rgb(PAGE_TEXT), tint(colour, 0.3)),
    }


def relation_contrasts(colour: str) -> dict[str, float]:
    return {"menu text on the colour": contrast(_rgb(MENU_TEXT), _rgb(colour))}


def test_every_label_colour_meets_wcag_aa_for_its_text(labels: LabelSchema) -> None:
    low = {
        f"{x['name']} {x['color']} ({what})": round(ratio, 2)
        for items, measure in ((labels.entities, entity_contrasts), (labels.relations, relation_contrasts))
        for x in items
        for what, ratio in measure(x["color"]).items()
        if ratio < AA
    }
    assert not low, f"below {AA}:1: {low}"


def test_every_palette_colour_meets_wcag_aa_for_its_text(tmp_path: Path) -> None:
    """Labels without a colour get one from the palettes; each palette suits the text it will carry."""
    from toolkit.labelschema.schema import PALETTE, RELATION_PALETTE

    low = [
        (c, what, round(ratio, 2))
        for palette, measure in ((PALETTE, entity_contrasts), (RELATION_PALETTE, relation_contrasts))
        for c in palette
        for what, ratio in measure(c).items()
        if ratio < AA
    ]
    assert not low
    data = json.loads(DEFAULT_LABELS.read_text())
    for label in [*data["entities"], *data["relations"]]:
        label.pop("color")
    path = tmp_path / "plain.labels.json"
    path.write_text(json.dumps({**data, "$schema": str(RESOURCES / "labels.meta.schema.json")}))
    plain = LabelSchema.load(path)
    assert [e["color"] for e in plain.entities] == list(PALETTE[: len(plain.entities)])
    assert [r["color"] for r in plain.relations] == list(RELATION_PALETTE[: len(plain.relations)])
