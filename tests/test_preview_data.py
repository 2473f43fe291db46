"""Previews of the production Vercel projects read staging's public Supabase settings (issue #12 point 7).

The prod stack reads the staging stack through a ``pulumi.StackReference``;
offline, the mock answers it with the offline plan of staging, as the engine
answers it with staging's last ``up``. Values are compared with what staging's
own plan exported and what its own Supabase projects are, never with a value
the mock derived from the same input.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from estate.first_up import check_plan as first_up_check
from estate.first_up import stacks_to_up_first
from estate.models.pulumi import (
    StackReferenceError,
    offline_stack,
    parse_reference,
    secret_output_names,
)
from estate.schema_check import check_resource
from estate.sdk_internals import is_secret
from estate.simulation import check
from policies.resource_types import STACK_REFERENCE
from stacks.staging_reference import (
    PREVIEW_SUPABASE_ANON_KEYS,
    PREVIEW_SUPABASE_URLS,
    StagingReferenceError,
    StagingSupabase,
    staging_stack_name,
)
from tests.plan_queries import SUPABASE_PROJECT, VERCEL_ENV, Plan, Resource, named, of_type, under
from tests.shared_plans import shared_run

APPS_WITH_DATA = ("oms", "esim-hub", "talkline")
PUBLIC_PREVIEW_KEYS = {"NEXT_PUBLIC_SUPABASE_URL", "NEXT_PUBLIC_SUPABASE_ANON_KEY"}


def _plain(value: Any) -> Any:
    """A deserialized property value without the RPC layer's secret markers."""
    if isinstance(value, Mapping):
        if is_secret(value):
            return _plain(value["value"])
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class FreshRun:
    """``run_plan("prod")`` then ``run_plan("staging")`` in a process that has planned nothing yet: the session's
    shared run of prod (tests/shared_plans.py), which the engine makes with its caches emptied."""

    values: dict[str, str]  # every Vercel variable's value as the provider would receive it, by resource name
    runs: tuple[str, ...]  # the stacks whose program ran, in call order
    staging_outputs: dict[str, Any]  # what a reference to staging reads (secrets unwrapped)
    prod: Plan
    staging: Plan


@pytest.fixture(scope="module")
def fresh() -> FreshRun:
    """The plan shows Vercel values as "[secret]" (pulumiverse_vercel makes every value a secret); the shared
    run recorded each registration's inputs under the same mocks."""
    prod, staging = shared_run("prod"), shared_run("staging")
    assert prod.program_runs == staging.program_runs, "staging's plan came from prod's run"
    values = {
        name: _plain(inputs).get("value")
        for (typ, name), inputs in prod.registered.items()
        if typ == VERCEL_ENV
    }
    return FreshRun(values, prod.program_runs, _plain(staging.published), prod.plan, staging.plan)


@pytest.fixture(scope="module")
def prod_values(fresh: FreshRun) -> dict[str, str]:
    return fresh.values


def preview_variables(plan: Plan, app: str) -> dict[str, Resource]:
    return {
        r["inputs"]["key"]: r
        for r in under(plan, f"{app}-vercel")
        if r["type"] == VERCEL_ENV and set(r["inputs"]["targets"]) & {"preview", "development"}
    }


def reference(plan: Plan) -> Resource:
    found = of_type(plan, STACK_REFERENCE)
    assert len(found) == 1, "the prod stack reads staging through one StackReference"
    return found[0]


# --- what staging exports ---------------------------------------------------------------------------------------------


def test_staging_exports_its_public_supabase_settings(staging_plan: Plan) -> None:
    refs = {app: named(staging_plan, f"{app}-database-project")["id"] for app in APPS_WITH_DATA}
    exported = staging_plan["outputs"]
    assert exported[PREVIEW_SUPABASE_URLS] == {app: f"https://{ref}.supabase.co" for app, ref in refs.items()}
    assert exported[PREVIEW_SUPABASE_ANON_KEYS] == "[secret]", "the anon keys are one secret output"
    readable = offline_stack("estate", "staging")
    assert readable is not None
    keys = _plain(readable[PREVIEW_SUPABASE_ANON_KEYS])
    assert set(keys) == set(APPS_WITH_DATA) and all(key.startswith("eyJ") for key in keys.values())


def test_prod_exports_nothing_for_previews(prod_plan: Plan) -> None:
    assert not {PREVIEW_SUPABASE_URLS, PREVIEW_SUPABASE_ANON_KEYS} & set(prod_plan["outputs"])


