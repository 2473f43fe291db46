"""Turns one stack's settings and the catalog into components. ``__main__`` calls :func:`build_estate`.

The parts hand each other typed handles (:class:`stacks.built_app.BuiltApp`:
the components themselves), never dictionaries of outputs: the alerting reads a Vercel
project's ID as ``apps[key].vercel.project_id``. Stack outputs are made last,
from the handles, and carry only what people and tools read from the stack.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pulumi

from components.access_policy import AccessPolicy, AccessPolicyArgs
from components.application import Application, ApplicationArgs
from components.cloudflare_deploy_token import CloudflareDeployToken, CloudflareDeployTokenArgs
from components.pages_site import PagesSite, PagesSiteArgs
from components.pull_request_labels import PullRequestLabels, PullRequestLabelsArgs
from components.repository_governance import (
    DELIVERY_BRANCH_PREFIX,
    RepositoryGovernance,
    RepositoryGovernanceArgs,
)
from components.rotation_schedule import RotationSchedule, RotationScheduleArgs
from components.supabase_database import SupabaseDatabase, SupabaseDatabaseArgs
from components.vercel_app import EnvironmentVariable, VercelApp, VercelAppArgs, VercelTarget
from components.worker import Worker, WorkerArgs
from stacks.alerting import alert_channel_secrets, build_alerting
from stacks.app_checks import CHECKLIST_LABELS, checklist_files, preview_e2e_files
from stacks.built_app import BuiltApp
from stacks.catalog import (
    APPS,
    App,
    EnvVar,
    FromDatabase,
    FromStack,
    PagesHosting,
    Plain,
    Secret,
    VercelHosting,
    WorkerHosting,
)
from stacks.cloudflare_accounts import (
    apps_account_id,
    worker_hostname,
    workers_dev_subdomain,
    zone_account_for_gates,
)
from stacks.organization_providers import OrganizationProviders, organization_providers
from stacks.settings import Organization, StackSettings
from stacks.staging_reference import StagingSupabase, preview_exports, preview_variables, read_staging

# Workflow templates delivered to the app repositories: app-workflows/<repository>/.
APP_WORKFLOWS_DIR = Path(__file__).resolve().parent.parent / "app-workflows"

# Permission groups a Pages deploy (wrangler pages deploy) needs.
PAGES_DEPLOY_PERMISSION_GROUPS = ("Pages Write",)


@dataclass(frozen=True)
class _Hosted:
    """What an app's hosting hands on: its component(s) and its repository's deploy environment."""

    secrets: Mapping[str, pulumi.Input[str]]
    variables: Mapping[str, pulumi.Input[str]]
    vercel: VercelApp | None = None
    pages: Mapping[str, PagesSite] = field(default_factory=dict)
    worker: Worker | None = None


@dataclass(frozen=True)
class _Gates:
    """The reusable Access policies a gated site of one organization attaches (None where none is needed)."""

    apps_account: AccessPolicy | None = None
    zone_account: AccessPolicy | None = None


@dataclass(frozen=True)
class _AppContext:
    """What every part of one app's build needs."""

    app: App
    settings: StackSettings
    org: Organization
    providers: OrganizationProviders
    group: Application
    deploy_branch: str
    rotation: RotationSchedule
    value_of: Callable[[EnvVar], pulumi.Input[str]]
    # Staging's public Supabase settings, in the stack whose previews read them.
    staging: StagingSupabase | None = None

    @property
    def repository(self) -> str:
        return f"{self.org.github_owner}/{self.app.repository}"


def build_estate(settings: StackSettings) -> dict[str, Any]:
    """Declares the whole estate of one stack; returns the stack outputs."""
    providers = {org.name: organization_providers(org) for org in settings.organizations.values()}
    gates = _access_gates(settings, providers)
    # Credentials the stack creates roll over on this environment's schedule.
    rotation = RotationSchedule(
        "credential-rotation",
        RotationScheduleArgs(
            period_days=settings.rotation.period_days, grace_days=settings.rotation.grace_days
        ),
    )
    # Previews of the production projects read staging's public Supabase settings.
    staging = read_staging(settings)
    apps = {
        app.key: _build_app(
            app,
            settings,
            providers[app.organization],
            gates.get(app.organization, _Gates()),
            rotation,
            staging,
        )
        for app in APPS
    }
    build_alerting(settings, providers, apps, rotation.generation)
    databases = {key: built.database for key, built in apps.items() if built.database is not None}
    return stack_outputs(settings, apps) | preview_exports(
        settings,
        {key: database.api_url for key, database in databases.items()},
        {key: database.anon_key for key, database in databases.items()},
    )


