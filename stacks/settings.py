"""Typed, validated settings of one stack, loaded from its Pulumi config.

``StackConfig`` is the one pydantic model of a stack file (``Pulumi.<stack>.yaml``):
strict types, a validator for every domain, ID and key shape, and no field the
program does not read (``extra="forbid"``: a misspelled key is an error, not a
silent default). :func:`load_settings` validates a stack's config against it and
turns it into :class:`StackSettings`, the typed view the program uses.

Every problem is collected and reported at once (:class:`SettingsError`), each
naming the key, the value (only for a key known to be plain, and never a value
shaped like a credential) and the exact ``pulumi config set --stack NAME …``
command that fixes it, quoted so it pastes into a shell as it is. Nothing is
registered with Pulumi before the settings load cleanly; importing this module
reads nothing and registers nothing.

The stack decides the environment: the stacks in ``PRODUCTION_STACKS`` serve
production, every other stack serves staging. ``estate:environment`` must agree,
and every environment-dependent check and fix (Stripe key modes, point-in-time
recovery) follows the stack, not the value that may be wrong.

Adding a setting
----------------
1. Add a field to :class:`StackConfig` (or to one of its sub-models) with its
   type: a plain ``str``-based type such as ``Domain`` or ``HexId``, or
   ``SecretField`` for a secret. The field name is the key in snake case
   (``talkline_vapi_api_key`` → ``estate:talklineVapiApiKey``). Give plain
   fields ``examples=[…]`` (the first example is the value the fix proposes)
   and every field a ``description`` (shown in "required" problems).
   Per-environment values go in a sub-model with one field per environment,
   like :class:`SupabaseConfig`.
2. Declare the key in ``Pulumi.yaml`` (``secret: true`` for secrets); a test
   checks that ``Pulumi.yaml`` and this model agree.
3. Set it in ``Pulumi.prod.yaml`` and ``Pulumi.staging.yaml`` (secrets: add the
   ``pulumi config set --secret`` line to the README instead).
4. Read it in :func:`_settings_from` into :class:`StackSettings` if the program
   needs it in another shape; otherwise ``settings.config.<field>`` is typed.
Keys of a catalog ``Secret``/``Plain`` source are checked against the
source's per-environment ``patterns`` automatically.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Collection, Generator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, LiteralString, TypeVar, cast, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, PydanticCustomError

from policies.environments import DEFAULT_PRODUCTION_STACKS, PRODUCTION, is_production_stack, name_for
from stacks.app_checks import PREVIEW_E2E_CHECK
from stacks.catalog import APPS, ORGANIZATIONS, App, Environment, Hosting, Plain, Secret, runs_cloudflare_apps

NAMESPACE = "estate"
ENVIRONMENTS: tuple[Environment, ...] = get_args(Environment)
# The stacks that serve production; every other stack serves staging (policies/environments.py).
PRODUCTION_STACKS: tuple[str, ...] = DEFAULT_PRODUCTION_STACKS
SupabaseRegion = Literal[
    "us-east-1",
    "us-west-1",
    "ap-southeast-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-southeast-2",
    "eu-west-1",
    "eu-west-2",
    "eu-central-1",
    "ca-central-1",
    "ap-south-1",
    "sa-east-1",
]
# The compute sizes a project can be created with (providers.supabase_management.INSTANCE_SIZES).
SupabaseComputeSize = Literal[
    "nano",
    "micro",
    "small",
    "medium",
    "large",
    "xlarge",
    "2xlarge",
    "4xlarge",
    "8xlarge",
    "12xlarge",
    "16xlarge",
]
PitrVariant = Literal["pitr_7", "pitr_14", "pitr_28"]
SUPABASE_REGIONS: tuple[str, ...] = get_args(SupabaseRegion)
SUPABASE_COMPUTE_SIZES: tuple[str, ...] = get_args(SupabaseComputeSize)
# Supabase backup docs: point-in-time recovery needs at least the Small compute size.
PITR_COMPUTE_SIZES: tuple[str, ...] = SUPABASE_COMPUTE_SIZES[SUPABASE_COMPUTE_SIZES.index("small") :]
PITR_VARIANTS: tuple[str, ...] = get_args(PitrVariant)
# What the offline plan puts in place of every secret; format checks cannot judge it. Only
# settings loaded offline accept it (load_settings(offline=True), offline_placeholders()).
OFFLINE_SECRET_PLACEHOLDER = "[offline placeholder]"
# Offline, the Slack URL must still have a Slack URL's shape: the notification
# component splits it into URL and secret.
OFFLINE_SLACK_WEBHOOK_URL = "https://hooks.slack.com/services/T0OFFLINE/B0OFFLINE/offlineplaceholder"
# Alerting: one Slack incoming webhook per stack (#alerts in prod, its own channel in staging).
ALERTS_WEBHOOK_KEY = f"{NAMESPACE}:alertsSlackWebhookUrl"
SENTRY_TOKEN_KEY = f"{NAMESPACE}:sentryAuthToken"

# The project: Pulumi.yaml and every Pulumi.<stack>.yaml.
PROJECT_DIR = Path(__file__).resolve().parent.parent
# How a value is shown in a problem when it may not be shown.
MISSING = "(missing)"
SECRET_SHOWN = "[secret]"
HIDDEN_SHOWN = "[hidden]"

_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_ZONE = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_GITHUB_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$")
_VERCEL_TEAM = re.compile(r"^team_[A-Za-z0-9]{6,}$")
_SUPABASE_ORG = re.compile(r"^[a-z0-9-]{8,}$")
_CHECK_NAME = re.compile(r"^\S.{0,254}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_SLACK_WEBHOOK = re.compile(
    r"^https://hooks\.slack\.com/services/[A-Za-z0-9_-]+/[A-Za-z0-9_-]+/[A-Za-z0-9_-]+$"
)
_SENTRY_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
_WORKERS_DEV_SUBDOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


# --- shapes -------------------------------------------------------------------------------------------------------


def _shape(pattern: re.Pattern[str], message: LiteralString) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.match(value):
            raise PydanticCustomError("shape", message)
        return value

    return AfterValidator(check)


HexId = Annotated[str, _shape(_HEX32, "must be a 32-character lowercase hex Cloudflare ID")]
Domain = Annotated[
    str, _shape(_ZONE, "must be a DNS name such as example.com (lowercase, no scheme or path)")
]
VercelTeamId = Annotated[str, _shape(_VERCEL_TEAM, "must be a Vercel team ID (team_ and letters or digits)")]
GithubOwner = Annotated[str, _shape(_GITHUB_OWNER, "must be a GitHub user or organization name")]
SupabaseOrganizationId = Annotated[str, _shape(_SUPABASE_ORG, "must be a Supabase organization ID (slug)")]
Email = Annotated[str, _shape(_EMAIL, "must be an email address")]
AccessGroupId = Annotated[str, _shape(_UUID, "must be an Access group UUID")]
SentrySlug = Annotated[
    str, _shape(_SENTRY_SLUG, "must be a Sentry slug (lowercase letters, digits, - and _)")
]
WorkersDevSubdomain = Annotated[
    str,
    _shape(
        _WORKERS_DEV_SUBDOMAIN, "must be the account's workers.dev subdomain (the part before .workers.dev)"
    ),
]
CheckName = Annotated[
    str, _shape(_CHECK_NAME, "must be a check name as the repository's workflows report it")
]


def _provider_id(value: str) -> str:
    if not value.strip() or value != value.strip():
        raise PydanticCustomError(
            "shape",
            "must be the provider's ID of the existing resource: a non-empty string without surrounding spaces "
            "(`python -m estate import-file` shows each type's format)",
        )
    return value


ProviderId = Annotated[str, AfterValidator(_provider_id)]


def _secret(description: str, **field_options: Any) -> Any:
    """A secret field: never shown, only ever set with ``pulumi config set --secret``."""
    return Field(description=description, json_schema_extra={"secret": True}, **field_options)


_STRICT = ConfigDict(
    strict=True, extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True
)


class OrganizationConfig(BaseModel):
    """One organization's accounts: Cloudflare, Vercel, GitHub and Supabase."""

    model_config = _STRICT

    cloudflare_account_id: HexId = Field(
        description="Cloudflare account ID", examples=["0123456789abcdef0123456789abcdef"]
    )
    cloudflare_zone_id: HexId = Field(
        description="Cloudflare zone ID", examples=["0123456789abcdef0123456789abcdef"]
    )
    zone: Domain = Field(description="DNS zone", examples=["example.com"])
    vercel_team_id: VercelTeamId = Field(
        description="Vercel team ID", examples=["team_XXXXXXXXXXXXXXXXXXXXXXXX"]
    )
    github_owner: GithubOwner = Field(description="GitHub owner", examples=["my-org"])
    supabase_organization_id: SupabaseOrganizationId = Field(
        description="Supabase organization ID", examples=["abcdefghijklmnopqrst"]
    )
    # Staging only: staging's own account for its Pages projects, Workers and deploy tokens
    # (stacks/cloudflare_accounts.py); checked against the environment in _cloudflare_account_problems.
    cloudflare_staging_account_id: HexId | None = Field(
        default=None,
        description="staging's own Cloudflare account (Pages projects, Workers, deploy tokens)",
        examples=["0123456789abcdef0123456789abcdef"],
    )


