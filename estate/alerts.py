"""``python -m estate alerts``: every system of a stack and the alert routes that reach its channel.

Read from the offline plan (the real program under mocks), by following what
the resources declare and depend on, not from a list kept by hand:

* Vercel project: the account webhooks and alert rules scoped to it, and
  Sentry issue alerts of the Sentry project whose DSN it receives;
* Pages project: a ``pages_event_alert`` policy of its account delivered to a
  relay that keeps this project;
* Worker (custom domain) and database: a Cloudflare health check on it with a
  ``health_check_status_notification`` policy;
* repository CI: the ``SLACK_ALERTS_WEBHOOK_URL`` environment secret, and
  which delivered workflows post with it;
* estate pipelines (``.github/workflows``, not in the plan): failure steps that
  post to Slack or open an issue.

Exit code 1 when a system has no route at all.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

from estate.plan_document import PlanIndex
from policies.resource_types import ACTIONS_ENVIRONMENT_SECRET as ENVIRONMENT_SECRET
from policies.resource_types import (
    DELIVERY_BRANCH,
    NOTIFICATION_POLICY,
    PAGES_PROJECT,
    SENTRY_ISSUE_ALERT,
    SENTRY_KEY,
    SENTRY_PLUGIN,
    SENTRY_PROJECT,
    SUPABASE_PROJECT,
    VERCEL_ALERT_RULE,
    VERCEL_PROJECT,
    VERCEL_WEBHOOK,
    WORKERS_SCRIPT,
)
from policies.resource_types import HEALTHCHECK as HEALTH_CHECK
from policies.resource_types import NOTIFICATION_POLICY_WEBHOOKS as NOTIFICATION_WEBHOOKS
from policies.resource_types import VERCEL_ALERT_RULE_WEBHOOK_NOTIFICATION as VERCEL_ALERT_LINK
from policies.resource_types import VERCEL_ENV_VAR as VERCEL_ENV
from policies.resource_types import WORKERS_CUSTOM_DOMAIN as WORKERS_DOMAIN
from policies.resource_types import WORKERS_SCRIPT_SUBDOMAIN as WORKERS_SUBDOMAIN

ESTATE_WORKFLOWS_DIR = Path(__file__).resolve().parent.parent / ".github" / "workflows"
# The estate's own workflows that change or check a stack: each must report failures.
ESTATE_PIPELINES = ("apply-prod.yml", "apply-staging.yml", "drift.yml")
CI_WEBHOOK_SECRET = "SLACK_ALERTS_WEBHOOK_URL"


Resource = dict[str, Any]


@dataclass(frozen=True)
class System:
    """One system of the estate and the routes by which its failures reach the channel."""

    kind: str
    name: str
    app: str | None
    routes: tuple[str, ...]


@dataclass(frozen=True)
class RelaySettings:
    """What a stack's alert relay is configured with: its workers.dev host, the projects it posts for.

    Read from the stack's settings through the functions that configure the
    relay (stacks/alerting.py): the plan cannot show them, since the relay
    Worker's bindings are one secret there. ``hostname``:
    ``<script>.<account subdomain>.workers.dev``. ``projects``: the Pages and
    Vercel projects whose events it posts; it drops the others.
    """

    hostname: str
    projects: frozenset[str]


def relay_settings(stack: str) -> RelaySettings:
    """The relay settings of ``stack``, from its stack file (secrets are not needed)."""
    from estate.engine import load_stack_config
    from stacks.alerting import stack_projects, stack_relay_hostname
    from stacks.settings import load_settings

    config, secret_keys, _ = load_stack_config(stack)
    settings = load_settings(stack, config, secret_keys, offline=True)
    return RelaySettings(stack_relay_hostname(settings), frozenset(stack_projects(settings)))


@dataclass(frozen=True)
class _Relay:
    """A relay of the plan (components/alert_relay.py): where it answers, which projects it posts for."""

    component: Resource
    script_name: str
    hostname: str
    served: bool
    projects: frozenset[str]

    def receives(self, url: object) -> bool:
        return self.served and isinstance(url, str) and url.startswith(f"https://{self.hostname}/")


def _relays(plan: PlanIndex, configured: RelaySettings) -> list[_Relay]:
    from components.alert_relay import ALERT_RELAY_TYPE as RELAY

    relays: list[_Relay] = []
    for component in plan.of_type(RELAY):
        scripts = [s for s in plan.of_type(WORKERS_SCRIPT) if s.get("parent") == component["urn"]]
        script_name = str(scripts[0]["inputs"].get("scriptName")) if scripts else str(component["name"])
        # A relay counts only if its Worker is enabled on workers.dev, under the
        # script name its configured host starts with (workers.dev routes by that label).
        served = configured.hostname.split(".", 1)[0] == script_name and any(
            subdomain["inputs"].get("enabled") is True
            for script in scripts
            for subdomain in plan.depending_on(script, WORKERS_SUBDOMAIN)
        )
        relays.append(_Relay(component, script_name, configured.hostname, served, configured.projects))
    return relays


def _relay_for(relays: Iterable[_Relay], url: object) -> _Relay | None:
    return next((relay for relay in relays if relay.receives(url)), None)


def _health_routes(plan: PlanIndex, checks: Iterable[Resource]) -> list[str]:
    routes: list[str] = []
    for check in checks:
        policies = [
            p
            for p in plan.depending_on(check, NOTIFICATION_POLICY)
            if p["inputs"].get("alertType") == "health_check_status_notification"
        ]
        if policies:
            routes.append(f"Cloudflare health check {check['inputs'].get('name')} → Slack")
    return routes


def _vercel_routes(plan: PlanIndex, relays: list[_Relay], project: Resource) -> list[str]:
    routes: list[str] = []
    name = project["inputs"].get("name")
    for webhook in plan.depending_on(project, VERCEL_WEBHOOK):
        if _relay_for(relays, webhook["inputs"].get("endpoint")):
            events = ", ".join(cast(list[str], webhook["inputs"].get("events") or []))
            routes.append(f"Vercel webhook ({events}) → relay → Slack")
    for rule in plan.depending_on(project, VERCEL_ALERT_RULE):
        for link in plan.depending_on(rule, VERCEL_ALERT_LINK):
            for webhook in plan.dependencies(link, VERCEL_WEBHOOK):
                relay = _relay_for(relays, webhook["inputs"].get("endpoint"))
                if relay and name in relay.projects:
                    triggers = ", ".join(
                        f"{t.get('type')} {t.get('filter', '')}".strip()
                        for t in cast(list[dict[str, str]], rule["inputs"].get("triggers") or [])
                    )
                    routes.append(f"Vercel alert rule ({triggers}) → relay → Slack")
    relay_parts = {r["urn"] for relay in relays for r in plan.children(relay.component["urn"])}
    for variable in plan.depending_on(project, VERCEL_ENV):
        if variable["inputs"].get("key") != "SENTRY_DSN":
            continue
        for key in plan.dependencies(variable, SENTRY_KEY):
            for sentry_project in plan.dependencies(key, SENTRY_PROJECT):
                plugins = [
                    p
                    for p in plan.depending_on(sentry_project, SENTRY_PLUGIN)
                    if p["inputs"].get("plugin") == "webhooks"
                    and relay_parts & set(p["options"]["depends_on"])
                ]
                alerts = [
                    a
                    for a in plan.depending_on(sentry_project, SENTRY_ISSUE_ALERT)
                    if any(action.get("service") == "webhooks" for action in a["inputs"].get("actions") or [])
                ]
                if plugins and alerts:
                    routes.append(
                        f"Sentry project {sentry_project['inputs'].get('slug')}: "
                        f"{len(alerts)} issue alerts → relay → Slack"
                    )
    return routes


def _pages_routes(plan: PlanIndex, relays: list[_Relay], project: Resource) -> list[str]:
    name, account = project["inputs"].get("name"), project["inputs"].get("accountId")
    routes: list[str] = []
    for policy in plan.of_type(NOTIFICATION_POLICY):
        inputs = policy["inputs"]
        if inputs.get("alertType") != "pages_event_alert" or inputs.get("accountId") != account:
            continue
        for destination in plan.dependencies(policy, NOTIFICATION_WEBHOOKS):
            relay = _relay_for(relays, destination["inputs"].get("url"))
            if relay and name in relay.projects:
                events = ", ".join(
                    cast(list[str], (inputs.get("filters") or {}).get("events") or ["all events"])
                )
                routes.append(f"Cloudflare pages_event_alert ({events}) → relay → Slack")
    return routes


def _repository_routes(plan: PlanIndex, governance: Resource) -> list[str]:
    secrets = [
        r
        for r in plan.resources
        if r["type"] == ENVIRONMENT_SECRET
        and r.get("parent") == governance["urn"]
        and r["inputs"].get("secretName") == CI_WEBHOOK_SECRET
    ]
    if not secrets:
        return []
    posting = sorted(
        str(path)
        for delivery in plan.resources
        if delivery["type"] == DELIVERY_BRANCH and delivery.get("parent") == governance["urn"]
        for path, content in dict(delivery["inputs"].get("files") or {}).items()
        if f"secrets.{CI_WEBHOOK_SECRET}" in str(content)
    )
    used = f"posted by {', '.join(posting)}" if posting else "no delivered workflow posts with it yet"
    return [f"environment secret {CI_WEBHOOK_SECRET} for failure steps ({used}) → Slack"]


def _stacks_of(workflow: dict[str, Any]) -> set[str]:
    """The stacks a workflow runs Pulumi on: each ``stack-name`` of its steps, matrices expanded."""
    stacks: set[str] = set()
    for job in (workflow.get("jobs") or {}).values():
        matrix = (job.get("strategy") or {}).get("matrix") or {}
        for step in job.get("steps") or []:
            name = (step.get("with") or {}).get("stack-name")
            if name is None:
                continue
            expression = _MATRIX_EXPRESSION.fullmatch(str(name))
            stacks |= {str(v) for v in matrix.get(expression[1]) or []} if expression else {str(name)}
    return stacks


_MATRIX_EXPRESSION = re.compile(r"\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}")


def _strings(value: Any) -> Iterable[str]:
    """Every key and value of a parsed YAML document that is text, as written (a dump would wrap long lines)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in cast(dict[Any, Any], value).items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in cast(list[Any], value):
            yield from _strings(item)


