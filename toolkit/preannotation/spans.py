"""Proposed spans and how they combine: word edges from the shared tokenizer, overlaps settled longest first.

Every pre-annotation source (gazetteer, patterns, model) and the evaluation share these.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass

from ..tokens import sentences, tokenize

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


def drop_partial_names(text: str, spans: list[Span]) -> tuple[list[Span], int]:
    """Spans that are not a part of a longer capitalised name ("General" in "Secretary General").

    A name is a run of adjacent capitalised tokens. A span inside a run is dropped when a capitalised
    token of the same run right next to it is covered by no span, so "General Charles Brown"
    (ROLE + PERSON) stays, while "General" alone in "Secretary General" goes. A sentence's first
    word is not taken for part of a name ("Yesterday Putin met...").
    """
    toks = tokenize(text)
    firsts = {s for s, _ in sentences(text)}
    capital = [t.text[:1].isupper() and t.start not in firsts for t in toks]
    covered = [False] * len(toks)
    owner: list[Span | None] = [None] * len(toks)
    starts = [t.start for t in toks]
    for span in spans:
        i = bisect.bisect_left(starts, span.start)
        while i < len(toks) and toks[i].end <= span.end:
            covered[i], owner[i] = True, span
            i += 1
    bad: set[Span] = set()
    for i, t in enumerate(toks):
        mine = owner[i]
        if mine is None or not capital[i]:
            continue
        for j in (i - 1, i + 1):
            adjacent = 0 <= j < len(toks) and text[min(t.end, toks[j].end) : max(t.start, toks[j].start)] in ("", " ")
            if adjacent and capital[j] and not covered[j]:
                bad.add(mine)
    return [s for s in spans if s not in bad], len(bad)
