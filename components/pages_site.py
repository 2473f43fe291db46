"""A static site on Cloudflare Pages with its custom domain and, optionally, an Access gate."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_cloudflare as cloudflare

PAGES_SITE_TYPE = "estate:hosting:PagesSite"


def preview_hosts(pages_dev_host: str) -> str:
    """Every preview deployment of a project answers on ``<hash or branch>.<its pages.dev host>``."""
    return f"*.{pages_dev_host}"


@dataclass(frozen=True)
class PagesSiteArgs:
    """Inputs of :class:`PagesSite`.

    ``account_id`` / ``zone_id``: the Cloudflare account holding the project and
    the zone of ``domain``. ``project_name``: the Pages project.
    ``production_branch``: deployments of this branch are production.
    ``domain``: the custom hostname. ``access_policy_id``: a reusable Access
    policy of ``account_id``; when given, the site is gated on every hostname
    that serves it (the custom domain, the project's pages.dev host and its
    previews); when None the site is public. ``zone_account_id`` /
    ``zone_access_policy_id``: when the zone belongs to another account than
    the project (staging's projects live in an account of their own), that
    account and its reusable policy: an Access application can gate only
    hostnames of zones in its own account, so the custom domain's gate and its
    certificate bypass live there.
    """

    account_id: pulumi.Input[str]
    zone_id: pulumi.Input[str]
    project_name: str
    production_branch: str
    domain: str
    access_policy_id: pulumi.Input[str] | None = None
    zone_account_id: pulumi.Input[str] | None = None
    zone_access_policy_id: pulumi.Input[str] | None = None


class PagesSite(pulumi.ComponentResource):
    """A direct-upload Pages project, its custom domain with a proxied CNAME, and its Access gate.

    Nothing builds on Cloudflare: the repository's workflow builds and uploads
    (``wrangler pages deploy``), so the project declares no ``build_config``
    (it would be dead, and a perpetual diff: terraform-provider-cloudflare#7288),
    and its ``deployment_configs``, which deploys and the dashboard change out
    of band, are ignored (pulumi-cloudflare#925).

    The pages.dev host is the project's ``subdomain`` as Cloudflare assigned it:
    the pages.dev namespace is global and a taken name gets a suffix, so the
    CNAME target and the Access destinations follow that output, never the
    project name.

    A gated site gets one Access application covering all three hostnames
    (Cloudflare's own "enable access policy" covers only the previews), or,
    when the zone is in another account, one for the pages.dev hosts in the
    project's account and one for the custom domain in the zone's; and a
    bypass for ``/.well-known/acme-challenge/*`` on the custom domain, so the
    certificate for it can still be validated. The domain is attached before
    the gate and before its CNAME: adding a custom domain that Access already
    covers can fail, and Pages validates the domain it was told about.

    Outputs: ``project_name`` (what the deploy workflow uploads to).
    """

    project_name: pulumi.Output[str]

    def __init__(self, name: str, args: PagesSiteArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        if args.access_policy_id is not None and (args.zone_account_id is None) != (
            args.zone_access_policy_id is None
        ):
            raise ValueError(
                f"PagesSite {name}: a gate across accounts needs zone_account_id and zone_access_policy_id"
            )
        super().__init__(PAGES_SITE_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        project = cloudflare.PagesProject(
            f"{name}-project",
            account_id=args.account_id,
            name=args.project_name,
            production_branch=args.production_branch,
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["deploymentConfigs"]),
        )
        production_host: pulumi.Output[str] = project.subdomain
        domain = cloudflare.PagesDomain(
            f"{name}-domain",
            account_id=args.account_id,
            project_name=project.name,
            name=args.domain,
            opts=child,
        )
        after_domain = pulumi.ResourceOptions(parent=self, depends_on=[domain])
        cloudflare.DnsRecord(
            f"{name}-dns",
            zone_id=args.zone_id,
            name=args.domain,
            type="CNAME",
            content=production_host,
            proxied=True,
            ttl=1,
            comment=f"Pages project {args.project_name}; managed by Pulumi",
            opts=after_domain,
        )

        if args.access_policy_id is not None:
            pages_dev_hosts: list[pulumi.Output[str]] = [
                production_host,
                production_host.apply(preview_hosts),
            ]
            domain_host = pulumi.Output.from_input(args.domain)

            def gate(
                role: str,
                account: pulumi.Input[str],
                title: str,
                hosts: list[pulumi.Output[str]],
                policy_id: pulumi.Input[str],
            ) -> None:
                cloudflare.ZeroTrustAccessApplication(
                    f"{name}-{role}",
                    account_id=account,
                    name=f"{args.project_name} ({title})",
                    type="self_hosted",
                    destinations=[{"type": "public", "uri": host} for host in hosts],
                    policies=[{"id": policy_id, "precedence": 1}],
                    session_duration="24h",
                    app_launcher_visible=True,
                    http_only_cookie_attribute=True,
                    same_site_cookie_attribute="lax",
                    opts=after_domain,
                )

            zone_account = args.account_id
            if args.zone_account_id is not None and args.zone_access_policy_id is not None:
                zone_account = args.zone_account_id
                gate("access", args.account_id, "pages.dev hostnames", pages_dev_hosts, args.access_policy_id)
                gate(
                    "domain-access",
                    args.zone_account_id,
                    "custom domain",
                    [domain_host],
                    args.zone_access_policy_id,
                )
            else:
                gate(
                    "access",
                    args.account_id,
                    "all hostnames",
                    [domain_host, *pages_dev_hosts],
                    args.access_policy_id,
                )
            cloudflare.ZeroTrustAccessApplication(
                f"{name}-acme-bypass",
                account_id=zone_account,
                name=f"{args.project_name} (certificate validation)",
                type="self_hosted",
                destinations=[{"type": "public", "uri": f"{args.domain}/.well-known/acme-challenge/*"}],
                policies=[
                    {
                        "name": "certificate validation",
                        "decision": "bypass",
                        "includes": [{"everyone": {}}],
                        "precedence": 1,
                    }
                ],
                app_launcher_visible=False,
                opts=after_domain,
            )

        self.project_name = project.name
        self.register_outputs({"project_name": self.project_name})
