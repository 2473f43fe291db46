"""One alert channel per stack: config validation, what each stack declares, and no leaked secret.

The relay Worker's own behaviour is tested by ``alerting/relay/test`` (node's
test runner), run here so ``make test`` covers it.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from components.alert_relay import RELAY_SOURCE
from components.cloudflare_notifications import (
    ACCOUNT_ALERT_TYPES,
    ZONE_ALERT_TYPES,
    CloudflareNotifications,
    CloudflareNotificationsArgs,
    HealthCheckTarget,
    split_slack_webhook,
)
from components.error_tracking import DSN_VARIABLES, ErrorTracking, ErrorTrackingArgs
from components.repository_governance import REPOSITORY_GOVERNANCE_TYPE as GOVERNANCE
from components.vercel_alerts import PROJECT_EVENTS, VercelAlerts, VercelAlertsArgs
from estate.engine import PROJECT_DIR, load_stack_config, run_program
from policies.resource_types import ACTIONS_ENVIRONMENT_SECRET as ENVIRONMENT_SECRET
from policies.resource_types import HEALTHCHECK as HEALTH_CHECK
from policies.resource_types import NOTIFICATION_POLICY as POLICY
from policies.resource_types import NOTIFICATION_POLICY_WEBHOOKS as WEBHOOKS
from policies.resource_types import (
    PAGES_PROJECT,
    RANDOM_PASSWORD,
    SENTRY_PLUGIN,
    SENTRY_PROJECT,
    VERCEL_ALERT_RULE,
    VERCEL_PROJECT,
    VERCEL_WEBHOOK,
    WORKERS_SCRIPT,
)
from policies.resource_types import SENTRY_ISSUE_ALERT as SENTRY_ALERT
from policies.resource_types import VERCEL_ALERT_RULE_WEBHOOK_NOTIFICATION as VERCEL_ALERT_LINK
from policies.resource_types import VERCEL_ENV_VAR as VERCEL_ENV
from policies.resource_types import WORKERS_SCRIPT_SUBDOMAIN as WORKERS_SUBDOMAIN
from stacks.alerting import CI_WEBHOOK_SECRET, stack_projects
from stacks.catalog import APPS
from stacks.settings import (
    ALERTS_WEBHOOK_KEY,
    OFFLINE_SECRET_PLACEHOLDER,
    OFFLINE_SLACK_WEBHOOK_URL,
    SENTRY_TOKEN_KEY,
    SettingsError,
    known_config_keys,
    load_settings,
    secret_config_keys,
)
from tests.shared_plans import plan_of, shared_run

Plan = dict[str, Any]
RELAY_DIR = PROJECT_DIR / "alerting" / "relay"
STACKS = ["prod", "staging"]

SENTRY_PROVIDER = "pulumi:providers:sentry"

CANARY_WEBHOOK = "https://hooks.slack.com/services/TCANARY00/BCANARY00/canaryWebhook4f1d9a7c"
CANARY_SENTRY_TOKEN = "sntrys_canary_token_93cf5e21"


def of_type(plan: Plan, type_token: str) -> list[dict[str, Any]]:
    return [r for r in plan["resources"] if r["type"] == type_token]


def by_urn(plan: Plan) -> dict[str, dict[str, Any]]:
    return {r["urn"]: r for r in plan["resources"]}


def stack_config(stack: str) -> tuple[dict[str, str], list[str]]:
    config, secret_keys, _ = load_stack_config(stack)
    return config, secret_keys


def relay_host(stack: str) -> str:
    """Where the relay must answer: its script's workers.dev host under the account subdomain of the stack file."""
    suffix = "" if stack == "prod" else "-staging"
    return f"estate-alert-relay{suffix}.{stack_config(stack)[0]['estate:alertRelaySubdomain']}.workers.dev"


@pytest.fixture(scope="module")
def relay_bindings() -> dict[str, dict[str, Any]]:
    """Each stack's relay Worker bindings (name → binding) as the program sends them, secrets unwrapped.

    The plan shows them as one secret; the shared run of each stack recorded what
    the Worker receives, which is what it filters events by.
    """
    bindings: dict[str, dict[str, Any]] = {}
    for stack in STACKS:
        [raw] = [
            inputs["bindings"]
            for (typ, name), inputs in shared_run(stack).registered.items()
            if typ == WORKERS_SCRIPT and name == "alert-relay-script"
        ]
        items = raw["value"] if isinstance(raw, dict) and "value" in raw else raw
        bindings[stack] = {item["name"]: item for item in items}
    return bindings


