"""Every provider's table, gathered: the models the mocks, the checks and the tests read.

A new provider's table is a module next to this one (rows of
:class:`estate.models.Rule`), listed in :func:`_tables`.
"""

from __future__ import annotations

from estate.models import Rule, TypeModel, build


def _tables() -> tuple[tuple[Rule, ...], ...]:
    from estate.models import cloudflare, github, keyring, pulumi, random, sentry, supabase, time, vercel

    return (
        cloudflare.TABLE,
        github.TABLE,
        vercel.TABLE,
        supabase.TABLE,
        random.TABLE,
        sentry.TABLE,
        time.TABLE,
        keyring.TABLE,
        pulumi.TABLE,
    )


_MODELS: dict[str, TypeModel] | None = None


def models() -> dict[str, TypeModel]:
    """Every provider's model, by type token (built once)."""
    global _MODELS
    if _MODELS is None:
        _MODELS = build(_tables())
    return _MODELS


def all_rules() -> list[Rule]:
    return [rule for table in _tables() for rule in table]
