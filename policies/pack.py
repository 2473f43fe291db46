"""The policies of the ``estate-guardrails`` pack, ready to serve (``__main__``) or to run offline.

Mandatory by default; a policy states its own level only where it differs.
"""

from __future__ import annotations

from typing import Final

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ResourceValidationPolicy,
    Severity,
    StackValidationPolicy,
)

from policies.access_gates import (
    DEFAULT_INTERNAL_MARKER,
    DEFAULT_PUBLIC_MARKER,
    validate_internal_sites_gated,
    validate_public_sites_not_gated,
)
from policies.branch_protection import validate_deploy_branches_protected
from policies.cloudflare_accounts import validate_staging_cloudflare_account
from policies.database_backups import validate_pitr_has_small_compute
from policies.database_retention import validate_production_database_retained
from policies.deploy_tokens import validate_deploy_tokens_least_privilege
from policies.deployment_environments import validate_environments_admit_only_their_branch
from policies.dns_targets import validate_dns_targets
from policies.environment_separation import validate_environment_separation
from policies.environments import DEFAULT_PRODUCTION_STACKS
from policies.preview_values import validate_previews_get_no_production_values
from policies.secret_values import DEFAULT_PUBLIC_VARIABLES, validate_secrets_stay_secret
from policies.workflow_secrets import validate_no_workflow_prints_a_secret

PACK_NAME: Final = "estate-guardrails"
PACK_ENFORCEMENT_LEVEL: Final = EnforcementLevel.MANDATORY

_PRODUCTION_STACKS = PolicyConfigSchema(
    {
        "productionStacks": {
            "type": "array",
            "items": {"type": "string"},
            "default": list(DEFAULT_PRODUCTION_STACKS),
            "description": "stack names that serve production; any other stack serves the environment of its name",
        }
    }
)


def _marker(name: str, default: str, meaning: str) -> PolicyConfigSchema:
    return PolicyConfigSchema({name: {"type": "string", "default": default, "description": meaning}})


POLICIES: Final[list[Policy]] = [
    StackValidationPolicy(
        name="internal-sites-gated",
        description="Every hostname of an internal Pages site (custom domain, <project>.pages.dev, "
        "*.<project>.pages.dev) is gated by a Cloudflare Access application.",
        validate=validate_internal_sites_gated,
        config_schema=PolicyConfigSchema(
            {
                **_marker(
                    "internalMarker", DEFAULT_INTERNAL_MARKER, "marks internal Pages project names"
                ).properties,
                **_marker(
                    "publicMarker", DEFAULT_PUBLIC_MARKER, "marks public Pages project names"
                ).properties,
            }
        ),
        severity=Severity.CRITICAL,
    ),
    StackValidationPolicy(
        name="public-sites-not-gated",
        description="A public Pages site (project name with the public marker) is not behind Cloudflare Access.",
        validate=validate_public_sites_not_gated,
        # Gating a public site fails closed (no data leaks, readers see a login page), and gating it on
        # purpose is a legitimate emergency measure: warn, do not block.
        enforcement_level=EnforcementLevel.ADVISORY,
        config_schema=_marker("publicMarker", DEFAULT_PUBLIC_MARKER, "marks public Pages project names"),
        severity=Severity.LOW,
    ),
    StackValidationPolicy(
        name="deploy-branches-protected",
        description="Every deploy branch (GitHub environment branch policy, Vercel production branch) has a "
        "BranchProtection with an approving review, stale-review dismissal, approval of the last push by "
        "someone else, required status checks, no force push, no deletion, admins included.",
        validate=validate_deploy_branches_protected,
        severity=Severity.HIGH,
    ),
    ResourceValidationPolicy(
        name="secrets-stay-secret",
        description="Secret-looking Vercel variables are sensitive and Pulumi secrets; Actions secrets are Pulumi "
        "secrets; no plain slot holds a secret name or a credential-shaped value.",
        validate=validate_secrets_stay_secret,
        config_schema=PolicyConfigSchema(
            {
                "publicVariables": {
                    "type": "array",
                    "items": {"type": "string"},
                    "default": list(DEFAULT_PUBLIC_VARIABLES),
                    "description": "variable names that look secret but are public by design",
                }
            }
        ),
        severity=Severity.CRITICAL,
    ),
    StackValidationPolicy(
        name="environment-separation",
        description="Nothing in a stack points at another environment's hostnames, projects, GitHub "
        "environments, Stripe keys or Supabase projects.",
        validate=validate_environment_separation,
        config_schema=_PRODUCTION_STACKS,
        severity=Severity.CRITICAL,
    ),
    StackValidationPolicy(
        name="previews-get-no-production-values",
        description="No preview or development target of a Vercel project gets a server-side database "
        "credential (service-role key, database URL or password) or, in the production stack, a sensitive "
        "variable, a value taken from the stack's own Supabase projects, or one pointing at them.",
        validate=validate_previews_get_no_production_values,
        config_schema=_PRODUCTION_STACKS,
        severity=Severity.CRITICAL,
    ),
    ResourceValidationPolicy(
        name="production-database-retained",
        description="The production Supabase project is protected and retained on delete.",
        validate=validate_production_database_retained,
        config_schema=_PRODUCTION_STACKS,
        severity=Severity.CRITICAL,
    ),
    StackValidationPolicy(
        name="pitr-needs-small-compute",
        description="A Supabase project with point-in-time recovery has the Small compute size or larger "
        "(Supabase refuses the add-on otherwise).",
        validate=validate_pitr_has_small_compute,
        severity=Severity.HIGH,
    ),
    StackValidationPolicy(
        name="staging-cloudflare-account",
        description="Outside production, Pages projects, Workers and deploy tokens live in a Cloudflare account "
        "that holds no zone (Access gates of custom domains, health-check alerts), and no Worker has a custom "
        "domain or route: API tokens scope to whole accounts.",
        validate=validate_staging_cloudflare_account,
        config_schema=_PRODUCTION_STACKS,
        severity=Severity.CRITICAL,
    ),
    StackValidationPolicy(
        name="dns-targets",
        description="App DNS records point at their platform: Vercel domains CNAME cname.vercel-dns.com (DNS "
        "only), Pages domains CNAME the project's subdomain (proxied).",
        validate=validate_dns_targets,
        severity=Severity.HIGH,
    ),
    StackValidationPolicy(
        name="environments-admit-only-their-branch",
        description="Each GitHub deployment environment uses custom branch policies (never all protected "
        "branches) naming exactly its one deploy branch: main for production, another branch elsewhere.",
        validate=validate_environments_admit_only_their_branch,
        severity=Severity.HIGH,
    ),
    StackValidationPolicy(
        name="deploy-tokens-least-privilege",
        description="Each Cloudflare deploy token holds exactly the permission groups its workflow needs, on its "
        "own account; a Pages token holds none of a Workers token's groups and vice versa.",
        validate=validate_deploy_tokens_least_privilege,
        severity=Severity.HIGH,
    ),
    ResourceValidationPolicy(
        name="workflows-never-print-secrets",
        description="No delivered workflow step prints a secret: no echo/printf/cat of a secrets expression or of "
        "an environment variable that carries one, no set -x where a secret is in reach.",
        validate=validate_no_workflow_prints_a_secret,
        severity=Severity.CRITICAL,
    ),
]
