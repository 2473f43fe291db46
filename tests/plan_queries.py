"""Small queries over a plan document, shared by the tests (the type tokens re-exported under the tests' names)."""

from __future__ import annotations

from typing import Any

from estate.plan_document import PlanIndex
from policies.resource_types import (
    ACCESS_APPLICATION,
    ACCESS_POLICY,
    ACCOUNT_TOKEN,
    BRANCH_PROTECTION,
    DELIVERY_BRANCH,
    DEPLOYMENT_POLICY,
    DNS_RECORD,
    PAGES_DOMAIN,
    PAGES_PROJECT,
    SUPABASE_PITR,
    SUPABASE_PROJECT,
    VERCEL_PROJECT,
    WORKERS_CUSTOM_DOMAIN,
)
from policies.resource_types import ACTIONS_ENVIRONMENT_SECRET as ENVIRONMENT_SECRET
from policies.resource_types import ACTIONS_ENVIRONMENT_VARIABLE as ENVIRONMENT_VARIABLE
from policies.resource_types import SUPABASE_AUTH_SETTINGS as SUPABASE_AUTH
from policies.resource_types import VERCEL_ENV_VAR as VERCEL_ENV
from policies.resource_types import VERCEL_PROJECT_DOMAIN as VERCEL_DOMAIN

__all__ = [
    "ACCESS_APPLICATION",
    "ACCESS_POLICY",
    "ACCOUNT_TOKEN",
    "BRANCH_PROTECTION",
    "DELIVERY_BRANCH",
    "DEPLOYMENT_POLICY",
    "DNS_RECORD",
    "ENVIRONMENT_SECRET",
    "ENVIRONMENT_VARIABLE",
    "PAGES_DOMAIN",
    "PAGES_PROJECT",
    "SUPABASE_AUTH",
    "SUPABASE_PITR",
    "SUPABASE_PROJECT",
    "VERCEL_DOMAIN",
    "VERCEL_ENV",
    "VERCEL_PROJECT",
    "WORKERS_CUSTOM_DOMAIN",
    "Plan",
    "Resource",
    "delivered_files",
    "hostnames",
    "named",
    "of_type",
    "under",
]

Plan = dict[str, Any]
Resource = dict[str, Any]


def of_type(plan: Plan, type_token: str) -> list[Resource]:
    return [r for r in plan["resources"] if r["type"] == type_token]


def named(plan: Plan, name: str) -> Resource:
    matches = [r for r in plan["resources"] if r["name"] == name]
    assert len(matches) == 1, f"expected one resource named {name!r}, found {len(matches)}"
    return matches[0]


def under(plan: Plan, ancestor_name: str) -> list[Resource]:
    """Every resource whose parent chain includes the resource named ``ancestor_name``."""
    inside = {r["urn"] for r in PlanIndex(plan).descendants(named(plan, ancestor_name))}
    return [resource for resource in plan["resources"] if resource["urn"] in inside]


def hostnames(plan: Plan) -> set[str]:
    """Every hostname the stack serves or points DNS at."""
    names: set[str] = set()
    for resource in plan["resources"]:
        inputs = resource["inputs"]
        if resource["type"] in (DNS_RECORD, PAGES_DOMAIN):
            names.add(inputs["name"])
        elif resource["type"] == VERCEL_DOMAIN:
            names.add(inputs["domain"])
        elif resource["type"] == WORKERS_CUSTOM_DOMAIN:
            names.add(inputs["hostname"])
    return names


def delivered_files(plan: Plan) -> dict[tuple[str, str], str]:
    """(repository, path) → content of every file the stack delivers to the app repositories."""
    return {
        (str(delivery["inputs"]["repository"]), str(path)): str(content)
        for delivery in of_type(plan, DELIVERY_BRANCH)
        for path, content in dict(delivery["inputs"]["files"]).items()
    }
