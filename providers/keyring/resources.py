"""`Keyring`: the current and the previous value of a rotated secret, for a receiver that must accept both.

Pulumi forgets a value it replaces: a `random.RandomPassword` keyed on the rotation schedule, or
a Vercel webhook replaced on it (Vercel chooses the webhook's secret), leaves the program only the
new value. A receiver (the alert relay) updated in the same `up` as its senders would then refuse
every sender not updated yet, and the senders an `up` cannot update at all (a Vercel webhook
about to be deleted, a delivery already in flight). The keyring remembers: when ``current``
changes, the value it held becomes ``previous``, accepted until ``since`` (the new generation's
start) plus ``grace_days``. The receiver reads ``entries`` and enforces ``notAfter`` with its own
clock, so the old value stops working then without another `up`.

Nothing lives outside the Pulumi state: create and update compute, read returns the state,
delete does nothing. A change of any input is an update in place (never a replacement, which
would forget the previous value). Two rotations within one grace keep only the latest previous
value.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)
from typing_extensions import override

from providers.supabase_management.wire import as_secret, is_unknown, reveal, whole_number

RFC3339 = "%Y-%m-%dT%H:%M:%SZ"
INPUT_KEYS = ("current", "since", "grace_days")
SECRET_KEYS = ("current", "previous", "entries")


def keyring_entries(current: str, previous: str = "", previous_not_after: str = "") -> str:
    """The JSON a receiver reads: ``[{"secret", "notAfter"}]``, the current value first (``notAfter`` null)."""
    entries: list[dict[str, str | None]] = [{"secret": current, "notAfter": None}]
    if previous and previous != current:
        entries.append({"secret": previous, "notAfter": previous_not_after or None})
    return json.dumps(entries, separators=(",", ":"))


def _not_after(since: str, grace_days: int) -> str:
    start = datetime.strptime(since, RFC3339).replace(tzinfo=UTC)
    return (start + timedelta(days=grace_days)).strftime(RFC3339)


def _check(news: dict[str, Any]) -> list[CheckFailure]:  # pyright: ignore[reportExplicitAny]
    failures: list[CheckFailure] = []
    current = news.get("current")
    if not is_unknown(current) and not (isinstance(reveal(current), str) and reveal(current)):
        failures.append(CheckFailure("current", "current must be a non-empty string (the secret in use)"))
    since = news.get("since")
    if not is_unknown(since):
        try:
            _ = datetime.strptime(str(since), RFC3339)
        except ValueError:
            failures.append(
                CheckFailure(
                    "since", f"since must be an RFC 3339 UTC time like 2026-01-01T00:00:00Z, got {since!r}"
                )
            )
    grace = news.get("grace_days")
    if not is_unknown(grace) and not ((days := whole_number(grace)) is not None and days >= 1):
        failures.append(
            CheckFailure(
                "grace_days", f"grace_days must be a whole number of days, at least 1, got {grace!r}"
            )
        )
    return failures


def _text(props: dict[str, Any], key: str) -> str:  # pyright: ignore[reportExplicitAny]
    value = reveal(props.get(key))
    return value if isinstance(value, str) else ""


def _state(
    current: str, since: str, grace_days: int, previous: str, previous_not_after: str
) -> dict[str, object]:
    return {
        "current": as_secret(current),
        "since": since,
        "grace_days": grace_days,
        "previous": as_secret(previous),
        "previous_not_after": previous_not_after,
        "entries": as_secret(keyring_entries(current, previous, previous_not_after)),
    }


class KeyringProvider(ResourceProvider):
    """Keeps the previous value through a rotation; see the module docstring for each verb."""

    serialize_as_secret_always = False

    @override
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:  # pyright: ignore[reportExplicitAny]
        return CheckResult(news, _check(news))

    @override
    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:  # pyright: ignore[reportExplicitAny]
        changed = [
            key
            for key in INPUT_KEYS
            if is_unknown(_news.get(key)) or reveal(_olds.get(key)) != reveal(_news.get(key))
        ]
        return DiffResult(changes=bool(changed), replaces=[], stables=[], delete_before_replace=False)

    @override
    def create(self, props: dict[str, Any]) -> CreateResult:  # pyright: ignore[reportExplicitAny]
        grace = whole_number(reveal(props.get("grace_days"))) or 1
        return CreateResult(
            uuid.uuid4().hex, _state(_text(props, "current"), _text(props, "since"), grace, "", "")
        )

    @override
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:  # pyright: ignore[reportExplicitAny]
        if not props:
            raise ValueError(f"Keyring {id_}: nothing to import; it exists only in the state")
        return ReadResult(id_, props)

    @override
    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:  # pyright: ignore[reportExplicitAny]
        old, new = _text(_olds, "current"), _text(_news, "current")
        since = _text(_news, "since")
        grace = whole_number(reveal(_news.get("grace_days"))) or 1
        if old and new != old:
            # A rotation: the value in use until now stays accepted for the grace after the new one starts.
            return UpdateResult(_state(new, since, grace, old, _not_after(since, grace)))
        return UpdateResult(
            _state(new, since, grace, _text(_olds, "previous"), _text(_olds, "previous_not_after"))
        )

    @override
    def delete(self, _id: str, _props: dict[str, Any]) -> None:  # pyright: ignore[reportExplicitAny]
        return None


@dataclass(frozen=True)
class KeyringArgs:
    """Inputs of :class:`Keyring`.

    ``current``: the secret senders use now (secret). ``since``: when it became current, RFC 3339
    UTC (a ``RotationSchedule``'s ``generation``). ``grace_days``: how long the value it replaces
    stays accepted after ``since``.
    """

    current: pulumi.Input[str] = field(repr=False)
    since: pulumi.Input[str]
    grace_days: int


class Keyring(Resource, module="estate", name="Keyring"):
    """The current and the previous value of one rotated secret (see the module docstring).

    Outputs: ``current`` (secret), ``previous`` (secret; empty before the first rotation),
    ``previous_not_after`` (RFC 3339; empty before the first rotation) and ``entries`` (secret:
    ``keyring_entries``, the JSON a receiver reads).
    """

    current: pulumi.Output[str]
    previous: pulumi.Output[str]
    previous_not_after: pulumi.Output[str]
    entries: pulumi.Output[str]

    def __init__(
        self, resource_name: str, args: KeyringArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        if args.grace_days < 1:
            raise ValueError(f"Keyring {resource_name}: grace_days must be at least 1, got {args.grace_days}")
        props: dict[str, object] = {
            "current": pulumi.Output.secret(args.current),
            "since": args.since,
            "grace_days": args.grace_days,
            "previous": None,
            "previous_not_after": None,
            "entries": None,
        }
        secret_outputs = pulumi.ResourceOptions(additional_secret_outputs=list(SECRET_KEYS))
        super().__init__(
            KeyringProvider(), resource_name, props, pulumi.ResourceOptions.merge(opts, secret_outputs)
        )