def estate_pipeline_routes(
    workflows_dir: Path = ESTATE_WORKFLOWS_DIR, stack: str | None = None
) -> list[System]:
    """The estate's own apply and drift workflows, and what their failure steps report to.

    With ``stack``, only the workflows that run Pulumi on that stack (their
    ``stack-name``), so prod's coverage does not list staging's apply.
    """
    from stacks.stack_files import parse_yaml

    systems: list[System] = []
    for file_name in ESTATE_PIPELINES:
        path = workflows_dir / file_name
        if not path.is_file():
            continue
        workflow = parse_yaml(path.read_text()) or {}
        if stack is not None and stack not in _stacks_of(workflow):
            continue
        routes: list[str] = []
        for job_id, job in (workflow.get("jobs") or {}).items():
            for step in job.get("steps") or []:
                condition = str(step.get("if", ""))
                if "failure()" not in condition:
                    continue
                text = "\n".join(_strings(step))
                if f"secrets.{CI_WEBHOOK_SECRET}" in text:
                    routes.append(f"job {job_id}: failure step → Slack")
                elif "gh issue" in text:
                    routes.append(f"job {job_id}: failure step → GitHub issue")
        systems.append(System("estate pipeline", file_name, None, tuple(routes)))
    return systems


def coverage(
    plan: dict[str, Any],
    workflows_dir: Path | None = ESTATE_WORKFLOWS_DIR,
    relay: RelaySettings | None = None,
) -> list[System]:
    """Every system of the plan (and the estate pipelines) with its alert routes.

    ``relay``: what the plan's relay is configured with; default: the plan's
    stack's, from its stack file.
    """
    from components.repository_governance import REPOSITORY_GOVERNANCE_TYPE as GOVERNANCE

    index = PlanIndex(plan)
    relays = _relays(index, relay if relay is not None else relay_settings(str(plan["stack"])))
    systems: list[System] = []
    for project in index.of_type(VERCEL_PROJECT):
        systems.append(
            System(
                "Vercel project",
                str(project["inputs"].get("name")),
                index.app_of(project),
                tuple(_vercel_routes(index, relays, project)),
            )
        )
    for project in index.of_type(PAGES_PROJECT):
        systems.append(
            System(
                "Pages project",
                str(project["inputs"].get("name")),
                index.app_of(project),
                tuple(_pages_routes(index, relays, project)),
            )
        )
    workers = [
        (str(d["inputs"].get("service")), d["inputs"].get("hostname"), index.app_of(d))
        for d in index.of_type(WORKERS_DOMAIN)
    ]
    # Staging's Workers answer on workers.dev of their own account (stacks/cloudflare_accounts.py).
    for subdomain in index.of_type(WORKERS_SUBDOMAIN):
        app = index.app_of(subdomain)
        if app is not None and subdomain["inputs"].get("enabled") is True:
            script = str(subdomain["inputs"].get("scriptName"))
            hosts = [
                str(c["inputs"].get("address"))
                for c in index.of_type(HEALTH_CHECK)
                if str(c["inputs"].get("address")).startswith(f"{script}.")
                and str(c["inputs"].get("address")).endswith(".workers.dev")
            ]
            workers.append((script, hosts[0] if hosts else f"{script}.workers.dev", app))
    workers += [(r.script_name, r.hostname, None) for r in relays]
    for script, hostname, app in workers:
        checks = [c for c in index.of_type(HEALTH_CHECK) if c["inputs"].get("address") == hostname]
        systems.append(System("Worker", f"{script} ({hostname})", app, tuple(_health_routes(index, checks))))
    for database in index.of_type(SUPABASE_PROJECT):
        checks = index.depending_on(database, HEALTH_CHECK)
        systems.append(
            System(
                "database",
                str(database["inputs"].get("name")),
                index.app_of(database),
                tuple(_health_routes(index, checks)),
            )
        )
    for governance in index.of_type(GOVERNANCE):
        systems.append(
            System(
                "repository CI",
                str(governance["name"]),
                index.app_of(governance),
                tuple(_repository_routes(index, governance)),
            )
        )
    if workflows_dir is not None:
        systems += estate_pipeline_routes(workflows_dir, stack=plan.get("stack"))
    return systems


def uncovered(systems: Iterable[System]) -> list[System]:
    return [system for system in systems if not system.routes]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "alerts",
        help="alert coverage of a stack: each system and the routes that reach its channel",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--stack", required=True, help="stack name; reads Pulumi.<stack>.yaml")
    parser.add_argument(
        "--format", choices=("table", "json"), default="table", help="table for people, json for machines"
    )
    parser.add_argument("--quiet", action="store_true", help="print only the summary line")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from estate.output import plan_stacks, print_alert_coverage, write_json

    quiet = bool(getattr(args, "quiet", False))
    plans = plan_stacks([args.stack], quiet=quiet or args.format == "json")
    if plans is None:
        return 2
    systems = coverage(plans[0].to_json())
    missing = uncovered(systems)
    document = {
        "stack": args.stack,
        "systems": [asdict(s) for s in systems],
        "uncovered": [s.name for s in missing],
    }
    if args.format == "json":
        write_json(document)
    else:
        print_alert_coverage(document, quiet=quiet)
    return 1 if missing else 0
