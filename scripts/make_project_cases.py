"""Write the external-looking project cases under tests/data/projects/ and a few validation cases.

They imitate what other teams' Label Studio servers export (the shapes Label Studio 1.23 writes):
a TACRED-style relation project with `no_relation` and 40+ labels, Label Studio's own NER example
(a control named `ner`, string annotation ids), and one Dutch court-judgment project annotated by
two people on two separate servers where each of them is user 1 and no task has a doc_id.
Run: .venv/bin/python scripts/make_project_cases.py (deterministic; the output is committed).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
OUT = DATA / "projects"

TACRED_ENTITIES = ["PERSON", "ORGANIZATION", "CITY", "STATE/PROVINCE", "COUNTRY", "DATE", "TITLE", "NUMBER",
                   "NATIONALITY", "RELIGION", "CRIMINAL_CHARGE", "CAUSE_OF_DEATH", "MISC"]  # fmt: skip
TACRED_RELATIONS = [
    "no_relation", "org:alternate_names", "org:city_of_headquarters", "org:country_of_headquarters", "org:dissolved",
    "org:founded", "org:founded_by", "org:member_of", "org:members", "org:number_of_employees/members",
    "org:parents", "org:political/religious_affiliation", "org:shareholders", "org:stateorprovince_of_headquarters",
    "org:subsidiaries", "org:top_members/employees", "org:website", "per:age", "per:alternate_names",
    "per:cause_of_death", "per:charges", "per:children", "per:cities_of_residence", "per:city_of_birth",
    "per:city_of_death", "per:countries_of_residence", "per:country_of_birth", "per:country_of_death",
    "per:date_of_birth", "per:date_of_death", "per:employee_of", "per:origin", "per:other_family", "per:parents",
    "per:religion", "per:schools_attended", "per:siblings", "per:spouse", "per:stateorprovince_of_birth",
    "per:stateorprovince_of_death", "per:stateorprovinces_of_residence", "per:title",
]  # fmt: skip

COURT_TEXTS = [
    "De rechtbank Amsterdam veroordeelt Jan de Vries tot een taakstraf. Hij werkte bij Bouwbedrijf Noord B.V.",
    "Het gerechtshof Den Haag bevestigt het vonnis tegen Maria Jansen, directeur van Transport Oost B.V.",
    "De officier van justitie eiste in Utrecht een boete tegen Pieter Bakker en Handelsonderneming West.",
]
COURT_ENTITIES = ["PERSOON", "ORGANISATIE", "GERECHT", "PLAATS"]
COURT_RELATIONS = ["werkt_bij", "leidt", "gevestigd_in", "veroordeelt"]


def region(rid: str, text: str, surface: str, label: str, control: str = "label", nth: int = 0) -> dict[str, Any]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(surface, start + 1)
    value = {"start": start, "end": start + len(surface), "text": surface, "labels": [label]}
    return {"id": rid, "from_name": control, "to_name": "text", "type": "labels", "origin": "manual", "value": value}


def relation(head: str, tail: str, *labels: str) -> dict[str, Any]:
    return {"from_id": head, "to_id": tail, "type": "relation", "direction": "right", "labels": list(labels)}


def task(tid: int, data: dict[str, Any], annotations: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": tid, "annotations": annotations, "file_upload": "upload.json", "drafts": [], "predictions": [],
        "data": data, "meta": {}, "created_at": "2025-03-01T10:00:00.000000Z",
        "updated_at": "2025-03-02T10:00:00.000000Z", "inner_id": tid, "total_annotations": len(annotations),
        "cancelled_annotations": 0, "total_predictions": 0, "comment_count": 0, "unresolved_comment_count": 0,
        "last_comment_updated_at": None, "project": 7, "updated_by": 1, "comment_authors": [],
    }  # fmt: skip


def annotation(
    aid: int | str, tid: int, result: list[dict[str, Any]], user: int = 1, server: str = ""
) -> dict[str, Any]:
    return {
        "id": aid, "completed_by": user, "result": result, "was_cancelled": False, "ground_truth": False,
        "created_at": "2025-03-02T09:00:00.000000Z", "updated_at": "2025-03-02T09:30:00.000000Z",
        "draft_created_at": None, "lead_time": 42.0, "prediction": {}, "result_count": len(result),
        "unique_id": hashlib.sha256(f"{server}/{tid}/{aid}/{user}".encode()).hexdigest()[:32], "import_id": None,
        "last_action": None, "bulk_created": False,
        "task": tid, "project": 7, "updated_by": user, "parent_prediction": None, "parent_annotation": None,
        "last_created_by": None,
    }  # fmt: skip


def config(entities: list[str], relations: list[str], control: str = "label", choice: str = "single") -> str:
    lines = ["<View>", f'  <Labels name="{control}" toName="text">']
    lines += [
        f'    <Label value="{e}" background="#{(i * 2654435761) % 0xFFFFFF:06x}"/>' for i, e in enumerate(entities, 1)
    ]
    lines += ["  </Labels>", '  <Text name="text" value="$text" granularity="word"/>']
    if relations:
        lines.append(f'  <Relations choice="{choice}">')
        lines += [f'    <Relation value="{r}"/>' for r in relations]
        lines.append("  </Relations>")
    return "\n".join([*lines, "</View>"]) + "\n"


def tacred() -> None:
    folder = OUT / "tacred"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.xml").write_text(config(TACRED_ENTITIES, TACRED_RELATIONS))
    t1 = "Tom Thabane resigned in October last year to form the All Basotho Convention in Maseru."
    t2 = "Anna Kowalski, 52, was born in Gdansk and works for the Baltic Shipping Company."
    tasks = [
        task(1, {"text": t1, "doc_id": "tacred-1"}, [annotation(1, 1, [
            region("a", t1, "Tom Thabane", "PERSON"), region("b", t1, "All Basotho Convention", "ORGANIZATION"),
            region("c", t1, "Maseru", "CITY"), region("d", t1, "October last year", "DATE"),
            relation("b", "a", "org:founded_by"), relation("b", "c", "org:city_of_headquarters"),
            relation("a", "c", "no_relation"), relation("b", "d", "org:founded"),
        ])]),
        task(2, {"text": t2, "doc_id": "tacred-2"}, [annotation(2, 2, [
            region("a", t2, "Anna Kowalski", "PERSON"), region("b", t2, "52", "NUMBER"),
            region("c", t2, "Gdansk", "CITY"), region("d", t2, "Baltic Shipping Company", "ORGANIZATION"),
            relation("a", "b", "per:age"), relation("a", "c", "per:city_of_birth"),
            relation("a", "d", "per:employee_of"),
            relation("c", "d", "no_relation"),
        ])]),
    ]  # fmt: skip
    (folder / "export.json").write_text(json.dumps(tasks, indent=1, ensure_ascii=False) + "\n")


def ner_example() -> None:
    """Label Studio's own NER template: control `ner`, no relations, string annotation ids."""
    folder = OUT / "ner-example"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.xml").write_text(
        "<View>\n"
        '  <Labels name="ner" toName="text">\n'
        '    <Label value="Person" background="red"/>\n'
        '    <Label value="Organization" background="darkorange"/>\n'
        '    <Label value="Fact" background="orange"/>\n'
        '    <Label value="Money" background="green"/>\n'
        '    <Label value="Date" background="darkblue"/>\n'
        '    <Label value="Time" background="blue"/>\n'
        '    <Label value="Ordinal" background="purple"/>\n'
        '    <Label value="Percent" background="#842"/>\n'
        '    <Label value="Product" background="#428"/>\n'
        '    <Label value="Language" background="#482"/>\n'
        '    <Label value="Location" background="rgba(0,0,0,0.8)"/>\n'
        "  </Labels>\n"
        '  <Text name="text" value="$text"/>\n'
        "</View>\n"
    )
    text = "Apple paid $3 billion on Monday for a company in Cupertino."
    result = [region("r1", text, "Apple", "Organization", "ner"), region("r2", text, "$3 billion", "Money", "ner"),
              region("r3", text, "Monday", "Date", "ner"),
              region("r4", text, "Cupertino", "Location", "ner")]  # fmt: skip
    tasks = [task(11, {"text": text}, [annotation("ann-a7f3", 11, result)])]
    (folder / "export.json").write_text(json.dumps(tasks, indent=1, ensure_ascii=False) + "\n")


