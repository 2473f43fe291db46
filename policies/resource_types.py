"""Every Pulumi type token the estate registers, as the engine names it: declared here once.

The policies, the provider models (``estate/models/``), the program's adoption
table, the tooling (diff, graph, alert coverage) and the tests name a type by the
constant here, never by the string; tests/test_architecture.py fails on a token
written anywhere else, and on a type the stacks register without a constant here.
(Each component declares its own type, ``<NAME>_TYPE`` in its module; the same test
holds those to one place too.)
This module lives in the policy pack because the pack ships on its own and may
import nothing outside it.
"""

from __future__ import annotations

from typing import Final

# --- Cloudflare (pulumi-cloudflare) -----------------------------------------------------------------
PAGES_PROJECT: Final = "cloudflare:index/pagesProject:PagesProject"
PAGES_DOMAIN: Final = "cloudflare:index/pagesDomain:PagesDomain"
ACCESS_APPLICATION: Final = "cloudflare:index/zeroTrustAccessApplication:ZeroTrustAccessApplication"
ACCESS_POLICY: Final = "cloudflare:index/zeroTrustAccessPolicy:ZeroTrustAccessPolicy"
DNS_RECORD: Final = "cloudflare:index/dnsRecord:DnsRecord"
WORKERS_CUSTOM_DOMAIN: Final = "cloudflare:index/workersCustomDomain:WorkersCustomDomain"
WORKERS_ROUTE: Final = "cloudflare:index/workersRoute:WorkersRoute"
WORKERS_SCRIPT: Final = "cloudflare:index/workersScript:WorkersScript"
WORKERS_SCRIPT_SUBDOMAIN: Final = "cloudflare:index/workersScriptSubdomain:WorkersScriptSubdomain"
ACCOUNT_TOKEN: Final = "cloudflare:index/accountToken:AccountToken"
# A user-scoped token: the estate never creates one (policies/deploy_tokens.py refuses it).
API_TOKEN: Final = "cloudflare:index/apiToken:ApiToken"
NOTIFICATION_POLICY: Final = "cloudflare:index/notificationPolicy:NotificationPolicy"
NOTIFICATION_POLICY_WEBHOOKS: Final = "cloudflare:index/notificationPolicyWebhooks:NotificationPolicyWebhooks"
HEALTHCHECK: Final = "cloudflare:index/healthcheck:Healthcheck"
# An invoke (data source), not a resource: the account's permission groups, by name.
PERMISSION_GROUPS_LIST: Final = (
    "cloudflare:index/getAccountApiTokenPermissionGroupsList:getAccountApiTokenPermissionGroupsList"
)

# --- Vercel (pulumiverse-vercel) --------------------------------------------------------------------
VERCEL_PROJECT: Final = "vercel:index/project:Project"
VERCEL_PROJECT_DOMAIN: Final = "vercel:index/projectDomain:ProjectDomain"
VERCEL_ENV_VAR: Final = "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable"
VERCEL_WEBHOOK: Final = "vercel:index/webhook:Webhook"
VERCEL_ALERT_RULE: Final = "vercel:index/alertRule:AlertRule"
VERCEL_ALERT_RULE_WEBHOOK_NOTIFICATION: Final = (
    "vercel:index/alertRuleWebhookNotification:AlertRuleWebhookNotification"
)

# --- Supabase (dynamic: providers/supabase_management) ----------------------------------------------
SUPABASE_PROJECT: Final = "pulumi-python:dynamic/supabase:Project"
SUPABASE_PITR: Final = "pulumi-python:dynamic/supabase:PointInTimeRecovery"
SUPABASE_AUTH_SETTINGS: Final = "pulumi-python:dynamic/supabase:AuthSettings"
SUPABASE_API_KEYS: Final = "pulumi-python:dynamic/supabase:ProjectApiKeys"
# Every resource of a stack's own Supabase projects: a value taken from one is that database's.
SUPABASE_TYPES: Final = frozenset(
    {SUPABASE_PROJECT, SUPABASE_PITR, SUPABASE_AUTH_SETTINGS, SUPABASE_API_KEYS}
)

# --- GitHub (pulumi-github) -------------------------------------------------------------------------
BRANCH_PROTECTION: Final = "github:index/branchProtection:BranchProtection"
REPOSITORY_ENVIRONMENT: Final = "github:index/repositoryEnvironment:RepositoryEnvironment"
DEPLOYMENT_POLICY: Final = (
    "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy"
)
ACTIONS_ENVIRONMENT_SECRET: Final = "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret"
ACTIONS_ENVIRONMENT_VARIABLE: Final = "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable"
ACTIONS_SECRET: Final = "github:index/actionsSecret:ActionsSecret"
ACTIONS_VARIABLE: Final = "github:index/actionsVariable:ActionsVariable"
ACTIONS_ORGANIZATION_SECRET: Final = "github:index/actionsOrganizationSecret:ActionsOrganizationSecret"
ACTIONS_ORGANIZATION_VARIABLE: Final = "github:index/actionsOrganizationVariable:ActionsOrganizationVariable"
REPOSITORY_FILE: Final = "github:index/repositoryFile:RepositoryFile"
GITHUB_BRANCH: Final = "github:index/branch:Branch"
PULL_REQUEST: Final = "github:index/repositoryPullRequest:RepositoryPullRequest"
ISSUE_LABEL: Final = "github:index/issueLabel:IssueLabel"
# providers/github_delivery: one revision of delivered files (``files``: path → content).
DELIVERY_BRANCH: Final = "pulumi-python:dynamic/github:DeliveryBranch"

# --- rotation (dynamic: providers/keyring): a secret's current and previous value ----------------
KEYRING: Final = "pulumi-python:dynamic/estate:Keyring"

# --- Sentry (pulumiverse-sentry), time (pulumiverse-time), random (pulumi-random) -------------------
SENTRY_PROJECT: Final = "sentry:index/sentryProject:SentryProject"
SENTRY_KEY: Final = "sentry:index/sentryKey:SentryKey"
SENTRY_ISSUE_ALERT: Final = "sentry:index/sentryIssueAlert:SentryIssueAlert"
SENTRY_PLUGIN: Final = "sentry:index/sentryPlugin:SentryPlugin"
TIME_ROTATING: Final = "time:index/rotating:Rotating"
RANDOM_PASSWORD: Final = "random:index/randomPassword:RandomPassword"

# --- groups the rules judge -------------------------------------------------------------------------

# GitHub Actions secrets: encrypted by GitHub, so the value must reach Pulumi as a secret too.
ACTIONS_SECRETS: Final = frozenset({ACTIONS_ENVIRONMENT_SECRET, ACTIONS_SECRET, ACTIONS_ORGANIZATION_SECRET})
# GitHub Actions variables: plain text, shown in logs and to every reader of the repository.
ACTIONS_VARIABLES: Final = frozenset(
    {ACTIONS_ENVIRONMENT_VARIABLE, ACTIONS_VARIABLE, ACTIONS_ORGANIZATION_VARIABLE}
)

# The engine's own: a read of another stack's outputs (no provider serves it; estate/models/pulumi.py).
STACK_REFERENCE: Final = "pulumi:pulumi:StackReference"