class OrganizationsConfig(BaseModel):
    """One entry per organization of the catalog (``stacks.catalog.ORGANIZATIONS``)."""

    model_config = _STRICT

    gstarlink: OrganizationConfig = Field(description="gstarlink's accounts")
    fancrush: OrganizationConfig = Field(description="Fancrush's accounts")


class SupabaseConfig(BaseModel):
    """Region, compute size and (production only) point-in-time recovery of the stack's Supabase projects.

    There is no plan: Supabase bills per organization (the organizations' ``supabaseOrganizationId``).
    """

    model_config = _STRICT

    region: SupabaseRegion = Field(description="Supabase region", examples=["eu-central-1"])
    compute_size: SupabaseComputeSize = Field(description="compute size of each project", examples=["small"])
    point_in_time_recovery: PitrVariant | None = Field(
        default=None,
        description="PITR add-on variant (production only; needs compute size small or larger)",
        examples=["pitr_7"],
    )


class AccessConfig(BaseModel):
    """Who may open gated (internal) sites; at least one entry."""

    model_config = _STRICT

    emails: list[Email] = Field(
        default_factory=list, description="email addresses", examples=[["someone@example.com"]]
    )
    email_domains: list[Domain] = Field(
        default_factory=list, description="email domains", examples=[["example.com"]]
    )
    group_ids: list[AccessGroupId] = Field(
        default_factory=list, description="Access group UUIDs", examples=[[]]
    )


class SentryConfig(BaseModel):
    """The Sentry organization and team owning the error-tracking projects."""

    model_config = _STRICT

    organization: SentrySlug = Field(description="the Sentry organization slug", examples=["my-org"])
    team: SentrySlug = Field(description="the Sentry team slug", examples=["my-team"])


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: str) -> str:
    try:
        valid = bool(_ISO_DATE.match(value)) and date.fromisoformat(value) is not None
    except ValueError:
        valid = False
    if not valid:
        raise PydanticCustomError("shape", "must be a date, YYYY-MM-DD (quoted in the stack file)")
    if date.fromisoformat(value) > datetime.now(UTC).date():
        raise PydanticCustomError("shape", "is in the future: the date the credential was last rotated")
    return value


IsoDate = Annotated[str, AfterValidator(_iso_date)]


class RotationConfig(BaseModel):
    """How often credentials rotate in this environment, and when the ones people set were last rotated."""

    model_config = _STRICT

    period_days: int = Field(
        ge=1, le=365, description="days between rotations of the credentials the stack creates", examples=[90]
    )
    grace_days: int = Field(
        ge=1,
        le=90,
        description="days a rotated credential keeps working after its successor is due",
        examples=[14],
    )
    external_period_days: int = Field(
        ge=1,
        le=730,
        description="days after which a credential people set is due for rotation",
        examples=[365],
    )
    last_rotated: dict[str, IsoDate] = Field(
        description="each secret setting (its key without `estate:`) → the date it was last rotated"
    )
    # Judged by _rotation_problems (a value that is not a date is a request to schedule the rotation).
    database_passwords: dict[str, Any] = Field(
        default_factory=dict,
        description="each app with a database → the date its password was last rotated by hand",
        examples=[{"oms": "2026-12-01"}],
    )


