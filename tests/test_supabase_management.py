"""Tests of the Supabase Management API client and dynamic providers against the local fake.

Every provider operation (check, create, read, diff, update, delete) runs against
tests/fake_supabase_api.py over real HTTP on 127.0.0.1; failures are injected there. Canary
values for the token and the project keys prove no secret reaches an error, a log or the
pickled provider. Retry waits are recorded instead of slept.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import cast

import pulumi
import pytest
from pulumi.dynamic import ResourceProvider
from pulumi.runtime.rpc import UNKNOWN
from typing_extensions import override

from estate.sdk_internals import DYNAMIC_PROVIDER_KEY, Registration, RegistrationMonitor, pickle_provider
from policies.resource_types import SUPABASE_API_KEYS, SUPABASE_AUTH_SETTINGS, SUPABASE_PITR
from providers.supabase_management import client as client_module
from providers.supabase_management.client import (
    AuthenticationError,
    InvalidBaseUrlError,
    ManagementApiClient,
    MissingTokenError,
    PermissionDeniedError,
    ProjectNotFoundError,
    RateLimitedError,
    RequestRejectedError,
    RetryPolicy,
    ServerError,
    SupabaseApiError,
    TransportError,
    UnexpectedResponseError,
    parse_retry_after,
    redact,
)
from providers.supabase_management.resources import (
    AuthSettingsProvider,
    PointInTimeRecoveryProvider,
    ProjectApiKeysProvider,
    SupabaseAuthSettings,
    SupabaseAuthSettingsArgs,
    SupabasePointInTimeRecovery,
    SupabasePointInTimeRecoveryArgs,
    SupabaseProjectApiKeys,
    SupabaseProjectApiKeysArgs,
)
from tests.fake_supabase_api import FakeSupabaseApi, legacy_keys, new_style_keys

# Canary values: if one of these shows up in an error, a log line or pickled state, it leaked.
TOKEN = "sbp_canary0token0do0not0print0000000000000"
ANON_KEY = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.anon-canary-signature"
SERVICE_KEY = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.service-canary-signature"
PUBLISHABLE_KEY = "sb_publishable_canary0publishable0key"
SECRET_KEY = "sb_secret_canary0secret0key0value"
CANARIES = (TOKEN, ANON_KEY, SERVICE_KEY, SECRET_KEY)

REF = "abcdefghijklmnopqrst"
OTHER_REF = "tsrqponmlkjihgfedcba"
MISSING_REF = "zzzzzzzzzzzzzzzzzzzz"


@pytest.fixture
def fake() -> Iterator[FakeSupabaseApi]:
    with FakeSupabaseApi(TOKEN) as api:
        project = api.add_project(
            REF, api_keys=legacy_keys(ANON_KEY, SERVICE_KEY) + new_style_keys(PUBLISHABLE_KEY, SECRET_KEY)
        )
        project.addons["compute_instance"] = "ci_small"  # PITR needs Small compute or larger
        _ = api.add_project(OTHER_REF, plan="free", api_keys=new_style_keys(PUBLISHABLE_KEY, SECRET_KEY))
        yield api


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Records retry waits instead of sleeping (for clients the providers build)."""
    recorded: list[float] = []
    monkeypatch.setattr(client_module, "_wait", recorded.append)
    return recorded


