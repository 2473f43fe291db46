"""A Supabase project for one app in one environment."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_random as random
import pulumi_supabase as supabase

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
    """

    project_name: str
    organization_id: pulumi.Input[str]
    region: supabase.Region
    plan: supabase.Plan
    deletion_protection: bool = True


class SupabaseDatabase(pulumi.ComponentResource):
    """The project, its generated database password, and what apps need to connect.

    The password comes from ``random`` (a secret in state); it is fixed at
    creation, since the API cannot change it without replacing the project.

    Outputs: ``project_ref``, ``api_url`` (``https://<ref>.supabase.co``),
    ``database_url`` (secret; the transaction pooler, which suits serverless
    functions), ``db_password`` (secret), ``db_host``.
    """

    project_ref: pulumi.Output[str]
    api_url: pulumi.Output[str]
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

        self.project_ref = project.id
        self.api_url = project.id.apply(lambda ref: f"https://{ref}.supabase.co")
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
                "database_url": self.database_url,
                "db_password": self.db_password,
                "db_host": self.db_host,
            }
        )