class StackConfig(BaseModel):
    """Everything in one ``Pulumi.<stack>.yaml``: the keys are ``estate:<camelCase field>``."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        frozen=True,
        populate_by_name=True,
        alias_generator=lambda name: f"{NAMESPACE}:{to_camel(name)}",
    )

    environment: Literal["production", "staging"] = Field(
        description="which environment this stack serves", examples=["production"]
    )
    organizations: OrganizationsConfig = Field(description="each organization's accounts")
    supabase: SupabaseConfig = Field(description="the stack's Supabase projects")
    access: AccessConfig = Field(description="who may open internal sites")
    required_status_checks: dict[str, list[CheckName]] = Field(
        description="repository → checks that must pass before merging"
    )
    required_approvals: int = Field(
        ge=1, le=6, description="approving reviews a pull request needs", examples=[1]
    )
    hosting: dict[str, str] = Field(
        default_factory=dict, description="hosting of apps with more than one option", examples=[{}]
    )
    imports: dict[str, ProviderId] = Field(
        default_factory=dict, description="Pulumi resource name → ID of an existing resource to adopt"
    )
    alert_relay_subdomain: WorkersDevSubdomain = Field(
        description="the workers.dev subdomain of gstarlink's Cloudflare account", examples=["my-account"]
    )
    sentry: SentryConfig | None = Field(
        default=None, description="the Sentry account of apps with error tracking"
    )
    rotation: RotationConfig = Field(description="credential rotation periods and last-rotated dates")
    # Plain values of the catalog's apps.
    oms_shopify_api_key: str = Field(description="OMS Shopify app client ID (Partner dashboard)")
    talkline_stripe_publishable_key: str = Field(description="Talkline Stripe publishable key")
    talkline_twilio_account_sid: str = Field(description="Talkline Twilio account SID")
    # Secrets.
    gstarlink_cloudflare_api_token: str = _secret("gstarlink Cloudflare API token for Pulumi")
    gstarlink_vercel_api_token: str = _secret("gstarlink Vercel API token scoped to the team")
    gstarlink_github_token: str = _secret("gstarlink GitHub token for Pulumi")
    fancrush_cloudflare_api_token: str = _secret("fancrush Cloudflare API token for Pulumi")
    fancrush_vercel_api_token: str = _secret("fancrush Vercel API token scoped to the team")
    fancrush_github_token: str = _secret("fancrush GitHub token for Pulumi")
    oms_shopify_api_secret: str = _secret("OMS Shopify app client secret")
    oms_shopify_webhook_secret: str = _secret("OMS Shopify webhook signing secret")
    chatbot_llm_api_key: str = _secret("API key of the chatbot's language-model provider")
    talkline_stripe_secret_key: str = _secret("Talkline Stripe secret or restricted key")
    talkline_stripe_webhook_secret: str = _secret("Talkline Stripe webhook signing secret")
    talkline_twilio_auth_token: str = _secret("Talkline Twilio auth token")
    talkline_vapi_api_key: str = _secret("Talkline Vapi private API key")
    alerts_slack_webhook_url: str = _secret("Slack incoming-webhook URL of this stack's alerts channel")
    sentry_auth_token: str | None = _secret("Sentry auth token (project:admin, alerts:write)", default=None)

    @field_validator("*", mode="after")
    @classmethod
    def _per_field(cls, value: Any, info: ValidationInfo) -> Any:
        context = cast(Mapping[str, Any], info.context or {})
        name = info.field_name or ""
        key = _alias(name)
        if _is_secret_field(name):
            if key not in context.get("secret_keys", ()):
                raise PydanticCustomError(
                    "plaintext_secret", "is stored in plaintext in the stack file; it must be encrypted"
                )
            if value == "":
                raise PydanticCustomError("missing", "required")
        elif key in context.get("secret_keys", ()):
            # Plain settings are shown in plans and diffs; a secret here would hide them.
            raise PydanticCustomError("secret_plain", "is a plain setting, not a secret")
        if value == OFFLINE_SECRET_PLACEHOLDER:
            if context.get("offline") is True:
                return value  # the offline plan's stand-in: no format check can judge it
            raise PydanticCustomError(
                "offline_placeholder",
                "holds the offline plan's placeholder, not a value: a real run needs the real one",
            )
        environment = cast(Environment | None, context.get("environment"))
        if isinstance(value, str) and environment is not None:
            pattern = _PATTERNS.get(key, {}).get(environment)
            if pattern is not None and not re.match(pattern, value):
                kind = "a production" if environment == "production" else "a test-mode"
                raise PydanticCustomError(
                    "environment_shape",
                    "the {environment} stack needs {kind} value matching /{pattern}/",
                    {"environment": environment, "kind": kind, "pattern": pattern},
                )
        return value

    @field_validator("alerts_slack_webhook_url", mode="after")
    @classmethod
    def _slack_webhook(cls, value: str, info: ValidationInfo) -> str:
        offline = cast(Mapping[str, Any], info.context or {}).get("offline") is True
        if not (offline and value == OFFLINE_SECRET_PLACEHOLDER) and not _SLACK_WEBHOOK.match(value):
            raise PydanticCustomError(
                "shape", "must be a Slack incoming-webhook URL, https://hooks.slack.com/services/T…/B…/…"
            )
        return value


def _alias(name: str) -> str:
    generator = StackConfig.model_config.get("alias_generator")
    return cast(Any, generator)(name)


def _is_secret_field(name: str) -> bool:
    extra = StackConfig.model_fields[name].json_schema_extra
    return isinstance(extra, dict) and extra.get("secret") is True


# --- what the program uses ------------------------------------------------------------------------------------------


class SecretValue:
    """A secret config value that never shows itself in reprs, logs or errors."""

    __slots__ = ("_value", "config_key")

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
    """One thing wrong with the config, and how to fix it.

    ``value`` is what may be shown: the value of a plain key, or ``(missing)``,
    ``[secret]``, ``[hidden]``; never a secret.
    """

    key: str
    value: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.key} = {self.value}: {self.message}\n    fix: {self.fix}"


class SettingsError(Exception):
    """All the problems of a stack's config, reported together; every fix names ``--stack``."""

    def __init__(self, stack: str, problems: list[Problem]) -> None:
        self.stack = stack
        self.problems = [Problem(p.key, p.value, p.message, with_stack(p.fix, stack)) for p in problems]
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"stack {stack!r} has {len(self.problems)} config problem(s):\n{lines}")


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
    # Staging only: the account of staging's Pages projects, Workers and deploy tokens.
    cloudflare_staging_account_id: str | None
    cloudflare_api_token: SecretValue
    vercel_api_token: SecretValue
    github_token: SecretValue


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
class RotationSettings:
    """Credential rotation in this environment (``estate:rotation``).

    ``period_days`` / ``grace_days``: the schedule of the credentials the stack
    creates (see ``components.rotation_schedule``). ``external_period_days``:
    when a credential people set is due. ``last_rotated``: full config key →
    the date it was last rotated; ``descriptions``: full config key → what it is.
    ``database_passwords``: app key → the date its database password was last
    rotated by hand (``DATABASE_PASSWORD_BY_HAND`` says why not on the schedule).
    """

    period_days: int
    grace_days: int
    external_period_days: int
    last_rotated: Mapping[str, date]
    descriptions: Mapping[str, str]
    database_passwords: Mapping[str, date]


@dataclass(frozen=True)
class StackSettings:
    """Everything one stack needs, validated."""

    stack: str
    environment: Environment
    organizations: Mapping[str, Organization]
    supabase_region: str
    # The compute size (instance_size) of each Supabase project of the stack.
    supabase_compute_size: str
    # The PITR add-on variant of each Supabase project; production only.
    point_in_time_recovery: str | None
    access: AccessAllowList
    required_status_checks: Mapping[str, tuple[str, ...]]
    required_approvals: int
    hosting: Mapping[str, Hosting]
    values: Mapping[str, str]
    secrets: Mapping[str, SecretValue]
    rotation: RotationSettings
    # Always set by load_settings; None only in settings built by hand.
    alerting: AlertingSettings | None = None
    # Pulumi resource name → ID of an existing resource to adopt (estate:imports; stacks/adoption.py).
    imports: Mapping[str, str] = field(default_factory=dict)
    # The validated stack file; None only in settings built by hand.
    config: StackConfig | None = field(default=None, repr=False)

    @property
    def is_production(self) -> bool:
        return self.environment == PRODUCTION

    def deploy_branch(self, app: App) -> str:
        return "main" if self.is_production else app.staging_branch

    def hostname(self, app: App, subdomain: str) -> str:
        """``oms.gstarlink.com`` in production, ``oms-staging.gstarlink.com`` elsewhere (the naming rule)."""
        return name_for(f"{subdomain}.{self.organizations[app.organization].zone}", self.environment)

    def resource_name(self, name: str) -> str:
        """Names of account-wide things (projects, workers): marked outside production (the naming rule)."""
        return name_for(name, self.environment)


# --- fixes ----------------------------------------------------------------------------------------------------------


def shell_quote(text: str) -> str:
    """Single-quoted for any POSIX shell, whatever ``text`` holds."""
    return "'" + text.replace("'", "'\"'\"'") + "'"


def _stack_arg(stack: str) -> str:
    import shlex

    return shlex.quote(stack)


def config_set(
    key: str, value: str | None = None, *, secret: bool = False, path: bool = False, stack: str | None = None
) -> str:
    """The command that sets ``key``, shown in every fix; pastes into a shell as it is.

    Secrets (and plain values without a good example, ``value=None``) are left for
    ``pulumi config set`` to prompt for, so they never land in the shell history.
    """
    flags = (
        (f" --stack {_stack_arg(stack)}" if stack else "")
        + (" --secret" if secret else "")
        + (" --path" if path else "")
    )
    shown = "" if secret or value is None else f" {shell_quote(value)}"
    return f"pulumi config set{flags} {shell_quote(key)}{shown}"


def config_rm(key: str, *, path: bool = False, stack: str | None = None) -> str:
    flags = (f" --stack {_stack_arg(stack)}" if stack else "") + (" --path" if path else "")
    return f"pulumi config rm{flags} {shell_quote(key)}"


_PULUMI_CONFIG = re.compile(r"pulumi config (set|rm)\b(?! --stack)")


def with_stack(fix: str, stack: str) -> str:
    """Every ``pulumi config set|rm`` of ``fix`` with ``--stack`` (given first, so each paste is exact)."""
    return _PULUMI_CONFIG.sub(lambda m: f"pulumi config {m.group(1)} --stack {_stack_arg(stack)}", fix)


# --- catalog-derived keys -------------------------------------------------------------------------------------------

_ORG_SECRET_SUFFIXES = ("CloudflareApiToken", "VercelApiToken", "GithubToken")

_Source = TypeVar("_Source", Secret, Plain)


def _sources(kind: type[_Source]) -> list[_Source]:
    seen: dict[str, _Source] = {}
    for app in APPS:
        for variable in app.env:
            if isinstance(variable.source, kind):
                seen.setdefault(variable.source.config_key, variable.source)
    return list(seen.values())


_PATTERNS: dict[str, Mapping[Environment, str]] = {
    f"{NAMESPACE}:{source.config_key}": source.patterns for source in [*_sources(Secret), *_sources(Plain)]
}


