"""The tokenizer and sentence splitter decide the `ner` rows of every release: pinned here directly."""

from __future__ import annotations

import itertools
import json

import pytest

from toolkit.tokens import Token, bio_tags, sentences, tokenize

from helpers import DATA, SEED

UNICODE_TEXTS = [
    t["data"]["text"] for t in json.loads((DATA / "valid" / "labelstudio-export-unicode.json").read_text())
]
SEED_DOC = json.loads(SEED.read_text())
TEXTS = [SEED_DOC["text"], *UNICODE_TEXTS]


def _words(text: str) -> list[str]:
    return [t.text for t in tokenize(text)]


@pytest.mark.parametrize("text", TEXTS, ids=["seed", "emoji-crlf", "cyrillic", "arabic-cjk"])
def test_tokens_are_exact_slices_that_cover_every_visible_character(text: str) -> None:
    toks = tokenize(text)
    assert all(text[t.start : t.end] == t.text for t in toks)
    assert all(a.end <= b.start for a, b in itertools.pairwise(toks))  # ordered, never overlapping
    assert "".join(t.text for t in toks) == "".join(text.split())  # nothing but whitespace is dropped


@pytest.mark.parametrize("text", TEXTS, ids=["seed", "emoji-crlf", "cyrillic", "arabic-cjk"])
def test_sentences_partition_the_tokens_and_hold_every_gold_span(text: str) -> None:
    spans = sentences(text)
    toks = tokenize(text)
    starts, ends = {t.start for t in toks}, {t.end for t in toks}
    assert all(s in starts and e in ends for s, e in spans)  # sentence edges are token edges
    inside = [sum(1 for s, e in spans if s <= t.start and t.end <= e) for t in toks]
    assert inside == [1] * len(toks)  # every token in exactly one sentence


def test_seed_article_sentences() -> None:
    text = SEED_DOC["text"]
    spans = sentences(text)
    assert len(spans) == 11
    assert text[slice(*spans[0])].startswith("In a testimony to the United States House Armed Services")
    assert text[slice(*spans[1])].endswith("North Korean leader Kim Jong-un.")
    assert text[slice(*spans[-1])].endswith("challenges effectively.")
    gold = [(e["start"], e["end"]) for e in SEED_DOC["annotations"][0]["entities"]]
    assert all(any(s <= a and b <= e for s, e in spans) for a, b in gold)  # no mention crosses a sentence


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kim Jong-un met Putin.", ["Kim", "Jong-un", "met", "Putin", "."]),  # hyphenated names stay whole
        ("Russia's army", ["Russia", "'s", "army"]),  # possessive split off
        ("Russia’s army", ["Russia", "’s", "army"]),
        ("Austin 🇺🇸 met", ["Austin", "🇺", "🇸", "met"]),  # each symbol its own token
        ("习近平 访问了 莫斯科。", ["习近平", "访问了", "莫斯科", "。"]),
        ("Путин, Ким и ООН", ["Путин", ",", "Ким", "и", "ООН"]),
        ("snake_case", ["snake", "_", "case"]),
    ],
)
def test_tokenize_cases(text: str, expected: list[str]) -> None:
    assert _words(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Gen. Smith met Dr. Who. He left.", ["Gen. Smith met Dr. Who.", "He left."]),  # abbreviations
        ("J. R. Smith left. Then", ["J. R. Smith left.", "Then"]),  # initials
        ("It rose 3.5 percent. Then it fell.", ["It rose 3.5 percent.", "Then it fell."]),
        ("Why? Because. and so on", ["Why?", "Because. and so on"]),  # lower case: no break
        ('He said "go." She went.', ['He said "go."', "She went."]),  # closing quote after the stop
        ("A title\r\n\r\nThe body", ["A title", "The body"]),  # blank line, CRLF
        ("no stop at the end", ["no stop at the end"]),
        ("زار الرئيس طهران. 习近平 访问了", ["زار الرئيس طهران.", "习近平 访问了"]),
        ("", []),
    ],
)
def test_sentence_cases(text: str, expected: list[str]) -> None:
    assert [text[s:e] for s, e in sentences(text)] == expected


def test_bio_tags_report_spans_off_token_edges() -> None:
    toks = tokenize("Kim Jong-un met Putin")
    tags, bad = bio_tags(toks, [(0, 11, "PERSON"), (16, 19, "PERSON")])  # "Put" is not a whole token
    assert tags == ["B-PERSON", "I-PERSON", "O", "O"] and bad == [(16, 19, "PERSON")]
    assert tokenize("ab cd", 3) == [Token("cd", 3, 5)]
