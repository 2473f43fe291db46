"""Typed, validated settings of one stack, loaded from its Pulumi config.

Every problem is collected and reported at once, each naming the key, the bad
value (never a secret's) and the exact command that fixes it. Nothing is
registered with Pulumi before the settings load cleanly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast, get_args

from stacks.catalog import APPS, ORGANIZATIONS, App, Environment, Hosting, Plain, Secret

NAMESPACE = "estate"
ENVIRONMENTS: tuple[Environment, ...] = get_args(Environment)
SUPABASE_REGIONS = (
    "us-east-1", "us-west-1", "ap-southeast-1", "ap-northeast-1", "ap-northeast-2", "ap-southeast-2",
    "eu-west-1", "eu-west-2", "eu-central-1", "ca-central-1", "ap-south-1", "sa-east-1",
)  # fmt: skip
SUPABASE_PLANS = ("free", "pro")
PITR_VARIANTS = ("pitr_7", "pitr_14", "pitr_28")
# The Supabase provider reads its token from its own namespace.
SUPABASE_TOKEN_KEY = "supabase:token"
# What the offline plan puts in place of every secret; format checks cannot judge it.
OFFLINE_SECRET_PLACEHOLDER = "[offline placeholder]"

_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_ZONE = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_GITHUB_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$")
_CHECK_NAME = re.compile(r"^[^\s].{0,254}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Alerting: one Slack incoming webhook per stack (#alerts in prod, its own channel in staging).
ALERTS_WEBHOOK_KEY = f"{NAMESPACE}:alertsSlackWebhookUrl"
SENTRY_TOKEN_KEY = f"{NAMESPACE}:sentryAuthToken"
_SLACK_WEBHOOK = re.compile(r"^https://hooks\.slack\.com/services/[A-Za-z0-9_-]+/[A-Za-z0-9_-]+/[A-Za-z0-9_-]+$")
_SENTRY_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
_WORKERS_DEV_SUBDOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class SecretValue:
    """A secret config value that never shows itself in reprs, logs or errors."""

    __slots__ = ("config_key", "_value")

    def __init__(self, config_key: str, value: str) -> None:
        self.config_key = config_key
        self._value = value

    def reveal(self) -> str:
        """The value, for handing to Pulumi as a secret; never print it."""
        return self._value

    def __repr__(self) -> str:
        return f"SecretValue({self.config_key!r}, [secret])"

    __str__ = __repr__


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the config, and how to fix it."""

    key: str
    value: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.key} = {self.value}: {self.message}\n    fix: {self.fix}"


class SettingsError(Exception):
    """All the problems of a stack's config, reported together."""

    def __init__(self, stack: str, problems: list[Problem]) -> None:
        self.stack = stack
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"stack {stack!r} has {len(problems)} config problem(s):\n{lines}")


@dataclass(frozen=True)
class Organization:
    """One organization's accounts: Cloudflare, Vercel, GitHub and Supabase."""

    name: str
    cloudflare_account_id: str
    cloudflare_zone_id: str
    zone: str
    vercel_team_id: str
    github_owner: str
    supabase_organization_id: str
    cloudflare_api_token: SecretValue
    vercel_api_token: SecretValue
    github_token: SecretValue
    supabase_deploy_token: SecretValue


@dataclass(frozen=True)
class AccessAllowList:
    """Who may open gated (internal) sites."""

    emails: tuple[str, ...]
    email_domains: tuple[str, ...]
    group_ids: tuple[str, ...]


@dataclass(frozen=True)
class ErrorTrackingSettings:
    """The Sentry organization and team owning the apps' error-tracking projects."""

    organization: str
    team: str
    auth_token: SecretValue


@dataclass(frozen=True)
class AlertingSettings:
    """Where every system of the stack posts its alerts (see docs/alerting.md).

    ``slack_webhook_url``: the stack's Slack incoming webhook, the one
    destination. ``relay_subdomain``: the workers.dev subdomain of the account
    running the alert relay. ``error_tracking``: the Sentry account, when an app
    of the catalog has ``error_tracking``.
    """

    slack_webhook_url: SecretValue
    relay_subdomain: str
    error_tracking: ErrorTrackingSettings | None


