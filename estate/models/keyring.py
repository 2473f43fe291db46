"""The estate's own ``Keyring`` (providers/keyring/resources.py, ``SOURCE`` below): nothing outside the state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from estate.models import COMPUTED, ID, Rule
from policies.resource_types import KEYRING

SOURCE = "providers/keyring/resources.py"


def _entries(_current: Any, state: Mapping[str, Any]) -> str:
    from providers.keyring import keyring_entries

    return keyring_entries(str(state["current"]))


TABLE: tuple[Rule, ...] = (
    Rule(KEYRING, ID, "", "{hex32}", f"{SOURCE} create (CreateResult id: uuid4().hex)"),
    Rule(KEYRING, COMPUTED, "previous", "", f"{SOURCE} create (no previous value before the first rotation)"),
    Rule(
        KEYRING,
        COMPUTED,
        "previous_not_after",
        "",
        f"{SOURCE} create (no previous value before the first rotation)",
    ),
    Rule(
        KEYRING,
        COMPUTED,
        "entries",
        _entries,
        f"{SOURCE} create (keyring_entries(current): the current value alone)",
    ),
)
