"""One environment-naming rule (policies/environments.py): the program names by it, the policies and the diff judge by it.

The program's settings (``StackSettings.hostname``/``resource_name``), the policy
pack's ``host_belongs``/``name_belongs`` and ``estate diff``'s ``neutral`` must
agree on every name the catalog gives: what staging names is staging's, never
production's, and its production counterpart is the same name without the marker.
"""

from __future__ import annotations

import pytest

from estate.diff import neutral
from estate.engine import load_stack_config
from policies.environments import (
    DEFAULT_PRODUCTION_STACKS,
    PRODUCTION,
    host_belongs,
    name_belongs,
    name_for,
    without_marker,
)
from stacks.catalog import APPS
from stacks.settings import PRODUCTION_STACKS, StackSettings, environment_of, load_settings


def settings(stack: str) -> StackSettings:
    config, secret_keys, _ = load_stack_config(stack)
    return load_settings(stack, config, secret_keys, offline=True)


@pytest.fixture(scope="module")
def both() -> tuple[StackSettings, StackSettings]:
    return settings("prod"), settings("staging")


def test_the_settings_and_the_policy_pack_agree_on_which_stacks_serve_production() -> None:
    assert PRODUCTION_STACKS == DEFAULT_PRODUCTION_STACKS
    assert [environment_of(stack) for stack in ("prod", "production", "staging", "qa")] == [
        PRODUCTION,
        PRODUCTION,
        "staging",
        "staging",
    ]


def test_every_catalog_name_belongs_to_its_own_environment_only(
    both: tuple[StackSettings, StackSettings],
) -> None:
    prod, staging = both
    assert prod.environment == PRODUCTION and staging.environment == "staging"
    for app in APPS:
        production_host, staging_host = prod.hostname(app, app.key), staging.hostname(app, app.key)
        assert host_belongs(production_host, PRODUCTION) and not host_belongs(production_host, "staging"), (
            app.key
        )
        assert host_belongs(staging_host, "staging") and not host_belongs(staging_host, PRODUCTION), app.key
        assert staging_host.split(".")[0].endswith("-staging"), (
            f"{staging_host}: the marker is in the first label"
        )
        assert neutral(staging_host, "staging") == without_marker(staging_host, "staging") == production_host
        assert name_for(production_host, "staging") == staging_host
        assert name_for(staging_host, PRODUCTION) == production_host

        production_name, staging_name = prod.resource_name(app.key), staging.resource_name(app.key)
        assert name_belongs(production_name, PRODUCTION) and not name_belongs(production_name, "staging")
        assert name_belongs(staging_name, "staging") and not name_belongs(staging_name, PRODUCTION)
        assert neutral(staging_name, "staging") == production_name == neutral(production_name, PRODUCTION)
