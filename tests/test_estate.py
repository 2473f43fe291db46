"""The resource graphs of both stacks against what the seed documents require."""

from __future__ import annotations

import json
import re
import sys

import pytest

from policies.resource_types import PULL_REQUEST, WORKERS_SCRIPT
from tests.plan_queries import (
    ACCESS_APPLICATION,
    ACCESS_POLICY,
    BRANCH_PROTECTION,
    DEPLOYMENT_POLICY,
    DNS_RECORD,
    ENVIRONMENT_SECRET,
    ENVIRONMENT_VARIABLE,
    PAGES_DOMAIN,
    PAGES_PROJECT,
    SUPABASE_AUTH,
    SUPABASE_PITR,
    SUPABASE_PROJECT,
    VERCEL_DOMAIN,
    VERCEL_ENV,
    VERCEL_PROJECT,
    Plan,
    hostnames,
    named,
    of_type,
    under,
)

PROD_HOSTS = {
    "oms.gstarlink.com",
    "esim.gstarlink.com",
    "handbook.gstarlink.com",
    "docs.gstarlink.com",
    "chat.gstarlink.com",
    "talkline.fancrush.com",
}
REPOSITORIES = {
    "shopify-esim-system",
    "esim-hub",
    "gstarlink-handbook",
    "gstarlink-chatbot",
    "fancrush-talkline",
}


@pytest.fixture(params=["prod", "staging"])
def plan(request: pytest.FixtureRequest) -> Plan:
    return request.getfixturevalue(f"{request.param}_plan")


# --- hosting and domains -------------------------------------------------------------------------


def test_prod_serves_the_documented_hosts(prod_plan: Plan) -> None:
    assert hostnames(prod_plan) == PROD_HOSTS, "prod must serve exactly the seeds' hosts"


def test_staging_hosts_are_staging_only(staging_plan: Plan) -> None:
    hosts = hostnames(staging_plan)
    assert hosts.isdisjoint(PROD_HOSTS), f"staging serves production hosts: {hosts & PROD_HOSTS}"
    for host in hosts:
        assert host.split(".")[0].endswith("-staging"), f"staging host {host} lacks the -staging label"


def test_oms_on_vercel_tracks_main_with_its_domain(prod_plan: Plan) -> None:
    project = named(prod_plan, "oms-vercel-project")["inputs"]
    assert project["name"] == "oms", "oms-vercel-project: project name"
    assert project["framework"] == "nextjs", "oms-vercel-project: Next.js"
    assert project["gitRepository"] == {
        "type": "github",
        "repo": "gstarlink/shopify-esim-system",
        "productionBranch": "main",
    }, "oms-vercel-project: linked to its repository, main → production"
    assert named(prod_plan, "oms-vercel-domain-oms.gstarlink.com")["inputs"]["domain"] == "oms.gstarlink.com"


def test_vercel_dns_points_at_vercel_unproxied(plan: Plan) -> None:
    vercel_hosts = {r["inputs"]["domain"] for r in of_type(plan, VERCEL_DOMAIN)}
    assert vercel_hosts, "expected Vercel domains"
    for record in of_type(plan, DNS_RECORD):
        inputs = record["inputs"]
        if inputs["name"] in vercel_hosts:
            assert (inputs["type"], inputs["content"]) == ("CNAME", "cname.vercel-dns.com"), record["name"]
            assert inputs["proxied"] is False, (
                f"{record['name']}: Vercel must see the record to issue certificates"
            )


def test_prod_project_builds_previews_and_staging_does_not(prod_plan: Plan, staging_plan: Plan) -> None:
    for project in of_type(prod_plan, VERCEL_PROJECT):
        inputs = project["inputs"]
        assert inputs["previewDeploymentsDisabled"] is False, (
            f"{project['name']}: prod builds feature previews"
        )
    # Which branch builds where: tests/test_vercel_builds.py runs each project's ignore command.
    for project in of_type(staging_plan, VERCEL_PROJECT):
        inputs = project["inputs"]
        assert inputs["previewDeploymentsDisabled"] is True, (
            f"{project['name']}: no second preview per branch"
        )
        assert inputs["name"].endswith("-staging"), f"{project['name']}: staging project name"


