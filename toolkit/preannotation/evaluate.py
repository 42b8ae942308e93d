"""How much pre-annotation saves: precision and recall of the proposals against gold annotations.

A proposal counts as correct only when start, end and label all equal a gold span: that is a
mention the annotator merely confirms. Every other proposal must be deleted or fixed, and every
gold span not proposed must still be selected by hand.

Three views, kept apart because they answer different questions:
- leave-one-out: the gazetteer built from every *other* annotated document, plus the patterns
  (what `toolkit tasks --pre-annotate` proposes for an article nobody has annotated yet);
- patterns alone (they need no annotations at all);
- within one document, held out by paragraph or sentence: the gazetteer built from the other
  units, or only from the units before (as annotation proceeds through the document).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..labelschema import LabelSchema
from ..records import Document
from ..records.gold import choose_gold
from ..tokens import sentences
from ..validation import load_valid_documents
from .gazetteer import Gazetteer
from .patterns import Pattern, default_patterns_path, load_patterns, pattern_spans
from .spans import Key, Span, drop_partial_names, resolve

PARAGRAPH_BREAK = re.compile(r"(?:[ \t]*\r?\n){2,}")


@dataclass
class Score:
    proposed: int = 0
    correct: int = 0
    gold: int = 0

    def add(self, predicted: Iterable[Key], gold: Iterable[Key]) -> None:
        p, g = set(predicted), set(gold)
        self.proposed += len(p)
        self.correct += len(p & g)
        self.gold += len(g)

    @property
    def precision(self) -> float | None:
        return self.correct / self.proposed if self.proposed else None

    @property
    def recall(self) -> float | None:
        return self.correct / self.gold if self.gold else None


@dataclass
class Row:
    name: str
    what: str
    score: Score
    by_label: dict[str, Score] = field(default_factory=dict)


@dataclass
class DocEval:
    doc_id: str
    gold: int
    others: int  # annotated documents the leave-one-out gazetteer is built from
    forms: int  # surface forms in that gazetteer
    rows: list[Row] = field(default_factory=list)


def gold_spans(doc: Document) -> list[Key]:
    """The reference: the document's gold annotation (the one a release publishes)."""
    ann = choose_gold(doc).annotation
    if ann is None:
        return []
    return sorted((e.start, e.end, e.label) for e in ann.entities if e.label)


def paragraphs(text: str) -> list[tuple[int, int]]:
    units, pos = [], 0
    for m in PARAGRAPH_BREAK.finditer(text):
        units.append((pos, m.start()))
        pos = m.end()
    units.append((pos, len(text)))
    return [(a, b) for a, b in units if text[a:b].strip()]


def _inside(spans: Iterable[Key], a: int, b: int) -> list[Key]:
    return [(s - a, e - a, label) for s, e, label in spans if a <= s and e <= b]


def held_out_units(
    text: str,
    gold: Sequence[Key],
    units: Sequence[tuple[int, int]],
    background: Sequence[tuple[str, list[Key]]],
    only_before: bool,
) -> Score:
    """Propose in each unit from a gazetteer of the other units (or of those before it) plus `background`."""
    pieces = [(text[a:b], _inside(gold, a, b)) for a, b in units]
    score = Score()
    for i, (piece, piece_gold) in enumerate(pieces):
        rest = pieces[:i] if only_before else pieces[:i] + pieces[i + 1 :]
        gaz = Gazetteer.build([*background, *rest])
        score.add((s.key for s in drop_partial_names(piece, gaz.match(piece))[0]), piece_gold)
    # gold spans that cross a unit boundary can never be proposed: count them as missed
    score.gold += len(gold) - sum(len(g) for _, g in pieces)
    return score


