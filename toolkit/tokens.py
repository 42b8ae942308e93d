"""Sentences, tokens with character offsets, and BIO tags: shared by the NER export, agreement and
pre-annotation, so every stage agrees on what a word is.

Deliberately simple and dependency-free: a word is a run of letters/digits (hyphenated runs stay
one token, a possessive 's is split off), every other non-space character is its own token.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

TOKEN = re.compile(r"[^\W_]+(?:-[^\W_]+)*|'s\b|’s\b|\S", re.UNICODE)
ABBREVIATIONS = frozenset(
    (
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "gen",
        "col",
        "lt",
        "sgt",
        "st",
        "jr",
        "sr",
        "inc",
        "ltd",
        "co",
        "corp",
        "vs",
        "etc",
        "no",
        "u.s",
        "u.k",
        "e.g",
        "i.e",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
    )
)
CLOSERS = "\"'”’)]"


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    start: int
    end: int


def tokenize(text: str, start: int = 0, end: int | None = None) -> list[Token]:
    return [
        Token(m.group(), m.start(), m.end()) for m in TOKEN.finditer(text, start, len(text) if end is None else end)
    ]


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans: split after . ! ? (not after a known abbreviation or an initial) and at blank lines."""
    spans: list[tuple[int, int]] = []
    tokens = tokenize(text)
    start_tok = 0
    for i, tok in enumerate(tokens):
        if i == len(tokens) - 1 or _ends_sentence(text, tokens, i):
            spans.append((tokens[start_tok].start, tok.end))
            start_tok = i + 1
    return spans


def _ends_sentence(text: str, tokens: list[Token], i: int) -> bool:
    tok, nxt = tokens[i], tokens[i + 1]
    gap = text[tok.end : nxt.start]
    if "\n\n" in gap.replace("\r", "").replace(" ", ""):
        return True
    if not gap or nxt.text[0].islower():
        return False
    if tok.text in ".!?":
        return _not_abbreviation(tokens, i)
    return tok.text in CLOSERS and i > 0 and tokens[i - 1].text in ".!?"


def _not_abbreviation(tokens: list[Token], i: int) -> bool:
    if tokens[i].text != "." or i == 0:
        return True
    prev = tokens[i - 1].text.lower()
    return prev not in ABBREVIATIONS and not (len(prev) == 1 and prev.isalpha())


def bio_tags(
    tokens: list[Token], spans: Iterable[tuple[int, int, str]]
) -> tuple[list[str], list[tuple[int, int, str]]]:
    """BIO tags for `tokens`; spans whose edges are not token edges are returned, not silently shifted."""
    return bio_by_edges([(t.start, t.end) for t in tokens], spans)


def bio_by_edges(
    edges: Sequence[tuple[int, int]], spans: Iterable[tuple[int, int, str]]
) -> tuple[list[str], list[tuple[int, int, str]]]:
    """The BIO rule on token (start, end) pairs: one rule for `bio_tags` and the export's token tuples."""
    tags = ["O"] * len(edges)
    starts = {start: i for i, (start, _) in enumerate(edges)}
    ends = {end: i for i, (_, end) in enumerate(edges)}
    misaligned = []
    for start, end, label in sorted(spans):
        first, last = starts.get(start), ends.get(end)
        if first is None or last is None or any(tags[k] != "O" for k in range(first, last + 1)):
            misaligned.append((start, end, label))
            continue
        tags[first] = f"B-{label}"
        for k in range(first + 1, last + 1):
            tags[k] = f"I-{label}"
    return tags, misaligned
