"""Parquet written as rows come: bounded row groups, shards of at most about 250 MB per split.

Rows arrive as small Arrow batches (one document's rows), are combined into a row group every
`ROW_GROUP_BYTES` and written; a shard is closed once it passes `SHARD_BYTES`. Every
boundary depends on the rows alone (never on time or threads), so the same rows give the same
bytes. Compression runs in a background thread (Arrow releases the GIL) while the next rows are
decoded; at most one row group waits, so memory stays bounded.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

SHARD_BYTES = 250 << 20
ROW_GROUP_BYTES = 8 << 20  # about the Arrow bytes of the rows in one row group (`rows.weights`)
PINNED = 64  # spill groups that pending rows may keep alive
PARQUET_OPTIONS: dict[str, Any] = {  # layout 2: fixed, so output is byte-reproducible
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "data_page_size": 1 << 20,
}


class ShardWriter:
    """One config's split: `{split}-0000K-of-0000N.parquet` files in `folder`."""

    def __init__(
        self,
        folder: Path,
        split: str,
        schema: pa.Schema,
        pool: ThreadPoolExecutor,
        on_row_group: Callable[[pa.Table], None] | None = None,
    ):
        self.folder, self.split, self.schema, self.pool = folder, split, schema, pool
        self.on_row_group = on_row_group  # sees every row group before it is written (counting)
        self.batches: list[pa.RecordBatch] = []
        self.pending = 0  # size of `batches`, as `add` was told
        self._pinned: set[Hashable] = set()
        self.rows = 0
        self.nbytes = 0  # Arrow bytes of every row written (the card's `num_bytes`)
        self.shards: list[Path] = []
        self._writer: pq.ParquetWriter | None = None
        self._sink: Any = None
        self._job: Future[None] | None = None

    def add(self, batch: pa.RecordBatch, size: int, source: Hashable) -> None:
        """Append one document's rows: `size` is what row group boundaries count, `source` the buffer it
        slices (a spill group). Rows from many sources are copied together now and then, so slices
        never keep more than `PINNED` groups in memory whatever the reading order."""
        if not batch.num_rows:
            return
        self.batches.append(batch)
        self.pending += size
        self._pinned.add(source)
        if self.pending >= ROW_GROUP_BYTES:
            self._row_group()
        elif len(self._pinned) > PINNED:
            self.batches = [pa.concat_batches(self.batches)]
            self._pinned = set()

    def _row_group(self) -> None:
        if not self.batches:
            return
        table = pa.Table.from_batches(self.batches, schema=self.schema).combine_chunks()
        self.batches, self.pending, self._pinned = [], 0, set()
        self.rows += table.num_rows
        self.nbytes += table.nbytes
        if self.on_row_group is not None:
            self.on_row_group(table)
        self._wait()
        if self._writer is None:
            path = self.folder / f".{self.split}-{len(self.shards):05d}.parquet.part"
            self.folder.mkdir(parents=True, exist_ok=True)
            self._sink = pa.OSFile(str(path), "wb")
            self._writer = pq.ParquetWriter(self._sink, self.schema, **PARQUET_OPTIONS)
            self.shards.append(path)
        self._job = self.pool.submit(self._write, table)

    def _write(self, table: pa.Table) -> None:
        assert self._writer is not None
        self._writer.write_table(table, row_group_size=table.num_rows)
        if self._sink.tell() >= SHARD_BYTES:
            self._close_shard()

    def _close_shard(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._sink.close()
            self._writer = self._sink = None

    def _wait(self) -> None:
        if self._job is not None:
            self._job.result()
            self._job = None

    def close(self) -> list[Path]:
        """Write what is left; rename the shards to their final names; return them."""
        self._row_group()
        self._wait()
        self._close_shard()
        final = []
        for k, path in enumerate(self.shards):
            name = self.folder / f"{self.split}-{k:05d}-of-{len(self.shards):05d}.parquet"
            os.replace(path, name)
            final.append(name)
        return final

    def abort(self) -> None:
        try:
            self._wait()
        finally:
            self._close_shard()
