"""What a dataset build produced: counts per split and label, notes for the user, files.

Everything here is small whatever the number of documents: per-document facts live in the
parquet files, `sources.jsonl` and the manifest, never in this object (the few document -> split
lines shown by the CLI are kept only while there are at most `FEW`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..agreement.measure import AgreementResult
from .configs import DEFAULT_RATIOS, LAYOUT, SPLITS

FEW = 10  # up to this many documents, the CLI says which split each went to
SHOWN = 10  # examples kept of skipped documents and misaligned spans


@dataclass
class SplitSummary:
    documents: int = 0
    entities: Counter[str] = field(default_factory=Counter)
    relations: Counter[str] = field(default_factory=Counter)


@dataclass
class ExportResult:
    out_dir: Path
    layout: int = LAYOUT
    ratios: tuple[float, float, float] = DEFAULT_RATIOS
    documents: int = 0
    entities: int = 0
    relations: int = 0
    entity_counts: Counter[str] = field(default_factory=Counter)
    relation_counts: Counter[str] = field(default_factory=Counter)
    per_split: dict[str, SplitSummary] = field(default_factory=lambda: {s: SplitSummary() for s in SPLITS})
    split_counts: dict[str, dict[str, int]] = field(default_factory=dict)  # config -> split -> rows
    split_bytes: dict[str, dict[str, int]] = field(default_factory=dict)  # config -> split -> Arrow bytes
    shards: dict[str, dict[str, int]] = field(default_factory=dict)  # config -> split -> parquet files
    skipped: list[str] = field(default_factory=list)  # the first SHOWN documents not exported, with why
    skipped_count: int = 0
    methods: Counter[str] = field(default_factory=Counter)  # gold.method -> documents
    multi_annotator: int = 0  # documents with more than one live annotation
    twin_groups: int = 0  # groups of documents with the same text (up to whitespace), each kept in one split
    twin_documents: int = 0
    sources: Counter[str] = field(default_factory=Counter)  # source -> documents
    misaligned: list[tuple[str, int, int, str]] = field(default_factory=list)  # the first SHOWN
    misaligned_count: int = 0
    doc_splits: list[tuple[str, str]] = field(default_factory=list)  # (doc, split) while there are at most FEW
    agreement: AgreementResult | None = None
    files: dict[str, str] = field(default_factory=dict)  # relative path -> sha256
    card: Path | None = None

    @property
    def latest(self) -> int:
        """Documents whose gold is simply the most recent of several annotations (nobody decided)."""
        return self.methods.get("latest", 0)