@pytest.fixture
def env(fake: FakeSupabaseApi, monkeypatch: pytest.MonkeyPatch, waits: list[float]) -> FakeSupabaseApi:
    """Points the providers at the fake, as a real run's environment would at api.supabase.com."""
    _ = waits  # requested so that provider retries never really sleep
    monkeypatch.setenv("SUPABASE_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("SUPABASE_API_URL", fake.base_url)
    return fake


def make_client(fake: FakeSupabaseApi, waits: list[float], token: str = TOKEN) -> ManagementApiClient:
    return ManagementApiClient(token, fake.base_url, sleep=waits.append, timeout_seconds=5)


def assert_no_canary(text: str) -> None:
    for canary in CANARIES:
        assert canary not in text, "a secret canary leaked"


def raised(action: Callable[[], object], kind: type[Exception] = SupabaseApiError) -> str:
    """Runs `action`, expects `kind`, checks its message for canaries and returns it."""
    with pytest.raises(kind) as info:
        _ = action()
    message = str(info.value)
    assert_no_canary(message)
    return message


AUTH_INPUTS: dict[str, object] = {
    "project_ref": REF,
    "site_url": "https://app.example.com",
    "additional_redirect_urls": ["https://app.example.com/auth/callback", "https://*.vercel.app/**"],
    "disable_signup": False,
    "mailer_autoconfirm": False,
    "password_min_length": 10,
}

# --- client: configuration -------------------------------------------------------------------


def test_missing_token_names_the_variable_and_where_to_get_one() -> None:
    message = raised(lambda: ManagementApiClient.from_environment({}), MissingTokenError)
    assert "SUPABASE_ACCESS_TOKEN is not set" in message
    assert "https://supabase.com/dashboard/account/tokens" in message


def test_base_url_defaults_to_supabase_and_refuses_plain_http_off_loopback() -> None:
    assert "https://api.supabase.com" in repr(
        ManagementApiClient.from_environment({"SUPABASE_ACCESS_TOKEN": TOKEN})
    )
    message = raised(
        lambda: ManagementApiClient.from_environment(
            {"SUPABASE_ACCESS_TOKEN": TOKEN, "SUPABASE_API_URL": "http://api.example.com"}
        ),
        InvalidBaseUrlError,
    )
    assert "SUPABASE_API_URL='http://api.example.com'" in message and "clear text" in message
    assert "not an http(s) URL" in raised(lambda: ManagementApiClient(TOKEN, "ftp://x"), InvalidBaseUrlError)


def test_client_repr_hides_the_token_and_api_keys_repr_hides_the_value(
    fake: FakeSupabaseApi, waits: list[float]
) -> None:
    client = make_client(fake, waits)
    assert_no_canary(repr(client))
    assert_no_canary(repr(client.list_api_keys(REF)))


def test_project_ref_is_checked_before_it_reaches_a_url(fake: FakeSupabaseApi, waits: list[float]) -> None:
    with pytest.raises(ValueError, match=r"project_ref='\.\./orgs'.*https://<ref>\.supabase\.co"):
        _ = make_client(fake, waits).get_auth_config("../orgs")
    assert fake.requests == []


# --- client: error mapping -------------------------------------------------------------------


def test_401_names_the_token_variable(fake: FakeSupabaseApi, waits: list[float]) -> None:
    message = raised(
        lambda: make_client(fake, waits, token="sbp_wrong").get_auth_config(REF), AuthenticationError
    )
    assert "SUPABASE_ACCESS_TOKEN" in message and "HTTP 401" in message and "expired or revoked" in message
    assert "sbp_wrong" not in message
    assert waits == []  # 401 is final, not retried


def test_403_names_the_missing_permission_and_scope(fake: FakeSupabaseApi, waits: list[float]) -> None:
    fake.denied_permissions.add("infra_add_ons_write")
    message = raised(
        lambda: make_client(fake, waits).apply_addon(REF, "pitr", "pitr_7"), PermissionDeniedError
    )
    assert "SUPABASE_ACCESS_TOKEN" in message and f"project '{REF}'" in message
    assert "infra_add_ons_write" in message and "HTTP 403" in message


def test_403_on_api_keys_names_the_secret_read_permission(fake: FakeSupabaseApi, waits: list[float]) -> None:
    fake.denied_permissions.add("api_gateway_keys_secret_read")
    message = raised(lambda: make_client(fake, waits).list_api_keys(REF), PermissionDeniedError)
    assert "api_gateway_keys_read and api_gateway_keys_secret_read" in message and "secrets:read" in message


def test_404_names_the_project_ref(fake: FakeSupabaseApi, waits: list[float]) -> None:
    message = raised(lambda: make_client(fake, waits).get_auth_config(MISSING_REF), ProjectNotFoundError)
    assert f"project '{MISSING_REF}' was not found" in message and "project_ref" in message


def test_other_4xx_quotes_supabase_reason(fake: FakeSupabaseApi, waits: list[float]) -> None:
    message = raised(
        lambda: make_client(fake, waits).apply_addon(OTHER_REF, "pitr", "pitr_7"), RequestRejectedError
    )
    assert "HTTP 400" in message and "requires a paid plan" in message


def test_redirects_are_not_followed(fake: FakeSupabaseApi, waits: list[float]) -> None:
    fake.fail_next(302, location="http://127.0.0.1:9/steal")
    assert "HTTP 302" in raised(lambda: make_client(fake, waits).get_auth_config(REF), RequestRejectedError)
    assert len(fake.requests) == 1


def test_non_json_success_body_is_reported(fake: FakeSupabaseApi, waits: list[float]) -> None:
    fake.fail_next(200, body="<html>maintenance</html>")
    assert "not JSON" in raised(
        lambda: make_client(fake, waits).get_auth_config(REF), UnexpectedResponseError
    )


# --- client: retries -------------------------------------------------------------------------


def test_429_honours_retry_after_then_succeeds(fake: FakeSupabaseApi, waits: list[float]) -> None:
    fake.fail_next(429, times=2, retry_after="3")
    assert [addon.addon_type for addon in make_client(fake, waits).list_selected_addons(REF)] == [
        "compute_instance"
    ]
    assert waits == [3.0, 3.0]
    assert len(fake.requests) == 3


def test_429_without_retry_after_backs_off_exponentially_and_gives_up(
    fake: FakeSupabaseApi, waits: list[float]
) -> None:
    fake.fail_next(429, times=100)
    message = raised(lambda: make_client(fake, waits).list_selected_addons(REF), RateLimitedError)
    assert waits == [1.0, 2.0, 4.0, 8.0]
    assert len(fake.requests) == RetryPolicy().max_attempts
    assert "HTTP 429" in message and "5 attempts" in message and "--parallel" in message


def test_429_with_a_too_long_retry_after_fails_at_once(fake: FakeSupabaseApi, waits: list[float]) -> None:
    fake.fail_next(429, retry_after="3600")
    message = raised(lambda: make_client(fake, waits).get_auth_config(REF), RateLimitedError)
    assert "3600 s" in message and waits == [] and len(fake.requests) == 1


def test_5xx_is_retried_then_succeeds(fake: FakeSupabaseApi, waits: list[float]) -> None:
    fake.fail_next(502, times=2)
    assert make_client(fake, waits).get_auth_config(REF)["site_url"] == "http://localhost:3000"
    assert waits == [1.0, 2.0]


def test_5xx_gives_up_after_bounded_attempts(fake: FakeSupabaseApi, waits: list[float]) -> None:
    fake.fail_next(500, times=100)
    policy = RetryPolicy(max_attempts=3, initial_delay_seconds=0.5, max_delay_seconds=0.75)
    client = ManagementApiClient(TOKEN, fake.base_url, retry=policy, sleep=waits.append)
    message = raised(lambda: client.get_auth_config(REF), ServerError)
    assert waits == [0.5, 0.75] and len(fake.requests) == 3
    assert "HTTP 500 on 3 attempts" in message and "status.supabase.com" in message


def test_unreachable_api_is_retried_then_reported(waits: list[float]) -> None:
    with FakeSupabaseApi(TOKEN) as stopped:
        base_url = stopped.base_url  # the port is free again once the fake stops
    client = ManagementApiClient(TOKEN, base_url, sleep=waits.append, timeout_seconds=2)
    message = raised(lambda: client.get_auth_config(REF), TransportError)
    assert "Could not reach" in message and "5 attempts" in message and len(waits) == 4


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    later = (now + timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after(later, now) == 30.0
    assert parse_retry_after("soon", now) is None and parse_retry_after(None, now) is None


# --- client: secrets never leak --------------------------------------------------------------


def test_redact_removes_known_values_and_secret_shapes() -> None:
    text = f"token {TOKEN} key {ANON_KEY} secret {SECRET_KEY} header Bearer abc.def"
    cleaned = redact(text, [TOKEN])
    assert_no_canary(cleaned)
    assert "abc.def" not in cleaned and cleaned.count("[REDACTED]") == 4


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 429, 500, 503])
def test_server_text_echoing_secrets_is_redacted_in_errors_and_logs(
    fake: FakeSupabaseApi, waits: list[float], caplog: pytest.LogCaptureFixture, status: int
) -> None:
    client = make_client(fake, waits)
    _ = client.list_api_keys(REF)  # the client has now seen the keys and must redact them too
    echo = f'{{"message": "rejected {TOKEN} for {ANON_KEY} {SERVICE_KEY} {SECRET_KEY}"}}'
    fake.fail_next(status, times=100, body=echo)
    with caplog.at_level(logging.DEBUG):
        message = raised(lambda: client.get_auth_config(REF))
    assert "[REDACTED]" in message
    assert_no_canary(caplog.text)


