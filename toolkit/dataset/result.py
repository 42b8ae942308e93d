"""What a dataset build produced: counts, splits, files. Shared by the builder, the card and releases."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .configs import DEFAULT_RATIOS


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
    split_counts: dict[str, dict[str, int]] = field(default_factory=dict)  # config -> split -> rows
    split_bytes: dict[str, dict[str, int]] = field(default_factory=dict)  # config -> split -> arrow bytes
    doc_splits: dict[str, str] = field(default_factory=dict)
    fingerprints: dict[str, str] = field(default_factory=dict)
    misaligned: list[tuple[str, int, int, str]] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # relative path -> sha256
    ratios: tuple[float, float, float] = DEFAULT_RATIOS
