"""The labels a repository's pull-request checks read."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_github as github

PULL_REQUEST_LABELS_TYPE = "estate:delivery:PullRequestLabels"
_COLOR = re.compile(r"^[0-9a-f]{6}$")


@dataclass(frozen=True)
class PullRequestLabelsArgs:
    """Inputs of :class:`PullRequestLabels`.

    ``repository``: the repository's name (its owner is the GitHub provider's).
    ``labels``: label name → (colour as six lowercase hex digits without ``#``,
    description). GitHub keys labels by name and refuses to create one that
    exists (422): a label made by hand is adopted first (import ID
    ``<repository>:<name>``; docs/pipeline.md says how).
    """

    repository: str
    labels: Mapping[str, tuple[str, str]] = field(default_factory=dict)


class PullRequestLabels(pulumi.ComponentResource):
    """One ``github.IssueLabel`` per label. Labels are repository-wide: declare them in one stack only.

    Outputs: none; nothing in the estate reads them.
    """

    def __init__(
        self, name: str, args: PullRequestLabelsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        bad = sorted(
            label for label, (color, _) in args.labels.items() if not _COLOR.match(color) or len(label) > 50
        )
        if bad:
            raise ValueError(
                f"PullRequestLabels {name}: labels need a 6-hex-digit colour and at most 50 characters: {bad}"
            )
        super().__init__(PULL_REQUEST_LABELS_TYPE, name, None, opts)
        for label, (color, description) in sorted(args.labels.items()):
            slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
            github.IssueLabel(
                f"{name}-{slug}",
                repository=args.repository,
                name=label,
                color=color,
                description=description,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({})