def test_unknown_secret_shaped_values_are_redacted_too(fake: FakeSupabaseApi, waits: list[float]) -> None:
    fake.fail_next(400, body='{"message": "bad key eyJfoo.eyJbar.baz and sb_secret_zzz"}')
    message = raised(lambda: make_client(fake, waits).get_auth_config(REF), RequestRejectedError)
    assert "eyJfoo" not in message and "sb_secret_zzz" not in message


def test_the_token_is_sent_only_as_bearer_header(fake: FakeSupabaseApi, waits: list[float]) -> None:
    _ = make_client(fake, waits).update_auth_config(REF, {"site_url": "https://app.example.com"})
    assert_no_canary(repr(fake.requests))


# --- SupabaseAuthSettings ---------------------------------------------------------------------


def test_auth_create_patches_managed_fields_only_and_adopts_existing(env: FakeSupabaseApi) -> None:
    env.projects[REF].auth["external_google_secret"] = SECRET_KEY
    result = AuthSettingsProvider().create(dict(AUTH_INPUTS))
    assert result.id == REF
    assert result.outs == AUTH_INPUTS
    assert_no_canary(repr(result.outs))  # the OAuth secret in the same config never reaches state
    patch = env.calls("PATCH")[0]
    assert patch.path == f"/v1/projects/{REF}/config/auth"
    assert patch.body == {
        "site_url": "https://app.example.com",
        "uri_allow_list": "https://app.example.com/auth/callback,https://*.vercel.app/**",
        "disable_signup": False,
        "mailer_autoconfirm": False,
        "password_min_length": 10,
    }
    assert env.projects[REF].auth["uri_allow_list"] == cast(dict[str, object], patch.body)["uri_allow_list"]