def test_talkline_staging_follows_gitflow_develop(staging_plan: Plan) -> None:
    project = named(staging_plan, "talkline-vercel-project")["inputs"]
    assert project["gitRepository"]["productionBranch"] == "develop", "talkline staging deploys develop"
    protection = named(staging_plan, "talkline-repository-protection")["inputs"]
    assert protection["pattern"] == "develop", "talkline-repository-protection protects develop"


def test_previews_are_behind_vercel_authentication(plan: Plan) -> None:
    for project in of_type(plan, VERCEL_PROJECT):
        auth = project["inputs"]["vercelAuthentication"]["deploymentType"]
        assert auth == "standard_protection_new", f"{project['name']}: previews need login"


# --- the handbook: two Pages projects, one gated -----------------------------------------------


def test_handbook_pages_projects_and_their_domains(prod_plan: Plan) -> None:
    internal = named(prod_plan, "handbook-handbook-project")["inputs"]
    public = named(prod_plan, "handbook-docs-project")["inputs"]
    assert internal["name"] == "gstarlink-handbook-internal"
    assert internal["productionBranch"] == "main"
    assert public["name"] == "gstarlink-handbook-public"
    assert named(prod_plan, "handbook-handbook-domain")["inputs"]["name"] == "handbook.gstarlink.com"
    assert named(prod_plan, "handbook-docs-domain")["inputs"]["name"] == "docs.gstarlink.com"


def test_pages_dns_is_proxied_to_pages_dev(plan: Plan) -> None:
    # The pages.dev host Cloudflare assigned (the provider's `subdomain` output), never one built from the name.
    subdomains = {r["inputs"]["name"]: r["outputs"]["subdomain"] for r in of_type(plan, PAGES_PROJECT)}
    for domain in of_type(plan, PAGES_DOMAIN):
        record = next(r for r in of_type(plan, DNS_RECORD) if r["inputs"]["name"] == domain["inputs"]["name"])
        target = record["inputs"]["content"]
        assert target == subdomains[domain["inputs"]["projectName"]], (
            f"{record['name']}: CNAME to the project's subdomain"
        )
        assert record["inputs"]["proxied"] is True, f"{record['name']}: Pages custom domains are proxied"


def test_pages_ignore_deploy_owned_config(plan: Plan) -> None:
    for project in of_type(plan, PAGES_PROJECT):
        assert project["options"]["ignore_changes"] == ["deploymentConfigs"], (
            f"{project['name']}: deploys own deployment_configs (pulumi-cloudflare#925)"
        )


def _access_uris(plan: Plan) -> dict[str, set[str]]:
    return {
        app["name"]: {d["uri"] for d in app["inputs"]["destinations"]}
        for app in of_type(plan, ACCESS_APPLICATION)
    }


@pytest.mark.parametrize(
    ("stack", "project", "host"),
    [
        ("prod", "gstarlink-handbook-internal", "handbook.gstarlink.com"),
        ("staging", "gstarlink-handbook-internal-staging", "handbook-staging.gstarlink.com"),
    ],
)
def test_internal_handbook_gated_on_all_three_host_kinds(
    request: pytest.FixtureRequest, stack: str, project: str, host: str
) -> None:
    plan: Plan = request.getfixturevalue(f"{stack}_plan")
    gate = named(plan, "handbook-handbook-access")
    uris = {d["uri"] for d in gate["inputs"]["destinations"]}
    # The custom domain's gate lives in the zone's account (stacks/cloudflare_accounts.py).
    if stack == "staging":
        uris |= {d["uri"] for d in named(plan, "handbook-handbook-domain-access")["inputs"]["destinations"]}
    [pages] = [r for r in of_type(plan, PAGES_PROJECT) if r["inputs"]["name"] == project]
    subdomain = pages["outputs"]["subdomain"]  # as Cloudflare assigned it
    assert uris == {host, subdomain, f"*.{subdomain}"}, (
        "handbook-handbook-access must cover the custom domain, the pages.dev name and its previews"
    )
    assert gate["inputs"]["type"] == "self_hosted"
    policy = named(plan, "gstarlink-internal-access-policy")
    [attached] = gate["inputs"]["policies"]
    assert attached["precedence"] == 1 and attached["id"], (
        "handbook-handbook-access attaches the reusable policy"
    )
    assert policy["inputs"]["decision"] == "allow", "the reusable policy allows, it does not bypass"
    assert policy["inputs"]["includes"] == [{"emailDomain": {"domain": "gstarlink.com"}}], (
        "allow list from config"
    )
    assert any(dep.endswith("::handbook-handbook-domain") for dep in gate["options"]["depends_on"]), (
        "the custom domain is attached before Access covers it (Pages known issue)"
    )


