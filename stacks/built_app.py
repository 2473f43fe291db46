"""The typed handles of one built app, which the program's parts hand each other."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from components.pages_site import PagesSite
from components.repository_governance import RepositoryGovernance
from components.supabase_database import SupabaseDatabase
from components.vercel_app import VercelApp
from components.worker import Worker
from stacks.catalog import App


@dataclass(frozen=True)
class BuiltApp:
    """One app as the rest of the program sees it: its components, by kind.

    ``repository``: ``owner/name``. ``url``: the primary URL in this stack.
    ``governance``: how the repository reaches this environment. Exactly one
    of ``vercel``, ``pages`` (catalog project name → site) or ``worker`` is
    set, after the app's hosting; ``database`` when the app has one.
    """

    app: App
    repository: str
    url: str
    governance: RepositoryGovernance
    database: SupabaseDatabase | None = None
    vercel: VercelApp | None = None
    pages: Mapping[str, PagesSite] = field(default_factory=dict)
    worker: Worker | None = None
