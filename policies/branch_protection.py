"""Every branch that deploys is protected: reviewed, checked, no force pushes, admins included.

Deploy branches are what the engine can see deploying: each
``RepositoryEnvironmentDeploymentPolicy`` (the only branches allowed to use a
GitHub deployment environment, hence its secrets) and each Vercel project's
production branch (Vercel deploys it on every push). Each must be matched by a
``BranchProtection`` of the same repository, and that protection must require
at least one approving review with stale reviews dismissed and the last push
approved by someone other than its pusher, at least one
status check, and forbid force pushes and deletion, for admins too. Absent
fields take the GitHub provider's defaults: one approval once reviews are
required, last-push approval off, force pushes and deletion off, admins *not* included.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from policies.engine_view import UNKNOWN, field, flag, items, number, text, violation
from policies.resource_types import BRANCH_PROTECTION, DEPLOYMENT_POLICY, VERCEL_PROJECT


@dataclass(frozen=True)
class DeployBranch:
    """A branch some resource deploys from, and the URN that declares it."""

    repository: str
    branch: str
    urn: str
    why: str


def deploy_branches(resources: Sequence[PolicyResource]) -> Iterator[DeployBranch]:
    for resource in resources:
        props = resource.props
        if resource.resource_type == DEPLOYMENT_POLICY:
            repository, branch = text(props, "repository"), text(props, "branchPattern")
            environment = text(props, "environment") or "?"
            if repository and branch:
                yield DeployBranch(repository, branch, resource.urn, f"GitHub environment {environment}")
        elif resource.resource_type == VERCEL_PROJECT:
            repo, branch = (
                text(props, "gitRepository", "repo"),
                text(props, "gitRepository", "productionBranch"),
            )
            if repo and branch:
                yield DeployBranch(
                    repo.rsplit("/", 1)[-1], branch, resource.urn, "Vercel production deployments"
                )


def _protection_for(branch: DeployBranch, protections: Sequence[PolicyResource]) -> PolicyResource | None:
    """The protection GitHub applies: an exact pattern wins over a wildcard."""
    candidates = [p for p in protections if text(p.props, "repositoryId") == branch.repository]
    exact = [p for p in candidates if text(p.props, "pattern") == branch.branch]
    matching = exact or [p for p in candidates if fnmatchcase(branch.branch, text(p.props, "pattern") or "")]
    return matching[0] if matching else None


def protection_weaknesses(protection: PolicyResource) -> Iterator[tuple[str, str]]:
    """(what is missing, how to fix it) for each rule the protection does not enforce."""
    props = protection.props
    reviews = field(props, "requiredPullRequestReviews")
    review = next(items(props, "requiredPullRequestReviews"), None)
    if reviews is not UNKNOWN and review is None:
        yield (
            "requires no pull request review",
            "set required_pull_request_reviews=[{required_approving_review_count: 1, dismiss_stale_reviews: True}]",
        )
    elif review is not None:
        count = number(review, "requiredApprovingReviewCount")
        if isinstance(count, float) and count < 1:
            yield (
                f"requires {count:g} approving reviews",
                "set required_approving_review_count to at least 1",
            )
        if flag(review, "dismissStaleReviews") in (False, None):
            yield ("keeps approvals after new commits are pushed", "set dismiss_stale_reviews=True")
        if flag(review, "requireLastPushApproval") in (False, None):
            yield (
                "lets whoever pushed last merge without someone else approving that push",
                "set require_last_push_approval=True",
            )
    checks = field(props, "requiredStatusChecks")
    contexts = [c for check in items(props, "requiredStatusChecks") for c in items(check, "contexts")]
    if checks is not UNKNOWN and not contexts:
        yield (
            "requires no status check",
            "set required_status_checks=[{strict: True, contexts: [<CI job names>]}]",
        )
    if flag(props, "allowsForcePushes") is True:
        yield ("allows force pushes", "set allows_force_pushes=False")
    if flag(props, "allowsDeletions") is True:
        yield ("allows the branch to be deleted", "set allows_deletions=False")
    if flag(props, "enforceAdmins") in (False, None):
        yield ("lets admins bypass it", "set enforce_admins=True")


def validate_deploy_branches_protected(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Each deploy branch has a BranchProtection that enforces reviews, checks and history."""
    protections = [r for r in args.resources if r.resource_type == BRANCH_PROTECTION]
    reported: set[tuple[str, str]] = set()
    for branch in deploy_branches(args.resources):
        protection = _protection_for(branch, protections)
        if protection is None:
            report_violation(
                violation(
                    f"branch {branch.branch} of {branch.repository} deploys ({branch.why}) but no BranchProtection "
                    "of that repository matches it: anyone with write access can push straight to it",
                    f"add a github.BranchProtection with repository_id={branch.repository!r}, "
                    f"pattern={branch.branch!r}, reviews, status checks, enforce_admins=True (RepositoryGovernance "
                    "declares one for its deploy branch)",
                ),
                branch.urn,
            )
            continue
        pattern = text(protection.props, "pattern")
        for weakness, fix in protection_weaknesses(protection):
            if (protection.urn, weakness) in reported:
                continue
            reported.add((protection.urn, weakness))
            report_violation(
                violation(
                    f"the protection {pattern} of {branch.repository}, which guards its deploy branch "
                    f"{branch.branch} ({branch.why}), {weakness}",
                    fix,
                ),
                protection.urn,
            )