def test_access_bypasses_only_certificate_validation(prod_plan: Plan) -> None:
    bypass = named(prod_plan, "handbook-handbook-acme-bypass")["inputs"]
    assert [d["uri"] for d in bypass["destinations"]] == [
        "handbook.gstarlink.com/.well-known/acme-challenge/*"
    ]
    assert bypass["policies"][0]["decision"] == "bypass"


def test_public_docs_site_has_no_gate(plan: Plan) -> None:
    public_hosts = {r["inputs"]["name"] for r in under(plan, "handbook-docs") if r["type"] == PAGES_DOMAIN}
    public_project = named(plan, "handbook-docs-project")["inputs"]["name"]
    for name, uris in _access_uris(plan).items():
        for uri in uris:
            host = uri.split("/")[0].removeprefix("*.")
            assert host not in public_hosts and public_project not in host, (
                f"{name} gates the public site at {uri}"
            )
    assert not [r for r in under(plan, "handbook-docs") if r["type"] == ACCESS_APPLICATION]


def test_one_reusable_access_policy_per_gating_account(plan: Plan) -> None:
    policies = of_type(plan, ACCESS_POLICY)
    accounts = [p["inputs"]["accountId"] for p in policies]
    assert len(accounts) == len(set(accounts)), "the allow list is declared once per account"
    # Staging gates its projects' pages.dev hosts in its own account and its custom domains in the zone's.
    assert len(policies) == (1 if plan["stack"] == "prod" else 2)
    assert len({json.dumps(p["inputs"]["includes"]) for p in policies}) == 1, "the same allow list everywhere"


# --- chatbot worker ------------------------------------------------------------------------------


def test_chatbot_worker_owns_domain_token_and_secrets_not_code(plan: Plan) -> None:
    env = "production" if plan["stack"] == "prod" else "staging"
    script = "gstarlink-chatbot" if env == "production" else "gstarlink-chatbot-staging"
    entry = next(
        r
        for r in under(plan, "chatbot")
        if r["name"] in ("chatbot-worker-domain", "chatbot-worker-workers-dev")
    )
    assert entry["inputs"].get("service", entry["inputs"].get("scriptName")) == script, (
        "routes to the wrangler-deployed script"
    )
    [script] = [r for r in under(plan, "chatbot") if r["type"] == WORKERS_SCRIPT]
    assert {"content", "bindings"} <= set(script["options"]["ignore_changes"]), "wrangler owns the code"
    secrets = {
        r["inputs"]["secretName"]
        for r in under(plan, "chatbot-repository")
        if r["type"] == ENVIRONMENT_SECRET
    }
    assert {"CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ACCOUNT_ID", "LLM_API_KEY"} <= secrets, "deploy credentials"
    variables = {
        r["inputs"]["variableName"]: r["inputs"]["value"]
        for r in under(plan, "chatbot-repository")
        if r["type"] == ENVIRONMENT_VARIABLE
    }
    assert variables["WRANGLER_ENV"] == env
    token = named(plan, "chatbot-worker-deploy-token")["inputs"]
    account = (
        "5f1c0a8e9b2d4c6e8a0b1c2d3e4f5a6b" if env == "production" else "9d3b5f7a1c2e4a6b8d0f1a3c5e7b9d2f"
    )
    assert json.loads(token["policies"][0]["resources"]) == {f"com.cloudflare.api.account.{account}": "*"}, (
        "chatbot-worker-deploy-token is limited to the account of this stack's Workers"
    )


# --- Supabase per environment -------------------------------------------------------------------


