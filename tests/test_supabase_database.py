"""The SupabaseDatabase component under the estate's provider mocks (estate/mocks.py).

The connection string apps get must be the transaction pooler's (Vercel functions reach only IPv4;
`db.<ref>.supabase.co` is IPv6-only), assembled from what the project resource reports.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, cast

import pulumi
import pytest

from components.supabase_database import SupabaseDatabase, SupabaseDatabaseArgs
from estate.mocks import ProviderMocks
from policies.resource_types import RANDOM_PASSWORD

# Supabase connection docs, "Transaction pooler (shared pooler)".
POOLER_URL = re.compile(
    r"postgresql://postgres\.(?P<ref>[a-z]{20}):(?P<password>[A-Za-z0-9]{40})"
    r"@aws-0-(?P<region>[a-z0-9-]+)\.pooler\.supabase\.com:6543/postgres"
)


def run(program: Callable[[], object], mocks: ProviderMocks | None = None) -> None:
    pulumi.runtime.set_mocks(mocks or ProviderMocks(), project="estate", stack="prod", preview=False)
    cast(Callable[[Callable[[], object]], Callable[[], None]], pulumi.runtime.test)(program)()


class _PasswordRecorder(ProviderMocks):
    """The provider mocks, keeping the passwords ``random`` generated (name → result)."""

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[str, str] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        resource_id, state = super().new_resource(args)
        if args.typ == RANDOM_PASSWORD:
            self.passwords[args.name] = state["result"]
        return resource_id, state


def args(**overrides: object) -> SupabaseDatabaseArgs:
    values: dict[str, object] = {
        "project_name": "gstarlink-oms",
        "organization_slug": "gstarlink-org",
        "region": "eu-central-1",
        "instance_size": "small",
        "site_url": "https://oms.gstarlink.com",
        "point_in_time_recovery": "pitr_7",
    }
    return SupabaseDatabaseArgs(**{**values, **overrides})  # pyright: ignore[reportArgumentType]


def test_database_url_is_the_ipv4_transaction_pooler() -> None:
    mocks = _PasswordRecorder()

    def program() -> object:
        database = SupabaseDatabase("oms-database", args())

        async def check() -> None:
            url = await database.database_url.future()
            ref = await database.project_ref.future()
            password = mocks.passwords["oms-database-db-password"]
            assert await database.database_url.is_secret()
            assert url is not None and ref is not None
            match = POOLER_URL.fullmatch(url)
            shown = url.replace(password or "-", "<password>")
            assert match is not None, f"DATABASE_URL is not the transaction pooler's URL: {shown}"
            assert (match["ref"], match["password"], match["region"]) == (ref, password, "eu-central-1")
            assert "db." not in url

        return check()

    run(program, mocks)


def test_pitr_below_small_compute_is_refused_before_anything_registers() -> None:
    with pytest.raises(ValueError, match="point-in-time recovery needs at least the small compute size"):
        run(lambda: SupabaseDatabase("oms-database", args(instance_size="micro")))
