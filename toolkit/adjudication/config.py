"""Who reviews and which policy applies: from a JSON/TOML file (path given by the caller) and options."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..io.reader import decode_utf8, parse_json, read_bytes
from ..records.labelstudio import pseudonym

POLICIES = ("review", "majority", "union", "intersection")
PSEUDONYM = re.compile(r"^annotator-[0-9a-f]{10}$")


@dataclass(frozen=True)
class AdjudicationConfig:
    reviewers: frozenset[str] = frozenset()
    policy: str = "review"


def load_config(
    path: Path | None = None, reviewers: Iterable[str] = (), policy: str | None = None
) -> AdjudicationConfig:
    """Reviewers and policy from a JSON/TOML file plus CLI values; names must be pseudonyms, never e-mails."""
    data: Any = {}
    if path is not None:
        raw = read_bytes(path, "an adjudication config (TOML or JSON)", ConfigError)
        if path.suffix == ".toml":
            try:
                data = tomllib.loads(decode_utf8(raw, str(path), ConfigError))
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
        else:
            data = parse_json(raw, str(path), ConfigError)
        if not isinstance(data, dict) or set(data) - {"reviewers", "policy"}:
            raise ConfigError(f"{path}: expected only the keys 'reviewers' (a list of pseudonyms) and 'policy'")
    names = [*(data.get("reviewers") or []), *reviewers]
    for name in names:
        if not isinstance(name, str) or not PSEUDONYM.match(name):
            hint = f"; its pseudonym is {pseudonym(name)}" if isinstance(name, str) and "@" in name else ""
            raise ConfigError(
                f"reviewer {name!r} is not a pseudonym like annotator-0123456789 (annotators appear only as "
                f"pseudonyms in annotations/, e-mails never go into the repository){hint}"
            )
    chosen = policy or data.get("policy") or "review"
    if chosen not in POLICIES:
        raise ConfigError(f"policy {chosen!r} is not one of {', '.join(POLICIES)}")
    return AdjudicationConfig(frozenset(names), chosen)
