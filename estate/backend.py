"""`python -m estate backend`: bootstrap and recover the S3 + KMS Pulumi state backend.

Actions:

* ``bootstrap``: create the bucket and KMS key (or check them), print the login lines;
* ``history``: list the stored versions of a stack's state;
* ``restore``: make one stored version current again, keeping a copy of the current one.

The logic lives in ``estate/backend_ops`` (plain functions over boto3 clients);
this module only parses flags, opens clients and prints. Exit codes: 0 done,
1 existing resources are weaker than wanted and ``--fix`` was not given,
2 bad input or an AWS refusal.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Protocol, cast

from estate.backend_ops.inputs import DEFAULT_KMS_ALIAS, DEFAULT_NONCURRENT_DAYS, DEFAULT_PROJECT

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import Console

    from estate.backend_ops.aws import AwsClients
    from estate.backend_ops.bootstrap import BootstrapResult
    from estate.backend_ops.recovery import RestoreResult, StackLocation, StateHistory

EXIT_OK = 0
EXIT_WEAK_SETTINGS = 1
EXIT_BAD_INPUT = 2


class _Subparsers(Protocol):
    def add_parser(self, name: str, *, help: str, description: str) -> argparse.ArgumentParser: ...


def register(subparsers: _Subparsers) -> None:
    """Add `backend` and its three actions to the estate CLI."""
    parser = subparsers.add_parser(
        "backend",
        help="bootstrap, inspect and recover the S3 + KMS Pulumi state backend",
        description=__doc__ or "",
    )
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    actions = parser.add_subparsers(dest="backend_action", required=True, metavar="ACTION")

    bootstrap = actions.add_parser(
        "bootstrap",
        help="create or check the state bucket and KMS key",
        description="Create (or check) the versioned, KMS-encrypted, private, TLS-only state "
        + "bucket and its rotating KMS key. Existing weaker settings are only changed with --fix.",
    )
    _add_location_flags(bootstrap)
    _ = bootstrap.add_argument(
        "--kms-alias",
        default=DEFAULT_KMS_ALIAS,
        help=f"alias of the customer KMS key for bucket and Pulumi secrets (default {DEFAULT_KMS_ALIAS})",
    )
    _ = bootstrap.add_argument(
        "--noncurrent-days",
        type=int,
        default=DEFAULT_NONCURRENT_DAYS,
        metavar="N",
        help=f"days an overwritten state version stays recoverable (default {DEFAULT_NONCURRENT_DAYS})",
    )
    _ = bootstrap.add_argument(
        "--fix",
        action="store_true",
        help="also change settings of an existing bucket or key that are weaker than wanted",
    )
    _add_output_flags(bootstrap)
    bootstrap.set_defaults(handler=run_bootstrap)

    history = actions.add_parser(
        "history",
        help="list the stored versions of a stack's state",
        description="List every stored version of a stack's Pulumi checkpoint, newest first.",
    )
    _add_location_flags(history)
    _add_stack_flags(history)
    _add_output_flags(history)
    history.set_defaults(handler=run_history)

    restore = actions.add_parser(
        "restore",
        help="make a stored version of a stack's state current again",
        description="Copy the current checkpoint to .pulumi/backups/, then make --version current.",
    )
    _add_location_flags(restore)
    _add_stack_flags(restore)
    _ = restore.add_argument(
        "--version", required=True, metavar="ID", help="S3 version id, from the history action"
    )
    _add_output_flags(restore)
    restore.set_defaults(handler=run_restore)


def _add_output_flags(parser: argparse.ArgumentParser) -> None:
    _ = parser.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="table for people (default), json for scripts",
    )
    _ = parser.add_argument("--quiet", action="store_true", help="print nothing but errors")


def _emit(args: argparse.Namespace, document: object, show: Callable[[], None]) -> None:
    """JSON for scripts, nothing when quiet, else the people's view."""
    if _text(args, "format") == "json":
        _ = sys.stdout.write(json.dumps(document, indent=2, default=str) + "\n")
    elif _arg(args, "quiet") is not True:
        show()


def _add_location_flags(parser: argparse.ArgumentParser) -> None:
    _ = parser.add_argument("--bucket", required=True, help="S3 bucket that holds the Pulumi state")
    # Required on purpose: a silent default region is how state ends up in the wrong place.
    _ = parser.add_argument("--region", required=True, help="AWS region of the bucket, e.g. eu-west-1")


