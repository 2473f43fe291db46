"""No workflow step prints a secret.

GitHub masks a secret's exact value in logs, but not a value derived from it
(base64, a URL built around it, one line of a multi-line key), and not after
``set -x`` has echoed a command. So a delivered workflow
(``.github/workflows/*.yml`` in a ``DeliveryBranch``'s ``files`` or a
``RepositoryFile``) never writes a secret to
its output: no ``echo``/``printf``/``cat``/``print`` of a ``${{ secrets.* }}``
expression, nor of an environment variable that carries one (``env:`` at
workflow, job or step level), unless the output goes into a file or a pipe
(``>> "$GITHUB_ENV"``, ``| wrangler secret put``); and no ``set -x`` in a step
that can see a secret.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from typing import Any, cast

from pulumi_policy import ReportViolation, ResourceValidationArgs

from policies.engine_view import field, violation, visible_text
from policies.resource_types import DELIVERY_BRANCH, REPOSITORY_FILE

_SECRET_EXPRESSION = re.compile(r"\$\{\{\s*secrets\.[A-Za-z0-9_]+\s*\}\}")
_PRINTERS = re.compile(r"(?:^|[;&|(]\s*|\bthen\s+|\bdo\s+)(echo|printf|cat|print|printenv|env)\b")
_TRACE = re.compile(r"(?:^|[\s;])set\s+-[a-z]*x")
_WORKFLOW_PATH = re.compile(r"^\.github/workflows/[^/]+\.ya?ml$")


def _secret_env(env: Any) -> set[str]:
    if not isinstance(env, Mapping):
        return set()
    return {
        str(name)
        for name, value in cast(Mapping[Any, Any], env).items()
        if isinstance(value, str) and _SECRET_EXPRESSION.search(value)
    }


def _commands(script: str) -> Iterator[str]:
    """Logical command lines of a ``run:`` script (continuations joined)."""
    for line in script.replace("\\\n", " ").splitlines():
        yield from (part.strip() for part in re.split(r"&&|\|\||;", line) if part.strip())


def _prints(command: str, secret_vars: set[str]) -> str | None:
    """What secret ``command`` prints to the log, or None."""
    match = _PRINTERS.search(command)
    if match is None:
        return None
    printed, *rest = re.split(r"\s(?:>>?|\|)\s?|\s\d?>>?", command[match.start(1) :], maxsplit=1)
    if rest:
        return None  # into a file or a pipe: not the log
    if match.group(1) in ("printenv", "env") and secret_vars:
        return f"`{match.group(1)}` with {sorted(secret_vars)} in its environment"
    if (expression := _SECRET_EXPRESSION.search(printed)) is not None:
        return expression.group(0)
    for name in secret_vars:
        if re.search(rf"\$\{{?{re.escape(name)}\b", printed):
            return f"${name} (from secrets)"
    return None


def workflow_leaks(content: str) -> list[str]:
    """Each step of a workflow file that prints a secret: ``job / step: what``."""
    return list(_workflow_leaks(content))


@functools.lru_cache(maxsize=256)
def _workflow_leaks(content: str) -> tuple[str, ...]:
    # Cached by content: a stack delivers the same few workflow files to several repositories.
    import yaml

    try:
        # libyaml's safe loader when PyYAML has it: the pure-Python parser was most of the pack's time.
        document = yaml.load(content, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return ()
    if not isinstance(document, Mapping):
        return ()
    workflow = cast(Mapping[str, Any], document)
    found: list[str] = []
    workflow_env = _secret_env(workflow.get("env"))
    for job_id, job in cast(Mapping[str, Any], workflow.get("jobs") or {}).items():
        if not isinstance(job, Mapping):
            continue
        job = cast(Mapping[str, Any], job)
        job_env = workflow_env | _secret_env(job.get("env"))
        for index, step in enumerate(cast(list[Any], job.get("steps") or [])):
            if not isinstance(step, Mapping):
                continue
            step = cast(Mapping[str, Any], step)
            script = step.get("run")
            if not isinstance(script, str):
                continue
            label = f"job {job_id} / step {step.get('name') or index + 1}"
            secret_vars = job_env | _secret_env(step.get("env"))
            sees_secret = bool(secret_vars) or bool(_SECRET_EXPRESSION.search(script))
            if sees_secret and _TRACE.search(script):
                found.append(f"{label}: `set -x` traces commands that handle a secret")
            for command in _commands(script):
                printed = _prints(command, secret_vars)
                if printed is not None:
                    found.append(f"{label}: prints {printed}")
    return tuple(found)


def validate_no_workflow_prints_a_secret(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type == REPOSITORY_FILE:
        files = [(visible_text(args.props, "file") or "", visible_text(args.props, "content"))]
    elif args.resource_type == DELIVERY_BRANCH:
        delivered = field(args.props, "files")
        paths = (
            sorted(str(p) for p in cast(Mapping[Any, Any], delivered))
            if isinstance(delivered, Mapping)
            else []
        )
        files = [(path, visible_text(args.props, "files", path)) for path in paths]
    else:
        return
    for path, content in files:
        if not _WORKFLOW_PATH.match(path) or content is None:
            continue
        for leak in workflow_leaks(content):
            report_violation(
                violation(
                    f"{path}: {leak}",
                    "pass the secret to the command that needs it (env: or a pipe), never to "
                    "echo/printf/cat; drop set -x",
                ),
                None,
            )
