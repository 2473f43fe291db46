"""``python -m estate plan``: the real program under Pulumi's mocks, offline, and every check on it.

The program (``__main__.py``) runs unchanged with the stack's config from
``Pulumi.<stack>.yaml`` (``estate/engine.py``); the mocks stand in only for the
providers. Secrets cannot be decrypted offline, so every secret key gets a
placeholder, and every secret value is shown as ``"[secret]"``. The simulated
``up`` (``estate/simulation.py``) then checks the plan; any finding fails it.
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "plan",
        help="plan a stack offline: the real program under Pulumi mocks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--stack",
        required=True,
        action="append",
        help="stack name; reads Pulumi.<stack>.yaml. Repeat it to plan several stacks in one process "
        "(the SDKs are imported once): `make plan` plans prod and staging so",
    )
    parser.add_argument(
        "--format",
        choices=("tree", "json"),
        default="tree",
        help="tree for people, json for machines (one stack)",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="print only the summary line (and policy violations)"
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from estate.output import (
        plan_stacks,
        plan_summary,
        print_findings,
        print_plan_tree,
        write_json,
        write_line,
    )
    from estate.simulation import check

    quiet = bool(getattr(args, "quiet", False))
    stacks: list[str] = list(dict.fromkeys(args.stack))
    if args.format == "json" and len(stacks) != 1:
        write_line(f"--format json plans one stack; run it once per stack: {' '.join(stacks)}", stderr=True)
        return 2
    plans = plan_stacks(stacks, quiet=quiet or args.format == "json")
    if plans is None:
        return 2
    passed = True
    for planned in plans:
        plan = planned.to_json()
        # The simulated `up` on this plan: schema, first-up order, second-up changes and the policy
        # pack. Findings go to stderr; any of them (or a mandatory violation) fails the plan.
        findings = check(plan)
        passed = passed and findings.passed
        if args.format == "json":
            write_json({**plan, "checks": findings.to_json()})
            print_findings(findings)
            continue
        if quiet:
            write_line(plan_summary(plan))
        else:
            print_plan_tree(plan)
        # Each stack's last line says what was checked.
        print_findings(findings, summary_stderr=False)
    return 0 if passed else 1
