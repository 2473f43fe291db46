"""Pull-request check of an app repository: significant changes come with a changelog entry or an ADR.

Delivered by the estate repository as ``.github/estate/check_records.py`` and
run by the ``changelog-or-adr`` job of ``.github/workflows/checklist.yml``
(edit it in the estate repository, ``app-checks/check_records.py``).

A pull request needs a record when it touches migrations
(``supabase/migrations/``), infrastructure (``INFRASTRUCTURE``) or carries the
``significant`` label. A record is a change to ``CHANGELOG.md`` or a new file
under ``docs/adr/``. A label starting with ``no-changelog:`` and giving a reason
(e.g. ``no-changelog: internal refactor``) says why none is needed.

Inputs (environment): ``BASE_SHA``, ``HEAD_SHA`` (the pull request's base and
head commits) and ``PR_LABELS`` (JSON list of label names). Exit status 1 when
a record is missing, else 0.
"""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess
import sys

MIGRATIONS = "supabase/migrations/"
# What changes how or where the app runs, beyond its code. `.github/` is not here:
# the estate delivers the workflows and records their changes in its own history.
INFRASTRUCTURE = (
    "supabase/config.toml",
    "wrangler.toml",
    "wrangler.json",
    "wrangler.jsonc",
    "vercel.json",
    "infra/*",
    "terraform/*",
    "Dockerfile",
    "docker-compose*.yml",
    "compose*.yml",
)
SIGNIFICANT_LABEL = "significant"
SKIP_LABEL_PREFIX = "no-changelog:"
CHANGELOG = "CHANGELOG.md"
ADR_DIRECTORY = "docs/adr/"


def changed_files(base: str, head: str) -> list[tuple[str, str]]:
    """(status letter, path) of every file the pull request changes."""
    output = subprocess.run(
        ["git", "diff", "--name-status", "--no-renames", f"{base}...{head}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [(line.split("\t", 1)[0], line.split("\t", 1)[1]) for line in output.splitlines() if "\t" in line]


def is_infrastructure(path: str) -> bool:
    return any(fnmatch.fnmatchcase(path, pattern) for pattern in INFRASTRUCTURE)


def verdict(changes: list[tuple[str, str]], labels: list[str]) -> tuple[bool, list[str]]:
    """(passes, lines to print). The lines are GitHub workflow commands or plain notes."""
    migrations = [path for _, path in changes if path.startswith(MIGRATIONS)]
    infrastructure = [path for _, path in changes if is_infrastructure(path)]
    significant = SIGNIFICANT_LABEL in labels
    reasons: list[str] = []
    if migrations:
        reasons.append(f"touches migrations ({', '.join(migrations)})")
    if infrastructure:
        reasons.append(f"touches infrastructure ({', '.join(infrastructure)})")
    if significant:
        reasons.append(f"is labelled {SIGNIFICANT_LABEL!r}")
    if not reasons:
        return True, [
            "No changelog entry or ADR needed: no migration, no infrastructure file, no 'significant' label."
        ]

    changelog = any(path == CHANGELOG and status != "D" for status, path in changes)
    adrs = [path for status, path in changes if status == "A" and path.startswith(ADR_DIRECTORY)]
    if changelog or adrs:
        records = ([CHANGELOG] if changelog else []) + adrs
        return True, [f"This pull request {' and '.join(reasons)}; recorded in {', '.join(records)}."]

    skips = [label for label in labels if label.startswith(SKIP_LABEL_PREFIX)]
    with_reason = [label for label in skips if label.removeprefix(SKIP_LABEL_PREFIX).strip()]
    if with_reason:
        return True, [
            f"This pull request {' and '.join(reasons)}; no record, because of the label {with_reason[0]!r}."
        ]

    message = (
        f"This pull request {' and '.join(reasons)}, but changes neither {CHANGELOG} nor adds a record under "
        + f"{ADR_DIRECTORY}.\n"
        + "Add one of:\n"
        + f"  - an entry in {CHANGELOG} (under '## Unreleased'): what changes for users or operators, and how to roll "
        + "it back;\n"
        + f"  - an architecture decision record, {ADR_DIRECTORY}NNNN-short-title.md: context, decision, consequences "
        + "(for a new service, a data-model change, a new provider);\n"
        + f"  - or, if neither is needed, a label saying why, starting with '{SKIP_LABEL_PREFIX}', e.g. "
        + f"'{SKIP_LABEL_PREFIX} internal refactor' or '{SKIP_LABEL_PREFIX} revert'."
    )
    if skips:
        message += f"\nThe label {skips[0]!r} gives no reason: name it '{SKIP_LABEL_PREFIX} <why>'."
    escaped = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return False, [f"::error title=Changelog or ADR needed::{escaped}"]


def main() -> int:
    base, head = os.environ.get("BASE_SHA", ""), os.environ.get("HEAD_SHA", "")
    if not base or not head:
        print("::error::BASE_SHA and HEAD_SHA must be set (the pull request's base and head commits).")
        return 2
    labels = [str(label) for label in json.loads(os.environ.get("PR_LABELS") or "[]")]
    passed, lines = verdict(changed_files(base, head), labels)
    for line in lines:
        print(line)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
