"""FROZEN: dataset layout 1, kept only so releases recorded without a layout rebuild byte for byte.

Do not change what this module writes; `toolkit release --version 1.0.0 --rebuild` and
tests/test_release.py check it. Layout 1 holds every document in memory, writes one parquet file
per split (zstd 9), has one `relations` row per ordered mention pair in a sentence, and lists
every document in the card. Its prose comes from the label schema copy the release recorded.
New exports and releases use layout 2 (`build`).
"""

from __future__ import annotations

import bisect
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from .. import __version__
from ..agreement.measure import measure_documents
from ..agreement.report import markdown
from ..io.writer import atomic_write_bytes, dump_pretty
from ..labelschema import LabelSchema
from ..records import Annotation, Document
from ..records.gold import choose_gold
from ..tokens import sentences
from ..validation import load_valid_documents
from .build import file_hashes
from .card import size_category, yaml_features
from .configs import CONFIGS, DEFAULT_CONFIG, SPLITS, features, split_of
from .manifest import annotations_commit, changelog, document_fingerprint, schema_summary
from .result import FEW, ExportResult
from .rows import Vocab, document_row, ner_rows, sentence_tokens, sorted_entities

PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 9,
    "use_dictionary": True,
    "write_statistics": True,
}
TOOLKIT = "news-relations toolkit"  # the program's name, as layout-1 cards give it


def release(
    paths: list[Path],
    labels: LabelSchema,
    folder: Path,
    version: str,
    prior: list[dict[str, Any]],
    reviewers: frozenset[str],
    ratios: tuple[float, float, float],
) -> tuple[ExportResult, dict[str, Any]]:
    """A layout-1 release built into `folder`, its manifest inside it; returns the result and the manifest."""
    docs = load_valid_documents(paths, labels, "release")
    agreement = markdown(measure_documents(docs, labels, reviewers))
    core = _manifest_core(docs, labels, version, ratios)
    result = build(
        docs, labels, folder, version=version, changelog=changelog([*prior, core]), agreement=agreement, ratios=ratios
    )
    result.files = file_hashes(folder)
    manifest = {
        **core,
        "annotations": annotations_commit(paths),
        "splits": result.split_counts,
        "misaligned_spans": len(result.misaligned),
        "files": result.files,
    }
    atomic_write_bytes(folder / "manifest.json", dump_pretty(manifest))
    return result, manifest


def _manifest_core(
    docs: list[Document], labels: LabelSchema, version: str, ratios: tuple[float, float, float]
) -> dict[str, Any]:
    documents: dict[str, Any] = {}
    ents: Counter[str] = Counter()
    rels: Counter[str] = Counter()
    for doc in sorted(docs, key=lambda d: d.doc_id):
        gold = choose_gold(doc).annotation
        if gold is None:
            continue
        documents[doc.doc_id] = {"fingerprint": document_fingerprint(doc, gold), "split": split_of(doc.doc_id, ratios)}
        ents.update(e.label for e in gold.entities if e.label)
        rels.update(r.label for r in gold.relations if r.label)
    return {
        "name": labels.name,
        "version": version,
        "toolkit_version": __version__,
        "label_schema": schema_summary(labels),
        "split_rule": {
            "hash": "int(sha256(doc_id)[:8], 16) / 2**32",
            "ratios": dict(zip(SPLITS, ratios, strict=True)),
        },
        "documents": documents,
        "entity_counts": dict(sorted(ents.items())),
        "relation_counts": dict(sorted(rels.items())),
    }