@dataclass(frozen=True)
class StackSettings:
    """Everything one stack needs, validated."""

    stack: str
    environment: Environment
    organizations: Mapping[str, Organization]
    supabase_region: str
    supabase_plan: str
    # The PITR add-on variant of each Supabase project; production only.
    point_in_time_recovery: str | None
    access: AccessAllowList
    required_status_checks: Mapping[str, tuple[str, ...]]
    required_approvals: int
    hosting: Mapping[str, Hosting]
    values: Mapping[str, str]
    secrets: Mapping[str, SecretValue]
    # Always set by load_settings; None only in settings built by hand.
    alerting: AlertingSettings | None = None
    # Pulumi resource name → ID of an existing resource to adopt (estate:imports; stacks/adoption.py).
    imports: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    def deploy_branch(self, app: App) -> str:
        return "main" if self.is_production else app.staging_branch

    def hostname(self, app: App, subdomain: str) -> str:
        """``oms.gstarlink.com`` in production, ``oms-staging.gstarlink.com`` elsewhere.

        One label, not ``oms.staging.…``: Cloudflare's universal certificate covers
        only first-level subdomains of a proxied zone.
        """
        zone = self.organizations[app.organization].zone
        label = subdomain if self.is_production else f"{subdomain}-{self.environment}"
        return f"{label}.{zone}"

    def resource_name(self, name: str) -> str:
        """Names of account-wide things (projects, workers): suffixed outside production."""
        return name if self.is_production else f"{name}-{self.environment}"


def config_set(key: str, value: str, *, secret: bool = False, path: bool = False) -> str:
    """The command that sets ``key``, shown in every fix."""
    flags = (" --secret" if secret else "") + (" --path" if path else "")
    return f"pulumi config set{flags} '{key}' {value}"


def secret_config_keys() -> list[str]:
    """Every secret key the catalog needs, fully qualified."""
    keys = [SUPABASE_TOKEN_KEY]
    for org in ORGANIZATIONS:
        keys += [f"{NAMESPACE}:{org}{suffix}" for suffix in _ORG_SECRET_SUFFIXES]
    keys += [f"{NAMESPACE}:{source.config_key}" for source in _sources(Secret)]
    keys.append(ALERTS_WEBHOOK_KEY)
    if any(app.error_tracking for app in APPS):
        keys.append(SENTRY_TOKEN_KEY)
    return keys


_ORG_SECRET_SUFFIXES = ("CloudflareApiToken", "VercelApiToken", "GithubToken", "SupabaseDeployToken")


_Source = TypeVar("_Source", Secret, Plain)


def _sources(kind: type[_Source]) -> list[_Source]:
    seen: dict[str, _Source] = {}
    for app in APPS:
        for variable in app.env:
            if isinstance(variable.source, kind):
                seen.setdefault(variable.source.config_key, variable.source)
    return list(seen.values())


class _Reader:
    """Reads raw config values and records problems instead of raising."""

    def __init__(self, config: Mapping[str, str], secret_keys: Collection[str]) -> None:
        self.config = config
        self.secret_keys = set(secret_keys)
        self.problems: list[Problem] = []

    def problem(self, key: str, value: str, message: str, fix: str) -> None:
        self.problems.append(Problem(key, value, message, fix))

    def plain(self, name: str, example: str) -> str | None:
        key = f"{NAMESPACE}:{name}"
        raw = self.config.get(key)
        if raw is None:
            self.problem(key, "(missing)", "required", config_set(key, example))
            return None
        if key in self.secret_keys:
            # Plain settings are shown in plans and diffs; a secret here would hide them.
            self.problem(key, "[secret]", "is a plain setting, not a secret", config_set(key, example))
            return None
        return raw

    def structured(self, name: str, example: Any) -> Any:
        raw = self.plain(name, json.dumps(example))
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            # Pulumi passes objects as JSON; a bare string here means a scalar was set.
            return raw

    def mapping(
        self, name: str, example: dict[str, Any], *, known: Collection[str] | None = None, optional: bool = False
    ) -> dict[str, Any] | None:
        """An object-valued key: a problem if it is not an object, one per entry outside ``known``.

        ``optional`` keys that are absent read as ``{}``; a required absent key as None.
        """
        key = f"{NAMESPACE}:{name}"
        if optional and key not in self.config:
            return {}
        raw = self.structured(name, example)
        if raw is None:
            return None
        if not isinstance(raw, dict):
            entry, value = next(iter(example.items()), ("<name>", "<value>"))
            self.problem(key, json.dumps(raw), f"must be an object like {json.dumps(example)}",
                         config_set(f"{key}.{entry}", json.dumps(value), path=True))  # fmt: skip
            return None
        mapping = cast(dict[str, Any], raw)
        for unknown in sorted(set(mapping) - set(known)) if known is not None else ():
            self.problem(f"{key}.{unknown}", json.dumps(mapping[unknown]), f"unknown entry; known: {sorted(known or ())}",
                         f"pulumi config rm --path '{key}.{unknown}'")  # fmt: skip
        return mapping

    def secret(self, key: str, description: str) -> SecretValue | None:
        raw = self.config.get(key)
        fix = config_set(key, f"<{description}>", secret=True)
        if raw is None or raw == "":
            self.problem(key, "(missing)", f"required secret: {description}", fix)
            return None
        if key not in self.secret_keys:
            self.problem(
                key, "(plaintext, hidden)",
                "is stored in plaintext in the stack file; it must be encrypted", fix,
            )  # fmt: skip
            return None
        return SecretValue(key, raw)


