"""Command dispatcher.

Each command lives in its own module under ``estate/`` and exposes
``register(subparsers)``, which adds its parser and sets ``handler`` to a
function ``(args) -> int`` (the exit code). Command modules keep heavy imports
(Pulumi, provider SDKs, boto3) inside their handlers so that ``--help`` and
unrelated commands stay fast.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence

# Module names under estate/ that provide a command, in the order shown by --help.
COMMAND_MODULES: tuple[str, ...] = (
    "plan",
    "check",
    "simulate",
    "diff",
    "graph",
    "doctor",
    "import_file",
    "backend",
    "alerts",
)
# Top-level modules of the development set (requirements-dev.in) that a command may import:
# `make plan` installs only the runtime set (docs/dependencies.md).
DEVELOPMENT_SET_MODULES = frozenset({"boto3", "botocore", "pulumi_supabase"})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m estate",
        description="Plan, check and operate the web estate's Pulumi stacks.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(f"estate.{module_name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except ModuleNotFoundError as error:
        missing = (error.name or "").split(".")[0]
        if missing not in DEVELOPMENT_SET_MODULES:
            raise
        from estate.output import write_line

        write_line(
            f"error: `python -m estate {args.command}` needs {missing}, which is in the development set "
            "that `make plan` does not install. Fix: make dev",
            stderr=True,
        )
        return 2
