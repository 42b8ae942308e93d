"""Versioned releases: validate, check the semantic version, build, and record the manifest.

Manifests of every release are kept in `releases/<version>.json` (committed with the project), so
the next release can be checked against the previous one and any release can be rebuilt and
compared byte for byte.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..agreement.measure import measure_documents
from ..agreement.report import markdown
from ..errors import ToolkitError
from ..io.reader import read_bytes
from ..io.writer import atomic_write_bytes, dump_pretty
from ..labelschema import LabelSchema
from ..records import Document
from ..records.gold import choose_gold
from ..validation import load_valid_documents
from .build import build_dataset, write_manifest
from .configs import DEFAULT_RATIOS, split_of
from .manifest import (
    BumpCheck,
    annotations_commit,
    changelog,
    check_version,
    document_fingerprint,
    load_history,
    parse_version,
    required_bump,
    schema_summary,
)
from .result import ExportResult


@dataclass
class ReleaseResult:
    version: str
    out_dir: Path
    export: ExportResult
    previous: str | None = None
    bump: BumpCheck | None = None
    recorded: Path | None = None
    differences: list[str] = field(default_factory=list)  # rebuild only: files that differ


def manifest_core(
    docs: list[Document], labels: LabelSchema, version: str, ratios: tuple[float, float, float]
) -> dict[str, Any]:
    """Everything the version check needs, computed before anything is written."""
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
            "ratios": dict(zip(("train", "validation", "test"), ratios, strict=True)),
        },
        "documents": documents,
        "entity_counts": dict(sorted(ents.items())),
        "relation_counts": dict(sorted(rels.items())),
    }


def release(
    paths: list[Path],
    labels: LabelSchema,
    version: str,
    out_dir: Path,
    releases_dir: Path,
    ratios: tuple[float, float, float] = DEFAULT_RATIOS,
    rebuild: bool = False,
    reviewers: frozenset[str] = frozenset(),
) -> ReleaseResult:
    """Validate, check the version, build `out_dir`, record `releases_dir/<version>.json`.

    `reviewers` (pseudonyms) are left out of the card's agreement figures, as in `toolkit agreement`.
    """
    parse_version(version)
    history = load_history(releases_dir)
    recorded = next((m for m in history if m["version"] == version), None)
    if recorded is not None and not rebuild:
        raise ToolkitError(
            f"v{version} is already released ({releases_dir / f'{version}.json'}); pick a new "
            f"version, or rebuild it with --rebuild to check it is reproduced byte for byte"
        )
    if recorded is None and rebuild:
        raise ToolkitError(f"v{version} was never released (no {releases_dir / f'{version}.json'}); nothing to rebuild")
    if recorded is not None:
        r = recorded["split_rule"]["ratios"]
        ratios = (r["train"], r["validation"], r["test"])
        labels = recorded_labels(releases_dir, version, labels)
    docs = load_valid_documents(paths, labels, "release")
    agreement = markdown(measure_documents(docs, labels, reviewers))
    core = manifest_core(docs, labels, version, ratios)
    prior = [m for m in history if parse_version(m["version"]) < parse_version(version)]
    previous = prior[-1] if prior else None
    result_bump = required_bump(previous, core) if previous else None
    if not rebuild:
        check_version(previous, core)
    built = build_dataset(
        docs, labels, out_dir, version=version, changelog=changelog([*prior, core]), agreement=agreement, ratios=ratios
    )
    manifest = {
        **core,
        "annotations": annotations_commit(paths),
        "splits": built.split_counts,
        "misaligned_spans": len(built.misaligned),
        "files": built.files,
    }
    write_manifest(out_dir, manifest)
    result = ReleaseResult(version, out_dir, built, previous["version"] if previous else None, result_bump)
    if rebuild and recorded is not None:
        result.differences = sorted(
            f for f in set(recorded["files"]) | set(built.files) if recorded["files"].get(f) != built.files.get(f)
        )
    else:
        result.recorded = releases_dir / f"{version}.json"
        atomic_write_bytes(labels_copy(releases_dir, version), read_bytes(labels.path))
        atomic_write_bytes(result.recorded, dump_pretty(manifest))
    return result


def labels_copy(releases_dir: Path, version: str) -> Path:
    """Where a release keeps the exact label schema file it was built with."""
    return releases_dir / f"{version}.labels.json"


def recorded_labels(releases_dir: Path, version: str, current: LabelSchema) -> LabelSchema:
    """The label schema a recorded release was built with, so a rebuild has the same input.

    Colours, definitions and project metadata may have changed since; the fingerprint recorded in
    the manifest is checked against the copy.
    """
    path = labels_copy(releases_dir, version)
    if not path.exists():
        return current
    return LabelSchema.load(path, current.resources)
