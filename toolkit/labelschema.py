"""The label schema: the one file every label name comes from.

The Label Studio config, the enums of the validation JSON Schemas, the guidelines and the
dataset's ClassLabel names are all generated here from a `*.labels.json` file. The meta-schema and
the validation JSON Schemas ship inside the package (`toolkit/resources/`), so a label schema file
can live anywhere; the default news schema ships there too.
"""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import jsonschema

from .errors import SchemaFileError
from .io.reader import load_json

RESOURCES = Path(__file__).resolve().parent / "resources"
DEFAULT_LABELS = RESOURCES / "news.labels.json"
META_SCHEMA = "labels.meta.schema.json"

# Control names of the generated config: part of the contract with Label Studio exports.
LABELS_CONTROL = "label"
TEXT_OBJECT = "text"
RELATIONS_CONTROL = "relation"


@dataclass(frozen=True, slots=True)
class RelationType:
    name: str
    head: tuple[str, ...]
    tail: tuple[str, ...]
    symmetric: bool

    def allows(self, head_label: str, tail_label: str) -> bool:
        if head_label in self.head and tail_label in self.tail:
            return True
        return self.symmetric and tail_label in self.head and head_label in self.tail


def load_json_file(path: Path) -> Any:
    """A schema-side JSON file (label schema, patterns, JSON Schema); any problem is a SchemaFileError."""
    return load_json(path, "a JSON file", SchemaFileError)


def load_json_schema(path: Path) -> dict[str, Any]:
    """A JSON Schema file, itself checked against its metaschema before it is used."""
    schema = load_json_file(path)
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        where = "/".join(map(str, exc.absolute_path)) or "(top level)"
        raise SchemaFileError(f"{path}: not a valid JSON Schema at {where}: {exc.message}") from exc
    if not isinstance(schema, dict):
        raise SchemaFileError(f"{path}: a JSON Schema must be an object")
    return schema


def meta_problems(data: Any, path: Path, meta_path: Path) -> list[str]:
    """Every way `data` (read from `path`) breaks its meta-schema; the meta-schema itself is checked first."""
    meta = load_json_schema(meta_path)
    return [
        f"{path}: {'/'.join(map(str, e.absolute_path)) or '(top level)'}: {e.message}"
        for e in jsonschema.Draft202012Validator(meta).iter_errors(data)
    ]