def _check(
    reader: _Reader, key: str, value: Any, ok: Callable[[Any], bool], message: str, example: str, *, path: bool = True
) -> bool:
    if ok(value):
        return True
    reader.problem(key, json.dumps(value), message, config_set(key, example, path=path))
    return False


def _string_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in cast(list[Any], value))


def load_settings(stack: str, config: Mapping[str, str], secret_keys: Collection[str]) -> StackSettings:
    """Validates a stack's config (full key → raw value, objects as JSON) into settings.

    ``secret_keys``: the keys Pulumi holds encrypted. Raises :class:`SettingsError`
    listing every problem.
    """
    reader = _Reader(config, secret_keys)
    ns = NAMESPACE
    known = set(known_config_keys())
    for key in sorted(config):
        if key.startswith(f"{ns}:") and key not in known:
            reader.problem(key, "[secret]" if key in reader.secret_keys else json.dumps(config[key]),
                           "unknown key (a typo?); the estate never reads it", f"pulumi config rm '{key}'")  # fmt: skip

    environment = reader.plain("environment", "production")
    if environment is not None and environment not in ENVIRONMENTS:
        reader.problem(f"{ns}:environment", json.dumps(environment), f"must be one of {list(ENVIRONMENTS)}",
                       config_set(f"{ns}:environment", "staging"))  # fmt: skip
        environment = None

    organizations = _load_organizations(reader)

    supabase = reader.mapping(
        "supabase", {"region": "eu-central-1", "plan": "pro"}, known=("region", "plan", "pointInTimeRecovery")
    )
    region = plan = ""
    pitr: str | None = None
    if supabase is not None:
        region, plan = supabase.get("region", ""), supabase.get("plan", "")
        pitr = supabase.get("pointInTimeRecovery")
        _check(reader, f"{ns}:supabase.region", region, lambda v: v in SUPABASE_REGIONS,
               f"must be one of {list(SUPABASE_REGIONS)}", "eu-central-1")  # fmt: skip
        _check(reader, f"{ns}:supabase.plan", plan, lambda v: v in SUPABASE_PLANS,
               f"must be one of {list(SUPABASE_PLANS)}", "pro")  # fmt: skip
        pitr_key = f"{ns}:supabase.pointInTimeRecovery"
        if pitr is not None:
            if environment != "production":
                reader.problem(pitr_key, json.dumps(pitr), "point-in-time recovery is for production only",
                               f"pulumi config rm --path '{pitr_key}'")  # fmt: skip
            elif _check(reader, pitr_key, pitr, lambda v: v in PITR_VARIANTS,
                        f"must be one of {list(PITR_VARIANTS)}", "pitr_7"):  # fmt: skip
                _check(reader, f"{ns}:supabase.plan", plan, lambda v: v == "pro",
                       "point-in-time recovery needs the pro plan", "pro")  # fmt: skip

    access = _load_access(reader)
    checks = _load_required_checks(reader)

    approvals_raw = reader.plain("requiredApprovals", "1")
    approvals = 0
    if approvals_raw is not None:
        if approvals_raw.isdigit() and 1 <= int(approvals_raw) <= 6:
            approvals = int(approvals_raw)
        else:
            reader.problem(f"{ns}:requiredApprovals", json.dumps(approvals_raw),
                           "must be a whole number from 1 to 6 (the seeds require at least one review)",
                           config_set(f"{ns}:requiredApprovals", "1"))  # fmt: skip

    hosting = _load_hosting(reader)
    imports = _load_imports(reader)

    values: dict[str, str] = {}
    for source in _sources(Plain):
        value = reader.plain(source.config_key, f"<{source.description}>")
        if value is not None:
            values[source.config_key] = value
            _check_pattern(reader, f"{ns}:{source.config_key}", value, source.patterns, environment, secret=False)

    secrets: dict[str, SecretValue] = {}
    token = reader.secret(SUPABASE_TOKEN_KEY, "Supabase personal access token for the pulumi-supabase provider")
    if token is not None:
        secrets[SUPABASE_TOKEN_KEY] = token
    for source in _sources(Secret):
        key = f"{ns}:{source.config_key}"
        value = reader.secret(key, source.description)
        if value is not None:
            secrets[source.config_key] = value
            _check_pattern(reader, key, value.reveal(), source.patterns, environment, secret=True)

    alerting = _load_alerting(reader)

    if reader.problems or environment is None or alerting is None:
        raise SettingsError(stack, reader.problems)
    return StackSettings(
        stack=stack,
        environment=cast(Environment, environment),
        organizations=organizations,
        supabase_region=region,
        supabase_plan=plan,
        point_in_time_recovery=pitr,
        access=access or AccessAllowList((), (), ()),
        required_status_checks=checks,
        required_approvals=approvals,
        hosting=hosting,
        values=values,
        secrets=secrets,
        alerting=alerting,
        imports=imports,
    )


