"""pulumi-cloudflare 6.23.1, which bridges terraform-provider-cloudflare v5.19.1 (``TF`` below)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from estate.models import COMPUTED, DEFAULT, ID, PROVIDES, REQUIRES, STORED, Rule
from policies.resource_types import (
    ACCESS_APPLICATION,
    ACCESS_POLICY,
    ACCOUNT_TOKEN,
    DNS_RECORD,
    HEALTHCHECK,
    NOTIFICATION_POLICY,
    PAGES_DOMAIN,
    PAGES_PROJECT,
    WORKERS_CUSTOM_DOMAIN,
    WORKERS_ROUTE,
    WORKERS_SCRIPT,
    WORKERS_SCRIPT_SUBDOMAIN,
)
from policies.resource_types import NOTIFICATION_POLICY_WEBHOOKS as NOTIFICATION_WEBHOOKS

TF = "terraform-provider-cloudflare v5.19.1 internal/services"


_WORKERS_DEV = re.compile(r"^(?P<script>[a-z0-9-]+)\.(?P<subdomain>[a-z0-9-]+)\.workers\.dev$")


def compact_json(value: Any, _inputs: Mapping[str, Any]) -> Any:
    """The API answers with compact JSON; the provider stores that raw text."""
    if not isinstance(value, str):
        return value
    try:
        return json.dumps(json.loads(value), separators=(",", ":"))
    except ValueError:
        return value


def slack_url_stored(value: Any, inputs: Mapping[str, Any]) -> Any:
    """Cloudflare parses a Slack webhook's secret (the last path part) out of the URL and keeps it apart."""
    if not isinstance(value, str) or inputs.get("secret"):
        return value
    parts = urlsplit(value)
    segments = parts.path.strip("/").split("/")
    if parts.hostname == "hooks.slack.com" and len(segments) == 4 and segments[0] == "services":
        return f"https://hooks.slack.com/services/{segments[1]}/{segments[2]}"
    return value


def webhook_type(_value: Any, inputs: Mapping[str, Any]) -> str:
    url = inputs.get("url")
    return "slack" if isinstance(url, str) and url.startswith("https://hooks.slack.com/") else "generic"


def proxied_ttl(value: Any, inputs: Mapping[str, Any]) -> Any:
    return 1 if inputs.get("proxied") else value


def host_of(value: Any) -> str | None:
    if not isinstance(value, str) or not value or value == "[secret]":
        return None
    host = urlsplit(value if "://" in value else f"https://{value}").hostname
    return host.removeprefix("*.") if host else None


def url_workers_dev_script(_value: Any, inputs: Mapping[str, Any]) -> str | None:
    match = _WORKERS_DEV.match(host_of(inputs.get("url")) or "")
    return match["script"] if match else None


def url_custom_host(_value: Any, inputs: Mapping[str, Any]) -> str | None:
    host = host_of(inputs.get("url"))
    return None if host is None or _WORKERS_DEV.match(host) else host


def access_destination_hosts(_value: Any, inputs: Mapping[str, Any]) -> list[str]:
    hosts = [host_of(d.get("uri")) for d in inputs.get("destinations") or [] if isinstance(d, Mapping)]
    return sorted({h for h in hosts if h and not h.endswith(".pages.dev")})


def pages_dev_hosts_named(_value: Any, inputs: Mapping[str, Any]) -> list[str]:
    """Every ``*.pages.dev`` host a record points at or an Access application gates."""
    named = [inputs.get("content")] if inputs.get("type") == "CNAME" else []
    named += [d.get("uri") for d in inputs.get("destinations") or [] if isinstance(d, Mapping)]
    hosts = (host_of(value) for value in named)
    return sorted({h for h in hosts if h and h.endswith(".pages.dev")})


def enabled_script(_value: Any, inputs: Mapping[str, Any]) -> str | None:
    return str(inputs["scriptName"]) if inputs.get("enabled") and inputs.get("scriptName") else None


ACCESS_DOCS = "https://developers.cloudflare.com/pages/platform/known-issues/ (Access on a custom domain before it is attached)"
WEBHOOK_DOCS = "https://developers.cloudflare.com/notifications/get-started/configure-webhooks/"

