"""Release manifests, the semantic-versioning rules between two of them, and the changelog."""

from __future__ import annotations

import hashlib
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ..errors import ToolkitError
from ..io.reader import load_json
from ..labelschema import LabelSchema
from ..records import Annotation, Document

SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
BUMPS = ("none", "patch", "minor", "major")


def parse_version(version: str) -> tuple[int, int, int]:
    m = SEMVER.match(version)
    if not m:
        raise ToolkitError(f"version {version!r} is not MAJOR.MINOR.PATCH (for example 1.2.0)")
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def document_fingerprint(doc: Document, ann: Annotation) -> str:
    """Content of one released document: text, metadata, spans and relations (not ids, not who)."""
    by_id = {e.id: (e.start, e.end, e.label) for e in ann.entities}
    body = {
        "text": doc.text,
        "meta": {k: doc.meta.get(k) for k in ("source", "date", "title")},
        "entities": sorted([e.start, e.end, e.label] for e in ann.entities),
        "relations": sorted([list(by_id[r.head]), list(by_id[r.tail]), r.label] for r in ann.relations),
    }
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def schema_summary(labels: LabelSchema) -> dict[str, Any]:
    return {
        "name": labels.name,
        "version": labels.version,
        "sha256": labels.fingerprint,
        "entities": list(labels.entity_names),
        "relations": {
            n: {"head": sorted(rt.head), "tail": sorted(rt.tail), "symmetric": rt.symmetric}
            for n, rt in labels.relation_types.items()
        },
    }


def annotations_commit(paths: list[Path]) -> dict[str, Any] | None:
    """The git commit the annotations come from, and whether they differ from it."""
    where = next((p for p in paths if p.exists()), None)
    if where is None:
        return None
    cwd = where if where.is_dir() else where.parent
    try:
        sha = subprocess.run(
            ["git", "log", "-1", "--format=%H", "--", "."], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "."], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return {"commit": sha or None, "uncommitted_changes": bool(dirty)}


@dataclass
class BumpCheck:
    required: str  # none | patch | minor | major
    reasons: list[str]


def required_bump(prev: dict[str, Any], new: dict[str, Any]) -> BumpCheck:
    """What the changes between two manifests demand under semantic versioning."""
    reasons: dict[str, list[str]] = {b: [] for b in BUMPS}
    ps, ns = prev["label_schema"], new["label_schema"]
    for kind, noun in (("entities", "entity"), ("relations", "relation")):
        old, cur = set(ps[kind]), set(ns[kind])
        if old - cur:
            reasons["major"].append(f"{noun} label(s) {sorted(old - cur)} removed or renamed")
        if cur - old:
            reasons["minor"].append(f"{noun} label(s) {sorted(cur - old)} added")
    for name in sorted(set(ps["relations"]) & set(ns["relations"])):
        if ps["relations"][name] != ns["relations"][name]:
            reasons["major"].append(f"allowed types of relation {name!r} changed")
    pd, nd = prev["documents"], new["documents"]
    if set(pd) - set(nd):
        reasons["major"].append(f"{len(set(pd) - set(nd))} document(s) removed")
    if set(nd) - set(pd):
        reasons["minor"].append(f"{len(set(nd) - set(pd))} document(s) added")
    changed = [d for d in set(pd) & set(nd) if pd[d]["fingerprint"] != nd[d]["fingerprint"]]
    if changed:
        reasons["patch"].append(f"{len(changed)} document(s) with corrected annotations")
    if ps["sha256"] != ns["sha256"] and not any(reasons[b] for b in ("minor", "major")):
        reasons["patch"].append("label schema descriptions changed")
    for bump in reversed(BUMPS[1:]):
        if reasons[bump]:
            return BumpCheck(bump, reasons[bump])
    return BumpCheck("none", [])


def bump_kind(prev: str, new: str) -> str | None:
    """major/minor/patch when `new` is above `prev`, else None."""
    a, b = parse_version(prev), parse_version(new)
    if b <= a:
        return None
    if b[0] > a[0]:
        return "major"
    return "minor" if b[1] > a[1] else "patch"


