"""``python -m estate check``: the policy pack, offline, on a plan document; and stack-file hygiene.

    python -m estate plan --stack prod --format json > plan.json
    python -m estate check plan.json               # or: --stack prod, or `-` for stdin
    python -m estate check --stack-files           # plaintext secrets in Pulumi.<stack>.yaml

Runs the ``estate-guardrails`` pack (policies/) with the same rule code as
``pulumi preview --policy-pack policies``. Exit codes: 0 clean (advisory
warnings allowed), 1 a mandatory violation or a stack-file problem, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from estate.hygiene import HygieneProblem
    from estate.policy_runner import Violation


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "check",
        help="check a plan with the policy pack (offline) and stack files for plaintext secrets",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "plan",
        nargs="?",
        metavar="PLAN.json",
        help="a plan document as `estate plan --format json` prints it; `-` reads stdin",
    )
    parser.add_argument("--stack", help="plan this stack offline and check it (instead of PLAN.json)")
    parser.add_argument(
        "--stack-files",
        action="store_true",
        help="also check every Pulumi.<stack>.yaml for plaintext secrets",
    )
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="text for people, json for machines"
    )
    parser.add_argument("--quiet", action="store_true", help="print only the summary lines")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from estate.output import print_error_list, print_stack_file_problems, print_violations, write_json

    if args.plan and args.stack:
        print_error_list(
            "check: give PLAN.json or --stack, not both",
            [f"PLAN.json = {args.plan!r}, --stack = {args.stack!r}: drop one of them"],
        )
        return 2
    if not (args.plan or args.stack or args.stack_files):
        print_error_list(
            "check: nothing to check",
            [
                "give PLAN.json (from `estate plan --stack NAME --format json`), --stack NAME, "
                "and/or --stack-files"
            ],
        )
        return 2

    plan: dict[str, Any] | None = None
    violations: list[Violation] = []
    plan_errors: list[str] = []
    plan_error_title = ""
    if args.plan or args.stack:
        loaded = _load_plan(args.plan) if args.plan else _plan_stack(args.stack)
        if isinstance(loaded, list):
            plan_errors, plan_error_title = loaded, "check: cannot read the plan"
        else:
            from estate.policy_runner import PlanDocumentError, run_policies

            try:
                violations = run_policies(loaded)
                plan = loaded
            except PlanDocumentError as error:
                source = "stdin" if args.plan == "-" else args.plan or f"the plan of stack {args.stack}"
                plan_errors, plan_error_title = error.problems, f"check: {source} is not a plan document"

    # The stack files are checked whether or not the plan loads: a plan that fails on a
    # plaintext secret is exactly when this check matters.
    stack_file_problems: list[HygieneProblem] = []
    if args.stack_files:
        from estate.hygiene import check_stack_files

        stack_file_problems = check_stack_files()

    failed = any(v.mandatory for v in violations) or bool(stack_file_problems)
    if args.format == "json":
        from policies.pack import PACK_NAME

        document = {
            "pack": PACK_NAME,
            "stack": plan.get("stack") if plan else args.stack,
            "passed": not failed and not plan_errors,
            "plan_errors": plan_errors,
            "violations": [v.to_json() for v in violations],
            "stack_files": [p.to_json() for p in stack_file_problems],
        }
        write_json(document)
    else:
        if plan_errors:
            print_error_list(plan_error_title, plan_errors)
        if plan is not None:
            print_violations(violations, str(plan.get("stack", "?")), quiet=getattr(args, "quiet", False))
        if args.stack_files:
            print_stack_file_problems(stack_file_problems, quiet=getattr(args, "quiet", False))
    if plan_errors:
        return 2
    return 1 if failed else 0


def _load_plan(source: str) -> dict[str, Any] | list[str]:
    """The plan document, or the problems that keep it from being read."""
    name = "stdin" if source == "-" else source
    try:
        raw = sys.stdin.read() if source == "-" else Path(source).read_text()
    except OSError as error:
        return [
            f"PLAN.json = {source!r}: {error.strerror}; write one with "
            "`python -m estate plan --stack NAME --format json > plan.json`"
        ]
    try:
        document = json.loads(raw)
    except json.JSONDecodeError as error:
        return [
            f"{name} is not JSON (line {error.lineno}, column {error.colno}: {error.msg}); pass the output "
            "of `python -m estate plan --stack NAME --format json`"
        ]
    return (
        document
        if isinstance(document, dict)
        else [f"{name} holds a JSON {type(document).__name__}, not a plan"]
    )


def _plan_stack(stack: str) -> dict[str, Any] | list[str]:
    from estate.engine import StackFileError, run_plan
    from stacks.settings import SettingsError

    try:
        return run_plan(stack).to_json()
    except SettingsError as error:
        return [str(problem) for problem in error.problems]
    except StackFileError as error:
        return list(error.problems)