def _check_pattern(
    reader: _Reader, key: str, value: str, patterns: Mapping[Environment, str], environment: str | None, *, secret: bool
) -> None:
    pattern = patterns.get(cast(Environment, environment)) if environment else None
    if pattern is None or value == OFFLINE_SECRET_PLACEHOLDER or re.match(pattern, value):
        return
    shown = "[secret]" if secret else json.dumps(value)
    kind = "production" if environment == "production" else "test-mode"
    reader.problem(key, shown, f"the {environment} stack needs a {kind} value matching /{pattern}/",
                   config_set(key, f"<value matching {pattern}>", secret=secret))  # fmt: skip


_ORG_FIELDS: Mapping[str, tuple[Callable[[str], bool], str, str]] = {
    "cloudflareAccountId": (lambda v: bool(_HEX32.match(v)), "must be a 32-character hex Cloudflare account ID", "0123456789abcdef0123456789abcdef"),
    "cloudflareZoneId": (lambda v: bool(_HEX32.match(v)), "must be a 32-character hex Cloudflare zone ID", "0123456789abcdef0123456789abcdef"),
    "zone": (lambda v: bool(_ZONE.match(v)), "must be a DNS zone name such as example.com", "example.com"),
    "vercelTeamId": (lambda v: v.startswith("team_") and len(v) > 5, "must be a Vercel team ID (team_…)", "team_XXXXXXXXXXXXXXXXXXXXXXXX"),
    "githubOwner": (lambda v: bool(_GITHUB_OWNER.match(v)), "must be a GitHub user or organization name", "my-org"),
    "supabaseOrganizationId": (lambda v: bool(re.match(r"^[a-z0-9-]{8,}$", v)), "must be a Supabase organization ID (slug)", "abcdefghijklmnopqrst"),
}  # fmt: skip


def _load_organizations(reader: _Reader) -> dict[str, Organization]:
    ns = NAMESPACE
    example = {org: {name: spec[2] for name, spec in _ORG_FIELDS.items()} for org in ORGANIZATIONS}
    raw = reader.mapping("organizations", example, known=ORGANIZATIONS)
    loaded: dict[str, Organization] = {}
    if raw is None:
        return loaded
    for org in ORGANIZATIONS:
        fields = raw.get(org)
        if not isinstance(fields, dict):
            reader.problem(f"{ns}:organizations.{org}", "(missing)", "required: this organization's accounts",
                           config_set(f"{ns}:organizations.{org}.zone", "example.com", path=True))  # fmt: skip
            fields = {}
        fields = cast(dict[str, Any], fields)
        good = True
        for field_name, (ok, message, sample) in _ORG_FIELDS.items():
            key = f"{ns}:organizations.{org}.{field_name}"
            value = fields.get(field_name)
            if value is None:
                if raw.get(org) is not None:
                    reader.problem(key, "(missing)", "required", config_set(key, sample, path=True))
                good = False
            elif not _check(reader, key, value, lambda v, ok=ok: isinstance(v, str) and ok(v), message, sample):
                good = False
        tokens = {
            suffix: reader.secret(f"{ns}:{org}{suffix}", f"{org} {_TOKEN_DESCRIPTIONS[suffix]}")
            for suffix in _ORG_SECRET_SUFFIXES
        }
        if good and all(tokens.values()):
            loaded[org] = Organization(
                name=org,
                cloudflare_account_id=fields["cloudflareAccountId"],
                cloudflare_zone_id=fields["cloudflareZoneId"],
                zone=fields["zone"],
                vercel_team_id=fields["vercelTeamId"],
                github_owner=fields["githubOwner"],
                supabase_organization_id=fields["supabaseOrganizationId"],
                cloudflare_api_token=cast(SecretValue, tokens["CloudflareApiToken"]),
                vercel_api_token=cast(SecretValue, tokens["VercelApiToken"]),
                github_token=cast(SecretValue, tokens["GithubToken"]),
                supabase_deploy_token=cast(SecretValue, tokens["SupabaseDeployToken"]),
            )
    return loaded


