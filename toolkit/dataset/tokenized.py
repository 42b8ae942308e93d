"""A text's tokens and sentences, as `tokens.tokenize` and `tokens.sentences` give them, in one pass.

Most of an export's work is here, so it is done mostly in C: one `findall` of (gap, token) pairs
(whitespace is the only thing between tokens: the last alternative of `tokens.TOKEN` is `\\S`), the
offsets from a running sum of their lengths, and the sentence rule (`tokens._ends_sentence`) asked
only where it can say yes: after `.`, `!`, `?`, a closing quote or bracket, or before a gap holding
two line breaks. Tokens are three parallel lists; a sentence is a range of token indexes.
tests/test_export.py checks the result against `tokens` on generated texts.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from itertools import accumulate, chain, compress, pairwise
from operator import itemgetter
from typing import NamedTuple, cast

from ..tokens import CLOSERS, TOKEN, Token, _ends_sentence

Tok = tuple[str, int, int]  # a token: text, start, end (`tokens.Token` costs twice as much to build)

_GAP_TOKEN = re.compile(rf"(\s*+)({TOKEN.pattern})", TOKEN.flags)
_MAY_END = frozenset(".!?" + CLOSERS)  # tokens after which `tokens._ends_sentence` can be true
_TWO_BREAKS = re.compile(r"\n\s*?\n")  # ... or gaps holding two line breaks
_second = itemgetter(1)


@dataclass(frozen=True, slots=True)
class Tokenized:
    """Tokens as parallel lists; sentence k is tokens `cuts[k]` up to (not including) `cuts[k + 1]`."""

    words: list[str]
    starts: list[int]
    ends: list[int]
    cuts: list[int]

    def sentences(self) -> list[tuple[int, int]]:
        """Character spans of the sentences (`tokens.sentences`)."""
        starts, ends = self.starts, self.ends
        return [(starts[a], ends[b - 1]) for a, b in pairwise(self.cuts)]

    def tokens(self, k: int) -> list[Tok]:
        """Tokens of sentence `k` as tuples (`tokens.tokenize(text, start, end)`)."""
        a, b = self.cuts[k], self.cuts[k + 1]
        return list(zip(self.words[a:b], self.starts[a:b], self.ends[a:b], strict=True))


class _Tok(NamedTuple):
    """What `_ends_sentence` reads of a token; cheaper to build than `tokens.Token`."""

    text: str
    start: int
    end: int


class _TokenView:
    """The parallel lists as tokens, built only for the few indexes `_ends_sentence` reads."""

    __slots__ = ("t",)

    def __init__(self, t: Tokenized):
        self.t = t

    def __getitem__(self, i: int) -> _Tok:
        t = self.t
        return _Tok(t.words[i], t.starts[i], t.ends[i])


def tokenized(text: str) -> Tokenized:
    """The tokens and sentences of `text` (see the module docstring)."""
    pairs = _GAP_TOKEN.findall(text)
    if not pairs:
        return Tokenized([], [], [], [0])
    words = list(map(_second, pairs))
    bounds = list(accumulate(map(len, chain.from_iterable(pairs))))
    t = Tokenized(words, bounds[0::2], bounds[1::2], [0])
    last = len(words) - 1
    ask = set(compress(range(last), map(_MAY_END.__contains__, words)))
    if "\n" in text:
        ends = t.ends
        ask.update(bisect.bisect_right(ends, m.start()) - 1 for m in _TWO_BREAKS.finditer(text))
    view = cast(list[Token], _TokenView(t))
    for i in sorted(i for i in ask if 0 <= i < last):
        if _ends_sentence(text, view, i):
            t.cuts.append(i + 1)
    t.cuts.append(len(words))
    return t


def split_sentences(text: str) -> tuple[list[tuple[int, int]], list[list[Tok]]]:
    """`tokens.sentences(text)` and each sentence's tokens (`tokenize(text, start, end)`)."""
    t = tokenized(text)
    return t.sentences(), [t.tokens(k) for k in range(len(t.cuts) - 1)]