def problems_of(stack: str, config: dict[str, str], secret_keys: list[str]) -> list[str]:
    with pytest.raises(SettingsError) as raised:
        load_settings(stack, config, secret_keys, offline=True)
    return [str(problem) for problem in raised.value.problems]


# --- the relay's own tests -----------------------------------------------------------------------


def test_relay_passes_its_node_tests() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the relay's tests (alerting/relay/test) need node 20 or later")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    major = int(version.lstrip("v").split(".")[0])
    assert major >= 20, f"node {version} is too old for the relay's tests; they need node 20 or later"
    result = subprocess.run(
        [node, "--test", "test/relay.test.js"], cwd=RELAY_DIR, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    passed = re.search(r"^# pass (\d+)$", result.stdout, re.MULTILINE)
    assert passed and int(passed.group(1)) >= 20, "the relay's test run reported too few passing tests"
    assert re.search(r"^# fail 0$", result.stdout, re.MULTILINE)


# --- config: one destination per stack, validated ------------------------------------------------


def test_alert_keys_are_known_and_secret_where_they_must_be() -> None:
    assert ALERTS_WEBHOOK_KEY in secret_config_keys()
    assert SENTRY_TOKEN_KEY in secret_config_keys()
    for key in (ALERTS_WEBHOOK_KEY, SENTRY_TOKEN_KEY, "estate:sentry", "estate:alertRelaySubdomain"):
        assert key in known_config_keys()


def test_pulumi_yaml_documents_every_alerting_key() -> None:
    import yaml

    documented = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())["config"]
    for name in ("alertsSlackWebhookUrl", "sentryAuthToken"):
        assert documented[name]["secret"] is True
    for name in ("sentry", "alertRelaySubdomain"):
        assert documented[name]["description"]


@pytest.mark.parametrize("stack", STACKS)
def test_the_offline_placeholder_passes_the_format_check(stack: str) -> None:
    config, secret_keys = stack_config(stack)
    assert config[ALERTS_WEBHOOK_KEY] == OFFLINE_SECRET_PLACEHOLDER
    settings = load_settings(stack, config, secret_keys, offline=True)
    assert settings.alerting is not None
    # Offline, a Slack-shaped stand-in: the notification component splits the URL.
    assert settings.alerting.slack_webhook_url.reveal() == OFFLINE_SLACK_WEBHOOK_URL
    assert split_slack_webhook(OFFLINE_SLACK_WEBHOOK_URL) == (
        "https://hooks.slack.com/services/T0OFFLINE/B0OFFLINE",
        "offlineplaceholder",
    )


def test_a_real_slack_webhook_is_accepted() -> None:
    config, secret_keys = stack_config("prod")
    config[ALERTS_WEBHOOK_KEY] = CANARY_WEBHOOK
    settings = load_settings("prod", config, secret_keys, offline=True)
    assert settings.alerting is not None
    assert settings.alerting.slack_webhook_url.reveal() == CANARY_WEBHOOK
    assert CANARY_WEBHOOK not in repr(settings.alerting)


@pytest.mark.parametrize(
    "bad",
    [
        "http://hooks.slack.com/services/T0/B0/abc",
        "https://example.com/services/T0/B0/abc-canary",
        "https://hooks.slack.com/workflows/T0/A0/1/abc-canary",
        "https://discord.com/api/webhooks/1/abc-canary",
    ],
)
def test_a_webhook_that_is_not_slack_is_refused_without_showing_it(bad: str) -> None:
    config, secret_keys = stack_config("prod")
    config[ALERTS_WEBHOOK_KEY] = bad
    problems = problems_of("prod", config, secret_keys)
    [problem] = [p for p in problems if p.startswith(ALERTS_WEBHOOK_KEY)]
    assert "[secret]" in problem
    assert "https://hooks.slack.com/services/" in problem
    assert f"pulumi config set --stack prod --secret '{ALERTS_WEBHOOK_KEY}'" in problem
    assert bad not in "\n".join(problems)


