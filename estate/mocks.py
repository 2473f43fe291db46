"""Pulumi mocks at the provider boundary: computed outputs as each provider would return them.

Only what a provider computes is invented here (IDs, hostnames, generated
passwords, tokens); every input passes through unchanged. Values are derived
from the resource's name, so plans are reproducible run to run.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

import pulumi

# Cloudflare account permission groups that token lookups may ask for.
CLOUDFLARE_PERMISSION_GROUPS = (
    "Pages Write",
    "Pages Read",
    "Workers Scripts Write",
    "Workers Scripts Read",
    "Workers Routes Write",
    "Account Settings Read",
)


def _digest(*parts: str, length: int = 32) -> str:
    """A stable hex string per stack and parts: providers never reuse an ID across stacks."""
    return hashlib.sha256("/".join((pulumi.get_stack(), *parts)).encode()).hexdigest()[:length]


def _uuid(*parts: str) -> str:
    h = _digest(*parts)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _supabase_project(args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
    ref = "".join(chr(ord("a") + int(c, 16) % 26) for c in _digest(args.name, length=20))
    return ref, {
        **args.inputs,
        "dbHost": f"db.{ref}.supabase.co",
        "dbPort": 5432,
        "dbPoolingPort": 6543,
        "dbName": "postgres",
        "dbUsername": "postgres",
        "endpoint": f"https://{ref}.supabase.co",
        "createdAt": "2026-01-01T00:00:00Z",
    }


def _random_password(args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
    length = int(args.inputs.get("length", 32))
    result = (_digest("password", args.name, length=64) * 2)[:length]
    return "none", {**args.inputs, "result": result, "bcryptHash": "$2a$10$" + _digest(result, length=53)}


def _pages_project(args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
    name = args.inputs["name"]
    return name, {**args.inputs, "subdomain": f"{name}.pages.dev", "domains": []}


def _account_token(args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
    token_id = _digest("token", args.name)
    # The provider stores each policy's `resources` as the API's raw JSON, which is compact
    # (account_token/custom.go UnmarshalCustom at terraform-provider-cloudflare v5.19.1).
    policies = [
        {**policy, "resources": json.dumps(json.loads(policy["resources"]), separators=(",", ":"))}
        if isinstance(policy, dict) and isinstance(policy.get("resources"), str) else policy
        for policy in args.inputs.get("policies", [])
    ]  # fmt: skip
    return token_id, {**args.inputs, "policies": policies,
                      "value": _digest("token-value", args.name, length=40), "status": "active"}  # fmt: skip


def _healthcheck(args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
    # http_config.port defaults to 80 whatever the type (healthcheck/schema.go at v5.19.1;
    # terraform-provider-cloudflare#6800).
    http_config = {"port": 80, **dict(args.inputs.get("httpConfig") or {})}
    return _digest("healthcheck", args.name), {**args.inputs, "httpConfig": http_config, "status": "unknown"}


def _vercel_project(args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
    return f"prj_{_digest(args.name, length=28)}", dict(args.inputs)


def _supabase_api_keys(args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
    ref = str(args.inputs["project_ref"])
    claims = {"anon": "anon", "service_role": "service_role"}
    return ref, {
        **args.inputs,
        "api_url": f"https://{ref}.supabase.co",
        "anon_key": f"eyJhbGciOiJIUzI1NiJ9.{claims['anon']}-{_digest(ref, 'anon', length=24)}",
        "service_role_key": f"eyJhbGciOiJIUzI1NiJ9.{claims['service_role']}-{_digest(ref, 'service', length=24)}",
    }


def _sentry_project(args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
    slug = str(args.inputs.get("slug") or args.inputs["name"])
    internal_id = str(int(_digest("sentry-project", args.name, length=8), 16))
    return slug, {**args.inputs, "slug": slug, "internalId": internal_id, "projectId": internal_id, "status": "active"}


def _sentry_key(args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
    public = _digest("sentry-key", args.name)
    project_id = str(int(_digest("sentry-project-of", args.name, length=8), 16))
    host = f"o{int(_digest('sentry-org', str(args.inputs.get('organization')), length=6), 16)}.ingest.sentry.io"
    return public, {
        **args.inputs,
        "public": public,
        "secret": _digest("sentry-key-secret", args.name),
        "projectId": project_id,
        "isActive": True,
        "dsnPublic": f"https://{public}@{host}/{project_id}",
        "dsnCsp": f"https://{host}/api/{project_id}/csp-report/?sentry_key={public}",
    }


def _vercel_webhook(args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
    # Vercel generates each webhook's signing secret and returns it once, at creation.
    return f"hook_{_digest('webhook', args.name, length=24)}", {
        **args.inputs,
        "secret": _digest("webhook-secret", args.name, length=24),
    }


# How Pulumi's RPC layer marks a secret inside the inputs a mock receives.
_SECRET_SIG_KEY, _SECRET_SIG = "4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270"


def _unwrap_secret(value: Any) -> tuple[Any, bool]:
    if isinstance(value, dict) and value.get(_SECRET_SIG_KEY) == _SECRET_SIG:
        return value.get("value"), True
    return value, False


def _as_stored(value: Any, secret: bool) -> Any:
    return {_SECRET_SIG_KEY: _SECRET_SIG, "value": value} if secret else value


_SLACK_URL_SECRET = re.compile(r"^(https://hooks\.slack\.com/services/[^/]+/[^/]+)/[^/]+$")


def _notification_webhooks(args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
    raw_url, secret = _unwrap_secret(args.inputs.get("url", ""))
    url = str(raw_url)
    kind = "slack" if url.startswith("https://hooks.slack.com/") else "generic"
    # Cloudflare parses a Slack URL's secret last segment out of the URL and stores the
    # URL without it (Cloudflare "Configure webhooks" docs; cloudflare/cloudflare-docs#11053).
    stored_url = match.group(1) if kind == "slack" and (match := _SLACK_URL_SECRET.match(url)) else url
    return _uuid("notification-webhooks", args.name), {**args.inputs, "url": _as_stored(stored_url, secret), "type": kind}


def _echo(id_key: str) -> Callable[[pulumi.runtime.MockResourceArgs], tuple[str, dict[str, Any]]]:
    def new(args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return str(args.inputs.get(id_key, args.name)), dict(args.inputs)

    return new


_COMPUTED: dict[str, Callable[[pulumi.runtime.MockResourceArgs], tuple[str, dict[str, Any]]]] = {
    "supabase:index:Project": _supabase_project,
    "random:index/randomPassword:RandomPassword": _random_password,
    "cloudflare:index/pagesProject:PagesProject": _pages_project,
    "cloudflare:index/accountToken:AccountToken": _account_token,
    "vercel:index/project:Project": _vercel_project,
    "github:index/repositoryEnvironment:RepositoryEnvironment": _echo("environment"),
    "github:index/branch:Branch": _echo("branch"),
    # Dynamic resources of providers/supabase_management: the ID is the project ref.
    "pulumi-python:dynamic/supabase:ProjectApiKeys": _supabase_api_keys,
    "pulumi-python:dynamic/supabase:AuthSettings": _echo("project_ref"),
    "pulumi-python:dynamic/supabase:PointInTimeRecovery": _echo("project_ref"),
    # Alerting (components/alert_relay, cloudflare_notifications, vercel_alerts, error_tracking).
    "sentry:index/sentryProject:SentryProject": _sentry_project,
    "sentry:index/sentryKey:SentryKey": _sentry_key,
    "vercel:index/webhook:Webhook": _vercel_webhook,
    "vercel:index/alertRule:AlertRule": lambda args: (f"ar_{_uuid('alert-rule', args.name)}", dict(args.inputs)),
    "cloudflare:index/notificationPolicyWebhooks:NotificationPolicyWebhooks": _notification_webhooks,
    "cloudflare:index/notificationPolicy:NotificationPolicy": lambda args: (_uuid("policy", args.name), dict(args.inputs)),
    "cloudflare:index/healthcheck:Healthcheck": _healthcheck,
    "cloudflare:index/workersScript:WorkersScript": _echo("scriptName"),
}


class ProviderMocks(pulumi.runtime.Mocks):
    """Answers resource registrations and invokes as the real providers would."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        computed = _COMPUTED.get(args.typ)
        if computed is not None:
            return computed(args)
        if args.typ.startswith("cloudflare:index/zeroTrust"):
            return _uuid(args.name), dict(args.inputs)
        return f"{args.name}-{_digest(args.typ, args.name, length=8)}", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        if args.token == "cloudflare:index/getAccountApiTokenPermissionGroupsList:getAccountApiTokenPermissionGroupsList":
            return {
                "accountId": args.args.get("accountId"),
                "results": [
                    {"id": _digest("permission-group", name), "name": name, "scopes": ["com.cloudflare.api.account"]}
                    for name in CLOUDFLARE_PERMISSION_GROUPS
                ],
            }, []
        raise NotImplementedError(f"no mock for invoke {args.token}")