class LabelSchema:
    """A validated label schema; construct with `LabelSchema.load`."""

    def __init__(self, data: dict[str, Any], path: Path, resources: Path = RESOURCES):
        self.data = data
        self.path = path
        self.resources = resources  # where the meta-schema and the validation JSON Schemas are
        self.name: str = data["name"]
        self.version: str = data["version"]
        self.title: str = data.get("title", data["name"])
        self.granularity: str = data.get("granularity", "word")
        self.entities: list[dict[str, Any]] = data["entities"]
        self.relations: list[dict[str, Any]] = data["relations"]
        self.entity_names: list[str] = [e["name"] for e in self.entities]
        self.relation_names: list[str] = [r["name"] for r in self.relations]
        self.relation_types: dict[str, RelationType] = {
            r["name"]: RelationType(r["name"], tuple(r["head"]), tuple(r["tail"]), bool(r["symmetric"]))
            for r in self.relations
        }

    @classmethod
    def load(cls, path: Path | str | None = None, resources: Path = RESOURCES) -> LabelSchema:
        """Read and check a label schema file (default: the bundled news schema)."""
        path = Path(path) if path else DEFAULT_LABELS
        data = load_json_file(path)
        problems = meta_problems(data, path, resources / META_SCHEMA)
        if not problems:
            problems = _cross_checks(data, path)
        if problems:
            raise SchemaFileError("invalid label schema:\n  " + "\n  ".join(problems))
        return cls(data, path, resources)

    @cached_property
    def fingerprint(self) -> str:
        canonical = json.dumps(self.data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @cached_property
    def allowed_triples(self) -> frozenset[tuple[str, str, str]]:
        """(relation, head type, tail type) that the schema allows, both ways for symmetric relations."""
        return frozenset(
            (name, h, t)
            for name, rt in self.relation_types.items()
            for h in self.entity_names
            for t in self.entity_names
            if rt.allows(h, t)
        )

    def is_symmetric(self, relation: str) -> bool:
        rt = self.relation_types.get(relation)
        return bool(rt and rt.symmetric)

    # -- generated artefacts -------------------------------------------------------------

    def label_config(self) -> str:
        """The Label Studio labeling config; label values are XML-escaped attributes."""
        lines = [
            "<View>",
            '  <Header value="$header" size="5"/>',
            f'  <Labels name="{LABELS_CONTROL}" toName="{TEXT_OBJECT}" showInline="true">',
        ]
        for ent in self.entities:
            lines.append(
                f"    <Label value={quoteattr(ent['name'])} background={quoteattr(ent['color'])}"
                f" hotkey={quoteattr(ent['hotkey'])} hint={quoteattr(ent['description'])}/>"
            )
        lines.append("  </Labels>")
        lines.append(f'  <Text name="{TEXT_OBJECT}" value="$text" granularity={quoteattr(self.granularity)}/>')
        lines.append(f'  <Relations name="{RELATIONS_CONTROL}" toName="{TEXT_OBJECT}" choice="single">')
        for rel in self.relations:
            lines.append(
                f"    <Relation value={quoteattr(rel['name'])} background={quoteattr(rel['color'])}"
                f" hotkey={quoteattr(rel['hotkey'])}/>"
            )
        lines.append("  </Relations>")
        lines.append("</View>")
        return "\n".join(lines) + "\n"

    def guidelines_markdown(self) -> str:
        out = [f"# Annotation guidelines: {self.title} (label schema {self.version})", ""]
        out.append("Select the shortest span that names the thing; do not include leading articles or punctuation.")
        out.append("Label every mention, including repeated ones. Relations link two labelled spans; draw them")
        out.append("from head to tail. Symmetric relations may be drawn either way.")
        out += ["", "## Entities", "", "| label | key | definition | example |", "|---|---|---|---|"]
        for e in self.entities:
            out.append(f"| `{e['name']}` | {e['hotkey']} | {e['description']} | {e['example']} |")
        out += ["", "## Relations", "", "| relation | head → tail | definition | example |", "|---|---|---|---|"]
        for r in self.relations:
            arrow = " ↔ " if r["symmetric"] else " → "
            types = "/".join(r["head"]) + arrow + "/".join(r["tail"])
            out.append(f"| `{r['name']}` | {types} | {r['description']} | {r['example']} |")
        return "\n".join(out) + "\n"

    def guidelines_html(self) -> str:
        """Shown by Label Studio as the project's instructions before labeling."""
        esc = html.escape
        parts = [
            f"<h2>{esc(self.title)} (label schema {esc(self.version)})</h2>",
            "<p>Select the shortest span that names the thing. Label every mention, including repeated ones. "
            "Draw relations from head to tail; symmetric relations may be drawn either way.</p>",
            "<h3>Entities</h3><table><tr><th>label</th><th>key</th><th>definition</th><th>example</th></tr>",
        ]
        for e in self.entities:
            parts.append(
                f"<tr><td><b style='color:{esc(e['color'])}'>{esc(e['name'])}</b></td><td>{esc(e['hotkey'])}</td>"
                f"<td>{esc(e['description'])}</td><td>{esc(e['example'])}</td></tr>"
            )
        parts.append(
            "</table><h3>Relations</h3><table><tr><th>relation</th><th>head → tail</th>"
            "<th>definition</th><th>example</th></tr>"
        )
        for r in self.relations:
            arrow = " ↔ " if r["symmetric"] else " → "
            parts.append(
                f"<tr><td><b>{esc(r['name'])}</b></td><td>{esc('/'.join(r['head']) + arrow + '/'.join(r['tail']))}"
                f"</td><td>{esc(r['description'])}</td><td>{esc(r['example'])}</td></tr>"
            )
        parts.append("</table>")
        return "".join(parts)

    def json_schema(self, name: str) -> dict[str, Any]:
        """A validation JSON Schema of the package with this schema's label enums filled in."""
        path = self.resources / name
        schema = load_json_schema(path)
        defs = schema.get("$defs", {})
        for key, names in (("EntityLabel", self.entity_names), ("RelationLabel", self.relation_names)):
            if key not in defs:
                raise SchemaFileError(f"{path}: $defs/{key} is missing; the label enum is injected there")
            defs[key] = {"enum": list(names)}
        return schema

    def ner_tags(self) -> list[str]:
        tags = ["O"]
        for name in self.entity_names:
            tags += [f"B-{name}", f"I-{name}"]
        return tags


def _cross_checks(data: dict[str, Any], path: Path) -> list[str]:
    """What the meta-schema cannot say: unique names and hotkeys, head/tail types that exist."""
    problems: list[str] = []
    ents = [e["name"] for e in data["entities"]]
    rels = [r["name"] for r in data["relations"]]
    for kind, names in (("entity", ents), ("relation", rels)):
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            problems.append(f"{path}: duplicate {kind} name(s) {dupes}; each label must appear once")
    clash = sorted(set(ents) & set(rels))
    if clash:
        problems.append(f"{path}: {clash} used both as entity and relation name; rename one")
    keys = [e["hotkey"] for e in data["entities"]] + [r["hotkey"] for r in data["relations"]]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        problems.append(f"{path}: hotkey(s) {dupes} used by more than one label; give each label its own key")
    for i, rel in enumerate(data["relations"]):
        for side in ("head", "tail"):
            unknown = [t for t in rel[side] if t not in ents]
            if unknown:
                problems.append(
                    f"{path}: relations/{i}/{side}: {unknown} of relation {rel['name']!r} are not entity labels; "
                    f"use some of {ents}"
                )
        if rel["symmetric"] and set(rel["head"]) != set(rel["tail"]):
            problems.append(
                f"{path}: relations/{i}: symmetric relation {rel['name']!r} needs the same head and tail types"
            )
    return problems