def build(
    docs: list[Document],
    labels: LabelSchema,
    folder: Path,
    *,
    version: str,
    changelog: str,
    agreement: str,
    ratios: tuple[float, float, float],
) -> ExportResult:
    """Parquet, README and CHANGELOG of a layout-1 release, written into `folder`."""
    result = ExportResult(folder.parent, layout=1, ratios=ratios)
    rows: dict[str, dict[str, list[dict[str, Any]]]] = {s: {c: [] for c in CONFIGS} for s in SPLITS}
    doc_splits: list[tuple[dict[str, Any], str]] = []
    vocab = Vocab.of(labels)
    for doc in sorted(docs, key=lambda d: d.doc_id):
        chosen = choose_gold(doc)
        gold = chosen.annotation
        if gold is None:
            result.skipped.append(f"{doc.doc_id}: {chosen.reason}")
            continue
        result.multi_annotator += chosen.candidates > 1
        split = split_of(doc.doc_id, ratios)
        ents = sorted_entities(gold)
        row = document_row(doc, ents, gold, vocab)
        rows[split]["documents"].append(row)
        doc_splits.append((row, split))
        sents = sentences(doc.text)
        ner: dict[str, list[Any]] = {c: [] for c in features("ner", labels)}
        bad = ner_rows(doc.doc_id, ents, sents, sentence_tokens(doc.text, sents), vocab, ner)
        rows[split]["ner"] += [dict(zip(ner, values, strict=True)) for values in zip(*ner.values(), strict=True)]
        result.misaligned += [(doc.doc_id, *sp) for sp in bad]
        rows[split]["relations"] += _relation_rows(doc, ents, gold, sents, labels)
        for counts in (result.entity_counts, result.per_split[split].entities):
            counts.update(e.label for e in gold.entities if e.label)
        for counts in (result.relation_counts, result.per_split[split].relations):
            counts.update(r.label for r in gold.relations if r.label)
        result.per_split[split].documents += 1
    result.skipped_count = len(result.skipped)
    result.doc_splits = [(row["id"], split) for row, split in doc_splits] if len(doc_splits) <= FEW else []
    result.documents = len(doc_splits)
    result.entities, result.relations = sum(result.entity_counts.values()), sum(result.relation_counts.values())
    result.misaligned.sort()
    result.misaligned_count = len(result.misaligned)
    result.split_counts = {c: {s: len(rows[s][c]) for s in SPLITS} for c in CONFIGS}
    _write_parquet(folder, rows, labels, result)
    card = _card(labels, doc_splits, result, version, changelog, agreement)
    atomic_write_bytes(folder / "README.md", f"---\n{_front_matter(labels, result)}---\n\n{card}".encode())
    atomic_write_bytes(folder / "CHANGELOG.md", changelog.encode())
    return result


def _write_parquet(
    folder: Path, rows: dict[str, dict[str, list[dict[str, Any]]]], labels: LabelSchema, result: ExportResult
) -> None:
    for config in CONFIGS:
        for split in SPLITS:
            if rows[split][config]:  # an empty parquet file cannot be loaded: such a split is left out
                path = folder / config / f"{split}-00000-of-00001.parquet"
                path.parent.mkdir(parents=True, exist_ok=True)
                table = pa.Table.from_pylist(rows[split][config], schema=features(config, labels, 1).arrow_schema)
                result.split_bytes.setdefault(config, {})[split] = table.nbytes
                pq.write_table(table, path, **PARQUET_OPTIONS)


def _relation_rows(
    doc: Document, ents: list[Any], ann: Annotation, sents: list[tuple[int, int]], labels: LabelSchema
) -> list[dict[str, Any]]:
    """Every ordered pair of mentions within a sentence, plus every annotated pair across sentences."""
    rel_ids = {n: i + 1 for i, n in enumerate(labels.relation_names)}
    ent_ids = {n: i for i, n in enumerate(labels.entity_names)}
    starts = [s for s, _ in sents]
    sent_of = [max(bisect.bisect_right(starts, x.start) - 1, 0) for x in ents]
    gold: dict[tuple[int, int], int] = {}
    index = {e.id: i for i, e in enumerate(ents)}
    for r in ann.relations:
        h, t = index[r.head], index[r.tail]
        gold[(h, t)] = rel_ids[r.label or ""]
        if labels.is_symmetric(r.label or ""):
            gold[(t, h)] = rel_ids[r.label or ""]
    pairs = {(h, t) for h in range(len(ents)) for t in range(len(ents)) if h != t and sent_of[h] == sent_of[t]}
    out = []
    for h, t in sorted(pairs | set(gold)):
        first, last = sorted((sent_of[h], sent_of[t]))
        cs, ce = sents[first][0], sents[last][1]

        def span(x: Any, cs: int = cs) -> dict[str, Any]:
            return {"start": x.start - cs, "end": x.end - cs, "label": ent_ids[x.label], "text": x.text}

        out.append(
            {
                "id": f"{doc.doc_id}-{ents[h].id}-{ents[t].id}",
                "doc_id": doc.doc_id,
                "text": doc.text[cs:ce],
                "text_start": cs,
                "head": span(ents[h]),
                "tail": span(ents[t]),
                "label": gold.get((h, t), 0),
            }
        )
    return out