_TOKEN_DESCRIPTIONS = {
    "CloudflareApiToken": "Cloudflare API token for Pulumi (DNS, Pages, Workers, Access, API tokens)",
    "VercelApiToken": "Vercel API token scoped to the team",
    "GithubToken": "GitHub token for Pulumi (repo administration, environments, secrets, contents, pull requests)",
    "SupabaseDeployToken": "Supabase access token the app repositories' migration workflows use",
}


def _load_access(reader: _Reader) -> AccessAllowList | None:
    ns = NAMESPACE
    example = {"emailDomains": ["example.com"], "emails": [], "groupIds": []}
    raw = reader.mapping("access", example, known=example)
    if raw is None:
        return None
    lists: dict[str, tuple[str, ...]] = {}
    for field_name, ok, message in (
        ("emails", lambda v: bool(_EMAIL.match(v)), "must be a list of email addresses"),
        ("emailDomains", lambda v: bool(_ZONE.match(v)), "must be a list of domains such as example.com"),
        ("groupIds", lambda v: bool(re.match(r"^[0-9a-f-]{36}$", v)), "must be a list of Access group UUIDs"),
    ):
        value = raw.get(field_name, [])
        key = f"{ns}:access.{field_name}"
        valid = _check(reader, key, value, lambda v, ok=ok: _string_list(v) and all(ok(item) for item in v),
                       message, f"{example.get(field_name) or '[]'}")  # fmt: skip
        lists[field_name] = tuple(cast(list[str], value)) if valid else ()
    if not any(lists.values()):
        reader.problem(f"{ns}:access", json.dumps(raw), "allows no one: internal sites would be unreachable",
                       config_set(f"{ns}:access.emailDomains[0]", "example.com", path=True))  # fmt: skip
    return AccessAllowList(lists["emails"], lists["emailDomains"], lists["groupIds"])


def _load_required_checks(reader: _Reader) -> dict[str, tuple[str, ...]]:
    ns = NAMESPACE
    repositories = [app.repository for app in APPS]
    raw = reader.mapping("requiredStatusChecks", {repo: ["ci"] for repo in repositories}, known=repositories)
    checks: dict[str, tuple[str, ...]] = {}
    if raw is None:
        return checks
    for repo in repositories:
        key = f"{ns}:requiredStatusChecks.{repo}"
        value = raw.get(repo)
        if _check(reader, key, value, lambda v: _string_list(v) and bool(v) and all(_CHECK_NAME.match(c) for c in v),
                  "must be a non-empty list of check names, exactly as the repository's workflows report them",
                  "'[\"ci\"]'", path=False):  # fmt: skip
            checks[repo] = tuple(cast(list[str], value))
    return checks


def _load_hosting(reader: _Reader) -> dict[str, Hosting]:
    """Each app's hosting: the catalog's default unless ``estate:hosting`` picks another option."""
    key = f"{NAMESPACE}:hosting"
    by_key = {app.key: app for app in APPS}
    chosen: dict[str, Hosting] = {app.key: app.hosting[0] for app in APPS}
    raw = reader.mapping("hosting", {"esim-hub": "pages"}, known=by_key, optional=True) or {}
    for app_key, kind in raw.items():
        if app_key not in by_key:
            continue  # reported by mapping()
        options = {option.kind: option for option in by_key[app_key].hosting}
        if kind not in options:
            reader.problem(f"{key}.{app_key}", json.dumps(kind), f"must be {sorted(options)}",
                           config_set(f"{key}.{app_key}", next(iter(options)), path=True))  # fmt: skip
            continue
        chosen[app_key] = options[kind]
    return chosen


