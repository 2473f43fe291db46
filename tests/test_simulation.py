"""The simulated `up` bites: each check on broken copies of the real estate's plans.

Every test takes a copy of a real plan (tests/conftest.py), breaks it the way a
defect would (several are the defects the Supabase and Cloudflare/Vercel/GitHub
audits found), and asserts that the check names the resource, the property or
the missing dependency. The copies are broken whatever today's code does, so
the tests keep biting after the estate is fixed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from estate import first_up, schema_check, second_up
from estate.models.cloudflare import (
    DNS_RECORD,
    HEALTHCHECK,
    NOTIFICATION_POLICY,
    NOTIFICATION_WEBHOOKS,
    WORKERS_CUSTOM_DOMAIN,
    WORKERS_SCRIPT,
    WORKERS_SCRIPT_SUBDOMAIN,
)
from estate.models.github import BRANCH, PULL_REQUEST
from estate.models.supabase import AUTH_SETTINGS
from estate.simulation import check
from tests.plan_queries import (
    ACCESS_APPLICATION,
    ACCOUNT_TOKEN,
    PAGES_DOMAIN,
    PAGES_PROJECT,
    SUPABASE_PROJECT,
    Plan,
    Resource,
    of_type,
)
from tests.shared_plans import plan_of

PROJECT_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture
def prod() -> Plan:
    """A private copy of the prod plan, to break."""
    return plan_of("prod")


@pytest.fixture
def staging() -> Plan:
    return plan_of("staging")


def first(plan: Plan, type_: str, where: Callable[[Resource], bool] = lambda _: True) -> Resource:
    found = [r for r in of_type(plan, type_) if where(r)]
    assert found, f"the plan has no {type_} to break"
    return found[0]


def schema_problems(plan: Plan, resource: Resource) -> list[str]:
    return [str(v) for v in schema_check.check_plan(plan)[0] if v.urn == resource["urn"]]


def unmet(plan: Plan, resource: Resource) -> list[first_up.UnmetPrecondition]:
    return [u for u in first_up.check_plan(plan)[0] if u.urn == resource["urn"]]


def diffs(plan: Plan, resource: Resource) -> list[second_up.PerpetualDiff]:
    return [d for d in second_up.check_plan(plan)[0] if d.urn == resource["urn"]]


# --- schema ------------------------------------------------------------------------------------


def test_schema_catches_ignore_changes_that_names_no_property(prod: Plan) -> None:
    """Issue #12: `ignore_changes=["dbPass"]` on pulumi-supabase's Project guards nothing (the property is db_pass)."""
    project = first(prod, SUPABASE_PROJECT)
    project["type"] = "supabase:index:Project"  # the pulumi-supabase resource the estate used to declare
    project["options"]["ignore_changes"] = ["dbPass"]
    [problem] = [p for p in schema_problems(prod, project) if "ignore_changes" in p]
    assert "'dbPass'" in problem and "db_pass" in problem and "guards nothing" in problem
    project["options"]["ignore_changes"] = ["db_pass"]
    assert not [p for p in schema_problems(prod, project) if "ignore_changes" in p]


def test_schema_catches_unknown_missing_mistyped_and_disallowed_values(prod: Plan) -> None:
    record = first(prod, DNS_RECORD)
    del record["inputs"]["zoneId"]
    record["inputs"]["contnet"] = "x.example.com"
    record["inputs"]["type"] = "ALIAS"
    problems = schema_problems(prod, record)
    assert any("`zoneId` is required" in p for p in problems), problems
    assert any("`contnet` is not a property" in p and "did you mean content" in p for p in problems), problems
    assert any('`type` = "ALIAS" is not an allowed value' in p and '"CNAME"' in p for p in problems), problems

    health = first(prod, HEALTHCHECK)
    health["inputs"]["interval"] = "60"
    assert any("`interval` is a string" in p and "wants integer" in p for p in schema_problems(prod, health))
    health["inputs"]["interval"] = 60.0  # the engine's float for an integer is fine
    assert not any("interval" in p for p in schema_problems(prod, health))


def test_schema_reads_available_values_from_descriptions(prod: Plan) -> None:
    """Cloudflare lists allowed values only as "Available values: ..." in descriptions."""
    policy = first(prod, NOTIFICATION_POLICY)
    policy["inputs"]["alertType"] = "pages_event"
    [problem] = schema_problems(prod, policy)
    assert '"pages_event_alert"' in problem and '"dos_attack_l7"' in problem


def test_schema_checks_nested_objects_and_deprecations(prod: Plan) -> None:
    project = first(prod, PAGES_PROJECT)
    project["inputs"]["buildConfig"] = {**project["inputs"].get("buildConfig", {}), "outputDir": "dist"}
    assert any("`buildConfig.outputDir` is not a property" in p for p in schema_problems(prod, project))
    access = first(prod, ACCESS_APPLICATION)
    access["inputs"]["selfHostedDomains"] = ["handbook.gstarlink.com"]
    assert any("`selfHostedDomains` is deprecated" in p for p in schema_problems(prod, access))


