"""Second ``up``: re-plan against the state the provider models stored after the first.

After the first ``up`` the state holds what each provider stored (its read-back
values, ``estate/models`` ``STORED``/``OMITTED`` rows: compact JSON, a URL
whose secret part the API keeps apart, a flag GitHub reports differently). The
program is deterministic (the mocks derive every generated value from the stack
and the resource name), so the second run sends the same inputs; the engine
diffs them against that state. Every input the provider stored differently is
an update (or a replacement, where the model says the property replaces) on
every run: a perpetual diff, which fails the daily ``--expect-no-changes`` drift
check. Excused: paths under the resource's ``ignore_changes``, and providers
whose Diff never reports a change (``NO_DIFF``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from estate.mocks import simulate
from estate.models import get_path
from estate.models.registry import models

_INDEX = re.compile(r"\[\d+\]")
SECRET = "[secret]"


@dataclass(frozen=True)
class PerpetualDiff:
    """An input the provider stores differently from what the program sends, on every run."""

    urn: str
    path: str
    action: str  # "update" or "replace"
    sent: Any
    stored: Any

    def __str__(self) -> str:
        return (
            f"{self.urn}: `{self.path}` would {self.action} on every up: the program sends "
            f"{_show(self.sent)}, the provider stores {_show(self.stored)}; send what it stores"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "path": self.path,
            "action": self.action,
            "sent": self.sent,
            "stored": self.stored,
        }


def _show(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _ignored(path: str, ignore_changes: list[str]) -> bool:
    plain = _INDEX.sub("", path)
    for entry in ignore_changes:
        entry_plain = _INDEX.sub("", entry.replace("[*]", ""))
        if plain == entry_plain or plain.startswith(entry_plain + "."):
            return True
    return False


def _at(value: Mapping[str, Any], path: str) -> Any:
    pattern = re.sub(r"\[\d+\]", "[]", path)
    for concrete, found in get_path(value, pattern):
        if concrete == path:
            return found
    return None


def check_plan(plan: Mapping[str, Any]) -> tuple[list[PerpetualDiff], int]:
    """Every perpetual diff in the plan, and how many resources were re-planned."""
    table = models()
    diffs: list[PerpetualDiff] = []
    checked = 0
    for resource in plan["resources"]:
        if not resource.get("custom") or str(resource["type"]).startswith("pulumi:providers:"):
            continue
        checked += 1
        model = table.get(str(resource["type"]))
        if model is not None and model.no_diff is not None:
            continue
        ignore = list((resource.get("options") or {}).get("ignore_changes") or [])
        inputs = resource.get("inputs") or {}
        outputs = {**inputs, **(resource.get("outputs") or {})}
        # Recorded at registration on the raw values (secrets included), and re-derived from the
        # document's inputs, so a plan document edited after the run is judged as it now reads.
        paths = set(resource.get("stored_differently") or [])
        if model is not None and (model.stored or model.omitted):
            resimulated = simulate(model, str(plan.get("stack", "")), str(resource["name"]), inputs)
            paths |= {p for p in resimulated.stored_differently if _at(inputs, p) != SECRET}
            outputs = {**outputs, **{k: v for k, v in resimulated.state.items() if k in resimulated.changed}}
        for path in sorted(paths):
            if _ignored(path, ignore):
                continue
            top = path.split(".", 1)[0].split("[", 1)[0]
            action = "replace" if model is not None and top in model.replaces else "update"
            stored = None if model is not None and top in model.omitted else _at(outputs, path)
            diffs.append(PerpetualDiff(str(resource["urn"]), path, action, _at(inputs, path), stored))
    return diffs, checked