@functools.cache
def _fields() -> tuple[tuple[str, str, FieldInfo], ...]:
    """Each field with its config key: the model is fixed, and the key lists are asked for per problem."""
    return tuple((name, _alias(name), info) for name, info in StackConfig.model_fields.items())


def secret_config_keys() -> list[str]:
    """Every secret key the estate needs, fully qualified."""
    tracked = any(app.error_tracking for app in APPS)
    return [
        key for name, key, _ in _fields() if _is_secret_field(name) and (tracked or key != SENTRY_TOKEN_KEY)
    ]


def known_config_keys() -> list[str]:
    """Every config key the estate reads, fully qualified."""
    tracked = any(app.error_tracking for app in APPS)
    plain = [key for name, key, _ in _fields() if not _is_secret_field(name)]
    return [key for key in plain if tracked or key != f"{NAMESPACE}:sentry"] + secret_config_keys()


def production_stack_of(stack: str) -> bool:
    """Whether ``stack`` serves production (only the ``PRODUCTION_STACKS`` do)."""
    return is_production_stack(stack, PRODUCTION_STACKS)


def environment_of(stack: str) -> Environment:
    return "production" if production_stack_of(stack) else "staging"


# --- loading --------------------------------------------------------------------------------------------------------


def load_settings(
    stack: str,
    config: Mapping[str, str],
    secret_keys: Collection[str],
    *,
    production_config: Mapping[str, str] | None = None,
    offline: bool = False,
) -> StackSettings:
    """Validates a stack's config (full key → raw value, objects as JSON) into settings.

    ``secret_keys``: the keys Pulumi holds encrypted. ``production_config``: for
    a staging stack, the production stack's config (plain values and ciphertexts,
    as :func:`stacks.stack_files.read_stack_config` gives it), so that staging
    reusing a production identifier is refused. ``offline``: the config comes
    from the stack file without decryption (``estate.engine.load_stack_config``),
    so a secret may be :data:`OFFLINE_SECRET_PLACEHOLDER`; otherwise (a real
    run) the placeholder is a problem like any wrong value. Raises
    :class:`SettingsError` listing every problem.
    """
    validated, problems = validate(
        stack, config, secret_keys, production_config=production_config, offline=offline
    )
    if problems or validated is None:
        raise SettingsError(stack, problems)
    return _settings_from(stack, validated, config, secret_keys, offline=offline)


def validate(
    stack: str,
    config: Mapping[str, str],
    secret_keys: Collection[str],
    *,
    production_config: Mapping[str, str] | None = None,
    offline: bool = False,
) -> tuple[StackConfig | None, list[Problem]]:
    """The validated model (None when invalid) and every problem, the environment's first.

    ``offline``: as in :func:`load_settings`.
    """
    environment = environment_of(stack)
    secret_set = frozenset(secret_keys)
    data = _model_input(config)
    problems: list[Problem] = []
    validated: StackConfig | None = None
    try:
        validated = StackConfig.model_validate(
            data,
            context={
                "environment": environment,
                "secret_keys": secret_set,
                "stack": stack,
                "offline": offline,
            },
        )
    except ValidationError as error:
        problems += [_problem(stack, environment, detail, data, secret_set) for detail in error.errors()]
    problems += _environment_problem(stack, environment, data)
    problems += _catalog_problems(stack, environment, data)
    problems += _rotation_problems(stack, data)
    problems += _cloudflare_account_problems(stack, environment, data)
    if production_config is not None and environment != "production":
        problems += reused_production_identifiers(config, production_config)
        problems += imports_of_production(data.get(f"{NAMESPACE}:imports"), production_config)
    first = f"{NAMESPACE}:environment"
    problems.sort(key=lambda p: p.key != first)
    problems = [Problem(p.key, p.value, p.message, with_stack(p.fix, stack)) for p in problems]
    return (validated if not problems else None), problems


def _model_input(config: Mapping[str, str]) -> dict[str, Any]:
    """The stack's keys for the model: objects and numbers parsed from the JSON Pulumi hands over."""
    structured = {
        key for name, key, info in _fields() if info.annotation is not str and info.annotation != (str | None)
    } - {f"{NAMESPACE}:environment"}
    data: dict[str, Any] = {}
    for key, raw in config.items():
        if not key.startswith(f"{NAMESPACE}:"):
            continue
        if key in structured:
            try:
                data[key] = json.loads(raw)
            except (json.JSONDecodeError, TypeError):
                data[key] = raw  # a scalar where an object belongs: the model says so
        else:
            data[key] = raw
    return data


def _location(loc: tuple[int | str, ...]) -> str:
    key = str(loc[0]) if loc else f"{NAMESPACE}:"
    for part in loc[1:]:
        key += f"[{part}]" if isinstance(part, int) else f".{part}"
    return key


def _field_info(loc: tuple[int | str, ...]) -> FieldInfo | None:
    """The model field at ``loc`` (by alias), or None for dict entries and list items."""
    model: type[BaseModel] | None = StackConfig
    info: FieldInfo | None = None
    for part in loc:
        if isinstance(part, int):
            continue
        if model is None:
            return None
        info = next(
            (
                f
                for n, f in model.model_fields.items()
                if (f.alias or n) == part or _alias_in(model, n) == part
            ),
            None,
        )
        if info is None:
            return None
        annotation = info.annotation
        candidates = [annotation, *get_args(annotation)]
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
    return info


def _alias_in(model: type[BaseModel], name: str) -> str:
    generator = model.model_config.get("alias_generator")
    return cast(Any, generator)(name) if callable(generator) else name


def _value_at(data: Mapping[str, Any], loc: tuple[int | str, ...]) -> tuple[bool, Any]:
    current: Any = data
    for part in loc:
        if (
            isinstance(part, int)
            and isinstance(current, list | tuple)
            and part < len(cast(list[Any], current))
        ):
            current = cast(list[Any], current)[part]
        elif isinstance(part, str) and isinstance(current, dict) and part in current:
            current = cast(dict[str, Any], current)[part]
        else:
            return False, None
    return True, current


def shown_value(key_path: str, value: Any, secret_keys: Collection[str] = ()) -> str:
    """What a problem may show of ``value`` at ``key_path``: the value only if it is plainly not a secret."""
    from policies.credential_patterns import credential_shape, looks_secret_name

    top = key_path.split(".", 1)[0].split("[", 1)[0]
    plain_keys = set(known_config_keys()) - set(secret_config_keys())
    if top not in plain_keys or top in secret_keys:
        return SECRET_SHOWN if top in set(secret_config_keys()) | set(secret_keys) else HIDDEN_SHOWN
    text = json.dumps(value)
    segments = re.split(r"[.\[\]]+", key_path.split(":", 1)[-1])[1:]
    if credential_shape(text) is not None or any(
        looks_secret_name(s) for s in segments if s and not s.isdigit()
    ):
        return HIDDEN_SHOWN
    return text


def _problem(
    stack: str,
    environment: Environment,
    detail: ErrorDetails,
    data: Mapping[str, Any],
    secret_keys: Collection[str],
) -> Problem:
    loc = tuple(detail["loc"])
    key = _location(loc)
    kind = detail["type"]
    info = _field_info(loc)
    top_secret = bool(loc) and str(loc[0]) in set(secret_config_keys())
    present, value = _value_at(data, loc)
    nested = len(loc) > 1
    if kind == "extra_forbidden":
        return _unknown(stack, environment, key, loc, data)
    if kind == "missing" or not present:
        description = info.description if info is not None and info.description else "required"
        message = f"required secret: {description}" if top_secret else f"required: {description}"
        return Problem(
            key, MISSING, message, _set_fix(stack, environment, key, loc, info, top_secret, nested)
        )
    shown = SECRET_SHOWN if top_secret else shown_value(key, value, secret_keys)
    message = _message(detail, info)
    if kind == "secret_plain":
        return Problem(
            key, SECRET_SHOWN, message, _set_fix(stack, environment, key, loc, info, False, nested)
        )
    if kind == "plaintext_secret":
        return Problem(key, "(plaintext, hidden)", message, config_set(key, secret=True, stack=stack))
    return Problem(key, shown, message, _set_fix(stack, environment, key, loc, info, top_secret, nested))


