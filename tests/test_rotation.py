"""Credentials rotate: the ones the stack creates on a schedule, the ones people set by their dates.

* Each stack has one ``time.Rotating`` (pulumiverse-time) with its own period
  from ``estate:rotation.periodDays``; every Cloudflare deploy token expires
  ``graceDays`` after its successor is due, is replaced when the expiry moves
  (``replace_on_changes``), is created before the old one goes and is retained
  rather than deleted.
* A walk through several rotations, in the order the engine runs an ``up``
  (create the replacement, update its dependents, then delete-replaced), shows no
  moment where a deploy job holds a credential that does not work; the same walk
  without retention, or with an apply later than the grace, finds one.
* The apply workflows refresh, which is when the time provider notices a due rotation.
* Credentials people set carry a last-rotated date; the doctor and the drift job
  report those past ``externalPeriodDays``, and the drift job posts them to Slack.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
import yaml

from components.rotation_schedule import RFC3339
from estate.doctor import diagnose
from estate.models.time import PLAN_CLOCK
from estate.rotation import due_in_stack_file, rotation_due, slack_text
from stacks.settings import SettingsError, load_settings, rotation_entry, secret_config_keys
from tests.conftest import plan_of
from tests.plan_queries import ACCOUNT_TOKEN, ENVIRONMENT_SECRET, of_type
from tests.test_workflows import (
    APP_WORKFLOWS_DIR,
    ESTATE_WORKFLOWS_DIR,
    TOOLS_DIR,
    _report,
    _run,
    find_step,
    load_workflow,
    run_script,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
ROTATING = "time:index/rotating:Rotating"
STACKS = ("prod", "staging")


def rotation_config(stack: str) -> dict[str, Any]:
    document = yaml.safe_load((REPO_ROOT / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))
    return cast(dict[str, Any], document["config"]["estate:rotation"])


def parse(timestamp: str) -> datetime:
    return datetime.strptime(timestamp, RFC3339).replace(tzinfo=UTC)


# --- what the plans declare ------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_each_stack_rotates_on_its_own_schedule(stack: str) -> None:
    (rotating,) = of_type(plan_of(stack), ROTATING)
    assert rotating["name"] == "credential-rotation-rotating"
    assert rotating["inputs"]["rotationDays"] == rotation_config(stack)["periodDays"]
    assert rotation_config("prod")["periodDays"] != rotation_config("staging")["periodDays"]


@pytest.mark.parametrize("stack", STACKS)
def test_every_deploy_token_expires_and_rotates_with_overlap(stack: str) -> None:
    plan = plan_of(stack)
    (rotating,) = of_type(plan, ROTATING)
    config = rotation_config(stack)
    # The time provider's rotation timestamp is its clock at create plus the period; the token lives a grace longer.
    expected_expiry = PLAN_CLOCK + timedelta(days=config["periodDays"] + config["graceDays"])
    tokens = of_type(plan, ACCOUNT_TOKEN)
    assert {token["name"] for token in tokens} == {
        "handbook-pages-deploy-token",
        "chatbot-worker-deploy-token",
    } | ({"esim-hub-pages-deploy-token"} if any(t["name"].startswith("esim-hub") for t in tokens) else set())
    for token in tokens:
        assert parse(token["inputs"]["expiresOn"]) == expected_expiry, token["name"]
        options = token["options"]
        assert options["replace_on_changes"] == ["expiresOn"], token["name"]
        assert options["retain_on_delete"] is True, token["name"]
        assert options["delete_before_replace"] is False, token["name"]
        assert rotating["urn"] in options["depends_on"], token["name"]


# --- the walk ------------------------------------------------------------------------------------


@dataclass
class Credential:
    generation: int
    created: datetime
    expires: datetime
    deleted: datetime | None = None

    def works_at(self, moment: datetime) -> bool:
        alive = self.deleted is None or moment < self.deleted
        return self.created <= moment < self.expires and alive


def consumers_of(plan: dict[str, Any], token_urn: str) -> list[dict[str, Any]]:
    return [r for r in plan["resources"] if token_urn in r["options"]["depends_on"]]


def longest_deploy_job(repository: str, secret: str) -> timedelta:
    """The longest a job of the repository may hold ``secret`` (its timeout), over every workflow."""
    longest = timedelta(0)
    for path in sorted((APP_WORKFLOWS_DIR / repository).glob("*.yml")):
        for job in load_workflow(path).jobs.values():
            if f"secrets.{secret}" in yaml.safe_dump(job):
                longest = max(longest, timedelta(minutes=int(cast(int, job["timeout-minutes"]))))
    return longest


def walk(
    token: dict[str, Any], period: int, grace: int, apply_lags: list[timedelta], job: timedelta
) -> list[str]:
    """Every moment a deploy job holds a credential that does not work, over ``len(apply_lags)`` rotations.

    Rotation ``n`` is applied ``apply_lags[n]`` after it falls due (the next
    ``pulumi up --refresh``). In that ``up`` the engine creates the replacement,
    updates the token's dependents (the environment secret), then handles the
    replaced token: deleted unless ``retain_on_delete``.
    """
    retained = bool(token["options"]["retain_on_delete"])
    start = PLAN_CLOCK
    credentials = [Credential(0, start, start + timedelta(days=period + grace))]
    # (moment, credential the environment secret holds from then on)
    secret_history = [(start + timedelta(seconds=2), credentials[0])]
    due = start + timedelta(days=period)
    for generation, lag in enumerate(apply_lags, start=1):
        up = due + lag
        new = Credential(generation, up + timedelta(seconds=1), up + timedelta(days=period + grace))
        credentials.append(new)
        secret_history.append((up + timedelta(seconds=2), new))
        if not retained:
            credentials[-2].deleted = up + timedelta(seconds=3)
        due = up + timedelta(days=period)
    end = due

    def held_at(moment: datetime) -> Credential | None:
        held = None
        for since, credential in secret_history:
            if since <= moment:
                held = credential
        return held

    # Job starts: every 10 minutes, plus just before and after each step of each rotation.
    starts: set[datetime] = set()
    moment = start + timedelta(seconds=2)
    while moment < end:
        starts.add(moment)
        moment += timedelta(minutes=10)
    for since, _ in secret_history[1:]:
        starts |= {since - timedelta(seconds=s) for s in (2, 1)} | {since, since + timedelta(seconds=1)}
    failures: list[str] = []
    for begun in sorted(starts):
        held = held_at(begun)
        if held is None:
            continue
        for used in (begun, begun + timedelta(seconds=2), begun + job):
            if not held.works_at(used):
                failures.append(
                    f"a job started {begun:%Y-%m-%d %H:%M:%S} holds generation {held.generation}, "
                    f"which does not work at {used:%Y-%m-%d %H:%M:%S}"
                )
                break
    return failures


LAGS = [timedelta(hours=3), timedelta(days=1), timedelta(minutes=1), timedelta(days=5)]


@pytest.mark.parametrize("stack", STACKS)
def test_a_rotation_walk_never_leaves_a_deploy_job_with_a_dead_credential(stack: str) -> None:
    plan = plan_of(stack)
    config = rotation_config(stack)
    lags = [min(lag, timedelta(days=config["graceDays"] - 1)) for lag in LAGS]
    for token in of_type(plan, ACCOUNT_TOKEN):
        consumers = consumers_of(plan, token["urn"])
        secrets = [c for c in consumers if c["type"] == ENVIRONMENT_SECRET]
        assert [c["inputs"]["secretName"] for c in secrets] == ["CLOUDFLARE_API_TOKEN"], token["name"]
        repository = str(secrets[0]["inputs"]["repository"])
        job = longest_deploy_job(repository, "CLOUDFLARE_API_TOKEN")
        assert job > timedelta(0), f"{repository}: no deploy job reads CLOUDFLARE_API_TOKEN"
        assert walk(token, config["periodDays"], config["graceDays"], lags, job) == [], token["name"]


def test_the_walk_finds_a_dead_credential_without_retention_or_after_the_grace() -> None:
    token = {"options": {"retain_on_delete": False}}
    deleted = walk(token, 90, 14, [timedelta(hours=3)], timedelta(minutes=15))
    assert deleted and "holds generation 0" in deleted[0]
    late = walk({"options": {"retain_on_delete": True}}, 90, 14, [timedelta(days=15)], timedelta(minutes=15))
    assert late and "holds generation 0" in late[0]


def test_applies_refresh_so_a_due_rotation_is_noticed() -> None:
    """terraform-provider-time v0.12.1 checks the rotation in Read; Pulumi reads only on refresh."""
    prod = load_workflow(ESTATE_WORKFLOWS_DIR / "apply-prod.yml")
    staging = load_workflow(ESTATE_WORKFLOWS_DIR / "apply-staging.yml")
    for workflow, job in ((prod, "apply-prod"), (staging, "apply-staging")):
        (up,) = [
            step
            for step in cast(list[dict[str, Any]], workflow.jobs[job]["steps"])
            if cast(dict[str, Any], step.get("with") or {}).get("command") == "up"
        ]
        assert up["with"]["refresh"] is True, workflow.name
    guard_preview = next(
        step
        for step in cast(list[dict[str, Any]], prod.jobs["apply-prod"]["steps"])
        if "pulumi preview --stack prod" in str(step.get("run", ""))
    )
    assert "--refresh" in guard_preview["run"]


# --- credentials people set ----------------------------------------------------------------------

TODAY = date(2026, 12, 2)


def test_credentials_past_the_period_are_listed_with_the_commands_that_record_a_rotation() -> None:
    last = {
        "estate:talklineStripeSecretKey": date(2025, 10, 1),
        "estate:gstarlinkGithubToken": date(2026, 6, 1),
        "estate:talklineVapiApiKey": TODAY - timedelta(days=364),
    }
    due = rotation_due(
        "prod", last, {"estate:talklineStripeSecretKey": "Talkline Stripe secret key"}, 365, TODAY
    )
    assert [item.key for item in due] == ["estate:talklineStripeSecretKey"]
    (item,) = due
    assert item.message == (
        "estate:talklineStripeSecretKey (Talkline Stripe secret key) was last rotated on 2025-10-01; "
        "it was due on 2026-10-01 (62 day(s) ago)."
    )
    assert item.fix == [
        "pulumi config set --stack prod --secret 'estate:talklineStripeSecretKey'",
        "pulumi config set --stack prod --path 'estate:rotation.lastRotated.talklineStripeSecretKey' '2026-12-02'",
    ]
    assert (
        rotation_due("prod", {"estate:x": TODAY - timedelta(days=365)}, {}, 365, TODAY)[0].days_overdue == 0
    )
    assert slack_text("prod", due).startswith(
        "Stack prod: 1 credential(s) past the rotation period:\n• estate:"
    )


def project_with_dates(tmp_path: Path, stack: str, dates: dict[str, str]) -> Path:
    """A copy of the project files with some lastRotated dates made real (no `# placeholder`)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "Pulumi.yaml").write_text((REPO_ROOT / "Pulumi.yaml").read_text())
    lines = (REPO_ROOT / f"Pulumi.{stack}.yaml").read_text().splitlines(keepends=True)
    for entry, day in dates.items():
        lines = [
            f"      {entry}: '{day}'\n" if line.strip().startswith(f"{entry}:") else line for line in lines
        ]
    (tmp_path / f"Pulumi.{stack}.yaml").write_text("".join(lines))
    return tmp_path


