"""News-relations annotation toolkit: articles -> Label Studio -> validated annotations -> Hub dataset."""

__version__ = "0.1.0"
