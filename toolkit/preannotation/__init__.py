"""Pre-annotation: Label Studio predictions that annotators correct instead of starting from nothing.

`spans` (word-edge spans, longest first), `gazetteer` (forms already labelled), `patterns` (regular
expressions beside the label schema), `model` (any `text -> spans` callable, or spaCy), `predict`
(combining them into checked predictions) and `evaluate` (what the proposals save).
"""
