"""Each policy of the pack on hand-built engine views: a compliant case, and one case per way to break it.

Args are pulumi_policy's own types, props wrapped by its unknown-checking
proxy, exactly as the analyzer builds them; each policy's ``validate`` is
called with a collecting reporter.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from components.repository_governance import REPOSITORY_GOVERNANCE_TYPE
from estate.policy_runner import PlanDocumentError, PlanResourceOptions, plan_document_problems, run_policies
from estate.sdk_internals import UNKNOWN_ARRAY as UNKNOWN_ARRAY_VALUE
from estate.sdk_internals import UNKNOWN_BOOLEAN as UNKNOWN_BOOLEAN_VALUE
from estate.sdk_internals import UNKNOWN_STRING as UNKNOWN_STRING_VALUE
from estate.sdk_internals import unknown_checking_proxy
from policies.credential_patterns import credential_shape, looks_secret_name
from policies.engine_view import FIX_MARKER
from policies.pack import PACK_ENFORCEMENT_LEVEL, PACK_NAME, POLICIES
from policies.resource_types import (
    ACCESS_APPLICATION,
    ACCOUNT_TOKEN,
    ACTIONS_ENVIRONMENT_SECRET,
    ACTIONS_ENVIRONMENT_VARIABLE,
    BRANCH_PROTECTION,
    DEPLOYMENT_POLICY,
    DNS_RECORD,
    PAGES_DOMAIN,
    PAGES_PROJECT,
    REPOSITORY_ENVIRONMENT,
    REPOSITORY_FILE,
    SUPABASE_AUTH_SETTINGS,
    SUPABASE_PITR,
    SUPABASE_PROJECT,
    VERCEL_ENV_VAR,
    VERCEL_PROJECT,
    VERCEL_PROJECT_DOMAIN,
)

LIVE_KEY = "sk_live_" + "51HandBuiltCanaryLiveKey0001"
TEST_KEY = "pk_test_" + "51HandBuiltCanaryTestKey0001"
GITHUB_TOKEN = "ghp_" + "HandBuiltCanaryToken0123456789abcd"
PROD_REF = "abcdefghijklmnopqrst"
STAGING_REF = "tsrqponmlkjihgfedcba"


def policy(name: str) -> Policy:
    return next(p for p in POLICIES if p.name == name)


def urn_of(type_token: str, name: str, stack: str) -> str:
    return f"urn:pulumi:{stack}::estate::{type_token}::{name}"


def options(*, protect: bool = False, secret_outputs: Sequence[str] = ()) -> PolicyResourceOptions:
    """Options as the online analyzer builds them (no retain_on_delete in its protocol)."""
    return PolicyResourceOptions(
        protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), list(secret_outputs), None
    )


def resource(
    type_token: str,
    name: str,
    props: Mapping[str, Any],
    *,
    stack: str = "prod",
    depends_on: Sequence[PolicyResource] = (),
) -> PolicyResource:
    return PolicyResource(
        type_token,
        unknown_checking_proxy(dict(props)),
        urn_of(type_token, name, stack),
        name,
        options(),
        None,
        None,
        list(depends_on),
        {},
    )


def run_stack(
    name: str, resources: Sequence[PolicyResource], config: Mapping[str, Any] | None = None
) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    stack_policy = policy(name)
    assert isinstance(stack_policy, StackValidationPolicy)
    stack_policy.validate(
        StackValidationArgs(list(resources), dict(config or {})),
        lambda message, urn=None: found.append((message, urn)),
    )
    return found


def run_resource(
    name: str,
    type_token: str,
    props: Mapping[str, Any],
    *,
    stack: str = "prod",
    opts: PolicyResourceOptions | None = None,
    config: Mapping[str, Any] | None = None,
) -> list[str]:
    found: list[str] = []
    resource_policy = policy(name)
    assert isinstance(resource_policy, ResourceValidationPolicy)
    args = ResourceValidationArgs(
        type_token,
        unknown_checking_proxy(dict(props)),
        urn_of(type_token, "r", stack),
        "r",
        opts or options(),
        None,
        dict(config or {}),
    )
    resource_policy.validate(args, lambda message, urn=None: found.append(message))
    return found


def assert_has_fix(messages: Sequence[str]) -> None:
    for message in messages:
        problem, marker, fix = message.partition(FIX_MARKER)
        assert problem and marker and fix.strip(), f"violation without a fix: {message!r}"


# --- the pack --------------------------------------------------------------------------------------------------------


def test_pack_lists_the_guardrails_with_their_levels() -> None:
    assert PACK_NAME == "estate-guardrails"
    assert PACK_ENFORCEMENT_LEVEL is EnforcementLevel.MANDATORY
    levels = {p.name: p.enforcement_level or PACK_ENFORCEMENT_LEVEL for p in POLICIES}
    assert levels == {
        "internal-sites-gated": EnforcementLevel.MANDATORY,
        "public-sites-not-gated": EnforcementLevel.ADVISORY,
        "deploy-branches-protected": EnforcementLevel.MANDATORY,
        "secrets-stay-secret": EnforcementLevel.MANDATORY,
        "environment-separation": EnforcementLevel.MANDATORY,
        "previews-get-no-production-values": EnforcementLevel.MANDATORY,
        "production-database-retained": EnforcementLevel.MANDATORY,
        "pitr-needs-small-compute": EnforcementLevel.MANDATORY,
        "dns-targets": EnforcementLevel.MANDATORY,
        "environments-admit-only-their-branch": EnforcementLevel.MANDATORY,
        "deploy-tokens-least-privilege": EnforcementLevel.MANDATORY,
        "workflows-never-print-secrets": EnforcementLevel.MANDATORY,
        "staging-cloudflare-account": EnforcementLevel.MANDATORY,
    }


# --- internal-sites-gated / public-sites-not-gated ---------------------------------------------------------------------


def pages_site(project: str, domain: str, *, stack: str = "prod") -> list[PolicyResource]:
    return [
        resource(
            PAGES_PROJECT, f"{project}-project", {"name": project, "productionBranch": "main"}, stack=stack
        ),
        resource(PAGES_DOMAIN, f"{project}-domain", {"projectName": project, "name": domain}, stack=stack),
    ]


def access_app(
    name: str, uris: Sequence[str], *, bypass: bool = False, stack: str = "prod"
) -> PolicyResource:
    policies: list[dict[str, Any]] = (
        [{"decision": "bypass", "includes": [{"everyone": {}}], "precedence": 1.0}]
        if bypass
        else [{"id": "7920ac3a-4113-5830-9d92-c32ef4accfad", "precedence": 1.0}]
    )
    return resource(
        ACCESS_APPLICATION,
        name,
        {
            "type": "self_hosted",
            "policies": policies,
            "destinations": [{"type": "public", "uri": uri} for uri in uris],
        },
        stack=stack,
    )


INTERNAL = "gstarlink-handbook-internal"
INTERNAL_HOSTS = ("handbook.gstarlink.com", f"{INTERNAL}.pages.dev", f"*.{INTERNAL}.pages.dev")


def gated_handbook(hosts: Sequence[str] = INTERNAL_HOSTS) -> list[PolicyResource]:
    return [
        *pages_site(INTERNAL, "handbook.gstarlink.com"),
        access_app("handbook-access", hosts),
        access_app(
            "handbook-acme-bypass", ["handbook.gstarlink.com/.well-known/acme-challenge/*"], bypass=True
        ),
        *pages_site("gstarlink-handbook-public", "docs.gstarlink.com"),
    ]


def test_internal_site_gated_on_every_hostname_passes() -> None:
    assert run_stack("internal-sites-gated", gated_handbook()) == []


@pytest.mark.parametrize("missing", INTERNAL_HOSTS)
def test_internal_site_with_one_hostname_ungated_is_a_violation(missing: str) -> None:
    found = run_stack("internal-sites-gated", gated_handbook([h for h in INTERNAL_HOSTS if h != missing]))
    assert len(found) == 1 and missing in found[0][0]
    expected_urn = (
        urn_of(PAGES_DOMAIN, f"{INTERNAL}-domain", "prod")
        if missing.startswith("handbook.")
        else urn_of(PAGES_PROJECT, f"{INTERNAL}-project", "prod")
    )
    assert found[0][1] == expected_urn
    assert_has_fix([found[0][0]])


def test_internal_site_without_any_access_application_is_a_violation_on_every_hostname() -> None:
    resources = [r for r in gated_handbook() if r.resource_type != ACCESS_APPLICATION]
    found = run_stack("internal-sites-gated", resources)
    assert sorted(h for h in INTERNAL_HOSTS if any(h in m for m, _ in found)) == sorted(INTERNAL_HOSTS)


def test_an_access_bypass_does_not_gate() -> None:
    resources = [r for r in gated_handbook() if r.name != "handbook-access"]
    resources.append(access_app("handbook-access", INTERNAL_HOSTS, bypass=True))
    assert len(run_stack("internal-sites-gated", resources)) == 3


def test_a_path_limited_destination_does_not_gate_the_host() -> None:
    hosts = ["handbook.gstarlink.com/admin/*", *INTERNAL_HOSTS[1:]]
    found = run_stack("internal-sites-gated", gated_handbook(hosts))
    assert len(found) == 1 and "handbook.gstarlink.com" in found[0][0]


def test_a_site_touched_by_access_is_internal_whatever_its_name() -> None:
    # No internal marker in the name, but a certificate bypass shows the intent to gate it.
    resources = [
        *pages_site("esim-hub", "esim.gstarlink.com"),
        access_app("acme", ["esim.gstarlink.com/.well-known/acme-challenge/*"], bypass=True),
    ]
    assert len(run_stack("internal-sites-gated", resources)) == 3
    assert run_stack("internal-sites-gated", pages_site("esim-hub", "esim.gstarlink.com")) == []


def test_the_internal_marker_is_configurable() -> None:
    site = pages_site("handbook-staff", "handbook.gstarlink.com")
    assert run_stack("internal-sites-gated", site) == []
    assert len(run_stack("internal-sites-gated", site, {"internalMarker": "-staff"})) == 3


def test_unknown_access_fields_during_preview_do_not_stop_the_rule() -> None:
    app = resource(
        ACCESS_APPLICATION,
        "handbook-access",
        {
            "type": "self_hosted",
            "policies": [{"id": UNKNOWN_STRING_VALUE, "precedence": 1.0}],
            "destinations": [{"type": "public", "uri": h} for h in INTERNAL_HOSTS],
        },
    )
    assert run_stack("internal-sites-gated", [*pages_site(INTERNAL, "handbook.gstarlink.com"), app]) == []
    unknown = resource(ACCESS_APPLICATION, "handbook-access", {"destinations": UNKNOWN_ARRAY_VALUE})
    assert (
        len(run_stack("internal-sites-gated", [*pages_site(INTERNAL, "handbook.gstarlink.com"), unknown]))
        == 3
    )


def test_public_site_not_gated_passes_and_a_gated_one_warns() -> None:
    assert run_stack("public-sites-not-gated", gated_handbook()) == []
    resources = [*gated_handbook(), access_app("docs-access", ["docs.gstarlink.com"])]
    found = run_stack("public-sites-not-gated", resources)
    assert len(found) == 1 and "docs.gstarlink.com" in found[0][0]
    assert found[0][1] == urn_of(PAGES_DOMAIN, "gstarlink-handbook-public-domain", "prod")
    assert_has_fix([found[0][0]])


# --- deploy-branches-protected ---------------------------------------------------------------------------------------

GOOD_PROTECTION: dict[str, Any] = {
    "repositoryId": "shopify-esim-system",
    "pattern": "main",
    "enforceAdmins": True,
    "allowsForcePushes": False,
    "allowsDeletions": False,
    "requiredPullRequestReviews": [
        {"requiredApprovingReviewCount": 1.0, "dismissStaleReviews": True, "requireLastPushApproval": True}
    ],
    "requiredStatusChecks": [{"strict": True, "contexts": ["lint-test-build"]}],
}


def deploy_setup(protection: Mapping[str, Any] | None) -> list[PolicyResource]:
    resources = [
        resource(
            DEPLOYMENT_POLICY,
            "oms-deploy-branch",
            {"repository": "shopify-esim-system", "branchPattern": "main", "environment": "production"},
        )
    ]
    if protection is not None:
        resources.append(resource(BRANCH_PROTECTION, "oms-protection", protection))
    return resources


def test_protected_deploy_branch_passes() -> None:
    assert run_stack("deploy-branches-protected", deploy_setup(GOOD_PROTECTION)) == []


def test_provider_defaults_are_judged_as_the_provider_applies_them() -> None:
    # No approval count: the provider requires one; no force-push/deletion flag: both off.
    lean = {k: v for k, v in GOOD_PROTECTION.items() if k not in ("allowsForcePushes", "allowsDeletions")}
    lean["requiredPullRequestReviews"] = [{"dismissStaleReviews": True, "requireLastPushApproval": True}]
    assert run_stack("deploy-branches-protected", deploy_setup(lean)) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"requiredPullRequestReviews": []}, "requires no pull request review"),
        (
            {
                "requiredPullRequestReviews": [
                    {
                        "requiredApprovingReviewCount": 0.0,
                        "dismissStaleReviews": True,
                        "requireLastPushApproval": True,
                    }
                ]
            },
            "requires 0 approving reviews",
        ),
        (
            {
                "requiredPullRequestReviews": [
                    {
                        "requiredApprovingReviewCount": 1.0,
                        "dismissStaleReviews": False,
                        "requireLastPushApproval": True,
                    }
                ]
            },
            "keeps approvals after new commits",
        ),
        (
            {
                "requiredPullRequestReviews": [
                    {"requiredApprovingReviewCount": 1.0, "requireLastPushApproval": True}
                ]
            },
            "keeps approvals after new commits",
        ),
        (
            {
                "requiredPullRequestReviews": [
                    {"requiredApprovingReviewCount": 1.0, "dismissStaleReviews": True}
                ]
            },
            "without someone else approving that push",
        ),
        (
            {
                "requiredPullRequestReviews": [
                    {
                        "requiredApprovingReviewCount": 1.0,
                        "dismissStaleReviews": True,
                        "requireLastPushApproval": False,
                    }
                ]
            },
            "without someone else approving",
        ),
        ({"requiredStatusChecks": []}, "requires no status check"),
        ({"requiredStatusChecks": [{"strict": True, "contexts": []}]}, "requires no status check"),
        ({"allowsForcePushes": True}, "allows force pushes"),
        ({"allowsDeletions": True}, "allows the branch to be deleted"),
        ({"enforceAdmins": False}, "lets admins bypass it"),
    ],
)
def test_each_weakness_of_a_deploy_branch_protection_is_a_violation(
    change: dict[str, Any], expected: str
) -> None:
    found = run_stack("deploy-branches-protected", deploy_setup({**GOOD_PROTECTION, **change}))
    assert [expected in message for message, _ in found] == [True], found
    assert found[0][1] == urn_of(BRANCH_PROTECTION, "oms-protection", "prod")
    assert_has_fix([found[0][0]])


def test_absent_enforce_admins_is_a_violation_since_the_provider_defaults_it_off() -> None:
    found = run_stack(
        "deploy-branches-protected",
        deploy_setup({k: v for k, v in GOOD_PROTECTION.items() if k != "enforceAdmins"}),
    )
    assert len(found) == 1 and "admins" in found[0][0]


@pytest.mark.parametrize(
    "protection",
    [None, {**GOOD_PROTECTION, "pattern": "develop"}, {**GOOD_PROTECTION, "repositoryId": "esim-hub"}],
    ids=["no-protection", "other-branch", "other-repository"],
)
def test_a_deploy_branch_without_a_matching_protection_is_a_violation(
    protection: dict[str, Any] | None,
) -> None:
    found = run_stack("deploy-branches-protected", deploy_setup(protection))
    assert len(found) == 1 and "no BranchProtection" in found[0][0]
    assert found[0][1] == urn_of(DEPLOYMENT_POLICY, "oms-deploy-branch", "prod")


def test_a_wildcard_protection_covers_the_branch() -> None:
    assert run_stack("deploy-branches-protected", deploy_setup({**GOOD_PROTECTION, "pattern": "ma*"})) == []


def test_a_vercel_production_branch_is_a_deploy_branch() -> None:
    vercel = resource(
        VERCEL_PROJECT,
        "oms-project",
        {
            "name": "oms",
            "gitRepository": {
                "type": "github",
                "repo": "gstarlink/shopify-esim-system",
                "productionBranch": "release",
            },
        },
    )
    found = run_stack("deploy-branches-protected", [*deploy_setup(GOOD_PROTECTION), vercel])
    assert len(found) == 1 and "release" in found[0][0] and "Vercel" in found[0][0]


def test_unknown_review_settings_during_preview_are_not_judged() -> None:
    found = run_stack(
        "deploy-branches-protected",
        deploy_setup({**GOOD_PROTECTION, "requiredPullRequestReviews": UNKNOWN_ARRAY_VALUE}),
    )
    assert found == []


# --- secrets-stay-secret ---------------------------------------------------------------------------------------------


def env_var(key: str, value: str, *, sensitive: bool | None) -> dict[str, Any]:
    props: dict[str, Any] = {"key": key, "value": value, "targets": ["production"]}
    if sensitive is not None:
        props["sensitive"] = sensitive
    return props


def test_sensitive_secret_variable_passes_offline_and_online() -> None:
    assert (
        run_resource(
            "secrets-stay-secret", VERCEL_ENV_VAR, env_var("STRIPE_SECRET_KEY", "[secret]", sensitive=True)
        )
        == []
    )
    # Online the value arrives unwrapped; the SDK's additionalSecretOutputs says it is a secret.
    online = options(secret_outputs=["value", "valueWo"])
    assert (
        run_resource(
            "secrets-stay-secret",
            VERCEL_ENV_VAR,
            env_var("STRIPE_SECRET_KEY", LIVE_KEY, sensitive=True),
            opts=online,
        )
        == []
    )


@pytest.mark.parametrize("sensitive", [False, None], ids=["false", "absent"])
def test_secret_looking_variable_that_is_not_sensitive_is_a_violation(sensitive: bool | None) -> None:
    found = run_resource(
        "secrets-stay-secret", VERCEL_ENV_VAR, env_var("TWILIO_AUTH_TOKEN", "[secret]", sensitive=sensitive)
    )
    assert len(found) == 1 and "TWILIO_AUTH_TOKEN" in found[0] and "not sensitive" in found[0]
    assert_has_fix(found)


def test_public_by_design_names_are_allowed_and_the_list_is_configurable() -> None:
    plain_key = env_var("SHOPIFY_API_KEY", "[secret]", sensitive=False)
    assert run_resource("secrets-stay-secret", VERCEL_ENV_VAR, plain_key) == []
    assert (
        len(run_resource("secrets-stay-secret", VERCEL_ENV_VAR, plain_key, config={"publicVariables": []}))
        == 1
    )
    for public in (
        "NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY",
        "NEXT_PUBLIC_SUPABASE_ANON_KEY",
        "TWILIO_ACCOUNT_SID",
    ):
        assert (
            run_resource("secrets-stay-secret", VERCEL_ENV_VAR, env_var(public, "[secret]", sensitive=False))
            == []
        )


def test_a_secret_name_behind_next_public_is_a_violation_even_if_sensitive() -> None:
    found = run_resource(
        "secrets-stay-secret",
        VERCEL_ENV_VAR,
        env_var("NEXT_PUBLIC_STRIPE_SECRET_KEY", "[secret]", sensitive=True),
    )
    assert len(found) == 1 and "browsers" in found[0]


def test_a_browser_safe_dsn_may_be_next_public() -> None:
    # A Sentry DSN only lets clients submit events; it is meant for browsers.
    assert (
        run_resource(
            "secrets-stay-secret",
            VERCEL_ENV_VAR,
            env_var("NEXT_PUBLIC_SENTRY_DSN", "[secret]", sensitive=False),
        )
        == []
    )
    found = run_resource(
        "secrets-stay-secret", VERCEL_ENV_VAR, env_var("SENTRY_DSN", "[secret]", sensitive=False)
    )
    assert len(found) == 1 and "not sensitive" in found[0]


def test_a_sensitive_variable_whose_value_is_not_a_pulumi_secret_is_a_violation() -> None:
    found = run_resource(
        "secrets-stay-secret", VERCEL_ENV_VAR, env_var("VAPI_API_KEY", "plain-value", sensitive=True)
    )
    assert len(found) == 1 and "not a Pulumi secret" in found[0]


def test_a_credential_in_a_plain_variable_is_a_violation_without_showing_it() -> None:
    found = run_resource(
        "secrets-stay-secret", VERCEL_ENV_VAR, env_var("NEXT_PUBLIC_CONFIG", GITHUB_TOKEN, sensitive=False)
    )
    assert len(found) == 1 and "GitHub token" in found[0]
    assert GITHUB_TOKEN not in found[0]


def test_actions_variables_hold_no_secret_name_and_no_credential() -> None:
    def variable(name: str, value: str) -> list[str]:
        return run_resource(
            "secrets-stay-secret",
            ACTIONS_ENVIRONMENT_VARIABLE,
            {"variableName": name, "value": value, "environment": "production"},
        )

    assert variable("PAGES_PROJECT_INTERNAL", "gstarlink-handbook-internal") == []
    secret_name = variable("DEPLOY_TOKEN", "abc")
    assert len(secret_name) == 1 and "ActionsEnvironmentSecret" in secret_name[0]
    credential = variable("STRIPE", LIVE_KEY)
    assert len(credential) == 1 and LIVE_KEY not in credential[0]
    assert_has_fix([*secret_name, *credential])


def test_actions_secret_values_are_pulumi_secrets() -> None:
    def secret(value: str, opts: PolicyResourceOptions | None = None) -> list[str]:
        return run_resource(
            "secrets-stay-secret",
            ACTIONS_ENVIRONMENT_SECRET,
            {"secretName": "SUPABASE_DB_PASSWORD", "value": value},
            opts=opts,
        )

    assert secret("[secret]") == []
    assert (
        secret("raw", options(secret_outputs=["encryptedValue", "plaintextValue", "value", "valueEncrypted"]))
        == []
    )
    found = secret("raw")
    assert len(found) == 1 and "not a Pulumi secret" in found[0] and "raw" not in found[0].split("`value`")[1]


def test_delivered_files_hold_no_credential() -> None:
    clean = {
        "file": ".github/workflows/ci.yml",
        "repository": "esim-hub",
        "content": "token: ${{ secrets.X }}",
    }
    assert run_resource("secrets-stay-secret", REPOSITORY_FILE, clean) == []
    found = run_resource(
        "secrets-stay-secret", REPOSITORY_FILE, {**clean, "content": f"token: {GITHUB_TOKEN}"}
    )
    assert len(found) == 1 and GITHUB_TOKEN not in found[0]


def test_unknown_sensitivity_during_preview_is_not_judged() -> None:
    props = env_var("DATABASE_URL", UNKNOWN_STRING_VALUE, sensitive=None) | {
        "sensitive": UNKNOWN_BOOLEAN_VALUE
    }
    assert run_resource("secrets-stay-secret", VERCEL_ENV_VAR, props) == []


# --- environment-separation ------------------------------------------------------------------------------------------


def staging_estate() -> list[PolicyResource]:
    project = resource(
        SUPABASE_PROJECT, "oms-database-project", {"name": "gstarlink-oms-staging"}, stack="staging"
    )
    return [
        project,
        resource(
            SUPABASE_AUTH_SETTINGS,
            "oms-auth",
            {"project_ref": STAGING_REF, "site_url": "https://oms-staging.gstarlink.com"},
            stack="staging",
            depends_on=[project],
        ),
        resource(VERCEL_PROJECT, "oms-project", {"name": "oms-staging"}, stack="staging"),
        resource(
            VERCEL_PROJECT_DOMAIN, "oms-domain", {"domain": "oms-staging.gstarlink.com"}, stack="staging"
        ),
        resource(
            DNS_RECORD,
            "oms-dns",
            {
                "name": "oms-staging.gstarlink.com",
                "type": "CNAME",
                "content": "cname.vercel-dns.com",
                "proxied": False,
            },
            stack="staging",
        ),
        *pages_site("gstarlink-handbook-internal-staging", "handbook-staging.gstarlink.com", stack="staging"),
        access_app(
            "handbook-access",
            [
                "handbook-staging.gstarlink.com",
                "gstarlink-handbook-internal-staging.pages.dev",
                "*.gstarlink-handbook-internal-staging.pages.dev",
            ],
            stack="staging",
        ),
        resource(
            REPOSITORY_ENVIRONMENT,
            "oms-environment",
            {"repository": "shopify-esim-system", "environment": "staging"},
            stack="staging",
        ),
        resource(
            ACTIONS_ENVIRONMENT_VARIABLE,
            "oms-variable",
            {"variableName": "SITE", "environment": "staging", "value": "https://oms-staging.gstarlink.com"},
            stack="staging",
        ),
        resource(
            VERCEL_ENV_VAR,
            "oms-env-key",
            env_var("NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY", TEST_KEY, sensitive=False),
            stack="staging",
        ),
        resource(
            VERCEL_ENV_VAR,
            "oms-env-url",
            env_var("NEXT_PUBLIC_SUPABASE_URL", f"https://{STAGING_REF}.supabase.co", sensitive=False),
            stack="staging",
        ),
    ]


def replaced(resources: list[PolicyResource], name: str, props: Mapping[str, Any]) -> list[PolicyResource]:
    """The resources with ``name``'s props replaced (type, stack and dependencies kept)."""
    out: list[PolicyResource] = []
    for r in resources:
        if r.name == name:
            stack = r.urn.split("::")[0].split(":")[2]
            r = resource(r.resource_type, r.name, props, stack=stack, depends_on=r.dependencies)
        out.append(r)
    return out


