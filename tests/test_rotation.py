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

import copy
import json
import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from itertools import groupby
from pathlib import Path
from typing import Any, cast

import pytest
import yaml

from components.rotation_schedule import RFC3339
from estate.doctor import diagnose
from estate.models.time import PLAN_CLOCK
from estate.rotation import due_in_stack_file, rotation_due, slack_text
from policies.resource_types import KEYRING, RANDOM_PASSWORD, SENTRY_PLUGIN, VERCEL_WEBHOOK, WORKERS_SCRIPT
from policies.resource_types import NOTIFICATION_POLICY_WEBHOOKS as CLOUDFLARE_DESTINATION
from policies.resource_types import TIME_ROTATING as ROTATING
from policies.resource_types import VERCEL_ALERT_RULE_WEBHOOK_NOTIFICATION as WEBHOOK_LINK
from stacks.settings import SettingsError, load_settings, rotation_entry, secret_config_keys
from stacks.stack_files import parse_yaml
from tests.plan_queries import ACCOUNT_TOKEN, ENVIRONMENT_SECRET, of_type
from tests.shared_plans import plan_of
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
STACKS = ("prod", "staging")


# Stack file text → its rotation settings: parsing the YAML is slow and most tests read them, often twice.
_ROTATION_CONFIGS: dict[str, dict[str, Any]] = {}


