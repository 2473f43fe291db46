"""The engine: runs the real program under Pulumi's mocks, offline, and yields its plan document.

The program (``__main__.py``) runs unchanged with the stack's config from
``Pulumi.<stack>.yaml``; the mocks (``estate/mocks.py``, answering from the
provider models) stand in only for the providers, and the recorder
(``estate/recording_monitor.py``) keeps what the engine would see. Secrets cannot
be decrypted offline, so every secret key gets a placeholder, and every secret
value is shown as ``"[secret]"``. The commands (``estate/plan.py`` and the others)
are thin layers over :func:`run_plan`; what they print lives in ``estate/output.py``.
"""

from __future__ import annotations

import asyncio
import copy
import gc
import json
import runpy
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from estate.plan_document import SECRET, PlanDocument
from stacks.stack_files import StackFileError  # re-exported: the tooling's callers import it from here

__all__ = ["PROJECT_DIR", "StackFileError", "load_stack_config", "run_plan", "run_program"]

PROJECT_DIR = Path(__file__).resolve().parent.parent


def project_name(project_dir: Path = PROJECT_DIR) -> str:
    from stacks.stack_files import parse_yaml

    return str(parse_yaml((project_dir / "Pulumi.yaml").read_text())["name"])


def load_stack_config(
    stack: str, project_dir: Path = PROJECT_DIR
) -> tuple[dict[str, str], list[str], list[str]]:
    """Reads ``Pulumi.<stack>.yaml`` as Pulumi hands config to a program.

    Returns (config: key → raw string with objects as JSON, secret keys, keys
    given an offline placeholder). Encrypted values and secret keys the estate
    needs but the file lacks get the placeholder: offline, nothing can be decrypted.
    """
    from stacks.settings import OFFLINE_SECRET_PLACEHOLDER, secret_config_keys
    from stacks.stack_files import stack_file_config

    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        raise StackFileError(missing_stack_message(stack, project_dir))
    raw_config = stack_file_config(path)

    config: dict[str, str] = {}
    secret_keys: list[str] = []
    placeholders: list[str] = []
    for key, value in raw_config.items():
        if _is_encrypted(value):
            config[key] = (
                OFFLINE_SECRET_PLACEHOLDER
                if not isinstance(value, dict) or "secure" in value
                else json.dumps(_replace_encrypted(value, OFFLINE_SECRET_PLACEHOLDER))
            )
            secret_keys.append(key)
            placeholders.append(key)
        else:
            config[key] = value if isinstance(value, str) else json.dumps(value)
    for key in secret_config_keys():
        if key not in config:
            config[key] = OFFLINE_SECRET_PLACEHOLDER
            secret_keys.append(key)
            placeholders.append(key)
    return config, secret_keys, placeholders


def stacks_with_files(project_dir: Path = PROJECT_DIR) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))


def missing_stack_message(stack: str, project_dir: Path = PROJECT_DIR) -> str:
    """Why ``stack`` has no file: a close stack name is suggested, and a misspelling is never `stack init`-ed."""
    import difflib

    known = stacks_with_files(project_dir)
    by_lower = {name.lower(): name for name in known}
    close = difflib.get_close_matches(stack.lower(), list(by_lower), n=1, cutoff=0.6)
    if close:
        return (
            f"no stack file Pulumi.{stack}.yaml; did you mean --stack {by_lower[close[0]]}? "
            f"(stacks with a file: {known})"
        )
    return (
        f"no stack file Pulumi.{stack}.yaml; stacks with a file: {known}. For a new stack: "
        f"`pulumi stack init {stack}`, then copy Pulumi.staging.yaml to Pulumi.{stack}.yaml and adapt it."
    )


def _is_encrypted(value: Any) -> bool:
    if isinstance(value, dict):
        return "secure" in value or any(_is_encrypted(v) for v in value.values())
    if isinstance(value, list):
        return any(_is_encrypted(v) for v in value)
    return False


def _replace_encrypted(value: Any, placeholder: str) -> Any:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return placeholder
        return {k: _replace_encrypted(v, placeholder) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_encrypted(v, placeholder) for v in value]
    return value


# Plans of stack files already run in this process, with what a reference to the stack reads, by project
# dir, stack and the text of every stack file there (a plan reads its own, production's and those of the
# stacks it references): a referenced stack is planned once, first, and its plan reused when it is planned.
_PLANNED: dict[tuple[str, str, tuple[tuple[str, str], ...]], tuple[PlanDocument, dict[str, Any]]] = {}


def run_plan(stack: str, project_dir: Path = PROJECT_DIR) -> PlanDocument:
    """Runs the program of ``project_dir`` for ``stack`` under mocks; returns the plan document.

    Its outputs then stand in for the stack's in every ``StackReference`` to it
    (``estate/models/pulumi.py``). Raises :class:`stacks.settings.SettingsError`
    for bad config and :class:`StackFileError` for a missing or unreadable stack file.
    """
    return copy.deepcopy(_planned(stack, project_dir))


def forget_plans() -> None:
    """Forgets every plan made in this process and what references to those stacks read.

    The next :func:`run_plan` of any stack runs the program again (tests that must see a
    run's own side effects, such as its warnings, start here).
    """
    from estate.models.pulumi import forget_offline_stacks

    _PLANNED.clear()
    forget_offline_stacks()


