"""Credentials the stack cannot create, past their rotation period.

Provider API tokens, Stripe, Twilio, Vapi, Shopify, the language-model key,
the Slack webhook: people create them in vendors' dashboards and set them with
``pulumi config set --secret``. Each carries the date it was last rotated in
the stack's config (``estate:rotation.lastRotated.<key>``); this module lists
those older than the stack's ``estate:rotation.externalPeriodDays``.

Used by ``python -m estate doctor`` (its "rotation due" section) and by the
daily drift workflow (``python -m estate.rotation --stack NAME --format slack``),
which posts the list to the stack's alert channel.

Exit status of ``python -m estate.rotation``: 0 when nothing is due, 1 when
something is, 2 when the stack file is missing or unreadable.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast


@dataclass(frozen=True)
class RotationDue:
    """One credential past its rotation period, and the commands that record its rotation."""

    key: str
    description: str
    last_rotated: str
    due: str
    days_overdue: int
    fix: list[str]

    @property
    def message(self) -> str:
        return (
            f"{self.key} ({self.description}) was last rotated on {self.last_rotated}; it was due on {self.due} "
            + f"({self.days_overdue} day(s) ago)."
        )


def rotation_due(
    stack: str,
    last_rotated: Mapping[str, date],
    descriptions: Mapping[str, str],
    period_days: int,
    today: date,
) -> list[RotationDue]:
    """Every credential whose last rotation is ``period_days`` or more before ``today``, most overdue first."""
    from stacks.settings import config_set, rotation_entry

    found: list[RotationDue] = []
    for key, rotated in last_rotated.items():
        due = rotated + timedelta(days=period_days)
        if today < due:
            continue
        fix = [
            config_set(key, secret=True, stack=stack),
            config_set(
                f"estate:rotation.lastRotated.{rotation_entry(key)}",
                today.isoformat(),
                path=True,
                stack=stack,
            ),
        ]
        found.append(
            RotationDue(
                key, descriptions.get(key, key), rotated.isoformat(), due.isoformat(), (today - due).days, fix
            )
        )
    return sorted(found, key=lambda item: (-item.days_overdue, item.key))


def slack_text(stack: str, due: list[RotationDue]) -> str:
    """The alert channel's message: one line per credential, then what to do."""
    lines = [f"Stack {stack}: {len(due)} credential(s) past the rotation period:"]
    lines += [f"• {item.message}" for item in due]
    lines.append("Rotate each at its vendor, then set the new value and record the date (estate repository):")
    lines += [f"  {command}" for item in due for command in item.fix]
    return "\n".join(lines)


def due_in_stack_file(stack: str, project_dir: Path, today: date) -> list[RotationDue]:
    """The credentials of ``Pulumi.<stack>.yaml`` past ``externalPeriodDays``; raises ``StackFileError``.

    Reads the dates straight from the stack file, so the report works while
    other settings are incomplete (a fresh clone, secrets not set). Dates marked
    ``# placeholder`` are examples, not rotations: the doctor lists them to
    replace and they are not judged. Malformed entries are skipped here; the
    doctor's validation names them.
    """
    from estate.engine import load_stack_config
    from stacks.settings import NAMESPACE, rotation_entry, secret_config_keys, secret_descriptions
    from stacks.stack_files import placeholder_keys

    config, _, _ = load_stack_config(stack, project_dir)
    try:
        rotation = json.loads(config.get(f"{NAMESPACE}:rotation", "{}"))
    except json.JSONDecodeError:
        return []
    if not isinstance(rotation, dict):
        return []
    rotation = cast(dict[str, Any], rotation)
    period, dates = rotation.get("externalPeriodDays"), rotation.get("lastRotated")
    if not isinstance(period, int | float) or not isinstance(dates, dict):
        return []
    placeholders = set(placeholder_keys(project_dir / f"Pulumi.{stack}.yaml"))
    by_entry = {rotation_entry(key): key for key in secret_config_keys()}
    last_rotated: dict[str, date] = {}
    for entry, day in cast(dict[str, Any], dates).items():
        if entry not in by_entry or f"{NAMESPACE}:rotation.lastRotated.{entry}" in placeholders:
            continue
        try:
            last_rotated[by_entry[entry]] = date.fromisoformat(str(day))
        except ValueError:
            continue
    return rotation_due(stack, last_rotated, secret_descriptions(), int(period), today)


def main(argv: list[str] | None = None) -> int:
    from estate.engine import PROJECT_DIR, StackFileError

    parser = argparse.ArgumentParser(prog="python -m estate.rotation", description=__doc__)
    parser.add_argument("--stack", required=True)
    parser.add_argument("--format", choices=("text", "json", "slack"), default="text")
    parser.add_argument("--today", type=date.fromisoformat, default=datetime.now(UTC).date())
    parser.add_argument("--project-dir", type=Path, default=PROJECT_DIR)
    args = parser.parse_args(argv)
    try:
        due = due_in_stack_file(args.stack, args.project_dir, args.today)
    except StackFileError as error:
        print(f"cannot read the rotation dates of {args.stack}: {error}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps([asdict(item) for item in due], indent=2))
    elif args.format == "slack":
        print(json.dumps({"text": slack_text(args.stack, due)} if due else {}))
    elif due:
        print(slack_text(args.stack, due))
    else:
        print(f"Stack {args.stack}: no credential is past its rotation period.")
    return 1 if due else 0


if __name__ == "__main__":
    sys.exit(main())
