"""Broken copies of dynamic providers, importable by the dynamic-provider server's child process (by reference)."""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import CheckFailure, CheckResult, ResourceProvider


class IntegersOnly(ResourceProvider):
    """A copy of issue #12's defect: `isinstance(value, int)` on numbers, only a str counts as a project ref."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:  # pyright: ignore[reportExplicitAny]
        failures = [
            CheckFailure(key, "must be an integer") for key, value in news.items() if isinstance(value, float)
        ]
        if not isinstance(news.get("project_ref"), str):
            failures.append(CheckFailure("project_ref", "must be a project ref"))
        return CheckResult(news, failures)
