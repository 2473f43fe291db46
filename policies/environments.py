"""The estate's one environment-naming rule: which environment a stack serves, and which names are whose.

Outside production every account-wide name and hostname carries the environment
as a marker: ``oms-staging.gstarlink.com`` (one label, not ``oms.staging.…``:
Cloudflare's universal certificate covers only first-level subdomains),
``gstarlink-handbook-internal-staging``; production names carry no marker. The
program names things with :func:`name_for` (``stacks/settings.py``), the policies
judge them with :func:`name_belongs` and :func:`host_belongs`, and ``estate diff``
compares two stacks' names with :func:`without_marker`. It lives in the policy pack
because the pack ships on its own and may import nothing outside it.

A policy knows its stack from the resource URNs (``urn:pulumi:<stack>::…``),
the same in ``pulumi preview`` and offline. Stacks named in
``productionStacks`` (policy config; default ``prod`` and ``production``) serve
production; any other stack serves the environment of its name (``staging``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

PRODUCTION: Final = "production"
DEFAULT_PRODUCTION_STACKS: Final = ("prod", "production")
# Environments other than production that this estate runs; their label marks a name as theirs.
NON_PRODUCTION_ENVIRONMENTS: Final = ("staging",)
# Provider-owned CNAME targets shared by every environment.
NEUTRAL_HOSTS: Final = frozenset({"cname.vercel-dns.com"})


def is_production_stack(stack: str, production_stacks: Iterable[str] = DEFAULT_PRODUCTION_STACKS) -> bool:
    return stack in production_stacks


def environment_of(stack: str, config: Mapping[str, Any]) -> str:
    production_stacks: Iterable[str] = config.get("productionStacks") or DEFAULT_PRODUCTION_STACKS
    return PRODUCTION if is_production_stack(stack, production_stacks) else stack


def marker(environment: str) -> str:
    """``-staging``: what a name carries outside production (empty in production)."""
    return "" if environment == PRODUCTION else f"-{environment}"


def _carries(name: str, environment: str) -> bool:
    return name.lower().endswith(f"-{environment}")


def carries_marker(label: str, environment: str) -> bool:
    """Whether a name or one hostname label ends with the environment's marker."""
    return _carries(label, environment)


def name_belongs(name: str, environment: str) -> bool:
    """Whether an account-wide name (project, worker, Supabase project) belongs to ``environment``."""
    if environment == PRODUCTION:
        return not any(_carries(name, other) for other in NON_PRODUCTION_ENVIRONMENTS)
    return _carries(name, environment)


def host_belongs(host: str, environment: str) -> bool:
    """Whether a hostname belongs to ``environment``: one of its labels carries the environment."""
    host = host.lower().rstrip(".")
    if host in NEUTRAL_HOSTS:
        return True
    labels = [label for label in host.split(".") if label and label != "*"]
    if environment == PRODUCTION:
        return not any(_carries(label, other) for label in labels for other in NON_PRODUCTION_ENVIRONMENTS)
    return any(_carries(label, environment) for label in labels)


def production_name(name: str) -> str:
    """``oms-staging.gstarlink.com`` → ``oms.gstarlink.com``: what a fix should say instead, and back."""
    for other in NON_PRODUCTION_ENVIRONMENTS:
        name = name.replace(f"-{other}.", ".")
        if name.endswith(f"-{other}"):
            name = name[: -len(other) - 1]
    return name


def without_marker(text: str, environment: str) -> str:
    """``text`` with the environment's marker removed wherever a name or label ends with it.

    ``oms-vercel-dns-oms-staging.gstarlink.com`` → ``oms-vercel-dns-oms.gstarlink.com``:
    both stacks' names compare. Production names carry no marker and stay as they are.
    """
    if environment == PRODUCTION:
        return text
    return re.sub(rf"-{re.escape(environment)}(?=$|[^a-z0-9])", "", text)


def name_for(name: str, environment: str) -> str:
    """The name a resource carries in ``environment``: ``oms.gstarlink.com`` → ``oms-staging.gstarlink.com``."""
    base = production_name(name)
    if environment == PRODUCTION:
        return base
    wildcard = "*." if base.startswith("*.") else ""
    first, dot, rest = base.removeprefix(wildcard).partition(".")
    return f"{wildcard}{first}-{environment}{dot}{rest}"