def test_schema_catches_a_type_the_provider_does_not_have(prod: Plan) -> None:
    record = first(prod, DNS_RECORD)
    record["type"] = "cloudflare:index/dnsRecords:DnsRecords"
    [problem] = schema_problems(prod, record)
    assert "does not exist in cloudflare" in problem


# --- first up ----------------------------------------------------------------------------------


def test_first_up_catches_a_guessed_pages_dev_target(prod: Plan) -> None:
    """Issue #13.2: the CNAME and Access must use PagesProject.subdomain, not `<name>.pages.dev`."""
    project = first(prod, PAGES_PROJECT)
    record = first(prod, DNS_RECORD, lambda r: str(r["inputs"].get("content", "")).endswith(".pages.dev"))
    record["inputs"]["content"] = f"{project['inputs']['name']}.pages.dev"
    [problem] = [u for u in unmet(prod, record) if u.fact == "pages-subdomain"]
    assert problem.key == f"{project['inputs']['name']}.pages.dev" and not problem.provider_urns


def test_first_up_catches_a_webhook_destination_created_before_its_endpoint(prod: Plan) -> None:
    """Issue #13.4: Cloudflare POSTs to a destination when it is created; the relay must be live first."""
    relay = first(prod, NOTIFICATION_WEBHOOKS, lambda r: ".workers.dev/" in str(r["inputs"].get("url")))
    relay["options"]["depends_on"] = []
    found = {u.fact: u for u in unmet(prod, relay)}
    assert {"worker-script", "workers-dev"} <= set(found)
    script = first(prod, WORKERS_SCRIPT)
    assert script["urn"] in found["worker-script"].provider_urns, "names the resource it must wait for"
    assert first(prod, WORKERS_SCRIPT_SUBDOMAIN)["urn"] in found["workers-dev"].provider_urns


def test_first_up_catches_a_custom_domain_for_a_worker_nobody_creates(prod: Plan) -> None:
    """Issue #13.7: a fresh environment has no Worker until something creates it.

    (Production's: staging's Workers answer on workers.dev of their own account, no custom domain.)
    """
    domain = first(prod, WORKERS_CUSTOM_DOMAIN)
    service = domain["inputs"]["service"]
    prod["resources"] = [
        r
        for r in prod["resources"]
        if not (r["type"] == WORKERS_SCRIPT and r["inputs"].get("scriptName") == service)
    ]
    [problem] = [u for u in unmet(prod, domain) if u.fact == "worker-script"]
    assert problem.key == service and not problem.provider_urns
    assert "nothing in this stack creates it" in str(problem)


def test_first_up_catches_a_branch_cut_from_a_branch_that_may_not_exist(staging: Plan) -> None:
    """Issue #13.15: `staging`/`develop` may be missing; cutting from a missing branch fails."""
    branch = first(staging, BRANCH)
    repository = branch["inputs"]["repository"]
    branch["inputs"]["sourceBranch"] = "release-candidate"
    [problem] = [u for u in unmet(staging, branch) if u.fact == "branch"]
    assert problem.key == f"{repository}:release-candidate"
    branch["inputs"]["sourceBranch"] = "main"  # the default branch exists before the first up
    assert not [u for u in unmet(staging, branch) if u.fact == "branch"]


def test_first_up_catches_configuration_of_a_project_not_known_healthy(prod: Plan) -> None:
    """Issue #12.2: nothing may configure a Supabase project before it is healthy."""
    auth = first(prod, AUTH_SETTINGS)
    auth["options"]["depends_on"] = []
    prod["resources"] = [r for r in prod["resources"] if r is auth or r["urn"] != auth.get("parent")]
    [problem] = [u for u in unmet(prod, auth) if u.fact == "supabase-project-healthy"]
    assert problem.key == auth["inputs"]["project_ref"]


def test_first_up_catches_access_on_a_pages_domain_not_attached_yet(prod: Plan) -> None:
    gated = {
        d.get("uri") for r in of_type(prod, ACCESS_APPLICATION) for d in r["inputs"].get("destinations", [])
    }
    domain = first(prod, PAGES_DOMAIN, lambda r: r["inputs"]["name"] in gated)
    access = first(
        prod,
        ACCESS_APPLICATION,
        lambda r: any(d.get("uri") == domain["inputs"]["name"] for d in r["inputs"].get("destinations", [])),
    )
    access["options"]["depends_on"] = []
    [problem] = [u for u in unmet(prod, access) if u.fact == "pages-domain"]
    assert problem.provider_urns == (domain["urn"],)