def _add_stack_flags(parser: argparse.ArgumentParser) -> None:
    _ = parser.add_argument("--stack", required=True, help="stack name, e.g. prod or staging")
    _ = parser.add_argument(
        "--project", default=DEFAULT_PROJECT, help=f"Pulumi project name (default {DEFAULT_PROJECT})"
    )


# ----- handlers -----


def run_bootstrap(args: argparse.Namespace) -> int:
    from estate.backend_ops.bootstrap import BootstrapRequest, bootstrap

    request = BootstrapRequest(
        bucket=_text(args, "bucket"),
        region=_text(args, "region"),
        kms_alias=_text(args, "kms_alias"),
        noncurrent_days=_number(args, "noncurrent_days"),
        fix=_arg(args, "fix") is True,
    )

    def act(clients: AwsClients) -> int:
        from dataclasses import asdict

        result = bootstrap(clients, request)
        _emit(args, asdict(result), lambda: _print_bootstrap(result))
        return EXIT_WEAK_SETTINGS if result.blocked else EXIT_OK

    return _with_aws(request.problems(), request.region, act)


def run_history(args: argparse.Namespace) -> int:
    from estate.backend_ops.recovery import state_history

    location = _stack_location(args)

    def act(clients: AwsClients) -> int:
        history = state_history(clients.s3, location)
        _emit(args, history.to_json(), lambda: _print_history(history))
        return EXIT_OK

    return _with_aws(location.problems(), location.region, act)


def run_restore(args: argparse.Namespace) -> int:
    from estate.backend_ops.inputs import version_id_problems
    from estate.backend_ops.recovery import restore_state_version

    location = _stack_location(args)
    version_id = _text(args, "version")

    def act(clients: AwsClients) -> int:
        from dataclasses import asdict

        result = restore_state_version(clients.s3, location, version_id)
        _emit(args, asdict(result), lambda: _print_restore(result))
        return EXIT_OK

    return _with_aws([*location.problems(), *version_id_problems(version_id)], location.region, act)


def _stack_location(args: argparse.Namespace) -> StackLocation:
    from estate.backend_ops.recovery import StackLocation

    return StackLocation(
        bucket=_text(args, "bucket"),
        region=_text(args, "region"),
        stack=_text(args, "stack"),
        project=_text(args, "project"),
    )


def _arg(args: argparse.Namespace, name: str) -> object:
    return cast(object, getattr(args, name))


def _text(args: argparse.Namespace, name: str) -> str:
    return str(_arg(args, name))


def _number(args: argparse.Namespace, name: str) -> int:
    value = _arg(args, name)
    assert isinstance(value, int), f"argparse declares --{name} with type=int"
    return value


