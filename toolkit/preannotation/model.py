"""The model hook of pre-annotation: any callable `text -> spans`, or an installed spaCy pipeline.

Nothing is ever downloaded: a spaCy pipeline that is not installed is skipped with a note.
"""

from __future__ import annotations

import importlib.util
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from ..labelschema import LabelSchema
from .spans import Span

DEFAULT_SPACY_PIPELINE = "en_core_web_sm"
ModelFn = Callable[[str], Iterable[Any]]


@dataclass
class Model:
    """A callable `text -> spans`; `only_known` drops labels the schema lacks (spaCy's extra types)."""

    name: str
    fn: ModelFn
    only_known: bool = False


def load_model(spec: str | None, labels: LabelSchema) -> tuple[Model | None, str | None]:
    """(model, note): `module:function`, `spacy[:PIPELINE]`, `none`, or None (spaCy when installed).

    A spaCy pipeline that is not installed is skipped with a note, never downloaded. A
    `module:function` that cannot be imported is a ConfigError.
    """
    if spec is not None and spec.lower() == "none":
        return None, None
    if spec is None or spec == "spacy" or spec.startswith("spacy:"):
        pipeline = spec.partition(":")[2] if spec and ":" in spec else DEFAULT_SPACY_PIPELINE
        return _spacy_model(pipeline)
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ConfigError(
            f"--model {spec!r}: expected module:function (e.g. mypkg.ner:predict), spacy[:PIPELINE] or none"
        )
    try:
        obj = pkgutil.resolve_name(spec)
    except ImportError as exc:
        raise ConfigError(f"--model {spec!r}: cannot import {module_name!r}: {exc}") from exc
    except (AttributeError, ValueError) as exc:
        raise ConfigError(f"--model {spec!r}: {module_name!r} has no attribute {attr!r}") from exc
    if not callable(obj):
        raise ConfigError(f"--model {spec!r}: {attr!r} is not callable; give a function text -> spans")
    return Model(spec, obj), None


def _spacy_model(pipeline: str) -> tuple[Model | None, str | None]:
    if importlib.util.find_spec("spacy") is None:
        return None, (
            f"model pre-annotation skipped: spaCy is not installed (wanted pipeline {pipeline!r}); "
            "pip install spacy and the pipeline package, or pass --model module:function"
        )
    import spacy

    if not spacy.util.is_package(pipeline):
        return None, (
            f"model pre-annotation skipped: spaCy pipeline {pipeline!r} is not installed "
            "(it is never downloaded at run time); install its package or pass --model"
        )
    nlp = spacy.load(pipeline)

    def run(text: str) -> list[tuple[int, int, str]]:
        return [(e.start_char, e.end_char, e.label_) for e in nlp(text).ents]

    return Model(f"spacy:{pipeline}@{nlp.meta.get('version', '?')}", run, only_known=True), None


def model_spans(model: Model, text: str, labels: LabelSchema) -> list[Span]:
    """Normalise what the model returned; offsets and labels are checked later with the annotation checks."""
    out = []
    for item in model.fn(text):
        span = _as_span(item, model.name)
        if model.only_known and span.label not in labels.entity_names:
            continue
        out.append(span)
    return out


def _as_span(item: Any, name: str) -> Span:
    try:
        if isinstance(item, dict):
            start, end, label, score = item["start"], item["end"], item["label"], item.get("score", 1.0)
        elif isinstance(item, list | tuple):
            start, end, label, *rest = item
            score = rest[0] if rest else 1.0
        else:
            start, end, label = item.start, item.end, item.label
            score = getattr(item, "score", 1.0)
        if not (isinstance(start, int) and isinstance(end, int) and isinstance(label, str)):
            raise TypeError("start and end must be ints, label a string")
        return Span(start, end, label, float(score), f"model:{name}")
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise ConfigError(
            f"model {name!r} returned {item!r}: {exc}; return (start, end, label[, score]) tuples or "
            "dicts with start, end, label (code-point offsets)"
        ) from exc
