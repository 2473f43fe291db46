"""Every system of each stack has an alert route to its channel, read from the plan (estate/alerts.py)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from estate.alerts import (
    ESTATE_PIPELINES,
    System,
    coverage,
    estate_pipeline_routes,
    relay_settings,
    uncovered,
)
from estate.cli import main
from policies.resource_types import (
    ACTIONS_ENVIRONMENT_SECRET,
    NOTIFICATION_POLICY,
    VERCEL_ALERT_RULE,
    VERCEL_WEBHOOK,
    WORKERS_SCRIPT_SUBDOMAIN,
)
from stacks.catalog import APPS, PagesHosting, VercelHosting, WorkerHosting
from tests.shared_plans import plan_of

Plan = dict[str, Any]
STACKS = ["prod", "staging"]


def plan_systems(stack: str) -> list[System]:
    return coverage(plan_of(stack), workflows_dir=None)


def without(plan: Plan, predicate: Any) -> Plan:
    plan["resources"] = [r for r in plan["resources"] if not predicate(r)]
    return plan


@pytest.mark.parametrize("stack", STACKS)
def test_every_system_of_the_plan_has_an_alert_route(stack: str) -> None:
    missing = uncovered(plan_systems(stack))
    assert missing == [], "systems without any alert route: " + ", ".join(
        f"{s.kind} {s.name}" for s in missing
    )


@pytest.mark.parametrize("stack", STACKS)
def test_the_coverage_lists_every_system_of_the_catalog(stack: str) -> None:
    systems = plan_systems(stack)
    kinds: dict[str, list[System]] = {}
    for system in systems:
        kinds.setdefault(system.kind, []).append(system)
    vercel = [a for a in APPS if isinstance(a.hosting[0], VercelHosting)]
    pages = [site for a in APPS if isinstance(a.hosting[0], PagesHosting) for site in a.hosting[0].sites]
    workers = [a for a in APPS if isinstance(a.hosting[0], WorkerHosting)]
    assert len(kinds["Vercel project"]) == len(vercel)
    assert len(kinds["Pages project"]) == len(pages)
    assert len(kinds["Worker"]) == len(workers) + 1, "the apps' Workers and the relay"
    assert len(kinds["database"]) == sum(1 for a in APPS if a.database)
    assert sorted(s.app or "" for s in kinds["repository CI"]) == sorted(a.key for a in APPS)
    # Every app shows up with its own systems.
    assert {s.app for s in systems if s.app} == {a.key for a in APPS}


@pytest.mark.parametrize("stack", STACKS)
def test_each_kind_of_system_has_its_expected_routes(stack: str) -> None:
    systems = plan_systems(stack)
    for system in systems:
        joined = "\n".join(system.routes)
        if system.kind == "Vercel project":
            assert "Vercel webhook (deployment.error, project.removed) → relay → Slack" in joined
            assert "Vercel alert rule (error_anomaly statusGroup:5xx) → relay → Slack" in joined
            assert ("Sentry project" in joined) == (system.app == "talkline")
        elif system.kind == "Pages project":
            assert "pages_event_alert (EVENT_DEPLOYMENT_FAILED) → relay → Slack" in joined
        elif system.kind in ("Worker", "database"):
            assert "Cloudflare health check" in joined
        elif system.kind == "repository CI":
            assert "SLACK_ALERTS_WEBHOOK_URL" in joined


def test_a_vercel_project_without_its_webhooks_and_rule_is_reported() -> None:
    plan = without(
        plan_of("prod"),
        lambda r: r["type"] in (VERCEL_WEBHOOK, VERCEL_ALERT_RULE),
    )
    missing = {s.name for s in uncovered(coverage(plan, workflows_dir=None))}
    assert {"oms", "esim-hub"} <= missing
    # Talkline keeps its Sentry route.
    assert "talkline" not in missing


def test_a_database_or_worker_without_a_health_check_policy_is_reported() -> None:
    plan = without(
        plan_of("staging"),
        lambda r: (
            r["type"] == NOTIFICATION_POLICY
            and r["inputs"]["alertType"] == "health_check_status_notification"
        ),
    )
    missing = uncovered(coverage(plan, workflows_dir=None))
    assert {s.kind for s in missing} == {"Worker", "database"}
    assert len(missing) == 2 + sum(1 for a in APPS if a.database)


def test_a_pages_project_the_relay_does_not_post_for_is_reported() -> None:
    plan = plan_of("prod")
    relay = relay_settings("prod")
    assert "gstarlink-handbook-public" in relay.projects
    dropping = replace(relay, projects=relay.projects - {"gstarlink-handbook-public"})
    missing = [s.name for s in uncovered(coverage(plan, workflows_dir=None, relay=dropping))]
    assert missing == ["gstarlink-handbook-public"]


def test_routes_through_a_relay_that_is_not_served_do_not_count() -> None:
    plan = without(
        plan_of("prod"),
        lambda r: r["type"] == WORKERS_SCRIPT_SUBDOMAIN,
    )
    missing = {s.kind for s in uncovered(coverage(plan, workflows_dir=None))}
    assert {"Vercel project", "Pages project"} <= missing


def test_a_repository_without_the_channel_secret_is_reported() -> None:
    plan = without(
        plan_of("prod"),
        lambda r: (
            r["type"] == ACTIONS_ENVIRONMENT_SECRET
            and r["inputs"]["secretName"] == "SLACK_ALERTS_WEBHOOK_URL"
        ),
    )
    missing = {s.name for s in uncovered(coverage(plan, workflows_dir=None))}
    assert missing == {f"{a.key}-repository" for a in APPS}


def test_pipeline_failure_steps_are_recognised(tmp_path: Path) -> None:
    (tmp_path / "apply-prod.yml").write_text(
        "jobs:\n  apply:\n    steps:\n"
        "      - run: pulumi up\n"
        "      - if: failure()\n        env:\n          URL: ${{ secrets.SLACK_ALERTS_WEBHOOK_URL }}\n"
        '        run: curl -d @payload.json "$URL"\n'
    )
    (tmp_path / "drift.yml").write_text(
        "jobs:\n  drift:\n    steps:\n      - if: failure()\n        run: gh issue create --title drift\n"
    )
    (tmp_path / "apply-staging.yml").write_text("jobs:\n  apply:\n    steps:\n      - run: pulumi up\n")
    routes = {s.name: s.routes for s in estate_pipeline_routes(tmp_path)}
    assert routes == {
        "apply-prod.yml": ("job apply: failure step → Slack",),
        "apply-staging.yml": (),
        "drift.yml": ("job drift: failure step → GitHub issue",),
    }


def test_a_failure_step_is_recognised_whatever_the_length_of_its_lines(tmp_path: Path) -> None:
    """Fails on the old reading, which searched a YAML dump of the step: the dump wraps long lines at a
    space, here between "gh" and "issue"."""
    (tmp_path / "drift.yml").write_text(
        "jobs:\n  drift:\n    steps:\n      - if: failure()\n"
        f"        run: echo {'x' * 65} && gh issue create --title drift\n"
    )
    routes = {s.name: s.routes for s in estate_pipeline_routes(tmp_path)}
    assert routes == {"drift.yml": ("job drift: failure step → GitHub issue",)}


def test_the_drift_check_reports_its_failures() -> None:
    routes = {s.name: s.routes for s in estate_pipeline_routes()}
    assert set(routes) == set(ESTATE_PIPELINES)
    assert routes["drift.yml"], "the drift workflow opens an issue on failure"


def test_every_estate_pipeline_reports_its_failures() -> None:
    missing = [s.name for s in estate_pipeline_routes() if not s.routes]
    assert missing == []


@pytest.mark.usefixtures("shared_plans")
def test_the_command_prints_json_and_fails_on_a_gap(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["alerts", "--stack", "staging", "--format", "json"])
    document = json.loads(capsys.readouterr().out)
    assert document["stack"] == "staging"
    names = {s["name"] for s in document["systems"]}
    assert "gstarlink-handbook-internal-staging" in names
    assert code == (1 if document["uncovered"] else 0)
    assert set(document["uncovered"]) == {s["name"] for s in document["systems"] if not s["routes"]}


@pytest.mark.parametrize(
    ("stack", "pipelines"),
    [
        ("prod", {"apply-prod.yml", "drift.yml"}),
        ("staging", {"apply-staging.yml", "drift.yml"}),
    ],
)
def test_a_stack_lists_only_the_pipelines_that_run_pulumi_on_it(stack: str, pipelines: set[str]) -> None:
    systems = coverage(plan_of(stack))
    assert {s.name for s in systems if s.kind == "estate pipeline"} == pipelines


def test_pipeline_stacks_come_from_stack_name_and_the_matrix(tmp_path: Path) -> None:
    failure = "      - if: failure()\n        run: gh issue create --title failed\n"
    (tmp_path / "apply-prod.yml").write_text(
        "jobs:\n  apply:\n    steps:\n      - uses: pulumi/actions@x\n        with:\n          stack-name: prod\n"
        + failure
    )
    (tmp_path / "drift.yml").write_text(
        "jobs:\n  drift:\n    strategy:\n      matrix:\n        stack: [prod, qa]\n    steps:\n"
        "      - uses: pulumi/actions@x\n        with:\n          stack-name: ${{ matrix.stack }}\n" + failure
    )
    assert {s.name for s in estate_pipeline_routes(tmp_path, stack="qa")} == {"drift.yml"}
    assert {s.name for s in estate_pipeline_routes(tmp_path, stack="prod")} == {"apply-prod.yml", "drift.yml"}
    assert {s.name for s in estate_pipeline_routes(tmp_path)} == {"apply-prod.yml", "drift.yml"}