@pytest.mark.usefixtures("env")
def test_auth_create_drops_duplicate_urls() -> None:
    inputs = {**AUTH_INPUTS, "additional_redirect_urls": ["https://a.example.com", "https://a.example.com"]}
    result = AuthSettingsProvider().create(inputs)
    assert result.outs is not None and result.outs["additional_redirect_urls"] == ["https://a.example.com"]


def test_auth_read_imports_live_settings_from_the_id_alone(env: FakeSupabaseApi) -> None:
    env.projects[REF].auth.update(
        site_url="https://live.example.com",
        uri_allow_list="https://a.example.com, https://b.example.com",
        disable_signup=True,
        password_min_length=8,
        smtp_pass=TOKEN,
    )
    result = AuthSettingsProvider().read(REF, {})
    expected = {
        "project_ref": REF,
        "site_url": "https://live.example.com",
        "additional_redirect_urls": ["https://a.example.com", "https://b.example.com"],
        "disable_signup": True,
        "mailer_autoconfirm": False,
        "password_min_length": 8,
    }
    assert (result.id, result.outs, result.inputs) == (REF, expected, expected)
    assert_no_canary(repr(result.outs))


def test_auth_read_reports_drift_that_diff_then_sees(env: FakeSupabaseApi) -> None:
    provider = AuthSettingsProvider()
    created = provider.create(dict(AUTH_INPUTS))
    assert created.outs is not None
    env.projects[REF].auth["mailer_autoconfirm"] = True  # someone flipped it in the dashboard
    refreshed = provider.read(REF, created.outs)
    assert refreshed.outs is not None and refreshed.outs["mailer_autoconfirm"] is True
    diff = provider.diff(REF, refreshed.outs, dict(AUTH_INPUTS))
    assert diff.changes is True and diff.replaces == []


def test_auth_diff_compares_managed_fields_only(env: FakeSupabaseApi) -> None:
    provider = AuthSettingsProvider()
    olds = {**AUTH_INPUTS, DYNAMIC_PROVIDER_KEY: "old-pickle"}
    assert provider.diff(REF, olds, {**AUTH_INPUTS, DYNAMIC_PROVIDER_KEY: "new-pickle"}).changes is False
    reordered = {
        **AUTH_INPUTS,
        "additional_redirect_urls": list(reversed(cast(list[str], AUTH_INPUTS["additional_redirect_urls"]))),
    }
    assert provider.diff(REF, olds, reordered).changes is False
    changed = provider.diff(REF, olds, {**AUTH_INPUTS, "password_min_length": 12})
    assert (changed.changes, changed.replaces) == (True, [])
    moved = provider.diff(REF, olds, {**AUTH_INPUTS, "project_ref": OTHER_REF})
    assert (moved.changes, moved.replaces) == (True, ["project_ref"])
    unknown = provider.diff(REF, olds, {**AUTH_INPUTS, "site_url": UNKNOWN})
    assert unknown.changes is True
    assert env.requests == []  # diff never calls the API


def test_auth_update_patches_new_values(env: FakeSupabaseApi) -> None:
    provider = AuthSettingsProvider()
    created = provider.create(dict(AUTH_INPUTS))
    assert created.outs is not None
    news = {**AUTH_INPUTS, "site_url": "https://new.example.com", "disable_signup": True}
    updated = provider.update(REF, created.outs, news)
    assert updated.outs == news
    assert env.projects[REF].auth["site_url"] == "https://new.example.com"
    assert env.projects[REF].auth["disable_signup"] is True


