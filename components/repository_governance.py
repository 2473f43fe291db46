"""How one application repository reaches one environment: protections, secrets, workflows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_github as github

from providers.github_delivery import DeliveryBranch, DeliveryBranchArgs, delivery_branch_name

REPOSITORY_GOVERNANCE_TYPE = "estate:delivery:RepositoryGovernance"

# Every branch that delivers workflows starts with this; nothing on it needs a build or deploy.
DELIVERY_BRANCH_PREFIX = "estate/"


@dataclass(frozen=True)
class RepositoryGovernanceArgs:
    """Inputs of :class:`RepositoryGovernance`.

    ``repository``: the repository's name. ``owner``: its owner, the same as
    the GitHub provider's. ``environment``: the GitHub deployment environment
    this stack deploys through, e.g. ``production``. ``deploy_branch``: the
    branch that deploys to it; it is protected and is the only branch allowed
    to use the environment. ``deploy_branch_source``: when set, the deploy
    branch is created from this branch if it does not exist yet; an existing
    one (``main`` itself in production) is adopted as it is, never reset, and
    never deleted by the stack. None: the stack does not manage the branch.
    ``required_status_checks``: check names that must pass before merging,
    exactly as the repository's workflows report them. ``required_approvals``:
    approving reviews needed (at least one). ``secrets`` / ``variables``:
    Actions environment secrets and variables for the deploy workflow.
    ``workflow_files``: repository path → content of the workflows this estate
    delivers; proposed through a pull request into ``deploy_branch``, since
    the protection forbids direct pushes. ``delivery_token``: the GitHub token
    the delivery commits with (the provider's; Contents and Workflows write);
    required with ``workflow_files``.
    """

    repository: str
    owner: str
    environment: str
    deploy_branch: str
    required_status_checks: Sequence[str]
    deploy_branch_source: str | None = None
    required_approvals: int = 1
    secrets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    variables: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    workflow_files: Mapping[str, str] = field(default_factory=dict)
    delivery_token: pulumi.Input[str] | None = field(default=None, repr=False)


class RepositoryGovernance(pulumi.ComponentResource):
    """Branch protection, deployment environment, Actions secrets and delivered workflows.

    The protection follows the OpenSSF Scorecard tiers: no force pushes, no
    deletion, admins included, approving reviews with stale reviews dismissed
    and the last push approved, required status checks on an up-to-date branch,
    resolved conversations.

    Workflow delivery: each revision of ``workflow_files`` is committed on a
    branch of its own, ``estate/<environment>-workflows-<12 hex of the
    content>`` (:class:`~providers.github_delivery.DeliveryBranch`), and
    proposed by a pull request into the deploy branch. A new revision is a new
    branch name, so the pull request (whose ``head_ref`` forces replacement)
    is a new one; the superseded branch is deleted, which closes its pull
    request if still open (the pull request resource itself is retained on
    delete, so its provider never acts on a stale "open"). A merged revision stays in the state as it is (the pull request
    reads back merged, the branch record is kept when GitHub deletes the
    branch), so the drift check stays clean. docs/pipeline.md tells the story.

    Outputs: none; nothing in the estate reads them.
    """

    def __init__(
        self, name: str, args: RepositoryGovernanceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(REPOSITORY_GOVERNANCE_TYPE, name, None, opts)
        if args.required_approvals < 1:
            raise ValueError(f"RepositoryGovernance {name}: required_approvals must be at least 1")
        if not args.required_status_checks:
            raise ValueError(f"RepositoryGovernance {name}: give at least one required status check")
        if args.workflow_files and args.delivery_token is None:
            raise ValueError(f"RepositoryGovernance {name}: workflow_files need a delivery_token")
        child = pulumi.ResourceOptions(parent=self)

        # The deploy branch, cut from its source when missing. terraform-provider-github v6.13.0
        # resource_github_branch.go: create swallows "422 Reference already exists" and reads the
        # existing branch (adopted, never reset); delete removes the ref, hence retain_on_delete;
        # a new `branch` would be an update that renames the old branch, hence replace_on_changes.
        deploy_branch: github.Branch | None = None
        if args.deploy_branch_source is not None:
            deploy_branch = github.Branch(
                f"{name}-deploy-branch-ref",
                repository=args.repository,
                branch=args.deploy_branch,
                source_branch=args.deploy_branch_source,
                opts=pulumi.ResourceOptions(
                    parent=self, retain_on_delete=True, replace_on_changes=["branch"]
                ),
            )
        after_deploy_branch = pulumi.ResourceOptions(
            parent=self, depends_on=[deploy_branch] if deploy_branch is not None else []
        )

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

        if args.workflow_files:
            assert args.delivery_token is not None
            files = dict(args.workflow_files)
            workflow_branch = delivery_branch_name(
                f"{DELIVERY_BRANCH_PREFIX}{args.environment}-workflows", args.deploy_branch, files
            )
            delivery = DeliveryBranch(
                f"{name}-workflow-branch",
                DeliveryBranchArgs(
                    owner=args.owner,
                    repository=args.repository,
                    base=args.deploy_branch,
                    branch=workflow_branch,
                    files=files,
                    message=f"ci: deliver the {args.environment} workflows (managed by the estate stack)",
                    token=args.delivery_token,
                ),
                opts=after_deploy_branch,
            )
            github.RepositoryPullRequest(
                f"{name}-workflow-pr",
                base_repository=args.repository,
                base_ref=args.deploy_branch,
                # A plain name, not the delivery's output: known in every preview.
                head_ref=workflow_branch,
                title=f"ci: deploy workflows for {args.environment} ({workflow_branch.rsplit('-', 1)[1]})",
                body=(
                    "Proposed by the estate stack: these workflows use the "
                    f"`{args.environment}` environment's secrets that the stack manages. "
                    "Review and merge like any other change; a newer revision replaces this "
                    "pull request and closes it if it is still open."
                ),
                # GitHub reports false for a pull request within one repository and refuses to
                # change it (maintainers can always push there): any other value is a diff on every run.
                maintainer_can_modify=False,
                # The provider's delete closes the pull request unless its *recorded* state is
                # closed; after a merge that record is stale until a refresh. Never run it: a
                # superseded open pull request closes when its delivery's delete removes its head branch.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[delivery], retain_on_delete=True),
            )

        self.register_outputs({})