def test_a_staging_stack_inside_staging_passes() -> None:
    assert run_stack("environment-separation", staging_estate()) == []


@pytest.mark.parametrize(
    ("name", "props", "expected"),
    [
        (
            "oms-dns",
            {"name": "oms.gstarlink.com", "type": "CNAME", "content": "cname.vercel-dns.com"},
            "DNS record name oms.gstarlink.com",
        ),
        (
            "oms-dns",
            {
                "name": "oms-staging.gstarlink.com",
                "type": "CNAME",
                "content": "gstarlink-handbook-internal.pages.dev",
            },
            "DNS record target",
        ),
        ("oms-domain", {"domain": "oms.gstarlink.com"}, "Vercel project domain oms.gstarlink.com"),
        (
            "handbook-access",
            {"destinations": [{"type": "public", "uri": "handbook.gstarlink.com"}]},
            "Access destination handbook.gstarlink.com",
        ),
        ("oms-project", {"name": "oms"}, "Vercel project oms"),
        ("oms-database-project", {"name": "gstarlink-oms"}, "Supabase project gstarlink-oms"),
        (
            "oms-environment",
            {"repository": "shopify-esim-system", "environment": "production"},
            "GitHub environment production",
        ),
        (
            "oms-variable",
            {"variableName": "SITE", "environment": "staging", "value": "https://oms.gstarlink.com/x"},
            "points at oms.gstarlink.com",
        ),
        (
            "oms-env-key",
            env_var("STRIPE_SECRET_KEY", LIVE_KEY, sensitive=True),
            "live-mode Stripe key (sk_live_…)",
        ),
        (
            "oms-env-url",
            env_var("NEXT_PUBLIC_SUPABASE_URL", f"https://{PROD_REF}.supabase.co", sensitive=False),
            f"Supabase project {PROD_REF}",
        ),
        (
            "oms-env-url",
            env_var(
                "DATABASE_URL",
                f"postgresql://postgres.{PROD_REF}:pw@pooler.supabase.com/postgres",
                sensitive=True,
            ),
            f"Supabase project {PROD_REF}",
        ),
        (
            "oms-auth",
            {"project_ref": STAGING_REF, "site_url": "https://oms.gstarlink.com"},
            "points at oms.gstarlink.com",
        ),
    ],
)
def test_each_way_staging_reaches_into_production_is_a_violation(
    name: str, props: dict[str, Any], expected: str
) -> None:
    found = run_stack("environment-separation", replaced(staging_estate(), name, props))
    assert any(expected in message for message, _ in found), found
    assert all(urn and urn.endswith(f"::{name}") for _, urn in found), found
    assert_has_fix([m for m, _ in found])
    assert not any(LIVE_KEY in m or "pw@" in m for m, _ in found)


