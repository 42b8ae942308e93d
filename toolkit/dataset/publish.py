"""Publish a release folder to the Hugging Face Hub: one commit with every file, tagged vX.Y.Z.

One explicit `create_commit` (rather than `upload_folder`, which may split a large folder into
several commits) guarantees that the tag points at a commit holding the whole release. The
commit operations are built here, so tests can assert exactly what would be sent.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from huggingface_hub import CommitOperationAdd, HfApi
from huggingface_hub.errors import RepositoryNotFoundError

from ..errors import ConfigError, InputError, ToolkitError
from ..io.reader import load_json


@dataclass
class PublishPlan:
    folder: Path
    repo_id: str
    version: str
    tag: str
    files: list[str]  # paths in the repo, sorted
    commit_message: str

    def operations(self) -> list[CommitOperationAdd]:
        return [CommitOperationAdd(path_in_repo=f, path_or_fileobj=str(self.folder / f)) for f in self.files]


def plan(folder: Path, repo_id: str) -> PublishPlan:
    """Check that `folder` is an intact release (manifest present, every file as recorded)."""
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise InputError(
            f"{folder}: no manifest.json, so this is not a release folder; run `toolkit release --version X.Y.Z` first"
        )
    manifest = load_json(manifest_path)
    if manifest.get("version") is None:
        raise InputError(
            f"{folder} is an unversioned build (`toolkit export`); only releases are published: run "
            "`toolkit release --version X.Y.Z` first"
        )
    recorded: dict[str, str] = manifest.get("files") or {}
    present = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()} - {"manifest.json"}
    problems = [f"{f}: missing" for f in sorted(set(recorded) - present)]
    problems += [f"{f}: not part of the release" for f in sorted(present - set(recorded))]
    problems += [
        f"{f}: changed since the release was built"
        for f in sorted(set(recorded) & present)
        if hashlib.sha256((folder / f).read_bytes()).hexdigest() != recorded[f]
    ]
    if not recorded or problems:
        raise ToolkitError(
            f"{folder} does not validate as release v{manifest.get('version')}:\n  "
            + "\n  ".join(problems or ["manifest lists no files"])
            + "\nrebuild it with `toolkit release --version X.Y.Z --rebuild`"
        )
    version = manifest["version"]
    return PublishPlan(
        folder, repo_id, version, f"v{version}", sorted([*recorded, "manifest.json"]), f"Release v{version}"
    )


def hub_api(token: str | None) -> HfApi:
    """A Hub client with a write token (the caller reads it from HF_TOKEN)."""
    if not token:
        raise ConfigError("HF_TOKEN is not set; create a write token on the Hub and export HF_TOKEN")
    return HfApi(token=token)


def publish(p: PublishPlan, api: HfApi) -> dict[str, Any]:
    """Refuse an existing tag, then commit every file and tag that commit; returns commit id and tag."""
    try:
        refs = api.list_repo_refs(p.repo_id, repo_type="dataset")
        if p.tag in {t.name for t in refs.tags}:
            raise ToolkitError(
                f"{p.repo_id} already has tag {p.tag}; a published version is never overwritten: release a new version"
            )
    except RepositoryNotFoundError:
        pass
    api.create_repo(p.repo_id, repo_type="dataset", exist_ok=True)
    info = api.create_commit(
        repo_id=p.repo_id, repo_type="dataset", operations=p.operations(), commit_message=p.commit_message
    )
    api.create_tag(p.repo_id, tag=p.tag, revision=info.oid, repo_type="dataset", tag_message=p.commit_message)
    return {"commit": info.oid, "tag": p.tag, "url": getattr(info, "commit_url", "")}
