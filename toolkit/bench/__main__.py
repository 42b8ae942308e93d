"""`make bench`: throughput and peak memory of validation, of export (`bench.export`) and of Label Studio
push and pull on SQLite and PostgreSQL (`bench.labelstudio`), against baselines and raw limits measured
in the same run, as printed tables. `--stages` (BENCH_STAGES) picks some: validate, export, labelstudio.

Every measured stage runs as its own process, so its peak RSS is its own (read from wait4).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from ..labelschema import LabelSchema
from .export import main as export_stage
from .labelstudio import run_backends
from .measure import run
from .synth import write_export

BASELINE = r"""
import json, sys, time, jsonschema
from toolkit.labelschema import LabelSchema
path, sample = sys.argv[1], int(sys.argv[2])
schema = LabelSchema.load().json_schema("labelstudio-task.schema.json")
t0 = time.perf_counter()
tasks = json.load(open(path, encoding="utf-8"))
t1 = time.perf_counter()
errors = 0
for task in tasks[:sample]:
    errors += sum(1 for _ in jsonschema.Draft202012Validator(schema).iter_errors(task))
t2 = time.perf_counter()
print(len(tasks), t1 - t0, (t2 - t1) / sample, errors)
"""

PARSE_ONLY = r"""
import sys, orjson
n = 0
with open(sys.argv[1], "rb") as fh:
    for line in fh:
        orjson.loads(line)
        n += 1
print(n)
"""


STAGES = ("validate", "export", "labelstudio")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tasks", type=int, default=int(os.environ.get("BENCH_TASKS", 20000)))
    ap.add_argument("--baseline-sample", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=3, help="runs per stage; the median is reported")
    ap.add_argument("--dir", type=Path, default=Path("build/bench"))
    ap.add_argument(
        "--stages",
        default=os.environ.get("BENCH_STAGES") or ",".join(STAGES),
        help=f"comma-separated, of {', '.join(STAGES)} (default: all)",
    )
    ap.add_argument(
        "--export-docs",
        default=os.environ.get("BENCH_EXPORT_DOCS", "10000,100000"),
        help="document counts of the export stage (comma-separated; empty skips it)",
    )
    ap.add_argument(
        "--ls-tasks",
        type=int,
        default=int(os.environ.get("BENCH_LS_TASKS", 10_000)),
        help="tasks pushed and pulled by the Label Studio stages",
    )
    ap.add_argument("--label-studio", type=Path, default=Path(".venv-ls/bin/label-studio").resolve())
    args = ap.parse_args(argv)
    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        ap.error(f"unknown stage(s) {', '.join(unknown)}; pick from {', '.join(STAGES)}")
    status = 0
    if "validate" in stages:
        validate_stage(args)
    if "export" in stages and args.export_docs:
        export_stage([int(x) for x in args.export_docs.split(",")], folder=args.dir)
    if "labelstudio" in stages:
        status = run_backends(args.ls_tasks, ["sqlite", "postgresql"], args.label_studio)
    return status


def validate_stage(args: argparse.Namespace) -> None:
    """Validation of a synthetic export (JSON array and JSONL) against parsing alone and a naive baseline."""
    labels = LabelSchema.load()
    n = args.tasks
    arr, jsonl = args.dir / f"export-{n}.json", args.dir / f"export-{n}.jsonl"
    t = time.perf_counter()
    if not arr.exists() or not jsonl.exists():
        write_export(arr, n, labels)
        write_export(jsonl, n, labels, jsonl=True)
    gen = time.perf_counter() - t
    size = arr.stat().st_size / 1e6
    py = sys.executable
    tk = [py, "-m", "toolkit"]
    rows = []
    for name, cmd in [
        ("toolkit validate (JSON array)", [*tk, "validate", str(arr), "--format", "json"]),
        ("toolkit validate (JSONL)", [*tk, "validate", str(jsonl), "--format", "json"]),
        ("parse only: orjson per line (JSONL)", [py, "-c", PARSE_ONLY, str(jsonl)]),
    ]:
        runs = sorted(run(cmd)[:2] for _ in range(args.repeat))
        wall, rss = runs[len(runs) // 2]  # the median run: this machine's speed varies from run to run
        rows.append((name, n / wall, wall, max(r[1] for r in runs)))
    wall, rss, out = run([py, "-c", BASELINE, str(arr), str(args.baseline_sample)])
    _count, load_s, per_task = out.split()[:3]
    base_total = float(load_s) + float(per_task) * n
    rows.append(
        (
            f"baseline: json.load + jsonschema per task (extrapolated from {args.baseline_sample})",
            n / base_total,
            base_total,
            rss,
        )
    )
    print_validate(rows, n, size, gen, args.repeat)


def print_validate(rows: list[tuple[str, float, float, float]], n: int, size: float, gen: float, repeat: int) -> None:
    print(
        f"\n{n} tasks, {size:.0f} MB JSON array ({size * 1e6 / n / 1000:.1f} kB/task; ~30 spans, 10 relations); "
        f"generated in {gen:.1f} s\n"
    )
    print(f"median of {repeat} runs per stage; peak RSS is the largest seen\n")
    print(f"| {'stage':<72} | {'tasks/s':>9} | {'seconds':>8} | {'peak RSS MB':>11} |")
    print(f"|{'-' * 74}|{'-' * 11}|{'-' * 10}|{'-' * 13}|")
    for name, rate, secs, mem in rows:
        print(f"| {name:<72} | {rate:>9,.0f} | {secs:>8.2f} | {mem:>11.0f} |")
    base = rows[-1][1]
    print()
    for name, rate, _, _ in rows[:2]:
        print(f"{name}: {rate / base:.0f}x the baseline")


if __name__ == "__main__":
    sys.exit(main())