def stack_outputs(settings: StackSettings, apps: Mapping[str, BuiltApp]) -> dict[str, Any]:
    """What the stack exports: its environment and, per app, its repository and primary URL.

    ``python -m estate diff`` reads ``environment``, ``python -m estate graph``
    each app's ``repository``; the URLs are where to look first.
    """
    return {
        "environment": settings.environment,
        "apps": {key: {"repository": built.repository, "url": built.url} for key, built in apps.items()},
    }


def _access_gates(
    settings: StackSettings, providers: Mapping[str, OrganizationProviders]
) -> dict[str, _Gates]:
    """One reusable policy per account that gates something, per organization with a gated site.

    The apps account (Pages projects) and, where it is another account, the
    zone's (custom domains).
    """

    def access_policy(name: str, account_id: str, org_name: str) -> AccessPolicy:
        return AccessPolicy(
            name,
            AccessPolicyArgs(
                account_id=account_id,
                policy_name=f"{org_name} staff ({settings.environment})",
                emails=settings.access.emails,
                email_domains=settings.access.email_domains,
                group_ids=settings.access.group_ids,
            ),
            opts=pulumi.ResourceOptions(provider=providers[org_name].cloudflare),
        )

    gates: dict[str, _Gates] = {}
    for org in settings.organizations.values():
        if not any(_is_gated(settings, app) for app in APPS if app.organization == org.name):
            continue
        zone_account = zone_account_for_gates(settings, org)
        gates[org.name] = _Gates(
            apps_account=access_policy(
                f"{org.name}-internal-access", apps_account_id(settings, org), org.name
            ),
            zone_account=(
                access_policy(f"{org.name}-internal-access-zone", zone_account, org.name)
                if zone_account is not None
                else None
            ),
        )
    return gates


def _is_gated(settings: StackSettings, app: App) -> bool:
    hosting = settings.hosting[app.key]
    return isinstance(hosting, PagesHosting) and any(site.gated for site in hosting.sites)


def _build_app(
    app: App,
    settings: StackSettings,
    providers: OrganizationProviders,
    gates: _Gates,
    rotation: RotationSchedule,
    staging: StagingSupabase | None = None,
) -> BuiltApp:
    """The app's group, database, hosting and repository governance."""
    org = settings.organizations[app.organization]
    group = Application(
        app.key,
        ApplicationArgs(
            title=app.title,
            repository=f"{org.github_owner}/{app.repository}",
            environment=settings.environment,
        ),
    )
    primary_url = _primary_url(settings, app)
    database = _database(app, settings, org, group) if app.database else None

    def value_of(variable: EnvVar) -> pulumi.Input[str]:
        source = variable.source
        if isinstance(source, Secret):
            return pulumi.Output.secret(settings.secrets[source.config_key].reveal())
        if isinstance(source, Plain):
            return settings.values[source.config_key]
        if isinstance(source, FromStack):
            return settings.environment if source.name == "environment" else primary_url
        assert isinstance(source, FromDatabase)
        if database is None:
            raise ValueError(f"catalog: {app.key}.{variable.key} reads the database, but {app.key} has none")
        return getattr(database, source.output)

    context = _AppContext(
        app, settings, org, providers, group, settings.deploy_branch(app), rotation, value_of, staging
    )
    hosting = settings.hosting[app.key]
    if isinstance(hosting, VercelHosting):
        hosted = _host_on_vercel(context, hosting)
    elif isinstance(hosting, PagesHosting):
        hosted = _host_on_pages(context, hosting, gates)
    else:
        hosted = _host_on_worker(context, hosting)

    secrets: dict[str, pulumi.Input[str]] = dict(hosted.secrets)
    if database is not None:
        # Migrations connect with this environment's database password only: no account-wide
        # Supabase token ever reaches an app repository.
        secrets["SUPABASE_DB_URL"] = database.migration_database_url
    # The repository's workflows post their failures to the stack's alert channel.
    secrets |= alert_channel_secrets(settings)
    governance = _governance(context, secrets, hosted.variables)
    if settings.is_production:
        # Repository-wide, so one stack owns them.
        PullRequestLabels(
            f"{app.key}-labels",
            PullRequestLabelsArgs(repository=app.repository, labels=CHECKLIST_LABELS),
            opts=pulumi.ResourceOptions(parent=group, provider=providers.github),
        )
    return BuiltApp(
        app=app,
        repository=context.repository,
        url=primary_url,
        governance=governance,
        database=database,
        vercel=hosted.vercel,
        pages=hosted.pages,
        worker=hosted.worker,
    )


