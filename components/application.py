"""One application of the estate: the parent of everything that serves it."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

APPLICATION_TYPE = "estate:app:Application"


@dataclass(frozen=True)
class ApplicationArgs:
    """Inputs of :class:`Application`.

    ``title``: a human name. ``repository``: ``owner/name`` of its code.
    ``environment``: the environment this stack serves.
    """

    title: str
    repository: str
    environment: str


class Application(pulumi.ComponentResource):
    """Groups one app's hosting, data and delivery resources under one node.

    It declares nothing itself: its children (hosting, database, repository
    governance) are given ``parent=<this>`` by whoever builds the app, so the
    plan, the graph and the Pulumi console show the estate app by app.

    Outputs: ``title``, ``repository``, ``environment``.
    """

    title: pulumi.Output[str]
    repository: pulumi.Output[str]
    environment: pulumi.Output[str]

    def __init__(self, name: str, args: ApplicationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(APPLICATION_TYPE, name, None, opts)
        self.title = pulumi.Output.from_input(args.title)
        self.repository = pulumi.Output.from_input(args.repository)
        self.environment = pulumi.Output.from_input(args.environment)
        self.register_outputs(
            {"title": self.title, "repository": self.repository, "environment": self.environment}
        )
