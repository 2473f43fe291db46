"""Each branch of a Vercel-hosted repository builds in exactly one Vercel project, across both stacks.

Vercel's rules, simulated on the planned projects: a push to the production
branch is a production build; any other push is a preview unless
``preview_deployments_disabled`` (SDK docstring: "Disable creation of Preview
Deployments"); the Ignored Build Step command then decides: exit 0 skips, exit 1
or more builds (https://vercel.com/kb/guide/how-do-i-use-the-ignored-build-step-field-on-vercel;
vercel/terraform-provider-vercel ``vercel/resource_project.go``, ``ignore_command``).
"""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from policies.resource_types import PULL_REQUEST
from stacks.catalog import APPS, VercelHosting
from tests.plan_queries import VERCEL_PROJECT, of_type
from tests.shared_plans import plan_of

VERCEL_APPS = [app for app in APPS if isinstance(app.hosting[0], VercelHosting)]


def builds(project: dict[str, Any], ref: str) -> bool:
    inputs = project["inputs"]
    if ref != inputs["gitRepository"]["productionBranch"] and inputs.get("previewDeploymentsDisabled"):
        return False
    command = inputs.get("ignoreCommand")
    if not command:
        return True
    result = subprocess.run(["sh", "-c", command], env={"VERCEL_GIT_COMMIT_REF": ref}, check=False)
    return result.returncode != 0


def delivery_branches(repository: str) -> set[str]:
    return {
        str(pr["inputs"]["headRef"])
        for stack in ("prod", "staging")
        for pr in of_type(plan_of(stack), PULL_REQUEST)
        if pr["inputs"]["baseRepository"] == repository
    }


@pytest.mark.parametrize("app", VERCEL_APPS, ids=lambda app: app.key)
def test_each_branch_builds_in_exactly_one_project(app: Any) -> None:
    projects = [
        project
        for stack in ("prod", "staging")
        for project in of_type(plan_of(stack), VERCEL_PROJECT)
        if project["inputs"]["gitRepository"]["repo"].endswith(f"/{app.repository}")
    ]
    assert len(projects) == 2, f"{app.key}: one project per stack"
    refs = {"main", app.staging_branch, "feature/checkout", "fix-typo", *delivery_branches(app.repository)}
    assert any(ref.startswith("estate/") for ref in refs), "the plan delivers workflows on a branch"
    for ref in sorted(refs):
        building = [p["inputs"]["name"] for p in projects if builds(p, ref)]
        if ref.startswith("estate/"):
            # Delivery branches only change .github/workflows: nothing to build.
            assert building == [], f"{app.key}: the delivery branch {ref!r} builds in {building}"
        else:
            assert len(building) == 1, f"{app.key}: a push to {ref!r} builds in {building or 'no project'}"
    production, staging = sorted(projects, key=lambda p: p["inputs"]["name"])
    assert builds(production, "main") and builds(production, "feature/checkout")
    assert builds(staging, app.staging_branch)


def test_a_skip_pattern_that_matches_production_is_refused() -> None:
    from components.vercel_app import build_filter

    with pytest.raises(ValueError, match=r"'\*' matches the production branch 'main'"):
        build_filter("main", True, ["*"])
    with pytest.raises(ValueError, match="not a branch name"):
        build_filter("main", True, ["a;rm -rf /"])
    assert build_filter("main", True, []) is None, "no command: Vercel builds every push"
