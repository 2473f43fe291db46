"""The preview E2E job (issue 12 point 8): apps with an E2E command run it against each ready
Vercel preview, and their pull requests require it.

The template itself is linted with the other workflows (tests/test_workflows.py); here: what the
stack renders for an app with an E2E command, and that settings refuse a stack that does not
require its check.
"""

from __future__ import annotations

import dataclasses
import json
from typing import cast

import pytest
import yaml

from estate.engine import load_stack_config
from stacks.app_checks import PREVIEW_E2E_CHECK, PREVIEW_E2E_PATH, preview_e2e_files
from stacks.catalog import APPS, App, PagesHosting, PagesSiteSpec
from stacks.settings import SettingsError, load_settings

COMMAND = """npx playwright test --grep '@smoke' && echo "done: $BASE_URL\""""


def talkline(**changes: object) -> App:
    app = next(app for app in APPS if app.key == "talkline")
    return dataclasses.replace(app, **changes)  # pyright: ignore[reportArgumentType]


def rendered(app: App) -> dict[object, object]:
    return cast(dict[object, object], yaml.safe_load(preview_e2e_files(app)[PREVIEW_E2E_PATH]))


def test_no_e2e_command_delivers_nothing() -> None:
    assert preview_e2e_files(talkline(e2e_command=None)) == {}


def test_the_job_runs_the_command_against_the_ready_preview() -> None:
    document = rendered(talkline(e2e_command=COMMAND))
    triggers = cast(dict[str, object], document.get("on", document.get(True)))
    assert list(triggers) == ["deployment_status"]
    jobs = cast(dict[str, dict[str, object]], document["jobs"])
    job = next(job for job in jobs.values() if job.get("name") == PREVIEW_E2E_CHECK)
    condition = str(job["if"])
    assert "github.event.deployment_status.state == 'success'" in condition
    assert "startsWith(github.event.deployment_status.environment, 'Preview')" in condition
    steps = cast(list[dict[str, object]], job["steps"])
    step = next(step for step in steps if "E2E_COMMAND" in cast(dict[str, str], step.get("env", {})))
    env = cast(dict[str, str], step["env"])
    # The command arrives verbatim, as data in env, never spliced into the script.
    assert env["E2E_COMMAND"] == COMMAND
    assert "environment_url" in env["PREVIEW_URL"] and "target_url" in env["PREVIEW_URL"]
    assert "${{" not in str(step["run"]) and COMMAND not in str(step["run"])
    checkout = next(step for step in steps if str(step.get("uses", "")).startswith("actions/checkout@"))
    assert cast(dict[str, object], checkout["with"])["ref"] == "${{ github.event.deployment.sha }}"


@pytest.mark.parametrize(
    "command", ["", "  ", "npm run e2e -- ${{ github.event.deployment_status.target_url }}"]
)
def test_catalog_refuses_an_unusable_command(command: str) -> None:
    with pytest.raises(ValueError, match="e2e_command"):
        _ = talkline(e2e_command=command)


def test_catalog_refuses_an_e2e_command_off_vercel() -> None:
    with pytest.raises(ValueError, match="e2e_command"):
        site = PagesSiteSpec(
            "talkline", "talkline", "npm run build", "out", gated=False, workflow_variable="TALKLINE_PROJECT"
        )
        _ = talkline(hosting=(PagesHosting(sites=(site,)),), e2e_command="npm run e2e")


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_settings_require_the_check_where_the_app_has_an_e2e_command(
    stack: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import stacks.settings

    apps = tuple(talkline(e2e_command="npm run e2e") if app.key == "talkline" else app for app in APPS)
    monkeypatch.setattr(stacks.settings, "APPS", apps)
    config, secret_keys, _ = load_stack_config(stack)
    with pytest.raises(SettingsError) as raised:
        _ = load_settings(stack, config, secret_keys, offline=True)
    key = "estate:requiredStatusChecks.fancrush-talkline"
    problems = [problem for problem in raised.value.problems if problem.key == key]
    assert len(problems) == 1 and PREVIEW_E2E_CHECK in problems[0].message
    assert f"{key}[" in problems[0].fix and PREVIEW_E2E_CHECK in problems[0].fix

    # With the check listed, the stack loads and protects the branch with it.
    checks = json.loads(config["estate:requiredStatusChecks"])
    checks["fancrush-talkline"].append(PREVIEW_E2E_CHECK)
    config["estate:requiredStatusChecks"] = json.dumps(checks)
    settings = load_settings(stack, config, secret_keys, offline=True)
    assert PREVIEW_E2E_CHECK in settings.required_status_checks["fancrush-talkline"]
