"""Cloudflare as the real provider behaves (issue 13, points 1-11).

pulumi-cloudflare 6.23.1 bridges terraform-provider-cloudflare v5.19.1. Each
test pins one place where code that passes naive mocks fails or drifts on a
real ``pulumi up``. What the provider stores comes from the provider models in
``estate.mocks`` (each rule with its source); a test never compares a value
with a copy of itself: it feeds the program's inputs to the model and checks
that the provider would store the same thing (no diff on the next ``up``), or
makes the model answer something other than the input (a suffixed pages.dev
name) and checks the program follows it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

import pulumi
import pytest
import yaml

from components.cloudflare_notifications import (
    CloudflareNotifications,
    CloudflareNotificationsArgs,
    HealthCheckTarget,
)
from components.worker import Worker, WorkerArgs
from estate.engine import PROJECT_DIR, load_stack_config, run_program
from estate.mocks import ProviderMocks
from estate.sdk_internals import SIG_KEY
from policies.resource_types import HEALTHCHECK as HEALTH_CHECK
from policies.resource_types import NOTIFICATION_POLICY, WORKERS_SCRIPT, WORKERS_SCRIPT_SUBDOMAIN
from policies.resource_types import NOTIFICATION_POLICY_WEBHOOKS as WEBHOOKS
from stacks.catalog import APPS, PagesHosting, WorkerHosting
from stacks.settings import SettingsError, load_settings
from tests.plan_queries import (
    ACCESS_APPLICATION,
    ACCOUNT_TOKEN,
    DNS_RECORD,
    PAGES_DOMAIN,
    PAGES_PROJECT,
    WORKERS_CUSTOM_DOMAIN,
    Plan,
    named,
    of_type,
    under,
)
from tests.shared_plans import plan_of

STACKS = ["prod", "staging"]
# Built at run time: secret scanners must not take the test value for a live webhook.
SLACK_BASE = "https://hooks.slack.com/services/" + "/".join(["T0TEST0000", "B0TEST0000"])
SLACK_SECRET = "x" * 8 + "secretpart" + "y" * 6


def stored(resource: dict[str, Any]) -> dict[str, Any]:
    """What the provider model stores for a planned resource's inputs (its state after ``up``)."""
    _, state = ProviderMocks().new_resource(
        pulumi.runtime.MockResourceArgs(resource["type"], resource["name"], resource["inputs"], "", "", True)
    )
    return state


def _plain(value: Any) -> Any:
    """A deserialized property value with Pulumi's secret wrappers removed."""
    if isinstance(value, dict):
        if SIG_KEY in value:
            return _plain(value.get("value"))
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@dataclass
class Registered:
    type: str
    name: str
    inputs: dict[str, Any]
    state: dict[str, Any]


class _Recording(pulumi.runtime.Mocks):
    """The provider models, keeping each registration's raw inputs and stored state."""

    def __init__(self) -> None:
        self.inner = ProviderMocks()
        self.registered: list[Registered] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        resource_id, state = self.inner.new_resource(args)
        self.registered.append(Registered(args.typ, args.name, _plain(args.inputs), _plain(state)))
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return self.inner.call(args)


def run_components(build: Callable[[], object]) -> list[Registered]:
    """Declares components under the provider models; returns what was registered."""
    recording = _Recording()
    pulumi.runtime.reset_options(project="estate", stack="prod")
    pulumi.runtime.set_mocks(recording, project="estate", stack="prod", preview=False)

    @pulumi.runtime.test
    def program() -> None:
        build()

    program()
    return recording.registered


# --- 1. health checks probe HTTPS on 443 ---------------------------------------------------------


def test_health_checks_probe_https_on_port_443() -> None:
    registered = run_components(
        lambda: CloudflareNotifications(
            "org-notifications",
            CloudflareNotificationsArgs(
                account_id="0" * 32,
                zone_id="1" * 32,
                environment="production",
                slack_webhook_url=pulumi.Output.secret(f"{SLACK_BASE}/{SLACK_SECRET}"),
                health_checks=[
                    HealthCheckTarget(name="site", system="a site", address="site.example.com"),
                    HealthCheckTarget(
                        name="db",
                        system="a database",
                        address="db.example.com",
                        headers={"apikey": pulumi.Output.secret("k")},
                    ),
                ],
            ),
        )
    )
    checks = [r for r in registered if r.type == HEALTH_CHECK]
    assert len(checks) == 2
    for check in checks:
        assert check.inputs["type"] == "HTTPS", check.name
        port = check.state["httpConfig"]["port"]
        assert port == 443, f"{check.name}: an HTTPS check probes port {port} (the provider defaults to 80)"


