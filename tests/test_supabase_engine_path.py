"""The Supabase dynamic providers driven as the engine drives them.

Each test talks gRPC to the SDK's own dynamic-provider server (`python -m pulumi.dynamic`, see
tests/dynamic_provider_server.py) with inputs serialized as the engine serializes them: numbers
as floats, values not known yet as the unknown sentinel, secrets wrapped, the pickled provider in
`__provider`. The server calls the fake Management API (tests/fake_supabase_api.py) on 127.0.0.1.
Injected 429/5xx answers carry `Retry-After: 0` so the child process never sleeps.
"""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest

from policies.resource_types import SUPABASE_API_KEYS, SUPABASE_AUTH_SETTINGS, SUPABASE_PITR
from providers.supabase_management.resources import (
    AuthSettingsProvider,
    PointInTimeRecoveryProvider,
    ProjectApiKeysProvider,
)
from tests.dynamic_provider_server import (
    UNKNOWN,
    DynamicProviderServer,
    deserialize,
    secret,
    serialize,
    urn,
)
from tests.fake_supabase_api import FakeSupabaseApi, legacy_keys

TOKEN = "sbp_canary0token0do0not0print0000000000000"
ANON_KEY = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.anon-canary-signature"
SERVICE_KEY = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.service-canary-signature"
REF = "abcdefghijklmnopqrst"

AUTH = urn(SUPABASE_AUTH_SETTINGS, "oms-database-auth")
PITR = urn(SUPABASE_PITR, "oms-database-pitr")
KEYS = urn(SUPABASE_API_KEYS, "oms-database-api-keys")


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
def project(fake: FakeSupabaseApi) -> None:
    fake.projects.clear()
    fake.requests.clear()
    _ = fake.add_project(REF, api_keys=legacy_keys(ANON_KEY, SERVICE_KEY))


def auth_inputs(**overrides: object) -> dict[str, object]:
    return {
        "project_ref": REF,
        "site_url": "https://oms.gstarlink.com",
        "additional_redirect_urls": ["https://oms.gstarlink.com/**"],
        "disable_signup": False,
        "mailer_autoconfirm": False,
        "password_min_length": 10,
        **overrides,
    }


def test_check_in_preview_accepts_unknown_project_ref_and_float_numbers(
    server: DynamicProviderServer,
) -> None:
    """The first preview of a new database: the project ref is unknown and 10 arrives as 10.0."""
    provider = AuthSettingsProvider()
    reply = server.check(AUTH, serialize(provider, {}), serialize(provider, auth_inputs(project_ref=UNKNOWN)))
    assert reply.failures == []
    for check_provider, inputs, name in (
        (PointInTimeRecoveryProvider(), {"project_ref": UNKNOWN, "variant": "pitr_7"}, PITR),
        (ProjectApiKeysProvider(), {"project_ref": UNKNOWN}, KEYS),
    ):
        assert (
            server.check(name, serialize(check_provider, {}), serialize(check_provider, inputs)).failures
            == []
        )


def test_check_still_reports_bad_inputs_through_the_server(server: DynamicProviderServer) -> None:
    provider = AuthSettingsProvider()
    reply = server.check(
        AUTH, serialize(provider, {}), serialize(provider, auth_inputs(password_min_length=10.5))
    )
    assert [name for name, _ in reply.failures] == ["password_min_length"]


def test_auth_lifecycle_create_read_diff_update_delete(
    server: DynamicProviderServer, fake: FakeSupabaseApi
) -> None:
    provider = AuthSettingsProvider()
    checked = server.check(
        AUTH, serialize(provider, {}), serialize(provider, auth_inputs(password_min_length=12))
    )
    id_, outputs = server.create(AUTH, checked.inputs)
    assert id_ == REF
    # The engine's 12.0 was sent to Supabase as the integer the API expects.
    assert fake.projects[REF].auth["password_min_length"] == 12
    assert deserialize(outputs)["password_min_length"] == 12

    fake.projects[REF].auth["mailer_autoconfirm"] = True  # drift made in the dashboard
    read_id, refreshed, _ = server.read(AUTH, REF, outputs)
    assert read_id == REF and deserialize(refreshed)["mailer_autoconfirm"] is True

    news = serialize(provider, auth_inputs(password_min_length=12))
    assert server.diff(AUTH, REF, refreshed, news).changes == "some"
    assert server.diff(AUTH, REF, outputs, news).changes == "none"
    assert server.diff(
        AUTH, REF, outputs, serialize(provider, auth_inputs(project_ref=UNKNOWN))
    ).replaces == ["project_ref"]

    updated = server.update(AUTH, REF, refreshed, news)
    assert (
        deserialize(updated)["mailer_autoconfirm"] is False
        and fake.projects[REF].auth["mailer_autoconfirm"] is False
    )
    server.delete(AUTH, REF, updated)
    assert fake.projects[REF].auth["site_url"] == "https://oms.gstarlink.com"


def test_secret_inputs_are_unwrapped_for_the_api(
    server: DynamicProviderServer, fake: FakeSupabaseApi
) -> None:
    provider = AuthSettingsProvider()
    inputs = auth_inputs(site_url=secret("https://oms.gstarlink.com"))
    checked = server.check(AUTH, serialize(provider, {}), serialize(provider, inputs))
    assert checked.failures == []
    _ = server.create(AUTH, checked.inputs)
    assert fake.projects[REF].auth["site_url"] == "https://oms.gstarlink.com"


def test_pitr_lifecycle(server: DynamicProviderServer, fake: FakeSupabaseApi) -> None:
    provider = PointInTimeRecoveryProvider()
    fake.projects[REF].addons["compute_instance"] = "ci_small"
    inputs = serialize(provider, {"project_ref": REF, "variant": "pitr_7"})
    id_, outputs = server.create(PITR, server.check(PITR, serialize(provider, {}), inputs).inputs)
    assert id_ == REF and fake.projects[REF].addons["pitr"] == "pitr_7"
    news = serialize(provider, {"project_ref": REF, "variant": "pitr_14"})
    assert server.diff(PITR, REF, outputs, news).changes == "some"
    updated = server.update(PITR, REF, outputs, news)
    assert deserialize(updated)["variant"] == "pitr_14"
    assert server.read(PITR, REF, updated)[0] == REF
    server.delete(PITR, REF, updated)
    assert "pitr" not in fake.projects[REF].addons


def test_api_keys_are_read_and_survive_a_transient_error(
    server: DynamicProviderServer, fake: FakeSupabaseApi
) -> None:
    provider = ProjectApiKeysProvider()
    id_, outputs = server.create(KEYS, serialize(provider, {"project_ref": REF}))
    assert id_ == REF and deserialize(outputs)["anon_key"] == ANON_KEY
    fake.fail_next(503, times=2, retry_after="0")
    read_id, refreshed, _ = server.read(KEYS, REF, outputs)
    assert read_id == REF and deserialize(refreshed)["service_role_key"] == SERVICE_KEY


def test_provider_errors_reach_the_engine_without_the_token(
    server: DynamicProviderServer, fake: FakeSupabaseApi
) -> None:
    provider = AuthSettingsProvider()
    fake.fail_next(401, body=f'{{"message": "bad token {TOKEN}"}}')
    with pytest.raises(grpc.RpcError) as info:
        _ = server.create(AUTH, serialize(provider, auth_inputs()))
    details = str(info.value.details())  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownArgumentType]
    assert "SUPABASE_ACCESS_TOKEN" in details and TOKEN not in details
