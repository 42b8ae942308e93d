"""`make bench`, Label Studio stages: push and pull beside the raw API of the same server, in the same run.

For each back end (SQLite, then PostgreSQL) a fresh Label Studio is started with the toolkit's own
`server.start` on a fresh data folder; on PostgreSQL it runs on a cluster the toolkit creates in that
folder, as with `LABEL_STUDIO_DB=postgresql`. Servers and cluster are stopped afterwards, also on error.
Every measured stage is its own process:
- push of N new tasks, beside Label Studio's own bulk import (`POST /api/projects/{id}/import`,
  batches of 1,000) into another new project;
- push of the same N tasks again (nothing new);
- full pull of N annotated tasks (2 spans and a relation each), beside the raw JSON export of the
  same project; then a pull with nothing changed.

The machine may be busy with other work: the 1-minute load average is printed beside each stage,
and a stage measured under a high load is measured again (the calmer run is kept).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ..labelschema import LabelSchema, label_config
from ..labelstudio import postgres
from ..labelstudio.server import SQLITE, free_port, start, stop_all
from ..labelstudio.settings import DB_NAME, DB_ROLE, Connection, Database, PostgresServer
from .measure import run
from .synth import WORDS

BACKENDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
CORES = os.cpu_count() or 1
HIGH_LOAD = 1.5 * CORES  # a 1-minute load above this: the stage is measured again

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


@dataclass
class Row:
    backend: str
    stage: str
    n: int
    ours: float  # toolkit seconds
    raw: float | None  # raw limit seconds, measured beside it
    target: str
    met: bool
    ratio: str
    rss: float  # toolkit's peak RSS, MB
    load: float  # 1-minute load average at the stage's start


def synthetic_task(i: int, annotated: bool, chars: int = 3400) -> dict[str, Any]:
    """About `chars` characters; annotated: a PERSON visits a GPE, valid under the default schema."""
    words, size, k = ["Anna Berg met officials in Oslo."], 33, i
    while size < chars:
        words.append(WORDS[k % len(WORDS)])
        size += len(words[-1]) + 1
        k = k * 31 + 7
    text = " ".join(words)
    task: dict[str, Any] = {"data": {"doc_id": f"bench-{i:06d}", "text": text, "source": "SYNTH", "date": "2024-01-01"}}
    if annotated:
        b = text.index("Oslo")
        result = [
            {"id": "r1", "from_name": "label", "to_name": "text", "type": "labels",
             "value": {"start": 0, "end": 9, "text": "Anna Berg", "labels": ["PERSON"]}},
            {"id": "r2", "from_name": "label", "to_name": "text", "type": "labels",
             "value": {"start": b, "end": b + 4, "text": "Oslo", "labels": ["GPE"]}},
            {"from_id": "r1", "to_id": "r2", "type": "relation", "direction": "right", "labels": ["visits"]},
        ]  # fmt: skip
        task["annotations"] = [{"result": result}]
    return task


def write_tasks(path: Path, n: int, annotated: bool) -> None:
    with path.open("wb") as fh:
        for i in range(n):
            fh.write(orjson.dumps(synthetic_task(i, annotated)) + b"\n")


@contextmanager
def server(folder: Path, binary: Path, backend: str) -> Iterator[tuple[Connection, dict[str, float]]]:
    """A fresh Label Studio on `backend` in `folder/ls`, and how long its set-up took (seconds).

    On PostgreSQL the cluster is the toolkit's own (`LABEL_STUDIO_DB=postgresql`): created in the
    data folder, then Label Studio's first start (its migrations) on it. Both are stopped at the end.
    """
    data, token = folder / f"ls-{backend}", secrets.token_hex(20)
    database, setup = SQLITE, {}
    try:
        if backend == "postgresql":
            folder.chmod(0o711)  # under root the cluster runs as `postgres`, who must pass through
            pg = PostgresServer("127.0.0.1", free_port(), DB_NAME, DB_ROLE, secrets.token_urlsafe(16))
            t = time.perf_counter()
            database = Database("cluster", postgres.ensure_cluster(data, pg))
            setup["cluster creation"] = time.perf_counter() - t
        t = time.perf_counter()
        login = ("bench@example.com", secrets.token_urlsafe(12))
        info = start(data, free_port(), *login, token, binary, database=database)
        setup["first Label Studio start"] = time.perf_counter() - t
        yield Connection(info.url, token), setup
    finally:
        stop_all(data)


def _load() -> float:
    return os.getloadavg()[0]


def measured(
    do: Callable[[int], tuple[float, float | None, float]], retries: int = 1
) -> tuple[float, float | None, float, float]:
    """(toolkit s, raw s, toolkit peak MB, load) of `do(attempt)`; the load is the 1-minute load average
    at its start (the server and the stage itself add to it while it runs). Measured again when that
    load was high; the calmer run is kept."""
    best: tuple[float, float | None, float, float] | None = None
    for attempt in range(retries + 1):
        load = _load()
        ours, raw, rss = do(attempt)
        if best is None or load < best[3]:
            best = (ours, raw, rss, load)
        if load <= HIGH_LOAD or attempt == retries:
            break
        print(f"  (load {load:.1f} > {HIGH_LOAD:.1f} on {CORES} cores at the start: measuring again)", flush=True)
    assert best is not None
    return best


class Stages:
    """The four stages on one server; task files and label config in `folder`."""

    def __init__(self, n: int, folder: Path, conn: Connection, backend: str) -> None:
        self.n, self.folder, self.conn, self.backend = n, folder, conn, BACKENDS[backend]
        self.py = sys.executable
        self.tk = [self.py, "-m", "toolkit"]
        self.config = folder / "config.xml"
        self.plain, self.annotated = folder / "plain.jsonl", folder / "annotated.jsonl"
        os.environ.update(LABEL_STUDIO_URL=conn.url, LABEL_STUDIO_API_KEY=conn.api_key)

    def raw_import(self, title: str, path: Path) -> tuple[float, str]:
        args = [self.conn.url, self.conn.api_key, title, str(self.config), str(path)]
        wall, _, out = run([self.py, "-c", RAW_IMPORT, *args])
        return wall, out.strip()

    def push(self, attempt: int) -> tuple[float, float | None, float]:
        os.chdir(self.workdir(f"push-{attempt}"))
        raw, _ = self.raw_import(f"raw-import-{attempt}", self.plain)
        ours, rss, _ = run([*self.tk, "push", str(self.plain), "--project", f"bench-push-{attempt}"])
        self.pushed = attempt
        return ours, raw, rss

    def push_again(self, attempt: int) -> tuple[float, float | None, float]:
        os.chdir(self.workdir(f"push-{self.pushed}"))
        ours, rss, _ = run([*self.tk, "push", str(self.plain), "--project", f"bench-push-{self.pushed}"])
        return ours, None, rss

    def pull(self, attempt: int) -> tuple[float, float | None, float]:
        os.chdir(self.workdir(f"pull-{attempt}", fresh=True))
        raw, _, _ = run([self.py, "-c", RAW_EXPORT, self.conn.url, self.conn.api_key, self.pid, "raw.json"])
        ours, rss, _ = run([*self.tk, "pull", "--project", "bench-pull", "--full", "-o", "annotations"])
        self.pulled = attempt
        return ours, raw, rss

    def pull_again(self, attempt: int) -> tuple[float, float | None, float]:
        os.chdir(self.workdir(f"pull-{self.pulled}"))
        ours, rss, _ = run([*self.tk, "pull", "--project", "bench-pull", "-o", "annotations"])
        return ours, None, rss

    def workdir(self, name: str, fresh: bool = False) -> Path:
        path = self.folder / self.backend / name
        if fresh:
            shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def all(self) -> list[Row]:
        ours, raw, rss, load = measured(self.push)
        rows = [self.against_raw("push, new tasks", ours, raw, rss, load)]
        ours, _, rss, load = measured(self.push_again)
        rows.append(self.row("push again, nothing new", ours, "< 3 s", ours < 3, "–", rss, load))
        print(f"  {self.backend}: importing {self.n:,} annotated tasks for the pull stages", flush=True)
        _, self.pid = self.raw_import("bench-pull", self.annotated)
        full, raw, rss, load = measured(self.pull)
        rows.append(self.against_raw("pull, full (2 spans + 1 relation each)", full, raw, rss, load))
        ours, _, rss, load = measured(self.pull_again)
        share, met = f"{ours / full:.0%} of full", ours < 0.1 * full
        rows.append(self.row("pull again, nothing changed", ours, "< 10% of full pull", met, share, rss, load))
        return rows

    def row(self, stage: str, ours: float, target: str, met: bool, ratio: str, rss: float, load: float) -> Row:
        return Row(self.backend, stage, self.n, ours, None, target, met, ratio, rss, load)

    def against_raw(self, stage: str, ours: float, raw: float | None, rss: float, load: float) -> Row:
        """Toolkit rate over raw rate (N / s each), target at least 0.8."""
        assert raw is not None
        ratio, target = raw / ours, "≥ 0.8× raw rate"
        return Row(self.backend, stage, self.n, ours, raw, target, ratio >= 0.8, f"{ratio:.2f}× raw", rss, load)


def table(rows: list[Row]) -> str:
    out = [
        "| back end | stage | N | toolkit s | raw limit s | ratio | target | met | peak RSS MB | load at start |",
        "|---|---|---:|---:|---:|---|---|---|---:|---:|",
    ]
    for r in rows:
        raw = f"{r.raw:.1f}" if r.raw is not None else "–"
        out.append(
            f"| {r.backend} | {r.stage} | {r.n:,} | {r.ours:.2f} | {raw} | {r.ratio} | {r.target} | "
            f"{'yes' if r.met else '**no**'} | {r.rss:.0f} | {r.load:.1f} |"
        )
    return "\n".join(out)


def run_backends(n: int, backends: list[str], binary: Path) -> int:
    """Every back end in turn; prints the one table, the set-up times and the load. 0 when every target is met."""
    rows: list[Row] = []
    setups: dict[str, dict[str, float]] = {}
    home = Path.cwd()
    folder = Path(tempfile.mkdtemp(prefix="toolkit-bench-ls-"))
    try:
        config = folder / "config.xml"
        config.write_text(label_config(LabelSchema.load()))
        write_tasks(folder / "plain.jsonl", n, annotated=False)
        write_tasks(folder / "annotated.jsonl", n, annotated=True)
        for backend in backends:
            print(f"Label Studio on {BACKENDS[backend]}: starting a fresh server", flush=True)
            with server(folder, binary, backend) as (conn, setup):
                setups[BACKENDS[backend]] = setup
                rows += Stages(n, folder, conn, backend).all()
    finally:
        os.chdir(home)
        shutil.rmtree(folder, ignore_errors=True)
    print(f"\nLabel Studio: push and pull, {n:,} tasks, each stage its own process (load average now "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} on {CORES} cores)\n")  # fmt: skip
    print(table(rows))
    print()
    for backend, setup in setups.items():
        parts = ", ".join(f"{k} {v:.1f} s" for k, v in setup.items())
        print(f"{backend} set-up: {parts} (total {sum(setup.values()):.1f} s)")
    return 0 if all(r.met for r in rows) else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", type=int, default=int(os.environ.get("BENCH_LS_TASKS", 10_000)))
    ap.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    ap.add_argument("--label-studio", type=Path, default=Path(".venv-ls/bin/label-studio").resolve())
    args = ap.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = [b for b in backends if b not in BACKENDS]
    if unknown:
        ap.error(f"unknown back end(s) {', '.join(unknown)}; pick from {', '.join(BACKENDS)}")
    return run_backends(args.tasks, backends, args.label_studio)


if __name__ == "__main__":
    sys.exit(main())
