"""The simulated ``up``: every check of a plan document, and the one line that says what was checked.

Runs, in one pass each over the plan's resources: the schema check
(``estate/schema_check.py``), the first-``up`` order check (``estate/first_up.py``),
the second-``up`` re-plan (``estate/second_up.py``) and the policy pack
(``estate/policy_runner.py``). Types registered without a provider model are
listed. The plan passes when no check finds anything and no mandatory policy
is violated.

``estate plan`` runs all of it on every plan and ends with the summary line
(``--format json``: the plan document's ``checks``). ``python -m estate simulate
--stack NAME`` (``estate/simulate.py``) prints only the findings and the summary;
``--format json`` the findings as one document. What is printed lives in
``estate/output.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from estate.first_up import UnmetPrecondition
from estate.policy_runner import Violation
from estate.schema_check import SchemaViolation
from estate.second_up import PerpetualDiff


@dataclass
class Findings:
    """Everything the checks found in one plan."""

    stack: str
    resources: int
    unmodelled_types: list[str]
    schema_checked: int = 0
    schema: list[SchemaViolation] = field(default_factory=list)
    first_up_checked: int = 0
    first_up: list[UnmetPrecondition] = field(default_factory=list)
    # Stacks whose `up` must come before this stack's first `up` (it reads their outputs).
    first_up_after: list[str] = field(default_factory=list)
    second_up_checked: int = 0
    second_up: list[PerpetualDiff] = field(default_factory=list)
    policies: list[Violation] = field(default_factory=list)

    @property
    def mandatory(self) -> int:
        return sum(1 for v in self.policies if v.mandatory)

    @property
    def passed(self) -> bool:
        return not (self.schema or self.first_up or self.second_up or self.mandatory)

    def summary(self) -> str:
        advisory = len(self.policies) - self.mandatory
        unmodelled = (
            f", {len(self.unmodelled_types)} type(s) without a provider model"
            if self.unmodelled_types
            else ""
        )
        verdict = "passes" if self.passed else "FAILS"
        return (
            f"{self.stack} {verdict}: {self.resources} resources{unmodelled}; "
            f"schema: {len(self.schema)} violation(s) in {self.schema_checked} checked; "
            f"first up: {len(self.first_up)} unmet of {self.first_up_checked} precondition(s)"
            f"{''.join(f' (after {stack} is up)' for stack in self.first_up_after)}; "
            f"second up: {len(self.second_up)} change(s) in {self.second_up_checked} re-planned; "
            f"policies: {self.mandatory} mandatory, {advisory} advisory violation(s)"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "summary": self.summary(),
            "resources": self.resources,
            "unmodelled_types": self.unmodelled_types,
            "schema": {"checked": self.schema_checked, "violations": [v.to_json() for v in self.schema]},
            "first_up": {
                "checked": self.first_up_checked,
                "unmet": [u.to_json() for u in self.first_up],
                "after_stacks": self.first_up_after,
            },
            "second_up": {
                "checked": self.second_up_checked,
                "changes": [d.to_json() for d in self.second_up],
            },
            "policies": {
                "mandatory": self.mandatory,
                "advisory": len(self.policies) - self.mandatory,
                "violations": [v.to_json() for v in self.policies],
            },
        }


def check(plan: Mapping[str, Any]) -> Findings:
    """Every check on a plan document (``run_plan(...).to_json()``, or as ``estate plan --format json`` prints it)."""
    from estate import first_up, schema_check, second_up
    from estate.policy_runner import run_policies

    custom = [
        r for r in plan["resources"] if r.get("custom") and not str(r["type"]).startswith("pulumi:providers:")
    ]
    findings = Findings(str(plan.get("stack", "?")), len(custom), list(plan.get("unmodelled_types") or []))
    findings.schema, findings.schema_checked = schema_check.check_plan(plan)
    findings.first_up, findings.first_up_checked = first_up.check_plan(plan)
    findings.first_up_after = first_up.stacks_to_up_first(plan)
    findings.second_up, findings.second_up_checked = second_up.check_plan(plan)
    findings.policies = run_policies(plan)
    return findings
