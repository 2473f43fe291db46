"""A deployment environment admits only its own deploy branch.

GitHub lets a deployment environment (and so its secrets) be used from any
branch, from every protected branch (``protectedBranches: true``), or from the
branches its custom policies name. Only the last keeps a feature branch that
someone protects later from deploying: the environment must use custom branch
policies (``customBranchPolicies: true``, ``protectedBranches: false``) and
those must name exactly one branch, without wildcards: ``main`` for
``production``; for any other environment one branch that is not ``main``.
"""

from __future__ import annotations

from collections import defaultdict

from pulumi_policy import ReportViolation, StackValidationArgs

from policies.engine_view import UNKNOWN, field, flag, text, violation
from policies.environments import PRODUCTION
from policies.resource_types import DEPLOYMENT_POLICY, REPOSITORY_ENVIRONMENT

PRODUCTION_BRANCH = "main"


def validate_environments_admit_only_their_branch(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    """Each ``RepositoryEnvironment``: custom branch policies only, naming exactly its one deploy branch."""
    branches: dict[tuple[str, str], list[str]] = defaultdict(list)
    for resource in args.resources:
        if resource.resource_type == DEPLOYMENT_POLICY:
            repository, environment = text(resource.props, "repository"), text(resource.props, "environment")
            pattern = text(resource.props, "branchPattern") or text(resource.props, "tagPattern")
            if repository and environment and pattern:
                branches[(repository, environment)].append(pattern)
    for resource in args.resources:
        if resource.resource_type != REPOSITORY_ENVIRONMENT:
            continue
        props = resource.props
        repository, environment = text(props, "repository"), text(props, "environment")
        if not repository or not environment:
            continue
        where = f"environment {environment!r} of {repository}"
        policy = field(props, "deploymentBranchPolicy")
        if policy is UNKNOWN:
            continue
        if policy is None:
            report_violation(
                violation(
                    f"{where} has no deployment branch policy: every branch may deploy with its secrets",
                    "set deployment_branch_policy={protected_branches: False, custom_branch_policies: True} and one "
                    "RepositoryEnvironmentDeploymentPolicy for the deploy branch",
                ),
                resource.urn,
            )
            continue
        if flag(policy, "protectedBranches") is True or flag(policy, "customBranchPolicies") is not True:
            report_violation(
                violation(
                    f"{where} admits all protected branches, not only its deploy branch",
                    "set protected_branches=False, custom_branch_policies=True",
                ),
                resource.urn,
            )
            continue
        admitted = branches.get((repository, environment), [])
        wanted = PRODUCTION_BRANCH if environment == PRODUCTION else None
        if len(admitted) != 1:
            report_violation(
                violation(
                    f"{where} admits {len(admitted)} branch pattern(s) {sorted(admitted)}; it must admit exactly its "
                    "deploy branch",
                    f"keep one RepositoryEnvironmentDeploymentPolicy, for {wanted or 'the deploy branch'}",
                ),
                resource.urn,
            )
            continue
        [pattern] = admitted
        if any(c in pattern for c in "*?[]"):
            report_violation(
                violation(f"{where} admits the wildcard {pattern!r}", "name the deploy branch exactly"),
                resource.urn,
            )
        elif wanted is not None and pattern != wanted:
            report_violation(
                violation(
                    f"{where} admits {pattern!r}; production deploys only {wanted!r}",
                    f"set branch_pattern={wanted!r}",
                ),
                resource.urn,
            )
        elif wanted is None and pattern == PRODUCTION_BRANCH:
            report_violation(
                violation(
                    f"{where} admits {PRODUCTION_BRANCH!r}, production's branch",
                    "admit the environment's own branch (staging, develop)",
                ),
                resource.urn,
            )