def _database(app: App, settings: StackSettings, org: Organization, group: Application) -> SupabaseDatabase:
    return SupabaseDatabase(
        f"{app.key}-database",
        SupabaseDatabaseArgs(
            project_name=settings.resource_name(f"{org.name}-{app.key}"),
            organization_slug=org.supabase_organization_id,
            region=settings.supabase_region,
            instance_size=settings.supabase_compute_size,
            # Auth sends users back to this environment's hosts only.
            site_url=_primary_url(settings, app),
            redirect_urls=[f"{url}/**" for url in _app_urls(settings, app)],
            deletion_protection=settings.is_production,
            point_in_time_recovery=cast(Any, settings.point_in_time_recovery),
        ),
        opts=pulumi.ResourceOptions(parent=group),
    )


def _host_on_vercel(context: _AppContext, hosting: VercelHosting) -> _Hosted:
    """A Vercel project; Vercel builds and deploys it from git, so the repository gets no deploy secrets."""
    app, settings, org = context.app, context.settings, context.org
    vercel_app = VercelApp(
        f"{app.key}-vercel",
        VercelAppArgs(
            project_name=settings.resource_name(app.key),
            team_id=org.vercel_team_id,
            git_repository=context.repository,
            production_branch=context.deploy_branch,
            domains=[settings.hostname(app, hosting.subdomain)],
            zone_id=org.cloudflare_zone_id,
            # Each branch builds in one project: production builds main and feature
            # branches, never the staging branch (the staging project's) or delivery branches.
            build_previews=settings.is_production,
            skip_branches=(app.staging_branch, f"{DELIVERY_BRANCH_PREFIX}*")
            if settings.is_production
            else (),
            environment_variables=_vercel_environment(app, settings, context.value_of, context.staging),
            framework=hosting.framework,
            root_directory=hosting.root_directory,
        ),
        opts=pulumi.ResourceOptions(
            parent=context.group, providers=[context.providers.vercel, context.providers.cloudflare]
        ),
    )
    return _Hosted(secrets={}, variables={}, vercel=vercel_app)


def _host_on_pages(context: _AppContext, hosting: PagesHosting, gates: _Gates) -> _Hosted:
    """Pages projects the repository's workflow uploads to, with a deploy token for the apps account."""
    app, settings, org = context.app, context.settings, context.org
    apps_account = apps_account_id(settings, org)
    in_group = pulumi.ResourceOptions(parent=context.group, provider=context.providers.cloudflare)
    sites = {
        site.project_name: PagesSite(
            f"{app.key}-{site.subdomain}",
            PagesSiteArgs(
                account_id=apps_account,
                zone_id=org.cloudflare_zone_id,
                project_name=settings.resource_name(site.project_name),
                production_branch=context.deploy_branch,
                domain=settings.hostname(app, site.subdomain),
                access_policy_id=gates.apps_account.policy_id if site.gated and gates.apps_account else None,
                zone_account_id=zone_account_for_gates(settings, org) if site.gated else None,
                zone_access_policy_id=gates.zone_account.policy_id
                if site.gated and gates.zone_account
                else None,
            ),
            opts=in_group,
        )
        for site in hosting.sites
    }
    token = CloudflareDeployToken(
        f"{app.key}-pages-deploy",
        CloudflareDeployTokenArgs(
            account_id=apps_account,
            token_name=f"pages deploy: {app.repository} ({settings.environment})",
            permission_group_names=PAGES_DEPLOY_PERMISSION_GROUPS,
            expires_on=context.rotation.expires_on,
        ),
        opts=in_group,
    )
    secrets: dict[str, pulumi.Input[str]] = {
        "CLOUDFLARE_API_TOKEN": token.token,
        "CLOUDFLARE_ACCOUNT_ID": pulumi.Output.secret(apps_account),
    }
    variables: dict[str, pulumi.Input[str]] = {
        site.workflow_variable: sites[site.project_name].project_name for site in hosting.sites
    }
    secrets |= {v.key: context.value_of(v) for v in app.env if v.sensitive}
    variables |= {v.key: context.value_of(v) for v in app.env if not v.sensitive}
    return _Hosted(secrets=secrets, variables=variables, pages=sites)