def evaluate(
    docs: Sequence[Document], labels: LabelSchema, patterns: Sequence[Pattern], doc_ids: Sequence[str] | None = None
) -> list[DocEval]:
    samples = {d.doc_id: (d.text, gold_spans(d)) for d in docs if gold_spans(d)}
    results = []
    for doc_id in doc_ids or sorted(samples):
        text, gold = samples[doc_id]
        background = [s for other, s in samples.items() if other != doc_id]
        gaz = Gazetteer.build(background)
        ev = DocEval(doc_id, len(gold), len(background), len(gaz))

        def row(name: str, what: str, spans: list[Span], ev: DocEval = ev, gold: list[Key] = gold) -> None:
            ev.rows.append(Row(name, what, _score(spans, gold), _by_label(spans, gold, labels.entity_names)))

        loo = drop_partial_names(text, gaz.match(text))[0]
        pats = pattern_spans(patterns, text)
        taken = bytearray(len(text))
        combined = drop_partial_names(
            text, sorted(resolve(gaz.candidates(text), taken) + resolve(pats, taken), key=lambda s: s.start)
        )[0]
        row("leave-one-out gazetteer", f"built from the {ev.others} other annotated document(s)", loo)
        row("patterns", f"{len(patterns)} regular expression(s) from the schema folder", pats)
        row(
            "leave-one-out gazetteer + patterns", "what `tasks --pre-annotate` proposes for an unseen article", combined
        )
        for unit_name, units in (("paragraph", paragraphs(text)), ("sentence", sentences(text))):
            for only_before, how in ((False, "all other"), (True, "only the preceding")):
                score = held_out_units(text, gold, units, background, only_before)
                label = "progressive" if only_before else "leave-one-out"
                ev.rows.append(
                    Row(
                        f"within document, {label} by {unit_name}",
                        f"gazetteer from {how} {unit_name}s of this document (+ other documents); "
                        f"{len(units)} {unit_name}s, patterns not used",
                        score,
                    )
                )
        results.append(ev)
    return results


def evaluate_files(
    annotations: Path, labels: LabelSchema, patterns_path: Path | None = None, doc_ids: Sequence[str] | None = None
) -> list[DocEval]:
    """`evaluate` on validated annotation files, with the given patterns (default: beside the label schema)."""
    docs = load_valid_documents([annotations], labels, "evaluate pre-annotation")
    path = patterns_path or default_patterns_path(labels)
    return evaluate(docs, labels, load_patterns(path, labels) if path else [], doc_ids)


def _score(spans: Iterable[Span], gold: Iterable[Key]) -> Score:
    s = Score()
    s.add((x.key for x in spans), gold)
    return s


def _by_label(spans: Sequence[Span], gold: Sequence[Key], names: Sequence[str]) -> dict[str, Score]:
    out = {}
    for name in names:
        s = _score([x for x in spans if x.label == name], [g for g in gold if g[2] == name])
        if s.proposed:
            out[name] = s
    return out


def _pct(x: float | None) -> str:
    return "   n/a" if x is None else f"{100 * x:5.1f}%"


def format_report(results: Sequence[DocEval], fmt: Callable[[float | None], str] = _pct) -> str:
    lines = []
    for ev in results:
        lines.append(
            f"{ev.doc_id}: {ev.gold} gold entity mention(s); leave-one-out gazetteer from {ev.others} other "
            f"annotated document(s), {ev.forms} surface form(s)"
        )
        lines.append(f"  {'setting':46} {'proposed':>8} {'correct':>7} {'precision':>9} {'recall':>7}")
        for r in ev.rows:
            s = r.score
            lines.append(f"  {r.name:46} {s.proposed:8d} {s.correct:7d} {fmt(s.precision):>9} {fmt(s.recall):>7}")
            for label, ls in r.by_label.items():
                lines.append(
                    f"    {'only ' + label:44} {ls.proposed:8d} {ls.correct:7d} {fmt(ls.precision):>9} "
                    f"{fmt(ls.recall):>7}"
                )
            lines.append(f"    ({r.what})")
        lines.append(
            "  correct = start, end and label equal a gold span (the annotator only confirms it); "
            "recall = share of the gold mentions proposed correctly"
        )
    return "\n".join(lines)