def _message(detail: ErrorDetails, info: FieldInfo | None = None) -> str:
    kind = detail["type"]
    ctx = cast(Mapping[str, Any], detail.get("ctx") or {})
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "must be an object (set its entries with `pulumi config set --path`)"
    if kind in ("tuple_type", "list_type"):
        return "must be a list"
    if kind == "literal_error":
        return f"must be one of [{ctx.get('expected', '')}]".replace(" or ", ", ")
    if kind in ("greater_than_equal", "less_than_equal", "int_type", "int_parsing"):
        bounds = {
            type(m).__name__: getattr(m, type(m).__name__.lower(), None)
            for m in (info.metadata if info else [])
        }
        low, high = bounds.get("Ge", 1), bounds.get("Le", 6)
        why = (
            " (the seeds require at least one review)"
            if info is not None and "approving" in (info.description or "")
            else ""
        )
        return f"must be a whole number from {low} to {high}{why}"
    if kind == "string_type":
        return "must be a string"
    return detail["msg"]


def _model_of(info: FieldInfo | None) -> type[BaseModel] | None:
    if info is None:
        return None
    candidates = [info.annotation, *get_args(info.annotation)]
    return next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)


def _set_fix(
    stack: str,
    environment: Environment,
    key: str,
    loc: tuple[int | str, ...],
    info: FieldInfo | None,
    secret: bool,
    nested: bool,
) -> str:
    """The command that puts a right value at ``key``; objects and lists one ``--path`` leaf at a time."""
    top = str(loc[0]) if loc else key
    if secret:
        return config_set(top, secret=True, stack=stack)
    if top == f"{NAMESPACE}:environment":
        return config_set(top, environment, stack=stack)
    if top == f"{NAMESPACE}:requiredStatusChecks":
        return _checks_fix(stack, loc)
    if top == f"{NAMESPACE}:hosting" and len(loc) > 1:
        app = next((a for a in APPS if a.key == loc[1]), None)
        if app is not None:
            return config_set(f"{top}.{app.key}", app.hosting[0].kind, path=True, stack=stack)
    if top == f"{NAMESPACE}:imports" and len(loc) > 1:
        return config_set(f"{top}.{loc[1]}", None, path=True, stack=stack)
    example: Any = info.examples[0] if info is not None and info.examples else None
    if loc and isinstance(loc[len(loc) - 1], int):  # one item of a list
        items = cast(list[Any], example) if isinstance(example, list) else []
        return config_set(key, str(items[0]) if items else None, path=True, stack=stack)
    model = _model_of(info)
    if example is None and model is not None:
        example = _model_example(model)
    if isinstance(example, dict | list):
        return _object_fix(stack, key, example)
    if environment != "production" and example is not None:
        example = _STAGING_EXAMPLES.get(key, example)
    return config_set(key, None if example is None else str(example), path=nested, stack=stack)


def _model_example(model: type[BaseModel]) -> dict[str, Any]:
    example: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if not info.is_required():
            continue
        alias = _alias_in(model, name)
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            example[alias] = _model_example(annotation)
        elif info.examples:
            example[alias] = info.examples[0]
    return example


# Examples that depend on the environment (the field's own example is production's).
_STAGING_EXAMPLES: Mapping[str, str] = {f"{NAMESPACE}:supabase.computeSize": "micro"}


def _object_fix(stack: str, key: str, example: Any) -> str:
    """One ``--path`` command per leaf of ``example``, chained with ``&&``."""
    commands: list[str] = []

    def walk(path: str, value: Any) -> None:
        if isinstance(value, dict):
            for child_key, child in cast(dict[str, Any], value).items():
                walk(f"{path}.{child_key}", child)
        elif isinstance(value, list | tuple):
            for index, child in enumerate(cast(list[Any], list(cast(Any, value)))):
                walk(f"{path}[{index}]", child)
        else:
            if environment_of(stack) != "production":
                value = _STAGING_EXAMPLES.get(path, value)
            commands.append(config_set(path, str(value), path=True, stack=stack))

    walk(key, example)
    return " && ".join(commands) if commands else config_rm(key, path=True, stack=stack)


def _workflow_checks(repository: str) -> list[str]:
    """The checks the repository's workflows (``app-workflows/<repository>/``) report on pull requests.

    Plus ``preview-e2e`` where the app has an E2E command: that job runs on ``deployment_status``
    and reports on the pull request's head commit.
    """
    import yaml

    from stacks.stack_files import parse_yaml

    directory = PROJECT_DIR / "app-workflows" / repository
    names: list[str] = []
    for path in sorted(directory.glob("*.yml")):
        try:
            document = cast(dict[Any, Any], parse_yaml(path.read_text(encoding="utf-8")) or {})
        except (OSError, yaml.YAMLError):
            continue
        triggers = document.get("on", document.get(True))
        if not (isinstance(triggers, dict) and "pull_request" in triggers):
            continue
        for job_id, body in cast(dict[str, Any], document.get("jobs") or {}).items():
            name = cast(dict[str, Any], body).get("name") if isinstance(body, dict) else None
            names.append(name if isinstance(name, str) else job_id)
    if any(app.repository == repository and app.e2e_command is not None for app in APPS):
        names.append(PREVIEW_E2E_CHECK)
    return names


def _checks_fix(stack: str, loc: tuple[int | str, ...]) -> str:
    top = f"{NAMESPACE}:requiredStatusChecks"
    repositories = [str(loc[1])] if len(loc) > 1 else [app.repository for app in APPS]
    commands: list[str] = []
    for repository in repositories:
        checks = _workflow_checks(repository)
        if not checks:
            commands.append(config_rm(f"{top}.{repository}", path=True, stack=stack))
            continue
        commands.append(config_rm(f"{top}.{repository}", path=True, stack=stack) + " ;")
        commands += [
            config_set(f"{top}.{repository}[{i}]", check, path=True, stack=stack)
            for i, check in enumerate(checks)
        ]
    return " ".join(commands[:1]) + (" " + " && ".join(commands[1:]) if len(commands) > 1 else "")


def _unknown(
    stack: str, environment: Environment, key: str, loc: tuple[int | str, ...], data: Mapping[str, Any]
) -> Problem:
    """A key or entry the estate never reads: its value is never shown; the fix removes it."""
    nested = len(loc) > 1
    remove = config_rm(key, path=nested, stack=stack)
    if not nested:
        known = [k for k in known_config_keys() if k.startswith(f"{NAMESPACE}:")]
        by_lower = {k.lower(): k for k in known}
        close = difflib.get_close_matches(key.lower(), list(by_lower), n=1, cutoff=0.75)
        if close:
            meant = by_lower[close[0]]
            if meant in data:
                return Problem(
                    key,
                    HIDDEN_SHOWN,
                    f"unknown key; did you mean {meant}? That one is set; this one is never read",
                    remove,
                )
            secret = meant in secret_config_keys()
            value = environment if meant == f"{NAMESPACE}:environment" else None
            return Problem(
                key,
                HIDDEN_SHOWN,
                f"unknown key; did you mean {meant}?",
                f"{remove} && {config_set(meant, value, secret=secret, stack=stack)}",
            )
        return Problem(key, HIDDEN_SHOWN, "unknown key (a typo?); the estate never reads it", remove)
    parent = _field_info(loc[:-1])
    known_entries: list[str] = []
    if parent is not None:
        models = [
            c
            for c in [parent.annotation, *get_args(parent.annotation)]
            if isinstance(c, type) and issubclass(c, BaseModel)
        ]
        if models:
            known_entries = [_alias_in(models[0], n) for n in models[0].model_fields]
    return Problem(key, HIDDEN_SHOWN, f"unknown entry; known: {known_entries}", remove)