def test_a_foreign_ref_on_a_resource_of_the_stack_s_own_project_still_fails_the_stack() -> None:
    # A resource that depends on the stack's Supabase project is trusted to carry that project's ref,
    # so a production ref there makes the stack's real ref look foreign: the stack still fails, on the
    # value that no longer matches.
    found = run_stack(
        "environment-separation", replaced(staging_estate(), "oms-auth", {"project_ref": PROD_REF})
    )
    assert any(STAGING_REF in message for message, _ in found), found


def test_a_ref_without_a_dependency_on_the_stack_s_own_project_is_foreign() -> None:
    resources = [r for r in staging_estate() if r.name != "oms-auth"]
    resources.append(
        resource(
            SUPABASE_AUTH_SETTINGS,
            "oms-auth",
            {"project_ref": STAGING_REF},
            stack="staging",
        )
    )
    assert any(STAGING_REF in m for m, _ in run_stack("environment-separation", resources))


def test_production_holds_live_keys_and_no_staging_names() -> None:
    prod = [
        resource(VERCEL_ENV_VAR, "key", env_var("STRIPE_SECRET_KEY", LIVE_KEY, sensitive=True)),
        resource(VERCEL_PROJECT_DOMAIN, "domain", {"domain": "oms.gstarlink.com"}),
        resource(VERCEL_PROJECT, "project", {"name": "oms"}),
    ]
    assert run_stack("environment-separation", prod) == []
    test_key = replaced(prod, "key", env_var("NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY", TEST_KEY, sensitive=False))
    assert any(
        "test-mode Stripe key (pk_test_…)" in m for m, _ in run_stack("environment-separation", test_key)
    )
    staging_name = replaced(prod, "project", {"name": "oms-staging"})
    assert any(
        "Vercel project oms-staging" in m for m, _ in run_stack("environment-separation", staging_name)
    )


