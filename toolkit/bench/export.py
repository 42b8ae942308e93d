"""`make bench`, export stage: `toolkit export` of synthetic annotations/ folders beside the raw limit.

For each size and shape (`bench.annotations`: realistic sentences, or one sentence with all 30
mentions) two processes run on the same folder, one after the other:
- `toolkit export` (validation first, then all three configs, card, charts, sources, manifest);
- the raw limit: read every file with orjson and write only the `documents` config with one plain
  streaming `pq.ParquetWriter` (no validation, no `ner`, no `relations`, no card).
Peak memory is the whole process tree's (the export's workers count): the largest sum of
proportional set sizes (PSS, shared pages counted once) seen every 50 ms, and beside it the largest
single process's peak RSS as the kernel reports it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from ..labelschema import LabelSchema
from .annotations import SHAPES, write_annotations

RAW_LIMIT = r"""
import sys, orjson, pyarrow as pa, pyarrow.parquet as pq
from pathlib import Path
from toolkit.labelschema import LabelSchema
from toolkit.dataset.configs import features
labels = LabelSchema.load()
schema = features("documents", labels).arrow_schema
ent = {n: i for i, n in enumerate(labels.entity_names)}
rel = {n: i for i, n in enumerate(labels.relation_names)}
rows, n = [], 0
with pq.ParquetWriter(sys.argv[2], schema, compression="zstd", compression_level=3) as w:
    for f in sorted(Path(sys.argv[1]).glob("*.json")):
        d = orjson.loads(f.read_bytes())
        a = d["annotations"][-1]
        idx = {e["id"]: i for i, e in enumerate(a["entities"])}
        rows.append({
            "id": d["doc_id"], "text": d["text"], "source": d["meta"].get("source"), "date": d["meta"].get("date"),
            "entities": [dict(e, label=ent[e["label"]]) for e in a["entities"]],
            "relations": [
                {"head": idx[r["head"]], "tail": idx[r["tail"]], "label": rel[r["label"]]} for r in a["relations"]
            ],
        })
        n += 1
        if len(rows) == 1000:
            w.write_table(pa.Table.from_pylist(rows, schema=schema))
            rows = []
    if rows:
        w.write_table(pa.Table.from_pylist(rows, schema=schema))
print(n)
"""


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                todo += [int(c) for c in Path(f"/proc/{p}/task/{task}/children").read_text().split()]
        except OSError:
            continue
    return out


def _pss_mb(pids: list[int]) -> float:
    total = 0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def measure(cmd: list[str]) -> tuple[float, float, float]:
    """Wall seconds, peak PSS of the process tree (MB) and the largest single process's peak RSS (MB)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        done: dict[str, tuple[int, int, Any]] = {}
        waiter = threading.Thread(target=lambda: done.update(r=os.wait4(proc.pid, 0)))
        waiter.start()
        peak = 0.0
        while waiter.is_alive():
            peak = max(peak, _pss_mb(_tree(proc.pid)))
            waiter.join(0.05)
        wall = time.perf_counter() - start
        _, status, usage = done["r"]
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(cmd)} failed: {err.read().decode(errors='replace')[-2000:]}")
    return wall, peak, usage.ru_maxrss / 1024


def export_stage(sizes: list[int], shapes: list[str], folder: Path) -> list[tuple[str, ...]]:
    """Run the stage; returns table rows (documents, shape, what, seconds, documents/s, PSS, RSS)."""
    labels = LabelSchema.load()
    py = sys.executable
    rows: list[tuple[str, ...]] = []
    for n in sizes:
        for shape in shapes:
            ann = folder / f"annotations-{shape}-{n}"
            if not (ann / ".complete").exists():
                shutil.rmtree(ann, ignore_errors=True)
                write_annotations(ann, n, labels, shape)
                (ann / ".complete").write_text("")
            out = folder / f"export-{shape}-{n}"
            for what, cmd in (
                ("toolkit export (3 configs, card)", [py, "-m", "toolkit", "export", str(ann), "-o", str(out)]),
                ("raw limit: orjson + pq.ParquetWriter, documents only", [py, "-c", RAW_LIMIT, str(ann), f"{out}.raw"]),
            ):
                wall, pss, rss = measure(cmd)
                rows.append((f"{n:,}", shape, what, f"{wall:.1f}", f"{n / wall:,.0f}", f"{pss:,.0f}", f"{rss:,.0f}"))
            shutil.rmtree(out, ignore_errors=True)
            Path(f"{out}.raw").unlink(missing_ok=True)
    return rows


def print_table(rows: list[tuple[str, ...]]) -> None:
    head = ("documents", "shape", "stage", "seconds", "docs/s", "peak PSS MB (tree)", "largest RSS MB")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(
            "| "
            + " | ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
            + " |"
        )


def main(sizes: list[int], shapes: tuple[str, ...] = SHAPES, folder: Path = Path("build/bench")) -> None:
    rows = export_stage(sizes, list(shapes), folder)
    print(
        f"\nexport: synthetic annotations/ folders, 3,400 characters, 30 spans and 10 relations per document; "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end\n"
    )
    print_table(rows)