def _environment_problem(stack: str, environment: Environment, data: Mapping[str, Any]) -> list[Problem]:
    key = f"{NAMESPACE}:environment"
    value = data.get(key)
    if value is None or value == environment or value not in ENVIRONMENTS:
        return []  # absent or not an environment at all: the model reports it
    why = (
        f"stack {stack!r} serves production"
        if environment == "production"
        else f"stack {stack!r} is not a production stack ({', '.join(PRODUCTION_STACKS)}), so it serves staging"
    )
    return [
        Problem(
            key,
            json.dumps(value),
            f"the environment must match the stack: {why}",
            config_set(key, environment, stack=stack),
        )
    ]


def _catalog_problems(stack: str, environment: Environment, data: Mapping[str, Any]) -> list[Problem]:
    """What only the catalog knows: each repository's checks, each app's hosting options, PITR and Sentry."""
    ns = NAMESPACE
    problems: list[Problem] = []
    checks = data.get(f"{ns}:requiredStatusChecks")
    if isinstance(checks, dict):
        for app in APPS:
            key = f"{ns}:requiredStatusChecks.{app.repository}"
            entry = cast(dict[str, Any], checks).get(app.repository)
            if entry is None:
                problems.append(
                    Problem(
                        key,
                        MISSING,
                        "required: the checks its workflows report",
                        _checks_fix(stack, (f"{ns}:requiredStatusChecks", app.repository)),
                    )
                )
            elif isinstance(entry, list) and not entry:
                problems.append(
                    Problem(
                        key,
                        "[]",
                        "must be a non-empty list of check names, exactly as the repository's workflows report them",
                        _checks_fix(stack, (f"{ns}:requiredStatusChecks", app.repository)),
                    )
                )
            elif isinstance(entry, list) and app.e2e_command is not None and PREVIEW_E2E_CHECK not in entry:
                problems.append(
                    Problem(
                        key,
                        json.dumps(entry),
                        f"{app.key} has an E2E command (catalog e2e_command): its pull requests must require the {PREVIEW_E2E_CHECK!r} check",
                        config_set(
                            f"{key}[{len(cast(list[Any], entry))}]", PREVIEW_E2E_CHECK, path=True, stack=stack
                        ),
                    )
                )
        for repository in sorted(set(cast(dict[str, Any], checks)) - {app.repository for app in APPS}):
            problems.append(
                Problem(
                    f"{ns}:requiredStatusChecks.{repository}",
                    HIDDEN_SHOWN,
                    f"unknown repository; known: {[app.repository for app in APPS]}",
                    config_rm(f"{ns}:requiredStatusChecks.{repository}", path=True, stack=stack),
                )
            )
    hosting = data.get(f"{ns}:hosting")
    if isinstance(hosting, dict):
        by_key = {app.key: app for app in APPS}
        for app_key, kind in cast(dict[str, Any], hosting).items():
            key = f"{ns}:hosting.{app_key}"
            app = by_key.get(app_key)
            if app is None:
                problems.append(
                    Problem(
                        key,
                        HIDDEN_SHOWN,
                        f"unknown app; known: {sorted(by_key)}",
                        config_rm(key, path=True, stack=stack),
                    )
                )
                continue
            options = sorted(option.kind for option in app.hosting)
            if kind not in options:
                problems.append(
                    Problem(
                        key,
                        shown_value(key, kind),
                        f"must be {options}",
                        config_set(key, app.hosting[0].kind, path=True, stack=stack),
                    )
                )
    supabase = data.get(f"{ns}:supabase")
    if isinstance(supabase, dict):
        pitr = cast(dict[str, Any], supabase).get("pointInTimeRecovery")
        pitr_key = f"{ns}:supabase.pointInTimeRecovery"
        if pitr is not None and environment != "production":
            problems.append(
                Problem(
                    pitr_key,
                    shown_value(pitr_key, pitr),
                    "point-in-time recovery is for production only",
                    config_rm(pitr_key, path=True, stack=stack),
                )
            )
        elif (
            pitr in PITR_VARIANTS
            and cast(dict[str, Any], supabase).get("computeSize") not in PITR_COMPUTE_SIZES
        ):
            size_key = f"{ns}:supabase.computeSize"
            problems.append(
                Problem(
                    size_key,
                    shown_value(size_key, cast(dict[str, Any], supabase).get("computeSize")),
                    "point-in-time recovery needs at least the small compute size (Supabase "
                    "refuses the add-on on smaller projects)",
                    config_set(size_key, "small", path=True, stack=stack),
                )
            )
    access = data.get(f"{ns}:access")
    if isinstance(access, dict) and not any(
        cast(dict[str, Any], access).get(k) for k in ("emails", "emailDomains", "groupIds")
    ):
        problems.append(
            Problem(
                f"{ns}:access",
                shown_value(f"{ns}:access", access),
                "allows no one: internal sites would be unreachable",
                config_set(f"{ns}:access.emailDomains[0]", "example.com", path=True, stack=stack),
            )
        )
    tracked = [app.key for app in APPS if app.error_tracking]
    if tracked and f"{ns}:sentry" not in data:
        problems.append(
            Problem(
                f"{ns}:sentry",
                MISSING,
                f"required: the Sentry account of {tracked}",
                _object_fix(stack, f"{ns}:sentry", _model_example(SentryConfig)),
            )
        )
    if tracked and not data.get(SENTRY_TOKEN_KEY):
        problems.append(
            Problem(
                SENTRY_TOKEN_KEY,
                MISSING,
                f"required secret: Sentry auth token (project:admin, alerts:write) for {tracked}",
                config_set(SENTRY_TOKEN_KEY, secret=True, stack=stack),
            )
        )
    return problems


def _cloudflare_account_problems(
    stack: str, environment: Environment, data: Mapping[str, Any]
) -> list[Problem]:
    """Staging's Pages projects, Workers and deploy tokens need a Cloudflare account of their own.

    API tokens scope to whole accounts: a staging deploy token in the zone's account, which holds
    production's projects and Workers, could deploy to them (stacks/cloudflare_accounts.py).
    """
    organizations = data.get(f"{NAMESPACE}:organizations")
    if not isinstance(organizations, dict):
        return []  # the model reports it
    problems: list[Problem] = []
    for org in ORGANIZATIONS:
        fields = cast(dict[str, Any], organizations).get(org)
        if not isinstance(fields, dict):
            continue
        fields = cast(dict[str, Any], fields)
        key = f"{NAMESPACE}:organizations.{org}.cloudflareStagingAccountId"
        value = fields.get("cloudflareStagingAccountId")
        if environment == "production" or not runs_cloudflare_apps(org):
            if value is not None:
                where = (
                    "production's live in cloudflareAccountId"
                    if environment == "production"
                    else f"{org} has no Pages projects or Workers"
                )
                problems.append(
                    Problem(
                        key,
                        shown_value(key, value),
                        f"only staging Pages projects and Workers have an account of their own; {where}",
                        config_rm(key, path=True, stack=stack),
                    )
                )
        elif value is None:
            problems.append(
                Problem(
                    key,
                    MISSING,
                    "required: staging's Pages projects, Workers and deploy tokens "
                    "need a Cloudflare account of their own (API tokens cannot be limited to one "
                    "project or Worker)",
                    config_set(key, "0123456789abcdef0123456789abcdef", path=True, stack=stack),
                )
            )
        elif value == fields.get("cloudflareAccountId"):
            problems.append(
                Problem(
                    key,
                    shown_value(key, value),
                    "is the zone's account, which holds production's "
                    "Pages projects and Workers: a staging deploy token there could change production",
                    config_set(key, "<the staging account's ID>", path=True, stack=stack),
                )
            )
    return problems