def test_auth_delete_leaves_remote_settings_untouched(env: FakeSupabaseApi) -> None:
    provider = AuthSettingsProvider()
    created = provider.create(dict(AUTH_INPUTS))
    assert created.outs is not None
    calls_before = len(env.requests)
    provider.delete(REF, created.outs)
    assert len(env.requests) == calls_before
    assert env.projects[REF].auth["site_url"] == "https://app.example.com"


def test_auth_check_reports_every_problem_at_once() -> None:
    bad = {
        "project_ref": "https://abc.supabase.co",
        "site_url": "app.example.com",
        "additional_redirect_urls": [
            "https://ok.example.com",
            "https://a.example.com,https://b.example.com",
            3,
        ],
        "disable_signup": "no",
        "mailer_autoconfirm": True,
        "password_min_length": 4,
    }
    failures = AuthSettingsProvider().check({}, bad).failures
    properties = [failure.property for failure in failures]
    assert properties == [
        "project_ref",
        "site_url",
        "additional_redirect_urls",
        "additional_redirect_urls",
        "disable_signup",
        "password_min_length",
    ]
    reasons = " ".join(failure.reason for failure in failures)
    assert "'app.example.com'" in reasons and "https://app.example.com" in reasons
    assert "additional_redirect_urls[1]" in reasons and "commas" in reasons and "from 6 to 72" in reasons


def test_auth_check_skips_values_unknown_during_preview() -> None:
    news = {**AUTH_INPUTS, "project_ref": UNKNOWN, "additional_redirect_urls": [UNKNOWN]}
    assert AuthSettingsProvider().check({}, news).failures == []


def test_auth_create_refuses_invalid_inputs_before_calling_the_api(env: FakeSupabaseApi) -> None:
    with pytest.raises(ValueError, match="site_url='nope'"):
        _ = AuthSettingsProvider().create({**AUTH_INPUTS, "site_url": "nope"})
    assert env.requests == []


# --- SupabasePointInTimeRecovery --------------------------------------------------------------


def test_pitr_create_applies_the_addon(env: FakeSupabaseApi) -> None:
    result = PointInTimeRecoveryProvider().create({"project_ref": REF, "variant": "pitr_14"})
    assert (result.id, result.outs) == (REF, {"project_ref": REF, "variant": "pitr_14"})
    assert env.projects[REF].addons == {"compute_instance": "ci_small", "pitr": "pitr_14"}
    assert env.calls("PATCH")[0].body == {"addon_type": "pitr", "addon_variant": "pitr_14"}


def test_pitr_create_adopts_an_existing_variant_without_patching(env: FakeSupabaseApi) -> None:
    env.projects[REF].addons.update(pitr="pitr_7", compute_instance="ci_small")
    result = PointInTimeRecoveryProvider().create({"project_ref": REF, "variant": "pitr_7"})
    assert result.outs == {"project_ref": REF, "variant": "pitr_7"}
    assert env.calls("PATCH") == []


def test_pitr_read_imports_and_reports_removal(env: FakeSupabaseApi) -> None:
    provider = PointInTimeRecoveryProvider()
    env.projects[REF].addons["pitr"] = "pitr_28"
    found = provider.read(REF, {})
    assert (found.id, found.outs, found.inputs) == (
        REF,
        {"project_ref": REF, "variant": "pitr_28"},
        {"project_ref": REF, "variant": "pitr_28"},
    )
    del env.projects[REF].addons["pitr"]
    gone = provider.read(REF, {"project_ref": REF, "variant": "pitr_28"})
    assert (gone.id, gone.outs) == ("", {})


def test_pitr_diff_updates_variant_and_replaces_on_new_project() -> None:
    provider = PointInTimeRecoveryProvider()
    olds = {"project_ref": REF, "variant": "pitr_7"}
    assert provider.diff(REF, olds, dict(olds)).changes is False
    assert (provider.diff(REF, olds, {**olds, "variant": "pitr_14"}).replaces) == []
    assert provider.diff(REF, olds, {**olds, "variant": "pitr_14"}).changes is True
    assert provider.diff(REF, olds, {**olds, "project_ref": OTHER_REF}).replaces == ["project_ref"]


