"""Mutation tests: break one thing in a real stack's plan, and the pack must catch it.

Each mutation deep-copies the real plan of ``prod`` or ``staging`` (computed
once per session by conftest's fixtures), breaks one guardrail the way a
careless change would, and asserts the named policy reports it. The clean
plans must pass. The last test sums up every mutation's verdict (each plan is
judged once, ``violations_of``) and prints how many were tried and caught.

``test_the_served_pack_gives_the_offline_verdicts`` then starts the pack as
``pulumi preview --policy-pack`` does (``python policies`` speaking the analyzer
gRPC protocol) and checks that it gives the same verdicts as the offline
runner, on the clean plans and on the mutations both worlds can see.
"""

from __future__ import annotations

import argparse
import copy
import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from estate.policy_runner import Violation, run_policies
from estate.sdk_internals import secret
from policies.pack import POLICIES
from policies.resource_types import (
    ACCESS_APPLICATION,
    ACCOUNT_TOKEN,
    ACTIONS_ENVIRONMENT_SECRET,
    ACTIONS_ENVIRONMENT_VARIABLE,
    BRANCH_PROTECTION,
    DELIVERY_BRANCH,
    DEPLOYMENT_POLICY,
    DNS_RECORD,
    NOTIFICATION_POLICY,
    PAGES_DOMAIN,
    PAGES_PROJECT,
    REPOSITORY_ENVIRONMENT,
    SUPABASE_PROJECT,
    VERCEL_ENV_VAR,
    VERCEL_PROJECT,
    VERCEL_PROJECT_DOMAIN,
    WORKERS_CUSTOM_DOMAIN,
    WORKERS_SCRIPT_SUBDOMAIN,
)
from tests.shared_plans import private_copy

Plan = dict[str, Any]
Resource = dict[str, Any]

PROJECT_DIR = Path(__file__).resolve().parent.parent
# Credential-shaped canaries a mutation plants; none may show up in any violation.
LIVE_KEY = "sk_live_" + "51MutationCanaryLiveKey000001"
GITHUB_TOKEN = "github_pat_" + "MutationCanary0123456789abcdefghij"
PLAINTEXT_SECRET = "mutation-canary-plaintext-db-password"
FOREIGN_REF = "zzzzyyyyxxxxwwwwvvvv"


@pytest.fixture(scope="module")
def plans(prod_plan: Plan, staging_plan: Plan) -> dict[str, Plan]:
    return {"prod": prod_plan, "staging": staging_plan}


# --- finding and breaking things in a plan ---------------------------------------------------------------------------


def find(plan: Plan, type_token: str, **inputs: Any) -> Resource:
    """The one resource of ``type_token`` whose inputs include ``inputs``."""
    matches = [
        r
        for r in plan["resources"]
        if r["type"] == type_token and all(r["inputs"].get(k) == v for k, v in inputs.items())
    ]
    assert len(matches) == 1, f"expected one {type_token} with {inputs}, found {len(matches)}"
    return matches[0]


def find_named(plan: Plan, type_token: str, name_contains: str) -> Resource:
    matches = [r for r in plan["resources"] if r["type"] == type_token and name_contains in r["name"]]
    assert len(matches) == 1, f"expected one {type_token} named *{name_contains}*, found {len(matches)}"
    return matches[0]


def remove(plan: Plan, resource: Resource) -> None:
    plan["resources"] = [r for r in plan["resources"] if r["urn"] != resource["urn"]]


def add_like(plan: Plan, template: Resource, name: str, inputs: dict[str, Any]) -> Resource:
    """A new resource of the template's type and parent, e.g. an extra Actions variable."""
    added = copy.deepcopy(template)
    added["name"] = name
    added["urn"] = template["urn"].rsplit("::", 1)[0] + "::" + name
    added["inputs"] = inputs
    plan["resources"].append(added)
    return added


def protection(plan: Plan, repository: str) -> Resource:
    return find(plan, BRANCH_PROTECTION, repositoryId=repository)


def reviews(plan: Plan, repository: str) -> dict[str, Any]:
    return protection(plan, repository)["inputs"]["requiredPullRequestReviews"][0]


def internal_access(plan: Plan) -> Resource:
    return find_named(plan, ACCESS_APPLICATION, "handbook-handbook-access")


def drop_destination(plan: Plan, starts_with: str) -> None:
    app = internal_access(plan)
    before = app["inputs"]["destinations"]
    app["inputs"]["destinations"] = [d for d in before if not d["uri"].startswith(starts_with)]
    assert len(app["inputs"]["destinations"]) == len(before) - 1