def test_which_stacks_serve_production_is_configurable() -> None:
    live = [resource(VERCEL_PROJECT, "project", {"name": "oms"}, stack="live")]
    assert len(run_stack("environment-separation", live)) == 1  # "live" would be an environment of its own
    assert run_stack("environment-separation", live, {"productionStacks": ["live"]}) == []


def test_hidden_values_are_not_judged() -> None:
    hidden = replaced(
        staging_estate(), "oms-env-key", env_var("STRIPE_SECRET_KEY", "[secret]", sensitive=True)
    )
    assert run_stack("environment-separation", hidden) == []


# --- production-database-retained ------------------------------------------------------------------------------------


def plan_options(*, protect: bool, retain: bool) -> PlanResourceOptions:
    return PlanResourceOptions(protect=protect, retain_on_delete=retain, ignore_changes=[], parent=None)


def test_protected_and_retained_production_database_passes() -> None:
    props = {"name": "gstarlink-oms"}
    assert (
        run_resource(
            "production-database-retained",
            SUPABASE_PROJECT,
            props,
            opts=plan_options(protect=True, retain=True),
        )
        == []
    )
    # Online the protocol carries only `protect`: retain_on_delete cannot be judged, so it is not.
    assert (
        run_resource("production-database-retained", SUPABASE_PROJECT, props, opts=options(protect=True))
        == []
    )


