"""What validation found: counts and every problem, split into errors and warnings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..records import Problem

WARNING_CODES = {"span-whitespace", "overlap", "zero-length", "cancelled", "unannotated"}


@dataclass
class Report:
    checked: int = 0
    annotations: int = 0
    cancelled: int = 0
    unannotated: int = 0
    entities: int = 0
    relations: int = 0
    predictions: int = 0
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors

    def add(self, problem: Problem, strict: bool = False) -> None:
        if problem.code in WARNING_CODES and not strict:
            problem.severity = "warning"
            self.warnings.append(problem)
        else:
            problem.severity = "error"
            self.errors.append(problem)

    def merge(self, other: Report) -> None:
        for name in ("checked", "annotations", "cancelled", "unannotated", "entities", "relations", "predictions"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors += other.errors
        self.warnings += other.warnings

    def as_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "checked": self.checked,
            "summary": {
                "annotations": self.annotations,
                "cancelled": self.cancelled,
                "unannotated": self.unannotated,
                "entities": self.entities,
                "relations": self.relations,
                "predictions": self.predictions,
            },
            "errors": [p.as_dict() for p in self.errors],
            "warnings": [p.as_dict() for p in self.warnings],
        }
