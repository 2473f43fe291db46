"""Small queries over a plan document, shared by the tests."""

from __future__ import annotations

from typing import Any

from estate.plan_document import PlanIndex

Plan = dict[str, Any]
Resource = dict[str, Any]

DNS_RECORD = "cloudflare:index/dnsRecord:DnsRecord"
PAGES_PROJECT = "cloudflare:index/pagesProject:PagesProject"
PAGES_DOMAIN = "cloudflare:index/pagesDomain:PagesDomain"
ACCESS_APPLICATION = "cloudflare:index/zeroTrustAccessApplication:ZeroTrustAccessApplication"
ACCESS_POLICY = "cloudflare:index/zeroTrustAccessPolicy:ZeroTrustAccessPolicy"
WORKERS_CUSTOM_DOMAIN = "cloudflare:index/workersCustomDomain:WorkersCustomDomain"
ACCOUNT_TOKEN = "cloudflare:index/accountToken:AccountToken"
VERCEL_PROJECT = "vercel:index/project:Project"
VERCEL_DOMAIN = "vercel:index/projectDomain:ProjectDomain"
VERCEL_ENV = "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable"
BRANCH_PROTECTION = "github:index/branchProtection:BranchProtection"
ENVIRONMENT_SECRET = "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret"
ENVIRONMENT_VARIABLE = "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable"
DEPLOYMENT_POLICY = "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy"
SUPABASE_PROJECT = "pulumi-python:dynamic/supabase:Project"
SUPABASE_AUTH = "pulumi-python:dynamic/supabase:AuthSettings"
SUPABASE_PITR = "pulumi-python:dynamic/supabase:PointInTimeRecovery"
DELIVERY_BRANCH = "pulumi-python:dynamic/github:DeliveryBranch"


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
