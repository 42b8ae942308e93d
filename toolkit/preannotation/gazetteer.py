"""The gazetteer: surface forms already labelled, proposed again wherever they occur on word edges."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator

from ..records import Document
from ..records.gold import choose_gold
from ..tokens import tokenize
from .spans import Key, Span, resolve


class Gazetteer:
    """Surface forms already labelled, proposed again wherever they occur on word edges.

    A form's label is the one it was given most often; its score is the share of its
    occurrences in the annotated texts that carried that label (how often a proposal was right).
    """

    def __init__(self, forms: dict[str, tuple[str, float]]):
        self.forms = forms
        self.max_tokens = max((len(tokenize(f)) for f in forms), default=0)

    def __len__(self) -> int:
        return len(self.forms)

    @classmethod
    def build(cls, samples: Iterable[tuple[str, Iterable[Key]]]) -> Gazetteer:
        """`samples`: (text, gold spans) pairs, e.g. one per live annotation of a document."""
        samples = [(text, list(spans)) for text, spans in samples]
        votes: dict[str, Counter[str]] = defaultdict(Counter)
        for text, spans in samples:
            for start, end, label in spans:
                form = text[start:end]
                if form and form == form.strip():
                    votes[form][label] += 1
        labelled = {form: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for form, c in votes.items()}
        draft = cls({form: (label, 1.0) for form, label in labelled.items()})
        proposed: Counter[str] = Counter()
        right: Counter[str] = Counter()
        for text, spans in samples:
            gold = set(spans)
            for s in draft.match(text):
                form = text[s.start : s.end]
                proposed[form] += 1
                right[form] += s.key in gold
        return cls(
            {
                form: (label, round(right[form] / proposed[form], 3) if proposed[form] else 1.0)
                for form, label in labelled.items()
            }
        )

    @classmethod
    def from_documents(cls, docs: Iterable[Document]) -> Gazetteer:
        """From the gold annotation of each document (the one export would publish)."""
        samples = []
        for doc in docs:
            gold = choose_gold(doc).annotation
            if gold is not None:
                samples.append((doc.text, [(e.start, e.end, e.label) for e in gold.entities if e.label]))
        return cls.build(samples)

    def candidates(self, text: str) -> Iterator[Span]:
        """Every occurrence of a known form that starts and ends on a token edge."""
        if not self.forms:
            return
        toks = tokenize(text)
        forms = self.forms
        for i, first in enumerate(toks):
            for n in range(min(self.max_tokens, len(toks) - i), 0, -1):
                end = toks[i + n - 1].end
                hit = forms.get(text[first.start : end])
                if hit is not None:
                    yield Span(first.start, end, hit[0], hit[1], "gazetteer")

    def match(self, text: str) -> list[Span]:
        return resolve(self.candidates(text), length=len(text))
