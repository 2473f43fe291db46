"""Previews get no production value: what a preview or development target of a Vercel project carries.

Feature-branch previews are built by the production Vercel projects, from
code nobody has reviewed yet, and shown to anyone with the link. They read
staging's public Supabase settings (stacks/staging_reference.py); production
data and credentials must never reach them. Judged on what the engine sees of
each Vercel variable whose targets include ``preview`` or ``development``:

- its key names a server-side credential (a Supabase service-role key, a
  database URL or password): those bypass row-level security or open the
  database, in any environment's previews;
- in the production stack, it is a Vercel *sensitive* variable: the stack's
  secrets (``pulumi config set --secret``) are production's;
- in the production stack, it depends on one of the stack's own Supabase
  resources: its value was taken from the production database (the engine
  records the resources an input came from, in both worlds);
- its value, where visible (online the SDK unwraps secrets; offline every
  Vercel value reads ``"[secret]"``), points at one of the stack's own
  Supabase projects in production, is a service-role JWT, or is a Postgres
  connection string.

Messages name keys, refs and the kind of value, never the value.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from typing import Final

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from policies.engine_view import flag, items, stack_of, text, violation, visible_text
from policies.environment_separation import own_supabase_refs, supabase_refs
from policies.environments import PRODUCTION, environment_of
from policies.resource_types import SUPABASE_TYPES, VERCEL_ENV_VAR

# The Vercel targets that serve something other than production deployments.
NON_PRODUCTION_TARGETS: Final = frozenset({"preview", "development"})
# Keys of server-side database credentials (squashed: upper case, no underscores).
_CREDENTIAL_KEY = re.compile(r"SERVICEROLE|DATABASEURL|DBURL|DBPASS|POSTGRESURL|POSTGRESPASS")
_CONNECTION_STRING = re.compile(r"postgres(?:ql)?://", re.IGNORECASE)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]+\.([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]+")
FIX: Final = (
    "give previews only staging's public values (stacks/staging_reference.py: the staging stack's "
    "Supabase URL and anon key), or drop the preview/development target"
)


def non_production_targets(resource: PolicyResource) -> list[str]:
    """The preview/development targets of a Vercel variable (empty for anything else)."""
    if resource.resource_type != VERCEL_ENV_VAR:
        return []
    return sorted(
        {t for t in items(resource.props, "targets") if isinstance(t, str)} & NON_PRODUCTION_TARGETS
    )


def jwt_roles(value: str) -> Iterator[str]:
    """The ``role`` claim of each JWT in the value (Supabase's anon and service-role keys are JWTs)."""
    for match in _JWT.finditer(value):
        payload = match.group(1)
        try:
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(claims, dict) and isinstance(claims.get("role"), str):
            yield str(claims["role"])


def validate_previews_get_no_production_values(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    """No preview or development target of a Vercel project carries a production value or a server credential."""
    resources = args.resources
    if not resources:
        return
    production = environment_of(stack_of(resources[0].urn), args.get_config()) == PRODUCTION
    own_refs = own_supabase_refs(resources) if production else set()
    for resource in resources:
        targets = non_production_targets(resource)
        if not targets:
            continue
        key = text(resource.props, "key") or resource.name
        where = f"{key} ({'/'.join(targets)} of {resource.name})"

        def report(problem: str, resource: PolicyResource = resource) -> None:
            report_violation(violation(problem, FIX), resource.urn)

        if _CREDENTIAL_KEY.search(key.replace("_", "").upper()):
            report(
                f"{where} is a server-side database credential (service-role key, database URL or password): "
                "it bypasses row-level security, and previews run unreviewed code for anyone with the link"
            )
        if production and flag(resource.props, "sensitive") is True:
            report(
                f"{where} is a sensitive variable of the production stack: its value is one of production's "
                "secrets"
            )
        if production:
            sources = sorted({d.name for d in resource.dependencies if d.resource_type in SUPABASE_TYPES})
            if sources:
                report(f"{where} takes its value from the production database ({', '.join(sources)})")
        value = visible_text(resource.props, "value")
        if value is None:
            continue
        for ref in sorted(supabase_refs(key, value) & own_refs):
            report(f"{where} points at the production Supabase project {ref}")
        if "service_role" in set(jwt_roles(value)):
            report(f"{where} holds a Supabase service-role key (a JWT with role service_role)")
        if _CONNECTION_STRING.search(value):
            report(f"{where} holds a Postgres connection string")
