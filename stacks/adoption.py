"""Adopting resources that already exist, instead of creating them.

``estate:imports`` (stack config) maps Pulumi resource names, e.g.
``oms-vercel-project``, to the provider IDs of resources that exist already.
The program calls :func:`adopt_existing_resources` before it declares anything:
it registers an in-process stack transformation
(``pulumi.runtime.register_stack_transformation``) that gives each listed
resource the ``import_`` option, so the first ``pulumi up`` adopts it (and
fails, changing nothing, if the declared inputs do not match what exists).
The transformation runs in the program's own process, so the offline plan
under mocks shows it too (``options.import_id``); the newer engine-side
``register_resource_transform`` is not run by Pulumi's mock monitor.

After the estate is declared, :meth:`Adoption.check` turns every name that
matched nothing, or that names a resource which cannot be adopted, into a
config error naming ``estate:imports.<name>``.

``IMPORT_FORMATS`` records, per resource type, the ID each provider expects
(from the ``## Import`` sections of the installed SDKs) and whether adopting
makes sense; ``estate import-file`` uses it to write ``pulumi import --file``
input.
"""

from __future__ import annotations

import difflib
import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from policies.resource_types import (
    ACCESS_APPLICATION,
    ACCESS_POLICY,
    ACCOUNT_TOKEN,
    ACTIONS_ENVIRONMENT_SECRET,
    ACTIONS_ENVIRONMENT_VARIABLE,
    BRANCH_PROTECTION,
    DEPLOYMENT_POLICY,
    DNS_RECORD,
    GITHUB_BRANCH,
    HEALTHCHECK,
    ISSUE_LABEL,
    NOTIFICATION_POLICY,
    NOTIFICATION_POLICY_WEBHOOKS,
    PAGES_DOMAIN,
    PAGES_PROJECT,
    PULL_REQUEST,
    RANDOM_PASSWORD,
    REPOSITORY_ENVIRONMENT,
    REPOSITORY_FILE,
    SENTRY_ISSUE_ALERT,
    SENTRY_KEY,
    SENTRY_PLUGIN,
    SENTRY_PROJECT,
    TIME_ROTATING,
    VERCEL_ALERT_RULE,
    VERCEL_ALERT_RULE_WEBHOOK_NOTIFICATION,
    VERCEL_ENV_VAR,
    VERCEL_PROJECT,
    VERCEL_PROJECT_DOMAIN,
    VERCEL_WEBHOOK,
    WORKERS_CUSTOM_DOMAIN,
    WORKERS_ROUTE,
    WORKERS_SCRIPT,
    WORKERS_SCRIPT_SUBDOMAIN,
)

if TYPE_CHECKING:
    import pulumi

    from stacks.settings import StackSettings

IMPORTS_KEY = "estate:imports"


@dataclass(frozen=True)
class ImportFormat:
    """How a provider identifies an existing resource of one type.

    ``template``: the import ID; ``{input}`` is the resource's input (dotted
    paths allowed; ``|colon`` escapes ``:`` as ``??`` as the GitHub provider
    wants), ``{@input}`` the ID of the resource whose output feeds that input,
    and ``<...>`` something to look up (no ``/`` or ``:`` inside, so the
    separators stay countable). ``documented``: the ID in the SDK's own
    ``## Import`` example, which the template follows (None when the SDK gives
    none). ``adoptable``: whether ``estate:imports`` may name it (the
    ``import_`` option fails unless what exists matches the declared inputs);
    ``adoptable_unless``: an input that, when true, makes it not adoptable.
    ``in_file``: whether ``estate import-file`` lists it for ``pulumi import``
    (which takes what exists as it is; the next ``up`` then updates it).
    ``note`` says why not, or what to know first. ``secret_id``: the import
    ID would itself be a secret, never shown or written.
    """

    template: str | None
    documented: str | None
    adoptable: bool = True
    note: str = ""
    in_file: bool = True
    adoptable_unless: str | None = None
    secret_id: bool = False