@pytest.mark.parametrize(
    ("opts", "expected"),
    [
        (plan_options(protect=False, retain=True), ["not protected"]),
        (plan_options(protect=True, retain=False), ["not retained on delete"]),
        (plan_options(protect=False, retain=False), ["not protected", "not retained on delete"]),
        (options(protect=False), ["not protected"]),
    ],
    ids=["unprotected", "not-retained", "neither", "unprotected-online"],
)
def test_an_unprotected_or_unretained_production_database_is_a_violation(
    opts: PolicyResourceOptions, expected: list[str]
) -> None:
    found = run_resource(
        "production-database-retained", SUPABASE_PROJECT, {"name": "gstarlink-oms"}, opts=opts
    )
    assert [any(e in m for m in found) for e in expected] == [True] * len(expected) and len(found) == len(
        expected
    )
    assert_has_fix(found)


def test_staging_databases_and_other_resources_may_go() -> None:
    unprotected = plan_options(protect=False, retain=False)
    assert (
        run_resource(
            "production-database-retained",
            SUPABASE_PROJECT,
            {"name": "x-staging"},
            stack="staging",
            opts=unprotected,
        )
        == []
    )
    assert (
        run_resource("production-database-retained", VERCEL_PROJECT, {"name": "oms"}, opts=unprotected) == []
    )


