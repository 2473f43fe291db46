"""Which environment a stack serves, and which hostnames and names belong to it.

A policy knows its stack from the resource URNs (``urn:pulumi:<stack>::…``),
the same in ``pulumi preview`` and offline. Stacks named in
``productionStacks`` (policy config; default ``prod`` and ``production``) serve
production; any other stack serves the environment of its name (``staging``).
Outside production every account-wide name and hostname carries the
environment: ``oms-staging.gstarlink.com``, ``gstarlink-handbook-internal-staging``;
production names carry no such label.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

PRODUCTION: Final = "production"
DEFAULT_PRODUCTION_STACKS: Final = ("prod", "production")
# Environments other than production that this estate runs; their label marks a name as theirs.
NON_PRODUCTION_ENVIRONMENTS: Final = ("staging",)
# Provider-owned CNAME targets shared by every environment.
NEUTRAL_HOSTS: Final = frozenset({"cname.vercel-dns.com"})


def environment_of(stack: str, config: Mapping[str, Any]) -> str:
    production_stacks: Iterable[str] = config.get("productionStacks") or DEFAULT_PRODUCTION_STACKS
    return PRODUCTION if stack in production_stacks else stack


def _carries(name: str, environment: str) -> bool:
    return name.lower().endswith(f"-{environment}")


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


def name_for(name: str, environment: str) -> str:
    """The name a resource should carry in ``environment``."""
    base = production_name(name)
    if environment == PRODUCTION:
        return base
    wildcard = "*." if base.startswith("*.") else ""
    first, dot, rest = base.removeprefix(wildcard).partition(".")
    return f"{wildcard}{first}-{environment}{dot}{rest}"