def test_a_missing_webhook_names_its_set_command() -> None:
    config, secret_keys = stack_config("staging")
    del config[ALERTS_WEBHOOK_KEY]
    problems = problems_of("staging", config, secret_keys)
    [problem] = [p for p in problems if p.startswith(ALERTS_WEBHOOK_KEY)]
    assert "(missing)" in problem
    assert f"pulumi config set --stack staging --secret '{ALERTS_WEBHOOK_KEY}'" in problem


def test_a_webhook_stored_in_plaintext_is_refused_and_hidden() -> None:
    config, secret_keys = stack_config("prod")
    config[ALERTS_WEBHOOK_KEY] = CANARY_WEBHOOK
    secret_keys = [key for key in secret_keys if key != ALERTS_WEBHOOK_KEY]
    problems = problems_of("prod", config, secret_keys)
    assert any(p.startswith(ALERTS_WEBHOOK_KEY) and "plaintext" in p for p in problems)
    assert CANARY_WEBHOOK not in "\n".join(problems)


def test_every_alerting_problem_is_reported_at_once() -> None:
    config, secret_keys = stack_config("prod")
    config[ALERTS_WEBHOOK_KEY] = "https://example.com/canary"
    config["estate:sentry"] = json.dumps({"organization": "Fancrush Inc", "team": None})
    config["estate:alertRelaySubdomain"] = "Not A Subdomain"
    del config[SENTRY_TOKEN_KEY]
    problems = problems_of("prod", config, secret_keys)
    keys = {p.split(" = ")[0] for p in problems}
    assert {
        ALERTS_WEBHOOK_KEY,
        "estate:sentry.organization",
        "estate:sentry.team",
        "estate:alertRelaySubdomain",
        SENTRY_TOKEN_KEY,
    } <= keys
    slug = next(p for p in problems if p.startswith("estate:sentry.organization"))
    assert "pulumi config set --stack prod --path 'estate:sentry.organization'" in slug
    token = next(p for p in problems if p.startswith(SENTRY_TOKEN_KEY))
    assert f"pulumi config set --stack prod --secret '{SENTRY_TOKEN_KEY}'" in token


def test_the_sentry_account_is_required_while_an_app_tracks_errors() -> None:
    assert any(app.error_tracking for app in APPS)
    config, secret_keys = stack_config("staging")
    del config["estate:sentry"]
    problems = problems_of("staging", config, secret_keys)
    assert any(p.startswith("estate:sentry = (missing)") for p in problems)


# --- components refuse what the providers would refuse -------------------------------------------


def test_vercel_alerts_need_projects_and_https() -> None:
    with pytest.raises(ValueError, match="at least one project"):
        VercelAlerts(
            "x",
            VercelAlertsArgs(
                team_id="team_x",
                environment="staging",
                endpoint="https://a/vercel",
                project_ids=[],
                generation="2026-01-01T00:00:00Z",
                grace_days=7,
            ),
        )
    with pytest.raises(ValueError, match="must be https"):
        VercelAlerts(
            "x",
            VercelAlertsArgs(
                team_id="team_x",
                environment="staging",
                endpoint="http://a/vercel",
                project_ids=["p"],
                generation="2026-01-01T00:00:00Z",
                grace_days=7,
            ),
        )


def test_cloudflare_notifications_check_health_check_names_and_the_relay() -> None:
    target = HealthCheckTarget(name="bad name!", system="x", address="example.com")
    with pytest.raises(ValueError, match="bad name!"):
        CloudflareNotifications(
            "x",
            CloudflareNotificationsArgs(
                account_id="a",
                zone_id="z",
                environment="staging",
                slack_webhook_url="u",
                health_checks=[target],
            ),
        )
    with pytest.raises(ValueError, match="relay_endpoint"):
        CloudflareNotifications(
            "x",
            CloudflareNotificationsArgs(
                account_id="a",
                zone_id="z",
                environment="staging",
                slack_webhook_url="u",
                pages_projects=["p"],
            ),
        )


def test_error_tracking_needs_a_positive_rate() -> None:
    with pytest.raises(ValueError, match="errors_per_hour"):
        ErrorTracking(
            "x",
            ErrorTrackingArgs(
                organization="o",
                team="t",
                project_name="p",
                environment="staging",
                alert_endpoint="https://a",
                vercel_project_id="prj",
                vercel_team_id="team",
                errors_per_hour=0,
            ),
        )


