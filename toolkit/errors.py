"""One error hierarchy, so the CLI can map every failure to a message and an exit code."""

from __future__ import annotations


class ToolkitError(Exception):
    """Base class; the message must say what went wrong, where, and how to fix it."""

    exit_code = 1


class InputError(ToolkitError):
    """An input file cannot be read at all (missing, not JSON, wrong top-level type)."""

    exit_code = 2


class SchemaFileError(InputError):
    """A label schema, patterns file or JSON Schema is itself invalid; raised before any data is read."""


class ConfigError(ToolkitError):
    """Connection settings or local configuration are missing or wrong."""

    exit_code = 2


class LabelStudioError(ToolkitError):
    """Label Studio refused a request or could not be reached."""

    exit_code = 3