def env_var(plan: Plan, key: str, app: str = "talkline") -> Resource:
    """The production-target Vercel variable ``key`` of ``app``."""
    matches = [
        r
        for r in plan["resources"]
        if r["type"] == VERCEL_ENV_VAR
        and r["name"].startswith(f"{app}-")
        and r["inputs"]["key"] == key
        and r["inputs"]["targets"] == ["production"]
    ]
    assert len(matches) == 1, f"expected one {key} of {app}, found {len(matches)}"
    return matches[0]


def preview_var(plan: Plan, key: str, app: str = "oms") -> Resource:
    """The preview-target Vercel variable ``key`` of ``app`` in the prod stack."""
    matches = [
        r
        for r in plan["resources"]
        if r["type"] == VERCEL_ENV_VAR
        and r["name"].startswith(f"{app}-")
        and r["inputs"]["key"] == key
        and r["inputs"]["targets"] == ["preview"]
    ]
    assert len(matches) == 1, f"expected one preview {key} of {app}, found {len(matches)}"
    return matches[0]


def _take_from_production_database(plan: Plan, key: str) -> None:
    """Wires a preview variable to the production database instead of the staging stack's outputs."""
    keys = next(r["urn"] for r in plan["resources"] if r["name"] == "oms-database-api-keys")
    preview_var(plan, key)["options"]["depends_on"] = [keys]


def _production_url_in_previews(plan: Plan) -> None:
    project = find(plan, SUPABASE_PROJECT, name="gstarlink-oms")
    preview_var(plan, "NEXT_PUBLIC_SUPABASE_URL")["inputs"]["value"] = f"https://{project['id']}.supabase.co"


def _service_role_key_in_previews(plan: Plan) -> None:
    production = env_var(plan, "SUPABASE_SERVICE_ROLE_KEY", app="oms")
    added = add_like(
        plan,
        production,
        "oms-vercel-env-SUPABASE_SERVICE_ROLE_KEY-preview",
        {**production["inputs"], "targets": ["preview"]},
    )
    added["options"] = copy.deepcopy(production["options"])


def _zone_account(plan: Plan) -> str:
    """gstarlink's zone account, as the stack's health-check alerts show it."""
    return find_named(
        plan,
        NOTIFICATION_POLICY,
        "gstarlink-cloudflare-notifications-health",
    )["inputs"]["accountId"]


def _token_in_zone_account(plan: Plan, name: str) -> None:
    token = find_named(plan, ACCOUNT_TOKEN, name)["inputs"]
    account = _zone_account(plan)
    token["accountId"] = account
    for policy in token["policies"]:
        policy["resources"] = json.dumps(
            {f"com.cloudflare.api.account.{account}": "*"}, separators=(",", ":")
        )


def set_plain_env_value(plan: Plan, key: str, value: str) -> None:
    variable = env_var(plan, key)
    variable["inputs"].update(value=value, sensitive=False)


def environment_of_repository(plan: Plan, repository: str) -> Resource:
    return find(plan, REPOSITORY_ENVIRONMENT, repository=repository)


def deploy_token(plan: Plan, kind: str) -> Resource:
    matches = [
        r
        for r in plan["resources"]
        if r["type"] == ACCOUNT_TOKEN and str(r["inputs"].get("name", "")).startswith(kind)
    ]
    assert matches, f"no {kind} token"
    return matches[0]


def give_pages_token_the_workers_group(plan: Plan) -> None:
    workers = deploy_token(plan, "wrangler deploy")["inputs"]["policies"][0]["permissionGroups"]
    deploy_token(plan, "pages deploy")["inputs"]["policies"][0]["permissionGroups"].extend(
        copy.deepcopy(workers)
    )


def add_step(plan: Plan, repository: str, file: str, step: dict[str, Any]) -> None:
    """Appends a step to the first job of a delivered workflow."""
    import yaml

    files = find(plan, DELIVERY_BRANCH, repository=repository)["inputs"]["files"]
    document = yaml.safe_load(files[file])
    first_job = next(iter(document["jobs"].values()))
    first_job.setdefault("steps", []).append(step)
    files[file] = yaml.safe_dump(document, sort_keys=False)


@dataclass(frozen=True)
class Mutation:
    """One way to break a guardrail: on which stack, how, and which policy must catch it.

    ``online``: whether ``pulumi preview --policy-pack`` can see it too (not when
    it rests on what only the offline plan shows: ``retain_on_delete``, or a
    value left unwrapped where the SDK marks it secret).
    """

    id: str
    stack: str
    policy: str
    apply: Callable[[Plan], object]  # the return value, if any, is ignored
    online: bool = True


def _set(resource_of: Callable[[Plan], Resource], **inputs: Any) -> Callable[[Plan], None]:
    return lambda plan: resource_of(plan)["inputs"].update(inputs)


def _rename_host(type_token: str, field: str, old: str, new: str) -> Callable[[Plan], None]:
    return lambda plan: find(plan, type_token, **{field: old})["inputs"].update({field: new})


