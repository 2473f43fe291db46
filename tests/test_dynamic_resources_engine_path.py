"""Every dynamic resource both stacks register, driven the way the engine drives it, with the plan's own inputs.

The plan records which provider class the engine would run for each dynamic
resource (``dynamic_provider``). Each one is exercised through Pulumi's own
dynamic-provider server over gRPC (tests/dynamic_provider_server.py, shared with
tests/test_supabase_engine_path.py) with its planned inputs serialized as the
engine serializes them (numbers are floats in the plan already), against the fake
Management API and the fake GitHub git-data API (workflow delivery): check during the first preview (the project ref unknown), check,
create, the second ``up``'s diff against what create stored (must be no change),
read, update and delete. A dynamic type added to the estate is covered here
without a new test; one whose provider cannot take its planned inputs fails here.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest
from pulumi.dynamic import ResourceProvider

from tests.broken_providers import IntegersOnly
from tests.dynamic_provider_server import UNKNOWN, DynamicProviderServer, deserialize, secret, serialize
from tests.fake_github_api import FakeGitHubApi
from tests.fake_supabase_api import FakeSupabaseApi, legacy_keys
from tests.shared_plans import plan_of

TOKEN = "sbp_" + "0" * 36 + "canary"
VERBS = ("check (preview)", "check", "create", "diff (second up)", "read", "update", "delete")


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSupabaseApi]:
    with FakeSupabaseApi(TOKEN) as api:
        yield api


@pytest.fixture(scope="module")
def github() -> Iterator[FakeGitHubApi]:
    # The plan shows the delivery token as "[secret]"; the test sends it as offline-token-0Aa.
    with FakeGitHubApi("offline-token-0Aa") as api:
        yield api


@pytest.fixture(scope="module")
def server(fake: FakeSupabaseApi, github: FakeGitHubApi) -> Iterator[DynamicProviderServer]:
    environment = {
        "SUPABASE_ACCESS_TOKEN": TOKEN,
        "SUPABASE_API_URL": fake.base_url,
        "ESTATE_GITHUB_API_URL": github.base_url,
    }
    with DynamicProviderServer(environment) as running:
        yield running


def provider_of(record: dict[str, Any]) -> ResourceProvider:
    dotted = record.get("dynamic_provider")
    assert isinstance(dotted, str), f"{record['name']}: the plan does not say which provider the engine runs"
    module, _, name = dotted.rpartition(".")
    provider = getattr(importlib.import_module(module), name)()
    assert isinstance(provider, ResourceProvider)
    return provider


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_every_dynamic_resource_passes_every_verb_through_the_engine_path(
    stack: str, server: DynamicProviderServer, fake: FakeSupabaseApi, github: FakeGitHubApi
) -> None:
    records = [r for r in plan_of(stack)["resources"] if r["type"].startswith("pulumi-python:dynamic")]
    assert records, f"{stack} registers no dynamic resource"
    exercised: dict[str, set[str]] = {}
    for record in records:
        provider = provider_of(record)
        # A secret the plan cannot show reaches the provider as the engine sends secrets: wrapped.
        inputs: dict[str, Any] = {
            key: secret(f"offline-{key}-0Aa") if value == "[secret]" else value
            for key, value in record["inputs"].items()
        }
        if isinstance(inputs.get("organization_slug"), str):
            fake.organizations.add(inputs["organization_slug"])
        ref = inputs.get("project_ref")
        if isinstance(ref, str) and ref not in fake.projects:
            project = fake.add_project(ref, api_keys=legacy_keys(f"anon-{ref}", f"service-{ref}"))
            project.addons["compute_instance"] = "ci_small"  # PITR needs Small compute or larger
        if record["type"].endswith(":DeliveryBranch"):  # the app repository, with its deploy branch
            full_name = f"{inputs['owner']}/{inputs['repository']}"
            if full_name not in github.repositories:
                _ = github.add_repository(full_name, {"README.md": "app\n"})
            refs = github.repositories[full_name].refs
            refs.setdefault(
                str(inputs["base"]), refs["main"]
            )  # the deploy branch RepositoryGovernance creates
        urn, name, done = record["urn"], record["name"], exercised.setdefault(record["type"], set())

        preview = {**inputs, "project_ref": UNKNOWN} if "project_ref" in inputs else inputs
        assert server.check(urn, serialize(provider, {}), serialize(provider, preview)).failures == [], (
            f"{name}: check fails in the first preview, when the project ref is not known yet"
        )
        done.add("check (preview)")
        checked = server.check(urn, serialize(provider, {}), serialize(provider, inputs))
        assert checked.failures == [], f"{name}: check refuses the planned inputs: {checked.failures}"
        done.add("check")
        id_, outputs = server.create(urn, checked.inputs)
        assert id_, f"{name}: create returned no ID"
        done.add("create")
        second = server.diff(urn, id_, outputs, checked.inputs)
        assert (second.changes, second.replaces) == ("none", []), (
            f"{name}: the second up would change it again ({second.changes}, replaces {second.replaces})"
        )
        done.add("diff (second up)")
        read_id, refreshed, _ = server.read(urn, id_, outputs)
        assert read_id == id_, f"{name}: read after create lost the resource"
        done.add("read")
        updated = server.update(urn, id_, refreshed, checked.inputs)
        assert deserialize(updated), f"{name}: update returned no state"
        done.add("update")
        server.delete(urn, id_, updated)
        done.add("delete")
    missing = {type_: sorted(set(VERBS) - verbs) for type_, verbs in exercised.items() if set(VERBS) - verbs}
    assert not missing, missing


def test_the_engine_path_catches_a_provider_that_only_takes_python_ints(
    server: DynamicProviderServer,
) -> None:
    """What calling the provider in-process with ints could not show: the engine sends floats and unknowns."""
    [auth] = [r for r in plan_of("prod")["resources"] if r["type"].endswith(":AuthSettings")][:1]
    broken = IntegersOnly()
    preview = {**auth["inputs"], "project_ref": UNKNOWN}
    failures = server.check(auth["urn"], serialize(broken, {}), serialize(broken, preview)).failures
    assert {name for name, _ in failures} >= {"password_min_length", "project_ref"}