def test_placeholder_dates_are_not_judged_real_ones_are(tmp_path: Path) -> None:
    assert due_in_stack_file("prod", REPO_ROOT, date(2030, 1, 1)) == []
    project = project_with_dates(tmp_path, "prod", {"talklineTwilioAuthToken": "2025-01-15"})
    (due,) = due_in_stack_file("prod", project, TODAY)
    assert due.key == "estate:talklineTwilioAuthToken" and due.due == "2026-01-15"


def test_doctor_reports_credentials_past_the_period(tmp_path: Path) -> None:
    project = project_with_dates(tmp_path, "staging", {"fancrushVercelApiToken": "2025-02-01"})
    diagnosis = diagnose("staging", project, today=TODAY)
    (finding,) = diagnosis.rotation_due
    assert finding.key == "estate:rotation.lastRotated.fancrushVercelApiToken"
    assert finding.message.startswith(
        "estate:fancrushVercelApiToken (fancrush Vercel API token scoped to the team) "
        "is past the rotation period: due on 2026-02-01, 304 day(s) ago."
    )
    assert finding.fix == (
        "pulumi config set --stack staging --secret 'estate:fancrushVercelApiToken' && pulumi config "
        "set --stack staging --path 'estate:rotation.lastRotated.fancrushVercelApiToken' '2026-12-02'"
    )
    assert "1 credential(s) past the rotation period" in diagnosis.summary and not diagnosis.ok


