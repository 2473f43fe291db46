"""The alert relay: a Worker from this repository that turns provider webhooks into Slack messages."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_cloudflare as cloudflare
import pulumi_random as random

from providers.keyring import Keyring, KeyringArgs

ALERT_RELAY_TYPE = "estate:alerting:AlertRelay"

# The Worker's code, tested by alerting/relay/test with `node --test`.
RELAY_SOURCE = Path(__file__).resolve().parent.parent / "alerting" / "relay" / "src" / "relay.js"
RELAY_MODULE_NAME = "relay.js"
# Pinned: a runtime change reaches the relay only through a reviewed commit.
COMPATIBILITY_DATE = "2025-09-01"


def relay_hostname(script_name: str, workers_dev_subdomain: str) -> str:
    """Where a Worker answers on workers.dev: ``<script>.<account subdomain>.workers.dev``."""
    return f"{script_name}.{workers_dev_subdomain}.workers.dev"


def relay_endpoint(hostname: str, route: str) -> str:
    """The URL of one of the relay's routes (``cloudflare``, ``vercel``), known before it exists."""
    return f"https://{hostname}/{route}"


@dataclass(frozen=True)
class AlertRelayArgs:
    """Inputs of :class:`AlertRelay`.

    ``account_id``: the Cloudflare account running the Worker. ``script_name``:
    the Worker's name. ``workers_dev_subdomain``: the account's workers.dev
    subdomain; the relay answers on ``relay_hostname(...)``, not on a host of
    the estate's zones. ``environment``: the label on every message, e.g.
    ``production``. ``slack_webhook_url``: the channel's incoming webhook
    (secret). ``generation``: the rotation schedule's current generation
    (RFC 3339; ``RotationSchedule.generation``): the relay's own secrets are
    generated anew when it changes. ``grace_days``: how long a replaced secret
    stays accepted. ``vercel_webhook_keyrings``: the keyrings (``Keyring.entries``,
    secret) of the Vercel webhooks posting to ``/vercel``. ``projects``: the
    Pages and Vercel project names of this stack; account-wide events about
    other projects are dropped (the other stack's relay posts them).
    """

    account_id: pulumi.Input[str]
    script_name: str
    workers_dev_subdomain: str
    environment: str
    slack_webhook_url: pulumi.Input[str]
    generation: pulumi.Input[str]
    grace_days: int
    vercel_webhook_keyrings: Sequence[pulumi.Input[str]] = field(default_factory=tuple)
    projects: Sequence[str] = field(default_factory=tuple)


def merged_keyrings(keyrings: Sequence[str]) -> str:
    """One keyring binding of several (``Keyring.entries`` JSON lists), entries in order."""
    merged: list[object] = []
    for keyring in keyrings:
        merged += json.loads(keyring)
    return json.dumps(merged, separators=(",", ":"))