def court() -> None:
    """Two annotators, each on their own server as user 1, the same three judgments, no doc_id."""
    folder = OUT / "court-nl"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.xml").write_text(config(COURT_ENTITIES, COURT_RELATIONS))
    people = ["Jan de Vries", "Maria Jansen", "Pieter Bakker"]
    orgs = ["Bouwbedrijf Noord B.V.", "Transport Oost B.V.", "Handelsonderneming West"]
    courts = ["rechtbank Amsterdam", "gerechtshof Den Haag", None]
    for server, variant in (("server-a", 0), ("server-b", 1)):
        tasks = []
        for i, text in enumerate(COURT_TEXTS):
            res = [region("p", text, people[i], "PERSOON"), region("o", text, orgs[i], "ORGANISATIE")]
            if courts[i]:
                res.append(region("g", text, courts[i], "GERECHT"))
                res.append(relation("g", "p", "veroordeelt"))
            if i == 0:
                res.append(relation("p", "o", "werkt_bij"))
            if i == 1:  # the two annotators disagree: employee or leader
                res.append(relation("p", "o", "leidt" if variant else "werkt_bij"))
            if i == 2 and variant:
                res.append(region("u", text, "Utrecht", "PLAATS"))
            tasks.append(task(101 + i, {"text": text}, [annotation(201 + i, 101 + i, res, server=server)]))
        (folder / f"{server}.json").write_text(json.dumps(tasks, indent=1, ensure_ascii=False) + "\n")


def json_min() -> None:
    """The same kind of project exported as JSON-MIN: flat records without data/annotations."""
    text = COURT_TEXTS[0]
    span = region("p", text, "Jan de Vries", "PERSOON")["value"]
    records = [{"text": text, "id": 101, "label": [span], "annotator": 1, "annotation_id": 201,
                "created_at": "2025-03-02T09:00:00.000000Z", "updated_at": "2025-03-02T09:30:00.000000Z",
                "lead_time": 42.0}]  # fmt: skip
    (OUT / "court-nl" / "json-min.json").write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    tacred()
    ner_example()
    court()
    json_min()
    print(f"wrote the project cases under {OUT}")