IMPORT_FORMATS: Mapping[str, ImportFormat] = {
    DNS_RECORD: ImportFormat("{zoneId}/<ID of the {type} record {name}>", "<zone_id>/<dns_record_id>"),
    PAGES_PROJECT: ImportFormat(
        "{accountId}/{name}",
        "<account_id>/<project_name>",
        note="a project with secret environment variables cannot be imported: remove them first",
    ),
    PAGES_DOMAIN: ImportFormat(
        "{accountId}/{projectName}/{name}", "<account_id>/<project_name>/<domain_name>"
    ),
    ACCESS_APPLICATION: ImportFormat(
        "accounts/{accountId}/<ID of the Access application {name}>",
        "<{accounts|zones}/{account_id|zone_id}>/<app_id>",
    ),
    ACCESS_POLICY: ImportFormat(
        "{accountId}/<ID of the reusable Access policy {name}>", "<account_id>/<policy_id>"
    ),
    ACCOUNT_TOKEN: ImportFormat(
        "{accountId}/<ID of the account API token {name}>",
        "<account_id>/<token_id>",
        adoptable=False,
        in_file=False,
        note="a token's value is shown only when it is created, so an adopted token would hand an empty "
        "value to the deploy workflow: let the stack create a new token, then delete the old one",
    ),
    WORKERS_CUSTOM_DOMAIN: ImportFormat(
        "{accountId}/<ID of the Workers custom domain {hostname}>", "<account_id>/<domain_id>"
    ),
    WORKERS_ROUTE: ImportFormat("{zoneId}/<ID of the Workers route {pattern}>", "<zone_id>/<route_id>"),
    VERCEL_PROJECT: ImportFormat(
        "{teamId}/<ID prj_… of the Vercel project {name}>",
        "team_xxxxxxxxxxxxxxxxxxxxxxxx/prj_xxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    ),
    VERCEL_PROJECT_DOMAIN: ImportFormat(
        "{teamId}/{@projectId}/{domain}",
        "team_xxxxxxxxxxxxxxxxxxxxxxxx/prj_xxxxxxxxxxxxxxxxxxxxxxxxxxxx/example.com",
    ),
    VERCEL_ENV_VAR: ImportFormat(
        "{teamId}/{@projectId}/<ID of the variable {key} for {targets}>",
        "team_xxxxxxxxxxxxxxxxxxxxxxxx/prj_xxxxxxxxxxxxxxxxxxxxxxxxxxxx/FdT2e1E5Of6Cihmt",
        adoptable_unless="sensitive",
        note="a sensitive variable's value is imported as null and never matches: delete it in Vercel "
        "and let the stack create it",
    ),
    BRANCH_PROTECTION: ImportFormat("{repositoryId}:{pattern}", "terraform:main"),
    REPOSITORY_ENVIRONMENT: ImportFormat("{repository}:{environment|colon}", "myrepo:myenv"),
    DEPLOYMENT_POLICY: ImportFormat(
        "{repository}:{environment|colon}:<ID of the branch policy {branchPattern}>", "myrepo:myenv:123456"
    ),
    ACTIONS_ENVIRONMENT_SECRET: ImportFormat(
        "{repository}:{environment|colon}:{secretName}",
        "myrepo:myenv:mysecret",
        adoptable=False,
        note="GitHub never returns the value, so adopting cannot match the declared one, and there is nothing "
        "to adopt: creating the secret overwrites the existing value (after `pulumi import`, the next up "
        "writes it)",
    ),
    ACTIONS_ENVIRONMENT_VARIABLE: ImportFormat(
        "{repository}:{environment|colon}:{variableName}", "myrepo:myenv:myvariable"
    ),
    GITHUB_BRANCH: ImportFormat("{repository}:{branch}:{sourceBranch}", "terraform:feature-branch:dev"),
    REPOSITORY_FILE: ImportFormat("{repository}:{file|colon}:{branch}", "example:.gitignore:feature-branch"),
    PULL_REQUEST: ImportFormat(
        None,
        None,
        adoptable=False,
        in_file=False,
        note="the GitHub provider cannot import pull requests: close the existing one; the stack opens its own",
    ),
    HEALTHCHECK: ImportFormat("{zoneId}/<ID of the health check {name}>", "<zone_id>/<healthcheck_id>"),
    NOTIFICATION_POLICY: ImportFormat(
        "{accountId}/<ID of the notification policy {name}>", "<account_id>/<policy_id>"
    ),
    NOTIFICATION_POLICY_WEBHOOKS: ImportFormat(
        "{accountId}/<ID of the notification webhook {name}>",
        "<account_id>/<webhook_id>",
        adoptable=False,
        note="its URL and secret are never returned, so an import cannot match the declared ones: let the stack "
        "create a new destination, then delete the old one",
    ),
    WORKERS_SCRIPT: ImportFormat("{accountId}/{scriptName}", "<account_id>/<script_name>"),
    WORKERS_SCRIPT_SUBDOMAIN: ImportFormat("{accountId}/{scriptName}", "<account_id>/<script_name>"),
    VERCEL_ALERT_RULE: ImportFormat(
        "{teamId}/<ID ar_… of the alert rule {name}>",
        "team_xxxxxxxxxxxxxxxxxxxxxxxx/ar_xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
    ),
    VERCEL_ALERT_RULE_WEBHOOK_NOTIFICATION: ImportFormat(
        "{teamId}/{@alertRuleId}/{@webhookId}",
        "team_xxxxxxxxxxxxxxxxxxxxxxxx/ar_xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx/hook_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    ),
    VERCEL_WEBHOOK: ImportFormat(
        "{teamId}/<ID hook_… of the webhook to {endpoint}>",
        "team_xxxxxxxxxxxxxxxxxxxxxxxx/hook_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        adoptable=False,
        in_file=False,
        note="its signing secret, which the alert relay checks, is returned only when it is created: let the "
        "stack create a new webhook, then delete the old one",
    ),
    SENTRY_PROJECT: ImportFormat("{organization}/{slug}", "org-slug/project-slug"),
    SENTRY_KEY: ImportFormat(
        "{organization}/{project}/<ID of the client key {name}>", "org-slug/project-slug/key-id"
    ),
    SENTRY_ISSUE_ALERT: ImportFormat(
        "{organization}/{project}/<rule ID of the alert {name}>", "org-slug/project-slug/rule-id"
    ),
    SENTRY_PLUGIN: ImportFormat(
        None,
        None,
        adoptable=False,
        in_file=False,
        note="the Sentry provider cannot import plugins; creating it configures the existing plugin",
    ),
    ISSUE_LABEL: ImportFormat(
        "{repository}:{name}",
        "terraform:panic",
        note="GitHub refuses to create a label whose name exists (422 already_exists; the provider's Create "
        "only POSTs, terraform-provider-github v6.13.0 resource_github_issue_label.go): adopt labels made by hand",
    ),
    TIME_ROTATING: ImportFormat(
        "<base_date>T<hh>:<mm>:<ss>Z,0,0,{rotationDays},0,0",
        "2020-02-12T06:36:13Z,0,0,30,0,0",
        adoptable=False,
        in_file=False,
        note="nothing exists outside the state: the first up starts the rotation schedule",
    ),
    RANDOM_PASSWORD: ImportFormat(
        None,
        None,
        adoptable=False,
        in_file=False,
        secret_id=True,
        note="its import ID is the secret value itself, which must not sit in a config or import file: let the "
        "stack generate a new one (for a database password, reset the database password to it afterwards: "
        "Supabase → Project settings → Database)",
    ),
}

# Python dynamic resources (pulumi-python:dynamic/...) cannot be imported: the engine
# sends no inputs, so the pickled provider is missing (pulumi/pulumi#16175). They adopt
# on create instead (see docs/supabase.md).
DYNAMIC_PREFIX = "pulumi-python:dynamic"
DYNAMIC_FORMAT = ImportFormat(
    None,
    None,
    adoptable=False,
    in_file=False,
    note="Python dynamic resources cannot be imported (pulumi/pulumi#16175); "
    "creating one adopts what exists (docs/supabase.md)",
)


def import_format(type_token: str) -> ImportFormat | None:
    """The import format of a custom resource type; None if the estate has not described it."""
    if type_token.startswith(DYNAMIC_PREFIX):
        return DYNAMIC_FORMAT
    return IMPORT_FORMATS.get(type_token)


def adoptable(known: ImportFormat | None, props: Mapping[str, object]) -> bool:
    """Whether a resource of that format, with these inputs, may be adopted with ``import_``."""
    if known is None:
        return True  # the provider decides; the estate has no reason to refuse
    return known.adoptable and not (known.adoptable_unless and props.get(known.adoptable_unless))


@dataclass
class _Seen:
    type_token: str
    custom: bool
    provider: bool
    adoptable: bool


class Adoption:
    """The ``import_`` transformation for one run of the program; see the module docs."""

    def __init__(self, stack: str, imports: Mapping[str, str]) -> None:
        self.stack = stack
        self.imports = dict(imports)
        self.seen: dict[str, list[_Seen]] = defaultdict(list)
        # Parent name → its children's names, in declaration order (for suggestions).
        self.children: dict[str, list[str]] = defaultdict(list)
        self._name_of: dict[int, str] = {}

    def transform(
        self, args: pulumi.ResourceTransformationArgs
    ) -> pulumi.ResourceTransformationResult | None:
        """Records every resource; gives the listed, adoptable ones their ``import_`` ID."""
        import pulumi

        custom = isinstance(args.resource, pulumi.CustomResource)
        provider = isinstance(args.resource, pulumi.ProviderResource)
        may_adopt = adoptable(import_format(args.type_), args.props)
        self.seen[args.name].append(_Seen(args.type_, custom, provider, may_adopt))
        self._name_of[id(args.resource)] = args.name
        parent = self._name_of.get(id(args.opts.parent)) if args.opts.parent is not None else None
        if parent is not None:
            self.children[parent].append(args.name)
        import_id = self.imports.get(args.name)
        if import_id is None or not custom or provider or not may_adopt:
            return None  # check() reports why
        return pulumi.ResourceTransformationResult(
            args.props, pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(import_=import_id))
        )

    def problems(self) -> list[tuple[str, str, str, str]]:
        """(key, value, message, fix) for every entry that adopted nothing."""
        from stacks.settings import config_set, shown_value

        candidates = sorted(
            name for name, seen in self.seen.items() if any(s.custom and not s.provider for s in seen)
        )
        found: list[tuple[str, str, str, str]] = []
        for name, import_id in sorted(self.imports.items()):
            key = f"{IMPORTS_KEY}.{name}"
            remove = f"pulumi config rm --path '{key}'"
            seen = self.seen.get(name, [])
            # Shown only when it cannot be a credential (stacks.settings.shown_value).
            value = shown_value(key, import_id)
            if not seen:
                close = difflib.get_close_matches(name, candidates, n=3)
                hint = (
                    f"; did you mean {', '.join(close)}?"
                    if close
                    else "; `python -m estate plan` lists the names"
                )
                moved = import_id if value == json.dumps(import_id) else None  # else Pulumi prompts for it
                fix = (
                    f"{remove} && {config_set(f'{IMPORTS_KEY}.{close[0]}', moved, path=True)}"
                    if close
                    else remove
                )
                found.append(
                    (key, value, f"no resource of the {self.stack} stack is named {name!r}{hint}", fix)
                )
            elif len(seen) > 1:
                types = sorted(s.type_token for s in seen)
                found.append(
                    (
                        key,
                        value,
                        f"{len(seen)} resources are named {name!r} ({types}); the import is ambiguous",
                        remove,
                    )
                )
            elif seen[0].provider:
                found.append((key, value, "names a provider; providers are configured, not imported", remove))
            elif not seen[0].custom:
                children = self.children.get(name, [])
                listed = ", ".join(children[:5]) + (
                    f" and {len(children) - 5} more" if len(children) > 5 else ""
                )
                found.append(
                    (
                        key,
                        value,
                        f"names a component ({seen[0].type_token}), which has no ID of its own; "
                        f"adopt its resources instead: {listed or '(none)'}",
                        remove,
                    )
                )
            elif not seen[0].adoptable:
                known = import_format(seen[0].type_token)
                assert known is not None
                shown = "[secret]" if known.secret_id else value
                found.append((key, shown, f"{seen[0].type_token} cannot be adopted: {known.note}", remove))
        return found

    def check(self) -> None:
        """Raises ``SettingsError`` naming ``estate:imports.<name>`` for every entry that adopted nothing."""
        from stacks.settings import Problem, SettingsError

        problems = [Problem(*problem) for problem in self.problems()]
        if problems:
            raise SettingsError(self.stack, problems)


def adopt_existing_resources(settings: StackSettings) -> Adoption:
    """Registers the ``import_`` transformation for ``settings.imports``; call before declaring anything."""
    import pulumi.runtime

    adoption = Adoption(settings.stack, settings.imports)
    pulumi.runtime.register_stack_transformation(adoption.transform)
    return adoption
