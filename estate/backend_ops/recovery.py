"""List the stored versions of a stack's Pulumi checkpoint and bring one back.

A restore never destroys anything: before the chosen version becomes current,
the current checkpoint is copied to ``.pulumi/backups/<project>/<stack>/`` (a
current object, so the noncurrent-version lifecycle never expires it), and the
restore itself is a server-side copy that adds a new version on top, so every
earlier version also stays where it was.
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, cast

from botocore.exceptions import ClientError

from estate.backend_ops import inputs, layout
from estate.backend_ops.aws import error_code, require_bucket_in_region
from estate.backend_ops.inputs import BackendError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


@dataclass(frozen=True)
class StackLocation:
    """Which stack's state, in which bucket; `problems` validates without calling AWS."""

    bucket: str
    region: str
    stack: str
    project: str = inputs.DEFAULT_PROJECT

    def problems(self) -> list[str]:
        return [
            *inputs.bucket_name_problems(self.bucket),
            *inputs.region_problems(self.region),
            *inputs.stack_problems(self.stack),
            *inputs.project_problems(self.project),
        ]

    def url(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"


@dataclass(frozen=True)
class StateVersion:
    """One stored version of the checkpoint object (or a delete marker)."""

    key: str
    version_id: str
    last_modified: datetime
    is_latest: bool
    is_delete_marker: bool
    size: int | None  # None for delete markers
    etag: str | None

    def to_json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "version_id": self.version_id,
            "last_modified": self.last_modified.isoformat(),
            "is_latest": self.is_latest,
            "is_delete_marker": self.is_delete_marker,
            "size": self.size,
            "etag": self.etag,
        }


@dataclass(frozen=True)
class StateHistory:
    """Every version of a stack's checkpoint, newest first."""

    location: StackLocation
    versioning: str  # "Enabled", "Suspended" or "never enabled"
    versions: list[StateVersion]

    def to_json(self) -> dict[str, object]:
        return {
            "bucket": self.location.bucket,
            "region": self.location.region,
            "project": self.location.project,
            "stack": self.location.stack,
            "versioning": self.versioning,
            "versions": [version.to_json() for version in self.versions],
        }


@dataclass(frozen=True)
class RestoreResult:
    """What a restore did; every key and version id it touched, for the printed summary."""

    location: StackLocation
    key: str
    restored_version_id: str
    already_current: bool
    new_version_id: str | None = None
    # The checkpoint that was current before the restore, unless the stack had been deleted.
    previous_version_id: str | None = None
    backup_key: str | None = None


def state_history(s3: S3Client, location: StackLocation) -> StateHistory:
    """All stored versions of the stack's checkpoint, newest first.

    Raises `BackendError` for bad input, a missing or misplaced bucket, and a stack
    with no state in the bucket (naming the stacks that do exist).
    """
    inputs.raise_if_any(location.problems())
    require_bucket_in_region(s3, location.bucket, location.region)
    versioning = s3.get_bucket_versioning(Bucket=location.bucket).get("Status") or "never enabled"
    wanted_keys = set(layout.state_keys(location.project, location.stack))
    versions: list[StateVersion] = []
    paginator = s3.get_paginator("list_object_versions")
    # One prefix covers .json, .json.gz and .json.zst (and .json.bak, filtered out).
    prefix = f"{layout.STACKS_PREFIX}{location.project}/{location.stack}.json"
    for page in paginator.paginate(Bucket=location.bucket, Prefix=prefix):
        for entry in page.get("Versions", []):
            if entry.get("Key") in wanted_keys:
                versions.append(
                    StateVersion(
                        key=entry.get("Key", ""),
                        version_id=entry.get("VersionId", "null"),
                        last_modified=entry.get("LastModified", datetime.min),
                        is_latest=entry.get("IsLatest", False),
                        is_delete_marker=False,
                        size=entry.get("Size"),
                        etag=entry.get("ETag"),
                    )
                )
        for marker in page.get("DeleteMarkers", []):
            if marker.get("Key") in wanted_keys:
                versions.append(
                    StateVersion(
                        key=marker.get("Key", ""),
                        version_id=marker.get("VersionId", "null"),
                        last_modified=marker.get("LastModified", datetime.min),
                        is_latest=marker.get("IsLatest", False),
                        is_delete_marker=True,
                        size=None,
                        etag=None,
                    )
                )
    if not versions:
        raise BackendError([_no_such_stack_problem(s3, location)])
    # Current first, then newest first. The sort is stable and S3 lists each key's
    # versions newest first, which settles equal (second-resolution) timestamps.
    versions.sort(key=lambda version: (version.is_latest, version.last_modified), reverse=True)
    return StateHistory(location=location, versioning=versioning, versions=versions)


def _no_such_stack_problem(s3: S3Client, location: StackLocation) -> str:
    """Explain a missing stack, naming the stacks this bucket does hold."""
    looked_for = location.url(f"{layout.STACKS_PREFIX}{location.project}/{location.stack}.json")
    scoped, legacy = _stacks_in_bucket(s3, location.bucket)
    sentence = (
        f"--stack {location.stack!r} (project {location.project!r}) has no state in "
        + f"s3://{location.bucket}: nothing at {looked_for}[.gz|.zst]."
    )
    if scoped:
        sentence += f" Stacks here (project/stack): {', '.join(scoped)}; pass --stack and --project to match."
    elif legacy:
        sentence += (
            f" This bucket uses Pulumi's older layout without projects ({', '.join(legacy)}); "
            + "upgrade it with `pulumi state upgrade`."
        )
    else:
        sentence += " The bucket holds no Pulumi stacks at all: check --bucket."
    return sentence


