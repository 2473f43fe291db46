"""Feature-branch previews of the production Vercel projects read staging's public Supabase settings.

A preview is built from a feature branch by the *production* Vercel project,
but it must never reach production data. So the staging stack exports each
app's public Supabase settings (the API URL, and the anon key as a secret
output), and the prod stack reads them through a ``pulumi.StackReference`` and
sets them on the projects' ``preview`` target only:

- ``NEXT_PUBLIC_SUPABASE_URL`` ← staging's ``https://<staging ref>.supabase.co``;
- ``NEXT_PUBLIC_SUPABASE_ANON_KEY`` ← staging's anon key (row-level security applies);
- nothing else: no service-role key, no ``DATABASE_URL`` (both bypass row-level
  security or carry the database password), and no value of production's.

The ``development`` target (``vercel env pull`` for ``npm run dev``) gets none of
them: developers work against a local Supabase (``supabase db reset``, the
Talkline document's "Local Environment"), with ``.env.local``.

The reference is ``organization/<project>/staging``: on a self-managed backend
with project-scoped stacks (docs/backend.md) the organization is always the
literal ``organization`` (pulumi/pulumi ``pkg/backend/diy/store.go``). Staging
must have been ``up`` before prod's first ``up`` (README, "First up of a fresh
environment"); offline, ``estate plan`` plans staging first and reads its plan.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pulumi

from stacks.catalog import APPS, App, DatabaseOutput, EnvVar, FromDatabase, VercelHosting
from stacks.settings import StackSettings

# The stack whose Supabase projects previews use, and the outputs it exports for them.
STAGING_STACK = "staging"
PREVIEW_SUPABASE_URLS = "preview_supabase_urls"
PREVIEW_SUPABASE_ANON_KEYS = "preview_supabase_anon_keys"
# The database outputs a preview may read from staging: the public ones (browsers see them).
PREVIEW_DATABASE_OUTPUTS: Mapping[DatabaseOutput, str] = {
    "api_url": PREVIEW_SUPABASE_URLS,
    "anon_key": PREVIEW_SUPABASE_ANON_KEYS,
}


def staging_stack_name(project: str) -> str:
    """The staging stack's fully qualified name on this project's self-managed backend.

    A DIY backend's only organization is the literal ``organization``
    (pulumi/pulumi pkg/backend/diy/store.go; Pulumi docs, fullyQualifiedStackName).
    """
    return f"organization/{project}/{STAGING_STACK}"


class StagingReferenceError(ValueError):
    """Staging does not (yet) export what the prod stack's previews read."""


def reads_staging(settings: StackSettings) -> bool:
    """Whether this stack reads staging: the production stack, when a Vercel app has a database."""
    return settings.is_production and any(_previews_need_data(app, settings) for app in APPS)


def referenced_stacks(settings: StackSettings) -> tuple[str, ...]:
    """The stacks this stack's program reads through a ``StackReference`` (the offline plan plans them first)."""
    return (STAGING_STACK,) if reads_staging(settings) else ()


def _previews_need_data(app: App, settings: StackSettings) -> bool:
    return app.database and isinstance(settings.hosting[app.key], VercelHosting)


def preview_exports(
    settings: StackSettings,
    api_urls: Mapping[str, pulumi.Input[str]],
    anon_keys: Mapping[str, pulumi.Input[str]],
) -> dict[str, Any]:
    """The staging stack's outputs for the prod stack's previews (none in other stacks).

    ``api_urls`` / ``anon_keys``: per app key, its staging database's API URL and
    anon key. The anon keys are exported as one secret output.
    """
    if settings.environment != "staging":
        return {}
    return {
        PREVIEW_SUPABASE_URLS: dict(api_urls),
        PREVIEW_SUPABASE_ANON_KEYS: pulumi.Output.secret(dict(anon_keys)),
    }


class StagingSupabase:
    """Staging's public Supabase settings, read from the staging stack's outputs."""

    def __init__(self, reference: pulumi.StackReference, stack_name: str) -> None:
        self._reference = reference
        self._stack_name = stack_name

    def value(self, app_key: str, output: DatabaseOutput) -> pulumi.Output[str] | None:
        """The staging value of one public database output of an app; None for any other output."""
        name = PREVIEW_DATABASE_OUTPUTS.get(output)
        if name is None:
            return None
        # get_output keeps the output's secretness (secretOutputNames); a missing one is None.
        return self._reference.get_output(name).apply(self._pick(app_key, name))

    def _pick(self, app_key: str, name: str) -> Callable[[Any], str]:
        def pick(values: Any) -> str:
            if not isinstance(values, Mapping) or not isinstance(values.get(app_key), str):
                raise StagingReferenceError(
                    f"stack {self._stack_name} exports no {name}[{app_key!r}], which the previews of {app_key} "
                    f"read: run `pulumi up --stack {STAGING_STACK}` first (README, 'First up of a fresh environment')"
                )
            return str(values[app_key])

        return pick


def read_staging(settings: StackSettings) -> StagingSupabase | None:
    """The reference to the staging stack, in the stacks that read it (:func:`reads_staging`)."""
    if not reads_staging(settings):
        return None
    stack_name = staging_stack_name(pulumi.get_project())
    return StagingSupabase(pulumi.StackReference(f"{STAGING_STACK}-stack", stack_name), stack_name)


def preview_variables(app: App, staging: StagingSupabase | None) -> list[tuple[EnvVar, pulumi.Output[str]]]:
    """The app's variables that previews get from staging, with their values."""
    if staging is None or not app.database:
        return []
    found: list[tuple[EnvVar, pulumi.Output[str]]] = []
    for variable in app.env:
        if isinstance(variable.source, FromDatabase):
            value = staging.value(app.key, variable.source.output)
            if value is not None:
                found.append((variable, value))
    return found
