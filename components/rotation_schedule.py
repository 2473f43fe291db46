"""When the credentials the stack creates are replaced, and until when each generation stays valid."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pulumi
import pulumiverse_time as time

ROTATION_SCHEDULE_TYPE = "estate:access:RotationSchedule"
RFC3339 = "%Y-%m-%dT%H:%M:%SZ"


def add_days(timestamp: str, days: int) -> str:
    """``timestamp`` (RFC 3339, UTC, as the time provider writes it) plus ``days``, in the same format."""
    moment = datetime.strptime(timestamp, RFC3339).replace(tzinfo=UTC)
    return (moment + timedelta(days=days)).strftime(RFC3339)


@dataclass(frozen=True)
class RotationScheduleArgs:
    """Inputs of :class:`RotationSchedule`.

    ``period_days``: how long one generation of credentials is handed out.
    ``grace_days``: how long a generation keeps working after it is due, so
    that a deploy job that read it just before the rotation finishes, and so
    that a rotation that falls due between two applies does not break deploys.
    """

    period_days: int
    grace_days: int


class RotationSchedule(pulumi.ComponentResource):
    """A ``time.Rotating`` (pulumiverse-time) that rolls over every ``period_days``.

    The time provider checks the rotation when it reads the resource: once the
    rotation time has passed, a refresh (``pulumi up --refresh``, as the apply
    workflows run it) drops it from the state and the same ``up`` creates the
    next generation; everything keyed on ``generation`` is replaced in that
    update, before anything it replaces is removed.

    Outputs: ``generation`` (the generation's start, RFC 3339; changes only at a
    rotation) and ``expires_on`` (when the next generation is due plus
    ``grace_days``: credentials of this generation stop working then).
    """

    generation: pulumi.Output[str]
    expires_on: pulumi.Output[str]

    def __init__(
        self, name: str, args: RotationScheduleArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        if args.period_days < 1:
            raise ValueError(
                f"RotationSchedule {name}: period_days must be at least 1, got {args.period_days}"
            )
        if args.grace_days < 1:
            raise ValueError(f"RotationSchedule {name}: grace_days must be at least 1, got {args.grace_days}")
        super().__init__(ROTATION_SCHEDULE_TYPE, name, None, opts)
        rotating = time.Rotating(
            f"{name}-rotating", rotation_days=args.period_days, opts=pulumi.ResourceOptions(parent=self)
        )
        grace = args.grace_days
        self.generation = rotating.rfc3339
        self.expires_on = rotating.rotation_rfc3339.apply(lambda due: add_days(due, grace))
        self.register_outputs({"generation": self.generation, "expires_on": self.expires_on})
