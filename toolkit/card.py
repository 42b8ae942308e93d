"""The dataset card's prose: labels with definitions, counts, sources, how to load."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .labels import LabelSchema

if TYPE_CHECKING:
    from .export import ExportResult


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_card(labels: LabelSchema, rows: list[dict[str, Any]], result: ExportResult) -> str:
    out = [f"# {labels.title}", ""]
    out.append(
        f"News articles annotated with entity mentions and the relations between them, following label schema "
        f"`{labels.name}` version {labels.version} (fingerprint `{labels.fingerprint[:12]}`). Annotated by people in "
        "Label Studio, validated (JSON Schema plus semantic checks: offsets, span texts, relation endpoint types) "
        "and exported by the news-relations toolkit."
    )
    out += [
        "",
        "## Contents",
        "",
        f"- documents: {result.documents}",
        f"- entity mentions: {result.entities}",
        f"- relations: {result.relations}",
        "",
    ]
    out += [
        "## Loading",
        "",
        "```python",
        "from datasets import load_dataset",
        'ds = load_dataset("ORG/NAME", "documents", split="train")  # or a local folder',
        'labels = ds.features["entities"].feature["label"].names',
        "```",
        "",
        "Each row is one article: `text` is the article body exactly as published (offsets are code points into it), "
        "`entities` holds `{id, start, end, label, text}` with `text == row['text'][start:end]`, and `relations` "
        "holds `{head, tail, label}` where `head` and `tail` index into `entities`.",
        "",
    ]
    out += ["## Entity labels", "", "| label | definition | example | mentions |", "|---|---|---|---|"]
    for e in labels.entities:
        out.append(
            f"| `{e['name']}` | {_cell(e['description'])} | {_cell(e['example'])} | "
            f"{result.entity_counts.get(e['name'], 0)} |"
        )
    out += [
        "",
        "## Relation labels",
        "",
        "| relation | head → tail | symmetric | definition | example | count |",
        "|---|---|---|---|---|---|",
    ]
    for r in labels.relations:
        out.append(
            f"| `{r['name']}` | {'/'.join(r['head'])} → {'/'.join(r['tail'])} | {'yes' if r['symmetric'] else 'no'} "
            f"| {_cell(r['description'])} | {_cell(r['example'])} | {result.relation_counts.get(r['name'], 0)} |"
        )
    out += [
        "",
        "## Annotation process",
        "",
        "Articles are imported into Label Studio with a labeling config generated from the label schema; "
        "annotators select word-level spans with one hotkey per entity label and draw relations from head to tail. "
        "Annotations are pulled into one JSON file per document (annotators appear only as pseudonyms), validated, "
        "and exported. Where a document has several annotations, the one marked ground truth is used, else the most "
        f"recently updated one ({result.multi_annotator} document(s) had more than one). Cancelled annotations are "
        "never exported.",
        "",
    ]
    out += ["## Sources", "", "| document | publisher | date |", "|---|---|---|"]
    for row in rows:
        out.append(f"| `{row['id']}` | {_cell(row['source'] or 'unknown')} | {row['date'] or 'unknown'} |")
    out += [
        "",
        "## Licence",
        "",
        "The annotations are released under CC BY 4.0. Article texts remain the property of their publishers "
        "(listed above) and are included for research use; check the publisher's terms before redistribution.",
        "",
    ]
    return "\n".join(out)
