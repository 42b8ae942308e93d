"""Annotation guidelines from the label schema: Markdown for people, HTML for Label Studio's instructions.

Definitions and examples are other people's text: every cell is escaped (HTML, and `|` and line
breaks in Markdown tables), so no label description can inject markup or break a table.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .schema import LabelSchema


def md_cell(text: str | None) -> str:
    """Text safe inside a Markdown table cell: HTML escaped, `|` escaped, line breaks as spaces."""
    return html.escape(" ".join((text or "").split()), quote=False).replace("|", "\\|")


def _types(rel: dict[str, object], sep: str = "/") -> str:
    arrow = " ↔ " if rel["symmetric"] else " → "
    return sep.join(rel["head"]) + arrow + sep.join(rel["tail"])  # type: ignore[arg-type]


def guidelines_markdown(schema: LabelSchema) -> str:
    out = [f"# Annotation guidelines: {md_cell(schema.title)} (label schema {schema.version})", ""]
    out.append("Select the shortest span that names the thing; do not include leading articles or punctuation.")
    out.append("Label every mention, including repeated ones. Relations link two labelled spans; draw them")
    out.append("from head to tail. Symmetric relations may be drawn either way.")
    out += ["", "## Entities", "", "| label | key | definition | example |", "|---|---|---|---|"]
    for e in schema.entities:
        out.append(
            f"| `{md_cell(e['name'])}` | {md_cell(e['hotkey']) or '–'} | {md_cell(e['description'])} | "
            f"{md_cell(e['example'])} |"
        )
    out += ["", "## Relations", "", "| relation | head → tail | definition | example |", "|---|---|---|---|"]
    for r in schema.relations:
        out.append(
            f"| `{md_cell(r['name'])}` | {md_cell(_types(r))} | {md_cell(r['description'])} | {md_cell(r['example'])} |"
        )
    return "\n".join(out) + "\n"


def guidelines_html(schema: LabelSchema) -> str:
    """Shown by Label Studio as the project's instructions before labeling."""
    esc = html.escape
    parts = [
        f"<h2>{esc(schema.title)} (label schema {esc(schema.version)})</h2>",
        "<p>Select the shortest span that names the thing. Label every mention, including repeated ones. "
        "Draw relations from head to tail; symmetric relations may be drawn either way.</p>",
        "<h3>Entities</h3><table><tr><th>label</th><th>key</th><th>definition</th><th>example</th></tr>",
    ]
    for e in schema.entities:
        parts.append(
            f"<tr><td><b style='color:{esc(e['color'])}'>{esc(e['name'])}</b></td><td>{esc(e['hotkey'] or '–')}</td>"
            f"<td>{esc(e['description'])}</td><td>{esc(e['example'])}</td></tr>"
        )
    parts.append(
        "</table><h3>Relations</h3><table><tr><th>relation</th><th>head → tail</th>"
        "<th>definition</th><th>example</th></tr>"
    )
    for r in schema.relations:
        parts.append(
            f"<tr><td><b>{esc(r['name'])}</b></td><td>{esc(_types(r))}"
            f"</td><td>{esc(r['description'])}</td><td>{esc(r['example'])}</td></tr>"
        )
    parts.append("</table>")
    return "".join(parts)