def test_prod_databases_are_protected_and_retained(prod_plan: Plan) -> None:
    projects = of_type(prod_plan, SUPABASE_PROJECT)
    assert {p["inputs"]["name"] for p in projects} == {
        "gstarlink-oms",
        "gstarlink-esim-hub",
        "fancrush-talkline",
    }
    for project in projects:
        assert project["options"]["protect"] and project["options"]["retain_on_delete"], (
            f"{project['name']}: deleting a Supabase project deletes its backups"
        )
    assert len(of_type(prod_plan, SUPABASE_PITR)) == 3, "production has point-in-time recovery"


def test_staging_databases_are_its_own(prod_plan: Plan, staging_plan: Plan) -> None:
    prod_names = {p["inputs"]["name"] for p in of_type(prod_plan, SUPABASE_PROJECT)}
    staging = of_type(staging_plan, SUPABASE_PROJECT)
    assert {p["inputs"]["name"] for p in staging}.isdisjoint(prod_names), "staging has its own projects"
    for project in staging:
        assert not project["options"]["protect"], f"{project['name']}: staging can be destroyed alone"
    assert not of_type(staging_plan, SUPABASE_PITR), "no PITR on staging"


def test_auth_redirects_stay_in_their_environment(plan: Plan) -> None:
    hosts = hostnames(plan)
    for auth in of_type(plan, SUPABASE_AUTH):
        urls = [auth["inputs"]["site_url"], *auth["inputs"]["additional_redirect_urls"]]
        for url in urls:
            host = url.removeprefix("https://").split("/")[0]
            assert host in hosts, f"{auth['name']}: redirect to {url} outside this stack's hosts"


@pytest.mark.parametrize("app", ["oms", "esim-hub", "talkline"])
def test_app_env_is_wired_to_its_own_database(plan: Plan, app: str) -> None:
    database = named(plan, f"{app}-database-project")["urn"]
    keys = named(plan, f"{app}-database-api-keys")["urn"]
    env = {r["inputs"]["key"]: r for r in under(plan, f"{app}-vercel") if r["type"] == VERCEL_ENV}
    assert database in env["DATABASE_URL"]["options"]["depends_on"], f"{app}: DATABASE_URL from its database"
    assert keys in env["NEXT_PUBLIC_SUPABASE_ANON_KEY"]["options"]["depends_on"], (
        f"{app}: anon key from its project"
    )
    assert env["SUPABASE_SERVICE_ROLE_KEY"]["inputs"]["sensitive"] is True, f"{app}: service key is sensitive"
    assert env["DATABASE_URL"]["inputs"]["sensitive"] is True, f"{app}: DATABASE_URL is sensitive"
    assert env["NEXT_PUBLIC_SUPABASE_ANON_KEY"]["inputs"]["targets"] == ["production"]
    migrations = {
        r["inputs"]["secretName"]: r
        for r in under(plan, f"{app}-repository")
        if r["type"] == ENVIRONMENT_SECRET
    }
    assert database in migrations["SUPABASE_DB_URL"]["options"]["depends_on"], f"{app}: migrations target"
    # Migrations use the environment's database password; no account-wide Supabase token is delivered.
    assert "SUPABASE_ACCESS_TOKEN" not in migrations, f"{app}: an account-wide token in the app repository"


def test_secrets_are_sensitive_env_vars(plan: Plan) -> None:
    secret_keys = {
        "SHOPIFY_API_SECRET",
        "SHOPIFY_WEBHOOK_SECRET",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "TWILIO_AUTH_TOKEN",
        "VAPI_API_KEY",
        "DATABASE_URL",
        "SUPABASE_SERVICE_ROLE_KEY",
    }
    found = set()
    for variable in of_type(plan, VERCEL_ENV):
        inputs = variable["inputs"]
        if inputs["key"] in secret_keys:
            found.add(inputs["key"])
            assert inputs["sensitive"] is True, f"{variable['name']}: secret must be sensitive"
            assert inputs["value"] == "[secret]", f"{variable['name']}: secret must be a Pulumi secret"
            assert "development" not in inputs["targets"], (
                f"{variable['name']}: Vercel refuses sensitive dev vars"
            )
    assert found == secret_keys, f"missing secret env vars: {secret_keys - found}"


