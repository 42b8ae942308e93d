"""Adjudication: one gold annotation per document annotated by several people.

`config` (reviewers and policy), `decide` (voting and conflicts for one document), `apply` (every
document, stored as the file's `adjudicated` key), `review` (conflicts as Label Studio review
tasks) and `report` (the terminal report). Which annotation counts afterwards is `records.gold`.
"""
