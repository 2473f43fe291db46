"""How one application repository reaches one environment: protections, secrets, workflows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_github as github

REPOSITORY_GOVERNANCE_TYPE = "estate:delivery:RepositoryGovernance"

# Every branch that delivers workflows starts with this; nothing on it needs a build or deploy.
DELIVERY_BRANCH_PREFIX = "estate/"


@dataclass(frozen=True)
class RepositoryGovernanceArgs:
    """Inputs of :class:`RepositoryGovernance`.

    ``repository``: the repository's name (its owner is the GitHub provider's).
    ``environment``: the GitHub deployment environment this stack deploys
    through, e.g. ``production``. ``deploy_branch``: the branch that deploys to
    it; it is protected and is the only branch allowed to use the environment.
    ``required_status_checks``: check names that must pass before merging,
    exactly as the repository's workflows report them. ``required_approvals``:
    approving reviews needed (at least one). ``secrets`` / ``variables``:
    Actions environment secrets and variables for the deploy workflow.
    ``workflow_files``: repository path → content of the workflows this estate
    delivers; proposed through a pull request into ``deploy_branch``, since
    the protection forbids direct pushes.
    """

    repository: str
    environment: str
    deploy_branch: str
    required_status_checks: Sequence[str]
    required_approvals: int = 1
    secrets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    variables: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    workflow_files: Mapping[str, str] = field(default_factory=dict)


class RepositoryGovernance(pulumi.ComponentResource):
    """Branch protection, deployment environment, Actions secrets and delivered workflows.

    The protection follows the OpenSSF Scorecard tiers: no force pushes, no
    deletion, admins included, approving reviews with stale reviews dismissed
    and the last push approved, required status checks on an up-to-date branch,
    resolved conversations.

    Outputs: ``environment``, ``protected_branch``, ``secret_names``,
    ``variable_names``, ``workflow_branch`` (None when no workflows are delivered).
    """

    environment: pulumi.Output[str]
    protected_branch: pulumi.Output[str]
    secret_names: pulumi.Output[list[str]]
    variable_names: pulumi.Output[list[str]]
    workflow_branch: pulumi.Output[str | None]

    def __init__(
        self, name: str, args: RepositoryGovernanceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(REPOSITORY_GOVERNANCE_TYPE, name, None, opts)
        if args.required_approvals < 1:
            raise ValueError(f"RepositoryGovernance {name}: required_approvals must be at least 1")
        if not args.required_status_checks:
            raise ValueError(f"RepositoryGovernance {name}: give at least one required status check")
        child = pulumi.ResourceOptions(parent=self)

        github.BranchProtection(
            f"{name}-protection",
            repository_id=args.repository,
            pattern=args.deploy_branch,
            enforce_admins=True,
            allows_deletions=False,
            allows_force_pushes=False,
            require_conversation_resolution=True,
            required_pull_request_reviews=[
                {
                    "required_approving_review_count": args.required_approvals,
                    "dismiss_stale_reviews": True,
                    "require_last_push_approval": True,
                }
            ],
            required_status_checks=[{"strict": True, "contexts": list(args.required_status_checks)}],
            opts=child,
        )

        environment = github.RepositoryEnvironment(
            f"{name}-environment",
            repository=args.repository,
            environment=args.environment,
            can_admins_bypass=False,
            deployment_branch_policy={"protected_branches": False, "custom_branch_policies": True},
            opts=child,
        )
        in_environment = pulumi.ResourceOptions(parent=self, depends_on=[environment])
        github.RepositoryEnvironmentDeploymentPolicy(
            f"{name}-deploy-branch",
            repository=args.repository,
            environment=environment.environment,
            branch_pattern=args.deploy_branch,
            opts=in_environment,
        )
        for secret_name, value in args.secrets.items():
            github.ActionsEnvironmentSecret(
                f"{name}-secret-{secret_name}",
                repository=args.repository,
                environment=environment.environment,
                secret_name=secret_name,
                value=pulumi.Output.secret(value),
                opts=in_environment,
            )
        for variable_name, value in args.variables.items():
            github.ActionsEnvironmentVariable(
                f"{name}-variable-{variable_name}",
                repository=args.repository,
                environment=environment.environment,
                variable_name=variable_name,
                value=value,
                opts=in_environment,
            )

        workflow_branch: str | None = None
        if args.workflow_files:
            workflow_branch = f"{DELIVERY_BRANCH_PREFIX}{args.environment}-workflows"
            branch = github.Branch(
                f"{name}-workflow-branch",
                repository=args.repository,
                branch=workflow_branch,
                source_branch=args.deploy_branch,
                opts=child,
            )
            files = [
                github.RepositoryFile(
                    f"{name}-file-{path}",
                    repository=args.repository,
                    branch=branch.branch,
                    file=path,
                    content=content,
                    commit_message=f"ci: update {path} (managed by the estate stack)",
                    overwrite_on_create=True,
                    opts=child,
                )
                for path, content in sorted(args.workflow_files.items())
            ]
            github.RepositoryPullRequest(
                f"{name}-workflow-pr",
                base_repository=args.repository,
                base_ref=args.deploy_branch,
                head_ref=branch.branch,
                title=f"ci: deploy workflows for {args.environment}",
                body=(
                    "Proposed by the estate stack: these workflows use the "
                    f"`{args.environment}` environment's secrets that the stack manages. "
                    "Review and merge like any other change."
                ),
                maintainer_can_modify=True,
                opts=pulumi.ResourceOptions(parent=self, depends_on=files),
            )

        self.environment = environment.environment
        self.protected_branch = pulumi.Output.from_input(args.deploy_branch)
        self.secret_names = pulumi.Output.from_input(sorted(args.secrets))
        self.variable_names = pulumi.Output.from_input(sorted(args.variables))
        self.workflow_branch = pulumi.Output.from_input(workflow_branch)
        self.register_outputs(
            {
                "environment": self.environment,
                "protected_branch": self.protected_branch,
                "secret_names": self.secret_names,
                "variable_names": self.variable_names,
                "workflow_branch": self.workflow_branch,
            }
        )
