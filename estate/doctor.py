"""``python -m estate doctor --stack NAME``: every missing or invalid setting of a stack, at once.

Reads ``Pulumi.<stack>.yaml`` and validates it exactly as the program does
(``stacks.settings.load_settings``), except that a secret the file lacks is
reported as missing instead of getting the offline plan's placeholder. Each
problem comes with the exact ``pulumi config set [--secret]`` (or ``rm``) line
that fixes it; secrets are set without a value on the command line, so Pulumi
prompts for it and it stays out of the shell history.

Two lists, never mixed: *problems to fix* (invalid or missing settings, unknown
keys, plaintext secrets, staging reusing production's identifiers) and
*placeholders to replace before a real run* (the example values the committed
stack files mark ``# placeholder``, and secrets not set yet). A fresh clone has
only the second.

Encrypted secrets cannot be decrypted offline: their presence is checked, their
format only when the program runs with the real values (``pulumi preview``).

Exit status: 0 when every setting is present, real and valid; 1 while there is a
problem to fix or a credential past its rotation period (``estate:rotation``:
a ``lastRotated`` date more than ``externalPeriodDays`` ago; dates marked
``# placeholder`` are not judged); 3 when only placeholders are left to
replace; 2 when the stack file is missing or unreadable.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from estate.engine import PROJECT_DIR


@dataclass(frozen=True)
class Finding:
    """One missing or invalid setting and the command that fixes it."""

    key: str
    value: str
    message: str
    fix: str


@dataclass(frozen=True)
class Diagnosis:
    """A stack file's findings and what was checked.

    ``findings``: real problems (invalid or missing plain settings, unknown keys,
    plaintext secrets). ``to_replace``: what a fresh clone lacks before a real
    run, and only that: example values marked ``# placeholder`` in the stack
    file, and secrets not yet set (the offline plan's placeholders).
    """

    stack: str
    findings: list[Finding]
    settings_present: int
    encrypted_secrets: list[str]
    to_replace: list[Finding] = field(default_factory=lambda: list[Finding]())
    # Credentials people set whose lastRotated date is past the stack's externalPeriodDays (estate.rotation).
    rotation_due: list[Finding] = field(default_factory=lambda: list[Finding]())

    @property
    def ok(self) -> bool:
        return not self.findings and not self.to_replace and not self.rotation_due

    @property
    def summary(self) -> str:
        if self.ok:
            unverified = (
                (
                    f"; {len(self.encrypted_secrets)} encrypted secret(s): present, their format is checked "
                    "with the real values on `pulumi preview`"
                )
                if self.encrypted_secrets
                else ""
            )
            return f"{self.stack}: all {self.settings_present} settings present{unverified}"
        secrets = sum(1 for f in self.to_replace if f.value == "(missing)")
        examples = len(self.to_replace) - secrets
        before = (
            f"before a real run: replace {examples} placeholder value(s), set {secrets} secret(s)"
            if self.to_replace
            else "nothing else to replace before a real run"
        )
        missing = sum(1 for f in self.findings if f.value == "(missing)")
        problems = (
            f"{len(self.findings)} problem(s) to fix ({missing} missing, {len(self.findings) - missing} invalid)"
            if self.findings
            else "no problems"
        )
        rotate = (
            f"; {len(self.rotation_due)} credential(s) past the rotation period" if self.rotation_due else ""
        )
        return f"{self.stack}: {problems}{rotate}; {before}; {self.settings_present} present"


def exact_fix(fix: str, stack: str) -> str:
    """The settings' fix with ``--stack`` on every command (the settings already prompt for secrets)."""
    from stacks.settings import with_stack

    return with_stack(fix, stack)


def diagnose(stack: str, project_dir: Path = PROJECT_DIR, today: date | None = None) -> Diagnosis:
    """Validates ``Pulumi.<stack>.yaml`` of ``project_dir``; raises ``StackFileError`` if unreadable.

    ``today``: the date rotation periods are judged against (default: today, UTC).
    """
    from estate.engine import load_stack_config
    from estate.rotation import due_in_stack_file
    from stacks.settings import (
        OFFLINE_SECRET_PLACEHOLDER,
        SettingsError,
        config_set,
        known_config_keys,
        load_settings,
        production_stack_config,
        rotation_entry,
        secret_config_keys,
    )
    from stacks.stack_files import placeholder_keys, stack_file_config

    path = project_dir / f"Pulumi.{stack}.yaml"
    config, secret_keys, placeholders = load_stack_config(stack, project_dir)
    in_file = set(stack_file_config(path))
    # Offline the plan fills absent secrets with a placeholder; the doctor calls them missing.
    for key in placeholders:
        if key not in in_file:
            config.pop(key, None)
            secret_keys.remove(key)

    problems: list[Finding] = []
    try:
        load_settings(
            stack, config, secret_keys, production_config=production_stack_config(project_dir), offline=True
        )
    except SettingsError as error:
        problems = [Finding(p.key, p.value, p.message, exact_fix(p.fix, stack)) for p in error.problems]

    secrets = set(secret_config_keys())
    to_replace = [f for f in problems if f.key in secrets and f.value == "(missing)"]
    findings = [f for f in problems if f not in to_replace]
    bad = {f.key for f in findings}
    for key in placeholder_keys(path):
        if key not in bad:
            to_replace.append(
                Finding(
                    key,
                    "(placeholder)",
                    "an example value committed to the repository; replace it with yours",
                    config_set(key, path="." in key, stack=stack),
                )
            )

    known = set(known_config_keys())
    present = sum(1 for key in config if key in known)
    encrypted = sorted(
        key for key in placeholders if key in in_file and config.get(key) == OFFLINE_SECRET_PLACEHOLDER
    )
    rotation_due = [
        Finding(
            due.record_key or f"estate:rotation.lastRotated.{rotation_entry(due.key)}",
            due.last_rotated,
            f"{due.key} ({due.description}) is past the rotation period: due on {due.due}, {due.days_overdue} "
            f"day(s) ago. {due.how}",
            " && ".join(command for command in due.fix if not command.startswith("#")),
        )
        for due in due_in_stack_file(stack, project_dir, today or datetime.now(UTC).date())
    ]
    return Diagnosis(stack, findings, present, encrypted, to_replace, rotation_due)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="list every missing or invalid setting of a stack, with the command that fixes it",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--stack", required=True, help="stack name; reads Pulumi.<stack>.yaml")
    parser.add_argument(
        "--format", choices=("table", "json"), default="table", help="table for people, json for machines"
    )
    parser.add_argument("--quiet", action="store_true", help="print only the summary line")
    parser.add_argument(
        "--project-dir",
        type=Path,
        default=PROJECT_DIR,
        help="the directory with Pulumi.yaml (default: this repository)",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from estate.engine import StackFileError
    from estate.output import print_diagnosis, print_error_list, write_json

    try:
        diagnosis = diagnose(args.stack, args.project_dir)
    except StackFileError as error:
        print_error_list("cannot read the stack file", list(error.problems))
        return 2
    if args.format == "json":
        write_json(document(diagnosis))
    else:
        print_diagnosis(document(diagnosis), quiet=args.quiet)
    if diagnosis.findings or diagnosis.rotation_due:
        return 1
    return 3 if diagnosis.to_replace else 0


def document(diagnosis: Diagnosis) -> dict[str, Any]:
    """The diagnosis for machines, and what ``estate/output.py`` prints for people."""
    return {
        "stack": diagnosis.stack,
        "ok": diagnosis.ok,
        "settings_present": diagnosis.settings_present,
        "encrypted_secrets": diagnosis.encrypted_secrets,
        "findings": [asdict(f) for f in diagnosis.findings],
        "to_replace": [asdict(f) for f in diagnosis.to_replace],
        "rotation_due": [asdict(f) for f in diagnosis.rotation_due],
        "summary": diagnosis.summary,
    }