def test_drift_job_posts_due_rotations_to_the_alert_channel(tmp_path: Path) -> None:
    project = project_with_dates(tmp_path / "checkout", "prod", {"omsShopifyApiSecret": "2020-05-05"})
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    posted = tmp_path / "posted.json"
    fake_curl = bin_dir / "curl"
    _ = fake_curl.write_text(
        f'#!/bin/sh\nfor a; do case "$a" in @*) cat "${{a#@}}" > {posted};; esac; done\n'
    )
    fake_curl.chmod(0o755)
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    drift = load_workflow(ESTATE_WORKFLOWS_DIR / "drift.yml")
    script = _run(find_step(drift, "drift", step_id="rotation"))
    environment = {
        "STACK": "prod",
        "RUNNER_TEMP": str(runner_temp),
        "PYTHONPATH": str(REPO_ROOT),
        "SLACK_ALERTS_WEBHOOK_URL": "https://hooks.slack.test/canary",
    }
    result = run_script(script, environment, project, [bin_dir, TOOLS_DIR])
    assert result.returncode == 0, _report(result)
    text = json.loads(posted.read_text())["text"]
    assert text.startswith(
        "Stack prod: 1 credential(s) past the rotation period:\n• estate:omsShopifyApiSecret"
    )
    assert "pulumi config set --stack prod --secret 'estate:omsShopifyApiSecret'" in text
    assert "::warning title=Rotation due in prod::Stack prod: 1 credential(s)" in result.stdout

    _ = posted.unlink()
    clean = project_with_dates(tmp_path / "clean", "prod", {})
    result = run_script(script, environment, clean, [bin_dir, TOOLS_DIR])
    assert result.returncode == 0, _report(result)
    assert not posted.exists() and "No credential of prod is past its rotation period." in result.stdout