def _stacks_in_bucket(s3: S3Client, bucket: str) -> tuple[list[str], list[str]]:
    """Project-scoped stacks as 'project/stack', and legacy (project-less) stack names."""
    scoped: set[str] = set()
    legacy: set[str] = set()
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=layout.STACKS_PREFIX):
        for item in page.get("Contents", []):
            relative = item.get("Key", "").removeprefix(layout.STACKS_PREFIX)
            suffix = next((s for s in layout.STATE_SUFFIXES if relative.endswith(s)), None)
            if suffix is None:
                continue
            name = relative.removesuffix(suffix)
            (scoped if "/" in name else legacy).add(name)
    return sorted(scoped), sorted(legacy)


def restore_state_version(
    s3: S3Client,
    location: StackLocation,
    version_id: str,
    clock_ns: Callable[[], int] = time.time_ns,
) -> RestoreResult:
    """Make ``version_id`` the stack's current checkpoint; see the module docstring.

    Refuses (with `BackendError`) unknown versions, delete markers, a checkpoint
    that does not parse, and a stack that an update currently holds locked.
    """
    inputs.raise_if_any([*location.problems(), *inputs.version_id_problems(version_id)])
    history = state_history(s3, location)
    target = next((v for v in history.versions if v.version_id == version_id), None)
    if target is None:
        recent = ", ".join(v.version_id for v in history.versions[:5])
        raise BackendError(
            [
                f"--version {version_id!r} is not a version of {location.stack!r}'s state; "
                + f"newest versions: {recent}. List them all with `python -m estate backend "
                + f"history --bucket {location.bucket} --region {location.region} --stack "
                + f"{location.stack}`."
            ]
        )
    if target.is_delete_marker:
        raise BackendError(
            [
                f"--version {version_id!r} is a delete marker (the moment the state was deleted), "
                + "not a checkpoint; pick an earlier version from `history`."
            ]
        )
    current = next((v for v in history.versions if v.key == target.key and v.is_latest), None)
    if current is not None and current.version_id == target.version_id:
        return RestoreResult(location, target.key, version_id, already_current=True)

    _refuse_if_locked(s3, location)
    _check_checkpoint_parses(s3, location, target)

    backup_key: str | None = None
    previous_version_id: str | None = None
    if current is not None and not current.is_delete_marker:
        previous_version_id = current.version_id
        backup_key = layout.pre_restore_backup_key(
            location.project, location.stack, layout.state_suffix(target.key), clock_ns()
        )
        _ = s3.copy_object(
            Bucket=location.bucket,
            Key=backup_key,
            CopySource={"Bucket": location.bucket, "Key": current.key, "VersionId": current.version_id},
        )
    copied = s3.copy_object(
        Bucket=location.bucket,
        Key=target.key,
        CopySource={"Bucket": location.bucket, "Key": target.key, "VersionId": target.version_id},
    )
    return RestoreResult(
        location,
        target.key,
        version_id,
        already_current=False,
        new_version_id=copied.get("VersionId"),
        previous_version_id=previous_version_id,
        backup_key=backup_key,
    )


def _refuse_if_locked(s3: S3Client, location: StackLocation) -> None:
    """Raise when a Pulumi update holds the stack's lock: a restore now would be overwritten."""
    prefix = layout.locks_dir(location.project, location.stack)
    locks = s3.list_objects_v2(Bucket=location.bucket, Prefix=prefix, MaxKeys=5).get("Contents", [])
    if locks:
        lock_urls = ", ".join(location.url(lock.get("Key", "")) for lock in locks)
        raise BackendError(
            [
                f"--stack {location.stack!r} is locked by a running Pulumi update ({lock_urls}). "
                + "Wait for it to finish; if it died, delete the lock object with `aws s3 rm` "
                + "and restore again."
            ]
        )


def _check_checkpoint_parses(s3: S3Client, location: StackLocation, version: StateVersion) -> None:
    """Raise unless the version is a Pulumi checkpoint, so a restore never installs garbage.

    The error never quotes the content: checkpoints hold (encrypted) secrets.
    """
    suffix = layout.state_suffix(version.key)
    if suffix == ".json.zst":
        return  # no zstd in the standard library; Pulumi itself will verify on next use
    try:
        body = s3.get_object(Bucket=location.bucket, Key=version.key, VersionId=version.version_id)[
            "Body"
        ].read()
    except ClientError as error:
        if error_code(error) in {"NoSuchVersion", "NoSuchKey"}:
            raise BackendError(
                [f"--version {version.version_id!r} disappeared while restoring; run `history` again."]
            ) from error
        raise
    problem: str | None = None
    try:
        text = gzip.decompress(body) if suffix == ".json.gz" else body
        document = cast(object, json.loads(text))
        if not isinstance(document, dict) or "checkpoint" not in document:
            problem = "is JSON but not a Pulumi checkpoint (no top-level 'checkpoint')"
    except json.JSONDecodeError as error:
        problem = f"is not valid JSON (line {error.lineno}, column {error.colno})"
    except (UnicodeDecodeError, gzip.BadGzipFile, EOFError):
        problem = "is not readable text"
    if problem is not None:
        raise BackendError(
            [
                f"--version {version.version_id!r} of {location.url(version.key)} {problem}; "
                + "restoring it would leave Pulumi unable to read the stack. Pick another "
                + "version from `history`."
            ]
        )