def test_pitr_update_switches_variant(env: FakeSupabaseApi) -> None:
    provider = PointInTimeRecoveryProvider()
    _ = provider.create({"project_ref": REF, "variant": "pitr_7"})
    updated = provider.update(
        REF, {"project_ref": REF, "variant": "pitr_7"}, {"project_ref": REF, "variant": "pitr_28"}
    )
    assert updated.outs == {"project_ref": REF, "variant": "pitr_28"}
    assert env.projects[REF].addons == {"compute_instance": "ci_small", "pitr": "pitr_28"}


def test_pitr_delete_removes_the_live_variant(env: FakeSupabaseApi) -> None:
    env.projects[REF].addons.update(pitr="pitr_14", compute_instance="ci_small")
    PointInTimeRecoveryProvider().delete(REF, {"project_ref": REF, "variant": "pitr_7"})
    assert env.projects[REF].addons == {"compute_instance": "ci_small"}
    assert env.calls("DELETE")[0].path == f"/v1/projects/{REF}/billing/addons/pitr_14"


def test_pitr_delete_without_addon_calls_no_delete(env: FakeSupabaseApi) -> None:
    PointInTimeRecoveryProvider().delete(REF, {"project_ref": REF, "variant": "pitr_7"})
    assert env.calls("DELETE") == []


@pytest.mark.usefixtures("env")
def test_pitr_on_free_plan_fails_with_supabase_reason() -> None:
    message = raised(
        lambda: PointInTimeRecoveryProvider().create({"project_ref": OTHER_REF, "variant": "pitr_7"}),
        RequestRejectedError,
    )
    assert "paid plan" in message


@pytest.mark.usefixtures("env")
def test_pitr_delete_on_missing_project_fails_instead_of_forgetting_billing() -> None:
    message = raised(lambda: PointInTimeRecoveryProvider().delete(MISSING_REF, {}), ProjectNotFoundError)
    assert MISSING_REF in message


def test_pitr_check_names_the_variant_choices() -> None:
    failures = PointInTimeRecoveryProvider().check({}, {"project_ref": REF, "variant": "pitr_30"}).failures
    assert [f.property for f in failures] == ["variant"]
    assert "pitr_7, pitr_14, pitr_28" in failures[0].reason and "'pitr_30'" in failures[0].reason


# --- SupabaseProjectApiKeys -------------------------------------------------------------------


def test_api_keys_create_reads_url_and_legacy_keys(env: FakeSupabaseApi) -> None:
    result = ProjectApiKeysProvider().create({"project_ref": REF})
    assert result.id == REF
    assert result.outs == {
        "project_ref": REF,
        "api_url": f"https://{REF}.supabase.co",
        "anon_key": ANON_KEY,
        "service_role_key": SERVICE_KEY,
    }
    assert env.calls("GET")[0].query == {"reveal": ["true"]}


@pytest.mark.usefixtures("env")
def test_api_keys_fall_back_to_new_style_keys() -> None:
    result = ProjectApiKeysProvider().create({"project_ref": OTHER_REF})
    assert result.outs is not None
    assert (result.outs["anon_key"], result.outs["service_role_key"]) == (PUBLISHABLE_KEY, SECRET_KEY)


def test_api_keys_read_picks_up_rotation(env: FakeSupabaseApi) -> None:
    provider = ProjectApiKeysProvider()
    created = provider.create({"project_ref": REF})
    assert created.outs is not None
    env.projects[REF].api_keys = legacy_keys(ANON_KEY, SERVICE_KEY + "-rotated")
    refreshed = provider.read(REF, created.outs)
    assert refreshed.outs is not None and refreshed.outs["service_role_key"] == SERVICE_KEY + "-rotated"
    assert refreshed.inputs == {"project_ref": REF}


def test_api_keys_diff_replaces_only_for_another_project() -> None:
    provider = ProjectApiKeysProvider()
    olds = {"project_ref": REF, "api_url": "x", "anon_key": ANON_KEY, "service_role_key": SERVICE_KEY}
    assert provider.diff(REF, olds, {"project_ref": REF}).changes is False
    moved = provider.diff(REF, olds, {"project_ref": OTHER_REF})
    assert (moved.changes, moved.replaces) == (True, ["project_ref"])


def test_api_keys_update_rereads_and_delete_does_nothing(env: FakeSupabaseApi) -> None:
    provider = ProjectApiKeysProvider()
    updated = provider.update(REF, {"project_ref": REF}, {"project_ref": REF})
    assert updated.outs is not None and updated.outs["anon_key"] == ANON_KEY
    calls_before = len(env.requests)
    provider.delete(REF, {"project_ref": REF})
    assert len(env.requests) == calls_before and env.projects[REF].api_keys


