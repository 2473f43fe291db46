"""Where Pulumi's self-managed (DIY) backend keeps a stack, and the URLs that point at it.

Pulumi's project-scoped layout (``.pulumi/meta.yaml`` says ``version: 1``; what a
new backend gets) keeps, under the bucket root:

* ``.pulumi/stacks/<project>/<stack>.json`` the current checkpoint; ``.json.gz`` or
  ``.json.zst`` when checkpoint compression is turned on, and a
  ``.json.bak`` copy of the previous checkpoint beside it;
* ``.pulumi/backups/<project>/<stack>/`` timestamped backups;
* ``.pulumi/locks/<project>/<stack>/`` one object per running update;
* ``.pulumi/history/<project>/<stack>/`` update history.
"""

from __future__ import annotations

BOOKKEEPING_DIR = ".pulumi"
STACKS_PREFIX = f"{BOOKKEEPING_DIR}/stacks/"

# Checkpoint encodings Pulumi writes, in the order its backend looks for them.
STATE_SUFFIXES: tuple[str, ...] = (".json", ".json.gz", ".json.zst")


def state_keys(project: str, stack: str) -> tuple[str, ...]:
    """Every key the stack's current checkpoint can live at, one per encoding."""
    return tuple(f"{STACKS_PREFIX}{project}/{stack}{suffix}" for suffix in STATE_SUFFIXES)


def state_suffix(key: str) -> str:
    """The encoding suffix of a checkpoint key (``.json``, ``.json.gz``, ``.json.zst``)."""
    for suffix in sorted(STATE_SUFFIXES, key=len, reverse=True):
        if key.endswith(suffix):
            return suffix
    raise ValueError(f"{key!r} is not a Pulumi checkpoint key")


def backup_dir(project: str, stack: str) -> str:
    """Prefix of the stack's backups (ends with '/')."""
    return f"{BOOKKEEPING_DIR}/backups/{project}/{stack}/"


def locks_dir(project: str, stack: str) -> str:
    """Prefix of the stack's update locks (ends with '/')."""
    return f"{BOOKKEEPING_DIR}/locks/{project}/{stack}/"


def pre_restore_backup_key(project: str, stack: str, suffix: str, unix_nanos: int) -> str:
    """Key for the copy of the current checkpoint taken just before a restore.

    Same directory and ``<stack>.<unix nanos>`` stem as Pulumi's own backups, with a
    ``before-restore`` marker so people can tell them apart.
    """
    return f"{backup_dir(project, stack)}{stack}.{unix_nanos}.before-restore{suffix}"


def backend_url(bucket: str, region: str) -> str:
    """The ``pulumi login`` URL: region pinned, AWS SDK v2 (Pulumi's documented S3 form)."""
    return f"s3://{bucket}?region={region}&awssdk=v2"


def secrets_provider_url(kms_alias: str, region: str) -> str:
    """The ``--secrets-provider`` URL for Pulumi's awskms provider."""
    return f"awskms://{kms_alias}?region={region}"


def next_steps(bucket: str, region: str, kms_alias: str) -> list[str]:
    """Shell lines that point Pulumi at the backend and create both stacks.

    The login URL is single-quoted because an unquoted '&' would background the
    command in every POSIX shell.
    """
    provider = secrets_provider_url(kms_alias, region)
    return [
        f"pulumi login '{backend_url(bucket, region)}'",
        f'pulumi stack init prod --secrets-provider "{provider}"',
        f'pulumi stack init staging --secrets-provider "{provider}"',
    ]
