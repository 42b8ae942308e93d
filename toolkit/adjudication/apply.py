"""Adjudicating files: decide every document and store its gold as the `adjudicated` key of its file.

No annotation is changed; everything else in the file stays byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..io.reader import parse_json, read_bytes
from ..io.writer import atomic_write_bytes, dump_pretty
from ..labelschema import LabelSchema
from ..records import Document
from ..validation import load_documents
from .config import AdjudicationConfig
from .decide import Decision, decide


@dataclass
class AdjudicationResult:
    decisions: list[Decision] = field(default_factory=list)
    single: int = 0  # documents with one annotator: export uses that annotation as it is
    cleared: list[str] = field(default_factory=list)  # stale gold removed (fewer than two annotators left)
    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def held_back(self) -> list[Decision]:
        return [d for d in self.decisions if d.conflicts]

    def as_dict(self) -> dict[str, Any]:
        return {
            "documents": [{"doc_id": d.doc_id, "annotators": d.annotators, **d.record()} for d in self.decisions],
            "held_back": [d.doc_id for d in self.held_back],
            "single_annotator": self.single,
            "cleared": self.cleared,
            "written": self.written,
            "skipped": self.skipped,
        }


def adjudicate(
    paths: Iterable[Path], labels: LabelSchema, config: AdjudicationConfig, write: bool = True
) -> AdjudicationResult:
    """Decide every document and (with `write`) store each gold in its annotations/ file."""
    docs, report = load_documents(paths, labels)
    result = AdjudicationResult(skipped=sorted({f"{p.task}: has validation errors" for p in report.errors}))
    changes: list[tuple[Document, Decision | None]] = []
    for doc in sorted(docs, key=lambda d: d.doc_id):
        decision = decide(doc, labels, config)
        if decision is None:
            result.single += 1
            if doc.adjudicated is not None:
                result.cleared.append(doc.doc_id)
        else:
            result.decisions.append(decision)
        if decision is not None or doc.adjudicated is not None:
            changes.append((doc, decision))
    if write:
        for doc, _ in changes:  # check every target before the first write
            _target(doc)
        result.written = [doc.where for doc, decision in changes if _store(doc, decision)]
    return result


def _target(doc: Document) -> tuple[Path, dict[str, Any], bytes]:
    path = Path(doc.where)
    if path.suffix != ".json" or not path.is_file():
        raise InputError(
            f"{doc.where}: adjudicate writes into the annotations/ files; pull this export first "
            "(`toolkit pull`) or use --dry-run"
        )
    before = read_bytes(path, "an annotations/ file")
    obj = parse_json(before, str(path))
    if not isinstance(obj, dict) or obj.get("doc_id") != doc.doc_id:
        raise InputError(f"{path}: not a single annotations/ document file; use --dry-run for other inputs")
    return path, obj, before


def _store(doc: Document, decision: Decision | None) -> bool:
    """Set (or drop) the `adjudicated` key of the document's file; everything else stays byte for byte."""
    path, obj, before = _target(doc)
    if decision is None:
        obj.pop("adjudicated", None)
    else:
        obj["adjudicated"] = decision.record()
    after = dump_pretty(obj)
    if after == before:
        return False
    atomic_write_bytes(path, after)
    return True
