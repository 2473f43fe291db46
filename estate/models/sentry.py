"""pulumiverse-sentry 0.0.9, which bridges jianyuan/terraform-provider-sentry v0.11.2; computed
properties as its schema lists them (provider/cmd/pulumi-resource-sentry/schema.json at v0.0.9)."""

from __future__ import annotations

from estate.models import COMPUTED, ID, Rule

SCHEMA = "pulumiverse/pulumi-sentry v0.0.9 provider/cmd/pulumi-resource-sentry/schema.json"

SENTRY_PROJECT = "sentry:index/sentryProject:SentryProject"
SENTRY_KEY = "sentry:index/sentryKey:SentryKey"

TABLE: tuple[Rule, ...] = (
    Rule(SENTRY_PROJECT, ID, "", "{inputs[slug]}", f"{SCHEMA} (SentryProject: the slug identifies the project)"),
    Rule(SENTRY_PROJECT, COMPUTED, "internalId", "{num7}", f"{SCHEMA} (SentryProject.internalId: computed)"),
    Rule(SENTRY_PROJECT, COMPUTED, "projectId", "{num7}", f"{SCHEMA} (SentryProject.projectId: computed, deprecated for internalId)"),
    Rule(SENTRY_PROJECT, COMPUTED, "status", "active", f"{SCHEMA} (SentryProject.status: computed)"),
    Rule(SENTRY_KEY, ID, "", "{hex32}", f"{SCHEMA} (SentryKey: the public key identifies the key)"),
    Rule(SENTRY_KEY, COMPUTED, "public", "{id}", f"{SCHEMA} (SentryKey.public: computed)"),
    Rule(SENTRY_KEY, COMPUTED, "secret", "{hex32}", f"{SCHEMA} (SentryKey.secret: computed)"),
    Rule(SENTRY_KEY, COMPUTED, "projectId", "{num7}", f"{SCHEMA} (SentryKey.projectId: computed)"),
    Rule(SENTRY_KEY, COMPUTED, "isActive", True, f"{SCHEMA} (SentryKey.isActive: computed)"),
    Rule(SENTRY_KEY, COMPUTED, "dsnPublic", "https://{id}@o{num6}.ingest.sentry.io/{num7}", f"{SCHEMA} (SentryKey.dsnPublic: computed)"),
    Rule(SENTRY_KEY, COMPUTED, "dsnCsp", "https://o{num6}.ingest.sentry.io/api/{num7}/csp-report/?sentry_key={id}",
         f"{SCHEMA} (SentryKey.dsnCsp: computed)"),
)
