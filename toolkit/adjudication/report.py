"""The adjudication report for the terminal."""

from __future__ import annotations

from .apply import AdjudicationResult


def report(result: AdjudicationResult) -> str:
    """What was decided per document, every conflict with who said what, and a one-line summary."""
    out = []
    for d in result.decisions:
        how = {"ground_truth": f"ground truth by {d.decided_by}", "reviewer": f"reviewer {d.decided_by}"}.get(
            d.method, f"policy {d.method}"
        )
        state = f"{len(d.conflicts)} conflict(s), held back" if d.conflicts else "resolved"
        out.append(
            f"{d.doc_id}: {len(d.annotators)} annotators, {how}: {len(d.entities)} entities, "
            f"{len(d.relations)} relations; {state}"
        )
        for c in d.conflicts:
            out.append(f"  conflict {c.kind} {c.item}: {c.reason}")
            out += [f"    {who}: {said}" for who, said in c.votes.items()]
    out += [f"skipped {s}" for s in result.skipped]
    out += [f"{doc_id}: fewer than two annotators now, adjudicated gold removed" for doc_id in result.cleared]
    out.append(
        f"{len(result.decisions)} document(s) adjudicated, {len(result.held_back)} held back with conflicts; "
        f"{result.single} with one annotator used as is; {len(result.written)} file(s) written"
    )
    return "\n".join(out) + "\n"