class AlertRelay(pulumi.ComponentResource):
    """The relay Worker, its secrets and its workers.dev address.

    The stack uploads the code (``alerting/relay/src/relay.js``) itself with a
    ``WorkersScript``, so the relay changes only through this repository. It
    generates the shared secrets its senders must present: the
    ``cf-webhook-auth`` value of Cloudflare's notification webhooks and the path
    token of Sentry's webhooks plugin. Secrets reach the Worker as
    ``secret_text`` bindings; nothing secret is in its code or plain bindings.

    Rotation with overlap: both secrets are ``random`` values keyed on
    ``generation``, so a due rotation generates new ones; each goes through a
    ``Keyring`` (providers/keyring), which keeps the value it replaces, and the
    Worker accepts the current value and the previous one until ``grace_days``
    after the rotation (its bindings are keyrings; the relay enforces their
    ``notAfter``). The senders' values (``cloudflare_webhook_secret``,
    ``sentry_endpoint``) are read through the script, so every sender is
    updated after the Worker already accepts its new value, in the same ``up``.

    Outputs: ``cloudflare_endpoint``,
    ``cloudflare_webhook_secret`` (secret), ``sentry_endpoint`` (secret: the
    path holds the token). Handle: ``live``, the resources that make the relay
    answer on its endpoints (the script and its workers.dev route), for senders
    that test their endpoint when they are created to depend on.
    """

    cloudflare_endpoint: pulumi.Output[str]
    cloudflare_webhook_secret: pulumi.Output[str]
    sentry_endpoint: pulumi.Output[str]
    live: list[pulumi.Resource]

    def __init__(self, name: str, args: AlertRelayArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        projects = sorted(set(args.projects))
        hostname = relay_hostname(args.script_name, args.workers_dev_subdomain)
        super().__init__(ALERT_RELAY_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        # Letters and digits only: both travel in a header and a URL path unescaped.
        # A new generation of the schedule is a new value (keepers replace the resource).
        keepers = {"generation": args.generation}
        cloudflare_secret = random.RandomPassword(
            f"{name}-cloudflare-secret", length=48, special=False, keepers=keepers, opts=child
        )
        sentry_token = random.RandomPassword(
            f"{name}-sentry-token", length=48, special=False, keepers=keepers, opts=child
        )
        cloudflare_keyring = Keyring(
            f"{name}-cloudflare-keyring",
            KeyringArgs(current=cloudflare_secret.result, since=args.generation, grace_days=args.grace_days),
            opts=child,
        )
        sentry_keyring = Keyring(
            f"{name}-sentry-keyring",
            KeyringArgs(current=sentry_token.result, since=args.generation, grace_days=args.grace_days),
            opts=child,
        )

        vercel_secrets = pulumi.Output.secret(
            pulumi.Output.all(*args.vercel_webhook_keyrings).apply(
                lambda keyrings: merged_keyrings(list(keyrings))
            )
        )
        script = cloudflare.WorkersScript(
            f"{name}-script",
            account_id=args.account_id,
            script_name=args.script_name,
            content=RELAY_SOURCE.read_text(),
            main_module=RELAY_MODULE_NAME,
            compatibility_date=COMPATIBILITY_DATE,
            bindings=[
                {
                    "name": "SLACK_WEBHOOK_URL",
                    "type": "secret_text",
                    "text": pulumi.Output.secret(args.slack_webhook_url),
                },
                {
                    "name": "CLOUDFLARE_WEBHOOK_SECRETS",
                    "type": "secret_text",
                    "text": pulumi.Output.secret(cloudflare_keyring.entries),
                },
                {
                    "name": "SENTRY_WEBHOOK_TOKENS",
                    "type": "secret_text",
                    "text": pulumi.Output.secret(sentry_keyring.entries),
                },
                {"name": "VERCEL_WEBHOOK_SECRETS", "type": "secret_text", "text": vercel_secrets},
                {"name": "ENVIRONMENT", "type": "plain_text", "text": args.environment},
                {"name": "PROJECTS", "type": "plain_text", "text": json.dumps(projects)},
            ],
            # Workers Logs: the relay logs no payloads and no secrets, only failures.
            observability={"enabled": True},
            opts=child,
        )
        # workers.dev rather than a custom domain: the zones serve the apps' hosts only.
        workers_dev = cloudflare.WorkersScriptSubdomain(
            f"{name}-workers-dev",
            account_id=args.account_id,
            script_name=script.script_name,
            enabled=True,
            previews_enabled=False,
            opts=child,
        )

        self.live = [script, workers_dev]
        self.cloudflare_endpoint = pulumi.Output.from_input(relay_endpoint(hostname, "cloudflare"))
        # Through the script: whatever sends with these is updated after the Worker accepts them.
        self.cloudflare_webhook_secret = pulumi.Output.secret(
            pulumi.Output.all(script.id, cloudflare_keyring.current).apply(lambda values: str(values[1]))
        )
        self.sentry_endpoint = pulumi.Output.secret(
            pulumi.Output.all(script.id, sentry_keyring.current).apply(
                lambda values: relay_endpoint(hostname, f"sentry/{values[1]}")
            )
        )
        self.register_outputs(
            {
                "cloudflare_endpoint": self.cloudflare_endpoint,
                "cloudflare_webhook_secret": self.cloudflare_webhook_secret,
                "sentry_endpoint": self.sentry_endpoint,
            }
        )