# --- pitr-needs-small-compute -----------------------------------------------------------------------------------------


def pitr_estate(size: str | None) -> list[PolicyResource]:
    props = {"name": "gstarlink-oms", "region": "eu-central-1"} | ({"instance_size": size} if size else {})
    project = resource(SUPABASE_PROJECT, "oms-database-project", props)
    return [
        project,
        resource(
            SUPABASE_PITR,
            "oms-database-pitr",
            {"project_ref": UNKNOWN_STRING_VALUE, "variant": "pitr_7"},
            depends_on=[project],
        ),
    ]


@pytest.mark.parametrize("size", ["small", "medium", "xlarge"])
def test_pitr_on_small_compute_or_larger_passes(size: str) -> None:
    assert run_stack("pitr-needs-small-compute", pitr_estate(size)) == []


@pytest.mark.parametrize("size", ["nano", "micro", None])
def test_pitr_below_small_compute_is_a_violation(size: str | None) -> None:
    found = run_stack("pitr-needs-small-compute", pitr_estate(size))
    assert (
        len(found) == 1
        and "gstarlink-oms" in found[0][0]
        and found[0][1] == urn_of(SUPABASE_PITR, "oms-database-pitr", "prod")
    )
    assert_has_fix([message for message, _ in found])


def test_projects_without_pitr_may_be_micro() -> None:
    assert run_stack("pitr-needs-small-compute", pitr_estate("micro")[:1]) == []


# --- dns-targets -----------------------------------------------------------------------------------------------------


def dns_estate(
    vercel_record: Mapping[str, Any] | None, pages_record: Mapping[str, Any] | None
) -> list[PolicyResource]:
    resources = [
        resource(VERCEL_PROJECT_DOMAIN, "oms-domain", {"domain": "oms.gstarlink.com"}),
        *pages_site(INTERNAL, "handbook.gstarlink.com"),
    ]
    if vercel_record is not None:
        resources.append(resource(DNS_RECORD, "oms-dns", vercel_record))
    if pages_record is not None:
        resources.append(resource(DNS_RECORD, "handbook-dns", pages_record))
    return resources


VERCEL_RECORD = {
    "name": "oms.gstarlink.com",
    "type": "CNAME",
    "content": "cname.vercel-dns.com",
    "proxied": False,
}
PAGES_RECORD = {
    "name": "handbook.gstarlink.com",
    "type": "CNAME",
    "content": f"{INTERNAL}.pages.dev",
    "proxied": True,
}


def test_records_pointing_at_their_platforms_pass() -> None:
    assert run_stack("dns-targets", dns_estate(VERCEL_RECORD, PAGES_RECORD)) == []
    no_proxied_flag = {
        k: v for k, v in VERCEL_RECORD.items() if k != "proxied"
    }  # Cloudflare's default: DNS only
    assert run_stack("dns-targets", dns_estate(no_proxied_flag, PAGES_RECORD)) == []


@pytest.mark.parametrize(
    ("vercel", "pages", "expected"),
    [
        (None, PAGES_RECORD, "declares no DNS record"),
        (VERCEL_RECORD, None, "declares no DNS record"),
        ({**VERCEL_RECORD, "proxied": True}, PAGES_RECORD, "is proxied"),
        ({**VERCEL_RECORD, "content": "oms.vercel.app"}, PAGES_RECORD, "points at oms.vercel.app"),
        ({**VERCEL_RECORD, "type": "A", "content": "76.76.21.21"}, PAGES_RECORD, "is a A record"),
        (VERCEL_RECORD, {**PAGES_RECORD, "proxied": False}, "is DNS only"),
        (VERCEL_RECORD, {k: v for k, v in PAGES_RECORD.items() if k != "proxied"}, "is DNS only"),
        (
            VERCEL_RECORD,
            {**PAGES_RECORD, "content": "gstarlink-handbook-public.pages.dev"},
            "points at gstarlink-handbook-public.pages.dev",
        ),
    ],
)
def test_each_wrong_dns_record_is_a_violation(
    vercel: Mapping[str, Any] | None, pages: Mapping[str, Any] | None, expected: str
) -> None:
    found = run_stack("dns-targets", dns_estate(vercel, pages))
    assert any(expected in message for message, _ in found), found
    assert_has_fix([m for m, _ in found])


# --- shapes and names ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        LIVE_KEY,
        "rk_live_" + "51abcdefgh",
        "whsec_" + "abcdefgh12",
        GITHUB_TOKEN,
        "github_pat_" + "1" * 30,
        "xoxb-" + "1234567890-abc",
        "AKIA" + "ABCDEFGHIJKLMNOP",
        "-----BEGIN " + "RSA PRIVATE KEY-----",
        "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2lnbmF0dXJlMTIz",
        "postgresql://postgres:hunter2@db.x.supabase.co:5432/postgres",
        "sbp_" + "0" * 40,
    ],
)
def test_credential_shapes_are_recognised(value: str) -> None:
    assert credential_shape(value) is not None


@pytest.mark.parametrize(
    "value",
    [
        "pk_live_51Fancrush",
        "gstarlink-handbook-internal",
        "https://oms.gstarlink.com",
        "AC0123456789abcdef",
        "4b1f0c2e8d6a4f9b8c7e6d5a4b3c2d1e",
        "postgresql://db.x.supabase.co:5432/postgres",
    ],
)
def test_public_values_are_not_credentials(value: str) -> None:
    assert credential_shape(value) is None


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("STRIPE_SECRET_KEY", True),
        ("talklineStripeSecretKey", True),
        ("DATABASE_URL", True),
        ("githubToken", True),
        ("alertsSlackWebhookUrl", True),
        ("SUPABASE_SERVICE_ROLE_KEY", True),
        ("omsShopifyApiKey", True),
        ("talklineStripePublishableKey", False),
        ("TWILIO_ACCOUNT_SID", False),
        ("cloudflareAccountId", False),
        ("NEXT_PUBLIC_SUPABASE_ANON_KEY", False),
        ("PAGES_PROJECT_INTERNAL", False),
    ],
)
def test_secret_looking_names(name: str, secret: bool) -> None:
    assert looks_secret_name(name) is secret