def test_api_keys_missing_key_lists_names_never_values(env: FakeSupabaseApi) -> None:
    env.projects[REF].api_keys = [{"name": "anon", "api_key": ANON_KEY, "type": "legacy"}]
    message = raised(lambda: ProjectApiKeysProvider().create({"project_ref": REF}), UnexpectedResponseError)
    assert "no 'service_role' key" in message and "anon (legacy)" in message


# --- providers: environment and error paths ---------------------------------------------------


def test_providers_need_the_token_at_operation_time(
    fake: FakeSupabaseApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SUPABASE_ACCESS_TOKEN", raising=False)
    monkeypatch.setenv("SUPABASE_API_URL", fake.base_url)
    assert "SUPABASE_ACCESS_TOKEN" in raised(
        lambda: ProjectApiKeysProvider().read(REF, {}), MissingTokenError
    )
    assert fake.requests == []


@pytest.mark.parametrize(
    ("operation", "permission"),
    [
        (lambda: AuthSettingsProvider().read(REF, {}), "auth_config_read"),
        (lambda: AuthSettingsProvider().create(dict(AUTH_INPUTS)), "auth_config_write"),
        (lambda: PointInTimeRecoveryProvider().read(REF, {}), "infra_add_ons_read"),
        (
            lambda: PointInTimeRecoveryProvider().create({"project_ref": REF, "variant": "pitr_7"}),
            "infra_add_ons_write",
        ),
        (lambda: ProjectApiKeysProvider().read(REF, {}), "api_gateway_keys_read"),
    ],
)
def test_provider_operations_report_the_permission_they_lack(
    env: FakeSupabaseApi, operation: Callable[[], object], permission: str
) -> None:
    env.denied_permissions.add(permission)
    assert permission in raised(operation, PermissionDeniedError)


def test_provider_operations_retry_with_bounded_backoff(env: FakeSupabaseApi, waits: list[float]) -> None:
    env.fail_next(503, times=2)
    env.fail_next(429, times=1, retry_after="5")
    result = AuthSettingsProvider().create(dict(AUTH_INPUTS))
    assert result.id == REF and waits == [1.0, 2.0, 5.0]


def test_provider_errors_and_logs_never_show_the_token(
    env: FakeSupabaseApi, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SUPABASE_ACCESS_TOKEN", "sbp_" + "f" * 40)  # a wrong but real-looking token
    with caplog.at_level(logging.DEBUG):
        message = raised(lambda: AuthSettingsProvider().create(dict(AUTH_INPUTS)), AuthenticationError)
        env.fail_next(500, times=100, body=f"echo sbp_{'f' * 40}")
        message += raised(lambda: PointInTimeRecoveryProvider().read(REF, {}), ServerError)
    assert "f" * 40 not in message and "f" * 40 not in caplog.text


def test_pickled_providers_carry_no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPABASE_ACCESS_TOKEN", TOKEN)
    providers: list[ResourceProvider] = [
        AuthSettingsProvider(),
        PointInTimeRecoveryProvider(),
        ProjectApiKeysProvider(),
    ]
    for provider in providers:
        pickled = base64.b64decode(pickle_provider(provider))
        assert TOKEN.encode() not in pickled
        assert provider.serialize_as_secret_always is False


# --- resources under Pulumi mocks -------------------------------------------------------------


class _Mocks(pulumi.runtime.Mocks):
    """Echoes inputs as outputs; the API keys resource gets canary keys like the provider would."""

    @override
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, object]]:
        outputs: dict[str, object] = dict(cast(dict[str, object], args.inputs))
        if args.typ.endswith(":ProjectApiKeys"):
            outputs.update(
                api_url=f"https://{REF}.supabase.co", anon_key=ANON_KEY, service_role_key=SERVICE_KEY
            )
        if args.typ.endswith(":AuthSettings") and args.resource_id:
            outputs.update({key: value for key, value in AUTH_INPUTS.items()})
        return (args.resource_id or f"{args.name}-id", outputs)

    @override
    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, object], list[tuple[str, str]] | None]:
        return ({}, None)


