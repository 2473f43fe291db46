"""``estate diff``: matching by logical role, per-app aspects, and flags for staging pointing at production."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from estate.cli import main
from estate.diff import compare, logical_role, neutral, production_leaks
from estate.output import print_diff
from tests.shared_plans import plan_of

Plan = dict[str, Any]


def named(plan: Plan, name: str) -> dict[str, Any]:
    matches = [r for r in plan["resources"] if r["name"] == name]
    assert len(matches) == 1, name
    return matches[0]


def of_type(plan: Plan, suffix: str) -> list[dict[str, Any]]:
    return [r for r in plan["resources"] if r["type"].endswith(suffix)]


@functools.cache
def committed(stack: str) -> Plan:
    """The stack's plan, one copy for the tests that only read it (compare never changes its plans)."""
    return plan_of(stack)


@functools.cache
def committed_diff() -> dict[str, Any]:
    """compare(prod, staging) of the plans as committed, made once: the tests only read it."""
    return compare(committed("prod"), committed("staging"))


def test_environment_marker_is_stripped_only_outside_production() -> None:
    assert (
        neutral("oms-vercel-dns-oms-staging.gstarlink.com", "staging") == "oms-vercel-dns-oms.gstarlink.com"
    )
    assert neutral("gstarlink-handbook-internal-staging", "staging") == "gstarlink-handbook-internal"
    assert neutral("oms-vercel-dns-oms.gstarlink.com", "production") == "oms-vercel-dns-oms.gstarlink.com"
    # A name that merely contains the word is not a marker.
    assert neutral("staging-tools", "staging") == "staging-tools"


def test_every_staging_resource_has_a_production_counterpart() -> None:
    prod, staging = committed("prod"), committed("staging")
    prod_roles = {logical_role(r, "production") for r in prod["resources"]}
    staging_roles = {logical_role(r, "staging") for r in staging["resources"]}
    # Staging's Cloudflare apps live in an account of their own (stacks/cloudflare_accounts.py): its
    # Workers answer on workers.dev, and the zone's account gates its custom domains and gets its own alerts.
    account_split = {
        "cloudflare:index/workersScriptSubdomain:WorkersScriptSubdomain::chatbot-worker-workers-dev",
        "cloudflare:index/zeroTrustAccessApplication:ZeroTrustAccessApplication::handbook-handbook-domain-access",
        "estate:access:AccessPolicy::gstarlink-internal-access-zone",
        "cloudflare:index/zeroTrustAccessPolicy:ZeroTrustAccessPolicy::gstarlink-internal-access-zone-policy",
        "estate:alerting:CloudflareNotifications::gstarlink-cloudflare-apps-notifications",
        "cloudflare:index/notificationPolicy:NotificationPolicy::gstarlink-cloudflare-apps-notifications-pages-failed",
        "cloudflare:index/notificationPolicyWebhooks:NotificationPolicyWebhooks::gstarlink-cloudflare-apps-notifications-relay",
    }
    assert staging_roles - prod_roles == account_split

    document = committed_diff()
    assert {o["role"] for o in document["only_in"] if o["stack"] == "staging"} <= {
        r.split("::")[-1] for r in account_split
    }
    prod_only = {o["role"] for o in document["only_in"] if o["stack"] == "prod"}
    # Production alone gives previews their environment name and keeps point-in-time recovery.
    assert "oms-vercel-env-NEXT_PUBLIC_APP_ENV-preview-development" in prod_only
    assert "oms-database-pitr" in prod_only
    assert document["points_at_production"] == []


def aspect(document: dict[str, Any], app: str, name: str) -> dict[str, Any]:
    [found] = [a for a in document["aspects"] if a["app"] == app and a["aspect"] == name]
    return found


