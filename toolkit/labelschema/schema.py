"""Loading and checking a label schema file, and the typed view every stage reads from it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import jsonschema

from ..errors import SchemaFileError
from ..io.reader import load_json

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
DEFAULT_LABELS = RESOURCES / "news.labels.json"
META_SCHEMA = "labels.meta.schema.json"
NO_RELATION = "no_relation"  # the negative class of the `relations` config
# Keys that describe the project rather than the labelling: outside the schema fingerprint.
METADATA_KEYS = frozenset({"project"})
# Colours given to labels without one (Label Studio's own default is a grey for all). Label Studio
# 1.23 writes an entity's name in white on its colour (a selected label, the region list), and a
# relation's name in dark grey (#45433e) on its colour (the relation label menu): so entity colours
# are dark and relation colours light, each meeting WCAG AA (4.5:1) for that text (tests/test_labels.py).
PALETTE = (
    "#e4194a", "#2c8437", "#4363d8", "#be5409", "#911eb4", "#097f99", "#ce0fc4", "#5e7e0b", "#e2115e",
    "#3a7f77", "#9941ff", "#9a6324", "#817500", "#800000", "#008627", "#787800", "#b65b00", "#000075",
)  # fmt: skip
RELATION_PALETTE = (
    "#f498ae", "#59c867", "#a0b0eb", "#f79b5a", "#db9bee", "#42d4f4", "#f68af1", "#bfef45", "#fabed4",
    "#72bfb6", "#dcbeff", "#dca86b", "#fffac8", "#ff9292", "#aaffc3", "#b8b800", "#ffd8b1", "#ababff",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Controls:
    """Names that tie Label Studio results to this schema: `from_name`, `to_name` and the task data key."""

    labels: str = "label"  # <Labels name=...>: from_name of span results
    text: str = "text"  # <Text name=...>: to_name of every result
    relations: str = "relation"  # <Relations name=...>
    value: str = "text"  # <Text value="$...">: the key of the text in a task's `data`


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
    problems = []
    for e in sorted(jsonschema.Draft202012Validator(meta).iter_errors(data), key=lambda e: list(map(str, e.path))):
        where = "/".join(map(str, e.absolute_path)) or "(top level)"
        problems.append(f"{path}: {where}: {e.message}")
    return problems


class LabelSchema:
    """A validated label schema; construct with `LabelSchema.load`.

    Optional fields get their defaults here, once: a missing colour comes from a fixed palette, a
    missing hotkey is none, a relation without `head`/`tail` allows any entity type, and the control
    names are Label Studio's usual `label`/`text`/`relation`.
    """

    def __init__(self, data: dict[str, Any], path: Path, resources: Path = RESOURCES):
        self.data = data
        self.path = path
        self.resources = resources  # where the meta-schema and the validation JSON Schemas are
        self.name: str = data["name"]
        self.version: str = data["version"]
        self.title: str = data.get("title", data["name"])
        self.granularity: str = data.get("granularity", "word")
        self.controls = Controls(**data.get("controls", {}))
        self.relation_choice: str = data.get("relation_choice", "single")
        self.project: dict[str, Any] = data.get("project", {})
        self.entity_names: list[str] = [e["name"] for e in data["entities"]]
        self.entities: list[dict[str, Any]] = [_label_defaults(e, i) for i, e in enumerate(data["entities"])]
        self.relations: list[dict[str, Any]] = [
            {
                **_label_defaults(r, i, RELATION_PALETTE),
                "head": list(r.get("head") or self.entity_names),
                "tail": list(r.get("tail") or self.entity_names),
                "symmetric": bool(r.get("symmetric", False)),
            }
            for i, r in enumerate(data["relations"])
        ]
        self.relation_names: list[str] = [r["name"] for r in self.relations]
        self.relation_types: dict[str, RelationType] = {
            r["name"]: RelationType(r["name"], tuple(r["head"]), tuple(r["tail"]), r["symmetric"])
            for r in self.relations
        }

    @classmethod
    def load(cls, path: Path | str | None = None, resources: Path = RESOURCES) -> LabelSchema:
        """Read and check a label schema file (default: the bundled news schema)."""
        path = Path(path) if path else DEFAULT_LABELS
        data = load_json_file(path)
        return cls.from_data(data, path, resources)

    @classmethod
    def from_data(cls, data: Any, path: Path, resources: Path = RESOURCES) -> LabelSchema:
        """Check `data` (as read from `path`) against the meta-schema and the cross-checks."""
        problems = meta_problems(data, path, resources / META_SCHEMA)
        if not problems:
            problems = _cross_checks(data, path)
        if problems:
            raise SchemaFileError("invalid label schema:\n  " + "\n  ".join(problems))
        return cls(data, path, resources)

    @cached_property
    def fingerprint(self) -> str:
        """sha256 of the labelling content (labels, definitions, constraints), not of the project metadata."""
        content = {k: v for k, v in self.data.items() if k not in METADATA_KEYS}
        canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
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

    # -- project metadata (card, guidelines, Label Studio project) ------------------------

    @property
    def project_title(self) -> str:
        """The Label Studio project's title (the default of `--project`)."""
        return str(self.project.get("title") or self.title)

    @property
    def pretty_name(self) -> str:
        return str(self.project.get("pretty_name") or self.title)

    @property
    def description(self) -> str:
        return str(
            self.project.get("description") or f"Texts annotated with entity mentions and relations ({self.title})"
        )

    @property
    def languages(self) -> list[str]:
        return list(self.project.get("languages") or [])

    @property
    def license(self) -> dict[str, str]:
        """`id` (a Hub licence id, or `other`), and optionally `name`, `link` and `text` (the card's prose)."""
        return {"id": "unknown", **(self.project.get("license") or {})}

    @property
    def tags(self) -> list[str]:
        return list(self.project.get("tags") or [])

    @property
    def citation(self) -> str:
        return str(self.project.get("citation") or "")

    @property
    def source(self) -> str:
        return str(self.project.get("source") or "")

    def json_schema(self, name: str) -> dict[str, Any]:
        """A validation JSON Schema of the package with this schema's label enums and text key filled in."""
        path = self.resources / name
        schema = load_json_schema(path)
        defs = schema.get("$defs", {})
        for key, names in (("EntityLabel", self.entity_names), ("RelationLabel", self.relation_names)):
            if key not in defs:
                raise SchemaFileError(f"{path}: $defs/{key} is missing; the label enum is injected there")
            defs[key] = {"enum": list(names)}
        if "TaskData" in defs:  # the task's text lives under the <Text value="$..."> key
            value = self.controls.value
            defs["TaskData"] = {
                "type": "object",
                "required": [value],
                "properties": {value: {"type": "string"}},
            }
        return schema

    def ner_tags(self) -> list[str]:
        tags = ["O"]
        for name in self.entity_names:
            tags += [f"B-{name}", f"I-{name}"]
        return tags

    def relation_class_names(self) -> list[str]:
        """ClassLabel names of the `relations` config: the negative class first, then the relation labels.

        A relation label named like the negative class (TACRED's `no_relation`) is that class.
        """
        return [NO_RELATION, *(n for n in self.relation_names if n != NO_RELATION)]


def _label_defaults(label: dict[str, Any], index: int, palette: tuple[str, ...] = PALETTE) -> dict[str, Any]:
    return {
        "color": palette[index % len(palette)],
        "hotkey": None,
        "description": "",
        "example": "",
        **label,
    }


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
    keys = [x["hotkey"] for x in [*data["entities"], *data["relations"]] if x.get("hotkey")]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        problems.append(f"{path}: hotkey(s) {dupes} used by more than one label; give each label its own key")
    controls = Controls(**data.get("controls", {}))
    if controls.labels == controls.relations:
        problems.append(f"{path}: controls: labels and relations need different control names")
    for i, rel in enumerate(data["relations"]):
        for side in ("head", "tail"):
            unknown = [t for t in rel.get(side) or [] if t not in ents]
            if unknown:
                problems.append(
                    f"{path}: relations/{i}/{side}: {unknown} of relation {rel['name']!r} are not entity labels; "
                    f"use some of {ents}"
                )
        if rel.get("symmetric") and set(rel.get("head") or ents) != set(rel.get("tail") or ents):
            problems.append(
                f"{path}: relations/{i}: symmetric relation {rel['name']!r} needs the same head and tail types"
            )
    return problems
