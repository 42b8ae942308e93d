"""Pre-annotation: Label Studio predictions that annotators correct instead of starting from nothing.

Three sources, in decreasing order of trust: a gazetteer of every surface form already labelled in
the validated annotations, regular-expression patterns from the schema folder, and an optional
model (any callable `text -> spans`; a spaCy pipeline when one is installed). Gazetteer and pattern
spans snap to the shared tokenizer's word edges; no two proposed spans overlap; and every
prediction goes through the same checks as an annotation, because Label Studio accepts a
prediction with an unknown label without a word.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..labelschema import Controls, LabelSchema
from ..labelstudio.tasks import article_task
from ..records import Article
from ..validation import check_predictions, load_valid_documents
from .gazetteer import Gazetteer
from .model import Model, load_model, model_spans
from .patterns import Pattern, default_patterns_path, load_patterns, pattern_spans
from .spans import Span, drop_partial_names, resolve

PREDICTION_ID_PREFIX = "pre-"


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
        return self.proposals(text)[0]

    def proposals(self, text: str) -> tuple[list[Span], int]:
        """Gazetteer first, then patterns, then the model, each filling only what is still free; parts of
        longer capitalised names left out (and counted)."""
        taken = bytearray(len(text))
        chosen = resolve(self.gazetteer.candidates(text), taken)
        chosen += resolve(pattern_spans(self.patterns, text), taken)
        if self.model is not None:
            found = model_spans(self.model, text, self.labels)
            bad = [s for s in found if not 0 <= s.start < s.end <= len(text)]  # left for the checks to report
            chosen += bad + resolve([s for s in found if s not in bad], taken)
        kept, dropped = drop_partial_names(text, sorted(chosen, key=lambda s: (s.start, s.end)))
        return kept, dropped

    def prediction(self, text: str) -> dict[str, Any] | None:
        spans = self.spans(text)
        if not spans:
            return None
        return prediction_payload(text, spans, self.model_version, self.labels.controls)


def prediction_payload(text: str, spans: Sequence[Span], model_version: str, controls: Controls) -> dict[str, Any]:
    result = [
        {
            "id": f"{PREDICTION_ID_PREFIX}{i}",
            "from_name": controls.labels,
            "to_name": controls.text,
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
        gaz = Gazetteer.from_documents(load_valid_documents([annotations], labels, "build the gazetteer"))
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
    partial_names: int = 0  # proposals left out: part of a longer capitalised name

    def summary(self, model_version: str) -> str:
        by = ", ".join(f"{k} {v}" for k, v in sorted(self.spans.items())) or "none"
        return (
            f"pre-annotated {self.predicted} of {self.tasks} task(s): {sum(self.spans.values())} span(s) "
            f"({by}), {self.partial_names} part(s) of longer names left out; model_version {model_version}"
        )


def pre_annotate(tasks: list[dict[str, Any]], pre: Preannotator) -> PreannotateResult:
    """Attach one prediction per task (in place); raise when any prediction fails the checks."""
    out = PreannotateResult(tasks=len(tasks))
    for task in tasks:
        text = task["data"][pre.labels.controls.value]
        spans, dropped = pre.proposals(text)
        out.partial_names += dropped
        if not spans:
            continue
        task["predictions"] = [prediction_payload(text, spans, pre.model_version, pre.labels.controls)]
        out.predicted += 1
        out.spans.update(s.source.split(":")[0] for s in spans)
    check_predictions(tasks, pre.labels)
    return out


def build_tasks(
    articles: Iterable[Article], labels: LabelSchema, pre: Preannotator | None
) -> tuple[list[dict[str, Any]], str]:
    """One task per article, with a checked prediction each when `pre` is given; and a summary line."""
    records = [article_task(a, labels.controls) for a in articles]
    if pre is None:
        return records, ""
    return records, pre_annotate(records, pre).summary(pre.model_version)
