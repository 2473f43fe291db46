"""GitHub as the real provider behaves (issue 13, points 13-15).

pulumi-github 6.15.0 bridges integrations/terraform-provider-github v6.13.0 (its ``upstream``
submodule). What the provider stores after an ``up`` comes from the provider models in
``estate.mocks`` (each rule with its source); a test feeds the program's inputs to the model and
checks that the provider would store the same thing, so the next ``up`` has nothing to change.
What a refresh does once a person merges a delivery pull request and GitHub deletes its head
branch is the table ``AFTER_BRANCH_DELETION`` below, with its sources.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import pulumi
import pytest

from components.repository_governance import RepositoryGovernance, RepositoryGovernanceArgs
from estate.mocks import ProviderMocks
from policies.resource_types import DELIVERY_BRANCH, PULL_REQUEST, REPOSITORY_FILE
from policies.resource_types import GITHUB_BRANCH as BRANCH
from stacks.catalog import APPS
from tests.plan_queries import Plan, of_type
from tests.shared_plans import plan_of

STACKS = ["prod", "staging"]

# What `pulumi refresh` does to a resource whose branch GitHub deleted after the merge
# (terraform-provider-github v6.13.0): "dropped" = removed from the state, so the next
# preview plans to create it again; "kept" = read back unchanged.
AFTER_BRANCH_DELETION = {
    # resource_github_branch.go Read: GET ref → 404 → d.SetId("").
    (BRANCH, "branch"): "dropped",
    # resource_github_repository_file.go Read: GetContents(ref=branch) → 404 → deleteResourceOn404...
    (REPOSITORY_FILE, "branch"): "dropped",
    # resource_github_repository_pull_request.go Read: GET pulls/{number}; a merged PR keeps head.ref.
    (PULL_REQUEST, "headRef"): "kept",
    # providers/github_delivery/resources.py read: returns the recorded state.
    (DELIVERY_BRANCH, "branch"): "kept",
}
# ForceNew properties (schema of resource_github_repository_pull_request.go at v6.13.0).
PULL_REQUEST_REPLACES_ON = ("owner", "baseRepository", "headRef")


def stored(resource: Mapping[str, Any]) -> dict[str, Any]:
    """What the provider model stores for a planned resource's inputs (its state after ``up``)."""
    _, state = ProviderMocks().new_resource(
        pulumi.runtime.MockResourceArgs(
            resource["type"], resource["name"], dict(resource["inputs"]), "", "", True
        )
    )
    return state


def governance_of(plan: Plan, app_key: str) -> list[dict[str, Any]]:
    prefix = f"{app_key}-repository-"
    return [r for r in plan["resources"] if str(r["name"]).startswith(prefix)]


# --- 13. maintainer_can_modify ---------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_delivery_pull_requests_declare_what_github_reports_back(stack: str) -> None:
    pulls = of_type(plan_of(stack), PULL_REQUEST)
    assert pulls, "every app gets its workflows through a pull request"
    for pull in pulls:
        declared = pull["inputs"].get("maintainerCanModify", False)
        assert stored(pull)["maintainerCanModify"] == declared, (
            f"{pull['name']}: GitHub reports maintainer_can_modify={stored(pull)['maintainerCanModify']} "
            f"for a same-repository pull request; declaring {declared} is a diff on every run"
        )


# --- 14. workflow delivery over time ---------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_nothing_the_plan_declares_is_dropped_when_github_deletes_a_merged_head_branch(stack: str) -> None:
    plan = plan_of(stack)
    heads = {(p["inputs"]["baseRepository"], p["inputs"]["headRef"]) for p in of_type(plan, PULL_REQUEST)}
    assert heads
    dropped = [
        resource["name"]
        for resource in plan["resources"]
        for (type_, key), fate in AFTER_BRANCH_DELETION.items()
        if resource["type"] == type_
        and fate == "dropped"
        and (resource["inputs"].get("repository"), resource["inputs"].get(key)) in heads
    ]
    assert dropped == [], (
        "after the merge GitHub may delete the head branch; refresh then drops these and the drift "
        f"check plans to recreate them every day: {dropped}"
    )
    for pull in of_type(plan, PULL_REQUEST):
        # resource_github_repository_pull_request.go delete: closes unless the recorded state is
        # not "open"; a merged PR's record says "open" until a refresh. The stack never runs it.
        assert pull["options"]["retain_on_delete"] is True, (
            f"{pull['name']}: delete must not act on a stale state"
        )
        deliveries = [
            r
            for r in plan["resources"]
            if r["type"] == DELIVERY_BRANCH and r["urn"] in pull["options"]["depends_on"]
        ]
        assert [d["inputs"]["branch"] for d in deliveries] == [pull["inputs"]["headRef"]], (
            f"{pull['name']}: its head branch is a delivery the refresh keeps"
        )