def _host_on_worker(context: _AppContext, hosting: WorkerHosting) -> _Hosted:
    """A Worker whose code ``wrangler deploy`` ships; the stack owns its domain, secrets and deploy token."""
    app, settings, org = context.app, context.settings, context.org
    plain = [v.key for v in app.env if not v.sensitive]
    if plain:
        raise ValueError(
            f"catalog: {app.key} runs on a Worker, whose plain variables belong in its "
            f"wrangler.toml [vars], not the stack: move {plain} there or make them secrets"
        )
    workers_dev = workers_dev_subdomain(settings, app)
    worker = Worker(
        f"{app.key}-worker",
        WorkerArgs(
            account_id=apps_account_id(settings, org),
            script_name=settings.resource_name(hosting.script_name),
            wrangler_environment=settings.environment,
            # A custom domain needs the zone in the Worker's account: staging's answer on workers.dev.
            zone_id=org.cloudflare_zone_id if workers_dev is None else None,
            hostname=settings.hostname(app, hosting.subdomain) if workers_dev is None else None,
            workers_dev_subdomain=workers_dev,
            secrets={v.key: context.value_of(v) for v in app.env if v.sensitive},
            deploy_token_expires_on=context.rotation.expires_on,
        ),
        opts=pulumi.ResourceOptions(parent=context.group, provider=context.providers.cloudflare),
    )
    return _Hosted(secrets=worker.deploy_secrets, variables=worker.deploy_variables, worker=worker)


def _governance(
    context: _AppContext, secrets: Mapping[str, pulumi.Input[str]], variables: Mapping[str, pulumi.Input[str]]
) -> RepositoryGovernance:
    app, settings, org = context.app, context.settings, context.org
    return RepositoryGovernance(
        f"{app.key}-repository",
        RepositoryGovernanceArgs(
            repository=app.repository,
            owner=org.github_owner,
            environment=settings.environment,
            deploy_branch=context.deploy_branch,
            # Staging may still be on the backlog in some repositories: cut it from main if missing.
            deploy_branch_source="main",
            required_status_checks=settings.required_status_checks[app.repository],
            required_approvals=settings.required_approvals,
            secrets=secrets,
            variables=variables,
            workflow_files=_workflow_files(app.repository) | checklist_files(app) | preview_e2e_files(app),
            delivery_token=pulumi.Output.secret(org.github_token.reveal()),
        ),
        opts=pulumi.ResourceOptions(parent=context.group, provider=context.providers.github),
    )


def _app_urls(settings: StackSettings, app: App) -> list[str]:
    """Every ``https://`` URL the app serves in this stack, the primary one first."""
    hosting = settings.hosting[app.key]
    if isinstance(hosting, WorkerHosting):
        return [f"https://{worker_hostname(settings, app, hosting)}"]
    subdomains = (
        [site.subdomain for site in hosting.sites]
        if isinstance(hosting, PagesHosting)
        else [hosting.subdomain]
    )
    return [f"https://{settings.hostname(app, subdomain)}" for subdomain in subdomains]


def _primary_url(settings: StackSettings, app: App) -> str:
    return _app_urls(settings, app)[0]


def _vercel_environment(
    app: App,
    settings: StackSettings,
    value_of: Callable[[EnvVar], pulumi.Input[str]],
    staging: StagingSupabase | None,
) -> list[EnvironmentVariable]:
    """Every app variable for the project's production target.

    In the production project, feature-branch previews (and ``vercel dev``) get
    what the stack derives, and previews staging's public Supabase settings
    (stacks/staging_reference.py): never production's data access or keys.
    """
    production: tuple[VercelTarget, ...] = ("production",)
    variables = [EnvironmentVariable(v.key, value_of(v), production, v.sensitive) for v in app.env]
    if settings.is_production:
        variables += [
            EnvironmentVariable(v.key, "preview", ("preview", "development"), sensitive=False)
            for v in app.env
            if isinstance(v.source, FromStack) and v.source.name == "environment"
        ]
        variables += [
            EnvironmentVariable(v.key, value, ("preview",), v.sensitive)
            for v, value in preview_variables(app, staging)
        ]
    return variables


def _workflow_files(repository: str) -> dict[str, str]:
    """The repository's delivered files: ``*.yml`` go to ``.github/workflows/``, the rest to the root."""
    folder = APP_WORKFLOWS_DIR / repository
    if not folder.is_dir():
        raise FileNotFoundError(f"catalog: no workflow templates for {repository}; add {folder}")
    return {
        (
            f".github/workflows/{path.name}" if path.suffix in (".yml", ".yaml") else path.name
        ): path.read_text()
        for path in sorted(folder.iterdir())
        if path.is_file()
    }