# --- settings ------------------------------------------------------------------------------------


def settings_problems(stack: str, edit: Any) -> list[str]:
    from estate.plan import load_stack_config

    config, secret_keys, _ = load_stack_config(stack)
    rotation = json.loads(config["estate:rotation"])
    edit(rotation)
    config["estate:rotation"] = json.dumps(rotation)
    with pytest.raises(SettingsError) as raised:
        load_settings(stack, config, secret_keys)
    return [f"{p.key}: {p.message} | {p.fix}" for p in raised.value.problems]


def test_every_secret_needs_a_last_rotated_date() -> None:
    problems = settings_problems("prod", lambda r: r["lastRotated"].pop("talklineVapiApiKey"))
    (problem,) = problems
    assert problem.startswith(
        "estate:rotation.lastRotated.talklineVapiApiKey: required: the date "
        "estate:talklineVapiApiKey was last rotated"
    )
    assert (
        "pulumi config set --stack prod --path 'estate:rotation.lastRotated.talklineVapiApiKey' '" in problem
    )
    assert {rotation_entry(key) for key in secret_config_keys()} == set(
        rotation_config("prod")["lastRotated"]
    )


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda r: r["lastRotated"].update(talklineVapiApiKey="01/02/2026"), "must be a date, YYYY-MM-DD"),
        (lambda r: r["lastRotated"].update(talklineVapiApiKey="2999-01-01"), "is in the future"),
        (lambda r: r["lastRotated"].update(notASecret="2026-01-01"), "not a secret setting"),
        (lambda r: r.update(graceDays=90, periodDays=30), "must be shorter than periodDays (30)"),
        (lambda r: r.update(periodDays=0), "must be a whole number from 1 to 365"),
        (lambda r: r.pop("externalPeriodDays"), "estate:rotation.externalPeriodDays: required"),
    ],
    ids=["bad-date", "future", "unknown-entry", "grace-too-long", "zero-period", "missing-external-period"],
)
def test_bad_rotation_settings_are_named_with_their_fix(edit: Any, expected: str) -> None:
    problems = settings_problems("staging", edit)
    assert any(expected in problem for problem in problems), problems