# --- what each stack declares --------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_one_slack_destination_per_account_and_it_is_secret(stack: str) -> None:
    plan = plan_of(stack)
    destinations = [w for w in of_type(plan, WEBHOOKS) if w["name"].endswith("-slack")]
    accounts = {w["inputs"]["accountId"] for w in destinations}
    assert len(destinations) == len(accounts) == 2
    for destination in destinations:
        assert destination["inputs"]["url"] == "[secret]"
    for policy in of_type(plan, POLICY):
        assert policy["inputs"]["enabled"] is True


@pytest.mark.parametrize("stack", STACKS)
def test_every_app_repository_gets_the_channel_for_its_workflows(stack: str) -> None:
    plan = plan_of(stack)
    parents = {r["urn"]: r["name"] for r in of_type(plan, GOVERNANCE)}
    secrets = [s for s in of_type(plan, ENVIRONMENT_SECRET) if s["inputs"]["secretName"] == CI_WEBHOOK_SECRET]
    assert sorted(parents[s["parent"]] for s in secrets) == sorted(f"{app.key}-repository" for app in APPS)
    environment = "production" if stack == "prod" else "staging"
    for secret in secrets:
        assert secret["inputs"]["value"] == "[secret]"
        assert secret["inputs"]["environment"] == environment


@pytest.mark.parametrize("stack", STACKS)
def test_the_relay_runs_the_repository_code_with_secret_bindings(stack: str) -> None:
    plan = plan_of(stack)
    [script] = [r for r in of_type(plan, WORKERS_SCRIPT) if r["name"] == "alert-relay-script"]
    assert script["inputs"]["content"] == RELAY_SOURCE.read_text()
    assert script["inputs"]["mainModule"] == "relay.js"
    assert script["inputs"]["bindings"] == "[secret]"
    suffix = "" if stack == "prod" else "-staging"
    assert script["inputs"]["scriptName"] == f"estate-alert-relay{suffix}"
    [subdomain] = [r for r in of_type(plan, WORKERS_SUBDOMAIN) if r["name"] == "alert-relay-workers-dev"]
    assert subdomain["inputs"]["enabled"] is True
    assert subdomain["inputs"]["previewsEnabled"] is False
    subdomain = stack_config(stack)[0]["estate:alertRelaySubdomain"]
    [check] = [
        c
        for c in of_type(plan, HEALTH_CHECK)
        if c["inputs"]["httpConfig"] != "[secret]" and c["inputs"]["httpConfig"]["path"] == "/health"
    ]
    assert (
        check["inputs"]["address"]
        == relay_host(stack)
        == f"estate-alert-relay{suffix}.{subdomain}.workers.dev"
    )


@pytest.mark.parametrize("stack", STACKS)
def test_the_relay_posts_for_exactly_this_stacks_projects(
    stack: str, relay_bindings: dict[str, dict[str, Any]]
) -> None:
    plan = plan_of(stack)
    declared = {r["inputs"]["name"] for r in of_type(plan, VERCEL_PROJECT)}
    declared |= {r["inputs"]["name"] for r in of_type(plan, PAGES_PROJECT)}
    projects = relay_bindings[stack]["PROJECTS"]
    assert projects["type"] == "plain_text"
    assert set(json.loads(projects["text"])) == declared
    config, secret_keys = stack_config(stack)
    assert set(stack_projects(load_settings(stack, config, secret_keys, offline=True))) == declared


@pytest.mark.parametrize("stack", STACKS)
def test_pages_failures_reach_the_relay_with_its_secret(stack: str) -> None:
    plan = plan_of(stack)
    urns = by_urn(plan)
    [policy] = [p for p in of_type(plan, POLICY) if p["inputs"]["alertType"] == "pages_event_alert"]
    assert policy["inputs"]["filters"] == {
        "environments": ["ENVIRONMENT_PRODUCTION"],
        "events": ["EVENT_DEPLOYMENT_FAILED"],
    }
    [destination] = [urns[u] for u in policy["options"]["depends_on"] if urns[u]["type"] == WEBHOOKS]
    assert destination["inputs"]["url"] == f"https://{relay_host(stack)}/cloudflare"
    assert destination["inputs"]["secret"] == "[secret]"


