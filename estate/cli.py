"""Command dispatcher.

Each command lives in its own module under ``estate/`` and exposes
``register(subparsers)``, which adds its parser and sets ``handler`` to a
function ``(args) -> int`` (the exit code). Command modules keep heavy imports
(Pulumi, provider SDKs, boto3) inside their handlers so that ``--help`` and
unrelated commands stay fast, and a run imports only its own command's module.
"""

from __future__ import annotations

import argparse
import importlib
import sys
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


def build_parser(command_module: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or of the command in ``command_module`` alone (no other module imported)."""
    parser = argparse.ArgumentParser(
        prog="python -m estate",
        description="Plan, check and operate the web estate's Pulumi stacks.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMAND_MODULES if command_module is None else (command_module,):
        importlib.import_module(f"estate.{module_name}").register(subparsers)
    return parser


def command_module(argv: Sequence[str]) -> str | None:
    """The module of the command ``argv`` names (its first word), when it names one; else None."""
    first = next((word for word in argv if not word.startswith("-")), None)
    module = (first or "").replace("-", "_")
    return module if module in COMMAND_MODULES else None


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    # Help, no command or an unknown one: every command's parser, so argparse can list them all.
    parser = build_parser(command_module(words))
    args = parser.parse_args(words)
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