def _planned(stack: str, project_dir: Path) -> PlanDocument:
    """The stack's plan from its stack file, run once per state of the stack files; its outputs registered."""
    from estate.models.pulumi import offline_stack, register_offline_stack

    files = tuple((path.name, path.read_text()) for path in sorted(project_dir.glob("Pulumi*.yaml")))
    key = (str(project_dir), stack, files)
    if key not in _PLANNED:
        config, secret_keys, _ = load_stack_config(stack, project_dir)
        plan = run_program(stack, config, secret_keys, project_dir, publish_outputs=True)
        _PLANNED[key] = (plan, offline_stack(plan.project, stack) or {})
    plan, readable = _PLANNED[key]
    # What references read is this plan's outputs, whichever plan of the stack ran last.
    register_offline_stack(plan.project, stack, readable)
    return plan


def _plan_referenced_stacks(stacks: Sequence[str], project_dir: Path) -> None:
    """Plans each stack the program reads through a ``StackReference`` (once per state of the stack files)."""
    for referenced in stacks:
        _planned(referenced, project_dir)


def run_program(
    stack: str,
    config: Mapping[str, str],
    secret_keys: list[str],
    project_dir: Path = PROJECT_DIR,
    *,
    publish_outputs: bool = False,
) -> PlanDocument:
    """Runs the program with the given config under mocks; returns the plan document.

    Stacks the program references are planned first, from their stack files.
    ``publish_outputs``: this run's outputs become what references to ``stack``
    read (only a run of the stack file's own config may stand in for the stack).
    """
    import pulumi
    import pulumi.runtime

    from estate.mocks import ProviderMocks
    from estate.models.pulumi import register_offline_stack
    from estate.recording_monitor import PlanRecorder
    from estate.sdk_internals import stack_outputs, without_source_positions
    from stacks.settings import load_settings, offline_placeholders, production_stack_config
    from stacks.staging_reference import referenced_stacks

    # Validate first, exactly as the program will: bad config registers nothing.
    settings = load_settings(
        stack, config, secret_keys, production_config=production_stack_config(project_dir), offline=True
    )
    _plan_referenced_stacks(referenced_stacks(settings), project_dir)

    if str(project_dir) not in sys.path:
        sys.path.insert(0, str(project_dir))
    project = project_name(project_dir)
    pulumi.runtime.reset_options(project=project, stack=stack)
    mocks = ProviderMocks()
    recorder = PlanRecorder(mocks)
    pulumi.runtime.set_mocks(
        recorder.mocks, project=project, stack=stack, preview=False, monitor=recorder.monitor
    )
    pulumi.runtime.set_all_config(dict(config), list(secret_keys))

    outputs: dict[str, Any] = {}
    # The same outputs with secrets kept (marked as the RPC layer marks them): what a reference reads.
    readable_outputs: dict[str, Any] = {}

    @pulumi.runtime.test
    def program() -> pulumi.Output[None]:
        runpy.run_path(str(project_dir / "__main__.py"), run_name="__main__")
        exported = stack_outputs()

        async def collect() -> None:
            outputs.update({name: await _resolve(value) for name, value in exported.items()})
            if publish_outputs:
                readable_outputs.update(
                    {name: await _resolve(value, keep_secrets=True) for name, value in exported.items()}
                )

        return pulumi.Output.from_input(asyncio.ensure_future(collect()))

    # Cyclic garbage collection was about half of a plan: the SDKs leave ~350,000
    # long-lived objects that every full collection walks again, while a plan makes
    # millions of short-lived futures and outputs that reference counting frees
    # anyway. A plan is short: pause the collector for the run, then catch up.
    # Afterwards the run's survivors join the frozen heap instead of being walked in
    # one catch-up collection (a third of a large plan): they live as long as the
    # process, which for the CLI is moments. Long-lived callers can gc.unfreeze().
    was_enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        # The program's settings accept the placeholders of secrets; no one reads source positions offline.
        with offline_placeholders(), without_source_positions():
            program()
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
    if publish_outputs:
        register_offline_stack(project, stack, readable_outputs)
    return PlanDocument(
        stack=stack,
        project=project,
        resources=recorder.plan_resources(),
        outputs=outputs,
        unmodelled_types=tuple(sorted(mocks.unmodelled)),
    )


async def _resolve(value: Any, *, keep_secrets: bool = False) -> Any:
    """An exported value, resolved; a secret reads ``"[secret]"``, or is kept inside the RPC secret marker."""
    import pulumi

    from estate.sdk_internals import secret

    if isinstance(value, pulumi.Output):
        output: pulumi.Output[Any] = value
        if await output.is_secret():
            if not keep_secrets:
                return SECRET
            return secret(await _resolve(await output.future(), keep_secrets=True))
        return await _resolve(await output.future(), keep_secrets=keep_secrets)
    if isinstance(value, dict):
        return {k: await _resolve(v, keep_secrets=keep_secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [await _resolve(v, keep_secrets=keep_secrets) for v in value]
    if isinstance(value, pulumi.Resource):
        return await _resolve(value.urn, keep_secrets=keep_secrets)
    return value