@pytest.mark.parametrize("stack", STACKS)
def test_health_checks_watch_the_workers_and_databases(stack: str) -> None:
    plan = plan_of(stack)
    checks = {c["inputs"]["name"]: c for c in of_type(plan, HEALTH_CHECK)}
    suffix = "" if stack == "prod" else "-staging"
    expected = {f"chatbot-worker{suffix}", f"alert-relay{suffix}"}
    expected |= {f"{app.key}-database{suffix}" for app in APPS if app.database}
    assert set(checks) == expected
    worker = checks[f"chatbot-worker{suffix}"]["inputs"]
    # Staging's Workers answer on workers.dev of staging's own account (stacks/cloudflare_accounts.py).
    assert worker["address"] == (
        "chat.gstarlink.com" if stack == "prod" else "gstarlink-chatbot-staging.gstarlink-staging.workers.dev"
    )
    assert worker["httpConfig"]["expectedCodes"] == ["2xx", "3xx", "4xx"]
    relay = checks[f"alert-relay{suffix}"]["inputs"]
    assert relay["httpConfig"]["path"] == "/health"
    for app in APPS:
        if app.database:
            database = checks[f"{app.key}-database{suffix}"]["inputs"]
            assert database["address"].endswith(".supabase.co")
            # The probe's apikey header makes the whole HTTP config secret.
            assert database["httpConfig"] == "[secret]"
    for policy in of_type(plan, POLICY):
        if policy["inputs"]["alertType"] == "health_check_status_notification":
            assert policy["inputs"]["filters"]["statuses"] == ["Unhealthy", "Healthy"]
            assert policy["inputs"]["filters"]["healthCheckIds"]


def test_account_wide_alerts_belong_to_production_only() -> None:
    wide = set(ZONE_ALERT_TYPES) | set(ACCOUNT_ALERT_TYPES)
    prod = [p["inputs"] for p in of_type(plan_of("prod"), POLICY) if p["inputs"]["alertType"] in wide]
    assert {(p["accountId"], p["alertType"]) for p in prod} == {
        (account, alert_type) for account in {p["accountId"] for p in prod} for alert_type in wide
    }
    assert len({p["accountId"] for p in prod}) == 2
    staging = [p for p in of_type(plan_of("staging"), POLICY) if p["inputs"]["alertType"] in wide]
    assert staging == [], "both stacks share the accounts: staging would double every zone alert"


def test_both_stacks_can_share_the_accounts() -> None:
    """Cloudflare names are per account: the stacks' destinations and checks never collide."""
    for type_token in (WEBHOOKS, POLICY, HEALTH_CHECK):
        prod = {
            (r["inputs"].get("accountId") or r["inputs"].get("zoneId"), r["inputs"]["name"])
            for r in of_type(plan_of("prod"), type_token)
        }
        staging = {
            (r["inputs"].get("accountId") or r["inputs"].get("zoneId"), r["inputs"]["name"])
            for r in of_type(plan_of("staging"), type_token)
        }
        assert prod.isdisjoint(staging), type_token


@pytest.mark.parametrize("stack", STACKS)
def test_vercel_events_and_anomalies_of_this_stacks_projects_reach_the_relay(stack: str) -> None:
    plan = plan_of(stack)
    urns = by_urn(plan)
    endpoint = f"https://{relay_host(stack)}/vercel"
    projects = {p["urn"]: p for p in of_type(plan, VERCEL_PROJECT)}
    event_hooks = [w for w in of_type(plan, VERCEL_WEBHOOK) if w["inputs"]["events"] == list(PROJECT_EVENTS)]
    covered = {u for w in event_hooks for u in w["options"]["depends_on"] if u in projects}
    assert covered == set(projects)
    for hook in of_type(plan, VERCEL_WEBHOOK):
        assert hook["inputs"]["endpoint"] == endpoint
        if hook["inputs"]["events"] == ["alerts.triggered"]:
            assert "projectIds" not in hook["inputs"], "Vercel wants the alert webhook account-wide"
    rules = of_type(plan, VERCEL_ALERT_RULE)
    assert {u for r in rules for u in r["options"]["depends_on"] if u in projects} == set(projects)
    for rule in rules:
        assert rule["inputs"]["triggers"] == [{"type": "error_anomaly", "filter": "statusGroup:5xx"}]
        [link] = [
            link for link in of_type(plan, VERCEL_ALERT_LINK) if rule["urn"] in link["options"]["depends_on"]
        ]
        [hook] = [urns[u] for u in link["options"]["depends_on"] if urns[u]["type"] == VERCEL_WEBHOOK]
        assert hook["inputs"]["events"] == ["alerts.triggered"]