@pytest.mark.parametrize("stack", STACKS)
def test_every_planned_health_check_is_https(stack: str) -> None:
    checks = of_type(plan_of(stack), HEALTH_CHECK)
    assert checks, f"{stack}: no health checks"
    for check in checks:
        assert check["inputs"]["type"] == "HTTPS", check["name"]


# --- 2. the pages.dev host is the project's subdomain, never guessed ------------------------------


def test_cname_and_access_follow_the_subdomain_cloudflare_assigns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cloudflare suffixes a taken pages.dev name; the model answers so here."""
    model = ProviderMocks.new_resource

    def taken_names(
        self: ProviderMocks, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        resource_id, state = model(self, args)
        if args.typ == PAGES_PROJECT:
            state = {**state, "subdomain": f"{args.inputs['name']}-5hx.pages.dev"}
        return resource_id, state

    monkeypatch.setattr(ProviderMocks, "new_resource", taken_names)
    config, secret_keys, _ = load_stack_config("prod")
    plan = run_program("prod", config, secret_keys).to_json()

    for project, site in [
        ("gstarlink-handbook-internal", "handbook-handbook"),
        ("gstarlink-handbook-public", "handbook-docs"),
    ]:
        assert named(plan, f"{site}-dns")["inputs"]["content"] == f"{project}-5hx.pages.dev", (
            f"{site}-dns must CNAME the project's subdomain, not a name built from the project name"
        )
    gate = named(plan, "handbook-handbook-access")
    assert {d["uri"] for d in gate["inputs"]["destinations"]} == {
        "handbook.gstarlink.com",
        "gstarlink-handbook-internal-5hx.pages.dev",
        "*.gstarlink-handbook-internal-5hx.pages.dev",
    }, "handbook-handbook-access must gate the hosts Cloudflare assigned, not a host someone else owns"
    gated = [
        d["uri"]
        for r in under(plan, "handbook-handbook")
        if r["type"] == ACCESS_APPLICATION and r["name"] != "handbook-handbook-acme-bypass"
        for d in r["inputs"]["destinations"]
    ]
    assert gated == [
        "handbook.gstarlink.com",
        "gstarlink-handbook-internal-5hx.pages.dev",
        "*.gstarlink-handbook-internal-5hx.pages.dev",
    ], "the internal handbook's Access applications must gate exactly the hosts Cloudflare assigned"


# --- 3. deploy tokens are sent as the provider stores them ---------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_deploy_tokens_are_sent_as_the_provider_stores_them(stack: str) -> None:
    tokens = of_type(plan_of(stack), ACCOUNT_TOKEN)
    assert tokens, f"{stack}: no deploy tokens"
    for token in tokens:
        sent = [policy["resources"] for policy in token["inputs"]["policies"]]
        kept = [policy["resources"] for policy in stored(token)["policies"]]
        assert sent == kept, (
            f"{token['name']}: sends {sent} but the provider stores {kept}: an update on every up"
        )
        for resources in sent:
            [scope] = json.loads(resources)
            assert scope.startswith("com.cloudflare.api.account."), f"{token['name']}: scoped to one account"


# --- 4. the relay's webhook destination waits for the live relay ---------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_relay_destination_is_created_after_the_relay_answers(stack: str) -> None:
    plan = plan_of(stack)
    destinations = [w for w in of_type(plan, WEBHOOKS) if w["name"].endswith("-relay")]
    assert destinations, f"{stack}: no relay destination"
    live = {named(plan, "alert-relay-script")["urn"], named(plan, "alert-relay-workers-dev")["urn"]}
    for destination in destinations:
        missing = live - set(destination["options"]["depends_on"])
        assert not missing, (
            f"{destination['name']}: Cloudflare tests a new webhook with a POST; it must wait for {sorted(missing)}"
        )


# --- 5. the Slack URL's secret part goes in `secret` ---------------------------------------------


def test_slack_destination_sends_the_secret_apart_and_the_url_cloudflare_keeps() -> None:
    registered = run_components(
        lambda: CloudflareNotifications(
            "org-notifications",
            CloudflareNotificationsArgs(
                account_id="0" * 32,
                zone_id="1" * 32,
                environment="production",
                slack_webhook_url=pulumi.Output.secret(f"{SLACK_BASE}/{SLACK_SECRET}"),
                account_alerts=True,
            ),
        )
    )
    [slack] = [r for r in registered if r.name == "org-notifications-slack"]
    assert SLACK_SECRET not in slack.inputs["url"], "the Slack secret must not travel in url"
    assert slack.inputs["secret"] == SLACK_SECRET, "the Slack secret travels in secret"
    assert slack.state["url"] == slack.inputs["url"], (
        f"Cloudflare stores {slack.state['url']!r} for a declared {slack.inputs['url']!r}: a diff on every refresh"
    )


@pytest.mark.parametrize("bad", ["https://hooks.slack.com/services/T0/B0", "https://example.com/a/b/c"])
def test_a_slack_url_without_its_three_parts_is_refused_without_showing_it(bad: str) -> None:
    from components.cloudflare_notifications import split_slack_webhook

    with pytest.raises(ValueError) as raised:
        split_slack_webhook(bad)
    assert bad not in str(raised.value)


# --- 6. alert filters only where the type takes them; only alerts that can fire ------------------


def test_account_alerts_send_no_filter_their_type_does_not_take() -> None:
    policies = {p["inputs"]["alertType"]: p for p in of_type(plan_of("prod"), NOTIFICATION_POLICY)}
    for alert_type in ("universal_ssl_event_type", "dos_attack_l7"):
        assert alert_type in policies, f"prod watches {alert_type}"
        assert not policies[alert_type]["inputs"].get("filters"), (
            f"{policies[alert_type]['name']}: {alert_type} takes no filters (Cloudflare's notification list)"
        )
    assert policies["incident_alert"]["inputs"]["filters"] == {
        "incidentImpacts": ["INCIDENT_IMPACT_MAJOR", "INCIDENT_IMPACT_CRITICAL"]
    }


@pytest.mark.parametrize("stack", STACKS)
def test_no_alert_that_cannot_fire(stack: str) -> None:
    declared = {p["inputs"]["alertType"] for p in of_type(plan_of(stack), NOTIFICATION_POLICY)}
    # Passive origin monitoring watches proxied origins; every proxied host here is Cloudflare's own.
    assert "real_origin_monitoring" not in declared


# --- 7. a fresh environment's first up: the custom domain has a Worker to invoke -----------------


@pytest.mark.parametrize("stack", STACKS)
def test_worker_custom_domain_has_a_script_on_the_first_up(stack: str) -> None:
    plan = plan_of(stack)
    for app in APPS:
        hosting = app.hosting[0]
        if not isinstance(hosting, WorkerHosting):
            continue
        script = named(plan, f"{app.key}-worker-script")
        assert script["type"] == WORKERS_SCRIPT
        # Production: a custom domain on the zone; staging: workers.dev of its own account.
        [entry] = [
            r
            for r in plan["resources"]
            if r["name"] in (f"{app.key}-worker-domain", f"{app.key}-worker-workers-dev")
        ]
        assert script["urn"] in entry["options"]["depends_on"], f"{entry['name']} needs its Worker first"
        assert (
            entry["inputs"].get("service", entry["inputs"].get("scriptName"))
            == script["inputs"]["scriptName"]
        )
        ignored = set(script["options"]["ignore_changes"])
        for wrangler_owned in (
            "content",
            "mainModule",
            "bindings",
            "compatibilityDate",
            "compatibilityFlags",
        ):
            assert wrangler_owned in ignored, f"{script['name']}: wrangler deploy owns {wrangler_owned}"


def test_placeholder_is_a_module_that_says_it_is_not_deployed() -> None:
    from components.worker import WRANGLER_OWNED

    registered = run_components(
        lambda: Worker(
            "bot",
            WorkerArgs(
                account_id="0" * 32,
                zone_id="1" * 32,
                script_name="bot",
                wrangler_environment="production",
                hostname="bot.example.com",
            ),
        )
    )
    [script] = [r for r in registered if r.type == WORKERS_SCRIPT]
    assert script.inputs["mainModule"].endswith(".js")
    assert "export default" in script.inputs["content"] and "status: 503" in script.inputs["content"]
    assert not set(WRANGLER_OWNED) - {"annotations"} - _workers_script_inputs(), (
        "ignore_changes names real inputs"
    )


def _workers_script_inputs() -> set[str]:
    import pulumi_cloudflare as cloudflare

    names = cloudflare.WorkersScriptArgs.__init__.__code__.co_varnames
    return {"".join([part if i == 0 else part.title() for i, part in enumerate(n.split("_"))]) for n in names}


# --- 9. direct-upload projects declare no build ---------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_pages_projects_declare_no_build_config(stack: str) -> None:
    for project in of_type(plan_of(stack), PAGES_PROJECT):
        assert "buildConfig" not in project["inputs"], (
            f"{project['name']}: nothing builds on Cloudflare (direct upload); build_config is a perpetual diff"
        )


def test_the_deploy_workflow_builds_and_uploads_what_the_catalog_says() -> None:
    for app in APPS:
        for hosting in app.hosting:
            if not isinstance(hosting, PagesHosting):
                continue
            workflow = yaml.safe_load(
                (PROJECT_DIR / "app-workflows" / app.repository / "deploy.yml").read_text()
            )
            for job_id, job in workflow["jobs"].items():
                runs = [str(step.get("run", "")) for step in job["steps"]]
                for site in hosting.sites:
                    assert site.build_command in runs, f"{app.repository} {job_id}: runs {site.build_command}"
                    [upload] = [
                        s
                        for s in job["steps"]
                        if s.get("env", {}).get("PAGES_PROJECT")
                        == f"${{{{ vars.{site.workflow_variable} }}}}"
                    ]
                    directory_variable = upload["run"].split("pages deploy ")[1].split()[0].strip('"$')
                    assert workflow["env"][directory_variable] == site.output_dir, (
                        f"{app.repository} {job_id}: uploads {site.output_dir} to {site.project_name}"
                    )


# --- 10. the eSIM Hub Pages option: dropped, not half-built ---------------------------------------


def test_esim_hub_offers_no_half_built_pages_option() -> None:
    [esim] = [app for app in APPS if app.key == "esim-hub"]
    assert [hosting.kind for hosting in esim.hosting] == ["vercel"]
    config, secret_keys, _ = load_stack_config("staging")
    config["estate:hosting"] = json.dumps({"esim-hub": "pages"})
    with pytest.raises(SettingsError) as raised:
        load_settings("staging", config, secret_keys, offline=True)
    assert any("estate:hosting.esim-hub" in str(problem) for problem in raised.value.problems)


# --- 11. the Pages CNAME waits for the Pages domain; the Worker docstring is true ------------------


@pytest.mark.parametrize("stack", STACKS)
def test_pages_cname_is_created_after_the_pages_domain(stack: str) -> None:
    plan = plan_of(stack)
    domains = of_type(plan, PAGES_DOMAIN)
    assert domains
    for domain in domains:
        [record] = [r for r in of_type(plan, DNS_RECORD) if r["inputs"]["name"] == domain["inputs"]["name"]]
        assert domain["urn"] in record["options"]["depends_on"], (
            f"{record['name']} must wait for {domain['name']}"
        )


def test_worker_secrets_reach_the_worker_the_way_the_docstring_says() -> None:
    doc = Worker.__doc__ or ""
    assert "wrangler secret bulk" in doc and "wrangler-action" not in doc
    assert "variables" not in {f.name for f in fields(WorkerArgs)}, (
        "no variables path the workflow does not carry"
    )
    for app in APPS:
        for hosting in app.hosting:
            if not isinstance(hosting, WorkerHosting):
                continue
            workflow = yaml.safe_load(
                (PROJECT_DIR / "app-workflows" / app.repository / "deploy.yml").read_text()
            )
            for job_id, job in workflow["jobs"].items():
                [bulk] = [s for s in job["steps"] if "secret bulk" in str(s.get("run", ""))]
                for variable in (v for v in app.env if v.sensitive):
                    assert bulk["env"].get(variable.key) == f"${{{{ secrets.{variable.key} }}}}", (
                        f"{app.repository} {job_id}: wrangler secret bulk must carry {variable.key}"
                    )
                    assert variable.key in bulk["run"], f"{app.repository} {job_id}: puts {variable.key}"


def test_access_gates_follow_the_project(prod_plan: Plan) -> None:
    """In the default model (a free name) the hosts are the project's own pages.dev names."""
    gate = named(prod_plan, "handbook-handbook-access")
    project = named(prod_plan, "handbook-handbook-project")
    assert gate["type"] == ACCESS_APPLICATION
    assert project["urn"] in gate["options"]["depends_on"], "the gate reads the project's subdomain"