def test_a_dependency_on_a_component_covers_everything_in_it(prod: Plan) -> None:
    relay = first(prod, NOTIFICATION_WEBHOOKS, lambda r: ".workers.dev/" in str(r["inputs"].get("url")))
    relay_component = first(prod, WORKERS_SCRIPT)["parent"]
    relay["options"]["depends_on"] = [relay_component]
    assert not [u for u in unmet(prod, relay) if u.fact in ("worker-script", "workers-dev")]


# --- second up ---------------------------------------------------------------------------------


def test_second_up_catches_maintainer_can_modify_on_a_same_repository_pr(prod: Plan) -> None:
    """Issue #13.13: GitHub reports false; sending true updates on every run."""
    pr = first(prod, PULL_REQUEST)
    pr["inputs"]["maintainerCanModify"] = True
    pr["stored_differently"] = []
    [diff] = diffs(prod, pr)
    assert (diff.path, diff.action, diff.sent, diff.stored) == ("maintainerCanModify", "update", True, False)
    pr["options"]["ignore_changes"] = ["maintainerCanModify"]
    assert not diffs(prod, pr), "ignore_changes excuses the property"


def test_second_up_catches_token_resources_sent_as_spaced_json(prod: Plan) -> None:
    """Issue #13.3: the provider stores the API's compact JSON."""
    token = first(prod, ACCOUNT_TOKEN)
    token["stored_differently"] = []
    account = token["inputs"]["accountId"]
    token["inputs"]["policies"][0]["resources"] = json.dumps({f"com.cloudflare.api.account.{account}": "*"})
    [diff] = diffs(prod, token)
    assert (
        diff.path == "policies[0].resources"
        and diff.stored == f'{{"com.cloudflare.api.account.{account}":"*"}}'
    )
    token["inputs"]["policies"][0]["resources"] = diff.stored
    assert not diffs(prod, token)


def test_second_up_catches_a_slack_url_that_carries_its_secret(prod: Plan) -> None:
    """Issue #13.5: Cloudflare keeps the secret part of a Slack URL apart from `url`."""
    hook = first(prod, NOTIFICATION_WEBHOOKS)
    hook["inputs"] = {**hook["inputs"], "url": "https://hooks.slack.com/services/T0/B0/notarealsecret"}
    hook["inputs"].pop("secret", None)
    hook["stored_differently"] = []
    [diff] = diffs(prod, hook)
    assert diff.path == "url" and diff.stored == "https://hooks.slack.com/services/T0/B0"


def test_second_up_reports_a_replacement_where_the_property_replaces(prod: Plan) -> None:
    pr = first(prod, PULL_REQUEST)
    pr["stored_differently"] = ["headRef"]
    [diff] = [d for d in diffs(prod, pr) if d.path == "headRef"]
    assert diff.action == "replace"


def test_second_up_trusts_a_provider_whose_diff_never_reports_changes(prod: Plan) -> None:
    """pulumi-supabase 1.1.2 keeps no password in its outputs, but its Diff answers DIFF_NONE."""
    project = first(prod, SUPABASE_PROJECT)
    assert not diffs(prod, project)  # the estate's own project resource: a second up changes nothing
    project["type"] = "supabase:index:Project"
    project["stored_differently"] = ["db_pass"]
    assert not diffs(prod, project)


# --- the summary -------------------------------------------------------------------------------


def test_findings_summarise_every_check_in_one_line(prod: Plan) -> None:
    pr = first(prod, PULL_REQUEST)
    pr["inputs"]["maintainerCanModify"] = True
    findings = check(prod)
    line = findings.summary()
    assert line.startswith("prod FAILS: ") and "\n" not in line
    for part in ("resources", "schema:", "first up:", "second up:", "policies:"):
        assert part in line, line
    document = findings.to_json()
    assert document["passed"] is False and document["summary"] == line
    assert any(c["urn"] == pr["urn"] for c in document["second_up"]["changes"])


