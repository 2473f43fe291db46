"""A Supabase project for one app in one environment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_random as random

from providers.supabase_management import (
    PITR_MINIMUM_INSTANCE_SIZES,
    SupabaseAuthSettings,
    SupabaseAuthSettingsArgs,
    SupabasePointInTimeRecovery,
    SupabasePointInTimeRecoveryArgs,
    SupabaseProject,
    SupabaseProjectApiKeys,
    SupabaseProjectApiKeysArgs,
    SupabaseProjectArgs,
)

SUPABASE_DATABASE_TYPE = "estate:data:SupabaseDatabase"


@dataclass(frozen=True)
class SupabaseDatabaseArgs:
    """Inputs of :class:`SupabaseDatabase`.

    ``project_name``: the Supabase project's name (unique in its organization: a
    project of that name is adopted on create). ``organization_slug``: the
    Supabase organization that owns and pays for it; its plan applies (the
    API has no per-project plan). ``region``: where it runs; changing it
    replaces the project. ``instance_size``: the compute size (``micro``,
    ``small``, ...); point-in-time recovery needs ``small`` or larger.
    ``deletion_protection``: Pulumi refuses to delete or replace the project
    (``protect``) and, if it leaves the stack anyway, leaves it running
    (``retain_on_delete``); deleting a Supabase project deletes its backups, so
    this is on unless a stack deliberately opts out (staging).
    ``site_url`` / ``redirect_urls``: where Supabase Auth may send users back
    to: the app's own hosts in this environment, and nothing else.
    ``point_in_time_recovery``: the PITR add-on variant, or None for daily
    backups only (PITR needs a paid organization and ``small`` compute or larger).
    """

    project_name: str
    organization_slug: pulumi.Input[str]
    region: str
    instance_size: str
    site_url: str
    redirect_urls: Sequence[str] = field(default_factory=tuple)
    deletion_protection: bool = True
    point_in_time_recovery: Literal["pitr_7", "pitr_14", "pitr_28"] | None = None


class SupabaseDatabase(pulumi.ComponentResource):
    """The project, its auth settings, its backups, and what apps need to connect.

    Every piece comes from the Management API resources in
    ``providers/supabase_management`` (docs/supabase.md says why not
    ``pulumi_supabase.Project``). Callers see only the args and outputs below.

    The password comes from ``random`` (a secret in state); a new one is
    applied to the live project in place.

    Outputs: ``project_ref``, ``api_url`` (``https://<ref>.supabase.co``),
    ``anon_key`` (secret, safe for browsers: row-level security applies),
    ``service_role_key`` (secret, server side only: bypasses row-level
    security), ``database_url`` (secret; the transaction pooler
    ``postgresql://postgres.<ref>:<password>@<pooler host>:6543/postgres``,
    reachable over IPv4 from serverless functions, unlike the IPv6-only
    ``db.<ref>.supabase.co``),
    ``migration_database_url`` (secret; the same pooler in session mode, port
    5432, for ``supabase db push --db-url`` from CI runners, which reach only
    IPv4 and need a session for migrations).
    """

    project_ref: pulumi.Output[str]
    api_url: pulumi.Output[str]
    anon_key: pulumi.Output[str]
    service_role_key: pulumi.Output[str]
    database_url: pulumi.Output[str]
    migration_database_url: pulumi.Output[str]

    def __init__(
        self, name: str, args: SupabaseDatabaseArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(SUPABASE_DATABASE_TYPE, name, None, opts)
        if args.point_in_time_recovery is not None and args.instance_size not in PITR_MINIMUM_INSTANCE_SIZES:
            raise ValueError(
                f"{name}: point-in-time recovery needs at least the small compute size, not "
                + f"{args.instance_size!r}: Supabase refuses the add-on otherwise"
            )
        keep = pulumi.ResourceOptions(
            parent=self,
            protect=args.deletion_protection,
            retain_on_delete=args.deletion_protection,
        )
        password = random.RandomPassword(
            f"{name}-db-password",
            length=40,
            special=False,  # keeps the password URL-safe inside DATABASE_URL
            min_lower=4,
            min_upper=4,
            min_numeric=4,
            opts=keep,
        )
        project = SupabaseProject(
            f"{name}-project",
            SupabaseProjectArgs(
                name=args.project_name,
                organization_slug=args.organization_slug,
                region=args.region,
                instance_size=args.instance_size,
                db_pass=password.result,
            ),
            opts=keep,
        )

        on_project = pulumi.ResourceOptions(parent=self, depends_on=[project])
        SupabaseAuthSettings(
            f"{name}-auth",
            SupabaseAuthSettingsArgs(
                project_ref=project.project_ref,
                site_url=args.site_url,
                additional_redirect_urls=list(args.redirect_urls),
            ),
            opts=on_project,
        )
        if args.point_in_time_recovery is not None:
            # Protected like the project, but not retained: deleting it removes the add-on,
            # which is what stops its billing (docs/supabase.md, "What delete does").
            SupabasePointInTimeRecovery(
                f"{name}-pitr",
                SupabasePointInTimeRecoveryArgs(
                    project_ref=project.project_ref, variant=args.point_in_time_recovery
                ),
                opts=pulumi.ResourceOptions.merge(
                    on_project, pulumi.ResourceOptions(protect=args.deletion_protection)
                ),
            )
        keys = SupabaseProjectApiKeys(
            f"{name}-api-keys", SupabaseProjectApiKeysArgs(project_ref=project.project_ref), opts=on_project
        )

        self.project_ref = project.project_ref
        self.api_url = keys.api_url
        self.anon_key = pulumi.Output.secret(keys.anon_key)
        self.service_role_key = pulumi.Output.secret(keys.service_role_key)
        # Numbers reach the program as floats (protobuf Struct): 6543.0 would break the URL.
        pooler_port = project.pooler_port.apply(lambda port: str(int(port)))
        self.database_url = pulumi.Output.secret(
            pulumi.Output.format(
                "postgresql://{0}:{1}@{2}:{3}/{4}",
                project.pooler_user,
                password.result,
                project.pooler_host,
                pooler_port,
                project.db_name,
            )
        )
        # Supavisor serves session mode on 5432 of the same host (Supabase connection docs).
        self.migration_database_url = pulumi.Output.secret(
            pulumi.Output.format(
                "postgresql://{0}:{1}@{2}:5432/{3}",
                project.pooler_user,
                password.result,
                project.pooler_host,
                project.db_name,
            )
        )
        self.register_outputs(
            {
                "project_ref": self.project_ref,
                "api_url": self.api_url,
                "anon_key": self.anon_key,
                "service_role_key": self.service_role_key,
                "database_url": self.database_url,
                "migration_database_url": self.migration_database_url,
            }
        )