# --- 8. no credential staging holds can change production -----------------------------------------

APPS_ACCOUNT_TYPES = (
    PAGES_PROJECT,
    PAGES_DOMAIN,
    WORKERS_SCRIPT,
    ACCOUNT_TOKEN,
    WORKERS_SCRIPT_SUBDOMAIN,
)


def _accounts(stack: str) -> tuple[str, str | None]:
    """gstarlink's zone account and, in staging, its own account, as the stack file gives them."""
    config, _, _ = load_stack_config(stack)
    gstarlink = json.loads(config["estate:organizations"])["gstarlink"]
    return gstarlink["cloudflareAccountId"], gstarlink.get("cloudflareStagingAccountId")


def test_staging_deploys_into_an_account_of_its_own() -> None:
    plan = plan_of("staging")
    zone_account, staging_account = _accounts("staging")
    assert staging_account and staging_account != zone_account
    for resource in (r for r in plan["resources"] if r["type"] in APPS_ACCOUNT_TYPES):
        assert resource["inputs"]["accountId"] == staging_account, (
            f"{resource['name']} must be in staging's account"
        )
    for token in of_type(plan, ACCOUNT_TOKEN):
        granted = {
            scope for policy in token["inputs"]["policies"] for scope in json.loads(policy["resources"])
        }
        assert granted == {f"com.cloudflare.api.account.{staging_account}"}, (
            f"{token['name']} grants {granted}"
        )
    assert not of_type(plan, WORKERS_CUSTOM_DOMAIN), "a custom domain needs the zone in the Worker's account"
    # Access gates a hostname only from the zone's account; the pages.dev hosts from the project's.
    assert named(plan, "handbook-handbook-domain-access")["inputs"]["accountId"] == zone_account
    assert named(plan, "handbook-handbook-access")["inputs"]["accountId"] == staging_account