MUTATIONS: tuple[Mutation, ...] = (
    # Access gates.
    Mutation(
        "remove the Access app of the internal handbook",
        "prod",
        "internal-sites-gated",
        lambda plan: remove(plan, internal_access(plan)),
    ),
    Mutation(
        "drop the preview wildcard from the internal handbook's Access app",
        "prod",
        "internal-sites-gated",
        lambda plan: drop_destination(plan, "*."),
    ),
    Mutation(
        "remove the custom domain's Access app of staging's internal handbook",
        "staging",
        "internal-sites-gated",
        lambda plan: remove(plan, find_named(plan, ACCESS_APPLICATION, "handbook-handbook-domain-access")),
    ),
    Mutation(
        "drop the pages.dev host from staging's internal handbook Access app",
        "staging",
        "internal-sites-gated",
        lambda plan: drop_destination(plan, "gstarlink-handbook-internal-staging"),
    ),
    Mutation(
        "turn the internal handbook's Access app into a bypass for everyone",
        "prod",
        "internal-sites-gated",
        _set(
            internal_access,
            policies=[{"decision": "bypass", "includes": [{"everyone": {}}], "precedence": 1.0}],
        ),
    ),
    Mutation(
        "gate the public docs site",
        "prod",
        "public-sites-not-gated",
        lambda plan: internal_access(plan)["inputs"]["destinations"].append(
            {"type": "public", "uri": "docs.gstarlink.com"}
        ),
    ),
    # Branch protection.
    Mutation(
        "drop the review requirement of shopify-esim-system's main",
        "prod",
        "deploy-branches-protected",
        lambda plan: protection(plan, "shopify-esim-system")["inputs"].pop("requiredPullRequestReviews"),
    ),
    Mutation(
        "require 0 approving reviews on esim-hub's main",
        "prod",
        "deploy-branches-protected",
        lambda plan: reviews(plan, "esim-hub").update(requiredApprovingReviewCount=0.0),
    ),
    Mutation(
        "keep stale approvals on the handbook's staging",
        "staging",
        "deploy-branches-protected",
        lambda plan: reviews(plan, "gstarlink-handbook").update(dismissStaleReviews=False),
    ),
    Mutation(
        "allow force pushes to Talkline's main",
        "prod",
        "deploy-branches-protected",
        _set(lambda plan: protection(plan, "fancrush-talkline"), allowsForcePushes=True),
    ),
    # Issue 15 point 10: the guarantees the README and docstrings promise.
    Mutation(
        "let the last pusher merge OMS's main without another approval",
        "prod",
        "deploy-branches-protected",
        lambda plan: reviews(plan, "shopify-esim-system").update(requireLastPushApproval=False),
    ),
    Mutation(
        "drop last-push approval from Talkline's develop (provider default: off)",
        "staging",
        "deploy-branches-protected",
        lambda plan: reviews(plan, "fancrush-talkline").pop("requireLastPushApproval"),
    ),
    Mutation(
        "let every protected branch use the chatbot's production environment",
        "prod",
        "environments-admit-only-their-branch",
        _set(
            lambda plan: environment_of_repository(plan, "gstarlink-chatbot"),
            deploymentBranchPolicy={"protectedBranches": True, "customBranchPolicies": False},
        ),
    ),
    Mutation(
        "admit a second branch to OMS's staging environment",
        "staging",
        "environments-admit-only-their-branch",
        lambda plan: add_like(
            plan,
            find(plan, DEPLOYMENT_POLICY, repository="shopify-esim-system"),
            "oms-repository-deploy-branch-extra",
            {"repository": "shopify-esim-system", "branchPattern": "feature/x", "environment": "staging"},
        ),
    ),
    Mutation(
        "admit release/* to the handbook's production environment",
        "prod",
        "environments-admit-only-their-branch",
        _set(
            lambda plan: find(plan, DEPLOYMENT_POLICY, repository="gstarlink-handbook"),
            branchPattern="release/*",
        ),
    ),
    Mutation(
        "drop the branch policy of Talkline's staging environment",
        "staging",
        "environments-admit-only-their-branch",
        lambda plan: environment_of_repository(plan, "fancrush-talkline")["inputs"].pop(
            "deploymentBranchPolicy"
        ),
    ),
    Mutation(
        "let the handbook's Pages token write Workers",
        "prod",
        "deploy-tokens-least-privilege",
        give_pages_token_the_workers_group,
    ),
    Mutation(
        "scope the chatbot's wrangler token to every account",
        "staging",
        "deploy-tokens-least-privilege",
        lambda plan: deploy_token(plan, "wrangler deploy")["inputs"]["policies"][0].update(
            resources=json.dumps({"com.cloudflare.api.account.*": "*"})
        ),
    ),
    Mutation(
        "echo a deploy secret in the chatbot's deploy workflow",
        "prod",
        "workflows-never-print-secrets",
        lambda plan: add_step(
            plan,
            "gstarlink-chatbot",
            ".github/workflows/deploy.yml",
            {"run": 'echo "token: ${{ secrets.CLOUDFLARE_API_TOKEN }}"'},
        ),
    ),
    Mutation(
        "print an env variable that carries a secret in Talkline's database workflow",
        "staging",
        "workflows-never-print-secrets",
        lambda plan: add_step(
            plan,
            "fancrush-talkline",
            ".github/workflows/database.yml",
            {"env": {"DB": "${{ secrets.SUPABASE_DB_PASSWORD }}"}, "run": 'printf "%s" "$DB"'},
        ),
    ),
    Mutation(
        "trace a step that handles a secret in the handbook's deploy workflow",
        "prod",
        "workflows-never-print-secrets",
        lambda plan: add_step(
            plan,
            "gstarlink-handbook",
            ".github/workflows/deploy.yml",
            {"run": 'set -x; curl -H "Authorization: Bearer ${{ secrets.CLOUDFLARE_API_TOKEN }}" https://x'},
        ),
    ),
    Mutation(
        "allow deleting the chatbot's main",
        "prod",
        "deploy-branches-protected",
        _set(lambda plan: protection(plan, "gstarlink-chatbot"), allowsDeletions=True),
    ),
    Mutation(
        "let admins bypass Talkline's develop protection",
        "staging",
        "deploy-branches-protected",
        _set(lambda plan: protection(plan, "fancrush-talkline"), enforceAdmins=False),
    ),
    Mutation(
        "drop the required status checks of the handbook's main",
        "prod",
        "deploy-branches-protected",
        _set(lambda plan: protection(plan, "gstarlink-handbook"), requiredStatusChecks=[]),
    ),
    Mutation(
        "remove Talkline's develop protection",
        "staging",
        "deploy-branches-protected",
        lambda plan: remove(plan, protection(plan, "fancrush-talkline")),
    ),
    Mutation(
        "protect the wrong branch of the OMS",
        "prod",
        "deploy-branches-protected",
        _set(lambda plan: protection(plan, "shopify-esim-system"), pattern="master"),
    ),
    Mutation(
        "deploy the OMS's Vercel project from an unprotected branch",
        "staging",
        "deploy-branches-protected",
        lambda plan: find(plan, VERCEL_PROJECT, name="oms-staging")["inputs"]["gitRepository"].update(
            productionBranch="release"
        ),
    ),
    # Secrets.
    Mutation(
        "flip STRIPE_SECRET_KEY to non-sensitive",
        "prod",
        "secrets-stay-secret",
        _set(lambda plan: env_var(plan, "STRIPE_SECRET_KEY"), sensitive=False),
    ),
    Mutation(
        "flip DATABASE_URL to non-sensitive",
        "staging",
        "secrets-stay-secret",
        lambda plan: [
            r["inputs"].update(sensitive=False)
            for r in plan["resources"]
            if r["type"] == VERCEL_ENV_VAR and r["inputs"]["key"] == "DATABASE_URL"
        ],
    ),
    Mutation(
        "hand a sensitive variable a plaintext value",
        "prod",
        "secrets-stay-secret",
        _set(lambda plan: env_var(plan, "TWILIO_AUTH_TOKEN"), value=PLAINTEXT_SECRET),
        online=False,
    ),
    Mutation(
        "put a GitHub token in a plain Vercel variable",
        "prod",
        "secrets-stay-secret",
        lambda plan: set_plain_env_value(plan, "NEXT_PUBLIC_SITE_URL", GITHUB_TOKEN),
    ),
    Mutation(
        "add a plaintext Actions secret",
        "prod",
        "secrets-stay-secret",
        lambda plan: add_like(
            plan,
            find(
                plan,
                ACTIONS_ENVIRONMENT_SECRET,
                secretName="SUPABASE_DB_URL",
                repository="shopify-esim-system",
            ),
            "oms-repository-secret-EXTRA_DB_PASSWORD",
            {
                "repository": "shopify-esim-system",
                "environment": "production",
                "secretName": "EXTRA_DB_PASSWORD",
                "value": PLAINTEXT_SECRET,
            },
        ),
        online=False,
    ),
    Mutation(
        "add an Actions variable with a secret name",
        "staging",
        "secrets-stay-secret",
        lambda plan: add_like(
            plan,
            find(plan, ACTIONS_ENVIRONMENT_VARIABLE, variableName="WRANGLER_ENV"),
            "chatbot-repository-variable-DEPLOY_TOKEN",
            {
                "repository": "gstarlink-chatbot",
                "environment": "staging",
                "variableName": "DEPLOY_TOKEN",
                "value": "not-shown",
            },
        ),
    ),
    Mutation(
        "commit a token into a delivered workflow",
        "prod",
        "secrets-stay-secret",
        lambda plan: find(plan, DELIVERY_BRANCH, repository="esim-hub")["inputs"]["files"].update(
            {".github/workflows/ci.yml": f"env:\n  TOKEN: {GITHUB_TOKEN}\n"}
        ),
    ),
    # Environment separation.
    Mutation(
        "point a staging DNS record at the production hostname",
        "staging",
        "environment-separation",
        _rename_host(DNS_RECORD, "name", "oms-staging.gstarlink.com", "oms.gstarlink.com"),
    ),
    Mutation(
        "serve the production domain from the staging Vercel project",
        "staging",
        "environment-separation",
        _rename_host(
            VERCEL_PROJECT_DOMAIN, "domain", "talkline-staging.fancrush.com", "talkline.fancrush.com"
        ),
    ),
    Mutation(
        "attach the production handbook domain to the staging Pages project",
        "staging",
        "environment-separation",
        _rename_host(PAGES_DOMAIN, "name", "handbook-staging.gstarlink.com", "handbook.gstarlink.com"),
    ),
    Mutation(
        "name the staging Supabase project like production's",
        "staging",
        "environment-separation",
        _set(
            lambda plan: find(plan, SUPABASE_PROJECT, name="fancrush-talkline-staging"),
            name="fancrush-talkline",
        ),
    ),
    Mutation(
        "point staging auth emails at the production site",
        "staging",
        "environment-separation",
        lambda plan: next(
            r
            for r in plan["resources"]
            if r["type"].endswith(":AuthSettings")
            and r["inputs"]["site_url"] == "https://oms-staging.gstarlink.com"
        )["inputs"].update(site_url="https://oms.gstarlink.com"),
    ),
    Mutation(
        "point a staging variable at another Supabase project",
        "staging",
        "environment-separation",
        lambda plan: find(plan, ACTIONS_ENVIRONMENT_VARIABLE, variableName="WRANGLER_ENV")["inputs"].update(
            value=f"https://{FOREIGN_REF}.supabase.co"
        ),
    ),
    Mutation(
        "write staging's secrets into the production GitHub environment",
        "staging",
        "environment-separation",
        _set(
            lambda plan: find(plan, REPOSITORY_ENVIRONMENT, repository="esim-hub"), environment="production"
        ),
    ),
    Mutation(
        "put a live Stripe key in a staging Actions variable",
        "staging",
        "environment-separation",
        lambda plan: find(plan, ACTIONS_ENVIRONMENT_VARIABLE, variableName="WRANGLER_ENV")["inputs"].update(
            value=LIVE_KEY
        ),
    ),
    Mutation(
        "put a live publishable key in a staging Vercel variable",
        "staging",
        "environment-separation",
        lambda plan: set_plain_env_value(
            plan, "NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY", "pk_live_" + "51MutationCanaryPublishable"
        ),
    ),
    Mutation(
        "put a test publishable key in production",
        "prod",
        "environment-separation",
        lambda plan: set_plain_env_value(
            plan, "NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY", "pk_test_" + "51MutationCanaryPublishable"
        ),
    ),
    Mutation(
        "name a production Pages project like staging's",
        "prod",
        "environment-separation",
        lambda plan: [
            r["inputs"].update(name="gstarlink-handbook-public-staging")
            for r in plan["resources"]
            if r["inputs"].get("name") == "gstarlink-handbook-public"
        ],
    ),
    # Previews of the production projects (staging's public values only).
    Mutation(
        "take the previews' anon key from the production database",
        "prod",
        "previews-get-no-production-values",
        lambda plan: _take_from_production_database(plan, "NEXT_PUBLIC_SUPABASE_ANON_KEY"),
    ),
    Mutation(
        "give previews the production service-role key",
        "prod",
        "previews-get-no-production-values",
        _service_role_key_in_previews,
    ),
    Mutation(
        "point previews at the production Supabase URL",
        "prod",
        "previews-get-no-production-values",
        _production_url_in_previews,
    ),
    Mutation(
        "make a preview variable sensitive (a production secret)",
        "prod",
        "previews-get-no-production-values",
        lambda plan: preview_var(plan, "NEXT_PUBLIC_SUPABASE_URL")["inputs"].update(sensitive=True),
    ),
    # The production database.
    Mutation(
        "unprotect the production OMS database",
        "prod",
        "production-database-retained",
        lambda plan: find(plan, SUPABASE_PROJECT, name="gstarlink-oms")["options"].update(protect=False),
    ),
    Mutation(
        "stop retaining the production Talkline database",
        "prod",
        "production-database-retained",
        lambda plan: find(plan, SUPABASE_PROJECT, name="fancrush-talkline")["options"].update(
            retain_on_delete=False
        ),
        online=False,
    ),
    Mutation(
        "shrink the production OMS database below the size PITR needs",
        "prod",
        "pitr-needs-small-compute",
        _set(lambda plan: find(plan, SUPABASE_PROJECT, name="gstarlink-oms"), instance_size="micro"),
    ),
    # Staging's own Cloudflare account.
    Mutation(
        "create staging's Pages deploy token in the zone's (production's) account",
        "staging",
        "staging-cloudflare-account",
        lambda plan: _token_in_zone_account(plan, "handbook-pages-deploy-token"),
    ),
    Mutation(
        "create staging's Worker deploy token in the zone's (production's) account",
        "staging",
        "staging-cloudflare-account",
        lambda plan: _token_in_zone_account(plan, "chatbot-worker-deploy-token"),
    ),
    Mutation(
        "put staging's Pages projects in the zone's (production's) account",
        "staging",
        "staging-cloudflare-account",
        lambda plan: [
            r["inputs"].update(accountId=_zone_account(plan))
            for r in plan["resources"]
            if r["type"] == PAGES_PROJECT
        ],
    ),
    Mutation(
        "give staging's chatbot a custom domain on the zone",
        "staging",
        "staging-cloudflare-account",
        lambda plan: add_like(
            plan,
            find_named(
                plan,
                WORKERS_SCRIPT_SUBDOMAIN,
                "chatbot-worker-workers-dev",
            ),
            "chatbot-worker-domain",
            {"hostname": "chat-staging.gstarlink.com", "service": "gstarlink-chatbot-staging"},
        ).update(type=WORKERS_CUSTOM_DOMAIN),
    ),
    # DNS targets.
    Mutation(
        "proxy the OMS's Vercel record",
        "prod",
        "dns-targets",
        _set(lambda plan: find(plan, DNS_RECORD, name="oms.gstarlink.com"), proxied=True),
    ),
    Mutation(
        "point Talkline's record away from Vercel",
        "staging",
        "dns-targets",
        _set(
            lambda plan: find(plan, DNS_RECORD, name="talkline-staging.fancrush.com"),
            content="talkline-staging.vercel.app",
        ),
    ),
    Mutation(
        "stop proxying the internal handbook's Pages record",
        "prod",
        "dns-targets",
        _set(lambda plan: find(plan, DNS_RECORD, name="handbook.gstarlink.com"), proxied=False),
    ),
    Mutation(
        "point the docs record at the internal Pages project",
        "prod",
        "dns-targets",
        _set(
            lambda plan: find(plan, DNS_RECORD, name="docs.gstarlink.com"),
            content="gstarlink-handbook-internal.pages.dev",
        ),
    ),
    Mutation(
        "remove the DNS record of a Vercel domain",
        "staging",
        "dns-targets",
        lambda plan: remove(plan, find(plan, DNS_RECORD, name="esim-staging.gstarlink.com")),
    ),
)