def test_prod_previews_get_no_production_data_access(prod_plan: Plan) -> None:
    # Previews read staging's public Supabase settings (tests/test_preview_data.py), nothing else.
    public = {"NEXT_PUBLIC_APP_ENV", "NEXT_PUBLIC_SUPABASE_URL", "NEXT_PUBLIC_SUPABASE_ANON_KEY"}
    for variable in of_type(prod_plan, VERCEL_ENV):
        inputs = variable["inputs"]
        if set(inputs["targets"]) & {"preview", "development"}:
            assert inputs["key"] in public, f"{variable['name']}: previews get no keys or data"
            assert inputs["sensitive"] is False, f"{variable['name']}: previews get no production secret"


# --- repositories -------------------------------------------------------------------------------


def test_every_deploy_branch_is_protected(plan: Plan) -> None:
    protections = {r["inputs"]["repositoryId"]: r for r in of_type(plan, BRANCH_PROTECTION)}
    assert set(protections) == REPOSITORIES, "one protection per repository and stack"
    deploy_branches = {
        r["inputs"]["repository"]: r["inputs"]["branchPattern"] for r in of_type(plan, DEPLOYMENT_POLICY)
    }
    for repository, protection in protections.items():
        inputs = protection["inputs"]
        name = protection["name"]
        assert inputs["pattern"] == deploy_branches[repository], f"{name}: protects the branch that deploys"
        assert inputs["enforceAdmins"] is True, f"{name}: admins included"
        assert inputs["allowsForcePushes"] is False, f"{name}: no force push"
        assert inputs["allowsDeletions"] is False, f"{name}: no deletion"
        reviews = inputs["requiredPullRequestReviews"][0]
        assert reviews["requiredApprovingReviewCount"] >= 1, (
            f"{name}: PR reviewed by at least one other person"
        )
        assert reviews["dismissStaleReviews"] is True, f"{name}: stale reviews dismissed"
        checks = inputs["requiredStatusChecks"][0]
        assert checks["strict"] is True and checks["contexts"], f"{name}: required status checks"


def test_prod_protects_main_and_staging_its_branches(prod_plan: Plan, staging_plan: Plan) -> None:
    assert {r["inputs"]["pattern"] for r in of_type(prod_plan, BRANCH_PROTECTION)} == {"main"}
    assert {r["inputs"]["pattern"] for r in of_type(staging_plan, BRANCH_PROTECTION)} == {
        "staging",
        "develop",
    }


def test_deploy_secrets_live_in_the_stacks_environment(plan: Plan) -> None:
    env = "production" if plan["stack"] == "prod" else "staging"
    for secret in of_type(plan, ENVIRONMENT_SECRET):
        assert secret["inputs"]["environment"] == env, f"{secret['name']}: scoped to the {env} environment"
        assert secret["inputs"]["value"] == "[secret]", f"{secret['name']}: value is a Pulumi secret"
    handbook = {
        r["inputs"]["secretName"]
        for r in under(plan, "handbook-repository")
        if r["type"] == ENVIRONMENT_SECRET
    }
    assert {"CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ACCOUNT_ID"} <= handbook, "handbook deploys to Pages"


def test_workflows_are_proposed_by_pull_request(plan: Plan) -> None:
    branch = "main" if plan["stack"] == "prod" else None
    for pr in of_type(plan, PULL_REQUEST):
        assert pr["inputs"]["headRef"].startswith("estate/"), pr["name"]
        if branch:
            assert pr["inputs"]["baseRef"] == branch, f"{pr['name']}: into the protected deploy branch"


# --- the stacks own only their own resources ------------------------------------------------------


