"""JSON Schema validation behind one interface, with two interchangeable engines.

`jsonschema` (pure Python) is the reference; `jsonschema-rs` gives the same verdicts about
two hundred times faster and is used when installed. A differential test keeps them in step.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jsonschema

from ..records import json_path

jsonschema_rs: Any
try:  # pragma: no cover - exercised by whichever engine is installed
    import jsonschema_rs
except ImportError:  # pragma: no cover
    jsonschema_rs = None

ENGINES = ("rs", "python")


@dataclass(slots=True)
class SchemaError:
    path: str  # JSON path into the instance, e.g. $.annotations[0].result[3].value.start
    message: str


def default_engine() -> str:
    return "rs" if jsonschema_rs is not None else "python"


class Validator:
    def __init__(self, schema: dict[str, Any], engine: str | None = None):
        self.engine = engine or default_engine()
        if self.engine == "rs":
            if jsonschema_rs is None:
                raise RuntimeError("jsonschema-rs is not installed; use engine 'python'")
            self._rs = jsonschema_rs.validator_for(schema)
        elif self.engine == "python":
            self._py = jsonschema.Draft202012Validator(schema)
        else:
            raise ValueError(f"unknown engine {engine!r}; use one of {ENGINES}")

    def is_valid(self, instance: Any) -> bool:
        if self.engine == "rs":
            return bool(self._rs.is_valid(instance))
        return bool(self._py.is_valid(instance))

    def iter_errors(self, instance: Any) -> Iterator[SchemaError]:
        """Every error, deepest first within a branch, each with its JSON path."""
        if self.engine == "rs":
            if self._rs.is_valid(instance):
                return
            for err in self._rs.iter_errors(instance):
                yield SchemaError(json_path(err.instance_path), err.message)
        else:
            for err in self._py.iter_errors(instance):
                yield SchemaError(json_path(err.absolute_path), err.message)
