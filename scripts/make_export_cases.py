"""Make tests/data/valid/ cases from a REAL Label Studio export (emoji, CRLF, non-Latin scripts).

Tasks are pushed with the toolkit, annotated through the Label Studio API with code-point offsets
found by search, and the server's own JSON export is saved as the test case.

    LABEL_STUDIO_URL=... LABEL_STUDIO_API_KEY=... python scripts/make_export_cases.py
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

from label_studio_sdk import LabelStudio

from toolkit.ingest import parse_article_text
from toolkit.labelschema import LabelSchema
from toolkit.labelstudio.api import Api
from toolkit.labelstudio.push import Inputs, push
from toolkit.labelstudio.settings import connection
from toolkit.labelstudio.tasks import article_task

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "valid" / "labelstudio-export-unicode.json"

ARTICLES = {
    "emoji-crlf": (
        "Lloyd Austin 🇺🇸 met Kim Jong-un 😀 in Pyongyang.\r\nRussia denied the claims 🚀 on Tuesday.\r\n",
        [
            ("Lloyd Austin", "PERSON"),
            ("Kim Jong-un", "PERSON"),
            ("Pyongyang", "GPE"),
            ("Russia", "GPE"),
            ("Tuesday", "DATE"),
        ],
        [(0, "meets_with", 1), (1, "visits", 2)],
    ),
    "cyrillic": (
        "Владимир Путин встретился с Ким Чен Ыном в Москве.",
        [("Владимир Путин", "PERSON"), ("Ким Чен Ыном", "PERSON"), ("Москве", "GPE")],
        [(0, "meets_with", 1), (1, "visits", 2)],
    ),
    "arabic-cjk": (
        "زار الرئيس طهران. 习近平 访问了 莫斯科 𠀋。",
        [("طهران", "GPE"), ("习近平", "PERSON"), ("莫斯科", "GPE")],
        [(1, "visits", 2)],
    ),
}


def main() -> int:
    conn = connection(Path(".env"))
    labels = LabelSchema.load()
    title = f"export-cases-{uuid.uuid4().hex[:8]}"
    tasks = [article_task(parse_article_text(text, doc_id)) for doc_id, (text, _, _) in ARTICLES.items()]
    result = push(lambda: conn, labels, Inputs(labels, given=tasks), title, Path("build"))
    ls = LabelStudio(base_url=conn.url, api_key=conn.api_key)
    for task in ls.tasks.list(project=result.project_id):
        text, mentions, relations = ARTICLES[task.data["doc_id"]]
        regions = []
        for i, (surface, label) in enumerate(mentions):
            start = text.index(surface)  # a code-point offset, as Label Studio 1.23 stores them
            regions.append(
                {
                    "id": f"r{i}",
                    "from_name": "label",
                    "to_name": "text",
                    "type": "labels",
                    "value": {"start": start, "end": start + len(surface), "text": surface, "labels": [label]},
                }
            )
        regions += [
            {"from_id": f"r{h}", "to_id": f"r{t}", "type": "relation", "direction": "right", "labels": [rel]}
            for h, rel, t in relations
        ]
        ls.annotations.create(id=task.id, result=regions)
    with Api(conn) as api:
        path = api.export(result.project_id, OUT)
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path}: {len(data)} task(s) exported by Label Studio")
    return 0


if __name__ == "__main__":
    sys.exit(main())
