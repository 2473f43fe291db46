"""The estate's apps: one entry per app. Adding an app is adding an entry here.

Everything environment-specific (accounts, zones, keys) comes from the stack's
settings; the catalog says only what each app *is*.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Environment = Literal["production", "staging"]
DatabaseOutput = Literal["api_url", "database_url", "anon_key", "service_role_key"]


@dataclass(frozen=True)
class Secret:
    """A value from a secret config key (``pulumi config set --secret``).

    ``patterns`` optionally constrain the value per environment (regex, matched
    at the start); ``description`` says where to find the value.
    """

    config_key: str
    description: str
    patterns: Mapping[Environment, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Plain:
    """A value from a plain (non-secret) config key."""

    config_key: str
    description: str
    patterns: Mapping[Environment, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FromDatabase:
    """A value the app's own Supabase project of this stack provides."""

    output: DatabaseOutput


@dataclass(frozen=True)
class FromStack:
    """A value the stack derives: ``environment`` or the app's primary ``url``."""

    name: Literal["environment", "url"]


ValueSource = Secret | Plain | FromDatabase | FromStack

# Database outputs that grant access to data: never sent to a browser, always sensitive.
SENSITIVE_DATABASE_OUTPUTS: frozenset[DatabaseOutput] = frozenset({"database_url", "service_role_key"})


@dataclass(frozen=True)
class EnvVar:
    """A runtime environment variable of an app and where its value comes from."""

    key: str
    source: ValueSource

    @property
    def sensitive(self) -> bool:
        if isinstance(self.source, Secret):
            return True
        return isinstance(self.source, FromDatabase) and self.source.output in SENSITIVE_DATABASE_OUTPUTS


@dataclass(frozen=True)
class VercelHosting:
    """Hosted by a Vercel project named after the app, serving ``subdomain``."""

    subdomain: str
    framework: str = "nextjs"
    root_directory: str | None = None
    kind: Literal["vercel"] = "vercel"


@dataclass(frozen=True)
class PagesSiteSpec:
    """One Cloudflare Pages project of an app (direct upload: nothing builds on Cloudflare).

    ``build_command`` / ``output_dir``: what the repository's deploy workflow
    runs and uploads with ``wrangler pages deploy`` (tests hold the delivered
    workflow to them).
    """

    project_name: str
    subdomain: str
    build_command: str
    output_dir: str
    gated: bool
    # The GitHub Actions variable holding this project's name for the deploy workflow.
    workflow_variable: str


@dataclass(frozen=True)
class PagesHosting:
    """Hosted on Cloudflare Pages, uploaded by the repository's deploy workflow."""

    sites: tuple[PagesSiteSpec, ...]
    kind: Literal["pages"] = "pages"


@dataclass(frozen=True)
class WorkerHosting:
    """A Worker deployed by ``wrangler deploy`` from its repository."""

    script_name: str
    subdomain: str
    kind: Literal["worker"] = "worker"


Hosting = VercelHosting | PagesHosting | WorkerHosting


@dataclass(frozen=True)
class App:
    """One app of the estate.

    ``key``: short, stable name used in resource names and config keys.
    ``organization``: which organization's accounts host it.
    ``repository``: its GitHub repository (under the organization's owner).
    ``hosting``: the hosting options, the first being the default; an app with
    more than one is switchable with ``estate:hosting``.
    ``database``: whether it has its own Supabase project per environment.
    ``staging_branch``: the branch that deploys to staging.
    ``error_tracking``: gets a Sentry project per environment whose alerts reach
    the stack's alert channel; its DSN is set as ``SENTRY_DSN`` and
    ``NEXT_PUBLIC_SENTRY_DSN`` (Vercel apps only; see docs/alerting.md).
    ``env``: runtime environment variables. The workflows delivered to the
    repository live in ``app-workflows/<repository>/``.
    ``e2e_command``: the shell command (run in the repository after ``npm ci``)
    that runs its end-to-end tests against ``$BASE_URL``; set only for Vercel
    apps whose repository has such a script. The stack then delivers
    ``app-checks/preview-e2e.yml``, which runs it against each ready Vercel
    preview, and each stack's ``estate:requiredStatusChecks`` for the repository
    must list ``preview-e2e``.
    """

    key: str
    title: str
    organization: str
    repository: str
    hosting: tuple[Hosting, ...]
    database: bool = False
    staging_branch: str = "staging"
    env: tuple[EnvVar, ...] = ()
    error_tracking: bool = False
    e2e_command: str | None = None

    def __post_init__(self) -> None:
        if self.e2e_command is not None and not (
            self.e2e_command.strip()
            and "${{" not in self.e2e_command
            and all(isinstance(hosting, VercelHosting) for hosting in self.hosting)
        ):
            raise ValueError(
                f"catalog: {self.key}.e2e_command runs against Vercel previews: give a non-empty "
                "shell command without `${{` and only for an app hosted on Vercel"
            )


