"""`SupabaseProject` through the engine's path (pulumi.dynamic's gRPC server) against the fake API.

What pulumi-supabase 1.1.2's Project got wrong, each as a test: a refresh during an outage must
keep the project; every setting change is applied (or replaces, which production's `protect`
refuses); create waits for a healthy project and never duplicates one; staging can be deleted.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

import grpc
import pytest
from google.protobuf import struct_pb2

from policies.resource_types import SUPABASE_PROJECT as PROJECT
from providers.supabase_management.project import SupabaseProjectProvider
from providers.supabase_management.wire import is_secret, reveal
from tests.dynamic_provider_server import (
    UNKNOWN,
    DynamicProviderServer,
    deserialize,
    secret,
    serialize,
    urn,
)
from tests.fake_supabase_api import FakeProject, FakeSupabaseApi

TOKEN = "sbp_canary0token0do0not0print0000000000000"
PASSWORD = "canary-db-password-0000000000000000000000"
ORG = "gstarlink-org"
# No real sleeping in the child process: health polls back to back.
PROVIDER = SupabaseProjectProvider(poll_interval_seconds=0.0, health_timeout_seconds=5.0)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSupabaseApi]:
    with FakeSupabaseApi(TOKEN) as api:
        yield api


@pytest.fixture(scope="module")
def server(fake: FakeSupabaseApi) -> Iterator[DynamicProviderServer]:
    with DynamicProviderServer(
        {"SUPABASE_ACCESS_TOKEN": TOKEN, "SUPABASE_API_URL": fake.base_url}
    ) as running:
        yield running


@pytest.fixture(autouse=True)
def clean(fake: FakeSupabaseApi) -> None:
    fake.projects.clear()
    fake.requests.clear()
    fake.clear_failures()
    fake.organizations = {ORG, "fancrush-org"}
    fake.coming_up_polls = 2


def inputs(**overrides: object) -> dict[str, object]:
    return {
        "name": "gstarlink-oms",
        "organization_slug": ORG,
        "region": "eu-central-1",
        "instance_size": "small",
        "db_pass": secret(PASSWORD),
        **overrides,
    }


def create(
    server: DynamicProviderServer, resource: str = "oms", **overrides: object
) -> tuple[str, struct_pb2.Struct]:
    checked = server.check(
        urn(PROJECT, resource), serialize(PROVIDER, {}), serialize(PROVIDER, inputs(**overrides))
    )
    assert checked.failures == []
    return server.create(urn(PROJECT, resource), checked.inputs)


def test_check_in_preview_accepts_an_unknown_password_and_names_bad_keys(
    server: DynamicProviderServer,
) -> None:
    reply = server.check(
        urn(PROJECT, "oms"), serialize(PROVIDER, {}), serialize(PROVIDER, inputs(db_pass=UNKNOWN))
    )
    assert reply.failures == []
    bad = server.check(
        urn(PROJECT, "oms"),
        serialize(PROVIDER, {}),
        serialize(PROVIDER, inputs(region="mars-1", instance_size="huge", db_pass=secret("x"))),
    )
    assert sorted(name for name, _ in bad.failures) == ["db_pass", "instance_size", "region"]
    assert all("x'" not in reason for _, reason in bad.failures)  # the password is never quoted


def test_create_sends_the_current_body_and_waits_until_healthy(
    server: DynamicProviderServer, fake: FakeSupabaseApi
) -> None:
    ref, outputs = create(server)
    post = fake.calls("POST")[0]
    assert post.path == "/v1/projects"
    body = cast(dict[str, object], post.body)
    assert {k: v for k, v in body.items() if k != "db_pass"} == {
        "name": "gstarlink-oms",
        "organization_slug": ORG,
        "region": "eu-central-1",
        "desired_instance_size": "small",
    }
    assert "organization_id" not in body and "plan" not in body
    project = fake.projects[ref]
    assert project.status == "ACTIVE_HEALTHY" and project.db_password == PASSWORD
    assert any(r.path.endswith("/health") for r in fake.requests)
    recorded = deserialize(outputs)
    assert recorded["status"] == "ACTIVE_HEALTHY"
    assert (recorded["pooler_host"], recorded["pooler_port"], recorded["pooler_user"]) == (
        "aws-0-eu-central-1.pooler.supabase.com",
        6543,
        f"postgres.{ref}",
    )
    assert is_secret(recorded["db_pass"]) and reveal(recorded["db_pass"]) == PASSWORD


def test_create_never_returns_an_unhealthy_project(
    server: DynamicProviderServer, fake: FakeSupabaseApi
) -> None:
    fake.coming_up_polls = 10_000
    impatient = SupabaseProjectProvider(poll_interval_seconds=0.05, health_timeout_seconds=0.3)
    checked = server.check(urn(PROJECT, "oms"), serialize(impatient, {}), serialize(impatient, inputs()))
    with pytest.raises(grpc.RpcError) as info:
        _ = server.create(urn(PROJECT, "oms"), checked.inputs)
    details = str(info.value.details())  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownArgumentType]
    assert "not healthy" in details and "adopts the project by name" in details and PASSWORD not in details
    # The next `up` adopts the half-created project instead of making a second one.
    fake.coming_up_polls = 0
    for project in fake.projects.values():
        project.coming_up_polls, project.status = 1, "COMING_UP"
    ref, _ = create(server)
    assert len(fake.projects) == 1 and ref in fake.projects and len(fake.calls("POST")) == 1


def test_create_adopts_a_project_of_the_same_name(
    server: DynamicProviderServer, fake: FakeSupabaseApi
) -> None:
    existing = FakeProject(
        ref="existingprojectrefab",
        name="gstarlink-oms",
        organization_slug=ORG,
        addons={"compute_instance": "ci_micro"},
    )
    fake.projects[existing.ref] = existing
    ref, _ = create(server)
    assert ref == existing.ref and fake.calls("POST") == []
    assert existing.db_password == PASSWORD and existing.addons["compute_instance"] == "ci_small"


def test_every_setting_change_is_applied_or_replaces(
    server: DynamicProviderServer, fake: FakeSupabaseApi
) -> None:
    ref, outputs = create(server)
    same = serialize(PROVIDER, inputs())
    assert server.diff(urn(PROJECT, "oms"), ref, outputs, same).changes == "none"
    for key, value in (
        ("name", "gstarlink-oms-2"),
        ("instance_size", "medium"),
        ("db_pass", secret("new-password-1")),
    ):
        diff = server.diff(urn(PROJECT, "oms"), ref, outputs, serialize(PROVIDER, inputs(**{key: value})))
        assert (diff.changes, diff.replaces) == ("some", []), key
    for key, value in (("region", "us-east-1"), ("organization_slug", "fancrush-org")):
        diff = server.diff(urn(PROJECT, "oms"), ref, outputs, serialize(PROVIDER, inputs(**{key: value})))
        assert (diff.changes, diff.replaces, diff.delete_before_replace) == ("some", [key], True), key

    news = serialize(
        PROVIDER, inputs(name="gstarlink-oms-2", instance_size="medium", db_pass=secret("new-password-1"))
    )
    updated = deserialize(server.update(urn(PROJECT, "oms"), ref, outputs, news))
    project = fake.projects[ref]
    assert (project.name, project.addons["compute_instance"], project.db_password) == (
        "gstarlink-oms-2",
        "ci_medium",
        "new-password-1",
    )
    assert updated["instance_size"] == "medium" and reveal(updated["db_pass"]) == "new-password-1"


def test_read_reports_drift_and_keeps_the_password(
    server: DynamicProviderServer, fake: FakeSupabaseApi
) -> None:
    ref, outputs = create(server)
    fake.projects[ref].name = "renamed-in-dashboard"
    read_id, refreshed, read_inputs = server.read(urn(PROJECT, "oms"), ref, outputs)
    assert read_id == ref and deserialize(refreshed)["name"] == "renamed-in-dashboard"
    assert reveal(deserialize(read_inputs)["db_pass"]) == PASSWORD
    assert server.diff(urn(PROJECT, "oms"), ref, read_inputs, serialize(PROVIDER, inputs())).changes == "some"


def test_a_refresh_during_an_outage_keeps_every_project(
    server: DynamicProviderServer, fake: FakeSupabaseApi
) -> None:
    """The daily drift job refreshes: 401, 429 and 503 must fail the refresh, never drop a project."""
    state = {name: create(server, name, name=f"gstarlink-{name}") for name in ("oms", "esim-hub", "talkline")}
    fake.organizations.clear()  # and a 404 the token cannot vouch for (wrong account) is no proof either
    for status, times in ((401, 1), (429, 20), (503, 20), (404, 1)):
        for name, (ref, outputs) in list(state.items()):
            fake.fail_next(status, times=times, retry_after="0")
            try:
                read_id, refreshed, _ = server.read(urn(PROJECT, name), ref, outputs)
            except grpc.RpcError:
                continue  # the engine keeps the resource when a read fails
            finally:
                fake.clear_failures()
            if read_id:
                state[name] = (read_id, refreshed)
            else:
                del state[name]
    assert sorted(state) == ["esim-hub", "oms", "talkline"]


def test_a_deleted_project_reads_as_gone_when_the_token_sees_its_organization(
    server: DynamicProviderServer, fake: FakeSupabaseApi
) -> None:
    ref, outputs = create(server)
    del fake.projects[ref]
    assert server.read(urn(PROJECT, "oms"), ref, outputs)[0] == ""


def test_staging_can_be_destroyed(server: DynamicProviderServer, fake: FakeSupabaseApi) -> None:
    ref, outputs = create(server, "oms-staging", name="gstarlink-oms-staging")
    server.delete(urn(PROJECT, "oms-staging", stack="staging"), ref, outputs)
    assert ref not in fake.projects
    server.delete(urn(PROJECT, "oms-staging", stack="staging"), ref, outputs)  # already gone: fine


def test_the_settings_offer_exactly_the_sizes_the_provider_creates_with() -> None:
    """The settings' compute-size type is written out for the type checker; it must stay the provider's list."""
    from typing import get_args

    from providers.supabase_management.project import INSTANCE_SIZES
    from stacks.settings import SupabaseComputeSize

    assert get_args(SupabaseComputeSize) == INSTANCE_SIZES