# Identifiers the Talkline document wants per environment (Twilio account, Vapi key, Stripe keys) and the
# OMS Shopify app: staging must never reuse production's.
PER_ENVIRONMENT_KEYS: tuple[str, ...] = tuple(
    f"{NAMESPACE}:{name}"
    for name in (
        "talklineTwilioAccountSid",
        "talklineTwilioAuthToken",
        "talklineVapiApiKey",
        "talklineStripeSecretKey",
        "talklineStripePublishableKey",
        "talklineStripeWebhookSecret",
        "omsShopifyApiKey",
        "omsShopifyApiSecret",
        "omsShopifyWebhookSecret",
    )
)


def reused_production_identifiers(
    config: Mapping[str, str], production: Mapping[str, str], production_stack: str = PRODUCTION_STACKS[0]
) -> list[Problem]:
    """Staging keys whose value equals production's (compared, never shown; placeholders are not values)."""
    problems: list[Problem] = []
    for key in PER_ENVIRONMENT_KEYS:
        mine, theirs = config.get(key), production.get(key)
        if mine is None or theirs is None or mine != theirs or mine == OFFLINE_SECRET_PLACEHOLDER:
            continue
        secret = key in secret_config_keys()
        problems.append(
            Problem(
                key,
                SECRET_SHOWN if secret else HIDDEN_SHOWN,
                f"equals {key} of stack {production_stack} (Pulumi.{production_stack}.yaml): staging needs its own "
                "account or key (the Talkline document wants separate staging keys)",
                config_set(key, secret=secret),
            )
        )
    problems += _shared_supabase_organizations(config, production, production_stack)
    return problems


def _shared_supabase_organizations(
    config: Mapping[str, str], production: Mapping[str, str], production_stack: str
) -> list[Problem]:
    """Staging's Supabase projects live in their own organizations, never production's.

    Supabase sets the plan, billing, members and project quota per organization (the create
    body's ``plan`` is ignored), so a staging project in production's organization runs on
    production's plan and bill, and production's members administer it.
    """

    def slugs(raw: str | None) -> dict[str, object]:
        try:
            parsed: object = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            return {}
        if not isinstance(parsed, dict):
            return {}
        return {
            str(org): cast(dict[str, object], accounts).get("supabaseOrganizationId")
            for org, accounts in cast(dict[object, object], parsed).items()
            if isinstance(accounts, dict)
        }

    key = f"{NAMESPACE}:organizations"
    mine, theirs = slugs(config.get(key)), slugs(production.get(key))
    problems: list[Problem] = []
    for org in ORGANIZATIONS:
        slug = mine.get(org)
        if isinstance(slug, str) and slug == theirs.get(org):
            path = f"{key}.{org}.supabaseOrganizationId"
            problems.append(
                Problem(
                    path,
                    json.dumps(slug),
                    f"is production's Supabase organization too (Pulumi.{production_stack}.yaml): staging's projects "
                    "need their own organization, since Supabase sets plan, billing and members per organization",
                    config_set(path, f"{org}-staging", path=True),
                )
            )
    return problems


# A Supabase project ref: the ID of a project, and part of the ID of everything in it.
_SUPABASE_REF = re.compile(r"(?<![a-z0-9])[a-z]{20}(?![a-z0-9])")


def imports_of_production(
    imports: Any, production: Mapping[str, str], production_stack: str = PRODUCTION_STACKS[0]
) -> list[Problem]:
    """Staging ``estate:imports`` entries that would adopt what production adopts: the same ID, or
    anything in one of production's Supabase projects (its ref). Both keys are named, never the IDs."""
    try:
        theirs = json.loads(production.get(f"{NAMESPACE}:imports", "{}"))
    except json.JSONDecodeError:
        return []
    if not isinstance(imports, dict) or not isinstance(theirs, dict):
        return []
    problems: list[Problem] = []
    key = f"{NAMESPACE}:imports"
    for name, resource_id in cast(dict[str, Any], imports).items():
        if not isinstance(resource_id, str):
            continue
        refs = set(_SUPABASE_REF.findall(resource_id))
        for their_name, their_id in cast(dict[str, Any], theirs).items():
            if not isinstance(their_id, str):
                continue
            shared_ref = refs & set(_SUPABASE_REF.findall(their_id))
            if resource_id == their_id or shared_ref:
                what = "a resource in the database that" if shared_ref and resource_id != their_id else "what"
                problems.append(
                    Problem(
                        f"{key}.{name}",
                        HIDDEN_SHOWN,
                        f"adopts {what} {key}.{their_name} of stack {production_stack} adopts: a staging stack targets "
                        "only its own databases and resources",
                        config_rm(f"{key}.{name}", path=True),
                    )
                )
                break
    return problems


# --- settings for the program ----------------------------------------------------------------------------------------


def _settings_from(
    stack: str,
    validated: StackConfig,
    config: Mapping[str, str],
    secret_keys: Collection[str],
    *,
    offline: bool,
) -> StackSettings:
    def secret(name: str) -> SecretValue:
        return SecretValue(_alias(name), cast(str, getattr(validated, name)))

    slack_webhook_url = secret("alerts_slack_webhook_url")
    if offline and slack_webhook_url.reveal() == OFFLINE_SECRET_PLACEHOLDER:
        slack_webhook_url = SecretValue(slack_webhook_url.config_key, OFFLINE_SLACK_WEBHOOK_URL)

    organizations: dict[str, Organization] = {}
    for org in ORGANIZATIONS:
        accounts = cast(OrganizationConfig, getattr(validated.organizations, org))
        organizations[org] = Organization(
            name=org,
            cloudflare_account_id=accounts.cloudflare_account_id,
            cloudflare_zone_id=accounts.cloudflare_zone_id,
            zone=accounts.zone,
            vercel_team_id=accounts.vercel_team_id,
            github_owner=accounts.github_owner,
            supabase_organization_id=accounts.supabase_organization_id,
            cloudflare_staging_account_id=accounts.cloudflare_staging_account_id,
            cloudflare_api_token=secret(f"{org}_cloudflare_api_token"),
            vercel_api_token=secret(f"{org}_vercel_api_token"),
            github_token=secret(f"{org}_github_token"),
        )
    hosting: dict[str, Hosting] = {}
    for app in APPS:
        options = {option.kind: option for option in app.hosting}
        hosting[app.key] = options[validated.hosting.get(app.key, app.hosting[0].kind)]
    values = {source.config_key: config[f"{NAMESPACE}:{source.config_key}"] for source in _sources(Plain)}
    secrets = {
        source.config_key: SecretValue(
            f"{NAMESPACE}:{source.config_key}", config[f"{NAMESPACE}:{source.config_key}"]
        )
        for source in _sources(Secret)
    }
    error_tracking = None
    if validated.sentry is not None and validated.sentry_auth_token is not None:
        error_tracking = ErrorTrackingSettings(
            validated.sentry.organization, validated.sentry.team, secret("sentry_auth_token")
        )
    return StackSettings(
        stack=stack,
        environment=validated.environment,
        organizations=organizations,
        supabase_region=validated.supabase.region,
        supabase_compute_size=validated.supabase.compute_size,
        point_in_time_recovery=validated.supabase.point_in_time_recovery,
        access=AccessAllowList(
            tuple(validated.access.emails),
            tuple(validated.access.email_domains),
            tuple(validated.access.group_ids),
        ),
        required_status_checks={
            repository: tuple(checks) for repository, checks in validated.required_status_checks.items()
        },
        required_approvals=validated.required_approvals,
        hosting=hosting,
        values=values,
        secrets=secrets,
        alerting=AlertingSettings(slack_webhook_url, validated.alert_relay_subdomain, error_tracking),
        rotation=_rotation_settings(validated.rotation),
        imports=dict(validated.imports),
        config=validated,
    )


def rotation_entry(key: str) -> str:
    """The ``estate:rotation.lastRotated`` entry of a secret key: ``estate:talklineVapiApiKey`` → ``talklineVapiApiKey``."""
    return key.split(":", 1)[1]


def secret_descriptions() -> dict[str, str]:
    """Full key of each secret setting → what it is."""
    secret_keys = set(secret_config_keys())
    return {key: info.description or key for _, key, info in _fields() if key in secret_keys}