# --- how prod reads it ------------------------------------------------------------------------------------------------


def test_prod_references_the_staging_stack_by_its_fully_qualified_diy_name(
    prod_plan: Plan, staging_plan: Plan
) -> None:
    record = reference(prod_plan)
    assert (
        record["inputs"] == {"name": "organization/estate/staging"} == {"name": staging_stack_name("estate")}
    )
    assert record["id"] == "organization/estate/staging" and record["read"] is True
    assert parse_reference(record["inputs"]["name"], "estate") == ("estate", "staging")
    # What the engine's readStackReference answers: staging's outputs, and the names of those holding secrets.
    outputs = record["outputs"]
    assert outputs["outputs"][PREVIEW_SUPABASE_URLS] == staging_plan["outputs"][PREVIEW_SUPABASE_URLS]
    assert PREVIEW_SUPABASE_ANON_KEYS in outputs["secretOutputNames"]
    assert PREVIEW_SUPABASE_URLS not in outputs["secretOutputNames"]
    assert outputs["secretOutputNames"] == sorted(outputs["secretOutputNames"])
    assert not of_type(staging_plan, STACK_REFERENCE), "staging reads no other stack"


@pytest.mark.parametrize("app", APPS_WITH_DATA)
def test_previews_get_staging_s_url_and_anon_key(
    prod_plan: Plan, staging_plan: Plan, fresh: FreshRun, prod_values: dict[str, str], app: str
) -> None:
    previews = preview_variables(prod_plan, app)
    for key in PUBLIC_PREVIEW_KEYS:
        variable = previews[key]
        assert variable["inputs"]["targets"] == ["preview"], (
            f"{app}.{key}: previews only (local dev uses .env.local)"
        )
        assert variable["inputs"]["sensitive"] is False, (
            f"{app}.{key}: public, readable in the Vercel dashboard"
        )
        assert reference(prod_plan)["urn"] in variable["options"]["depends_on"], (
            f"{app}.{key}: from the reference"
        )
    staging_ref = named(staging_plan, f"{app}-database-project")["id"]
    assert prod_values[previews["NEXT_PUBLIC_SUPABASE_URL"]["name"]] == f"https://{staging_ref}.supabase.co"
    staging_anon = fresh.staging_outputs[PREVIEW_SUPABASE_ANON_KEYS][app]
    assert prod_values[previews["NEXT_PUBLIC_SUPABASE_ANON_KEY"]["name"]] == staging_anon
    assert previews["NEXT_PUBLIC_SUPABASE_ANON_KEY"]["inputs"]["value"] == "[secret]", (
        "the anon key stays a secret"
    )


@pytest.mark.parametrize("app", APPS_WITH_DATA)
def test_previews_get_no_production_value_and_no_server_credential(
    prod_plan: Plan, prod_values: dict[str, str], app: str
) -> None:
    previews = preview_variables(prod_plan, app)
    assert set(previews) == PUBLIC_PREVIEW_KEYS | {"NEXT_PUBLIC_APP_ENV"}, (
        f"{app}: no service-role key, no DATABASE_URL"
    )
    own = {
        r["urn"] for r in prod_plan["resources"] if r["type"].startswith("pulumi-python:dynamic/supabase:")
    }
    production_values = {
        prod_values[r["name"]]
        for r in under(prod_plan, f"{app}-vercel")
        if r["type"] == VERCEL_ENV and r["inputs"]["targets"] == ["production"]
    }
    prod_refs = {r["id"] for r in of_type(prod_plan, SUPABASE_PROJECT)}
    for key, variable in previews.items():
        assert not own & set(variable["options"]["depends_on"]), (
            f"{app}.{key}: taken from a production database"
        )
        value = prod_values[variable["name"]]
        assert value not in production_values, f"{app}.{key}: a production target's value"
        assert not any(ref in value for ref in prod_refs), f"{app}.{key}: points at a production project"


@pytest.mark.parametrize("app", APPS_WITH_DATA)
def test_the_production_target_keeps_production_s_database(
    prod_plan: Plan, prod_values: dict[str, str], app: str
) -> None:
    production = {
        r["inputs"]["key"]: r
        for r in under(prod_plan, f"{app}-vercel")
        if r["type"] == VERCEL_ENV and r["inputs"]["targets"] == ["production"]
    }
    prod_ref = named(prod_plan, f"{app}-database-project")["id"]
    assert prod_values[production["NEXT_PUBLIC_SUPABASE_URL"]["name"]] == f"https://{prod_ref}.supabase.co"
    keys = named(prod_plan, f"{app}-database-api-keys")["urn"]
    for key in ("NEXT_PUBLIC_SUPABASE_ANON_KEY", "SUPABASE_SERVICE_ROLE_KEY"):
        assert keys in production[key]["options"]["depends_on"], f"{app}.{key}: from production's own project"
        assert reference(prod_plan)["urn"] not in production[key]["options"]["depends_on"]


