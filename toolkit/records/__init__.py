"""The records every stage passes around, their file forms, and the rule of which annotation counts.

`model`: articles, documents, annotations, spans, relations, problems, and the annotations/ file
form. `labelstudio`: Label Studio task JSON <-> records. `gold`: the one gold choice.
"""

from .model import (
    Annotation,
    Article,
    Document,
    Entity,
    Loc,
    Problem,
    Relation,
    canonical_to_document,
    json_path,
    shown,
)

__all__ = [
    "Annotation",
    "Article",
    "Document",
    "Entity",
    "Loc",
    "Problem",
    "Relation",
    "canonical_to_document",
    "json_path",
    "shown",
]
