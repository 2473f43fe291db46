"""The Pulumi type tokens the rules judge, as the engine names them."""

from __future__ import annotations

from typing import Final

PAGES_PROJECT: Final = "cloudflare:index/pagesProject:PagesProject"
PAGES_DOMAIN: Final = "cloudflare:index/pagesDomain:PagesDomain"
ACCESS_APPLICATION: Final = "cloudflare:index/zeroTrustAccessApplication:ZeroTrustAccessApplication"
DNS_RECORD: Final = "cloudflare:index/dnsRecord:DnsRecord"
WORKERS_CUSTOM_DOMAIN: Final = "cloudflare:index/workersCustomDomain:WorkersCustomDomain"
WORKERS_ROUTE: Final = "cloudflare:index/workersRoute:WorkersRoute"

VERCEL_PROJECT: Final = "vercel:index/project:Project"
VERCEL_PROJECT_DOMAIN: Final = "vercel:index/projectDomain:ProjectDomain"
VERCEL_ENV_VAR: Final = "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable"

SUPABASE_PROJECT: Final = "pulumi-python:dynamic/supabase:Project"
SUPABASE_PITR: Final = "pulumi-python:dynamic/supabase:PointInTimeRecovery"

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
# providers/github_delivery: one revision of delivered files (``files``: path → content).
DELIVERY_BRANCH: Final = "pulumi-python:dynamic/github:DeliveryBranch"

# GitHub Actions secrets: encrypted by GitHub, so the value must reach Pulumi as a secret too.
ACTIONS_SECRETS: Final = frozenset({ACTIONS_ENVIRONMENT_SECRET, ACTIONS_SECRET, ACTIONS_ORGANIZATION_SECRET})
# GitHub Actions variables: plain text, shown in logs and to every reader of the repository.
ACTIONS_VARIABLES: Final = frozenset(
    {ACTIONS_ENVIRONMENT_VARIABLE, ACTIONS_VARIABLE, ACTIONS_ORGANIZATION_VARIABLE}
)

# Cloudflare account-scoped resources judged by the staging-account rule.
WORKERS_SCRIPT: Final = "cloudflare:index/workersScript:WorkersScript"
WORKERS_SCRIPT_SUBDOMAIN: Final = "cloudflare:index/workersScriptSubdomain:WorkersScriptSubdomain"
ACCOUNT_TOKEN: Final = "cloudflare:index/accountToken:AccountToken"
NOTIFICATION_POLICY: Final = "cloudflare:index/notificationPolicy:NotificationPolicy"