def test_staging_never_mentions_production_names(prod_plan: Plan, staging_plan: Plan) -> None:
    import json

    text = json.dumps(staging_plan["resources"])
    for host in PROD_HOSTS:
        assert f'"{host}' not in text and f"//{host}" not in text, (
            f"staging references production host {host}"
        )
    for auth in of_type(prod_plan, SUPABASE_AUTH):
        ref = auth["inputs"]["project_ref"]
        assert ref not in text, f"staging references production Supabase project {ref} ({auth['name']})"
    for name in ("gstarlink-handbook-internal", "gstarlink-handbook-public"):
        projects = {r["inputs"]["name"] for r in of_type(staging_plan, PAGES_PROJECT)}
        assert name not in projects, f"staging declares production Pages project {name}"


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_no_deprecated_resource_or_argument(stack: str) -> None:
    from tests.shared_plans import plan_of, plan_warnings

    # (package, class) of each type: the component estate:access:AccessPolicy is not cloudflare's AccessPolicy.
    used = {(r["type"].split(":")[0], r["type"].split(":")[-1]) for r in plan_of(stack)["resources"]}
    for warning in plan_warnings(stack):
        message = str(warning.message)
        assert "This attribute is deprecated" not in message, f"deprecated argument used: {message}"
    # The SDKs announce their deprecated types once per process, in whichever stack's run first loads them.
    for warning in plan_warnings("prod") + plan_warnings("staging"):
        message = str(warning.message)
        if "has been deprecated" in message:
            # e.g. "cloudflare.index/accesspolicy.AccessPolicy has been deprecated in favor of ..."
            deprecated = message.split(" has been deprecated")[0]
            package, kind = deprecated.split(".")[0], deprecated.split(".")[-1]
            assert (package, kind) not in used, f"deprecated resource type used: {message}"


def _sdk_class(token: str) -> type:
    """The SDK class that registers ``token`` (``cloudflare:index/dnsRecord:DnsRecord``, ``pulumi:providers:github``)."""
    package, module, name = token.split(":")
    if package == "pulumi" and module == "providers":
        package, name = name, "Provider"
    elif not module.startswith("index/"):
        raise AssertionError(f"{token}: not a top-level resource of its SDK; teach this test its module")
    sdk = next(
        (sys.modules[m] for m in (f"pulumi_{package}", f"pulumiverse_{package}") if m in sys.modules), None
    )
    assert sdk is not None, f"{token}: its SDK is not imported"
    return getattr(sdk, name)


def test_type_check_catches_a_misspelled_provider_argument(prod_plan: Plan, staging_plan: Plan) -> None:
    """The test command's type check really bites on provider arguments, shown without re-running it.

    ``make test`` runs basedpyright (``make typecheck``) over the program with call issues as errors,
    and every provider resource the stacks create is declared by its SDK with typed overloads that
    name each argument and take no ``**kwargs``: a misspelled argument (``contnet=`` for
    ``content=``) matches no overload, which is a call issue.
    """
    import inspect
    import tomllib
    import typing

    from estate.engine import PROJECT_DIR

    settings = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())["tool"]["basedpyright"]
    assert settings["reportCallIssue"] == "error", settings
    assert {"__main__.py", "components", "stacks", "providers"} <= set(settings["include"]), settings[
        "include"
    ]
    assert settings.get("venv") == ".venv", "the type check must resolve the pinned SDKs in .venv"
    makefile = (PROJECT_DIR / "Makefile").read_text()
    assert re.search(r"^test:.*\btypecheck\b", makefile, re.MULTILINE), "make test must run the type check"
    assert re.search(r"^typecheck:.*\n\t.*basedpyright", makefile, re.MULTILINE), makefile

    # Every provider resource and provider of both stacks (components and dynamic resources are the program's own).
    used = {
        r["type"]
        for plan in (prod_plan, staging_plan)
        for r in plan["resources"]
        # The engine's own StackReference (a read) takes only its name: pulumi.StackReference(name, stack_name).
        if not r["type"].startswith(("estate:", "pulumi-python:dynamic")) and not r.get("read")
    }
    assert DNS_RECORD in used, sorted(used)
    for token in sorted(used):
        overloads = [
            inspect.signature(o).parameters for o in typing.get_overloads(_sdk_class(token).__init__)
        ]
        assert len(overloads) == 2 and sum("args" in o for o in overloads) == 1, (
            f"{token}: expected the SDK's two typed constructor overloads (keywords, or one Args object)"
        )
        for parameters in overloads:
            kinds = {p.kind for p in parameters.values()}
            assert not kinds & {inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL}, (
                f"{token}: an overload takes *args/**kwargs, so a misspelled argument would type-check"
            )
    dns_record = typing.get_overloads(_sdk_class(DNS_RECORD).__init__)
    keywords = next(
        inspect.signature(o).parameters for o in dns_record if "args" not in inspect.signature(o).parameters
    )
    assert "content" in keywords and "contnet" not in keywords