# --- the offline runner ----------------------------------------------------------------------------------------------


def plan_document(*records: dict[str, Any], stack: str = "prod") -> dict[str, Any]:
    return {"stack": stack, "project": "estate", "resources": list(records), "outputs": {}}


def record(
    type_token: str, name: str, inputs: dict[str, Any], stack: str = "prod", **options: Any
) -> dict[str, Any]:
    return {
        "urn": urn_of(type_token, name, stack),
        "type": type_token,
        "name": name,
        "parent": None,
        "inputs": inputs,
        "options": {
            "protect": False,
            "retain_on_delete": False,
            "ignore_changes": [],
            "depends_on": [],
            "import_id": None,
            **options,
        },
    }


def test_runner_reports_policy_level_urn_problem_and_fix() -> None:
    plan = plan_document(
        record(SUPABASE_PROJECT, "db", {"name": "gstarlink-oms"}, protect=True),
        record(PAGES_PROJECT, "site", {"name": "gstarlink-handbook-public"}),
        record(
            ACCESS_APPLICATION, "gate", {"destinations": [{"uri": "gstarlink-handbook-public.pages.dev"}]}
        ),
    )
    violations = run_policies(plan)
    by_policy = {v.policy: v for v in violations}
    assert set(by_policy) == {"production-database-retained", "public-sites-not-gated"}
    retained = by_policy["production-database-retained"]
    assert (retained.enforcement_level, retained.urn, retained.mandatory) == (
        "mandatory",
        urn_of(SUPABASE_PROJECT, "db", "prod"),
        True,
    )
    assert "not retained on delete" in retained.message and "retain_on_delete=True" in retained.fix
    assert FIX_MARKER not in retained.message
    public = by_policy["public-sites-not-gated"]
    assert (public.enforcement_level, public.mandatory) == ("advisory", False)


def test_runner_honours_policy_config_and_default_level() -> None:
    plan = plan_document(record(VERCEL_ENV_VAR, "v", env_var("SHOPIFY_API_KEY", "[secret]", sensitive=False)))
    assert run_policies(plan) == []
    strict = run_policies(plan, config={"secrets-stay-secret": {"publicVariables": []}})
    assert [v.policy for v in strict] == ["secrets-stay-secret"]
    advisory = run_policies(
        plan,
        [p for p in POLICIES if p.name == "secrets-stay-secret"],
        default_level=EnforcementLevel.ADVISORY,
        config={"secrets-stay-secret": {"publicVariables": []}},
    )
    assert [v.enforcement_level for v in advisory] == ["advisory"]  # a policy without a level of its own


def test_runner_turns_an_unknown_value_into_an_advisory_as_the_analyzer_does() -> None:
    def reads_everything(args: StackValidationArgs, report: Any) -> None:
        for r in args.resources:
            _ = r.props["name"]

    probe = StackValidationPolicy(name="probe", description="reads names", validate=reads_everything)
    violations = run_policies(
        plan_document(record(VERCEL_PROJECT, "p", {"name": UNKNOWN_STRING_VALUE})), [probe]
    )
    assert [(v.policy, v.enforcement_level) for v in violations] == [("probe", "advisory")]
    assert "can't run during preview" in violations[0].message


def test_runner_skips_not_applicable_policies() -> None:
    def not_here(args: ResourceValidationArgs, report: Any) -> None:
        args.not_applicable("not here")

    skip = ResourceValidationPolicy(name="skip", description="never applies", validate=not_here)
    assert run_policies(plan_document(record(VERCEL_PROJECT, "p", {"name": "oms"})), [skip]) == []


def test_runner_links_parents_dependencies_and_providers() -> None:
    provider = record("pulumi:providers:github", "gh", {"owner": "gstarlink"})
    parent = record(REPOSITORY_GOVERNANCE_TYPE, "gov", {})
    child = record(BRANCH_PROTECTION, "bp", {"pattern": "main"}, depends_on=[parent["urn"]])
    child["parent"], child["provider"] = parent["urn"], provider["urn"] + "::provider-id"
    seen: dict[str, Any] = {}

    def inspect(args: StackValidationArgs, report: Any) -> None:
        bp = next(r for r in args.resources if r.name == "bp")
        seen.update(
            parent=bp.parent.name if bp.parent else None,
            deps=[d.name for d in bp.dependencies],
            provider=bp.provider.props["owner"] if bp.provider else None,
        )

    run_policies(
        plan_document(provider, parent, child),
        [StackValidationPolicy(name="i", description="i", validate=inspect)],
    )
    assert seen == {"parent": "gov", "deps": ["gov"], "provider": "gstarlink"}


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ([], "not an object"),
        ({"stack": "prod"}, "`resources` is missing"),
        ({"resources": {}}, "not a list"),
        (
            {"resources": [{"urn": 1, "type": "t", "name": "n", "inputs": {}}]},
            "resources[0].urn = 1: must be a string",
        ),
        ({"resources": [{"urn": "u", "type": "t", "name": "n"}]}, "resources[0].inputs is missing"),
    ],
)
def test_a_malformed_plan_document_is_refused_with_every_problem(document: Any, expected: str) -> None:
    problems = plan_document_problems(document)
    assert any(expected in p for p in problems), problems
    with pytest.raises(PlanDocumentError):
        run_policies(document)


# --- a pages.dev name Cloudflare suffixed (issue 13, point 2) ------------------------------------------------------

SUFFIXED = f"{INTERNAL}-5hx.pages.dev"


def suffixed_handbook(hosts: Sequence[str]) -> list[PolicyResource]:
    """The internal handbook whose name was taken on pages.dev: the engine knows its real subdomain."""
    site = [
        resource(PAGES_PROJECT, f"{INTERNAL}-project", {"name": INTERNAL, "subdomain": SUFFIXED}),
        resource(
            PAGES_DOMAIN, f"{INTERNAL}-domain", {"projectName": INTERNAL, "name": "handbook.gstarlink.com"}
        ),
    ]
    return [*site, access_app("handbook-access", hosts)]


