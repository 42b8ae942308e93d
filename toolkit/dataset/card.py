"""The dataset card's prose: labels with definitions, counts per split and label, splits, sources,
annotation process, agreement, changelog, and how to load a given version."""

from __future__ import annotations

from typing import Any

from ..labelschema import LabelSchema
from .configs import CONFIGS, SPLITS
from .result import ExportResult


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_card(
    labels: LabelSchema,
    rows: list[dict[str, Any]],
    result: ExportResult,
    *,
    version: str | None = None,
    changelog: str = "",
    agreement: str = "",
) -> str:
    title = f"{labels.title} (v{version})" if version else f"{labels.title} (unreleased build)"
    out = [f"# {title}", ""]
    out.append(
        "News articles annotated with entity mentions and the relations between them, following label schema "
        f"`{labels.name}` version {labels.version} (fingerprint `{labels.fingerprint[:12]}`). Annotated by people in "
        "Label Studio, validated (JSON Schema plus semantic checks: offsets, span texts, relation endpoint types) "
        "and exported by the news-relations toolkit."
    )
    out += _loading(version)
    out += _contents(result)
    out += _labels(labels, result)
    out += _process(result)
    if agreement:
        out += ["## Agreement", "", agreement.strip(), ""]
    out += ["## Sources", "", "| document | publisher | date | split |", "|---|---|---|---|"]
    for row in rows:
        out.append(
            f"| `{row['id']}` | {_cell(row['source'] or 'unknown')} | {row['date'] or 'unknown'} | "
            f"{result.doc_splits[row['id']]} |"
        )
    out += [
        "",
        "## Licence",
        "",
        "The annotations are released under CC BY 4.0. Article texts remain the property of their publishers "
        "(listed above) and are included for research use; check the publisher's terms before redistribution.",
        "",
    ]
    if changelog:
        out += [changelog.replace("# Changelog", "## Changelog", 1).replace("\n## v", "\n### v"), ""]
    return "\n".join(out)


def _loading(version: str | None) -> list[str]:
    rev = f', revision="v{version}"' if version else ""
    return [
        "",
        "## Loading",
        "",
        "```python",
        "from datasets import load_dataset",
        f'docs = load_dataset("ORG/NAME", "documents"{rev})   # one row per article (default config)',
        f'ner = load_dataset("ORG/NAME", "ner"{rev})          # one row per sentence, BIO tags',
        f'rels = load_dataset("ORG/NAME", "relations"{rev})   # one row per mention pair',
        'names = ner["train"].features["ner_tags"].feature.names',
        "```",
        "",
        "Every release is a git tag `vX.Y.Z` on the Hub; pass `revision=` to get exactly that release.",
        "",
        "- `documents`: `text` is the article body exactly as published (offsets are code points into it); "
        "`entities` holds `{id, start, end, label, text}` with `text == row['text'][start:end]`; `relations` "
        "holds `{head, tail, label}` where `head` and `tail` index into `entities`.",
        "- `ner`: `tokens`, `ner_tags` (`Sequence(ClassLabel)` with `O`, `B-…`, `I-…`), `doc_id` and "
        "`token_offsets` (character offset of each token in the article), in the form the transformers "
        "token-classification example reads.",
        "- `relations`: every ordered pair of mentions in the same sentence plus every annotated pair across "
        "sentences; `text` is the sentence (or the sentences spanned), `text_start` its offset in the article, "
        "`head`/`tail` offsets are into `text`; `label` is a relation or `no_relation`. Symmetric relations "
        "appear in both directions.",
        "",
    ]


def _contents(result: ExportResult) -> list[str]:
    ratios = "/".join(f"{r:.0%}" for r in result.ratios)
    out = [
        "## Contents and splits",
        "",
        f"{result.documents} documents, {result.entities} entity mentions, {result.relations} relations.",
        "",
        "| config | " + " | ".join(SPLITS) + " |",
        "|---|" + "---|" * len(SPLITS),
    ]
    for config in CONFIGS:
        out.append(f"| {config} | " + " | ".join(str(result.split_counts[config][s]) for s in SPLITS) + " |")
    out += [
        "",
        f"Splits ({ratios} train/validation/test) come from the document id alone: the first 8 hex digits of "
        "`sha256(doc_id)` divided by 2^32 give a number in [0, 1) that falls into train, validation or test by "
        "the cumulative ratios. A document therefore keeps its split in every later release, and all rows of a "
        "document (sentences, pairs) are in the same split. Splits without rows are not declared.",
        "",
    ]
    if result.misaligned:
        out += [
            f"{len(result.misaligned)} span(s) do not fall on token boundaries and are left out of the `ner` "
            "config (kept in `documents` and `relations`):",
            "",
        ]
        out += [f"- `{d}` [{s}, {e}) {label}" for d, s, e, label in result.misaligned]
        out.append("")
    else:
        out += ["Every span falls on token boundaries, so the `ner` config holds every mention.", ""]
    return out


def _labels(labels: LabelSchema, result: ExportResult) -> list[str]:
    out = ["## Entity labels", "", "| label | definition | example | mentions |", "|---|---|---|---|"]
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
            f"| `{r['name']}` | {'/'.join(r['head'])} → {'/'.join(r['tail'])} | "
            f"{'yes' if r['symmetric'] else 'no'} | {_cell(r['description'])} | {_cell(r['example'])} | "
            f"{result.relation_counts.get(r['name'], 0)} |"
        )
    return [*out, ""]


def _process(result: ExportResult) -> list[str]:
    return [
        "## Annotation process",
        "",
        "Articles are imported into Label Studio with a labeling config generated from the label schema; "
        "annotators read the guidelines (the definitions and examples above), select word-level spans with one "
        "hotkey per entity label and draw relations from head to tail. Annotations are pulled into one JSON file "
        "per document (annotators appear only as pseudonyms), validated, adjudicated where several people "
        "annotated a document, and released. Where a document has several annotations and no adjudicated gold, "
        "the one marked ground truth is used, else the most recently updated one "
        f"({result.multi_annotator} document(s) had more than one). Cancelled annotations are never exported.",
        "",
    ]
