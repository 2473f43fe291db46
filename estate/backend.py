"""`python -m estate backend bootstrap`: create or check the S3 + KMS Pulumi state backend.

A team runs it once (and again to check): it creates the versioned, KMS-encrypted,
private, TLS-only bucket and its rotating key, or reports each setting of an
existing bucket or key that is weaker, and prints the `pulumi login` and
`pulumi stack init` lines. Recovering old state needs no tool of ours: Pulumi's
own backups and S3 versioning, then `pulumi stack import` (docs/backend.md).

The logic lives in ``estate/backend_ops`` (plain functions over boto3 clients);
this module only parses flags, opens clients and hands the results to
``estate/output.py``. Exit codes: 0 done,
1 existing resources are weaker than wanted and ``--fix`` was not given,
2 bad input or an AWS refusal.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Protocol, cast

from estate.backend_ops.inputs import DEFAULT_KMS_ALIAS, DEFAULT_NONCURRENT_DAYS

if TYPE_CHECKING:
    from collections.abc import Callable

    from estate.backend_ops.aws import AwsClients
    from estate.backend_ops.bootstrap import BootstrapResult

EXIT_OK = 0
EXIT_WEAK_SETTINGS = 1
EXIT_BAD_INPUT = 2


class _Subparsers(Protocol):
    def add_parser(self, name: str, *, help: str, description: str) -> argparse.ArgumentParser: ...


def register(subparsers: _Subparsers) -> None:
    """Add `backend` and its action to the estate CLI."""
    parser = subparsers.add_parser(
        "backend",
        help="create or check the S3 + KMS Pulumi state backend",
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
    _ = bootstrap.add_argument("--bucket", required=True, help="S3 bucket that holds the Pulumi state")
    # Required on purpose: a silent default region is how state ends up in the wrong place.
    _ = bootstrap.add_argument("--region", required=True, help="AWS region of the bucket, e.g. eu-west-1")
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
    _ = bootstrap.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="table for people (default), json for scripts",
    )
    _ = bootstrap.add_argument("--quiet", action="store_true", help="print nothing but errors")
    bootstrap.set_defaults(handler=run_bootstrap)


def _emit(args: argparse.Namespace, document: object, show: Callable[[], None]) -> None:
    """JSON for scripts, nothing when quiet, else the people's view."""
    from estate.output import write_json

    if _text(args, "format") == "json":
        write_json(document, default=str)
    elif _arg(args, "quiet") is not True:
        show()


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
        _emit(args, asdict(result), lambda: _show_bootstrap(result))
        return EXIT_WEAK_SETTINGS if result.blocked else EXIT_OK

    return _with_aws(request.problems(), request.region, act)


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
    from estate.output import print_backend_problems

    if problems:
        print_backend_problems(problems)
        return EXIT_BAD_INPUT
    secret_values: tuple[str, ...] = ()
    try:
        clients = open_clients(region)
        secret_values = clients.secret_values
        return act(clients)
    except BackendError as error:
        print_backend_problems([scrub(problem, secret_values) for problem in error.problems])
    except (BotoCoreError, ClientError) as error:
        print_backend_problems([describe_aws_failure(error, secret_values)])
    return EXIT_BAD_INPUT


class _Action(Protocol):
    def __call__(self, clients: AwsClients, /) -> int: ...


# ----- output (estate/output.py prints) -----


def _show_bootstrap(result: BootstrapResult) -> None:
    from estate.backend_ops.bootstrap import next_steps
    from estate.output import print_bootstrap

    request = result.request
    print_bootstrap(
        result,
        next_steps=next_steps(request.bucket, request.region, request.kms_alias),
        fix_command=_bootstrap_command(result, fix=True),
    )


def _bootstrap_command(result: BootstrapResult, fix: bool) -> str:
    request = result.request
    command = (
        f"python -m estate backend bootstrap --bucket {request.bucket} --region {request.region} "
        + f"--kms-alias {request.kms_alias} --noncurrent-days {request.noncurrent_days}"
    )
    return command + (" --fix" if fix else "")
