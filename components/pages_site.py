"""A static site on Cloudflare Pages with its custom domain and, optionally, an Access gate."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_cloudflare as cloudflare

PAGES_SITE_TYPE = "estate:hosting:PagesSite"


def pages_dev_hosts(project_name: str) -> tuple[str, str]:
    """The hostnames Cloudflare gives every Pages project: production and previews."""
    return f"{project_name}.pages.dev", f"*.{project_name}.pages.dev"


@dataclass(frozen=True)
class PagesSiteArgs:
    """Inputs of :class:`PagesSite`.

    ``account_id`` / ``zone_id``: the Cloudflare account and the zone of
    ``domain``. ``project_name``: the Pages project (also its ``*.pages.dev``
    name). ``production_branch``: deployments of this branch are production.
    ``build_command`` / ``destination_dir`` / ``root_dir``: how the site is
    built. ``domain``: the custom hostname. ``access_policy_id``: a reusable
    Access policy; when given, the site is gated on every hostname that serves
    it (the custom domain, ``<project>.pages.dev`` and ``*.<project>.pages.dev``);
    when None the site is public.
    """

    account_id: pulumi.Input[str]
    zone_id: pulumi.Input[str]
    project_name: str
    production_branch: str
    build_command: str
    destination_dir: str
    domain: str
    access_policy_id: pulumi.Input[str] | None = None
    root_dir: str = ""


class PagesSite(pulumi.ComponentResource):
    """A Pages project, its custom domain with a proxied CNAME, and its Access gate.

    Deployments are uploaded by the repository's workflow (``wrangler pages
    deploy``), so the project's ``deployment_configs``, which deploys and the
    dashboard change out of band, are ignored (pulumi-cloudflare#925).

    A gated site gets one Access application covering all three hostnames
    (Cloudflare's own "enable access policy" covers only the previews) and a
    bypass for ``/.well-known/acme-challenge/*`` on the custom domain, so the
    certificate for it can still be validated. The domain is attached before
    the gate: adding a custom domain that Access already covers can fail.

    Outputs: ``project_name``, ``url``, ``pages_dev_host``, ``gated_hosts``
    (empty for a public site).
    """

    project_name: pulumi.Output[str]
    url: pulumi.Output[str]
    pages_dev_host: pulumi.Output[str]
    gated_hosts: pulumi.Output[list[str]]

    def __init__(self, name: str, args: PagesSiteArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(PAGES_SITE_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        production_host, preview_hosts = pages_dev_hosts(args.project_name)

        project = cloudflare.PagesProject(
            f"{name}-project",
            account_id=args.account_id,
            name=args.project_name,
            production_branch=args.production_branch,
            build_config={
                "build_command": args.build_command,
                "destination_dir": args.destination_dir,
                "root_dir": args.root_dir,
            },
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["deploymentConfigs"]),
        )
        domain = cloudflare.PagesDomain(
            f"{name}-domain",
            account_id=args.account_id,
            project_name=project.name,
            name=args.domain,
            opts=child,
        )
        cloudflare.DnsRecord(
            f"{name}-dns",
            zone_id=args.zone_id,
            name=args.domain,
            type="CNAME",
            content=production_host,
            proxied=True,
            ttl=1,
            comment=f"Pages project {args.project_name}; managed by Pulumi",
            opts=child,
        )

        gated_hosts: list[str] = []
        if args.access_policy_id is not None:
            gated_hosts = [args.domain, production_host, preview_hosts]
            after_domain = pulumi.ResourceOptions(parent=self, depends_on=[domain])
            cloudflare.ZeroTrustAccessApplication(
                f"{name}-access",
                account_id=args.account_id,
                name=f"{args.project_name} (all hostnames)",
                type="self_hosted",
                destinations=[{"type": "public", "uri": host} for host in gated_hosts],
                policies=[{"id": args.access_policy_id, "precedence": 1}],
                session_duration="24h",
                app_launcher_visible=True,
                http_only_cookie_attribute=True,
                same_site_cookie_attribute="lax",
                opts=after_domain,
            )
            cloudflare.ZeroTrustAccessApplication(
                f"{name}-acme-bypass",
                account_id=args.account_id,
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
        self.url = pulumi.Output.from_input(f"https://{args.domain}")
        self.pages_dev_host = pulumi.Output.from_input(production_host)
        self.gated_hosts = pulumi.Output.from_input(gated_hosts)
        self.register_outputs(
            {
                "project_name": self.project_name,
                "url": self.url,
                "pages_dev_host": self.pages_dev_host,
                "gated_hosts": self.gated_hosts,
            }
        )
