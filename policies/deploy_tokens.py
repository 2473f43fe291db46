"""Each deploy token holds exactly the permission groups its workflow needs.

A repository's deploy workflow gets one Cloudflare token: ``wrangler pages
deploy`` needs only *Pages Write*, ``wrangler deploy`` only *Workers Scripts
Write*. Permission groups reach the engine as IDs, resolved by name when the
program runs (the IDs are Cloudflare's, not the estate's), so the rule compares
tokens with each other: every deploy token (named ``pages deploy: …`` or
``wrangler deploy: …``) allows exactly the configured number of groups (one), on
its own account only, without ``deny`` tricks; tokens of one kind hold the same
groups; and no group of one kind appears in a token of another kind: a Pages
token that can also write Workers fails twice.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from typing import Any, Final

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from policies.engine_view import items, text, violation
from policies.resource_types import ACCOUNT_TOKEN, API_TOKEN

# Token name prefix → how many permission groups that workflow needs.
DEPLOY_TOKEN_KINDS: Final[Mapping[str, int]] = {"pages deploy": 1, "wrangler deploy": 1}


def _kind(name: str) -> str | None:
    return next((kind for kind in DEPLOY_TOKEN_KINDS if name.lower().startswith(kind)), None)


def _groups(resource: PolicyResource) -> tuple[set[str], list[str]]:
    """(allowed permission group IDs, problems with the policies' shape)."""
    groups: set[str] = set()
    problems: list[str] = []
    account = text(resource.props, "accountId")
    for policy in items(resource.props, "policies"):
        effect = text(policy, "effect")
        if effect != "allow":
            problems.append(f"a {effect or 'missing'} effect (deploy tokens only allow)")
            continue
        groups |= {gid for group in items(policy, "permissionGroups") if (gid := text(group, "id"))}
        raw = text(policy, "resources")
        try:
            scopes: Any = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            scopes = {}
        own = f"com.cloudflare.api.account.{account}" if account else None
        for scope in scopes if isinstance(scopes, dict) else {}:
            if scope != own:
                problems.append(f"scope {scope!r} beyond its own account")
    return groups, problems


def validate_deploy_tokens_least_privilege(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    tokens = [r for r in args.resources if r.resource_type in (ACCOUNT_TOKEN, API_TOKEN)]
    by_kind: dict[str, list[tuple[PolicyResource, set[str]]]] = defaultdict(list)
    for token in tokens:
        kind = _kind(text(token.props, "name") or "")
        if kind is None:
            continue
        groups, problems = _groups(token)
        needed = DEPLOY_TOKEN_KINDS[kind]
        for problem in problems:
            report_violation(
                violation(
                    f"{kind} token has {problem}",
                    "allow its permission groups on com.cloudflare.api.account.<its account> only",
                ),
                token.urn,
            )
        if len(groups) != needed:
            report_violation(
                violation(
                    f"{kind} token holds {len(groups)} permission group(s); its workflow needs exactly {needed}",
                    "grant only the group its workflow uses (Pages Write for `wrangler pages deploy`, Workers Scripts "
                    "Write for `wrangler deploy`)",
                ),
                token.urn,
            )
        by_kind[kind].append((token, groups))
    kinds = sorted(by_kind)
    for kind in kinds:
        usual = [groups for _, groups in by_kind[kind]]
        for token, groups in by_kind[kind]:
            if any(groups != other for other in usual):
                report_violation(
                    violation(
                        f"{kind} tokens differ in their permission groups",
                        "give every token of one workflow the same groups",
                    ),
                    token.urn,
                )
            for other in kinds:
                if other == kind:
                    continue
                foreign = groups & set().union(*(g for _, g in by_kind[other]))
                if foreign:
                    report_violation(
                        violation(
                            f"{kind} token holds {len(foreign)} permission group(s) of the {other} tokens: it can do "
                            f"what the {other} workflow does",
                            f"remove the {other} permission groups",
                        ),
                        token.urn,
                    )