# Each mutated plan, made once and shared by the tests below, which only read it.
_MUTATED: dict[str, Plan] = {}


def mutated(plans: dict[str, Plan], mutation: Mutation) -> Plan:
    if mutation.id not in _MUTATED:
        plan = private_copy(plans[mutation.stack])
        mutation.apply(plan)
        assert plan != plans[mutation.stack], f"mutation {mutation.id!r} changed nothing"
        _MUTATED[mutation.id] = plan
    return _MUTATED[mutation.id]


def caught_by(violations: list[Violation], mutation: Mutation) -> list[Violation]:
    return [v for v in violations if v.policy == mutation.policy]


# The offline verdict on each mutated plan, judged once and shared by the tests below (the pack is a pure function
# of the plan: the same plan gets the same verdict).
_VIOLATIONS: dict[str, list[Violation]] = {}


def violations_of(plans: dict[str, Plan], mutation: Mutation) -> list[Violation]:
    if mutation.id not in _VIOLATIONS:
        _VIOLATIONS[mutation.id] = run_policies(mutated(plans, mutation))
    return _VIOLATIONS[mutation.id]


# --- the tests -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_the_real_stacks_pass_clean(plans: dict[str, Plan], stack: str) -> None:
    assert run_policies(plans[stack]) == []


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.id for m in MUTATIONS])
def test_each_mutation_is_caught(plans: dict[str, Plan], mutation: Mutation) -> None:
    violations = violations_of(plans, mutation)
    caught = caught_by(violations, mutation)
    assert caught, f"{mutation.policy} missed: {mutation.id}; reported: {[v.policy for v in violations]}"
    for violation in violations:
        assert violation.fix and violation.fix != "see docs/policies.md for this policy", violation
        for canary in (LIVE_KEY, GITHUB_TOKEN, PLAINTEXT_SECRET):
            assert canary not in violation.message + violation.fix


