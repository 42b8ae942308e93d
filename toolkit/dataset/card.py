"""The dataset card (layout 2): YAML metadata and prose, all from the label schema and the build.

Nothing about a domain, a language or a licence is written here: they come from the label
schema's `project` block. Other people's text (definitions, examples, sources, the description)
is escaped (`md_cell`: no raw HTML, `|` and line breaks safe in tables). The card stays small at
any size: sources are counted per source and listed per document in `sources.jsonl`.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from ..agreement.report import markdown as agreement_markdown
from ..labelschema import LabelSchema
from ..labelschema.guidelines import md_cell
from .configs import CONFIGS, DEFAULT_CONFIG, SPLITS, features
from .result import ExportResult
from .rows import NEG_MAX_GAP, NEG_MIN, NEG_PER_ANNOTATED

SOURCES_FILE = "sources.jsonl"
TOP_SOURCES = 20


def front_matter(labels: LabelSchema, result: ExportResult) -> str:
    """The card's YAML: Hub metadata, and `configs`/`dataset_info` for every config that has rows."""
    configs, infos = [], []
    for config in CONFIGS:
        splits = [s for s in SPLITS if result.split_counts[config][s]]
        if not splits:
            continue
        default = {"default": True} if config == DEFAULT_CONFIG else {}
        files = [{"split": s, "path": f"{config}/{s}-*.parquet"} for s in splits]
        configs.append({"config_name": config, **default, "data_files": files})
        sizes = [
            {"name": s, "num_bytes": result.split_bytes[config][s], "num_examples": result.split_counts[config][s]}
            for s in splits
        ]
        infos.append({"config_name": config, "features": yaml_features(config, labels), "splits": sizes})
    lic = labels.license
    has_pairs = bool(sum(result.split_counts["relations"].values()))
    front: dict[str, Any] = {
        "pretty_name": labels.pretty_name,
        "license": lic["id"],
        **({"license_name": lic["name"]} if lic.get("name") else {}),
        **({"license_link": lic["link"]} if lic.get("link") else {}),
        **({"language": labels.languages} if labels.languages else {}),
        "task_categories": ["token-classification", *(["text-classification"] if has_pairs else [])],
        "task_ids": ["named-entity-recognition"],
        "tags": [*(["relation-extraction"] if has_pairs else []), *labels.tags, "label-studio"],
        "size_categories": [size_category(result.documents)],
        "configs": configs,
        "dataset_info": infos,
    }
    return yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=1000)


def yaml_features(config: str, labels: LabelSchema, layout: int = 2) -> list[dict[str, Any]]:
    """YAML features; sequences of scalars and ClassLabels are written as `sequence:` for datasets 3.x."""
    items = features(config, labels, layout)._to_yaml_list()
    if config == "ner":
        for item in items:
            if "list" in item:
                item["sequence"] = item.pop("list")
    return items


def size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < limit:
            return name
    return "1M<n<10M"


def render_card(
    labels: LabelSchema,
    result: ExportResult,
    *,
    version: str | None = None,
    changelog: str = "",
    charts: dict[str, str] | None = None,
) -> str:
    """The card's Markdown body; `charts` maps "labels"/"agreement" to the images' relative paths."""
    charts = charts or {}
    name = md_cell(labels.pretty_name)
    out = [f"# {name} (v{version})" if version else f"# {name} (unreleased build)", ""]
    out.append(
        f"{md_cell(labels.description).rstrip('.')}. Label schema `{labels.name}` version {md_cell(labels.version)} "
        f"(fingerprint `{labels.fingerprint[:12]}`). Annotated by people in Label Studio, validated (JSON Schema "
        "and semantic checks: offsets, span texts, relation endpoint types) and exported with the toolkit's "
        f"dataset layout {result.layout}."
    )
    if labels.source:
        out += ["", f"Source of the texts: {md_cell(labels.source)}"]
    out += _loading(labels, version, result)
    out += _contents(result)
    out += _labels(labels, result, charts.get("labels"))
    out += _process(labels, result)
    out += _agreement(result, charts.get("agreement"))
    out += _sources(result)
    out += _licence(labels)
    if labels.citation:
        out += ["## Citation", "", "```", labels.citation.replace("```", "'''"), "```", ""]
    if changelog:
        out += [changelog.replace("# Changelog", "## Changelog", 1).replace("\n## v", "\n### v"), ""]
    return "\n".join(out)