def _declare(files: Mapping[str, str]) -> list[tuple[str, str, dict[str, Any]]]:
    """The governance component's registrations for one revision of the delivered files."""
    registered: list[tuple[str, str, dict[str, Any]]] = []

    class Recording(ProviderMocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
            registered.append((args.typ, args.name, dict(args.inputs)))
            return super().new_resource(args)

    pulumi.runtime.reset_options(project="estate", stack="staging")
    pulumi.runtime.set_mocks(Recording(), project="estate", stack="staging", preview=False)

    @pulumi.runtime.test
    def program() -> None:
        RepositoryGovernance(
            "oms-repository",
            RepositoryGovernanceArgs(
                repository="shopify-esim-system",
                owner="gstarlink",
                environment="staging",
                deploy_branch="staging",
                deploy_branch_source="main",
                required_status_checks=["lint-test-build"],
                workflow_files=dict(files),
                delivery_token=pulumi.Output.secret("github_pat_test"),
            ),
        )

    program()
    return registered


def test_each_revision_of_the_workflows_opens_a_new_pull_request() -> None:
    revisions = [
        {".github/workflows/ci.yml": "name: ci\n"},
        {".github/workflows/ci.yml": "name: ci\non: push\n"},
        {".github/workflows/ci.yml": "name: ci\non: push\n", ".github/workflows/db.yml": "name: db\n"},
    ]
    pulls = [[inputs for type_, _, inputs in _declare(files) if type_ == PULL_REQUEST] for files in revisions]
    assert all(len(p) == 1 for p in pulls)
    for before, after in itertools.pairwise(pulls):
        replaced = [key for key in PULL_REQUEST_REPLACES_ON if before[0].get(key) != after[0].get(key)]
        assert replaced, (
            "a new revision must replace the pull request (the provider's update edits only "
            "title, body and base, and the merged one stays merged): no new pull request otherwise"
        )
    again = [sorted(_declare(revisions[0]), key=lambda r: (r[0], r[1])) for _ in range(2)]
    assert again[0] == again[1], "the same files declare the same delivery: no change on the next up"


# --- 15. the deploy branch may not exist ----------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_each_deploy_branch_is_cut_from_main_when_missing_and_never_deleted(stack: str) -> None:
    plan = plan_of(stack)
    for app in APPS:
        deploy_branch = "main" if stack == "prod" else app.staging_branch
        branches = [r for r in governance_of(plan, app.key) if r["type"] == BRANCH]
        assert [(b["inputs"]["branch"], b["inputs"].get("sourceBranch")) for b in branches] == [
            (deploy_branch, "main")
        ], f"{app.key}: the {stack} deploy branch is created from main when it is missing"
        [branch] = branches
        # resource_github_branch.go delete removes the ref: the stack must never run it.
        assert branch["options"]["retain_on_delete"] is True, f"{branch['name']}: the stack never deletes it"
        # An existing branch is never reset: create swallows "422 Reference already exists" and
        # reads the branch as it is (integrations/terraform-provider-github#1679); update only renames.
        deliveries = [r for r in governance_of(plan, app.key) if r["type"] == DELIVERY_BRANCH]
        assert deliveries and all(branch["urn"] in d["options"]["depends_on"] for d in deliveries), (
            f"{app.key}: the workflows are cut from the deploy branch after it exists"
        )
