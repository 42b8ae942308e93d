"""A fast "is this Label Studio task clean?" predicate for the validation hot path.

It answers only yes or no, on the raw exported dicts, without building records. A yes must mean
that the full checks (`validate.check_document` on the converted task) would report nothing; any
doubt answers no, and the full checks then run and produce the detailed problems. A test keeps
the two in agreement on every data case, so the full checks stay the single source of messages.
"""

from __future__ import annotations

from typing import Any

from ..labelschema import NO_RELATION, LabelSchema


class FastCheck:
    def __init__(self, labels: LabelSchema):
        self.controls = labels.controls
        self.multiple = labels.relation_choice == "multiple"
        self.allowed = labels.allowed_triples
        self.symmetric = frozenset(n for n, rt in labels.relation_types.items() if rt.symmetric)

    def clean(self, task: dict[str, Any]) -> tuple[int, int] | None:
        """(entities, relations) when the task is certainly clean, else None."""
        text = task["data"][self.controls.value]
        annotations = task.get("annotations")
        if not annotations or any(isinstance(p, dict) for p in task.get("predictions") or ()):
            return None  # unannotated, or predictions to check: the full path counts and checks them
        n_ents = n_rels = 0
        for ann in annotations:
            if ann.get("was_cancelled"):
                return None
            counts = self._annotation(text, ann.get("result") or ())
            if counts is None:
                return None
            n_ents += counts[0]
            n_rels += counts[1]
        return n_ents, n_rels

    def _annotation(self, text: str, results: Any) -> tuple[int, int] | None:
        n = len(text)
        spans: dict[Any, str] = {}
        keys: list[tuple[int, int, str]] = []
        rels = []
        for res in results:
            rtype = res.get("type")
            if rtype == "labels":
                if res["from_name"] != self.controls.labels or res["to_name"] != self.controls.text:
                    return None
                value = res["value"]
                start, end, label = value["start"], value["end"], value["labels"][0]
                if (
                    type(start) is not int
                    or type(end) is not int
                    or start >= end
                    or end > n
                    or text[start].isspace()
                    or text[end - 1].isspace()
                ):
                    return None
                span_text = value.get("text")
                if (span_text is not None and text[start:end] != span_text) or res["id"] in spans:
                    return None
                spans[res["id"]] = label
                keys.append((start, end, label))
            elif rtype == "relation":
                rels.append(res)
            else:
                return None
        keys.sort()
        max_end, prev = -1, None
        for key in keys:
            if key == prev or key[0] < max_end:  # duplicate span, or any overlap
                return None
            prev, max_end = key, key[1]
        n_rels = self._relations(spans, rels)
        return None if n_rels is None else (len(keys), n_rels)

    def _relations(self, spans: dict[Any, str], rels: list[dict[str, Any]]) -> int | None:
        allowed, symmetric = self.allowed, self.symmetric
        seen = set()
        pairs: set[tuple[Any, Any]] = set()
        count = 0
        for rel in rels:
            labels = rel.get("labels")
            if not labels or (len(labels) > 1 and (not self.multiple or NO_RELATION in labels)):
                return None
            head, tail, direction = rel["from_id"], rel["to_id"], rel.get("direction", "right")
            if direction == "left":
                head, tail = tail, head
            hl, tl = spans.get(head), spans.get(tail)
            if hl is None or tl is None or head == tail:
                return None
            pair = (min(head, tail), max(head, tail)) if labels[0] in symmetric else (head, tail)
            if pair in pairs:
                return None  # a second relation between the same spans: the full path decides
            pairs.add(pair)
            for label in labels:
                if (label, hl, tl) not in allowed or (direction == "bi" and label not in symmetric):
                    return None
                key = (tail, head, label) if label in symmetric and tail < head else (head, tail, label)
                if key in seen:
                    return None
                seen.add(key)
            count += len(labels)
        return count