def test_check_command_lists_each_violation_and_fails(
    plans: dict[str, Plan], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from estate.check import handle

    mutation = next(m for m in MUTATIONS if m.id == "allow force pushes to Talkline's main")
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(mutated(plans, mutation)))
    args = argparse.Namespace(plan=str(plan_file), stack=None, stack_files=False, format="text")
    assert handle(args) == 1
    out = capsys.readouterr().out
    urn = protection(plans["prod"], "fancrush-talkline")["urn"]
    assert "deploy-branches-protected" in out and urn in out and "allows_force_pushes=False" in out
    assert "1 mandatory, 0 advisory" in out

    assert handle(argparse.Namespace(**{**vars(args), "format": "json"})) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["passed"] is False
    assert [(v["policy"], v["urn"]) for v in document["violations"]] == [("deploy-branches-protected", urn)]
    assert document["violations"][0]["fix"] == "set allows_force_pushes=False"


def test_check_command_passes_advisory_only_plans_with_a_warning(
    plans: dict[str, Plan], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from estate.check import handle

    mutation = next(m for m in MUTATIONS if m.policy == "public-sites-not-gated")
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(mutated(plans, mutation)))
    assert handle(argparse.Namespace(plan=str(plan_file), stack=None, stack_files=False, format="text")) == 0
    assert "advisory" in capsys.readouterr().out


