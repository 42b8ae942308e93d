"""Proposed spans and how they combine: word edges from the shared tokenizer, overlaps settled longest first.

Every pre-annotation source (gazetteer, patterns, model) and the evaluation share these.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..tokens import tokenize

# (start, end, label): a span as the checks and the evaluation compare it.
Key = tuple[int, int, str]


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    label: str
    score: float = 1.0
    source: str = ""

    @property
    def key(self) -> Key:
        return (self.start, self.end, self.label)


def word_edges(text: str) -> tuple[set[int], set[int]]:
    toks = tokenize(text)
    return {t.start for t in toks}, {t.end for t in toks}


def resolve(spans: Iterable[Span], taken: bytearray | None = None, length: int | None = None) -> list[Span]:
    """Longest first (then leftmost, then most confident), never overlapping what is already taken."""
    chosen: list[Span] = []
    spans = sorted(spans, key=lambda s: (s.start - s.end, s.start, -s.score))
    if taken is None:
        taken = bytearray(max((s.end for s in spans), default=0) if length is None else length)
    for s in spans:
        if s.end > s.start and taken.find(1, s.start, s.end) == -1:
            taken[s.start : s.end] = b"\x01" * (s.end - s.start)
            chosen.append(s)
    return sorted(chosen, key=lambda s: (s.start, s.end))