def _front_matter(labels: LabelSchema, result: ExportResult) -> str:
    configs, infos = [], []
    for config in CONFIGS:
        splits = [s for s in SPLITS if result.split_counts[config][s]]
        default = {"default": True} if config == DEFAULT_CONFIG else {}
        files = [{"split": s, "path": f"{config}/{s}-*.parquet"} for s in splits]
        configs.append({"config_name": config, **default, "data_files": files})
        sizes = [
            {"name": s, "num_bytes": result.split_bytes[config][s], "num_examples": result.split_counts[config][s]}
            for s in splits
        ]
        infos.append({"config_name": config, "features": yaml_features(config, labels, 1), "splits": sizes})
    front = {
        "pretty_name": labels.title,
        "license": labels.license["id"],
        "license_name": labels.license.get("name"),
        "language": labels.languages,
        "task_categories": ["token-classification", "text-classification"],
        "task_ids": ["named-entity-recognition"],
        "tags": ["relation-extraction", *labels.tags, "label-studio"],
        "size_categories": [size_category(result.documents)],
        "configs": configs,
        "dataset_info": infos,
    }
    return yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=1000)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _card(
    labels: LabelSchema,
    doc_splits: list[tuple[dict[str, Any], str]],
    result: ExportResult,
    version: str,
    changelog: str,
    agreement: str,
) -> str:
    out = [f"# {labels.title} (v{version})", ""]
    out.append(
        f"{labels.description}, following label schema `{labels.name}` version {labels.version} (fingerprint "
        f"`{labels.fingerprint[:12]}`). Annotated by people in Label Studio, validated (JSON Schema plus semantic "
        f"checks: offsets, span texts, relation endpoint types) and exported by the {TOOLKIT}."
    )
    out += _LOADING.replace('revision="v"', f'revision="v{version}"').split("\n")
    out += _contents(result)
    out += _labels(labels, result)
    out += [
        "## Annotation process",
        "",
        "Articles are imported into Label Studio with a labeling config generated from the label schema; "
        f"annotators read the guidelines (the definitions and examples above), select {labels.granularity}-level "
        "spans with one hotkey per entity label and draw relations from head to tail. Annotations are pulled into "
        "one JSON file per document (annotators appear only as pseudonyms), validated, adjudicated where several "
        "people annotated a document, and released. Where a document has several annotations and no adjudicated "
        "gold, the one marked ground truth is used, else the most recently updated one "
        f"({result.multi_annotator} document(s) had more than one). "
        "Cancelled annotations are never exported.",
        "",
    ]
    if agreement:
        out += ["## Agreement", "", agreement.strip(), ""]
    out += ["## Sources", "", "| document | publisher | date | split |", "|---|---|---|---|"]
    for row, split in sorted(doc_splits, key=lambda rs: SPLITS.index(rs[1])):
        out.append(f"| `{row['id']}` | {_cell(row['source'] or 'unknown')} | {row['date'] or 'unknown'} | {split} |")
    out += ["", "## Licence", "", labels.license.get("text", ""), ""]
    if changelog:
        out += [changelog.replace("# Changelog", "## Changelog", 1).replace("\n## v", "\n### v"), ""]
    return "\n".join(out)


_LOADING = """
## Loading

```python
from datasets import load_dataset
docs = load_dataset("ORG/NAME", "documents", revision="v")   # one row per article (default config)
ner = load_dataset("ORG/NAME", "ner", revision="v")          # one row per sentence, BIO tags
rels = load_dataset("ORG/NAME", "relations", revision="v")   # one row per mention pair
names = ner["train"].features["ner_tags"].feature.names
```

Every release is a git tag `vX.Y.Z` on the Hub; pass `revision=` to get exactly that release.

- `documents`: `text` is the article body exactly as published (offsets are code points into it); \
`entities` holds `{id, start, end, label, text}` with `text == row['text'][start:end]`; `relations` \
holds `{head, tail, label}` where `head` and `tail` index into `entities`.
- `ner`: `tokens`, `ner_tags` (`Sequence(ClassLabel)` with `O`, `B-…`, `I-…`), `doc_id` and \
`token_offsets` (character offset of each token in the article), in the form the transformers \
token-classification example reads.
- `relations`: every ordered pair of mentions in the same sentence plus every annotated pair across \
sentences; `text` is the sentence (or the sentences spanned), `text_start` its offset in the article, \
`head`/`tail` offsets are into `text`; `label` is a relation or `no_relation`. Symmetric relations \
appear in both directions.
"""


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
