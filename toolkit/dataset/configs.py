"""The dataset's configs and splits: declared Features of `documents`, `ner` and `relations`.

Features are declared from the label schema, never inferred. A release records its layout: layout
1 (the releases recorded without one) had one `relations` row per ordered mention pair; layout 2
has one row per passage with its pairs listed (see `rows`). `documents` and `ner` are the same in
both.
"""

from __future__ import annotations

import hashlib
from typing import Any

from datasets import ClassLabel, Features, List, Sequence, Value

from ..labelschema import NO_RELATION, LabelSchema

LAYOUT = 2  # what new exports and releases are built as
CONFIGS = ("documents", "ner", "relations")
SPLITS = ("train", "validation", "test")
DEFAULT_RATIOS = (0.8, 0.1, 0.1)
DEFAULT_CONFIG = "documents"


def split_of(doc_id: str, ratios: tuple[float, float, float] = DEFAULT_RATIOS) -> str:
    """The split from a hash of the id alone, so a document keeps its split in every release."""
    bucket = int(hashlib.sha256(doc_id.encode("utf-8")).hexdigest()[:8], 16) / 2**32
    edge = 0.0
    for name, ratio in zip(SPLITS, ratios, strict=True):
        edge += ratio
        if bucket < edge:
            return name
    return SPLITS[-1]


def _span(labels: LabelSchema) -> dict[str, Any]:
    return {
        "start": Value("int32"),
        "end": Value("int32"),
        "label": ClassLabel(names=labels.entity_names),
        "text": Value("string"),
    }


def features(config: str, labels: LabelSchema, layout: int = LAYOUT) -> Features:
    if config == "documents":
        return Features(
            {
                "id": Value("string"),
                "text": Value("string"),
                "source": Value("string"),
                "date": Value("string"),
                "entities": List({"id": Value("string"), **_span(labels)}),
                "relations": List(
                    {"head": Value("int32"), "tail": Value("int32"), "label": ClassLabel(names=labels.relation_names)}
                ),
            }
        )
    if config == "ner":
        # Sequence (not List) so that datasets 3.x readers see Sequence(ClassLabel), as the
        # transformers token-classification example expects (`ner_tags.feature.names`).
        return Features(
            {
                "id": Value("string"),
                "doc_id": Value("string"),
                "tokens": Sequence(Value("string")),
                "ner_tags": Sequence(ClassLabel(names=labels.ner_tags())),
                "token_offsets": Sequence(Value("int32")),
            }
        )
    if config == "relations":
        return _relations(labels, layout)
    raise ValueError(f"unknown config {config!r}; use one of {CONFIGS}")


def _relations(labels: LabelSchema, layout: int) -> Features:
    if layout == 1:  # frozen: one row per ordered pair of mentions
        return Features(
            {
                "id": Value("string"),
                "doc_id": Value("string"),
                "text": Value("string"),
                "text_start": Value("int32"),
                "head": _span(labels),
                "tail": _span(labels),
                "label": ClassLabel(names=[NO_RELATION, *labels.relation_names]),
            }
        )
    pair = {"head": Value("int32"), "tail": Value("int32"), "label": ClassLabel(names=labels.relation_class_names())}
    return Features(
        {
            "id": Value("string"),
            "doc_id": Value("string"),
            "text": Value("string"),
            "text_start": Value("int32"),
            "entities": List(_span(labels)),
            "pairs": List(pair),
        }
    )
