"""``python -m estate doctor --stack NAME``: every missing or invalid setting of a stack, at once.

Reads ``Pulumi.<stack>.yaml`` and validates it exactly as the program does
(``stacks.settings.load_settings``), except that a secret the file lacks is
reported as missing instead of getting the offline plan's placeholder. Each
problem comes with the exact ``pulumi config set [--secret]`` (or ``rm``) line
that fixes it; secrets are set without a value on the command line, so Pulumi
prompts for it and it stays out of the shell history.

Encrypted secrets cannot be decrypted offline: their presence is checked, their
format only when the program runs with the real values (``pulumi preview``).

Exit status: 0 when every setting is present and valid, 1 while anything is
missing or invalid, 2 when the stack file is missing or unreadable.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from estate.plan import PROJECT_DIR


@dataclass(frozen=True)
class Finding:
    """One missing or invalid setting and the command that fixes it."""

    key: str
    value: str
    message: str
    fix: str


@dataclass(frozen=True)
class Diagnosis:
    """A stack file's findings and what was checked."""

    stack: str
    findings: list[Finding]
    settings_present: int
    encrypted_secrets: list[str]

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def summary(self) -> str:
        if self.ok:
            unverified = (f"; {len(self.encrypted_secrets)} encrypted secret(s): present, their format is checked "
                          "with the real values on `pulumi preview`") if self.encrypted_secrets else ""  # fmt: skip
            return f"{self.stack}: all {self.settings_present} settings present{unverified}"
        missing = sum(1 for f in self.findings if f.value == "(missing)")
        return (f"{self.stack}: {len(self.findings)} setting(s) to fix "
                f"({missing} missing, {len(self.findings) - missing} invalid); {self.settings_present} present")  # fmt: skip


def exact_fix(fix: str, stack: str) -> str:
    """The settings' fix with ``--stack`` on every command (the settings already prompt for secrets)."""
    from stacks.settings import with_stack

    return with_stack(fix, stack)


def diagnose(stack: str, project_dir: Path = PROJECT_DIR) -> Diagnosis:
    """Validates ``Pulumi.<stack>.yaml`` of ``project_dir``; raises ``StackFileError`` if unreadable."""
    import yaml

    from estate.plan import load_stack_config
    from stacks.settings import OFFLINE_SECRET_PLACEHOLDER, SettingsError, known_config_keys, load_settings

    config, secret_keys, placeholders = load_stack_config(stack, project_dir)
    in_file = set((yaml.safe_load((project_dir / f"Pulumi.{stack}.yaml").read_text()) or {}).get("config") or {})
    # Offline the plan fills absent secrets with a placeholder; the doctor calls them missing.
    for key in placeholders:
        if key not in in_file:
            config.pop(key, None)
            secret_keys.remove(key)

    findings: list[Finding] = []
    try:
        load_settings(stack, config, secret_keys)
    except SettingsError as error:
        findings = [Finding(p.key, p.value, p.message, exact_fix(p.fix, stack)) for p in error.problems]

    known = set(known_config_keys())
    present = sum(1 for key in config if key in known)
    encrypted = sorted(key for key in placeholders if key in in_file and config.get(key) == OFFLINE_SECRET_PLACEHOLDER)
    return Diagnosis(stack, findings, present, encrypted)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="list every missing or invalid setting of a stack, with the command that fixes it",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--stack", required=True, help="stack name; reads Pulumi.<stack>.yaml")
    parser.add_argument("--format", choices=("table", "json"), default="table", help="table for people, json for machines")
    parser.add_argument("--quiet", action="store_true", help="print only the summary line")
    parser.add_argument("--project-dir", type=Path, default=PROJECT_DIR, help="the directory with Pulumi.yaml (default: this repository)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from estate.output import print_error_list, write_json
    from estate.plan import StackFileError

    try:
        diagnosis = diagnose(args.stack, args.project_dir)
    except StackFileError as error:
        print_error_list("cannot read the stack file", [str(error)])
        return 2
    if args.format == "json":
        write_json(document(diagnosis))
    else:
        print_diagnosis(diagnosis, quiet=args.quiet)
    return 0 if diagnosis.ok else 1


def document(diagnosis: Diagnosis) -> dict[str, Any]:
    """The diagnosis for machines."""
    return {
        "stack": diagnosis.stack,
        "ok": diagnosis.ok,
        "settings_present": diagnosis.settings_present,
        "encrypted_secrets": diagnosis.encrypted_secrets,
        "findings": [asdict(f) for f in diagnosis.findings],
        "summary": diagnosis.summary,
    }


def print_diagnosis(diagnosis: Diagnosis, *, quiet: bool = False) -> None:
    """The findings for people: a table of key, problem and fix, then the summary line."""
    from rich.markup import escape
    from rich.table import Table

    from estate.output import console

    out = console()
    if diagnosis.findings and not quiet:
        table = Table(title=f"Stack {escape(diagnosis.stack)}: settings to fix", title_justify="left", show_lines=True)
        table.add_column("setting", style="bold")
        table.add_column("problem")
        table.add_column("fix (run in the project directory)", style="cyan")
        for finding in diagnosis.findings:
            value = "" if finding.value == "(missing)" else f"\n[dim]now: {escape(finding.value)}[/]"
            problem = "[red]missing[/]" if finding.value == "(missing)" else "[yellow]invalid[/]"
            table.add_row(escape(finding.key), f"{problem}: {escape(finding.message)}{value}", escape(finding.fix))
        out.print(table)
        out.print("[bold]All fixes, to paste:[/]")
        for finding in diagnosis.findings:
            out.print(escape(finding.fix), soft_wrap=True)
        if any("--secret" in f.fix for f in diagnosis.findings):
            out.print("[dim]`pulumi config set --secret KEY` prompts for the value, so it stays out of your shell history.[/]")
    colour = "green" if diagnosis.ok else "red"
    out.print(f"[bold {colour}]{escape(diagnosis.summary)}[/]")