def check_version(prev: dict[str, Any] | None, new: dict[str, Any]) -> None:
    """Refuse a version that is not above the previous one or bumps less than the changes need."""
    version = new["version"]
    parse_version(version)
    if prev is None:
        return
    need = required_bump(prev, new)
    if need.required == "none":
        raise ToolkitError(
            f"nothing changed since v{prev['version']} (same documents, annotations and label "
            "schema); there is nothing to release"
        )
    kind = bump_kind(prev["version"], version)
    if kind is None:
        raise ToolkitError(f"version {version} is not above the previous release {prev['version']}")
    if BUMPS.index(kind) < BUMPS.index(need.required):
        major, minor, patch = parse_version(prev["version"])
        suggest = {
            "major": f"{major + 1}.0.0",
            "minor": f"{major}.{minor + 1}.0",
            "patch": f"{major}.{minor}.{patch + 1}",
        }
        raise ToolkitError(
            f"{version} is a {kind} bump from {prev['version']}, but these changes need a {need.required} bump "
            f"({'; '.join(need.reasons)}): release {suggest[need.required]} instead"
        )


LISTED = 20  # layout 2: document ids named per changelog line; the rest are counted


def changelog_entry(prev: dict[str, Any] | None, cur: dict[str, Any]) -> str:
    """One release's entry; layout 2 also names label and constraint changes and caps id lists."""
    layout = cur.get("layout", 1)
    lines = [f"## v{cur['version']}", ""]
    docs, pdocs = cur["documents"], (prev or {}).get("documents", {})
    added = sorted(set(docs) - set(pdocs))
    removed = sorted(set(pdocs) - set(docs))
    changed = sorted(d for d in set(docs) & set(pdocs) if docs[d]["fingerprint"] != pdocs[d]["fingerprint"])
    if prev is None:
        lines.append(f"First release: {len(docs)} document(s).")
    else:
        for title, items in (("added", added), ("removed", removed), ("changed", changed)):
            shown = items[:LISTED] if layout >= 2 else items
            more = f" and {len(items) - len(shown)} more" if len(items) > len(shown) else ""
            lines.append(
                f"- documents {title} ({len(items)}): " + (", ".join(f"`{d}`" for d in shown) or "none") + more
            )
        if layout >= 2:
            lines += schema_changes(prev["label_schema"], cur["label_schema"])
    lines += ["", "| label | kind | count | change |", "|---|---|---|---|"]
    for kind, key in (("entity", "entity_counts"), ("relation", "relation_counts")):
        now, before = cur[key], (prev or {}).get(key, {})
        for label in sorted(set(now) | set(before)):
            delta = now.get(label, 0) - before.get(label, 0)
            lines.append(f"| `{label}` | {kind} | {now.get(label, 0)} | {delta:+d} |")
    return "\n".join(lines) + "\n"


def schema_changes(prev: dict[str, Any], cur: dict[str, Any]) -> list[str]:
    """Changelog lines naming labels added and removed and relations whose constraints changed."""
    lines = []
    for kind, noun in (("entities", "entity"), ("relations", "relation")):
        old, new = set(prev[kind]), set(cur[kind])
        for verb, names in (("added", new - old), ("removed", old - new)):
            if names:
                lines.append(f"- {noun} labels {verb}: " + ", ".join(f"`{n}`" for n in sorted(names)))
    for name in sorted(set(prev["relations"]) & set(cur["relations"])):
        a, b = prev["relations"][name], cur["relations"][name]
        if a != b:
            parts = [
                f"{key} {'/'.join(a[key]) or '-'} → {'/'.join(b[key]) or '-'}"
                for key in ("head", "tail")
                if a[key] != b[key]
            ]
            if a["symmetric"] != b["symmetric"]:
                parts.append(f"symmetric {'yes' if a['symmetric'] else 'no'} → {'yes' if b['symmetric'] else 'no'}")
            lines.append(f"- relation `{name}` constraints changed: " + "; ".join(parts))
    if prev.get("sha256") != cur.get("sha256") and not lines:
        lines.append("- label schema definitions or examples changed (no label added, removed or constrained)")
    return lines


def changelog(history: list[dict[str, Any]]) -> str:
    """All entries, newest first; `history` is oldest first."""
    entries = [changelog_entry(history[i - 1] if i else None, m) for i, m in enumerate(history)]
    return "# Changelog\n\n" + "\n".join(reversed(entries))


def load_history(releases_dir: Path, up_to: str | None = None) -> list[dict[str, Any]]:
    """Recorded release manifests, oldest first (only those up to and including `up_to`)."""
    files = sorted(p for p in releases_dir.glob("*.json") if SEMVER.match(p.name.removesuffix(".json")))
    manifests = [load_json(p) for p in files] if releases_dir.is_dir() else []
    manifests.sort(key=lambda m: parse_version(m["version"]))
    if up_to is not None:
        limit = parse_version(up_to)
        manifests = [m for m in manifests if parse_version(m["version"]) <= limit]
    return manifests