def _supabase_env() -> tuple[EnvVar, ...]:
    return (
        EnvVar("NEXT_PUBLIC_SUPABASE_URL", FromDatabase("api_url")),
        EnvVar("NEXT_PUBLIC_SUPABASE_ANON_KEY", FromDatabase("anon_key")),
        EnvVar("SUPABASE_SERVICE_ROLE_KEY", FromDatabase("service_role_key")),
        EnvVar("DATABASE_URL", FromDatabase("database_url")),
        EnvVar("NEXT_PUBLIC_APP_ENV", FromStack("environment")),
        EnvVar("NEXT_PUBLIC_SITE_URL", FromStack("url")),
    )


STRIPE_SECRET_PATTERNS: Mapping[Environment, str] = {
    "production": r"(sk|rk)_live_",
    "staging": r"(sk|rk)_test_",
}
STRIPE_PUBLISHABLE_PATTERNS: Mapping[Environment, str] = {"production": r"pk_live_", "staging": r"pk_test_"}

APPS: tuple[App, ...] = (
    App(
        key="oms",
        title="OMS (Shopify eSIM order management)",
        organization="gstarlink",
        repository="shopify-esim-system",
        hosting=(VercelHosting(subdomain="oms"),),
        database=True,
        env=(
            *_supabase_env(),
            EnvVar("SHOPIFY_API_KEY", Plain("omsShopifyApiKey", "Shopify app client ID (Partner dashboard)")),
            EnvVar("SHOPIFY_API_SECRET", Secret("omsShopifyApiSecret", "Shopify app client secret")),
            EnvVar(
                "SHOPIFY_WEBHOOK_SECRET",
                Secret("omsShopifyWebhookSecret", "Shopify webhook signing secret (verifies order webhooks)"),
            ),
        ),
    ),
    App(
        key="esim-hub",
        title="eSIM Hub (WIP)",
        organization="gstarlink",
        repository="esim-hub",
        # Vercel only, like OMS ("will follow the same pattern as OMS"). The Pages
        # option was dropped: see the README ("eSIM Hub: why not Pages").
        hosting=(VercelHosting(subdomain="esim"),),
        database=True,
        env=_supabase_env(),
    ),
    App(
        key="handbook",
        title="Handbook",
        organization="gstarlink",
        repository="gstarlink-handbook",
        hosting=(
            PagesHosting(
                sites=(
                    PagesSiteSpec(
                        project_name="gstarlink-handbook-internal",
                        subdomain="handbook",
                        build_command="npm run build:internal",
                        output_dir="dist-internal",
                        gated=True,
                        workflow_variable="PAGES_PROJECT_INTERNAL",
                    ),
                    PagesSiteSpec(
                        project_name="gstarlink-handbook-public",
                        subdomain="docs",
                        build_command="npm run build:public",
                        output_dir="dist-public",
                        gated=False,
                        workflow_variable="PAGES_PROJECT_PUBLIC",
                    ),
                )
            ),
        ),
    ),
    App(
        key="chatbot",
        title="Chatbot",
        organization="gstarlink",
        repository="gstarlink-chatbot",
        hosting=(WorkerHosting(script_name="gstarlink-chatbot", subdomain="chat"),),
        env=(
            EnvVar(
                "LLM_API_KEY", Secret("chatbotLlmApiKey", "API key of the chatbot's language-model provider")
            ),
        ),
    ),
    App(
        key="talkline",
        title="Fancrush Talkline",
        organization="fancrush",
        repository="fancrush-talkline",
        hosting=(VercelHosting(subdomain="talkline"),),
        database=True,
        staging_branch="develop",
        error_tracking=True,
        env=(
            *_supabase_env(),
            EnvVar(
                "STRIPE_SECRET_KEY",
                Secret("talklineStripeSecretKey", "Stripe secret or restricted key", STRIPE_SECRET_PATTERNS),
            ),
            EnvVar(
                "NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY",
                Plain("talklineStripePublishableKey", "Stripe publishable key", STRIPE_PUBLISHABLE_PATTERNS),
            ),
            EnvVar(
                "STRIPE_WEBHOOK_SECRET",
                Secret(
                    "talklineStripeWebhookSecret",
                    "Stripe webhook signing secret",
                    {"production": r"whsec_", "staging": r"whsec_"},
                ),
            ),
            EnvVar(
                "TWILIO_ACCOUNT_SID",
                Plain(
                    "talklineTwilioAccountSid",
                    "Twilio account SID",
                    {"production": r"AC[0-9a-f]{32}$", "staging": r"AC[0-9a-f]{32}$"},
                ),
            ),
            EnvVar("TWILIO_AUTH_TOKEN", Secret("talklineTwilioAuthToken", "Twilio auth token")),
            EnvVar("VAPI_API_KEY", Secret("talklineVapiApiKey", "Vapi private API key")),
        ),
    ),
)

ORGANIZATIONS: tuple[str, ...] = tuple(dict.fromkeys(app.organization for app in APPS))

# The organization whose Cloudflare account runs the alert relay Worker (docs/alerting.md).
RELAY_ORGANIZATION = "gstarlink"


def runs_cloudflare_apps(organization: str) -> bool:
    """Whether the organization has Pages projects or Workers in some stack (any hosting option, or the relay)."""
    return organization == RELAY_ORGANIZATION or any(
        isinstance(hosting, PagesHosting | WorkerHosting)
        for app in APPS
        if app.organization == organization
        for hosting in app.hosting
    )
