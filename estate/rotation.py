"""Credentials rotated by people, past their rotation period.

Provider API tokens, Stripe, Twilio, Vapi, Shopify, the language-model key,
the Slack webhook: people create them in vendors' dashboards and set them with
``pulumi config set --secret``. Each carries the date it was last rotated in
the stack's config (``estate:rotation.lastRotated.<key>``); this module lists
those older than the stack's ``estate:rotation.externalPeriodDays``.

The Supabase database passwords too: the stack generates them, but rotates
them only by hand (``stacks.settings.DATABASE_PASSWORD_BY_HAND`` says why), so
each carries the date of its last hand rotation
(``estate:rotation.databasePasswords.<app>``) and is listed on the same terms,
its fix being the runbook (docs/pipeline.md, "Database passwords: rotated by hand").

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
    # The config entry that records the rotation, and what to do before recording it.
    record_key: str = ""
    how: str = "Rotate it at its vendor, set the new value, record the date"

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
        record = f"estate:rotation.lastRotated.{rotation_entry(key)}"
        fix = [
            config_set(key, secret=True, stack=stack),
            config_set(record, today.isoformat(), path=True, stack=stack),
        ]
        found.append(
            RotationDue(
                key,
                descriptions.get(key, key),
                rotated.isoformat(),
                due.isoformat(),
                (today - due).days,
                fix,
                record_key=record,
            )
        )
    return sorted(found, key=lambda item: (-item.days_overdue, item.key))


# How a database password is rotated by hand (docs/pipeline.md, "Database passwords: rotated by hand").
DATABASE_PASSWORD_HOW = (
    "Rotate it by hand in a maintenance window (Supabase cannot change it without breaking every connection "
    "that holds it): run the commands in order, redeploying the app on Vercel right after the up, then record "
    "the date"
)


def database_password_urn(stack: str, app: str) -> str:
    """The URN of an app database's generated password (``components.supabase_database``)."""
    from components.application import APPLICATION_TYPE
    from components.supabase_database import SUPABASE_DATABASE_TYPE
    from policies.resource_types import RANDOM_PASSWORD

    parents = f"{APPLICATION_TYPE}${SUPABASE_DATABASE_TYPE}"
    return f"urn:pulumi:{stack}::estate::{parents}${RANDOM_PASSWORD}::{app}-database-db-password"


def database_passwords_due(
    stack: str, last_rotated: Mapping[str, date], period_days: int, today: date
) -> list[RotationDue]:
    """Every app database password last rotated ``period_days`` or more before ``today``, with the runbook."""
    from stacks.settings import config_set

    found: list[RotationDue] = []
    for app, rotated in last_rotated.items():
        due = rotated + timedelta(days=period_days)
        if today < due:
            continue
        urn = database_password_urn(stack, app)
        record = f"estate:rotation.databasePasswords.{app}"
        fix = [
            # Production protects it like the project; the next up protects it again.
            f"pulumi state unprotect --stack {stack} --yes '{urn}'",
            # Generates a new password, sets it on the project (PATCH /database/password) and, in the
            # same up, DATABASE_URL on Vercel and SUPABASE_DB_URL in the repository's environment.
            f"pulumi up --stack {stack} --refresh --policy-pack policies --replace '{urn}'",
            f"# now redeploy {app}'s {'production' if stack == 'prod' else 'staging'} deployment on Vercel "
            + "(Deployments, Redeploy): running deployments keep the old DATABASE_URL",
            config_set(record, today.isoformat(), path=True, stack=stack),
        ]
        description = "generated by the stack, rotated by hand: Supabase cannot rotate it without downtime"
        found.append(
            RotationDue(
                f"the {app} database password",
                description,
                rotated.isoformat(),
                due.isoformat(),
                (today - due).days,
                fix,
                record_key=record,
                how=DATABASE_PASSWORD_HOW,
            )
        )
    return sorted(found, key=lambda item: (-item.days_overdue, item.key))


def slack_text(stack: str, due: list[RotationDue]) -> str:
    """The alert channel's message: one line per credential, then what to do."""
    lines = [f"Stack {stack}: {len(due)} credential(s) past the rotation period:"]
    lines += [f"• {item.message}" for item in due]
    vendor = [item for item in due if item.how != DATABASE_PASSWORD_HOW]
    if vendor:
        lines.append(
            "Rotate each at its vendor, then set the new value and record the date (estate repository):"
        )
        lines += [f"  {command}" for item in vendor for command in item.fix]
    for item in due:
        if item.how == DATABASE_PASSWORD_HOW:
            lines.append(
                f"{item.key[0].upper()}{item.key[1:]}: {item.how[0].lower()}{item.how[1:]} "
                + "(estate repository; docs/pipeline.md, 'Database passwords: rotated by hand'):"
            )
            lines += [f"  {command}" for command in item.fix]
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
    by_hand: dict[str, date] = {}
    passwords = rotation.get("databasePasswords")
    for app, day in cast(dict[str, Any], passwords if isinstance(passwords, dict) else {}).items():
        if f"{NAMESPACE}:rotation.databasePasswords.{app}" in placeholders:
            continue
        try:
            by_hand[app] = date.fromisoformat(str(day))
        except ValueError:
            continue
    found = rotation_due(stack, last_rotated, secret_descriptions(), int(period), today)
    found += database_passwords_due(stack, by_hand, int(period), today)
    return sorted(found, key=lambda item: (-item.days_overdue, item.key))


def main(argv: list[str] | None = None) -> int:
    from estate.engine import PROJECT_DIR, StackFileError
    from estate.output import write_json, write_line

    parser = argparse.ArgumentParser(prog="python -m estate.rotation", description=__doc__)
    parser.add_argument("--stack", required=True)
    parser.add_argument("--format", choices=("text", "json", "slack"), default="text")
    parser.add_argument("--today", type=date.fromisoformat, default=datetime.now(UTC).date())
    parser.add_argument("--project-dir", type=Path, default=PROJECT_DIR)
    args = parser.parse_args(argv)
    try:
        due = due_in_stack_file(args.stack, args.project_dir, args.today)
    except StackFileError as error:
        write_line(f"cannot read the rotation dates of {args.stack}: {error}", stderr=True)
        return 2
    if args.format == "json":
        write_json([asdict(item) for item in due])
    elif args.format == "slack":
        # Compact JSON: the drift job posts this file to Slack as it is.
        write_json({"text": slack_text(args.stack, due)} if due else {}, indent=None)
    elif due:
        write_line(slack_text(args.stack, due))
    else:
        write_line(f"Stack {args.stack}: no credential is past its rotation period.")
    return 1 if due else 0


if __name__ == "__main__":
    sys.exit(main())
