"""A Supabase project for one app in one environment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_random as random
import pulumi_supabase as supabase

from providers.supabase_management import (
    SupabaseAuthSettings,
    SupabaseAuthSettingsArgs,
    SupabasePointInTimeRecovery,
    SupabasePointInTimeRecoveryArgs,
    SupabaseProjectApiKeys,
    SupabaseProjectApiKeysArgs,
)

SUPABASE_DATABASE_TYPE = "estate:data:SupabaseDatabase"


@dataclass(frozen=True)
class SupabaseDatabaseArgs:
    """Inputs of :class:`SupabaseDatabase`.

    ``project_name``: the Supabase project's name. ``organization_id``: the
    Supabase organization that owns (and pays for) it. ``region`` / ``plan``:
    where it runs and its billing plan; changing ``region`` replaces the
    project. ``deletion_protection``: Pulumi refuses to delete the project
    (``protect``) and, if it leaves the stack anyway, leaves it running
    (``retain_on_delete``); deleting a Supabase project deletes its backups, so
    this is on unless a stack deliberately opts out (staging).
    ``site_url`` / ``redirect_urls``: where Supabase Auth may send users back
    to: the app's own hosts in this environment, and nothing else.
    ``point_in_time_recovery``: the PITR add-on variant, or None for daily
    backups only (PITR needs the ``pro`` plan).
    """

    project_name: str
    organization_id: pulumi.Input[str]
    region: supabase.Region
    plan: supabase.Plan
    site_url: str
    redirect_urls: Sequence[str] = field(default_factory=tuple)
    deletion_protection: bool = True
    point_in_time_recovery: Literal["pitr_7", "pitr_14", "pitr_28"] | None = None


class SupabaseDatabase(pulumi.ComponentResource):
    """The project, its auth settings, its backups, and what apps need to connect.

    Which backend provides each piece is this component's business: the
    project comes from ``pulumi_supabase``; auth settings, point-in-time
    recovery and the API keys, which that package lacks, from the Management
    API resources in ``providers/supabase_management``. Callers see only the
    args and outputs below, so either backend can be swapped later.

    The password comes from ``random`` (a secret in state); it is fixed at
    creation, since the API cannot change it without replacing the project.

    Outputs: ``project_ref``, ``api_url`` (``https://<ref>.supabase.co``),
    ``anon_key`` (secret, safe for browsers: row-level security applies),
    ``service_role_key`` (secret, server side only: bypasses row-level
    security), ``database_url`` (secret; the transaction pooler, which suits
    serverless functions), ``db_password`` (secret), ``db_host``.
    """

    project_ref: pulumi.Output[str]
    api_url: pulumi.Output[str]
    anon_key: pulumi.Output[str]
    service_role_key: pulumi.Output[str]
    database_url: pulumi.Output[str]
    db_password: pulumi.Output[str]
    db_host: pulumi.Output[str]

    def __init__(
        self, name: str, args: SupabaseDatabaseArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(SUPABASE_DATABASE_TYPE, name, None, opts)
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
        project = supabase.Project(
            f"{name}-project",
            name=args.project_name,
            organization_id=args.organization_id,
            region=args.region,
            plan=args.plan,
            db_pass=password.result,
            kps_enabled=False,
            opts=pulumi.ResourceOptions.merge(keep, pulumi.ResourceOptions(ignore_changes=["dbPass"])),
        )

        on_project = pulumi.ResourceOptions(parent=self, depends_on=[project])
        SupabaseAuthSettings(
            f"{name}-auth",
            SupabaseAuthSettingsArgs(
                project_ref=project.id,
                site_url=args.site_url,
                additional_redirect_urls=list(args.redirect_urls),
            ),
            opts=on_project,
        )
        if args.point_in_time_recovery is not None:
            SupabasePointInTimeRecovery(
                f"{name}-pitr",
                SupabasePointInTimeRecoveryArgs(project_ref=project.id, variant=args.point_in_time_recovery),
                opts=pulumi.ResourceOptions.merge(keep, on_project),
            )
        keys = SupabaseProjectApiKeys(
            f"{name}-api-keys", SupabaseProjectApiKeysArgs(project_ref=project.id), opts=on_project
        )

        self.project_ref = project.id
        self.api_url = keys.api_url
        self.anon_key = pulumi.Output.secret(keys.anon_key)
        self.service_role_key = pulumi.Output.secret(keys.service_role_key)
        self.db_password = pulumi.Output.secret(password.result)
        self.db_host = project.db_host
        self.database_url = pulumi.Output.secret(
            pulumi.Output.format(
                "postgresql://{0}:{1}@{2}:{3}/{4}",
                project.db_username,
                password.result,
                project.db_host,
                project.db_pooling_port,
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
                "db_password": self.db_password,
                "db_host": self.db_host,
            }
        )
