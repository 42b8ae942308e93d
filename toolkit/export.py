"""Validated annotations -> a Hub-layout dataset folder (parquet + README card with declared features)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from datasets import ClassLabel, Features, List, Value

from .card import render_card
from .errors import ToolkitError
from .fileio import atomic_write_bytes, atomic_writer
from .labels import LabelSchema
from .models import Annotation, Document
from .validate import load_documents

CONFIG = "documents"
PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 9,
    "use_dictionary": True,
    "write_statistics": True,
}


def document_features(labels: LabelSchema) -> Features:
    """Declared, never inferred: label names come from the label schema as ClassLabel names."""
    return Features(
        {
            "id": Value("string"),
            "text": Value("string"),
            "source": Value("string"),
            "date": Value("string"),
            "entities": List(
                {
                    "id": Value("string"),
                    "start": Value("int32"),
                    "end": Value("int32"),
                    "label": ClassLabel(names=labels.entity_names),
                    "text": Value("string"),
                }
            ),
            "relations": List(
                {
                    "head": Value("int32"),
                    "tail": Value("int32"),
                    "label": ClassLabel(names=labels.relation_names),
                }
            ),
        }
    )


def select_gold(doc: Document) -> Annotation | None:
    """The annotation a dataset row is built from until `adjudicate` exists for the document.

    Ground truth wins; otherwise the only live annotation; otherwise the most recently updated.
    Cancelled annotations are never exported.
    """
    live = [a for a in doc.annotations if not a.was_cancelled]
    if not live:
        return None
    pool = [a for a in live if a.ground_truth] or live
    return max(pool, key=lambda a: (a.updated_at or "", a.id))


def document_row(doc: Document, ann: Annotation, labels: LabelSchema) -> dict[str, Any]:
    ents = sorted(ann.entities, key=lambda e: (e.start, e.end, e.label or ""))
    index = {e.id: i for i, e in enumerate(ents)}
    ent_ids = {name: i for i, name in enumerate(labels.entity_names)}
    rel_ids = {name: i for i, name in enumerate(labels.relation_names)}
    rels = sorted(
        ({"head": index[r.head], "tail": index[r.tail], "label": rel_ids[r.label or ""]} for r in ann.relations),
        key=lambda r: (r["head"], r["tail"], r["label"]),
    )
    return {
        "id": doc.doc_id,
        "text": doc.text,
        "source": doc.meta.get("source"),
        "date": doc.meta.get("date"),
        "entities": [
            {"id": e.id, "start": e.start, "end": e.end, "label": ent_ids[e.label or ""], "text": e.text} for e in ents
        ],
        "relations": rels,
    }


@dataclass
class ExportResult:
    out_dir: Path
    documents: int = 0
    entities: int = 0
    relations: int = 0
    skipped: list[str] = field(default_factory=list)
    multi_annotator: int = 0
    entity_counts: Counter[str] = field(default_factory=Counter)
    relation_counts: Counter[str] = field(default_factory=Counter)
    files: list[str] = field(default_factory=list)


def export(paths: list[Path], out_dir: Path, labels: LabelSchema) -> ExportResult:
    docs, report = load_documents(paths, labels)
    if report.errors:
        first = "\n".join(f"  {p.file} {p.path}: [{p.code}] {p.message}" for p in report.errors[:10])
        raise ToolkitError(
            f"refusing to export: {len(report.errors)} validation error(s); run `toolkit validate` "
            f"for the full list. First ones:\n{first}"
        )
    result = ExportResult(out_dir)
    rows = []
    for doc in sorted(docs, key=lambda d: d.doc_id):
        gold = select_gold(doc)
        if gold is None:
            result.skipped.append(f"{doc.doc_id}: no annotation that was not cancelled")
            continue
        if len([a for a in doc.annotations if not a.was_cancelled]) > 1:
            result.multi_annotator += 1
        rows.append(document_row(doc, gold, labels))
        result.entity_counts.update(e.label for e in gold.entities if e.label)
        result.relation_counts.update(r.label for r in gold.relations if r.label)
    result.documents = len(rows)
    result.entities = sum(len(r["entities"]) for r in rows)
    result.relations = sum(len(r["relations"]) for r in rows)
    features = document_features(labels)
    table = pa.Table.from_pylist(rows, schema=features.arrow_schema)
    parquet = out_dir / CONFIG / "train-00000-of-00001.parquet"
    with atomic_writer(parquet) as fh:
        pq.write_table(table, fh, **PARQUET_OPTIONS)
    front = {
        "pretty_name": labels.title,
        "license": "other",
        "license_name": "annotations-cc-by-4.0-texts-publishers",
        "language": ["en"],
        "task_categories": ["token-classification"],
        "task_ids": ["named-entity-recognition"],
        "tags": ["relation-extraction", "news", "label-studio"],
        "size_categories": [_size_category(result.documents)],
        "configs": [
            {
                "config_name": CONFIG,
                "default": True,
                "data_files": [{"split": "train", "path": f"{CONFIG}/train-*.parquet"}],
            }
        ],
        "dataset_info": [
            {
                "config_name": CONFIG,
                "features": features._to_yaml_list(),
                "splits": [{"name": "train", "num_bytes": table.nbytes, "num_examples": result.documents}],
            }
        ],
    }
    yaml_text = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=1000)
    card = render_card(labels, rows, result)
    atomic_write_bytes(out_dir / "README.md", f"---\n{yaml_text}---\n\n{card}".encode())
    result.files = [str(parquet.relative_to(out_dir)), "README.md"]
    return result


def _size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if n < limit:
            return name
    return "100K<n<1M"