@pytest.mark.parametrize("stack", STACKS)
def test_talkline_has_a_sentry_project_per_environment(stack: str) -> None:
    plan = plan_of(stack)
    suffix = "" if stack == "prod" else "-staging"
    [project] = of_type(plan, SENTRY_PROJECT)
    assert project["inputs"]["slug"] == f"talkline{suffix}"
    assert project["inputs"]["organization"] == "fancrush"
    [plugin] = of_type(plan, SENTRY_PLUGIN)
    assert plugin["inputs"]["plugin"] == "webhooks"
    assert plugin["inputs"]["config"] == "[secret]"
    alerts = of_type(plan, SENTRY_ALERT)
    assert len(alerts) == 2
    for alert in alerts:
        assert alert["inputs"]["actions"] == [
            {
                "id": "sentry.rules.actions.notify_event_service.NotifyEventServiceAction",
                "service": "webhooks",
            }
        ]
        assert plugin["urn"] in alert["options"]["depends_on"]
    [provider] = of_type(plan, SENTRY_PROVIDER)
    assert provider["inputs"]["token"] == "[secret]"
    talkline = next(p for p in of_type(plan, VERCEL_PROJECT) if p["inputs"]["name"] == f"talkline{suffix}")
    dsn = [v for v in of_type(plan, VERCEL_ENV) if v["inputs"]["key"] in DSN_VARIABLES]
    assert sorted(v["inputs"]["key"] for v in dsn) == sorted(DSN_VARIABLES)
    for variable in dsn:
        assert variable["inputs"]["value"] == "[secret]"
        assert variable["inputs"]["sensitive"] is True
        assert variable["inputs"]["targets"] == ["production"]
        assert talkline["urn"] in variable["options"]["depends_on"]


# --- no webhook URL, token or DSN in any output --------------------------------------------------


@pytest.fixture(scope="module")
def canary_plan() -> Plan:
    config, secret_keys = stack_config("prod")
    config[ALERTS_WEBHOOK_KEY] = CANARY_WEBHOOK
    config[SENTRY_TOKEN_KEY] = CANARY_SENTRY_TOKEN
    return run_program("prod", config, secret_keys).to_json()


def test_no_webhook_url_token_or_dsn_appears_in_the_plan(canary_plan: Plan) -> None:
    text = json.dumps(canary_plan)
    for leaked in (
        CANARY_WEBHOOK,
        "TCANARY00",
        CANARY_SENTRY_TOKEN,
        "hooks.slack.com/services/T",
        "ingest.sentry.io",
    ):
        assert leaked not in text, f"{leaked!r} is in the plan document"
    # The relay's Sentry route carries its token in the path.
    assert not re.search(r"/sentry/[A-Za-z0-9]{16,}", text)
    # The generated relay secrets and Vercel signing secrets stay hidden too.
    for secret in of_type(canary_plan, RANDOM_PASSWORD):
        assert "result" not in secret["inputs"]


def test_no_secret_in_the_printed_plan_or_the_coverage(
    canary_plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rich.console import Console

    import estate.output as output
    from estate.alerts import coverage

    buffer = io.StringIO()
    monkeypatch.setattr(output, "console", lambda stderr=False: Console(file=buffer, width=240))
    output.print_plan_tree(canary_plan)
    printed = buffer.getvalue() + json.dumps([s.routes for s in coverage(canary_plan)])
    for leaked in (CANARY_WEBHOOK, "TCANARY00", CANARY_SENTRY_TOKEN, "ingest.sentry.io"):
        assert leaked not in printed


def test_the_relay_source_holds_no_secret() -> None:
    source = Path(RELAY_SOURCE).read_text()
    assert "hooks.slack.com/services/T" not in source
    assert not re.search(r"whsec_|sntrys_|sk_live_", source)
