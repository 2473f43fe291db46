"""A scoped Cloudflare account API token for a repository's deploy workflow."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_cloudflare as cloudflare

CLOUDFLARE_DEPLOY_TOKEN_TYPE = "estate:access:CloudflareDeployToken"


def account_resources(account_id: str) -> str:
    """A token policy's ``resources``: the whole of one account, as the provider stores it.

    The provider keeps the API's raw JSON, which is compact (account_token's
    ``UnmarshalCustom`` at terraform-provider-cloudflare v5.19.1); sending it
    with spaces would plan an update on every ``up``.
    """
    return json.dumps({f"com.cloudflare.api.account.{account_id}": "*"}, separators=(",", ":"))


@dataclass(frozen=True)
class CloudflareDeployTokenArgs:
    """Inputs of :class:`CloudflareDeployToken`.

    ``account_id``: the account the token may act on, and nothing else.
    ``token_name``: shown in the dashboard. ``permission_group_names``: the
    Cloudflare permission groups granted, e.g. ``"Pages Write"`` or
    ``"Workers Scripts Write"``; looked up by name so no opaque IDs live in code.
    ``expires_on``: when the token stops working (RFC 3339, e.g. a
    ``RotationSchedule``'s ``expires_on``); a new value replaces the token.
    """

    account_id: pulumi.Input[str]
    token_name: str
    permission_group_names: Sequence[str]
    expires_on: pulumi.Input[str] | None = None


class CloudflareDeployToken(pulumi.ComponentResource):
    """An account-owned API token limited to the given permission groups on one account.

    Owned by the stack, so rotating it is ``pulumi up --replace`` on the token;
    the new value reaches the repository's Actions secret in the same update.
    With ``expires_on``, each new expiry replaces the token (``replace_on_changes``):
    Pulumi creates the new one first, updates every consumer, and retains the
    old one (``retain_on_delete``) instead of deleting it, so a deploy job that
    read it just before keeps working until Cloudflare expires it.

    Outputs: ``token`` (secret).
    """

    token: pulumi.Output[str]

    def __init__(
        self, name: str, args: CloudflareDeployTokenArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(CLOUDFLARE_DEPLOY_TOKEN_TYPE, name, None, opts)
        groups = cloudflare.get_account_api_token_permission_groups_list_output(
            account_id=args.account_id, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        wanted = tuple(args.permission_group_names)

        def permission_groups(
            result: cloudflare.GetAccountApiTokenPermissionGroupsListResult,
        ) -> list[cloudflare.AccountTokenPolicyPermissionGroupArgsDict]:
            by_name: dict[str, str] = {str(group.name): str(group.id) for group in result.results}
            missing = [group for group in wanted if group not in by_name]
            if missing:
                raise ValueError(f"CloudflareDeployToken {name}: unknown permission groups {missing}")
            return [{"id": by_name[group]} for group in wanted]

        token = cloudflare.AccountToken(
            f"{name}-token",
            account_id=args.account_id,
            name=args.token_name,
            policies=[
                {
                    "effect": "allow",
                    "permission_groups": groups.apply(permission_groups),
                    "resources": pulumi.Output.from_input(args.account_id).apply(account_resources),
                }
            ],
            expires_on=args.expires_on,
            opts=pulumi.ResourceOptions(
                parent=self,
                additional_secret_outputs=["value"],
                replace_on_changes=["expiresOn"] if args.expires_on is not None else None,
                retain_on_delete=args.expires_on is not None,
            ),
        )
        self.token = pulumi.Output.secret(token.value)
        self.register_outputs({"token": self.token})