def _load_alerting(reader: _Reader) -> AlertingSettings | None:
    """The stack's Slack webhook and, when an app tracks errors, the Sentry account."""
    ns = NAMESPACE
    webhook = reader.secret(ALERTS_WEBHOOK_KEY, "Slack incoming-webhook URL of this stack's alerts channel")
    if webhook is not None:
        value = webhook.reveal()
        if value != OFFLINE_SECRET_PLACEHOLDER and not _SLACK_WEBHOOK.match(value):
            # Never shown: the URL is the credential.
            reader.problem(ALERTS_WEBHOOK_KEY, "[secret]",
                           "must be a Slack incoming-webhook URL, https://hooks.slack.com/services/T…/B…/…",
                           config_set(ALERTS_WEBHOOK_KEY, "'https://hooks.slack.com/services/T…/B…/…'", secret=True))  # fmt: skip
            webhook = None

    subdomain = reader.plain("alertRelaySubdomain", "my-account")
    if subdomain is not None and not _check(
        reader, f"{ns}:alertRelaySubdomain", subdomain, lambda v: bool(_WORKERS_DEV_SUBDOMAIN.match(v)),
        "must be the account's workers.dev subdomain (the part before .workers.dev)", "my-account", path=False,
    ):  # fmt: skip
        subdomain = None

    error_tracking: ErrorTrackingSettings | None = None
    tracked = [app.key for app in APPS if app.error_tracking]
    if tracked:
        example = {"organization": "my-org", "team": "my-team"}
        raw = reader.mapping("sentry", example, known=example)
        token = reader.secret(SENTRY_TOKEN_KEY, f"Sentry auth token (project:admin, alerts:write) for {tracked}")
        fields: dict[str, str] = {}
        if raw is not None:
            for field_name in ("organization", "team"):
                key = f"{ns}:sentry.{field_name}"
                value = raw.get(field_name)
                if value is None:
                    reader.problem(key, "(missing)", f"required: the Sentry {field_name} slug",
                                   config_set(key, example[field_name], path=True))  # fmt: skip
                elif _check(reader, key, value, lambda v: isinstance(v, str) and bool(_SENTRY_SLUG.match(v)),
                            f"must be a Sentry {field_name} slug (lowercase letters, digits, - and _)",
                            example[field_name]):  # fmt: skip
                    fields[field_name] = value
        if token is not None and len(fields) == 2:
            error_tracking = ErrorTrackingSettings(fields["organization"], fields["team"], token)
        if error_tracking is None:
            return None
    if webhook is None or subdomain is None:
        return None
    return AlertingSettings(slack_webhook_url=webhook, relay_subdomain=subdomain, error_tracking=error_tracking)


def _load_imports(reader: _Reader) -> dict[str, str]:
    """``estate:imports``: optional object, Pulumi resource name → ID of an existing resource to adopt.

    Whether each name exists is known only once the estate is declared (stacks/adoption.py).
    """
    key = f"{NAMESPACE}:imports"
    raw = reader.mapping("imports", {"oms-vercel-project": "team_XXXXXXXX/prj_XXXXXXXX"}, optional=True) or {}
    imports: dict[str, str] = {}
    for name, resource_id in raw.items():
        if not isinstance(resource_id, str) or not resource_id.strip() or resource_id != resource_id.strip():
            reader.problem(f"{key}.{name}", json.dumps(resource_id),
                           "must be the provider's ID of the existing resource: a non-empty string without "
                           "surrounding spaces (`python -m estate import-file` shows each type's format)",
                           config_set(f"{key}.{name}", "<ID>", path=True))  # fmt: skip
            continue
        imports[name] = resource_id
    return imports


def known_config_keys() -> list[str]:
    """Every config key the estate reads, fully qualified."""
    names = ["environment", "organizations", "supabase", "access", "requiredStatusChecks", "requiredApprovals",
             "hosting", "imports", "alertRelaySubdomain"]  # fmt: skip
    if any(app.error_tracking for app in APPS):
        names.append("sentry")
    names += [source.config_key for source in _sources(Plain)]
    return [f"{NAMESPACE}:{name}" for name in names] + secret_config_keys()


def load_from_pulumi() -> StackSettings:
    """Loads the running program's settings from Pulumi's config."""
    import pulumi
    import pulumi.runtime

    keys = known_config_keys()
    config: dict[str, str] = {}
    secret_keys: set[str] = set()
    for key in keys:
        value = pulumi.runtime.get_config(key)
        if value is not None:
            config[key] = value
            if pulumi.runtime.is_config_secret(key):
                secret_keys.add(key)
    return load_settings(pulumi.get_stack(), config, secret_keys)
