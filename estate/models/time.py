"""pulumiverse-time 0.1.1, which bridges hashicorp/terraform-provider-time v0.12.1 (``TF`` below)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from estate.models import COMPUTED, ID, Rule
from policies.resource_types import TIME_ROTATING as ROTATING

TF = "hashicorp/terraform-provider-time v0.12.1 internal/provider/resource_time_rotating.go"


# The provider's clock when a plan runs: fixed, so plans are reproducible (the rotation tests move it).
PLAN_CLOCK = datetime(2026, 1, 1, tzinfo=UTC)
RFC3339 = "%Y-%m-%dT%H:%M:%SZ"


def _parse(timestamp: str) -> datetime:
    return datetime.strptime(timestamp, RFC3339).replace(tzinfo=UTC)


def _base(_current: Any, state: Mapping[str, Any]) -> str:
    configured = state.get("rfc3339")
    return str(configured) if configured else PLAN_CLOCK.strftime(RFC3339)


def _rotation(_current: Any, state: Mapping[str, Any]) -> str:
    base = _parse(str(state["rfc3339"]))
    rotation = base
    if state.get("rotationDays"):
        rotation = base + timedelta(days=int(state["rotationDays"]))
    if state.get("rotationHours"):
        rotation = base + timedelta(hours=int(state["rotationHours"]))
    if state.get("rotationMinutes"):
        rotation = base + timedelta(minutes=int(state["rotationMinutes"]))
    if state.get("rotationMonths"):
        month = base.month - 1 + int(state["rotationMonths"])
        rotation = base.replace(year=base.year + month // 12, month=month % 12 + 1)
    if state.get("rotationYears"):
        rotation = base.replace(year=base.year + int(state["rotationYears"]))
    if state.get("rotationRfc3339"):
        rotation = _parse(str(state["rotationRfc3339"]))
    return rotation.strftime(RFC3339)


def _part(name: str) -> Any:
    def value(_current: Any, state: Mapping[str, Any]) -> int:
        rotation = _parse(str(state["rotationRfc3339"]))
        return int(rotation.timestamp()) if name == "unix" else int(getattr(rotation, name))

    return value


TABLE: tuple[Rule, ...] = (
    Rule(
        ROTATING,
        COMPUTED,
        "rfc3339",
        _base,
        f"{TF} (Create: the configured rfc3339, else the provider's clock)",
    ),
    Rule(
        ROTATING,
        COMPUTED,
        "rotationRfc3339",
        _rotation,
        f"{TF} (setRotationValues: base plus rotation_years/months/days/hours/minutes, or rotation_rfc3339)",
    ),
    *(
        Rule(
            ROTATING,
            COMPUTED,
            part,
            _part(part),
            f"{TF} (setRotationValues: {part} of the ROTATION timestamp)",
        )
        for part in ("year", "month", "day", "hour", "minute", "second", "unix")
    ),
    Rule(
        ROTATING,
        ID,
        "",
        lambda _current, state: str(state["rfc3339"]),
        f"{TF} (setRotationValues: ID = the base)",
    ),
)