@pytest.mark.usefixtures("shared_plans")
def test_simulate_command_prints_the_summary_and_fails_on_findings(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from estate.cli import main

    code = main(["simulate", "--stack", "staging", "--format", "json"])
    captured = capsys.readouterr()
    document: dict[str, Any] = json.loads(captured.out)
    assert code == (0 if document["passed"] else 1), captured.err
    assert document["summary"].startswith("staging ")


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_every_dynamic_resource_names_the_code_the_engine_runs(
    stack: str, prod_plan: Plan, staging_plan: Plan
) -> None:
    plan = prod_plan if stack == "prod" else staging_plan
    for resource in plan["resources"]:
        if resource["type"].startswith("pulumi-python:dynamic"):
            assert str(resource.get("dynamic_provider", "")).startswith("providers."), resource["name"]


def test_estate_plan_ends_with_the_summary_and_fails_on_a_finding(
    prod: Plan, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse
    import copy

    import estate.engine
    import estate.plan
    from estate.plan_document import PlanDocument

    pr = first(prod, PULL_REQUEST)
    pr["inputs"]["maintainerCanModify"] = True
    monkeypatch.setattr(estate.engine, "run_plan", lambda stack: PlanDocument.from_json(copy.deepcopy(prod)))

    assert estate.plan.handle(argparse.Namespace(stack=["prod"], format="tree", quiet=False)) == 1
    captured = capsys.readouterr()
    last = captured.out.strip().splitlines()[-1]
    assert last.startswith("prod FAILS: ") and "second up:" in last, (
        "the plan's last line says what was checked"
    )
    assert pr["urn"] in captured.err and "maintainerCanModify" in captured.err

    assert estate.plan.handle(argparse.Namespace(stack=["prod"], format="json", quiet=False)) == 1
    captured = capsys.readouterr()
    checks = json.loads(captured.out)["checks"]
    assert checks["summary"] == captured.err.strip().splitlines()[-1] and checks["passed"] is False
    assert pr["urn"] in {change["urn"] for change in checks["second_up"]["changes"]}


def test_estate_plan_plans_several_stacks_in_one_process_and_fails_on_any_finding(
    prod: Plan, staging: Plan, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`make plan` plans prod and staging in one process: each ends with its line, any finding fails."""
    import argparse
    import copy

    import estate.engine
    import estate.plan
    from estate.plan_document import PlanDocument

    pr = first(staging, PULL_REQUEST)
    pr["inputs"]["maintainerCanModify"] = True
    plans = {"prod": prod, "staging": staging}
    planned: list[str] = []

    def run_plan(stack: str) -> PlanDocument:
        planned.append(stack)
        return PlanDocument.from_json(copy.deepcopy(plans[stack]))

    monkeypatch.setattr(estate.engine, "run_plan", run_plan)
    args = argparse.Namespace(stack=["prod", "staging"], format="tree", quiet=True)
    assert estate.plan.handle(args) == 1, "a finding in the second stack fails the whole run"
    assert planned == ["prod", "staging"]
    summaries = [
        line for line in capsys.readouterr().out.splitlines() if " passes: " in line or " FAILS: " in line
    ]
    assert [line.split(" ", 1)[0] for line in summaries] == ["prod", "staging"]
    assert summaries[0].startswith("prod passes: ") and summaries[1].startswith("staging FAILS: ")

    json_args = argparse.Namespace(stack=["prod", "staging"], format="json", quiet=False)
    assert estate.plan.handle(json_args) == 2, "one JSON document per stack: several stacks are refused"
    assert "--format json plans one stack" in capsys.readouterr().err


def test_make_plan_plans_both_stacks_in_one_process() -> None:
    """The README's plan command imports the SDKs once for both stacks (the plan-speed budget)."""
    recipe = (PROJECT_DIR / "Makefile").read_text().split("\nplan:", 1)[1].split("\n\n", 1)[0]
    commands = [line.strip() for line in recipe.splitlines()[1:] if line.startswith("\t")]
    assert commands == ["$(PY) -m estate plan --stack prod --stack staging"]


def test_make_plan_and_test_import_the_project_compiled() -> None:
    """The Makefile's promise: `compile` covers every package of the project, and plan and test run it first."""
    import re

    makefile = (PROJECT_DIR / "Makefile").read_text()
    sources = re.search(r"^SOURCES := (.*)$", makefile, re.MULTILINE)
    assert sources, "the Makefile names the project's packages in SOURCES"
    packages = {path.parent.name for path in PROJECT_DIR.glob("*/__init__.py")}
    assert set(sources[1].split()) == packages
    assert re.search(r"^compile:.*\n\t@\$\(PY\) -m compileall -q \$\(SOURCES\)$", makefile, re.MULTILINE)
    for target in ("plan", "test"):
        assert re.search(rf"^{target}:.*\bcompile\b", makefile, re.MULTILINE), f"make {target} compiles first"


def test_collection_keeps_rewritten_test_modules_and_tests_run_with_the_interpreters_setting() -> None:
    """conftest's promise: pytest's rewrite of each test module is kept for the next run, even where
    PYTHONDONTWRITEBYTECODE is set, and the tests themselves run with the interpreter's own setting."""
    import sys

    from _pytest.assertion.rewrite import PYC_TAIL

    source = Path(__file__)
    rewritten = source.parent / "__pycache__" / (source.stem + PYC_TAIL)
    assert rewritten.exists() and rewritten.stat().st_mtime >= source.stat().st_mtime, rewritten
    assert sys.dont_write_bytecode == bool(sys.flags.dont_write_bytecode)