class _RecordingMonitor:
    """Also records what the mocks do not see: types, secret outputs and read IDs."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        self.registered: dict[str, tuple[str, list[str], str]] = {}
        self.monitor = RegistrationMonitor(mocks, on_register=self._record)

    def _record(self, registration: Registration) -> None:
        where = f"read:{registration.id}" if registration.read else registration.parent or ""
        self.registered[registration.name] = (
            registration.type,
            sorted(registration.additional_secret_outputs),
            where,
        )


def run_program(program: Callable[[], object]) -> None:
    """Runs a Pulumi program under the mocks and waits for what it returns (pulumi.runtime.test)."""
    runner = cast(Callable[[Callable[[], object]], Callable[[], None]], pulumi.runtime.test)
    runner(program)()


@pytest.fixture
def monitor() -> _RecordingMonitor:
    mocks = _Mocks()
    recording = _RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, preview=False, monitor=recording.monitor)
    return recording


def test_resources_register_with_typed_outputs_and_secret_keys(monitor: _RecordingMonitor) -> None:
    def program() -> object:
        parent = pulumi.ComponentResource("estate:test:Parent", "db")
        opts = pulumi.ResourceOptions(parent=parent)
        auth = SupabaseAuthSettings(
            "auth",
            SupabaseAuthSettingsArgs(
                project_ref=REF,
                site_url="https://app.example.com",
                additional_redirect_urls=["https://app.example.com/auth/callback", "https://*.vercel.app/**"],
                password_min_length=10,
            ),
            opts,
        )
        pitr = SupabasePointInTimeRecovery(
            "pitr", SupabasePointInTimeRecoveryArgs(project_ref=REF, variant="pitr_7"), opts
        )
        keys = SupabaseProjectApiKeys("keys", SupabaseProjectApiKeysArgs(project_ref=REF), opts)

        async def check() -> None:
            assert await auth.site_url.future() == "https://app.example.com"
            assert await auth.additional_redirect_urls.future() == AUTH_INPUTS["additional_redirect_urls"]
            assert await auth.password_min_length.future() == 10
            assert await pitr.variant.future() == "pitr_7"
            assert await keys.api_url.future() == f"https://{REF}.supabase.co"
            assert await keys.anon_key.future() == ANON_KEY
            assert await keys.anon_key.is_secret() and await keys.service_role_key.is_secret()
            assert not await keys.api_url.is_secret()
            assert await auth.id.future() == "auth-id"

        return check()

    run_program(program)
    auth_type, auth_secrets, auth_parent = monitor.registered["auth"]
    assert auth_type == SUPABASE_AUTH_SETTINGS and auth_secrets == []
    assert auth_parent.endswith("estate:test:Parent::db")
    assert monitor.registered["pitr"][0] == SUPABASE_PITR
    keys_type, keys_secrets, _ = monitor.registered["keys"]
    assert keys_type == SUPABASE_API_KEYS
    assert sorted(keys_secrets) == ["anon_key", "service_role_key"]


def test_get_reads_existing_settings_by_project_ref(monitor: _RecordingMonitor) -> None:
    def program() -> object:
        auth = SupabaseAuthSettings.get("live-auth", REF)
        keys = SupabaseProjectApiKeys.get("live-keys", REF)

        async def check() -> None:
            assert await auth.site_url.future() == "https://app.example.com"
            assert await keys.service_role_key.is_secret()

        return check()

    run_program(program)
    assert monitor.registered["live-auth"][2] == f"read:{REF}"
    assert sorted(monitor.registered["live-keys"][1]) == ["anon_key", "service_role_key"]


def test_constructors_reject_bad_plain_inputs_listing_all_problems(monitor: _RecordingMonitor) -> None:
    with pytest.raises(ValueError) as info:
        _ = SupabaseAuthSettings(
            "auth",
            SupabaseAuthSettingsArgs(project_ref="My Project", site_url="localhost", password_min_length=100),
        )
    message = str(info.value)
    assert "SupabaseAuthSettings 'auth' has 3 invalid input(s)" in message
    assert (
        "project_ref='My Project'" in message
        and "site_url='localhost'" in message
        and "password_min_length=100" in message
    )
    with pytest.raises(ValueError, match="variant='pitr_1'"):
        _ = SupabasePointInTimeRecovery(
            "pitr", SupabasePointInTimeRecoveryArgs(project_ref=REF, variant="pitr_1")
        )
    with pytest.raises(ValueError, match="project_ref=''"):
        _ = SupabaseProjectApiKeys("keys", SupabaseProjectApiKeysArgs(project_ref=""))
    assert monitor.registered == {}


def test_outputs_of_other_resources_are_accepted_as_inputs(monitor: _RecordingMonitor) -> None:
    def program() -> object:
        ref = pulumi.Output.from_input(REF)
        keys = SupabaseProjectApiKeys("keys", SupabaseProjectApiKeysArgs(project_ref=ref))
        return keys.project_ref.apply(lambda value: value == REF)

    run_program(program)
    assert "keys" in monitor.registered
