"""Annotate the bundled seed article through a real Label Studio (provenance of annotations/).

Mentions are listed in reading order; each is located by a word-boundary search from the end of
the previous one, so the offsets are computed, never typed. The annotation is created with the
Label Studio API on the task that `toolkit push` made; `toolkit pull` then writes annotations/.

    LABEL_STUDIO_URL=... LABEL_STUDIO_API_KEY=... python scripts/annotate_seed.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from label_studio_sdk import LabelStudio

from toolkit.labelstudio.settings import connection

DOC_ID = "000_502a72c922326d2e"

# (key, surface text, label) in reading order.
MENTIONS = [
    ("testimony", "testimony", "EVENT"),
    ("us1", "United States", "GPE"),
    ("hasc", "House Armed Services Committee", "ORG"),
    ("us2", "United States", "GPE"),
    ("secdef", "Secretary of Defense", "ROLE"),
    ("austin1", "Lloyd Austin", "PERSON"),
    ("nk1", "North Korea", "GPE"),
    ("ru1", "Russia", "GPE"),
    ("austin2", "Austin", "PERSON"),
    ("moscow", "Moscow", "GPE"),
    ("pyongyang1", "Pyongyang", "GPE"),
    ("nk_adj1", "North Korean", "NORP"),
    ("leader", "leader", "ROLE"),
    ("kim1", "Kim Jong-un", "PERSON"),
    ("ru2", "Russia", "GPE"),
    ("dprk_full", "Democratic People's Republic of Korea", "GPE"),
    ("dprk1", "DPRK", "GPE"),
    ("kim2", "Kim", "PERSON"),
    ("visit", "visit", "EVENT"),
    ("ru3", "Russia", "GPE"),
    ("talks", "talks", "EVENT"),
    ("president", "President", "ROLE"),
    ("putin", "Vladimir Putin", "PERSON"),
    ("sept", "September last year", "DATE"),
    ("meetings", "meetings", "EVENT"),
    ("pyongyang2", "Pyongyang", "GPE"),
    ("july", "last July", "DATE"),
    ("austin3", "Austin", "PERSON"),
    ("nk2", "North Korea", "GPE"),
    ("ru4", "Russia", "GPE"),
    ("iran1", "Iran", "GPE"),
    ("prc_full", "People's Republic of China", "GPE"),
    ("prc", "PRC", "GPE"),
    ("pentagon1", "Pentagon", "ORG"),
    ("ru5", "Russia", "GPE"),
    ("china", "China", "GPE"),
    ("nk3", "North Korea", "GPE"),
    ("iran2", "Iran", "GPE"),
    ("general", "General", "ROLE"),
    ("brown", "Charles Brown", "PERSON"),
    ("us3", "United States", "GPE"),
    ("jcs", "Joint Chiefs of Staff", "ORG"),
    ("austin4", "Austin", "PERSON"),
    ("austin5", "Austin", "PERSON"),
    ("ru6", "Russia", "GPE"),
    ("nk4", "North Korea", "GPE"),
    ("shells", "artillery shells", "WEAPON"),
    ("munitions", "munitions", "WEAPON"),
    ("ukraine_conflict", "Ukraine conflict", "EVENT"),
    ("nk_adj2", "North Korean", "NORP"),
    ("russian", "Russian", "NORP"),
    ("us4", "United States", "GPE"),
    ("ne_asian", "Northeast Asian", "NORP"),
    ("dprk2", "DPRK", "GPE"),
    ("nk5", "North Korea", "GPE"),
    ("ru7", "Russia", "GPE"),
    ("pentagon2", "Pentagon", "ORG"),
]

# (head, relation, tail): what the text states.
RELATIONS = [
    ("austin1", "holds_role", "secdef"),
    ("austin1", "member_of", "us2"),
    ("austin1", "testifies_before", "hasc"),
    ("austin1", "participates_in", "testimony"),
    ("hasc", "part_of", "us1"),
    ("nk1", "cooperates_with", "ru1"),
    ("moscow", "cooperates_with", "pyongyang1"),
    ("kim1", "holds_role", "leader"),
    ("kim1", "leader_of", "nk1"),
    ("ru2", "cooperates_with", "dprk_full"),
    ("kim2", "visits", "ru3"),
    ("kim2", "participates_in", "visit"),
    ("kim2", "meets_with", "putin"),
    ("kim2", "participates_in", "talks"),
    ("putin", "participates_in", "talks"),
    ("putin", "holds_role", "president"),
    ("putin", "leader_of", "ru3"),
    ("visit", "located_in", "ru3"),
    ("talks", "occurred_on", "sept"),
    ("visit", "occurred_on", "sept"),
    ("meetings", "located_in", "pyongyang2"),
    ("meetings", "occurred_on", "july"),
    ("nk2", "cooperates_with", "ru4"),
    ("nk2", "cooperates_with", "iran1"),
    ("nk2", "cooperates_with", "prc_full"),
    ("pentagon1", "part_of", "us3"),
    ("brown", "holds_role", "general"),
    ("brown", "member_of", "jcs"),
    ("jcs", "part_of", "us3"),
    ("austin5", "accuses", "ru6"),
    ("nk4", "supplies", "ru6"),
    ("ru6", "participates_in", "ukraine_conflict"),
    ("nk_adj2", "accuses", "us4"),
    ("russian", "accuses", "us4"),
    ("nk5", "cooperates_with", "ru7"),
]


def locate(text: str) -> dict[str, tuple[int, int, str, str]]:
    spans: dict[str, tuple[int, int, str, str]] = {}
    cursor = 0
    for key, surface, label in MENTIONS:
        m = re.compile(rf"(?<!\w){re.escape(surface)}(?!\w)").search(text, cursor)
        if m is None:
            raise SystemExit(f"mention {key!r} ({surface!r}) not found after offset {cursor}")
        spans[key] = (m.start(), m.end(), label, surface)
        cursor = m.end()
    return spans


def result(text: str) -> list[dict[str, object]]:
    spans = locate(text)
    out: list[dict[str, object]] = [
        {
            "id": key,
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "origin": "manual",
            "value": {"start": s, "end": e, "text": surface, "labels": [label]},
        }
        for key, (s, e, label, surface) in spans.items()
    ]
    out += [
        {"from_id": h, "to_id": t, "type": "relation", "direction": "right", "labels": [rel]} for h, rel, t in RELATIONS
    ]
    return out


def main() -> int:
    conn = connection(Path(".env"))
    ls = LabelStudio(base_url=conn.url, api_key=conn.api_key)
    project = next((p for p in ls.projects.list(title="News relations") if p.title == "News relations"), None)
    if project is None:
        print("push the seed article first: make push", file=sys.stderr)
        return 1
    for task in ls.tasks.list(project=project.id):
        if task.data.get("doc_id") == DOC_ID:
            res = result(task.data["text"])
            ann = ls.annotations.create(id=task.id, result=res, ground_truth=True)
            print(f"annotation {ann.id} on task {task.id}: {len(MENTIONS)} entities, {len(RELATIONS)} relations")
            return 0
    print(f"task {DOC_ID} not found in project {project.id}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