def _loading(labels: LabelSchema, version: str | None, result: ExportResult) -> list[str]:
    rev = f', revision="v{version}"' if version else ""
    unit = "word" if labels.granularity == "word" else "character"
    return [
        "",
        "## Loading",
        "",
        "```python",
        "from datasets import load_dataset",
        f'docs = load_dataset("ORG/NAME"{rev})               # the default config, `documents`: every split',
        f'ner = load_dataset("ORG/NAME", "ner"{rev})',
        f'rels = load_dataset("ORG/NAME", "relations"{rev})',
        'tags = ner["train"].features["ner_tags"].feature.names',
        "```",
        "",
        "Every release is a git tag `vX.Y.Z` on the Hub; pass `revision=` to get exactly that release. A row of "
        "each config is:",
        "",
        "- `documents`: one text. `text` exactly as annotated (offsets count code points in it); `entities` "
        "`{id, start, end, label, text}` with `text == row['text'][start:end]`; `relations` `{head, tail, label}`, "
        "where `head` and `tail` index into `entities`; `source` and `date` as given.",
        "- `ner`: one sentence (sentences and tokens from the toolkit's tokenizer). `tokens`, `ner_tags` "
        "(`Sequence(ClassLabel)`: `O`, `B-…`, `I-…`), `token_offsets` (where each token starts in the document's "
        "text) and `doc_id`, in the form the transformers token-classification example reads.",
        "- `relations`: one passage, that is a sentence, or the run of sentences an annotated relation spans "
        "(overlapping runs merged), when it has at least one pair. `text` is the passage, `text_start` its offset "
        "in the document; `entities` `{start, end, label, text}` are every mention in it (offsets into `text`); "
        "`pairs` `{head, tail, label}` index into `entities`. `label` is `no_relation` (index 0) or a relation. "
        "See *Relation pairs* for which pairs are listed. One example per pair:",
        "",
        "```python",
        "def one_per_pair(batch):",
        '    out = {"text": [], "head": [], "tail": [], "label": []}',
        '    for text, ents, pairs in zip(batch["text"], batch["entities"], batch["pairs"]):',
        "        for p in pairs:",
        '            out["text"].append(text)',
        '            out["head"].append(ents[p["head"]])',
        '            out["tail"].append(ents[p["tail"]])',
        '            out["label"].append(p["label"])',
        "    return out",
        "",
        'pairs = rels["train"].map(one_per_pair, batched=True, remove_columns=rels["train"].column_names)',
        "```",
        "",
        f"Spans were drawn at {unit} granularity in Label Studio.",
        "",
    ]


def _contents(result: ExportResult) -> list[str]:
    ratios = "/".join(f"{r:.0%}" for r in result.ratios)
    out = [
        "## Contents and splits",
        "",
        f"{result.documents} documents, {result.entities} entity mentions, {result.relations} relations.",
        "",
        "| split | documents | entity mentions | relations | `ner` rows | `relations` rows |",
        "|---|---|---|---|---|---|",
    ]
    for s in SPLITS:
        p = result.per_split[s]
        out.append(
            f"| {s} | {p.documents} | {sum(p.entities.values())} | {sum(p.relations.values())} | "
            f"{result.split_counts['ner'][s]} | {result.split_counts['relations'][s]} |"
        )
    out += [
        "",
        f"Splits ({ratios} train/validation/test) come from the document id: the first 8 hex digits of "
        "`sha256(doc_id)` divided by 2^32 give a number in [0, 1) that falls into train, validation or test by "
        "the cumulative ratios, so a document keeps its split in every later release. Documents whose texts are "
        "equal after whitespace normalisation (twins) all take the split of the smallest `doc_id` among them, "
        f"so the same text is never in two splits: {result.twin_groups} such group(s), {result.twin_documents} "
        "document(s). All rows of a document are in its split. Splits without rows are not declared. Each "
        f"document's split is listed in [`{SOURCES_FILE}`]({SOURCES_FILE}).",
        "",
    ]
    if result.misaligned_count:
        out.append(
            f"{result.misaligned_count} span(s) do not fall on token boundaries (or overlap another) and are left "
            "out of the `ner` config (kept in `documents` and `relations`), for example:"
        )
        out += ["", *(f"- `{md_cell(d)}` [{s}, {e}) {md_cell(label)}" for d, s, e, label in result.misaligned), ""]
    else:
        out += ["Every span falls on token boundaries, so the `ner` config holds every mention.", ""]
    return out


