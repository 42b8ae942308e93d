"""Label Studio labeling configs: written from a label schema, and read back into one.

Reading (`toolkit schema from-config`) brings another team's project in: its `<Labels>`, `<Text>`
and `<Relations>` controls keep their names, every label keeps its exact value (any characters
Label Studio allows), colour and hotkey, and relations allow any head and tail type until the user
narrows them. The XML comes from other people's servers: Python's expat refuses entity expansion
bombs and never fetches external entities, and every problem is a SchemaFileError naming the file.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from ..errors import SchemaFileError, ToolkitError
from ..io.reader import read_text
from ..io.writer import atomic_write_bytes
from .schema import LabelSchema

SPAN_CONTROLS = {"Labels"}
# The task data field `toolkit watch` writes validation problems into. A <Header> without a `name`
# is not a required data key, so tasks without the field import and render (as an empty line).
PROBLEMS_KEY = "problems"
PROBLEMS_STYLE = (
    "color: #b3261e; font-size: 15px; font-weight: 600; line-height: 1.4; white-space: pre-line; margin: 0 0 24px"
)
UNSUPPORTED = {"HyperTextLabels", "ParagraphLabels", "RectangleLabels", "PolygonLabels", "KeyPointLabels"}


def label_config(schema: LabelSchema) -> str:
    """The labeling config: a header line, the labels, the problems `toolkit watch` found, the text, the relations."""
    c = schema.controls
    lines = [
        "<View>",
        '  <Header value="$header" size="5"/>',
        f'  <Labels name={quoteattr(c.labels)} toName={quoteattr(c.text)} showInline="true">',
    ]
    for ent in schema.entities:
        attrs = f"value={quoteattr(ent['name'])} background={quoteattr(ent['color'])}"
        if ent["hotkey"]:
            attrs += f" hotkey={quoteattr(ent['hotkey'])}"
        if ent["description"]:
            attrs += f" hint={quoteattr(ent['description'])}"
        lines.append(f"    <Label {attrs}/>")
    lines.append("  </Labels>")
    lines.append(f'  <Header value={quoteattr("$" + PROBLEMS_KEY)} size="5" style={quoteattr(PROBLEMS_STYLE)}/>')
    text, granularity = quoteattr(c.text), quoteattr(schema.granularity)
    lines.append(f"  <Text name={text} value={quoteattr('$' + c.value)} granularity={granularity}/>")
    choice = quoteattr(schema.relation_choice)
    lines.append(f"  <Relations name={quoteattr(c.relations)} toName={text} choice={choice}>")
    for rel in schema.relations:
        attrs = f"value={quoteattr(rel['name'])} background={quoteattr(rel['color'])}"
        if rel["hotkey"]:
            attrs += f" hotkey={quoteattr(rel['hotkey'])}"
        lines.append(f"    <Relation {attrs}/>")
    lines.append("  </Relations>")
    lines.append("</View>")
    return "\n".join(lines) + "\n"


def schema_from_config(xml: str, where: str, name: str, title: str | None = None) -> dict[str, Any]:
    """A label schema (as JSON data) from a Label Studio labeling config."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        line, col = exc.position
        raise SchemaFileError(f"{where}:{line}:{col + 1}: not a valid labeling config (XML): {exc}") from exc
    found = [el for el in root.iter() if el.tag in UNSUPPORTED]
    if found:
        raise SchemaFileError(
            f"{where}: <{found[0].tag}> labels regions of another kind of data; this toolkit handles text spans "
            "(<Labels> on a <Text>) and <Relations>"
        )
    texts = [el for el in root.iter("Text")]
    labels = [el for el in root.iter() if el.tag in SPAN_CONTROLS]
    if len(texts) != 1 or len(labels) != 1:
        raise SchemaFileError(
            f"{where}: expected one <Text> and one <Labels> control, found {len(texts)} and {len(labels)}; "
            "keep the pair that holds the entity spans and try again"
        )
    text, span = texts[0], labels[0]
    text_name = _attr(text, "name", where)
    value = _attr(text, "value", where)
    if not value.startswith("$") or len(value) < 2:
        raise SchemaFileError(f"{where}: <Text value={value!r}> must name a task field like $text")
    if span.get("toName") != text_name:
        raise SchemaFileError(
            f"{where}: <Labels name={span.get('name')!r}> points at toName={span.get('toName')!r}, "
            f"not at the <Text name={text_name!r}>"
        )
    entities = [_label(el, where) for el in span.iter("Label")]
    if not entities:
        raise SchemaFileError(f"{where}: <Labels> has no <Label value=...> inside")
    relations_el = next(iter(root.iter("Relations")), None)
    relations = [_label(el, where) for el in relations_el.iter("Relation")] if relations_el is not None else []
    data: dict[str, Any] = {
        "name": name,
        "version": "1.0.0",
        "title": title or name,
        "granularity": text.get("granularity") if text.get("granularity") in ("word", "symbol") else "symbol",
        "controls": {
            "labels": _attr(span, "name", where),
            "text": text_name,
            "relations": relations_el.get("name", "relation") if relations_el is not None else "relation",
            "value": value[1:],
        },
        "entities": entities,
        "relations": relations,
    }
    if relations_el is not None and relations_el.get("choice") == "multiple":
        data["relation_choice"] = "multiple"
    return data


def _attr(el: ET.Element, key: str, where: str) -> str:
    value = el.get(key)
    if not value:
        raise SchemaFileError(f"{where}: <{el.tag}> has no {key}=... attribute")
    return value


def _label(el: ET.Element, where: str) -> dict[str, Any]:
    out: dict[str, Any] = {"name": _attr(el, "value", where)}
    colour = el.get("background", "")
    if re.fullmatch(r"#[0-9a-fA-F]{6}", colour):
        out["color"] = colour
    if el.get("hotkey"):
        out["hotkey"] = el.get("hotkey")
    if el.get("hint"):
        out["description"] = el.get("hint")
    return out


def schema_file_from_config(
    config: Path,
    out: Path,
    *,
    name: str | None = None,
    project: dict[str, Any] | None = None,
    overwrite: bool = False,
) -> LabelSchema:
    """Write a label schema file for an existing project's labeling config (checked before it is written)."""
    if out.exists() and not overwrite:
        raise ToolkitError(f"{out} exists; pass --force to replace it")
    xml = read_text(config, "a Label Studio labeling config (XML)", SchemaFileError)
    stem = out.name.removesuffix(".json").removesuffix(".labels")
    name = name or (re.sub(r"[^a-z0-9_.-]+", "-", stem.lower()).strip("-.") or "labels")
    data = schema_from_config(xml, str(config), name, (project or {}).get("title"))
    if project:
        data["project"] = {k: v for k, v in project.items() if v}
    schema = LabelSchema.from_data(data, out)
    atomic_write_bytes(out, json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8") + b"\n")
    return schema