def test_the_gate_is_judged_on_the_subdomain_cloudflare_assigned() -> None:
    assert (
        run_stack(
            "internal-sites-gated", suffixed_handbook(["handbook.gstarlink.com", SUFFIXED, f"*.{SUFFIXED}"])
        )
        == []
    )
    guessed = run_stack("internal-sites-gated", suffixed_handbook(INTERNAL_HOSTS))
    assert sorted(m.split(" ")[0] for m, _ in guessed) == sorted([SUFFIXED, f"*.{SUFFIXED}"]), guessed


def test_the_pages_cname_must_target_the_assigned_subdomain() -> None:
    site = suffixed_handbook([])[:2]
    record = {**PAGES_RECORD, "content": SUFFIXED}
    assert run_stack("dns-targets", [*site, resource(DNS_RECORD, "handbook-dns", record)]) == []
    found = run_stack("dns-targets", [*site, resource(DNS_RECORD, "handbook-dns", PAGES_RECORD)])
    assert any(f"not {SUFFIXED}" in message for message, _ in found), found


# --- issue 15 point 10: environments, last push, deploy tokens, workflow output ---------------------------------------

GOOD_ENVIRONMENT: dict[str, Any] = {
    "repository": "shopify-esim-system",
    "environment": "production",
    "deploymentBranchPolicy": {"protectedBranches": False, "customBranchPolicies": True},
}


def environment_setup(environment: Mapping[str, Any], *patterns: str) -> list[PolicyResource]:
    resources = [resource(REPOSITORY_ENVIRONMENT, "oms-environment", environment)]
    resources += [
        resource(
            DEPLOYMENT_POLICY,
            f"oms-deploy-branch-{i}",
            {
                "repository": environment["repository"],
                "branchPattern": pattern,
                "environment": environment["environment"],
            },
        )
        for i, pattern in enumerate(patterns)
    ]
    return resources


def test_an_environment_admitting_only_its_branch_passes() -> None:
    assert (
        run_stack("environments-admit-only-their-branch", environment_setup(GOOD_ENVIRONMENT, "main")) == []
    )
    staging = {**GOOD_ENVIRONMENT, "environment": "staging"}
    assert run_stack("environments-admit-only-their-branch", environment_setup(staging, "develop")) == []


@pytest.mark.parametrize(
    ("environment", "patterns", "expected"),
    [
        (
            {"deploymentBranchPolicy": {"protectedBranches": True, "customBranchPolicies": False}},
            ["main"],
            "admits all protected branches",
        ),
        ({"deploymentBranchPolicy": None}, [], "has no deployment branch policy"),
        ({}, ["main", "hotfix"], "admits 2 branch pattern(s)"),
        ({}, [], "admits 0 branch pattern(s)"),
        ({}, ["release/*"], "wildcard"),
        ({}, ["develop"], "production deploys only 'main'"),
        ({"environment": "staging"}, ["main"], "production's branch"),
    ],
)
def test_an_environment_admitting_more_than_its_branch_is_a_violation(
    environment: dict[str, Any], patterns: list[str], expected: str
) -> None:
    props = {k: v for k, v in {**GOOD_ENVIRONMENT, **environment}.items() if v is not None}
    found = run_stack("environments-admit-only-their-branch", environment_setup(props, *patterns))
    assert [expected in message for message, _ in found] == [True], found
    assert_has_fix([found[0][0]])


def deploy_token(
    name: str, groups: list[str], *, account: str = "a" * 32, scope: str | None = None
) -> PolicyResource:
    resources = json.dumps({scope or f"com.cloudflare.api.account.{account}": "*"})
    props = {
        "accountId": account,
        "name": name,
        "policies": [
            {"effect": "allow", "resources": resources, "permissionGroups": [{"id": g} for g in groups]}
        ],
    }
    return resource(ACCOUNT_TOKEN, name.split(":")[0].replace(" ", "-"), props)


def test_deploy_tokens_with_their_own_group_pass() -> None:
    tokens = [
        deploy_token("pages deploy: handbook", ["pages-write"]),
        deploy_token("wrangler deploy: chatbot", ["workers-write"]),
    ]
    assert run_stack("deploy-tokens-least-privilege", tokens) == []


def test_a_pages_token_that_can_write_workers_is_a_violation() -> None:
    tokens = [
        deploy_token("pages deploy: handbook", ["pages-write", "workers-write"]),
        deploy_token("wrangler deploy: chatbot", ["workers-write"]),
    ]
    found = [message for message, _ in run_stack("deploy-tokens-least-privilege", tokens)]
    assert any("holds 2 permission group(s)" in m for m in found), found
    assert any("of the wrangler deploy tokens" in m for m in found), found
    assert_has_fix(found)


def test_a_deploy_token_beyond_its_account_is_a_violation() -> None:
    tokens = [
        deploy_token("wrangler deploy: chatbot", ["workers-write"], scope="com.cloudflare.api.account.*")
    ]
    found = [message for message, _ in run_stack("deploy-tokens-least-privilege", tokens)]
    assert any("beyond its own account" in m for m in found), found


WORKFLOW = """
on: push
env:
  TOKEN: ${{ secrets.CLOUDFLARE_API_TOKEN }}
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: npx wrangler deploy
      - run: echo "${{ secrets.LLM_API_KEY }}" | npx wrangler secret put LLM_API_KEY
      - run: echo "ID=${{ secrets.ID }}" >> "$GITHUB_ENV"
"""


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        ('echo "token is $TOKEN"', "prints $TOKEN"),
        ("printf '%s' \"${TOKEN}\"", "prints $TOKEN"),
        ('echo "${{ secrets.LLM_API_KEY }}"', "prints ${{ secrets.LLM_API_KEY }}"),
        ('echo start && cat <<< "${{ secrets.X }}"', "prints ${{ secrets.X }}"),
        ("printenv", "printenv"),
        ("set -x\n  npx wrangler deploy", "set -x"),
    ],
)
def test_a_workflow_step_printing_a_secret_is_a_violation(step: str, expected: str) -> None:
    import yaml

    document = yaml.safe_load(WORKFLOW)
    document["jobs"]["deploy"]["steps"].append({"run": step})
    props = {
        "repository": "gstarlink-chatbot",
        "file": ".github/workflows/deploy.yml",
        "content": yaml.safe_dump(document),
    }
    found = run_resource("workflows-never-print-secrets", REPOSITORY_FILE, props)
    assert len(found) == 1 and expected in found[0], found
    assert_has_fix(found)
    clean = {**props, "content": WORKFLOW}
    assert run_resource("workflows-never-print-secrets", REPOSITORY_FILE, clean) == []
