"""Pre-annotation: Label Studio predictions that annotators correct instead of starting from nothing.

Three sources, in decreasing order of trust: a gazetteer of every surface form already labelled in
the validated annotations, regular-expression patterns from the schema folder, and an optional
model (any callable `text -> spans`; a spaCy pipeline when one is installed). Gazetteer and pattern
spans snap to the shared tokenizer's word edges; no two proposed spans overlap; and every
prediction goes through the same checks as an annotation, because Label Studio accepts a
prediction with an unknown label without a word.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError, ToolkitError
from .gazetteer import Gazetteer, Key, Span, resolve, word_edges
from .labels import LABELS_CONTROL, TEXT_OBJECT, LabelSchema
from .patterns import Pattern, default_patterns_path, load_patterns, pattern_spans
from .validate import Checker, Report, load_documents

# Re-exported: the pre-annotation API in one place for the CLI and tests.
__all__ = [
    "Gazetteer",
    "Key",
    "Pattern",
    "Preannotator",
    "Span",
    "build_preannotator",
    "check_predictions",
    "default_patterns_path",
    "load_model",
    "load_patterns",
    "pattern_spans",
    "pre_annotate",
    "resolve",
    "word_edges",
]

DEFAULT_SPACY_PIPELINE = "en_core_web_sm"
PREDICTION_ID_PREFIX = "pre-"
ModelFn = Callable[[str], Iterable[Any]]


# -- model hook ---------------------------------------------------------------------------------


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
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"--model {spec!r}: cannot import {module_name!r}: {exc}") from exc
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ConfigError(f"--model {spec!r}: {module_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
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


# -- combining and checking ---------------------------------------------------------------------


@dataclass
class Preannotator:
    labels: LabelSchema
    gazetteer: Gazetteer = field(default_factory=lambda: Gazetteer({}))
    patterns: list[Pattern] = field(default_factory=list)
    model: Model | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def model_version(self) -> str:
        """Names every source, so Label Studio can tell predictions of different set-ups apart."""
        parts = [f"gazetteer:{len(self.gazetteer)}-forms"]
        if self.patterns:
            parts.append(f"patterns:{len(self.patterns)}")
        if self.model is not None:
            parts.append(f"model:{self.model.name}")
        return f"toolkit-preannotate/{self.labels.name}-{self.labels.version}/" + "+".join(parts)

    def spans(self, text: str) -> list[Span]:
        """Gazetteer first, then patterns, then the model, each filling only what is still free."""
        taken = bytearray(len(text))
        chosen = resolve(self.gazetteer.candidates(text), taken)
        chosen += resolve(pattern_spans(self.patterns, text), taken)
        if self.model is not None:
            found = model_spans(self.model, text, self.labels)
            bad = [s for s in found if not 0 <= s.start < s.end <= len(text)]  # left for the checks to report
            chosen += bad + resolve([s for s in found if s not in bad], taken)
        return sorted(chosen, key=lambda s: (s.start, s.end))

    def prediction(self, text: str) -> dict[str, Any] | None:
        spans = self.spans(text)
        if not spans:
            return None
        return prediction_payload(text, spans, self.model_version)


def prediction_payload(text: str, spans: Sequence[Span], model_version: str) -> dict[str, Any]:
    result = [
        {
            "id": f"{PREDICTION_ID_PREFIX}{i}",
            "from_name": LABELS_CONTROL,
            "to_name": TEXT_OBJECT,
            "type": "labels",
            "score": s.score,
            "value": {"start": s.start, "end": s.end, "text": text[s.start : s.end], "labels": [s.label]},
        }
        for i, s in enumerate(spans, 1)
    ]
    score = round(sum(s.score for s in spans) / len(spans), 3)
    return {"model_version": model_version, "score": score, "result": result}


def build_preannotator(
    labels: LabelSchema,
    annotations: Path | None,
    patterns_path: Path | None = None,
    model_spec: str | None = None,
) -> Preannotator:
    """The gazetteer comes from validated annotations only; invalid ones stop the run."""
    gaz = Gazetteer({})
    notes: list[str] = []
    if annotations is not None and annotations.exists():
        docs, report = load_documents([annotations], labels)
        if report.errors:
            raise ToolkitError(
                f"{annotations} has {len(report.errors)} validation error(s); run `toolkit validate` "
                "and fix them before building the gazetteer"
            )
        gaz = Gazetteer.from_documents(docs)
    elif annotations is not None:
        notes.append(f"gazetteer empty: {annotations} does not exist")
    patterns_path = patterns_path or default_patterns_path(labels)
    patterns = load_patterns(patterns_path, labels) if patterns_path else []
    model, note = load_model(model_spec, labels)
    if note:
        notes.append(note)
    return Preannotator(labels, gaz, patterns, model, notes)


@dataclass
class PreannotateResult:
    tasks: int = 0
    predicted: int = 0
    spans: Counter[str] = field(default_factory=Counter)  # by source kind: gazetteer, pattern, model

    def summary(self, model_version: str) -> str:
        by = ", ".join(f"{k} {v}" for k, v in sorted(self.spans.items())) or "none"
        return (
            f"pre-annotated {self.predicted} of {self.tasks} task(s): {sum(self.spans.values())} span(s) "
            f"({by}); model_version {model_version}"
        )


def pre_annotate(tasks: list[dict[str, Any]], pre: Preannotator) -> PreannotateResult:
    """Attach one prediction per task (in place); raise when any prediction fails the checks."""
    out = PreannotateResult(tasks=len(tasks))
    for task in tasks:
        text = task["data"]["text"]
        spans = pre.spans(text)
        if not spans:
            continue
        task["predictions"] = [prediction_payload(text, spans, pre.model_version)]
        out.predicted += 1
        out.spans.update(s.source.split(":")[0] for s in spans)
    check_predictions(tasks, pre.labels)
    return out


def prediction_report(tasks: Iterable[dict[str, Any]], labels: LabelSchema) -> Report:
    """The annotation checks (JSON Schema, offsets, text, labels, overlaps as errors) on predictions."""
    checker = Checker(labels, strict=True)
    report = Report()
    for i, task in enumerate(tasks):
        preds = [p for p in task.get("predictions") or [] if isinstance(p, dict)]
        if not preds:
            continue
        probe = {k: v for k, v in task.items() if k not in ("annotations", "predictions")}
        probe["annotations"] = preds
        before = len(report.errors)
        checker.check_record(probe, f"task {i + 1}", report)
        for p in report.errors[before:]:
            p.path = p.path.replace("$.annotations", "$.predictions", 1)
            p.message = p.message.replace("re-select the span in Label Studio", "fix the model or pattern")
    return report


def check_predictions(tasks: Iterable[dict[str, Any]], labels: LabelSchema, limit: int = 20) -> None:
    report = prediction_report(tasks, labels)
    if report.errors:
        shown = "\n  ".join(f"[{p.code}] {p.task} {p.path}: {p.message}" for p in report.errors[:limit])
        more = f"\n  ... and {len(report.errors) - limit} more" if len(report.errors) > limit else ""
        raise ToolkitError(
            f"{len(report.errors)} problem(s) in predictions; nothing was written or pushed:\n  {shown}{more}"
        )
