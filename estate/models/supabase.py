"""pulumi-supabase 1.1.2 (LuxChanLu/pulumi-supabase, a native provider: ``SRC`` below), and the
Management API resources of ``providers/supabase_management`` (dynamic; their behaviour is the
provider code itself, exercised through Pulumi's dynamic-provider server by its tests)."""

from __future__ import annotations

from estate.models import COMPUTED, ID, NO_DIFF, OMITTED, PROVIDES, REPLACES, REQUIRES, Rule
from policies.resource_types import SUPABASE_API_KEYS as PROJECT_API_KEYS
from policies.resource_types import SUPABASE_AUTH_SETTINGS as AUTH_SETTINGS
from policies.resource_types import SUPABASE_PITR as POINT_IN_TIME_RECOVERY
from policies.resource_types import SUPABASE_PROJECT as MANAGED_PROJECT

SRC = "LuxChanLu/pulumi-supabase v1.1.2 provider/pkg/provider"
API = "https://supabase.com/docs/reference/api"
HEALTHY = "https://supabase.com/docs/reference/api/v1-get-project (status ACTIVE_HEALTHY before a project takes configuration)"

PROJECT = "supabase:index:Project"
# providers/supabase_management/project.py: what the estate uses instead (docs/supabase.md says why).
MANAGED = "providers/supabase_management/project.py"
OPENAPI = "supabase/cli packages/api/src/generated/openapi.json"

TABLE: tuple[Rule, ...] = (
    Rule(PROJECT, ID, "", "{ref20}", f"{SRC}/project.go:21 (the API's project id: a 20-letter ref)"),
    *(
        Rule(PROJECT, COMPUTED, prop, value, f"{SRC}/project.go decorateProject")
        for prop, value in (
            ("dbUsername", "postgres"),
            ("dbHost", "db.{id}.supabase.co"),
            ("dbPort", 5432),
            ("dbName", "postgres"),
            ("dbPoolingPort", 6543),
            ("endpoint", "https://{id}.supabase.co"),
        )
    ),
    Rule(
        PROJECT,
        COMPUTED,
        "created_at",
        "2026-01-01T00:00:00Z",
        f"{SRC}/client/supabase.gen.go:164 ProjectResponse.created_at",
    ),
    # The outputs are ProjectResponse's fields only: the password, plan and KPS flag are not kept.
    *(
        Rule(
            PROJECT,
            OMITTED,
            prop,
            None,
            f"{SRC}/project.go:19 structToOutputs(ProjectResponse); client/supabase.gen.go:164",
        )
        for prop in ("db_pass", "plan", "kps_enabled")
    ),
    Rule(PROJECT, NO_DIFF, "", None, f"{SRC}/provider.go:201-238 (Diff returns DIFF_NONE whatever changed)"),
    Rule(
        PROJECT,
        PROVIDES,
        "supabase-project",
        "{id}",
        f"{SRC}/project.go:13-23 (create returns once the API accepts it, not when healthy)",
    ),
    Rule(
        MANAGED_PROJECT,
        ID,
        "",
        "{ref20}",
        f"{MANAGED} create: the ref POST /v1/projects returns ({OPENAPI}: ^[a-z]+$, 20)",
    ),
    Rule(
        MANAGED_PROJECT, COMPUTED, "project_ref", "{id}", f"{MANAGED} _outputs (the ref again, as an output)"
    ),
    Rule(
        MANAGED_PROJECT,
        COMPUTED,
        "status",
        "ACTIVE_HEALTHY",
        f"{MANAGED} create returns only once the project is healthy",
    ),
    Rule(
        MANAGED_PROJECT,
        COMPUTED,
        "db_host",
        "db.{id}.supabase.co",
        f"{OPENAPI} V1ProjectWithDatabaseResponse.database.host",
    ),
    Rule(MANAGED_PROJECT, COMPUTED, "db_name", "postgres", f"{OPENAPI} SupavisorConfigResponse.db_name"),
    # The PRIMARY transaction pooler of GET /v1/projects/{ref}/config/database/pooler; shape per
    # https://supabase.com/docs/guides/database/connecting-to-postgres (shared pooler).
    Rule(
        MANAGED_PROJECT,
        COMPUTED,
        "pooler_host",
        "aws-0-{inputs[region]}.pooler.supabase.com",
        f"{OPENAPI} SupavisorConfigResponse.db_host",
    ),
    Rule(
        MANAGED_PROJECT,
        COMPUTED,
        "pooler_port",
        6543,
        f"{OPENAPI} SupavisorConfigResponse.db_port (transaction mode)",
    ),
    Rule(
        MANAGED_PROJECT,
        COMPUTED,
        "pooler_user",
        "postgres.{id}",
        f"{OPENAPI} SupavisorConfigResponse.db_user",
    ),
    *(
        Rule(
            MANAGED_PROJECT,
            REPLACES,
            prop,
            None,
            f"{MANAGED} diff (a live project cannot move region or organization)",
        )
        for prop in ("region", "organization_slug")
    ),
    Rule(MANAGED_PROJECT, PROVIDES, "supabase-project", "{id}", f"{MANAGED} create"),
    Rule(
        MANAGED_PROJECT,
        PROVIDES,
        "supabase-project-healthy",
        "{id}",
        f"{MANAGED} create waits for ACTIVE_HEALTHY and healthy services",
    ),
    Rule(
        PROJECT_API_KEYS,
        ID,
        "",
        "{inputs[project_ref]}",
        "providers/supabase_management/resources.py (the ID is the project ref)",
    ),
    Rule(
        PROJECT_API_KEYS,
        COMPUTED,
        "api_url",
        "https://{inputs[project_ref]}.supabase.co",
        f"{API}/v1-get-project-api-keys (the project's API URL)",
    ),
    Rule(
        PROJECT_API_KEYS,
        COMPUTED,
        "anon_key",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{hex48}.{hex43}",
        f"{API}/v1-get-project-api-keys (anon: a JWT)",
    ),
    Rule(
        PROJECT_API_KEYS,
        COMPUTED,
        "service_role_key",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{hex56}.{hex42}",
        f"{API}/v1-get-project-api-keys (service_role: a JWT)",
    ),
    Rule(
        AUTH_SETTINGS,
        ID,
        "",
        "{inputs[project_ref]}",
        "providers/supabase_management/resources.py (the ID is the project ref)",
    ),
    Rule(
        POINT_IN_TIME_RECOVERY,
        ID,
        "",
        "{inputs[project_ref]}",
        "providers/supabase_management/resources.py (the ID is the project ref)",
    ),
    *(
        Rule(type_, REQUIRES, "supabase-project-healthy", "{inputs[project_ref]}", HEALTHY)
        for type_ in (AUTH_SETTINGS, POINT_IN_TIME_RECOVERY, PROJECT_API_KEYS)
    ),
)
