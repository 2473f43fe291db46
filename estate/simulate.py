"""``python -m estate simulate --stack NAME``: the simulated ``up`` of a stack's plan, findings only.

Plans the stack offline (``estate/engine.py``) and runs every check of
``estate/simulation.py`` on it: the schema check, the first-``up`` order check, the
second-``up`` re-plan and the policy pack. Prints only the findings and the summary
line; ``--format json`` the findings as one document. Exit codes: 0 passes,
1 a finding, 2 unusable config.
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="plan a stack offline and simulate its first and second `up` (schema, order, perpetual diffs, policies)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--stack", required=True, help="stack name; reads Pulumi.<stack>.yaml")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="text for people, json for machines"
    )
    parser.add_argument("--quiet", action="store_true", help="print only the summary line")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from estate.output import plan_stacks, print_findings, write_json, write_line
    from estate.simulation import check

    quiet = bool(getattr(args, "quiet", False))
    plans = plan_stacks([args.stack], quiet=quiet or args.format == "json")
    if plans is None:
        return 2
    findings = check(plans[0].to_json())
    if args.format == "json":
        write_json(findings.to_json())
    elif quiet:
        write_line(findings.summary())
    else:
        print_findings(findings, stderr=False)
    return 0 if findings.passed else 1