def _labels(labels: LabelSchema, result: ExportResult, chart: str | None) -> list[str]:
    head = " | ".join(SPLITS)
    out = [
        "## Labels",
        "",
        *([f"![Mentions and relations per label and split]({chart})", ""] if chart else []),
        f"| entity label | definition | example | {head} |",
        "|---|---|---|" + "---|" * len(SPLITS),
    ]
    for e in labels.entities:
        counts = " | ".join(str(result.per_split[s].entities[e["name"]]) for s in SPLITS)
        out.append(f"| `{md_cell(e['name'])}` | {md_cell(e['description'])} | {md_cell(e['example'])} | {counts} |")
    out += ["", f"| relation | head → tail | symmetric | definition | example | {head} |", "|---|---|---|---|---|"]
    out[-1] += "---|" * len(SPLITS)
    for r in labels.relations:
        counts = " | ".join(str(result.per_split[s].relations[r["name"]]) for s in SPLITS)
        types = f"{md_cell('/'.join(r['head']))} → {md_cell('/'.join(r['tail']))}"
        out.append(
            f"| `{md_cell(r['name'])}` | {types} | {'yes' if r['symmetric'] else 'no'} | "
            f"{md_cell(r['description'])} | {md_cell(r['example'])} | {counts} |"
        )
    out += [
        "",
        "### Relation pairs",
        "",
        "The `pairs` of a `relations` row are every annotated relation of the passage (a symmetric relation in "
        "both directions), and negatives (`no_relation`): ordered pairs of two different mentions inside one "
        "sentence with no annotated relation from the first to the second, whose entity types some relation of "
        f"the label schema allows as head and tail, and with at most {NEG_MAX_GAP} tokens between them. A "
        f"document keeps at most max({NEG_MIN}, {NEG_PER_ANNOTATED} × its annotated pairs) negatives; when it has "
        "more candidates it keeps those with the smallest sha256 of the JSON array `[doc_id, head id, tail id]` "
        "(the mention ids of the `documents` config), so the choice is fixed and the same in every release. Every "
        "other pair in a sentence is unannotated too, so more negatives can be made from `entities` at load time.",
        "",
    ]
    return out


def _process(labels: LabelSchema, result: ExportResult) -> list[str]:
    m = result.methods
    return [
        "## Annotation process",
        "",
        "Texts are imported into Label Studio with a labeling config generated from the label schema; annotators "
        "read the guidelines (the definitions and examples above), mark spans with one label each and draw "
        "relations from head to tail. Annotations are pulled into one JSON file per document (annotators appear "
        "only as pseudonyms), validated and, where several people annotated a document, adjudicated. One "
        "annotation per document is exported: the adjudicated one, else one marked ground truth, else the only "
        "one, else the most recent.",
        "",
        "| how the exported annotation was chosen | documents |",
        "|---|---|",
        f"| adjudicated | {m.get('adjudicated', 0)} |",
        f"| marked ground truth | {m.get('ground_truth', 0)} |",
        f"| the only annotation | {m.get('only', 0)} |",
        f"| the most recent of several (nobody decided) | {m.get('latest', 0)} |",
        "",
        f"Documents left out (no usable annotation, or adjudication pending): {result.skipped_count}. Cancelled "
        "annotations are never exported.",
        "",
    ]


def _agreement(result: ExportResult, chart: str | None) -> list[str]:
    agreement = result.agreement
    if agreement is None:
        return []
    out = ["## Agreement", "", agreement_markdown(agreement).strip(), ""]
    if agreement.documents:
        out += [*([f"![Agreement per label]({chart})", ""] if chart else [])]
        out += ["| label | kind | exact F1 (pooled) | lenient F1 (pooled) | documents |", "|---|---|---|---|---|"]
        for kind, scores in (("entity", agreement.entities), ("relation", agreement.relations)):
            for s in scores[1:]:
                exact = "-" if s.exact.pooled is None else f"{s.exact.pooled:.3f}"
                lenient = "-" if s.lenient.pooled is None else f"{s.lenient.pooled:.3f}"
                out.append(f"| `{md_cell(s.label)}` | {kind} | {exact} | {lenient} | {s.exact.documents} |")
        out.append("")
    return out


def _sources(result: ExportResult) -> list[str]:
    top = sorted(result.sources.items(), key=lambda kv: (-kv[1], kv[0]))
    out = [
        "## Sources",
        "",
        f"{len(result.sources)} source(s). Every document with its source, date and split: "
        f"[`{SOURCES_FILE}`]({SOURCES_FILE}).",
        "",
        "| source | documents |",
        "|---|---|",
    ]
    out += [f"| {md_cell(name)} | {n} |" for name, n in top[:TOP_SOURCES]]
    if len(top) > TOP_SOURCES:
        rest = top[TOP_SOURCES:]
        out.append(f"| {len(rest)} other source(s) | {sum(n for _, n in rest)} |")
    return [*out, ""]


def _licence(labels: LabelSchema) -> list[str]:
    lic = labels.license
    text = lic.get("text") or (
        f"Released under {lic.get('name') or lic['id']}." if lic["id"] != "unknown" else "No licence was given."
    )
    link = lic.get("link") or ""
    link = (
        f" Licence: <{link}>"
        if re.fullmatch(r"https?://[^\s<>]+", link)
        else (f" Licence: {md_cell(link)}" if link else "")
    )
    return ["## Licence", "", md_cell(text) + link, ""]