def test_aspects_per_app() -> None:
    document = committed_diff()
    domains = aspect(document, "oms", "domains")
    assert (domains["left"], domains["right"], domains["status"]) == (
        ["oms.gstarlink.com"],
        ["oms-staging.gstarlink.com"],
        "environment names",
    )
    branches = aspect(document, "talkline", "deploy branches")
    assert (branches["left"], branches["right"], branches["status"]) == (["main"], ["develop"], "differs")
    checks = aspect(document, "handbook", "required checks")
    assert checks["status"] == "same" and checks["left"] == [
        "build-internal",
        "build-public",
        "changelog-or-adr",
        "env-vars",
    ]
    assert aspect(document, "handbook", "access coverage")["status"] == "environment names"
    secrets = aspect(document, "oms", "workflow secret names")
    assert "SUPABASE_DB_URL" in secrets["left"] and secrets["status"] == "same"
    runtime = aspect(document, "oms", "runtime env names")
    assert "NEXT_PUBLIC_APP_ENV (preview/development)" in set(runtime["left"]) - set(runtime["right"])
    settings = aspect(document, "oms", "other settings")
    assert "oms-database-project instance_size: small" in settings["left"]
    assert "oms-database-project instance_size: micro" in settings["right"]
    # Differences that only follow the environment (branch, environment name) are not repeated there.
    assert not any("pattern" in line or "environment:" in line for line in settings["left"])


def mutate_staging(change: Callable[[Plan], None]) -> list[dict[str, Any]]:
    staging = plan_of("staging")
    change(staging)
    return compare(committed("prod"), staging)["points_at_production"]


def set_input(name: str, key: str, value: Any) -> Callable[[Plan], None]:
    def change(plan: Plan) -> None:
        named(plan, name)["inputs"][key] = value

    return change


def test_staging_pointing_at_productions_pages_host_is_flagged() -> None:
    # Production's pages.dev host is the one Cloudflare assigned to its project (suffixed when taken).
    production_host = named(committed("prod"), "handbook-handbook-project")["outputs"]["subdomain"]
    leaks = mutate_staging(set_input("handbook-handbook-dns", "content", production_host))
    assert ("handbook-handbook-dns", production_host, "a production hostname") in {
        (leak["resource"], leak["found"], leak["reason"]) for leak in leaks
    }, leaks


@pytest.mark.parametrize(
    ("change", "resource", "found", "reason"),
    [
        (
            set_input("oms-vercel-dns-oms-staging.gstarlink.com", "name", "oms.gstarlink.com"),
            "oms-vercel-dns-oms-staging.gstarlink.com",
            "oms.gstarlink.com",
            "a production hostname",
        ),
        (
            set_input("oms-database-auth", "site_url", "https://oms.gstarlink.com"),
            "oms-database-auth",
            "oms.gstarlink.com",
            "a production hostname",
        ),
        (
            set_input("oms-database-project", "name", "gstarlink-oms"),
            "oms-database-project",
            "gstarlink-oms",
            "a production Supabase project name",
        ),
        (
            set_input("oms-repository-protection", "pattern", "main"),
            "oms-repository-protection",
            "main",
            "the production deploy branch",
        ),
        (
            set_input("handbook-handbook-project", "productionBranch", "main"),
            "handbook-handbook-project",
            "main",
            "the production deploy branch",
        ),
        (
            set_input("oms-vercel-project", "name", "oms"),
            "oms-vercel-project",
            "oms",
            "a production Pages/Vercel/Worker name",
        ),
        (
            set_input("chatbot-worker-script", "scriptName", "gstarlink-chatbot-preview"),
            "chatbot-worker-script",
            "gstarlink-chatbot-preview",
            "a Pages/Vercel/Worker name without the -staging suffix",
        ),
        (
            set_input(
                "handbook-repository-variable-PAGES_PROJECT_INTERNAL", "value", "gstarlink-handbook-internal"
            ),
            "handbook-repository-variable-PAGES_PROJECT_INTERNAL",
            "gstarlink-handbook-internal",
            "a workflow variable naming a production Pages/Vercel/Worker project",
        ),
        (
            set_input("chatbot-repository-variable-WRANGLER_ENV", "value", "production"),
            "chatbot-repository-variable-WRANGLER_ENV",
            "production",
            "a workflow variable naming the production environment",
        ),
        (
            set_input("oms-repository-secret-SUPABASE_DB_URL", "environment", "production"),
            "oms-repository-secret-SUPABASE_DB_URL",
            "production",
            "the production GitHub environment",
        ),
        (
            set_input(
                "talkline-vercel-domain-talkline-staging.fancrush.com", "domain", "talkline-beta.fancrush.com"
            ),
            "talkline-vercel-domain-talkline-staging.fancrush.com",
            "talkline-beta.fancrush.com",
            "a hostname whose first label lacks the -staging marker",
        ),
    ],
)
def test_staging_pointing_at_production_is_flagged(
    change: Callable[[Plan], None], resource: str, found: str, reason: str
) -> None:
    leaks = mutate_staging(change)
    assert {(leak["resource"], leak["found"], leak["reason"]) for leak in leaks} >= {
        (resource, found, reason)
    }
    assert all(leak["stack"] == "staging" for leak in leaks)


