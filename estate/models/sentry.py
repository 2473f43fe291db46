"""pulumiverse-sentry 0.0.9, which bridges jianyuan/terraform-provider-sentry v0.11.2; computed
properties as its schema lists them (provider/cmd/pulumi-resource-sentry/schema.json at v0.0.9)."""

from __future__ import annotations

from estate.models import COMPUTED, ID, Rule
from policies.resource_types import SENTRY_ISSUE_ALERT, SENTRY_KEY, SENTRY_PLUGIN, SENTRY_PROJECT

SCHEMA = "pulumiverse/pulumi-sentry v0.0.9 provider/cmd/pulumi-resource-sentry/schema.json"
TF = "jianyuan/terraform-provider-sentry v0.11.2 sentry"


TABLE: tuple[Rule, ...] = (
    Rule(
        SENTRY_ISSUE_ALERT,
        ID,
        "",
        "{inputs[organization]}/{inputs[project]}/{num7}",
        f'{TF}/resource_sentry_issue_alert.go:200 buildThreePartID(org, project, alert id); helpers.go:26 ("/")',
    ),
    Rule(
        SENTRY_PLUGIN,
        ID,
        "",
        "{inputs[plugin]}",
        f"{TF}/resource_sentry_project_plugin.go:72 d.SetId(plugin)",
    ),
    Rule(SENTRY_PROJECT, ID, "", "{inputs[slug]}", f"{TF}/resource_sentry_project.go:172 d.SetId(proj.Slug)"),
    Rule(SENTRY_PROJECT, COMPUTED, "internalId", "{num7}", f"{SCHEMA} (SentryProject.internalId: computed)"),
    Rule(
        SENTRY_PROJECT,
        COMPUTED,
        "projectId",
        "{num7}",
        f"{SCHEMA} (SentryProject.projectId: computed, deprecated for internalId)",
    ),
    Rule(SENTRY_PROJECT, COMPUTED, "status", "active", f"{SCHEMA} (SentryProject.status: computed)"),
    Rule(
        SENTRY_KEY,
        ID,
        "",
        "{hex32}",
        f"{TF}/resource_sentry_key.go:126 d.SetId(key.ID) (Sentry's key ID is its public key)",
    ),
    Rule(SENTRY_KEY, COMPUTED, "public", "{id}", f"{SCHEMA} (SentryKey.public: computed)"),
    Rule(SENTRY_KEY, COMPUTED, "secret", "{hex32}", f"{SCHEMA} (SentryKey.secret: computed)"),
    Rule(SENTRY_KEY, COMPUTED, "projectId", "{num7}", f"{SCHEMA} (SentryKey.projectId: computed)"),
    Rule(SENTRY_KEY, COMPUTED, "isActive", True, f"{SCHEMA} (SentryKey.isActive: computed)"),
    Rule(
        SENTRY_KEY,
        COMPUTED,
        "dsnPublic",
        "https://{id}@o{num6}.ingest.sentry.io/{num7}",
        f"{SCHEMA} (SentryKey.dsnPublic: computed)",
    ),
    Rule(
        SENTRY_KEY,
        COMPUTED,
        "dsnCsp",
        "https://o{num6}.ingest.sentry.io/api/{num7}/csp-report/?sentry_key={id}",
        f"{SCHEMA} (SentryKey.dsnCsp: computed)",
    ),
)