def test_plan_command_fails_on_a_mandatory_violation(
    plans: dict[str, Plan], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import estate.engine
    import estate.plan
    from estate.plan_document import PlanDocument

    mutation = next(m for m in MUTATIONS if m.id == "unprotect the production OMS database")
    monkeypatch.setattr(
        estate.engine, "run_plan", lambda stack: PlanDocument.from_json(mutated(plans, mutation))
    )
    assert estate.plan.handle(argparse.Namespace(stack=["prod"], format="json")) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["stack"] == "prod"  # the plan itself is still printed
    assert "production-database-retained" in captured.err and "protect=True" in captured.err

    monkeypatch.setattr(
        estate.engine, "run_plan", lambda stack: PlanDocument.from_json(copy.deepcopy(plans["prod"]))
    )
    assert estate.plan.handle(argparse.Namespace(stack=["prod"], format="json")) == 0


def test_every_mutation_is_caught_summary(plans: dict[str, Plan], capsys: pytest.CaptureFixture[str]) -> None:
    missed = [m.id for m in MUTATIONS if not caught_by(violations_of(plans, m), m)]
    policies_exercised = {m.policy for m in MUTATIONS}
    with capsys.disabled():
        print(
            f"\npolicy mutations: {len(MUTATIONS)} tried, {len(MUTATIONS) - len(missed)} caught, "
            f"over {len(policies_exercised)} of {len(POLICIES)} policies"
        )
    assert missed == []
    assert policies_exercised == {p.name for p in POLICIES}


# --- the same verdicts online ----------------------------------------------------------------------------------------

# What the provider SDKs register as additionalSecretOutputs (pulumiverse_vercel, pulumi_github).
_SDK_SECRET_OUTPUTS = {
    VERCEL_ENV_VAR: ["value", "valueWo"],
    ACTIONS_ENVIRONMENT_SECRET: ["encryptedValue", "plaintextValue", "value", "valueEncrypted"],
}
ONLINE_SECRET_VALUE = "online-canary-secret-value"


def _online_value(value: Any) -> Any:
    """The plan's "[secret]" as the engine sends a secret: wrapped, holding a (canary) plaintext."""
    if value == "[secret]":
        # How the engine marks a secret inside properties; the policy SDK unwraps it.
        return secret(ONLINE_SECRET_VALUE)
    if isinstance(value, dict):
        return {k: _online_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_online_value(v) for v in value]
    return value


# The last Struct made for each (urn, view) with the properties it was made from: a mutation changes few resources,
# and the others' properties compare equal to the clean plan's, so their Struct is reused.
_STRUCTS: dict[tuple[str, str], tuple[dict[str, Any], struct_pb2.Struct]] = {}


def _struct(urn: str, view: str, properties: dict[str, Any]) -> struct_pb2.Struct:
    made = _STRUCTS.get((urn, view))
    if made is None or made[0] != properties:
        struct = struct_pb2.Struct()
        json_format.ParseDict(_online_value(properties), struct)
        made = _STRUCTS[(urn, view)] = (properties, struct)
    return made[1]


def _options(record: Resource) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=record["options"]["protect"],
        ignoreChanges=record["options"]["ignore_changes"],
        additionalSecretOutputs=_SDK_SECRET_OUTPUTS.get(record["type"], []),
        parent=record.get("parent") or "",
    )


