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


# How to work the labeling page, checked against Label Studio 1.23.2 in Chromium (tests/test_browser.py
# drives every step). Each step is (title, text); the text is ours, not other people's, and holds
# no markup. Relation labels have no working key in 1.23: a <Relation hotkey> does not label a relation.
HOW_TO: tuple[tuple[str, str], ...] = (
    (
        "Spans",
        "Press a label's key (or click the label), then drag over the words. Spans snap to whole words. "
        "The label is deselected after each span: press its key again for the next one.",
    ),
    (
        "Relations",
        "Click the head span, then Create Relation (Alt+R), then click the tail span. In the Relations panel "
        "(right), hover the relation, click … (Show Relation Labels) and pick its label. Relation labels have no "
        "working key in Label Studio 1.23: pick them with the mouse.",
    ),
    (
        "Keys",
        "Alt+R create a relation from the selected span; Backspace delete the selected span; Escape unselect "
        "it; Ctrl+Enter submit (or update).",
    ),
    (
        "Submit and update",
        "Click Submit (Ctrl+Enter) when the task is done. To change it later, open it again, fix it and click Update.",
    ),
    (
        "Problems",
        "While `toolkit watch` runs, problems found by `toolkit validate` appear in red above the text within "
        "seconds of Submit or Update, naming spans as text (LABEL). Fix them and Update: the message goes away.",
    ),
)


def _types(rel: dict[str, object], sep: str = "/") -> str:
    arrow = " ↔ " if rel["symmetric"] else " → "
    return sep.join(rel["head"]) + arrow + sep.join(rel["tail"])  # type: ignore[arg-type]


def guidelines_markdown(schema: LabelSchema) -> str:
    out = [f"# Annotation guidelines: {md_cell(schema.title)} (label schema {schema.version})", ""]
    out += ["## How to label on this page", ""]
    out += [f"{n}. **{title}**: {md_cell(text)}" for n, (title, text) in enumerate(HOW_TO, 1)]
    out += ["", "## What to label", ""]
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
        "<h3>How to label on this page</h3><ol>",
        *(f"<li><b>{esc(title)}</b>: {esc(text)}</li>" for title, text in HOW_TO),
        "</ol><h3>What to label</h3>",
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
