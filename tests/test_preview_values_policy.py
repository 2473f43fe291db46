"""The policy ``previews-get-no-production-values`` on hand-built engine views (collecting reporter)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from pulumi_policy import PolicyResource

from policies.preview_values import jwt_roles
from policies.resource_types import SUPABASE_API_KEYS, SUPABASE_PROJECT, VERCEL_ENV_VAR
from tests.test_policies import PROD_REF, STAGING_REF, assert_has_fix, resource, run_stack

POLICY = "previews-get-no-production-values"


def jwt(role: str, ref: str) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'iss': 'supabase', 'ref': ref, 'role': role})}.c2lnbmF0dXJl"


SERVICE_ROLE_KEY = jwt("service_role", STAGING_REF)


def variable(key: str, value: str, targets: list[str], *, sensitive: bool = False) -> dict[str, Any]:
    return {"key": key, "value": value, "targets": targets, "sensitive": sensitive}


def prod_estate() -> list[PolicyResource]:
    """The prod stack as the engine shows it: production reads its own project; previews read staging's values."""
    project = resource(
        SUPABASE_PROJECT,
        "oms-database-project",
        {"name": "gstarlink-oms", "project_ref": PROD_REF, "db_host": f"db.{PROD_REF}.supabase.co"},
    )
    keys = resource(
        SUPABASE_API_KEYS, "oms-database-api-keys", {"project_ref": PROD_REF}, depends_on=[project]
    )
    return [
        project,
        keys,
        resource(
            VERCEL_ENV_VAR,
            "oms-env-url-production",
            variable("NEXT_PUBLIC_SUPABASE_URL", f"https://{PROD_REF}.supabase.co", ["production"]),
            depends_on=[keys],
        ),
        resource(
            VERCEL_ENV_VAR,
            "oms-env-service-production",
            variable(
                "SUPABASE_SERVICE_ROLE_KEY", jwt("service_role", PROD_REF), ["production"], sensitive=True
            ),
            depends_on=[keys],
        ),
        # The StackReference is a read: the engine never shows it to a policy, nor a dependency on it.
        resource(
            VERCEL_ENV_VAR,
            "oms-env-url-preview",
            variable("NEXT_PUBLIC_SUPABASE_URL", f"https://{STAGING_REF}.supabase.co", ["preview"]),
        ),
        resource(
            VERCEL_ENV_VAR,
            "oms-env-anon-preview",
            variable("NEXT_PUBLIC_SUPABASE_ANON_KEY", jwt("anon", STAGING_REF), ["preview"]),
        ),
        resource(
            VERCEL_ENV_VAR,
            "oms-env-app-env-preview",
            variable("NEXT_PUBLIC_APP_ENV", "preview", ["preview", "development"]),
        ),
    ]


def with_preview(
    props: dict[str, Any], *, depends_on_production: bool = False, stack: str = "prod"
) -> list[PolicyResource]:
    base = prod_estate()
    keys = next(r for r in base if r.name == "oms-database-api-keys")
    extra = resource(
        VERCEL_ENV_VAR,
        "oms-env-mutated",
        props,
        stack=stack,
        depends_on=[keys] if depends_on_production else [],
    )
    return [*base, extra]


def test_previews_with_staging_s_public_values_pass() -> None:
    assert run_stack(POLICY, prod_estate()) == []


def test_offline_secret_values_and_production_targets_are_not_judged_by_value() -> None:
    hidden = with_preview(variable("NEXT_PUBLIC_SUPABASE_ANON_KEY", "[secret]", ["preview"]))
    assert run_stack(POLICY, hidden) == []


@pytest.mark.parametrize(
    ("props", "depends_on_production", "expected"),
    [
        (
            variable("SUPABASE_SERVICE_ROLE_KEY", "[secret]", ["preview"], sensitive=True),
            False,
            "server-side database credential",
        ),
        (
            variable("DATABASE_URL", "[secret]", ["preview", "development"]),
            False,
            "server-side database credential",
        ),
        (variable("SUPABASE_DB_URL", "[secret]", ["development"]), False, "server-side database credential"),
        (
            variable("SHOPIFY_API_SECRET", "[secret]", ["preview"], sensitive=True),
            False,
            "sensitive variable of the production stack",
        ),
        (
            variable("NEXT_PUBLIC_SUPABASE_ANON_KEY", "[secret]", ["preview"]),
            True,
            "from the production database (oms-database-api-keys)",
        ),
        (
            variable("NEXT_PUBLIC_SUPABASE_URL", f"https://{PROD_REF}.supabase.co", ["preview"]),
            False,
            f"production Supabase project {PROD_REF}",
        ),
        (variable("NEXT_PUBLIC_SUPABASE_ANON_KEY", SERVICE_ROLE_KEY, ["preview"]), False, "service-role key"),
        (
            variable(
                "NEXT_PUBLIC_DB",
                f"postgresql://postgres.{STAGING_REF}:pw@aws-0-eu-central-1.pooler.supabase.com:6543/postgres",
                ["preview"],
            ),
            False,
            "Postgres connection string",
        ),
    ],
)
def test_each_production_value_in_a_preview_is_a_violation(
    props: dict[str, Any], depends_on_production: bool, expected: str
) -> None:
    found = run_stack(POLICY, with_preview(props, depends_on_production=depends_on_production))
    assert any(expected in message for message, _ in found), found
    assert all(urn and urn.endswith("::oms-env-mutated") for _, urn in found), found
    assert_has_fix([m for m, _ in found])
    assert not any(SERVICE_ROLE_KEY in m or "pw@" in m for m, _ in found), "a message never quotes the value"


def test_the_same_variables_on_the_production_target_pass() -> None:
    for props in (
        variable("SUPABASE_SERVICE_ROLE_KEY", "[secret]", ["production"], sensitive=True),
        variable("DATABASE_URL", "[secret]", ["production"], sensitive=True),
    ):
        assert run_stack(POLICY, with_preview(props, depends_on_production=True)) == []


def test_outside_production_only_credentials_are_refused() -> None:
    staging_own = variable(
        "NEXT_PUBLIC_SUPABASE_URL", f"https://{STAGING_REF}.supabase.co", ["preview"], sensitive=True
    )
    assert run_stack(POLICY, [resource(VERCEL_ENV_VAR, "oms-env-x", staging_own, stack="staging")]) == []
    credential = variable("SUPABASE_SERVICE_ROLE_KEY", "[secret]", ["preview"], sensitive=True)
    found = run_stack(POLICY, [resource(VERCEL_ENV_VAR, "oms-env-x", credential, stack="staging")])
    assert len(found) == 1 and "server-side database credential" in found[0][0]


def test_production_stacks_come_from_the_policy_config() -> None:
    sensitive = with_preview(variable("SHOPIFY_API_SECRET", "[secret]", ["preview"], sensitive=True))
    assert run_stack(POLICY, sensitive, {"productionStacks": ["live"]}) == []


def test_jwt_roles_reads_the_role_claim_only_from_well_formed_tokens() -> None:
    assert list(jwt_roles(SERVICE_ROLE_KEY)) == ["service_role"]
    assert list(jwt_roles(jwt("anon", PROD_REF))) == ["anon"]
    assert list(jwt_roles("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.bm90IGpzb24.x")) == []


def test_environment_separation_lets_prod_previews_read_staging_s_project_only() -> None:
    assert run_stack("environment-separation", prod_estate()) == []
    production_target = with_preview(
        variable("NEXT_PUBLIC_SUPABASE_URL", f"https://{STAGING_REF}.supabase.co", ["production"])
    )
    assert any(STAGING_REF in m for m, _ in run_stack("environment-separation", production_target))
