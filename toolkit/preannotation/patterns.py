"""Pre-annotation patterns: regular expressions per label, from `<name>.patterns.json` beside the label schema.

Label names are never defined here: each pattern's label is checked against the label schema,
and each listed example must be matched whole, so a broken expression is caught at load.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import SchemaFileError
from ..labelschema import LabelSchema, load_json_file, meta_problems
from .spans import Span, resolve, word_edges

PATTERNS_META = "patterns.meta.schema.json"
DEFAULT_PATTERN_SCORE = 0.8


@dataclass(frozen=True, slots=True)
class Pattern:
    name: str
    label: str
    regex: re.Pattern[str]
    score: float = DEFAULT_PATTERN_SCORE


def default_patterns_path(labels: LabelSchema) -> Path | None:
    """`<name>.patterns.json` beside `<name>.labels.json`, when there is one."""
    stem = labels.path.name.removesuffix(".labels.json").removesuffix(".json")
    path = labels.path.with_name(f"{stem}.patterns.json")
    return path if path.exists() else None


def load_patterns(path: Path, labels: LabelSchema) -> list[Pattern]:
    """Validate against the meta-schema, check labels against the label schema, compile, test examples."""
    data = load_json_file(path)
    problems = meta_problems(data, path, labels.resources / PATTERNS_META)
    patterns: list[Pattern] = []
    for i, p in enumerate([] if problems else data["patterns"]):
        where = f"{path}: patterns/{i} ({p['name']})"
        if p["label"] not in labels.entity_names:
            problems.append(
                f"{where}: label {p['label']!r} is not an entity label of {labels.path.name}; "
                f"use one of {labels.entity_names} or add it there"
            )
            continue
        try:
            regex = re.compile(p["pattern"], re.IGNORECASE if p.get("ignore_case") else 0)
        except re.error as exc:
            problems.append(f"{where}: not a valid regular expression: {exc}")
            continue
        missed = [ex for ex in p["examples"] if not regex.fullmatch(ex)]
        if missed:
            problems.append(f"{where}: example(s) {missed} are not matched whole; fix the pattern or the examples")
        patterns.append(Pattern(p["name"], p["label"], regex, float(p.get("score", DEFAULT_PATTERN_SCORE))))
    if problems:
        raise SchemaFileError("invalid patterns file:\n  " + "\n  ".join(problems))
    return patterns


def pattern_spans(patterns: Sequence[Pattern], text: str) -> list[Span]:
    """Matches that start and end on word edges, longest first, never overlapping."""
    if not patterns:
        return []
    starts, ends = word_edges(text)
    found = [
        Span(m.start(), m.end(), p.label, p.score, f"pattern:{p.name}")
        for p in patterns
        for m in p.regex.finditer(text)
        if m.start() in starts and m.end() in ends
    ]
    return resolve(found, length=len(text))
