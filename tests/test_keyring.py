"""The Keyring (providers/keyring) driven as the engine drives it: a rotation keeps the old value for the grace.

Through Pulumi's dynamic-provider server (tests/dynamic_provider_server.py): secrets arrive
wrapped, numbers as floats, the next value unknown during the rotation's preview.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from policies.resource_types import KEYRING
from providers.keyring import KeyringProvider, keyring_entries
from providers.supabase_management.wire import is_secret, reveal
from tests.dynamic_provider_server import UNKNOWN, DynamicProviderServer, deserialize, secret, serialize, urn

URN = urn(KEYRING, "alert-relay-cloudflare-keyring")
FIRST, ROTATION = "2026-01-01T00:00:00Z", "2026-04-01T03:00:00Z"


@pytest.fixture(scope="module")
def server() -> Iterator[DynamicProviderServer]:
    with DynamicProviderServer({}) as running:
        yield running


def inputs(current: object, since: str, grace: float = 14.0) -> dict[str, object]:
    return {"current": current, "since": since, "grace_days": grace}


def test_a_rotation_is_an_update_that_keeps_the_previous_value_until_the_grace_ends(
    server: DynamicProviderServer,
) -> None:
    provider = KeyringProvider()
    first = server.check(URN, serialize(provider, {}), serialize(provider, inputs(secret("old-0Aa"), FIRST)))
    assert first.failures == []
    id_, created = server.create(URN, first.inputs)
    state = deserialize(created)
    assert reveal(state["previous"]) == "" and state["previous_not_after"] == ""
    assert all(is_secret(state[key]) for key in ("current", "previous", "entries"))

    # The preview of the rotation: the new value is not known yet; an update, never a replacement.
    preview = server.diff(URN, id_, created, serialize(provider, inputs(UNKNOWN, ROTATION)))
    assert (preview.changes, preview.replaces) == ("some", [])
    rotated = server.check(URN, created, serialize(provider, inputs(secret("new-1Bb"), ROTATION)))
    assert server.diff(URN, id_, created, rotated.inputs).replaces == []
    after = deserialize(server.update(URN, id_, created, rotated.inputs))
    assert reveal(after["current"]) == "new-1Bb" and reveal(after["previous"]) == "old-0Aa"
    assert after["previous_not_after"] == "2026-04-15T03:00:00Z"
    assert json.loads(str(reveal(after["entries"]))) == [
        {"secret": "new-1Bb", "notAfter": None},
        {"secret": "old-0Aa", "notAfter": "2026-04-15T03:00:00Z"},
    ]
    # The next up without a rotation changes nothing and keeps the previous value.
    assert server.diff(URN, id_, serialize(provider, after), rotated.inputs).changes == "none"


def test_an_update_without_a_new_value_keeps_what_the_keyring_held() -> None:
    provider = KeyringProvider()
    olds: dict[str, Any] = (
        provider.update("id", provider.create(inputs("a", FIRST)).outs or {}, inputs("b", ROTATION)).outs
        or {}
    )
    kept = provider.update("id", olds, inputs("b", ROTATION, grace=30)).outs or {}
    assert (reveal(kept["previous"]), kept["previous_not_after"]) == ("a", "2026-04-15T03:00:00Z")


@pytest.mark.parametrize(
    ("news", "property_"),
    [
        (inputs("", FIRST), "current"),
        (inputs("a", "2026-01-01"), "since"),
        (inputs("a", FIRST, grace=0.0), "grace_days"),
        (inputs("a", FIRST, grace=1.5), "grace_days"),
    ],
)
def test_check_names_the_bad_input(
    server: DynamicProviderServer, news: dict[str, object], property_: str
) -> None:
    provider = KeyringProvider()
    failures = server.check(URN, serialize(provider, {}), serialize(provider, news)).failures
    assert [name for name, _ in failures] == [property_]


def test_entries_list_the_previous_value_only_while_there_is_one() -> None:
    assert json.loads(keyring_entries("a")) == [{"secret": "a", "notAfter": None}]
    assert json.loads(keyring_entries("a", "a", "2026-01-01T00:00:00Z")) == [
        {"secret": "a", "notAfter": None}
    ]