def test_flags_do_not_depend_on_argument_order() -> None:
    staging = plan_of("staging")
    named(staging, "oms-repository-protection")["inputs"]["pattern"] = "main"
    forward = compare(committed("prod"), staging)["points_at_production"]
    backward = compare(staging, committed("prod"))["points_at_production"]
    assert forward == backward != []
    assert production_leaks(committed("prod"), committed("staging")) == []


def test_no_flags_between_two_non_production_stacks() -> None:
    staging = committed("staging")
    other = plan_of("staging")
    other["stack"] = "staging-2"
    named(other, "oms-repository-protection")["inputs"]["pattern"] = "main"
    assert compare(staging, other)["points_at_production"] == []


def test_values_of_variables_and_secrets_are_never_shown(capsys: pytest.CaptureFixture[str]) -> None:
    canary = "CANARY-7f3a9c-not-for-print"
    prod, staging = plan_of("prod"), plan_of("staging")
    for plan in (prod, staging):
        for resource in of_type(plan, ":ProjectEnvironmentVariable") + of_type(
            plan, ":ActionsEnvironmentVariable"
        ):
            resource["inputs"]["value"] = f"{canary}-{plan['stack']}"
        for resource in of_type(plan, ":ActionsEnvironmentSecret"):
            resource["inputs"]["value"] = f"{canary}-{plan['stack']}"
    document = compare(prod, staging)
    print_diff(document, show_same=True)
    shown = capsys.readouterr().out + json.dumps(document)
    assert canary not in shown
    # The differences are still reported, by key.
    assert "(value hidden)" in shown


@pytest.mark.usefixtures("shared_plans")
def test_cli_json_and_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "prod", "staging", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["left"] == {"stack": "prod", "environment": "production"}
    assert document["right"] == {"stack": "staging", "environment": "staging"}
    assert document["summary"].startswith("prod ↔ staging:")


def test_cli_refuses_the_same_stack_twice(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "prod", "prod"]) == 2
    assert "both stacks are 'prod'" in capsys.readouterr().err


@pytest.mark.usefixtures("shared_plans")
def test_cli_reports_a_missing_stack(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "prod", "qa", "--quiet"]) == 2
    assert "Pulumi.qa.yaml" in capsys.readouterr().err


def test_references_to_other_resources_are_not_reported_as_settings() -> None:
    document = committed_diff()
    lines = [
        line
        for a in document["aspects"]
        if a["aspect"] == "other settings"
        for line in a["left"] + a["right"]
    ]
    assert lines, "the stacks do differ in some settings"
    for line in lines:
        assert not re.search(r"\b(prj|hook|ar)_[0-9a-f]", line), line
    # Config-given IDs still count: a stack on another Cloudflare account shows.
    staging = plan_of("staging")
    named(staging, "handbook-handbook-project")["inputs"]["accountId"] = "0" * 32
    moved = compare(committed("prod"), staging)
    settings = aspect(moved, "handbook", "other settings")
    assert any("handbook-handbook-project accountId" in line for line in settings["right"])