def _with_aws(problems: list[str], region: str, act: _Action) -> int:
    """Report input problems without touching AWS; otherwise open clients and run ``act``.

    Every operator-fixable failure ends here as a red message and exit code 2.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    from estate.backend_ops.aws import describe_aws_failure, open_clients, scrub
    from estate.backend_ops.inputs import BackendError

    if problems:
        _print_problems(problems)
        return EXIT_BAD_INPUT
    secret_values: tuple[str, ...] = ()
    try:
        clients = open_clients(region)
        secret_values = clients.secret_values
        return act(clients)
    except BackendError as error:
        _print_problems([scrub(problem, secret_values) for problem in error.problems])
    except (BotoCoreError, ClientError) as error:
        _print_problems([describe_aws_failure(error, secret_values)])
    return EXIT_BAD_INPUT


class _Action(Protocol):
    def __call__(self, clients: AwsClients, /) -> int: ...


# ----- output -----


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    # soft_wrap: long lines (commands, URLs) stay whole for copy-paste and grep.
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def _print_problems(problems: list[str]) -> None:
    console = _console(stderr=True)
    noun = "problem" if len(problems) == 1 else "problems"
    console.print(f"[bold red]error:[/] {len(problems)} {noun}; nothing was changed.")
    for problem in problems:
        console.print(f"  - {problem}", markup=False)


_STATUS_STYLE = {
    "ok": "green",
    "missing": "yellow",
    "weak": "bold red",
    "created": "cyan",
    "fixed": "cyan",
}


def _print_bootstrap(result: BootstrapResult) -> None:
    from rich.table import Table

    from estate.backend_ops import layout

    request = result.request
    console = _console()
    table = Table(title=f"Pulumi backend s3://{request.bucket} ({request.region})", title_justify="left")
    for column in ("resource", "setting", "wanted", "found", "result"):
        table.add_column(column)
    for report in result.settings:
        style = _STATUS_STYLE[report.status.value]
        table.add_row(
            report.resource, report.setting, report.wanted, report.found, f"[{style}]{report.status}[/]"
        )
    console.print(table)

    if result.blocked:
        console.print(
            f"[bold red]{len(result.weak)} setting(s) of existing resources are weaker than "
            + "wanted; nothing was changed.[/]"
        )
        for report in result.weak:
            console.print(
                f"  - {report.resource}: {report.setting}: found {report.found}; wanted "
                + f"{report.wanted}. --fix fixes it.",
                markup=False,
            )
        console.print("Re-run with --fix to change exactly these settings:", markup=False)
        console.print(_bootstrap_command(result, fix=True), markup=False)
        return

    created = sum(1 for r in result.changed if r.status.value == "created")
    fixed = sum(1 for r in result.changed if r.status.value == "fixed")
    if not result.changed:
        console.print(
            f"[green]No change:[/] s3://{request.bucket} and {request.kms_alias} already have "
            + "every setting; nothing was written."
        )
    else:
        console.print(f"[green]Done:[/] {created} setting(s) created, {fixed} fixed.")
    if result.key_arn is not None:
        # The ARN, not the alias, is what IAM policies name (docs/backend.md).
        console.print(f"KMS key: {result.key_arn}", markup=False)
    console.print("Next, from the project directory:", markup=False)
    for line in layout.next_steps(request.bucket, request.region, request.kms_alias):
        console.print(line, markup=False)


def _bootstrap_command(result: BootstrapResult, fix: bool) -> str:
    request = result.request
    command = (
        f"python -m estate backend bootstrap --bucket {request.bucket} --region {request.region} "
        + f"--kms-alias {request.kms_alias} --noncurrent-days {request.noncurrent_days}"
    )
    return command + (" --fix" if fix else "")


def _print_history(history: StateHistory) -> None:
    from rich.table import Table

    location = history.location
    console = _console()
    keys = {version.key for version in history.versions}
    table = Table(
        title=f"State of {location.project}/{location.stack} in s3://{location.bucket} ({location.region})",
        title_justify="left",
    )
    for column in ("#", "version", "last modified (UTC)", "size", "status"):
        table.add_column(column, no_wrap=column == "version")
    if len(keys) > 1:
        table.add_column("key")
    for index, version in enumerate(history.versions, start=1):
        if version.is_delete_marker:
            status = "[red]deleted here[/]" + (" (current)" if version.is_latest else "")
        else:
            status = "[green]current[/]" if version.is_latest else "previous"
        size = "-" if version.size is None else f"{version.size:,} B"
        row = [
            str(index),
            version.version_id,
            version.last_modified.strftime("%Y-%m-%d %H:%M:%S"),
            size,
            status,
        ]
        if len(keys) > 1:
            row.append(version.key)
        table.add_row(*row)
    console.print(table)
    console.print(f"{len(history.versions)} version(s); bring one back with:", markup=False)
    console.print(
        f"python -m estate backend restore --bucket {location.bucket} --region {location.region} "
        + f"--stack {location.stack} --project {location.project} --version VERSION",
        markup=False,
    )
    if history.versioning != "Enabled":
        console.print(
            f"[yellow]warning:[/] versioning on s3://{location.bucket} is {history.versioning}: "
            + "overwritten state is not kept. Run `python -m estate backend bootstrap ... --fix`."
        )


def _print_restore(result: RestoreResult) -> None:
    location = result.location
    console = _console()
    url = location.url(result.key)
    if result.already_current:
        console.print(
            f"[green]No change:[/] version {result.restored_version_id} is already the current "
            + f"state at {url}; nothing was written."
        )
        return
    console.print(
        f"[green]Restored[/] {url} from version {result.restored_version_id} "
        + f"(new current version {result.new_version_id})."
    )
    if result.backup_key is not None:
        console.print(
            f"The state that was current (version {result.previous_version_id}) is kept at "
            + f"{location.url(result.backup_key)} and stays listed in `history`.",
            markup=False,
        )
    else:
        console.print(
            "The stack had been deleted (its current version was a delete marker), so there was "
            + "no current state to back up; every earlier version stays listed in `history`.",
            markup=False,
        )
    console.print(
        f"Check it from the project directory: pulumi stack select {location.stack} && pulumi preview",
        markup=False,
    )
