"""`make bench`, Label Studio stages: push and pull against the raw API on the same server, same minute.

A fresh Label Studio is started for the run (its own data folder). Every stage is its own process:
- push of N new tasks, beside Label Studio's own bulk import (`POST /api/projects/{id}/import`,
  batches of 1,000) into another new project;
- push of the same N tasks again (nothing new);
- full pull of N annotated tasks (2 spans and a relation each), beside the raw JSON export of the
  same project; then a pull with nothing changed.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from ..labelschema import LabelSchema, label_config
from ..labelstudio.server import free_port, start, stop
from ..labelstudio.settings import Connection
from .measure import run
from .synth import WORDS

RAW_IMPORT = r"""
import sys, httpx, orjson, time
url, key, title, config, path = sys.argv[1:6]
c = httpx.Client(base_url=url, headers={"Authorization": f"Token {key}"}, timeout=600)
pid = c.post("/api/projects", json={"title": title, "label_config": open(config).read()}).json()["id"]
tasks = [orjson.loads(line) for line in open(path, "rb")]
for i in range(0, len(tasks), 1000):
    c.post(f"/api/projects/{pid}/import", json=tasks[i:i + 1000]).raise_for_status()
print(pid)
"""

RAW_EXPORT = r"""
import sys, httpx
url, key, pid, out = sys.argv[1:5]
c = httpx.Client(base_url=url, headers={"Authorization": f"Token {key}"}, timeout=600)
with c.stream("GET", f"/api/projects/{pid}/export", params={"exportType": "JSON", "download_all_tasks": "true"}) as r:
    r.raise_for_status()
    with open(out, "wb") as fh:
        for chunk in r.iter_bytes(1 << 20):
            fh.write(chunk)
"""


def synthetic_task(i: int, annotated: bool, chars: int = 3400) -> dict[str, Any]:
    words = ["The minister met officials in the capital."]
    k = i
    while sum(len(w) + 1 for w in words) < chars:
        words.append(WORDS[k % len(WORDS)])
        k = k * 31 + 7
    text = " ".join(words)
    task: dict[str, Any] = {"data": {"doc_id": f"bench-{i:06d}", "text": text, "source": "SYNTH", "date": "2024-01-01"}}
    if annotated:
        a, b = text.index("minister"), text.index("capital")
        result = [
            {"id": "r1", "from_name": "label", "to_name": "text", "type": "labels",
             "value": {"start": a, "end": a + 8, "text": "minister", "labels": ["ROLE"]}},
            {"id": "r2", "from_name": "label", "to_name": "text", "type": "labels",
             "value": {"start": b, "end": b + 7, "text": "capital", "labels": ["GPE"]}},
            {"from_id": "r2", "to_id": "r1", "type": "relation", "direction": "right", "labels": ["part_of"]},
        ]  # fmt: skip
        task["annotations"] = [{"result": result}]
    return task


def write_tasks(path: Path, n: int, annotated: bool) -> None:
    with path.open("wb") as fh:
        for i in range(n):
            fh.write(orjson.dumps(synthetic_task(i, annotated)) + b"\n")


@contextmanager
def server(folder: Path, binary: Path) -> Iterator[Connection]:
    token = secrets.token_hex(20)
    info = start(folder / "ls", free_port(), "bench@example.com", secrets.token_urlsafe(12), token, binary)
    try:
        yield Connection(info.url, token)
    finally:
        stop(folder / "ls")


def stages(n: int, folder: Path, conn: Connection) -> list[tuple[str, float, float | None, float]]:
    """(stage, toolkit seconds, raw seconds or None, toolkit peak MB)."""
    py = sys.executable
    env_cmd = [py, "-m", "toolkit"]
    os.environ.update(LABEL_STUDIO_URL=conn.url, LABEL_STUDIO_API_KEY=conn.api_key)
    config = folder / "config.xml"
    config.write_text(label_config(LabelSchema.load()))
    plain, annotated = folder / "plain.jsonl", folder / "annotated.jsonl"
    write_tasks(plain, n, annotated=False)
    write_tasks(annotated, n, annotated=True)
    work = folder / "work"
    work.mkdir()
    os.chdir(work)
    raw_import, _, _ = run([py, "-c", RAW_IMPORT, conn.url, conn.api_key, "raw-import", str(config), str(plain)])
    push_new, push_mb, _ = run([*env_cmd, "push", str(plain), "--project", "bench-push"])
    push_again, again_mb, _ = run([*env_cmd, "push", str(plain), "--project", "bench-push"])
    _, _, pid = run([py, "-c", RAW_IMPORT, conn.url, conn.api_key, "bench-pull", str(config), str(annotated)])
    raw_export, _, _ = run([py, "-c", RAW_EXPORT, conn.url, conn.api_key, pid.strip(), str(folder / "raw.json")])
    pull_full, pull_mb, _ = run([*env_cmd, "pull", "--project", "bench-pull", "-o", "annotations"])
    pull_again, again_pull_mb, _ = run([*env_cmd, "pull", "--project", "bench-pull", "-o", "annotations"])
    return [
        ("push, new tasks", push_new, raw_import, push_mb),
        ("push again, nothing new", push_again, None, again_mb),
        ("pull, full (2 spans + 1 relation each)", pull_full, raw_export, pull_mb),
        ("pull again, nothing changed", pull_again, None, again_pull_mb),
    ]


def table(n: int, backend: str, rows: list[tuple[str, float, float | None, float]]) -> str:
    out = [
        f"| step ({backend}, {n:,} tasks) | toolkit s | raw limit s | toolkit / raw speed | peak RSS MB |",
        "|---|---|---|---|---|",
    ]
    for name, ours, raw, mb in rows:
        ratio = f"{raw / ours:.2f}x" if raw else "–"
        out.append(
            f"| {name} | {ours:.1f} | {raw:.1f} | {ratio} | {mb:.0f} |"
            if raw
            else f"| {name} | {ours:.2f} | – | {ratio} | {mb:.0f} |"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tasks", type=int, default=10_000)
    ap.add_argument("--label-studio", type=Path, default=Path(".venv-ls/bin/label-studio").resolve())
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="toolkit-bench-ls-") as tmp:
        folder = Path(tmp)
        with server(folder, args.label_studio) as conn:
            print(table(args.tasks, "SQLite", stages(args.tasks, folder, conn)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
