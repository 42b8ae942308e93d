"""Validated annotations -> a Hub-layout dataset folder: three configs, hash-based splits, a card.

The folder is built in a temporary sibling and renamed into place, so a reader never sees half a
release. Output is byte-reproducible: sorted rows, fixed parquet options, no clocks.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from ..io.writer import atomic_write_bytes, dump_pretty, replace_dir, temp_dir_beside
from ..labelschema import LabelSchema
from ..records import Document
from ..records.gold import choose_gold
from ..validation import load_valid_documents
from .card import render_card
from .configs import CONFIGS, DEFAULT_RATIOS, SPLITS, Rows, document_rows, features, split_of
from .manifest import document_fingerprint
from .result import ExportResult

DEFAULT_CONFIG = "documents"
PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 9,
    "use_dictionary": True,
    "write_statistics": True,
}


def document_features(labels: LabelSchema) -> Any:
    """The Features of the default config (what `load_dataset(folder)` gives)."""
    return features(DEFAULT_CONFIG, labels)


def export(
    paths: list[Path], out_dir: Path, labels: LabelSchema, ratios: tuple[float, float, float] = DEFAULT_RATIOS
) -> ExportResult:
    """An unversioned build (no changelog, nothing recorded); `release` makes versioned ones."""
    docs = load_valid_documents(paths, labels, "build the dataset")
    return build_dataset(docs, labels, out_dir, ratios=ratios)


def build_dataset(
    docs: list[Document],
    labels: LabelSchema,
    out_dir: Path,
    *,
    version: str | None = None,
    changelog: str = "",
    agreement: str = "",
    ratios: tuple[float, float, float] = DEFAULT_RATIOS,
) -> ExportResult:
    result, per_split = _collect_rows(docs, labels, ratios, out_dir)
    doc_rows = [row for split in SPLITS for row in per_split[split].documents]
    tmp = temp_dir_beside(out_dir)
    try:
        _write_parquet(tmp, per_split, labels, result)
        front = _front_matter(labels, result)
        card = render_card(labels, doc_rows, result, version=version, changelog=changelog, agreement=agreement)
        (tmp / "README.md").write_bytes(f"---\n{front}---\n\n{card}".encode())
        if changelog:
            (tmp / "CHANGELOG.md").write_bytes(changelog.encode())
        result.files = {
            str(p.relative_to(tmp)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(tmp.rglob("*"))
            if p.is_file()
        }
        replace_dir(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return result


def _collect_rows(
    docs: list[Document], labels: LabelSchema, ratios: tuple[float, float, float], out_dir: Path
) -> tuple[ExportResult, dict[str, Rows]]:
    """Rows of every config, per split, from one gold annotation per document (sorted by id)."""
    result = ExportResult(out_dir, ratios=ratios)
    per_split: dict[str, Rows] = {s: Rows() for s in SPLITS}
    for doc in sorted(docs, key=lambda d: d.doc_id):
        chosen = choose_gold(doc)
        gold = chosen.annotation
        if gold is None:
            result.skipped.append(f"{doc.doc_id}: {chosen.reason}")
            continue
        if chosen.candidates > 1:
            result.multi_annotator += 1
        split = split_of(doc.doc_id, ratios)
        result.doc_splits[doc.doc_id] = split
        result.fingerprints[doc.doc_id] = document_fingerprint(doc, gold)
        document_rows(doc, gold, labels, per_split[split])
        result.entity_counts.update(e.label for e in gold.entities if e.label)
        result.relation_counts.update(r.label for r in gold.relations if r.label)
    result.documents = sum(len(per_split[s].documents) for s in SPLITS)
    result.entities = sum(result.entity_counts.values())
    result.relations = sum(result.relation_counts.values())
    result.misaligned = sorted(m for s in SPLITS for m in per_split[s].misaligned)
    result.split_counts = {c: {s: len(getattr(per_split[s], c)) for s in SPLITS} for c in CONFIGS}
    return result, per_split


def _write_parquet(folder: Path, per_split: dict[str, Rows], labels: LabelSchema, result: ExportResult) -> None:
    for config in CONFIGS:
        feats = features(config, labels)
        for split in SPLITS:
            rows = getattr(per_split[split], config)
            if rows:  # an empty parquet file cannot be loaded: such a split is left out
                path = folder / config / f"{split}-00000-of-00001.parquet"
                path.parent.mkdir(parents=True, exist_ok=True)
                table = pa.Table.from_pylist(rows, schema=feats.arrow_schema)
                result.split_bytes.setdefault(config, {})[split] = table.nbytes
                pq.write_table(table, path, **PARQUET_OPTIONS)


def write_manifest(out_dir: Path, manifest: dict[str, Any]) -> None:
    atomic_write_bytes(out_dir / "manifest.json", dump_pretty(manifest))


def _yaml_features(config: str, labels: LabelSchema) -> list[dict[str, Any]]:
    """YAML features; sequences of scalars and ClassLabels are written as `sequence:` for datasets 3.x."""
    items = features(config, labels)._to_yaml_list()
    if config == "ner":
        for item in items:
            if "list" in item:
                item["sequence"] = item.pop("list")
    return items


def _front_matter(labels: LabelSchema, result: ExportResult) -> str:
    configs, infos = [], []
    for config in CONFIGS:
        splits = [s for s in SPLITS if result.split_counts[config][s]]
        configs.append(
            {
                "config_name": config,
                **({"default": True} if config == DEFAULT_CONFIG else {}),
                "data_files": [{"split": s, "path": f"{config}/{s}-*.parquet"} for s in splits],
            }
        )
        infos.append(
            {
                "config_name": config,
                "features": _yaml_features(config, labels),
                "splits": [
                    {
                        "name": s,
                        "num_bytes": result.split_bytes[config][s],
                        "num_examples": result.split_counts[config][s],
                    }
                    for s in splits
                ],
            }
        )
    front = {
        "pretty_name": labels.title,
        "license": "other",
        "license_name": "annotations-cc-by-4.0-texts-publishers",
        "language": ["en"],
        "task_categories": ["token-classification", "text-classification"],
        "task_ids": ["named-entity-recognition"],
        "tags": ["relation-extraction", "news", "label-studio"],
        "size_categories": [_size_category(result.documents)],
        "configs": configs,
        "dataset_info": infos,
    }
    return yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=1000)


def _size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if n < limit:
            return name
    return "100K<n<1M"