# The served pack's answer to each distinct Analyze request. The engine asks about each resource on its own (the
# request carries the whole resource), so a resource a mutation left as it was gets the answer it got in the clean
# plan; only the changed resources and the stack as a whole are asked again.
_ANALYZED: dict[bytes, analyzer_pb2.AnalyzeResponse] = {}


def _analyze(
    stub: analyzer_pb2_grpc.AnalyzerStub, request: analyzer_pb2.AnalyzeRequest
) -> analyzer_pb2.AnalyzeResponse:
    key = request.SerializeToString(deterministic=True)
    if key not in _ANALYZED:
        _ANALYZED[key] = stub.Analyze(request)
    return _ANALYZED[key]


def _online_verdicts(stub: analyzer_pb2_grpc.AnalyzerStub, plan: Plan) -> set[tuple[str, str, str]]:
    """(policy, urn, level) of every diagnostic the served pack returns, resource by resource, then for the stack."""
    levels = {analyzer_pb2.MANDATORY: "mandatory", analyzer_pb2.ADVISORY: "advisory"}
    verdicts: set[tuple[str, str, str]] = set()
    # The engine never hands a read (the StackReference) to a policy pack (pulumi/pulumi#3950).
    analyzed = [r for r in plan["resources"] if not r.get("read")]
    for record in analyzed:
        request = analyzer_pb2.AnalyzeRequest(
            type=record["type"],
            properties=_struct(record["urn"], "inputs", record["inputs"]),
            urn=record["urn"],
            name=record["name"],
            options=_options(record),
        )
        for diagnostic in _analyze(stub, request).diagnostics:
            verdicts.add(
                (diagnostic.policyName, diagnostic.urn or record["urn"], levels[diagnostic.enforcementLevel])
            )
    stack_request = analyzer_pb2.AnalyzeStackRequest(
        resources=[
            # The engine hands stack policies each resource's state: its outputs (inputs and what the provider set).
            analyzer_pb2.AnalyzerResource(
                type=r["type"],
                properties=_struct(r["urn"], "state", {**r["inputs"], **r.get("outputs", {})}),
                urn=r["urn"],
                name=r["name"],
                options=_options(r),
                parent=r.get("parent") or "",
                dependencies=r["options"]["depends_on"],
            )
            for r in analyzed
        ]
    )
    for diagnostic in stub.AnalyzeStack(stack_request).diagnostics:
        verdicts.add((diagnostic.policyName, diagnostic.urn, levels[diagnostic.enforcementLevel]))
    return verdicts