def _rotation_settings(rotation: RotationConfig) -> RotationSettings:
    by_entry = {rotation_entry(key): key for key in secret_config_keys()}
    return RotationSettings(
        period_days=rotation.period_days,
        grace_days=rotation.grace_days,
        external_period_days=rotation.external_period_days,
        last_rotated={
            by_entry[entry]: date.fromisoformat(day)
            for entry, day in rotation.last_rotated.items()
            if entry in by_entry
        },
        descriptions=secret_descriptions(),
        database_passwords={
            app: date.fromisoformat(str(day)) for app, day in rotation.database_passwords.items()
        },
    )


# Why database passwords are not on the rotation schedule (docs/pipeline.md, "Database passwords: rotated by hand").
DATABASE_PASSWORD_BY_HAND = (
    "database passwords are rotated by hand, never on the schedule: a Supabase project has one password "
    "for its postgres role and no second one to overlap with (Management API PATCH "
    "/v1/projects/{ref}/database/password replaces it), so every connection and every running deployment "
    "holding the old one fails at once (Vercel deployments keep DATABASE_URL until redeployed; the pooler "
    "blocks clients that retry the old password); rotate it in a maintenance window (docs/pipeline.md, "
    "'Database passwords: rotated by hand') and record the date here"
)


def database_password_apps() -> list[str]:
    """The apps whose Supabase database password the stack generates (catalog ``database``)."""
    return [app.key for app in APPS if app.database]


def _database_password_problems(stack: str, rotation: Mapping[str, Any]) -> list[Problem]:
    """Every app database carries the date of its last hand rotation; anything but a date is refused."""
    key = f"{NAMESPACE}:rotation.databasePasswords"
    today = datetime.now(UTC).date().isoformat()
    dates = rotation.get("databasePasswords")
    if not isinstance(dates, dict):
        fix = " && ".join(
            config_set(f"{key}.{app}", today, path=True, stack=stack) for app in database_password_apps()
        )
        shown = MISSING if dates is None else shown_value(key, dates)
        return [
            Problem(
                key,
                shown,
                "required: for each app database, the date its password was last rotated; "
                + DATABASE_PASSWORD_BY_HAND,
                fix,
            )
        ]
    dates = cast(dict[str, Any], dates)
    problems: list[Problem] = []
    for app in database_password_apps():
        value = dates.get(app)
        entry = f"{key}.{app}"
        if value is None:
            problems.append(
                Problem(
                    entry,
                    MISSING,
                    f"required: the date the {app} database password was last rotated; "
                    + DATABASE_PASSWORD_BY_HAND,
                    config_set(entry, today, path=True, stack=stack),
                )
            )
            continue
        try:
            valid = (
                isinstance(value, str)
                and bool(_ISO_DATE.match(value))
                and date.fromisoformat(value) is not None
            )
        except ValueError:
            valid = False
        if not valid:
            problems.append(
                Problem(
                    entry,
                    shown_value(entry, value),
                    "must be the date of the last hand rotation, YYYY-MM-DD; " + DATABASE_PASSWORD_BY_HAND,
                    config_set(entry, today, path=True, stack=stack),
                )
            )
        elif date.fromisoformat(value) > datetime.now(UTC).date():
            problems.append(
                Problem(
                    entry,
                    shown_value(entry, value),
                    "is in the future: the date the password was last rotated",
                    config_set(entry, today, path=True, stack=stack),
                )
            )
    for app in sorted(set(dates) - set(database_password_apps())):
        problems.append(
            Problem(
                f"{key}.{app}",
                HIDDEN_SHOWN,
                f"not an app with a database; known: {database_password_apps()}",
                config_rm(f"{key}.{app}", path=True, stack=stack),
            )
        )
    return problems


def _rotation_problems(stack: str, data: Mapping[str, Any]) -> list[Problem]:
    """Every secret setting has a last-rotated date; every date belongs to a secret setting; grace < period."""
    rotation = data.get(f"{NAMESPACE}:rotation")
    if not isinstance(rotation, dict):
        return []
    rotation = cast(dict[str, Any], rotation)
    key = f"{NAMESPACE}:rotation.lastRotated"
    problems: list[Problem] = []
    dates = rotation.get("lastRotated")
    if isinstance(dates, dict):
        dates = cast(dict[str, Any], dates)
        today = datetime.now(UTC).date().isoformat()
        entries = {rotation_entry(secret): secret for secret in secret_config_keys()}
        for entry, secret in entries.items():
            if entry not in dates and (secret != SENTRY_TOKEN_KEY or data.get(SENTRY_TOKEN_KEY)):
                problems.append(
                    Problem(
                        f"{key}.{entry}",
                        MISSING,
                        f"required: the date {secret} was last rotated (today's if you set it now)",
                        config_set(f"{key}.{entry}", today, path=True, stack=stack),
                    )
                )
        for entry in sorted(set(dates) - set(entries)):
            problems.append(
                Problem(
                    f"{key}.{entry}",
                    HIDDEN_SHOWN,
                    f"not a secret setting; known: {sorted(entries)}",
                    config_rm(f"{key}.{entry}", path=True, stack=stack),
                )
            )
    problems += _database_password_problems(stack, rotation)
    period, grace = rotation.get("periodDays"), rotation.get("graceDays")
    if isinstance(period, int) and isinstance(grace, int) and grace >= period:
        problems.append(
            Problem(
                f"{NAMESPACE}:rotation.graceDays",
                shown_value(f"{NAMESPACE}:rotation.graceDays", grace),
                f"must be shorter than periodDays ({period}): at most two generations overlap",
                config_set(
                    f"{NAMESPACE}:rotation.graceDays", str(max(1, period // 4)), path=True, stack=stack
                ),
            )
        )
    return problems


class _OfflineRun:
    """Whether the program runs under the offline plan; only :func:`offline_placeholders` sets it."""

    active = False


@contextmanager
def offline_placeholders() -> Generator[None]:
    """Within: :func:`load_from_pulumi` loads offline, accepting the offline plan's placeholder.

    Only the offline tooling (``estate.engine.run_program``) enters it, around
    running the program under mocks. A real ``pulumi up`` runs ``__main__`` in a
    process of its own where nothing does: no config key or environment
    variable can make a real run accept a placeholder.
    """
    before = _OfflineRun.active
    _OfflineRun.active = True
    try:
        yield
    finally:
        _OfflineRun.active = before


def load_from_pulumi() -> StackSettings:
    """Loads the running program's settings from Pulumi's config.

    A staging stack is also compared with the production stack's file next to
    ``Pulumi.yaml`` (when there is one), so it never reuses production's identifiers.
    A real run refuses the offline plan's placeholder (see :func:`offline_placeholders`).
    """
    import pulumi
    import pulumi.runtime
    from pulumi.runtime.config import CONFIG, get_config_env

    # Every key of the namespace, not only the known ones: a misspelled key is an error, not ignored.
    keys = set(known_config_keys()) | {
        key for key in [*CONFIG.get(), *get_config_env()] if key.startswith(f"{NAMESPACE}:")
    }
    config: dict[str, str] = {}
    secret_keys: set[str] = set()
    for key in sorted(keys):
        value = pulumi.runtime.get_config(key)
        if value is not None:
            config[key] = value
            if pulumi.runtime.is_config_secret(key):
                secret_keys.add(key)
    stack = pulumi.get_stack()
    return load_settings(
        stack,
        config,
        secret_keys,
        production_config=production_stack_config(PROJECT_DIR),
        offline=_OfflineRun.active,
    )


def production_stack_config(project_dir: Path) -> dict[str, str] | None:
    """The production stack's config as its file holds it (ciphertexts stay ciphertexts), if readable."""
    from stacks.stack_files import StackFileError, read_stack_config

    for stack in PRODUCTION_STACKS:
        try:
            return read_stack_config(project_dir / f"Pulumi.{stack}.yaml")
        except (StackFileError, OSError):
            continue
    return None
