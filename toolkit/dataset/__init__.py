"""The dataset: validated annotations -> a Hugging Face dataset folder, versioned and published.

`configs` (declared Features and rows of `documents`, `ner`, `relations`; the split rule), `build`
(parquet, card and the atomic folder swap), `card`, `manifest` (fingerprints, semver rules,
changelog), `release` (versioned builds recorded in releases/) and `publish` (to the Hub).
"""