def test_a_missing_staging_export_names_the_fix() -> None:
    pick = StagingSupabase.__new__(StagingSupabase)
    pick._stack_name = "organization/estate/staging"  # pyright: ignore[reportPrivateUsage]
    with pytest.raises(StagingReferenceError, match=r"pulumi up --stack staging"):
        pick._pick("oms", PREVIEW_SUPABASE_URLS)(None)  # pyright: ignore[reportPrivateUsage]
    with pytest.raises(StagingReferenceError, match=r"preview_supabase_urls\['oms'\]"):
        pick._pick("oms", PREVIEW_SUPABASE_URLS)({"talkline": "https://x.supabase.co"})  # pyright: ignore[reportPrivateUsage]


# --- the engine's rules, offline --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("estate/staging", "organization name must be 'organization'"),
        ("acme/estate/staging", "organization name must be 'organization'"),
        ("organization/estate/staging/x", "could not parse"),
        ("organization//staging", "could not parse"),
    ],
)
def test_a_name_the_diy_backend_cannot_parse_is_refused(name: str, problem: str) -> None:
    with pytest.raises(StackReferenceError, match=problem):
        parse_reference(name, "estate")
    record = {
        "urn": "urn:pulumi:prod::estate::pulumi:pulumi:StackReference::s",
        "type": STACK_REFERENCE,
        "custom": True,
        "inputs": {"name": name},
    }
    assert any(problem in str(v) for v in check_resource(record))


def test_the_schema_check_applies_the_engine_s_own_check(prod_plan: Plan) -> None:
    record = dict(reference(prod_plan))
    assert check_resource(record) == []
    extra = {**record, "inputs": {**record["inputs"], "outputs": {}}}
    assert [v.property for v in check_resource(extra)] == ["outputs"], "the engine refuses any input but name"
    assert [v.property for v in check_resource({**record, "inputs": {}})] == ["name"]


def test_a_reference_to_a_stack_without_an_offline_plan_fails_like_an_unknown_stack() -> None:
    with pytest.raises(StackReferenceError, match="no offline plan"):
        secret_output_names(None, {"name": "organization/estate/nowhere"})


def test_prod_s_first_up_comes_after_staging_s(prod_plan: Plan, staging_plan: Plan) -> None:
    assert stacks_to_up_first(prod_plan) == ["staging"]
    assert stacks_to_up_first(staging_plan) == []
    assert first_up_check(prod_plan)[0] == []
    findings = check(prod_plan)
    assert findings.first_up_after == ["staging"] and "(after staging is up)" in findings.summary()


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("organization/estate/prod", "its own outputs"),
        ("organization/estate/qa", "no stack qa"),
        ("organization/other/staging", "names project other"),
    ],
)
def test_a_reference_no_earlier_up_can_satisfy_is_an_unmet_first_up_precondition(
    prod_plan: Plan, name: str, reason: str
) -> None:
    plan = dict(prod_plan)
    plan["resources"] = [
        ({**r, "inputs": {"name": name}} if r["type"] == STACK_REFERENCE else r)
        for r in prod_plan["resources"]
    ]
    unmet, _ = first_up_check(plan)
    assert [u.fact for u in unmet] == ["stack-up"] and reason in str(unmet[0])
    assert stacks_to_up_first(plan) == []


def test_reads_never_reach_the_policy_pack(prod_plan: Plan) -> None:
    from estate.policy_runner import policy_resources

    assert STACK_REFERENCE not in {r.resource_type for r in policy_resources(prod_plan)}


def test_a_referenced_stack_is_planned_first_and_once_per_process(fresh: FreshRun) -> None:
    # prod's run plans staging before it registers anything; staging's own plan is then that one, reused.
    assert sorted(fresh.runs) == ["prod", "staging"], "make plan (prod, then staging): one run of each"
    read = reference(fresh.prod)["outputs"]["outputs"][PREVIEW_SUPABASE_URLS]
    assert read == fresh.staging["outputs"][PREVIEW_SUPABASE_URLS]