def rotation_config(stack: str) -> dict[str, Any]:
    text = (REPO_ROOT / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8")
    if text not in _ROTATION_CONFIGS:
        _ROTATION_CONFIGS[text] = cast(dict[str, Any], parse_yaml(text)["config"]["estate:rotation"])
    return copy.deepcopy(_ROTATION_CONFIGS[text])


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

    @property
    def works_until(self) -> datetime:
        """It works from ``created`` until then: its expiry, or its deletion if that comes first."""
        return self.expires if self.deleted is None else min(self.expires, self.deleted)


def consumers_of(plan: dict[str, Any], token_urn: str) -> list[dict[str, Any]]:
    return [r for r in plan["resources"] if token_urn in r["options"]["depends_on"]]


def longest_deploy_job(repository: str, secret: str) -> timedelta:
    """The longest a job of the repository may hold ``secret`` (its timeout), over every workflow."""
    longest = timedelta(0)
    for path in sorted((APP_WORKFLOWS_DIR / repository).glob("*.yml")):
        for job in load_workflow(path).jobs.values():
            if f"secrets.{secret}" in yaml.dump(job, Dumper=yaml.CSafeDumper):
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

    # The scan counts whole seconds from ``start`` (every moment here is one): int arithmetic, not datetimes'.
    second = timedelta(seconds=1)
    assert job % second == timedelta(0) and all(lag % second == timedelta(0) for lag in apply_lags)
    history = [
        ((since - start) // second, c, (c.created - start) // second, (c.works_until - start) // second)
        for since, c in secret_history
    ]
    # Job starts: every 10 minutes, plus just before and after each step of each rotation; in time order, each once.
    grid = range(2, (end - start) // second, 600)
    steps = [since + s for since, *_ in history[1:] for s in (-2, -1, 0, 1)]
    starts = [begun for begun, _ in groupby(sorted([*grid, *steps]))]
    # The secret's values are set in time order: one pass over the sorted starts finds each start's value.
    assert [since for since, *_ in history] == sorted(since for since, *_ in history)
    failures: list[str] = []
    position, held, created, works_until = 0, None, 0, 0
    job_seconds = job // second
    for begun in starts:
        while position < len(history) and history[position][0] <= begun:
            _, held, created, works_until = history[position]
            position += 1
        if held is None:
            continue
        for used in (begun, begun + 2, begun + job_seconds):
            if not created <= used < works_until:
                failures.append(
                    f"a job started {start + begun * second:%Y-%m-%d %H:%M:%S} holds generation "
                    f"{held.generation}, which does not work at {start + used * second:%Y-%m-%d %H:%M:%S}"
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
    from estate.engine import load_stack_config

    config, secret_keys, _ = load_stack_config(stack)
    rotation = json.loads(config["estate:rotation"])
    edit(rotation)
    config["estate:rotation"] = json.dumps(rotation)
    with pytest.raises(SettingsError) as raised:
        load_settings(stack, config, secret_keys, offline=True)
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


# --- the relay's and the Vercel webhooks' signing secrets ----------------------------------------
#
# A rotation up, walked on the plan's own dependency graph: the schedule is due (the clock passes
# the period), the relay's random secrets and the Vercel webhooks are replaced, each Keyring
# (providers/keyring, its real provider code) is updated, the relay Worker gets the keyrings, the
# senders get their new values, and the replaced webhooks and links are deleted last. At every step
# each sender's credential is judged by the relay's own code (alerting/relay/src/relay.js, in node).

RELAY_DIR = REPO_ROOT / "alerting" / "relay"
KEYRING_BINDINGS = {
    "cloudflare": "CLOUDFLARE_WEBHOOK_SECRETS",
    "sentry": "SENTRY_WEBHOOK_TOKENS",
    "vercel": "VERCEL_WEBHOOK_SECRETS",
}


def by_urn(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["urn"]: r for r in plan["resources"]}


def relay_script(plan: dict[str, Any]) -> dict[str, Any]:
    (script,) = [r for r in of_type(plan, WORKERS_SCRIPT) if r["name"] == "alert-relay-script"]
    return script


def relay_destinations(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        r for r in of_type(plan, CLOUDFLARE_DESTINATION) if str(r["inputs"]["url"]).endswith("/cloudflare")
    ]


def generation_of(plan: dict[str, Any]) -> str:
    (rotating,) = of_type(plan, ROTATING)
    return str(rotating["outputs"]["rfc3339"])


@pytest.mark.parametrize("stack", STACKS)
def test_webhook_secrets_rotate_on_the_schedule_and_reach_the_relay_first(stack: str) -> None:
    plan = plan_of(stack)
    generation, grace = generation_of(plan), rotation_config(stack)["graceDays"]
    script = relay_script(plan)
    randoms = [r for r in of_type(plan, RANDOM_PASSWORD) if r["name"].startswith("alert-relay-")]
    assert {r["name"] for r in randoms} == {"alert-relay-cloudflare-secret", "alert-relay-sentry-token"}
    for secret in randoms:
        assert secret["inputs"]["keepers"] == {"generation": generation}, secret["name"]
    webhooks = of_type(plan, VERCEL_WEBHOOK)
    assert webhooks
    for webhook in webhooks:
        assert webhook["options"]["replacement_trigger"] == generation, webhook["name"]
        assert webhook["options"]["delete_before_replace"] is False, webhook["name"]
    keyrings = of_type(plan, KEYRING)
    sources = {r["urn"] for r in randoms + webhooks}
    for keyring in keyrings:
        assert (keyring["inputs"]["since"], keyring["inputs"]["grace_days"]) == (generation, grace), keyring[
            "name"
        ]
        assert len(sources & set(keyring["options"]["depends_on"])) == 1, keyring["name"]
    # One keyring per rotated secret, every one read by the relay Worker as a secret binding.
    assert len(keyrings) == len(sources)
    assert {k["urn"] for k in keyrings} <= set(script["options"]["depends_on"])
    # The bindings are one secret as a whole in the plan: the names are checked against the relay's code.
    assert script["inputs"]["bindings"] == "[secret]"
    relay_code = (RELAY_DIR / "src" / "relay.js").read_text()
    component = (REPO_ROOT / "components" / "alert_relay.py").read_text()
    required = relay_code[
        relay_code.index("const REQUIRED_BINDINGS") : relay_code.index(
            "};", relay_code.index("const REQUIRED_BINDINGS")
        )
    ]
    for route, name in KEYRING_BINDINGS.items():
        assert f'{route}: ["SLACK_WEBHOOK_URL", "{name}"]' in required, name
        assert re.search(rf'"name": "{name}",\s*"type": "secret_text"', component), name
    # Senders whose secret the stack chooses are updated after the Worker accepts the new value.
    senders = relay_destinations(plan) + of_type(plan, SENTRY_PLUGIN)
    assert relay_destinations(plan)
    for sender in senders:
        assert script["urn"] in sender["options"]["depends_on"], sender["name"]
    for link in of_type(plan, WEBHOOK_LINK):
        assert link["options"]["replace_on_changes"] == ["webhookId"], link["name"]
        assert link["options"]["delete_before_replace"] is False, link["name"]


# Plans at a moved clock, made once per (stack, clock) and copied for each test (as tests/shared_plans.py does).
_PLANS_AT: dict[tuple[str, str], dict[str, Any]] = {}


def plan_at(stack: str, clock: datetime, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The stack's plan with the time provider's clock at ``clock`` (a fresh schedule generation)."""
    from estate.engine import load_stack_config, run_program
    from estate.models import time as time_model

    key = (stack, clock.isoformat())
    if key not in _PLANS_AT:
        monkeypatch.setattr(time_model, "PLAN_CLOCK", clock)
        config, secret_keys, _ = load_stack_config(stack)
        try:
            _PLANS_AT[key] = run_program(stack, config, secret_keys).to_json()
        finally:
            monkeypatch.undo()
    return copy.deepcopy(_PLANS_AT[key])


def rotation_up(before: dict[str, Any], after: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(replaced, changed) URNs of the up that applies ``after`` over ``before``'s state.

    Replaced: a changed ``replacement_trigger``, changed ``keepers`` (random), or a changed input
    the model says replaces. Changed: those, every resource whose recorded inputs differ, and every
    resource that depends on a replaced one (its outputs are unknown until the up makes them).
    """
    from estate.models.registry import models

    old, new = by_urn(before), by_urn(after)
    replaced: set[str] = set()
    changed: set[str] = set()
    for urn, resource in new.items():
        prior = old.get(urn)
        if prior is None or (
            prior["inputs"] == resource["inputs"]
            and (
                prior["options"].get("replacement_trigger") == resource["options"].get("replacement_trigger")
            )
        ):
            continue
        changed.add(urn)
        model = models().get(resource["type"])
        replaces = set(model.replaces) if model else set()
        differing = {key for key in resource["inputs"] if prior["inputs"].get(key) != resource["inputs"][key]}
        if (
            prior["options"].get("replacement_trigger") != resource["options"].get("replacement_trigger")
            or "keepers" in differing
            or differing & replaces
            or set(resource["options"]["replace_on_changes"]) & differing
            or resource["type"] == ROTATING
        ):
            replaced.add(urn)
    grew = True
    while grew:
        grew = False
        for urn, resource in new.items():
            if urn not in changed and set(resource["options"]["depends_on"]) & (replaced | changed):
                changed.add(urn)
                grew = True
            if (
                resource["type"] == WEBHOOK_LINK
                and urn not in replaced
                and set(resource["options"]["depends_on"]) & replaced
            ):
                replaced.add(urn)  # replace_on_changes: ["webhookId"], and the webhook is new
                grew = True
    return replaced, changed


@dataclass
class Sender:
    """A webhook sender (or a Vercel link) alive over [born, died): what it presents to the relay."""

    name: str
    route: str
    stream: str
    secret: str
    born: int
    died: int | None = None


def relay_verdicts(checks: list[dict[str, Any]]) -> list[int]:
    """The relay's HTTP status for each check, run by its own code in node."""
    import shutil
    import subprocess

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the relay's code runs in node 20 or later")
    script = """
import { createHmac } from "node:crypto";
import { handle } from "RELAY_MODULE";
const checks = JSON.parse(await new Promise((done) => { let s = ""; process.stdin.on("data", (d) => (s += d)); process.stdin.on("end", () => done(s)); }));
const out = [];
for (const c of checks) {
  const env = { ...c.env, SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T/B/walk", ENVIRONMENT: "walk" };
  let request;
  if (c.route === "cloudflare") {
    request = new Request("https://relay.example/cloudflare", { method: "POST", body: '{"text":"walk"}', headers: { "cf-webhook-auth": c.secret } });
  } else if (c.route === "sentry") {
    request = new Request(`https://relay.example/sentry/${c.secret}`, { method: "POST", body: '{"message":"walk"}' });
  } else {
    const body = '{"type":"deployment.error","payload":{}}';
    const signature = createHmac("sha1", c.secret).update(body).digest("hex");
    request = new Request("https://relay.example/vercel", { method: "POST", body, headers: { "x-vercel-signature": signature } });
  }
  out.push((await handle(request, env, async () => 200, c.now)).status);
}
console.log(JSON.stringify(out));
""".replace("RELAY_MODULE", (RELAY_DIR / "src" / "relay.js").as_uri())
    result = subprocess.run(
        [node, "--input-type=module", "-e", script],
        input=json.dumps(checks),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return cast(list[int], json.loads(result.stdout))


@dataclass(frozen=True)
class WebhookWalk:
    """One rotation up: the consumers it updated, and every refused delivery nothing else made up for."""

    updated: set[str]
    problems: list[str]


@dataclass(frozen=True)
class WalkedUp:
    """One rotation up, walked: the consumers it updated and each delivery to put to the relay (with its label)."""

    updated: set[str]
    checks: list[dict[str, Any]]
    labels: list[tuple[int, str, Sender]]


def walk_webhook_rotation(
    stack: str,
    monkeypatch: pytest.MonkeyPatch,
    *,
    keep_previous: bool = True,
    senders_wait_for_relay: bool = True,
) -> WalkedUp:
    """Walks the rotation up of ``stack`` (see the section comment); the flags break it on purpose.

    ``judge`` then reads the relay's verdict on each delivery.
    """
    from components.alert_relay import merged_keyrings
    from providers.keyring import KeyringProvider, keyring_entries
    from providers.supabase_management.wire import reveal

    before, config = plan_of(stack), rotation_config(stack)
    up_at = PLAN_CLOCK + timedelta(days=config["periodDays"], hours=3)  # the next refresh-up after it is due
    after = plan_at(stack, up_at, monkeypatch)
    replaced, changed = rotation_up(before, after)
    new, generation, grace = by_urn(after), generation_of(after), int(config["graceDays"])
    assert generation == up_at.strftime(RFC3339)
    script = relay_script(after)
    provider = KeyringProvider()

    keyrings = [k["urn"] for k in of_type(after, KEYRING)]
    source = {
        u: next(
            d for d in new[u]["options"]["depends_on"] if new[d]["type"] in (RANDOM_PASSWORD, VERCEL_WEBHOOK)
        )
        for u in keyrings
    }
    route = {
        u: next(r for r in ("cloudflare", "sentry") if r in new[u]["name"])
        if new[source[u]]["type"] == RANDOM_PASSWORD
        else "vercel"
        for u in keyrings
    }

    def value(
        urn: str, generation_index: int
    ) -> str:  # what the provider generates (random) or Vercel chooses
        return f"walk-{generation_index}-{new[urn]['name']}"

    def outs(result: Any) -> dict[str, Any]:
        assert result.outs is not None
        return cast(dict[str, Any], result.outs)

    state = {
        u: outs(
            provider.create(
                {"current": value(source[u], 0), "since": generation_of(before), "grace_days": grace}
            )
        )
        for u in keyrings
    }

    def current(route_name: str) -> str:
        (urn,) = [u for u in keyrings if route[u] == route_name]
        return str(reveal(state[urn]["current"]))

    def relay_bindings() -> dict[str, str]:
        def entries(urn: str) -> str:
            previous = str(reveal(state[urn]["previous"])) if keep_previous else ""
            return keyring_entries(
                str(reveal(state[urn]["current"])), previous, str(state[urn]["previous_not_after"])
            )

        return {
            binding: merged_keyrings([entries(u) for u in keyrings if route[u] == name])
            for name, binding in KEYRING_BINDINGS.items()
        }

    relay_env = relay_bindings()
    senders = [
        Sender(d["name"], "cloudflare", d["name"], current("cloudflare"), 0)
        for d in relay_destinations(after)
    ]
    senders += [
        Sender(p["name"], "sentry", p["name"], current("sentry"), 0) for p in of_type(after, SENTRY_PLUGIN)
    ]
    senders += [
        Sender(f"{w['name']} (old)", "vercel", w["name"], value(w["urn"], 0), 0)
        for w in of_type(after, VERCEL_WEBHOOK)
    ]
    generation_zero = {sender.name: sender.secret for sender in senders}

    # Creates and updates in dependency order, each sender as early as its dependencies allow (the
    # worst case for it: before the relay whenever the graph permits), then delete-replaced.
    walked = (
        KEYRING,
        WORKERS_SCRIPT,
        VERCEL_WEBHOOK,
        CLOUDFLARE_DESTINATION,
        SENTRY_PLUGIN,
        RANDOM_PASSWORD,
        ROTATING,
    )
    pending = {u for u in changed if new[u]["type"] in walked}
    timeline: list[tuple[int, dict[str, str], list[Sender]]] = [
        (0, dict(relay_env), [replace(s) for s in senders])
    ]
    step = 0

    def ready(urn: str) -> bool:
        waits_for = set(new[urn]["options"]["depends_on"]) - (
            {urn} if senders_wait_for_relay else {urn, script["urn"]}
        )
        return not (waits_for & pending)

    while pending:
        candidates = sorted(
            (u for u in pending if ready(u)), key=lambda u: (u == script["urn"], new[u]["name"])
        )
        assert candidates, f"no step is ready: {sorted(new[u]['name'] for u in pending)}"
        urn = candidates[0]
        pending.discard(urn)
        step += 1
        resource = new[urn]
        if resource["type"] == KEYRING:
            news = {"current": value(source[urn], 1), "since": generation, "grace_days": grace}
            state[urn] = outs(provider.update("id", state[urn], news))
        elif urn == script["urn"]:
            relay_env = relay_bindings()
        elif resource["type"] == VERCEL_WEBHOOK and urn in replaced:
            senders.append(
                Sender(f"{resource['name']} (new)", "vercel", resource["name"], value(urn, 1), step)
            )
        elif resource["type"] in (CLOUDFLARE_DESTINATION, SENTRY_PLUGIN):
            for sender in senders:
                if sender.name == resource["name"]:
                    sender.secret = current(sender.route)
        timeline.append((step, dict(relay_env), [replace(s) for s in senders if s.died is None]))
    step += 1
    for sender in senders:
        if sender.name.endswith(" (old)") and any(new[u]["name"] == sender.stream for u in replaced):
            sender.died = step
    timeline.append((step, dict(relay_env), [replace(s) for s in senders if s.died is None]))

    checks: list[dict[str, Any]] = []
    labels: list[tuple[int, str, Sender]] = []
    up_ms = int(up_at.timestamp() * 1000)
    for at, env, alive in timeline:
        for sender in alive:
            checks.append(
                {"route": sender.route, "secret": sender.secret, "env": env, "now": up_ms + at * 1000}
            )
            labels.append((at, "during the up", sender))
    # After the up, a delivery still carrying generation 0's secret: just before the grace ends, and at its end.
    grace_end_ms = int((up_at + timedelta(days=grace)).timestamp() * 1000)
    for sender in senders:
        if sender.born == 0:
            old = replace(sender, secret=generation_zero[sender.name])
            for now, label in (
                (grace_end_ms - 1000, "in flight before the grace ends"),
                (grace_end_ms, "after the grace"),
            ):
                checks.append({"route": old.route, "secret": old.secret, "env": timeline[-1][1], "now": now})
                labels.append((-1, label, old))
    return WalkedUp({new[u]["type"] for u in changed}, checks, labels)


def judge(walked: WalkedUp, verdicts: list[int]) -> WebhookWalk:
    """Every refused delivery of the walk that nothing else made up for, given the relay's status for each."""
    labels = walked.labels
    accepted = {
        (at, label, sender.name): status == 200
        for (at, label, sender), status in zip(labels, verdicts, strict=True)
    }
    problems: list[str] = []
    for at, label, sender in labels:
        ok = accepted[(at, label, sender.name)]
        if label == "after the grace":
            if ok:
                problems.append(f"{sender.name}: generation 0's secret is still accepted after the grace")
        elif label.startswith("in flight"):
            if not ok:
                problems.append(
                    f"{sender.name}: a delivery in flight with generation 0's secret is refused before the grace ends"
                )
        elif not ok and not any(
            accepted[(a, lb, other.name)]
            for a, lb, other in labels
            if (a, lb) == (at, label) and other.stream == sender.stream and other.name != sender.name
        ):
            problems.append(f"step {at}: {sender.name} is refused and nothing else delivers its events")
    return WebhookWalk(walked.updated, problems)


# The walks the tests judge: each stack's, and prod's broken on purpose (see walk_webhook_rotation's flags).
WALKS: dict[str, tuple[str, dict[str, bool]]] = {
    "prod": ("prod", {}),
    "staging": ("staging", {}),
    "forgetful": ("prod", {"keep_previous": False}),
    "hasty": ("prod", {"senders_wait_for_relay": False}),
}


@pytest.fixture(scope="module")
def webhook_walks() -> dict[str, WebhookWalk]:
    """Every walk in ``WALKS``, its deliveries judged by the relay's code in one node run for all of them."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        walked = {
            name: walk_webhook_rotation(stack, monkeypatch, **flags) for name, (stack, flags) in WALKS.items()
        }
    verdicts = relay_verdicts([check for walk in walked.values() for check in walk.checks])
    assert len(verdicts) == sum(len(walk.checks) for walk in walked.values())
    judged: dict[str, WebhookWalk] = {}
    for name, walk in walked.items():
        judged[name] = judge(walk, verdicts[: len(walk.checks)])
        verdicts = verdicts[len(walk.checks) :]
    return judged


@pytest.mark.parametrize("stack", STACKS)
def test_a_webhook_secret_rotation_never_loses_an_alert(
    stack: str, webhook_walks: dict[str, WebhookWalk]
) -> None:
    walk = webhook_walks[stack]
    assert walk.problems == []
    # The new values reach every consumer in the same up: the Worker's bindings, the Cloudflare
    # destinations, the Sentry plugins, the links of the alert rule to the new webhook.
    assert {KEYRING, WORKERS_SCRIPT, CLOUDFLARE_DESTINATION, SENTRY_PLUGIN, WEBHOOK_LINK} <= walk.updated


@pytest.mark.parametrize("stack", STACKS)
def test_a_due_rotation_replaces_every_deploy_token_and_updates_its_secret_in_the_same_up(
    stack: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The clock passes the period: each token is replaced (and retained), its environment secret updated."""
    before = plan_of(stack)
    later = PLAN_CLOCK + timedelta(days=rotation_config(stack)["periodDays"], hours=3)
    after = plan_at(stack, later, monkeypatch)
    replaced, changed = rotation_up(before, after)
    tokens = of_type(after, ACCOUNT_TOKEN)
    assert tokens
    for token in tokens:
        assert token["urn"] in replaced, token["name"]
        assert token["options"]["retain_on_delete"] is True, token["name"]
        secrets = [c for c in consumers_of(after, token["urn"]) if c["type"] == ENVIRONMENT_SECRET]
        assert secrets and all(c["urn"] in changed for c in secrets), token["name"]


def test_the_webhook_walk_finds_the_gap_without_the_previous_secret_or_the_wait_for_the_relay(
    webhook_walks: dict[str, WebhookWalk],
) -> None:
    forgetful = webhook_walks["forgetful"].problems
    assert any("in flight with generation 0's secret is refused" in problem for problem in forgetful), (
        forgetful
    )
    hasty = webhook_walks["hasty"].problems
    assert any("gstarlink-cloudflare-notifications-relay is refused and nothing else" in p for p in hasty), (
        hasty
    )


# --- database passwords: rotated by hand, never on the schedule ----------------------------------


def test_scheduling_a_database_password_is_refused_with_the_reason() -> None:
    from stacks.settings import DATABASE_PASSWORD_BY_HAND

    today = datetime.now(UTC).date().isoformat()
    problems = settings_problems("staging", lambda r: r["databasePasswords"].update(oms="scheduled"))
    (problem,) = problems
    assert problem.startswith(
        "estate:rotation.databasePasswords.oms: must be the date of the last hand rotation, YYYY-MM-DD; "
        "database passwords are rotated by hand, never on the schedule: a Supabase project has one password"
    )
    assert "PATCH /v1/projects/{ref}/database/password" in DATABASE_PASSWORD_BY_HAND
    assert "Vercel deployments keep DATABASE_URL until redeployed" in DATABASE_PASSWORD_BY_HAND
    assert problem.endswith(
        f"| pulumi config set --stack staging --path 'estate:rotation.databasePasswords.oms' '{today}'"
    )
    missing = settings_problems("prod", lambda r: r["databasePasswords"].pop("talkline"))
    assert [p.split(":", 2)[:2] for p in missing] == [["estate", "rotation.databasePasswords.talkline"]]
    assert (
        "required: the date the talkline database password was last rotated; database passwords" in missing[0]
    )
    unknown = settings_problems("prod", lambda r: r["databasePasswords"].update(chatbot="2026-01-01"))
    assert unknown == [
        "estate:rotation.databasePasswords.chatbot: not an app with a database; known: "
        "['oms', 'esim-hub', 'talkline'] | pulumi config rm --stack prod --path "
        "'estate:rotation.databasePasswords.chatbot'"
    ]


@pytest.mark.parametrize("stack", STACKS)
def test_database_passwords_stay_out_of_the_rotation_up(stack: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The schedule never touches them: a rotation up neither replaces nor updates a database password."""
    from stacks.settings import database_password_apps

    before = plan_of(stack)
    later = PLAN_CLOCK + timedelta(days=rotation_config(stack)["periodDays"], hours=3)
    replaced, changed = rotation_up(before, plan_at(stack, later, monkeypatch))
    urns = {r["name"]: r["urn"] for r in of_type(before, RANDOM_PASSWORD)}
    for app in database_password_apps():
        password = urns[f"{app}-database-db-password"]
        assert password not in replaced | changed, app
    assert replaced, "the rotation up replaced nothing: the walk would prove nothing"


def test_database_passwords_past_the_period_are_reported_with_the_runbook(tmp_path: Path) -> None:
    from estate.rotation import database_password_urn

    project = project_with_dates(tmp_path, "prod", {"oms": "2025-06-01"})
    (due,) = due_in_stack_file("prod", project, TODAY)
    assert due.message == (
        "the oms database password (generated by the stack, rotated by hand: Supabase cannot rotate it "
        "without downtime) was last rotated on 2025-06-01; it was due on 2026-06-01 (184 day(s) ago)."
    )
    urn = database_password_urn("prod", "oms")
    assert urn in {r["urn"] for r in of_type(plan_of("prod"), RANDOM_PASSWORD)}
    assert due.fix == [
        f"pulumi state unprotect --stack prod --yes '{urn}'",
        f"pulumi up --stack prod --refresh --policy-pack policies --replace '{urn}'",
        "# now redeploy oms's production deployment on Vercel (Deployments, Redeploy): running deployments "
        "keep the old DATABASE_URL",
        "pulumi config set --stack prod --path 'estate:rotation.databasePasswords.oms' '2026-12-02'",
    ]
    text = slack_text("prod", [due])
    assert "• the oms database password (generated by the stack, rotated by hand" in text
    assert (
        "The oms database password: rotate it by hand in a maintenance window (Supabase cannot change it "
        "without breaking every connection that holds it)"
    ) in text
    assert "Rotate each at its vendor" not in text
    diagnosis = diagnose("prod", project, today=TODAY)
    (finding,) = diagnosis.rotation_due
    assert finding.key == "estate:rotation.databasePasswords.oms" and finding.value == "2025-06-01"
    assert finding.message.endswith(
        "Rotate it by hand in a maintenance window (Supabase cannot change it without "
        "breaking every connection that holds it): run the commands in order, "
        "redeploying the app on Vercel right after the up, then record the date"
    )
    assert finding.fix == " && ".join(command for command in due.fix if not command.startswith("#"))
    # Placeholder dates are examples: not judged.
    assert due_in_stack_file("prod", REPO_ROOT, date(2030, 1, 1)) == []


# --- docs/pipeline.md shows what the code prints -------------------------------------------------


def doc_blocks(heading: str) -> list[str]:
    """The fenced blocks of docs/pipeline.md under ``heading`` (up to the next heading of any level)."""
    text = (REPO_ROOT / "docs" / "pipeline.md").read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    section = section[: re.search(r"\n#{2,4} ", section[len(heading) :]).start() + len(heading)]  # pyright: ignore[reportOptionalMemberAccess]
    return re.findall(r"```[a-z]*\n(.*?)```", section, flags=re.DOTALL)


def test_the_documented_database_password_messages_are_the_codes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import stacks.settings as settings_module

    class Frozen(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Frozen:
            return cls(2026, 12, 2, tzinfo=tz)

    monkeypatch.setattr(settings_module, "datetime", Frozen)
    blocks = doc_blocks("### Database passwords: rotated by hand")
    from estate.engine import load_stack_config

    config, secret_keys, _ = load_stack_config("prod")
    rotation = json.loads(config["estate:rotation"])
    rotation["databasePasswords"]["oms"] = "scheduled"
    config["estate:rotation"] = json.dumps(rotation)
    with pytest.raises(SettingsError) as raised:
        load_settings("prod", config, secret_keys, offline=True)
    (problem,) = raised.value.problems
    assert str(problem) in blocks[1], str(problem)
    project = project_with_dates(tmp_path, "prod", {"oms": "2025-06-01"})
    assert slack_text("prod", due_in_stack_file("prod", project, TODAY)) == blocks[2].rstrip("\n")


def test_the_documented_checklist_messages_are_the_codes() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "check_records", REPO_ROOT / "app-checks" / "check_records.py"
    )
    assert spec is not None and spec.loader is not None
    records: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(records)
    (block,) = doc_blocks("### `changelog-or-adr`")
    passed, lines = records.verdict([("A", "supabase/migrations/20250301000000_add.sql")], [])
    assert not passed
    # One annotation (`::error title=T::message`, newlines as %0A), shown by GitHub as the title, then the message.
    (annotation,) = lines
    title, message = re.fullmatch(r"::error title=([^:]+)::(.*)", annotation, flags=re.DOTALL).groups()  # pyright: ignore[reportOptionalMemberAccess]
    shown = [title, *message.replace("%0A", "\n").replace("%25", "%").splitlines()]
    assert block.rstrip("\n").splitlines() == shown