def _offline_verdicts(violations: list[Violation]) -> set[tuple[str, str, str]]:
    return {(v.policy, v.urn or "", v.enforcement_level) for v in violations}


@pytest.fixture(scope="module")
def served_pack() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    """The pack as the CLI runs it: ``python policies`` prints its port, then serves the analyzer protocol."""
    process = subprocess.Popen(
        [sys.executable, "-u", str(PROJECT_DIR / "policies")],
        cwd=PROJECT_DIR / "policies",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    port: list[str] = []
    reader = threading.Thread(
        target=lambda: port.append(process.stdout.readline().strip()) if process.stdout else None
    )
    reader.start()
    reader.join(timeout=60)
    try:
        if not port or not port[0].isdigit():
            process.kill()
            pytest.fail(f"the pack did not start: {process.stderr.read() if process.stderr else ''}")
        channel = grpc.insecure_channel(f"127.0.0.1:{port[0]}")
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_served_pack_describes_the_same_policies(served_pack: analyzer_pb2_grpc.AnalyzerStub) -> None:
    from google.protobuf import empty_pb2

    info = served_pack.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "estate-guardrails"
    served = {p.name: p.enforcementLevel for p in info.policies}
    assert served == {
        p.name: (analyzer_pb2.ADVISORY if p.name == "public-sites-not-gated" else analyzer_pb2.MANDATORY)
        for p in POLICIES
    }


@pytest.mark.parametrize(
    "case",
    ["clean prod", "clean staging", *(m.id for m in MUTATIONS if m.online)],
)
def test_the_served_pack_gives_the_offline_verdicts(
    served_pack: analyzer_pb2_grpc.AnalyzerStub, plans: dict[str, Plan], case: str
) -> None:
    if case.startswith("clean "):
        plan = copy.deepcopy(plans[case.removeprefix("clean ")])
        offline = _offline_verdicts(run_policies(plan))
    else:
        mutation = next(m for m in MUTATIONS if m.id == case)
        plan = mutated(plans, mutation)
        offline = _offline_verdicts(violations_of(plans, mutation))
    assert _online_verdicts(served_pack, plan) == offline
    assert bool(offline) is not case.startswith("clean ")
