"""Progress on long work, and one-line notes (retries, waiting for a lock), always on stderr.

On a terminal a progress bar; otherwise a plain line at most every few seconds, so logs and CI
output show the work moving without a line per record.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import click

PLAIN_EVERY = 5.0  # seconds between plain progress lines


def note(message: str) -> None:
    click.echo(message, err=True)


class Progress:
    """`progress(done, total)` callback for library functions; use as a context manager."""

    def __init__(self, what: str, unit: str = "task"):
        self.what, self.unit = what, unit
        self.bar: Any = None
        self.last = 0.0
        self.done = 0
        self.tty = sys.stderr.isatty()

    def __call__(self, done: int, total: int | None) -> None:
        self.done = done
        if self.tty:
            if self.bar is None:
                from tqdm import tqdm

                self.bar = tqdm(total=total, desc=self.what, unit=self.unit, file=sys.stderr, leave=False)
            if total is not None and self.bar.total != total:
                self.bar.total = total
            self.bar.update(done - self.bar.n)
        elif time.monotonic() - self.last >= PLAIN_EVERY:
            self.last = time.monotonic()
            of = f" of {total:,}" if total else ""
            note(f"{self.what}: {done:,}{of} {self.unit}(s)")

    def __enter__(self) -> Progress:
        self.last = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()
