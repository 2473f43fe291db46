"""A reusable Cloudflare Access policy: who may open the estate's internal sites."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_cloudflare as cloudflare

ACCESS_POLICY_TYPE = "estate:access:AccessPolicy"


@dataclass(frozen=True)
class AccessPolicyArgs:
    """Inputs of :class:`AccessPolicy`.

    ``account_id``: the Cloudflare account. ``policy_name``: shown in the
    Zero Trust dashboard. ``emails`` / ``email_domains`` / ``group_ids``: who is
    allowed (any one matches); at least one must be non-empty, since an
    allow policy with no rule would admit no one and an empty rule list is
    rejected by the API. ``session_duration``: how long a login lasts.
    """

    account_id: pulumi.Input[str]
    policy_name: str
    emails: Sequence[str] = field(default_factory=tuple)
    email_domains: Sequence[str] = field(default_factory=tuple)
    group_ids: Sequence[str] = field(default_factory=tuple)
    session_duration: str = "24h"


class AccessPolicy(pulumi.ComponentResource):
    """An account-level (reusable) Access *allow* policy.

    Gated sites attach it by ``policy_id`` to their Access applications, so the
    allow list is declared once per account and stack.

    Outputs: ``policy_id``.
    """

    policy_id: pulumi.Output[str]

    def __init__(self, name: str, args: AccessPolicyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(ACCESS_POLICY_TYPE, name, None, opts)
        includes: list[cloudflare.ZeroTrustAccessPolicyIncludeArgsDict] = [
            *({"email": {"email": email}} for email in args.emails),
            *({"email_domain": {"domain": domain}} for domain in args.email_domains),
            *({"group": {"id": group_id}} for group_id in args.group_ids),
        ]
        if not includes:
            raise ValueError(f"AccessPolicy {name}: give at least one email, email domain or group")

        policy = cloudflare.ZeroTrustAccessPolicy(
            f"{name}-policy",
            account_id=args.account_id,
            name=args.policy_name,
            decision="allow",
            includes=includes,
            session_duration=args.session_duration,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.policy_id = policy.id
        self.register_outputs({"policy_id": self.policy_id})
