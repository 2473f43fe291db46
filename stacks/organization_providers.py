"""The explicit providers of each organization's accounts, shared by every part of the program."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_cloudflare as cloudflare
import pulumi_github as github
import pulumiverse_vercel as vercel

from stacks.settings import Organization


@dataclass(frozen=True)
class OrganizationProviders:
    """The explicit providers of one organization's Cloudflare, Vercel and GitHub accounts."""

    cloudflare: cloudflare.Provider
    vercel: vercel.Provider
    github: github.Provider


def organization_providers(org: Organization) -> OrganizationProviders:
    """Declares the organization's providers (``<org>-cloudflare``, ``<org>-vercel``, ``<org>-github``).

    Their credentials are secrets in the state. Supabase has no provider object:
    its resources (providers/supabase_management) read ``SUPABASE_ACCESS_TOKEN``.
    """
    return OrganizationProviders(
        cloudflare=cloudflare.Provider(
            f"{org.name}-cloudflare", api_token=pulumi.Output.secret(org.cloudflare_api_token.reveal())
        ),
        vercel=vercel.Provider(
            f"{org.name}-vercel", api_token=pulumi.Output.secret(org.vercel_api_token.reveal())
        ),
        github=github.Provider(
            f"{org.name}-github",
            owner=org.github_owner,
            token=pulumi.Output.secret(org.github_token.reveal()),
        ),
    )
