"""A Cloudflare Worker whose code ships from its own repository with ``wrangler deploy``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_cloudflare as cloudflare

from components.cloudflare_deploy_token import CloudflareDeployToken, CloudflareDeployTokenArgs

WORKER_TYPE = "estate:hosting:Worker"

# Permission groups wrangler needs to upload a script and its secrets.
WRANGLER_PERMISSION_GROUPS = ("Workers Scripts Write",)

# What the Worker runs until its repository's first `wrangler deploy`: a custom
# domain needs a Worker to invoke, and the token that deploy uses is created in
# the same `pulumi up`. It answers 503, so health checks report "not deployed yet".
PLACEHOLDER_MODULE_NAME = "placeholder.js"
PLACEHOLDER_SOURCE = """export default {
  async fetch() {
    return new Response("Not deployed yet: this Worker's code ships with its repository's deploy workflow.", {
      status: 503,
      headers: { "content-type": "text/plain; charset=utf-8", "retry-after": "300" },
    });
  },
};
"""
PLACEHOLDER_COMPATIBILITY_DATE = "2025-09-01"
# Everything `wrangler deploy` writes. The provider reads the deployed code back
# on refresh (workers_script Read fetches the script content), so without this
# every `up` after a deploy would put the placeholder back.
WRANGLER_OWNED = [
    "content",
    "mainModule",
    "bodyPart",
    "contentType",
    "compatibilityDate",
    "compatibilityFlags",
    "bindings",
    "keepBindings",
    "migrations",
    "assets",
    "keepAssets",
    "observability",
    "placement",
    "limits",
    "logpush",
    "tailConsumers",
    "usageModel",
    "annotations",
]


@dataclass(frozen=True)
class WorkerArgs:
    """Inputs of :class:`Worker`.

    ``account_id`` / ``zone_id``: the Cloudflare account of the Worker and the
    zone of ``hostname`` or ``route_pattern``. ``script_name``: the Worker's name as wrangler deploys
    it (``name`` in ``wrangler.toml``, with ``-<env>`` for ``--env``).
    ``hostname``: served through a Workers custom domain, which creates and
    owns its DNS record (the zone must be in ``account_id``). ``route_pattern``:
    instead of a custom domain, a route such as ``example.com/chat/*`` on an
    existing proxied host (same account rule). ``workers_dev_subdomain``:
    instead of both, served on ``<script>.<this>.workers.dev``, the account's
    workers.dev subdomain: for a Worker whose account holds no zone (staging's
    own account).
    ``wrangler_environment``: the ``--env`` wrangler deploys with ("production"
    deploys with no ``--env``). ``secrets``: runtime secrets of the Worker
    (names to values), which the deploy workflow puts with ``wrangler secret
    bulk``; the workflow must name each one (tests hold the delivered workflows
    to this). ``deploy_token_expires_on``: when the deploy token expires
    (RFC 3339); a new value rotates it (see ``CloudflareDeployToken``).
    """

    account_id: pulumi.Input[str]
    script_name: str
    wrangler_environment: str
    zone_id: pulumi.Input[str] | None = None
    hostname: str | None = None
    route_pattern: str | None = None
    workers_dev_subdomain: str | None = None
    secrets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    deploy_token_expires_on: pulumi.Input[str] | None = None


class Worker(pulumi.ComponentResource):
    """Everything about a Worker except its code.

    How it stays out of wrangler's way: the stack creates the script once with
    a placeholder (a 503 "not deployed yet" module), so the custom domain or
    route has a Worker to invoke on the very first ``up`` of a fresh
    environment, before the deploy workflow has the token this ``up`` creates.
    Every property ``wrangler deploy`` writes (code, bindings, compatibility
    settings...) is in ``ignore_changes``, so ``wrangler deploy`` stays the only
    writer of the code and later ``up``s never put the placeholder back.

    The stack owns what wrangler does not: the custom domain (or route), the
    deploy credential (a token limited to Workers scripts on this account) and
    the runtime secrets. The secrets are handed to the repository's deploy
    workflow (output ``deploy_secrets``, set as GitHub environment secrets by
    the stack); its ``wrangler secret bulk`` step puts them on the Worker after
    each ``wrangler deploy``, so every deploy carries the values the stack
    declares. Plain-text variables belong in the repository's
    ``wrangler.toml`` (``[vars]``), which wrangler deploys with the code.

    Outputs: ``deploy_secrets`` (name → secret output:
    ``CLOUDFLARE_API_TOKEN``, ``CLOUDFLARE_ACCOUNT_ID`` and the runtime
    secrets), ``deploy_variables`` (``WRANGLER_ENV``, which the workflow checks
    before it deploys).
    """

    deploy_secrets: dict[str, pulumi.Output[str]]
    deploy_variables: dict[str, pulumi.Input[str]]

    def __init__(self, name: str, args: WorkerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(WORKER_TYPE, name, None, opts)
        if [args.hostname, args.route_pattern, args.workers_dev_subdomain].count(None) != 2:
            raise ValueError(
                f"Worker {name}: give exactly one of hostname, route_pattern or workers_dev_subdomain"
            )
        if args.workers_dev_subdomain is None and args.zone_id is None:
            raise ValueError(f"Worker {name}: a custom domain or route needs zone_id")
        reserved = {"CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ACCOUNT_ID", "WRANGLER_ENV"}
        clashes = sorted(reserved & set(args.secrets))
        if clashes:
            raise ValueError(f"Worker {name}: {clashes} are reserved for the deploy workflow")
        child = pulumi.ResourceOptions(parent=self)

        script = cloudflare.WorkersScript(
            f"{name}-script",
            account_id=args.account_id,
            script_name=args.script_name,
            content=PLACEHOLDER_SOURCE,
            main_module=PLACEHOLDER_MODULE_NAME,
            compatibility_date=PLACEHOLDER_COMPATIBILITY_DATE,
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=WRANGLER_OWNED),
        )
        if args.hostname is not None:
            cloudflare.WorkersCustomDomain(
                f"{name}-domain",
                account_id=args.account_id,
                zone_id=args.zone_id,
                hostname=args.hostname,
                service=script.script_name,
                opts=child,
            )
        elif args.workers_dev_subdomain is not None:
            cloudflare.WorkersScriptSubdomain(
                f"{name}-workers-dev",
                account_id=args.account_id,
                script_name=script.script_name,
                enabled=True,
                previews_enabled=False,
                opts=child,
            )
        else:
            assert args.route_pattern is not None
            cloudflare.WorkersRoute(
                f"{name}-route",
                zone_id=args.zone_id,
                pattern=args.route_pattern,
                script=script.script_name,
                opts=child,
            )

        deploy_token = CloudflareDeployToken(
            f"{name}-deploy",
            CloudflareDeployTokenArgs(
                account_id=args.account_id,
                token_name=f"wrangler deploy: {args.script_name}",
                permission_group_names=WRANGLER_PERMISSION_GROUPS,
                expires_on=args.deploy_token_expires_on,
            ),
            opts=child,
        )

        # Plain maps of outputs: the names must be known now, one Actions secret each.
        self.deploy_secrets = {
            "CLOUDFLARE_API_TOKEN": deploy_token.token,
            "CLOUDFLARE_ACCOUNT_ID": pulumi.Output.secret(args.account_id),
            **{key: pulumi.Output.secret(value) for key, value in args.secrets.items()},
        }
        self.deploy_variables = {"WRANGLER_ENV": args.wrangler_environment}
        self.register_outputs(
            {
                "deploy_secrets": self.deploy_secrets,
                "deploy_variables": self.deploy_variables,
            }
        )
