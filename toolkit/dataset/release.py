"""Versioned releases: validate, check the semantic version, build, and record the manifest.

Manifests of every release are kept in `releases/<version>.json` (committed with the project), so
the next release can be checked against the previous one and any release can be rebuilt and
compared byte for byte. A rebuild uses what the release recorded: its label schema copy, split
ratios and layout (releases recorded without a layout are layout 1, built by the frozen `layout1`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ToolkitError
from ..io.faults import checkpoint
from ..io.reader import read_bytes
from ..io.writer import atomic_write_bytes, dump_pretty
from ..labelschema import LabelSchema
from . import layout1
from .build import Builder, Staging, validate_all
from .configs import DEFAULT_RATIOS, LAYOUT
from .manifest import BumpCheck, bump_kind, changelog, check_version, load_history, parse_version, required_bump
from .result import ExportResult
from .scan import Progress


@dataclass
class ReleaseResult:
    version: str
    out_dir: Path
    export: ExportResult
    previous: str | None = None
    bump: BumpCheck | None = None
    recorded: Path | None = None
    layout: int = LAYOUT
    differences: list[str] = field(default_factory=list)  # rebuild only: files that differ


def release(
    paths: list[Path],
    labels: LabelSchema,
    version: str,
    out_dir: Path,
    releases_dir: Path,
    ratios: tuple[float, float, float] = DEFAULT_RATIOS,
    rebuild: bool = False,
    reviewers: frozenset[str] = frozenset(),
    *,
    jobs: int | None = None,
    progress: Progress | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> ReleaseResult:
    """Validate, check the version, build `out_dir`, record `releases_dir/<version>.json`.

    `reviewers` (pseudonyms) are left out of the card's agreement figures, as in `toolkit agreement`.
    """
    parse_version(version)
    history = load_history(releases_dir)
    recorded = next((m for m in history if m["version"] == version), None)
    _check_request(version, releases_dir, recorded, rebuild)
    layout = LAYOUT
    if recorded is not None:
        r = recorded["split_rule"]["ratios"]
        ratios = (r["train"], r["validation"], r["test"])
        labels = recorded_labels(releases_dir, version, labels)
        layout = recorded.get("layout", 1)
    prior = [m for m in history if parse_version(m["version"]) < parse_version(version)]
    previous = prior[-1] if prior else None
    if previous is not None and not rebuild and bump_kind(previous["version"], version) is None:
        raise ToolkitError(f"version {version} is not above the previous release {previous['version']}")
    with Staging(out_dir, on_wait) as stage:
        if layout == 1:
            validate_all(paths, labels, "release", jobs, progress)
            built, manifest = layout1.release(paths, labels, stage.folder, version, prior, reviewers, ratios)
            built.out_dir, built.card = out_dir, out_dir / "README.md"
        else:
            b = Builder(paths, labels, stage, ratios=ratios, reviewers=reviewers, jobs=jobs, progress=progress)
            b.scan("release")  # validates every input on the way
            core = b.core(version)
            if not rebuild:
                check_version(previous, core)
            built = b.write(version, changelog([*prior, core]))
            manifest = b.finish(core)
        stage.commit()
        bump = required_bump(previous, manifest) if previous else None
        result = ReleaseResult(version, out_dir, built, previous["version"] if previous else None, bump, layout=layout)
        if recorded is not None:
            result.differences = sorted(
                f for f in set(recorded["files"]) | set(built.files) if recorded["files"].get(f) != built.files.get(f)
            )
        else:
            result.recorded = _record(releases_dir, version, labels, manifest)
    return result


def _record(releases_dir: Path, version: str, labels: LabelSchema, manifest: dict[str, Any]) -> Path:
    """The label schema copy, then the manifest: a release counts as recorded once its manifest is there."""
    atomic_write_bytes(labels_copy(releases_dir, version), read_bytes(labels.path))
    checkpoint("labels-recorded")
    path = releases_dir / f"{version}.json"
    atomic_write_bytes(path, dump_pretty(manifest))
    return path


def _check_request(version: str, releases_dir: Path, recorded: dict[str, Any] | None, rebuild: bool) -> None:
    if recorded is not None and not rebuild:
        raise ToolkitError(
            f"v{version} is already released ({releases_dir / f'{version}.json'}); pick a new "
            f"version, or rebuild it with --rebuild to check it is reproduced byte for byte"
        )
    if recorded is None and rebuild:
        raise ToolkitError(f"v{version} was never released (no {releases_dir / f'{version}.json'}); nothing to rebuild")


def labels_copy(releases_dir: Path, version: str) -> Path:
    """Where a release keeps the exact label schema file it was built with."""
    return releases_dir / f"{version}.labels.json"


def recorded_labels(releases_dir: Path, version: str, current: LabelSchema) -> LabelSchema:
    """The label schema a recorded release was built with, so a rebuild has the same input.

    Colours, definitions and project metadata may have changed since; the fingerprint recorded in
    the manifest is checked against the copy.
    """
    path = labels_copy(releases_dir, version)
    if not path.exists():
        return current
    return LabelSchema.load(path, current.resources)