TABLE: tuple[Rule, ...] = (
    Rule(PAGES_PROJECT, ID, "", "{inputs[name]}", f"{TF}/pages_project/resource.go: data.ID = data.Name"),
    # The pages.dev namespace is global: a taken name gets a random suffix. Modelled as taken, so a
    # guessed "<name>.pages.dev" never matches what the provider reports.
    Rule(
        PAGES_PROJECT,
        COMPUTED,
        "subdomain",
        "{inputs[name]}-{suffix3}.pages.dev",
        f"{TF}/pages_project/schema.go:724 (subdomain: computed); https://developers.cloudflare.com/pages/configuration/preview-deployments/",
    ),
    Rule(
        PAGES_PROJECT,
        COMPUTED,
        "domains",
        [],
        f"{TF}/pages_project/schema.go:734 (domains: computed from attached domains)",
    ),
    Rule(
        PAGES_PROJECT, PROVIDES, "pages-subdomain", "{inputs[subdomain]}", f"{TF}/pages_project/schema.go:724"
    ),
    Rule(PAGES_DOMAIN, ID, "", "{inputs[name]}", f"{TF}/pages_domain/resource.go: data.ID = data.Name"),
    Rule(
        PAGES_DOMAIN,
        COMPUTED,
        "status",
        "initializing",
        f"{TF}/pages_domain/schema.go (status: computed; new domains start initializing)",
    ),
    Rule(PAGES_DOMAIN, PROVIDES, "pages-domain", "{inputs[name]}", ACCESS_DOCS),
    Rule(
        DNS_RECORD, ID, "", "{hex32}", f"{TF}/dns_record/model.go (id: computed, the API's 32-hex record ID)"
    ),
    Rule(
        DNS_RECORD,
        STORED,
        "ttl",
        proxied_ttl,
        "https://developers.cloudflare.com/dns/manage-dns-records/reference/ttl/ (proxied records: TTL Auto = 1)",
    ),
    Rule(
        DNS_RECORD,
        REQUIRES,
        "pages-subdomain",
        pages_dev_hosts_named,
        "https://developers.cloudflare.com/pages/configuration/custom-domains/ (CNAME to the project's <subdomain>.pages.dev)",
    ),
    Rule(HEALTHCHECK, ID, "", "{hex32}", f"{TF}/healthcheck/model.go (id: computed)"),
    Rule(
        HEALTHCHECK,
        DEFAULT,
        "httpConfig.port",
        80,
        f"{TF}/healthcheck/schema.go:178-183 (http_config.port default 80 whatever the type); terraform-provider-cloudflare#6800",
    ),
    Rule(
        HEALTHCHECK,
        COMPUTED,
        "status",
        "unknown",
        f"{TF}/healthcheck/schema.go (status: computed; unknown until probed)",
    ),
    Rule(ACCOUNT_TOKEN, ID, "", "{hex32}", f"{TF}/account_token/model.go (id: computed)"),
    Rule(
        ACCOUNT_TOKEN,
        COMPUTED,
        "value",
        "{hex40}",
        f"{TF}/account_token/model.go (value: computed, no_refresh: returned once, at create)",
    ),
    Rule(ACCOUNT_TOKEN, COMPUTED, "status", "active", f"{TF}/account_token/schema.go (status: computed)"),
    Rule(
        ACCOUNT_TOKEN,
        STORED,
        "policies[].resources",
        compact_json,
        f"{TF}/account_token/custom.go UnmarshalCustom (stores the API's raw, compact JSON)",
    ),
    Rule(
        NOTIFICATION_WEBHOOKS,
        ID,
        "",
        "{uuid}",
        f"{TF}/notification_policy_webhooks/model.go (id: computed UUID)",
    ),
    # No REPLACES row for `secret` (schema.go at v5.19.1: Optional, Sensitive, no RequiresReplace): a rotated
    # secret is a PUT to the same destination (resource.go Update), which Cloudflare tests with a POST.
    Rule(
        NOTIFICATION_WEBHOOKS,
        COMPUTED,
        "type",
        webhook_type,
        f"{WEBHOOK_DOCS} (the type is recognised from the URL)",
    ),
    Rule(
        NOTIFICATION_WEBHOOKS,
        STORED,
        "url",
        slack_url_stored,
        f"{WEBHOOK_DOCS}; cloudflare/cloudflare-docs#11053 (Slack's secret is parsed out of the URL)",
    ),
    Rule(
        NOTIFICATION_WEBHOOKS,
        REQUIRES,
        "worker-script",
        url_workers_dev_script,
        f"{WEBHOOK_DOCS} (a test POST is sent when a destination is created)",
    ),
    Rule(
        NOTIFICATION_WEBHOOKS,
        REQUIRES,
        "workers-dev",
        url_workers_dev_script,
        f"{WEBHOOK_DOCS} (a test POST is sent when a destination is created)",
    ),
    Rule(
        NOTIFICATION_WEBHOOKS,
        REQUIRES,
        "live-host",
        url_custom_host,
        f"{WEBHOOK_DOCS} (a test POST is sent when a destination is created)",
    ),
    Rule(NOTIFICATION_POLICY, ID, "", "{uuid}", f"{TF}/notification_policy/model.go (id: computed UUID)"),
    Rule(
        WORKERS_SCRIPT,
        ID,
        "",
        "{inputs[scriptName]}",
        f"{TF}/workers_script/resource.go: data.ID = data.ScriptName",
    ),
    Rule(
        WORKERS_SCRIPT,
        PROVIDES,
        "worker-script",
        "{inputs[scriptName]}",
        f"{TF}/workers_script/resource.go (create uploads the script)",
    ),
    Rule(
        WORKERS_SCRIPT_SUBDOMAIN,
        ID,
        "",
        "{inputs[scriptName]}",
        f"{TF}/workers_script_subdomain/resource.go: data.ID = data.ScriptName",
    ),
    Rule(
        WORKERS_SCRIPT_SUBDOMAIN,
        REQUIRES,
        "worker-script",
        "{inputs[scriptName]}",
        "https://developers.cloudflare.com/api/resources/workers/subresources/scripts/subresources/subdomain/ (POST .../scripts/{script_name}/subdomain)",
    ),
    Rule(
        WORKERS_SCRIPT_SUBDOMAIN,
        PROVIDES,
        "workers-dev",
        enabled_script,
        "https://developers.cloudflare.com/workers/configuration/routing/workers-dev/",
    ),
    Rule(WORKERS_CUSTOM_DOMAIN, ID, "", "{hex32}", f"{TF}/workers_custom_domain/model.go (id: computed)"),
    Rule(
        WORKERS_CUSTOM_DOMAIN,
        REQUIRES,
        "worker-script",
        "{inputs[service]}",
        "https://developers.cloudflare.com/workers/configuration/routing/custom-domains/ (a custom domain needs a Worker to invoke)",
    ),
    Rule(
        WORKERS_CUSTOM_DOMAIN,
        PROVIDES,
        "live-host",
        "{inputs[hostname]}",
        "https://developers.cloudflare.com/workers/configuration/routing/custom-domains/",
    ),
    Rule(WORKERS_ROUTE, ID, "", "{hex32}", f"{TF}/workers_route/model.go (id: computed)"),
    Rule(
        WORKERS_ROUTE,
        REQUIRES,
        "worker-script",
        "{inputs[script]}",
        "https://developers.cloudflare.com/workers/configuration/routing/routes/",
    ),
    Rule(
        ACCESS_APPLICATION,
        ID,
        "",
        "{uuid}",
        f"{TF}/zero_trust_access_application/model.go (id: computed UUID)",
    ),
    Rule(
        ACCESS_APPLICATION,
        COMPUTED,
        "aud",
        "{hex64}",
        f"{TF}/zero_trust_access_application/schema.go (aud: computed audience tag)",
    ),
    Rule(ACCESS_APPLICATION, REQUIRES, "pages-domain", access_destination_hosts, ACCESS_DOCS),
    Rule(
        ACCESS_APPLICATION,
        REQUIRES,
        "pages-subdomain",
        pages_dev_hosts_named,
        "https://developers.cloudflare.com/pages/configuration/preview-deployments/ (previews live under the project's subdomain)",
    ),
    Rule(ACCESS_POLICY, ID, "", "{uuid}", f"{TF}/zero_trust_access_policy/model.go (id: computed UUID)"),
)
