"""The label schema: the one file every label name comes from, and what is generated from it.

`schema` loads and checks a `*.labels.json` file (labels, relation constraints, the Label Studio
control names, project metadata); `config` writes the Label Studio labeling config and reads one
back (`toolkit schema from-config`); `guidelines` writes the annotation guidelines. The meta-schema
and the validation JSON Schemas ship inside the package (`toolkit/resources/`), so a label schema
file can live anywhere; the default news schema ships there too.
"""

from .config import PROBLEMS_KEY, label_config, schema_file_from_config, schema_from_config
from .guidelines import guidelines_html, guidelines_markdown
from .schema import (
    DEFAULT_LABELS,
    NO_RELATION,
    RESOURCES,
    Controls,
    LabelSchema,
    RelationType,
    load_json_file,
    load_json_schema,
    meta_problems,
)

__all__ = [
    "DEFAULT_LABELS",
    "NO_RELATION",
    "PROBLEMS_KEY",
    "RESOURCES",
    "Controls",
    "LabelSchema",
    "RelationType",
    "guidelines_html",
    "guidelines_markdown",
    "label_config",
    "load_json_file",
    "load_json_schema",
    "meta_problems",
    "schema_file_from_config",
    "schema_from_config",
]