def test_staging_workers_answer_on_the_staging_accounts_workers_dev() -> None:
    plan = plan_of("staging")
    subdomain = named(plan, "chatbot-worker-workers-dev")["inputs"]
    assert subdomain["enabled"] is True and subdomain["scriptName"] == "gstarlink-chatbot-staging"
    assert plan["outputs"]["apps"]["chatbot"]["url"] == (
        "https://gstarlink-chatbot-staging.gstarlink-staging.workers.dev"
    )
    check = named(plan, "gstarlink-cloudflare-notifications-health-chatbot-worker-staging")
    assert check["inputs"]["address"] == "gstarlink-chatbot-staging.gstarlink-staging.workers.dev"


def test_production_keeps_its_apps_in_the_zones_account() -> None:
    plan = plan_of("prod")
    zone_account, staging_account = _accounts("prod")
    assert staging_account is None
    for resource in (r for r in plan["resources"] if r["type"] in APPS_ACCOUNT_TYPES):
        assert resource["inputs"]["accountId"] == zone_account, resource["name"]
    assert named(plan, "chatbot-worker-domain")["inputs"]["hostname"] == "chat.gstarlink.com"


def _with_staging_account(stack: str, value: str | None) -> list[str]:
    config, secret_keys, _ = load_stack_config(stack)
    organizations = json.loads(config["estate:organizations"])
    organizations["gstarlink"].pop("cloudflareStagingAccountId", None)
    if value is not None:
        organizations["gstarlink"]["cloudflareStagingAccountId"] = value
    config["estate:organizations"] = json.dumps(organizations)
    with pytest.raises(SettingsError) as raised:
        load_settings(stack, config, secret_keys, offline=True)
    return [str(problem) for problem in raised.value.problems]


def test_staging_without_its_own_account_is_refused_with_the_fix() -> None:
    zone_account, _ = _accounts("staging")
    key = "estate:organizations.gstarlink.cloudflareStagingAccountId"
    [missing] = _with_staging_account("staging", None)
    assert key in missing and f"pulumi config set --stack staging --path '{key}'" in missing
    [same] = _with_staging_account("staging", zone_account)
    assert key in same and "production" in same
    [production] = _with_staging_account("prod", "9" * 32)
    assert "pulumi config rm" in production and key in production.split("pulumi config rm")[1]
