"""pulumi-github 6.15.0, which bridges integrations/terraform-provider-github at v6.13.0 (``TF`` below).

Repositories are not created by the estate: each exists with its default branch
``main`` before the first ``up`` (the seeds; the catalog names existing repositories).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from estate.models import COMPUTED, DEFAULT, ID, PROVIDES, REPLACES, REQUIRES, STORED, Rule
from policies.resource_types import (
    ACTIONS_ENVIRONMENT_SECRET,
    ACTIONS_ENVIRONMENT_VARIABLE,
    BRANCH_PROTECTION,
    DELIVERY_BRANCH,
    DEPLOYMENT_POLICY,
    ISSUE_LABEL,
    PULL_REQUEST,
    REPOSITORY_ENVIRONMENT,
    REPOSITORY_FILE,
)
from policies.resource_types import GITHUB_BRANCH as BRANCH

TF = "integrations/terraform-provider-github v6.13.0 (upstream of pulumi-github 6.15.0) github"
REST = "https://docs.github.com/en/rest"

# The estate's own dynamic resource (providers/github_delivery/resources.py, ``DELIVERY`` below).
DELIVERY = "providers/github_delivery/resources.py"

DEFAULT_BRANCH = "main"
EXISTING = "the estate's repositories exist before the first up, each with its default branch main (seeds; stacks/catalog.py)"


def same_repository_pr(value: Any, inputs: Mapping[str, Any]) -> Any:
    """GitHub reports maintainer_can_modify false on a pull request whose head is in the base repository."""
    head = inputs.get("headRef")
    return False if isinstance(head, str) and ":" not in head else value


def pull_request_id(_value: Any, inputs: Mapping[str, Any]) -> str:
    # The owner defaults to the provider's owner, which a mock does not see.
    return f"{inputs.get('owner') or 'owner'}:{inputs.get('baseRepository')}:{inputs.get('number')}"


def file_branch(_value: Any, inputs: Mapping[str, Any]) -> str | None:
    if inputs.get("autocreateBranch"):
        return None
    return f"{inputs.get('repository')}:{inputs.get('branch') or DEFAULT_BRANCH}"


def default_branch_of(key: str) -> Any:
    def fact(_value: Any, inputs: Mapping[str, Any]) -> str | None:
        repository = inputs.get(key)
        return f"{repository}:{DEFAULT_BRANCH}" if isinstance(repository, str) else None

    return fact


_ENV_KEY = "{inputs[repository]}:{inputs[environment]}"

TABLE: tuple[Rule, ...] = (
    # Facts true before the first up: every repository the estate names exists with its default branch.
    *(
        Rule(type_, PROVIDES, "branch@existing", default_branch_of(key), EXISTING)
        for type_, key in (
            (BRANCH, "repository"),
            (REPOSITORY_FILE, "repository"),
            (REPOSITORY_ENVIRONMENT, "repository"),
            (PULL_REQUEST, "baseRepository"),
            (BRANCH_PROTECTION, "repositoryId"),
        )
    ),
    Rule(
        BRANCH,
        ID,
        "",
        "{inputs[repository]}:{inputs[branch]}",
        f"{TF}/resource_github_branch.go:112 buildTwoPartID(repo, branch)",
    ),
    Rule(
        BRANCH,
        DEFAULT,
        "sourceBranch",
        DEFAULT_BRANCH,
        f'{TF}/resource_github_branch.go:37-42 (source_branch default "main")',
    ),
    Rule(
        BRANCH,
        COMPUTED,
        "ref",
        "refs/heads/{inputs[branch]}",
        f"{TF}/resource_github_branch.go:60-64 (ref: computed)",
    ),
    Rule(BRANCH, COMPUTED, "sha", "{hex40}", f"{TF}/resource_github_branch.go:66-70 (sha: computed)"),
    Rule(
        BRANCH,
        COMPUTED,
        "sourceSha",
        "{hex40}",
        f"{TF}/resource_github_branch.go:96 (source_sha: the source branch's head at create)",
    ),
    Rule(BRANCH, COMPUTED, "etag", 'W/"{hex64}"', f"{TF}/resource_github_branch.go (etag: computed)"),
    Rule(
        BRANCH, REPLACES, "sourceBranch", None, f"{TF}/resource_github_branch.go:41 (source_branch: ForceNew)"
    ),
    Rule(BRANCH, REPLACES, "branch", None, f"{TF}/resource_github_branch.go (branch: ForceNew)"),
    Rule(
        BRANCH,
        PROVIDES,
        "branch",
        "{inputs[repository]}:{inputs[branch]}",
        f"{TF}/resource_github_branch.go:102 (CreateRef)",
    ),
    Rule(
        BRANCH,
        REQUIRES,
        "branch",
        "{inputs[repository]}:{inputs[sourceBranch]}",
        f"{TF}/resource_github_branch.go:89-95 (GetRef of the source branch fails when it does not exist)",
    ),
    Rule(
        ISSUE_LABEL,
        ID,
        "",
        "{inputs[repository]}:{inputs[name]}",
        f"{TF}/resource_github_issue_label.go:97 buildID(repo, name)",
    ),
    Rule(
        ISSUE_LABEL,
        COMPUTED,
        "url",
        "https://api.github.com/repos/owner/{inputs[repository]}/labels/{inputs[name]}",
        f"{TF}/resource_github_issue_label.go:102 (url: the API's label URL)",
    ),
    Rule(
        BRANCH_PROTECTION,
        ID,
        "",
        "BPR_kwDO{hex16}",
        f"{TF}/resource_github_branch_protection.go:268 (the GraphQL node ID of the rule)",
    ),
    Rule(
        REPOSITORY_ENVIRONMENT,
        ID,
        "",
        _ENV_KEY,
        f"{TF}/resource_github_repository_environment.go:187 buildID(repo, env)",
    ),
    Rule(
        REPOSITORY_ENVIRONMENT,
        PROVIDES,
        "environment",
        _ENV_KEY,
        f"{TF}/resource_github_repository_environment.go (create)",
    ),
    Rule(
        DEPLOYMENT_POLICY,
        ID,
        "",
        _ENV_KEY + ":{num6}",
        f"{TF}/resource_github_repository_environment_deployment_policy.go:129 buildID(repo, env, policy id)",
    ),
    Rule(
        DEPLOYMENT_POLICY,
        REQUIRES,
        "environment",
        _ENV_KEY,
        f"{REST}/deployments/branch-policies (POST /repos/{{owner}}/{{repo}}/environments/{{environment_name}}/deployment-branch-policies: 404 without the environment)",
    ),
    Rule(
        ACTIONS_ENVIRONMENT_SECRET,
        ID,
        "",
        _ENV_KEY + ":{inputs[secretName]}",
        f"{TF}/resource_github_actions_environment_secret.go:177 buildID(repo, env, name)",
    ),
    Rule(
        ACTIONS_ENVIRONMENT_SECRET,
        COMPUTED,
        "createdAt",
        "2026-01-01 00:00:00 +0000 UTC",
        f"{TF}/resource_github_actions_environment_secret.go (created_at: computed)",
    ),
    Rule(
        ACTIONS_ENVIRONMENT_SECRET,
        COMPUTED,
        "updatedAt",
        "2026-01-01 00:00:00 +0000 UTC",
        f"{TF}/resource_github_actions_environment_secret.go (updated_at: computed)",
    ),
    Rule(
        ACTIONS_ENVIRONMENT_SECRET,
        REQUIRES,
        "environment",
        _ENV_KEY,
        f"{REST}/actions/secrets#create-or-update-an-environment-secret (the environment must exist)",
    ),
    Rule(
        ACTIONS_ENVIRONMENT_VARIABLE,
        ID,
        "",
        _ENV_KEY + ":{inputs[variableName]}",
        f"{TF}/resource_github_actions_environment_variable.go:101 buildID(repo, env, name)",
    ),
    Rule(
        ACTIONS_ENVIRONMENT_VARIABLE,
        REQUIRES,
        "environment",
        _ENV_KEY,
        f"{REST}/actions/variables#create-an-environment-variable (the environment must exist)",
    ),
    Rule(
        REPOSITORY_FILE,
        ID,
        "",
        "{inputs[repository]}/{inputs[file]}",
        f"{TF}/resource_github_repository_file.go:395 buildID(repo, file, branch)",
    ),
    Rule(
        REPOSITORY_FILE,
        COMPUTED,
        "commitSha",
        "{hex40}",
        f"{TF}/resource_github_repository_file.go (commit_sha: computed)",
    ),
    Rule(
        REPOSITORY_FILE,
        COMPUTED,
        "sha",
        "{hex40}",
        f"{TF}/resource_github_repository_file.go (sha: computed blob SHA)",
    ),
    Rule(
        REPOSITORY_FILE,
        REQUIRES,
        "branch",
        file_branch,
        f"{TF}/resource_github_repository_file.go:107-112,193-198 (a missing branch fails unless autocreate_branch)",
    ),
    Rule(
        PULL_REQUEST,
        ID,
        "",
        pull_request_id,
        f"{TF}/resource_github_repository_pull_request.go:172 buildThreePartID(owner, repo, number)",
    ),
    Rule(
        PULL_REQUEST,
        COMPUTED,
        "number",
        "{num3}",
        f"{TF}/resource_github_repository_pull_request.go:236 (number: computed)",
    ),
    Rule(
        PULL_REQUEST,
        COMPUTED,
        "state",
        "open",
        f"{TF}/resource_github_repository_pull_request.go:239 (state: computed)",
    ),
    Rule(
        PULL_REQUEST,
        STORED,
        "maintainerCanModify",
        same_repository_pr,
        f"{TF}/resource_github_repository_pull_request.go:233 reads GitHub's value; {REST}/pulls/pulls (maintainer_can_modify applies to cross-repository pull requests only)",
    ),
    Rule(
        PULL_REQUEST,
        REPLACES,
        "headRef",
        None,
        f"{TF}/resource_github_repository_pull_request.go:52-55 (head_ref: ForceNew)",
    ),
    Rule(
        PULL_REQUEST,
        REPLACES,
        "baseRepository",
        None,
        f"{TF}/resource_github_repository_pull_request.go:41-44 (base_repository: ForceNew)",
    ),
    Rule(
        PULL_REQUEST,
        REQUIRES,
        "branch",
        "{inputs[baseRepository]}:{inputs[headRef]}",
        f"{REST}/pulls/pulls#create-a-pull-request (head must exist)",
    ),
    Rule(
        PULL_REQUEST,
        REQUIRES,
        "branch",
        "{inputs[baseRepository]}:{inputs[baseRef]}",
        f"{REST}/pulls/pulls#create-a-pull-request (base must exist)",
    ),
    Rule(
        DELIVERY_BRANCH,
        ID,
        "",
        "{inputs[owner]}/{inputs[repository]}:{inputs[branch]}",
        f"{DELIVERY} create (CreateResult id)",
    ),
    Rule(
        DELIVERY_BRANCH,
        COMPUTED,
        "commit_sha",
        "{hex40}",
        f"{DELIVERY} create (POST git/commits: the commit with the files)",
    ),
    Rule(
        DELIVERY_BRANCH,
        COMPUTED,
        "base_sha",
        "{hex40}",
        f"{DELIVERY} create (GET git/ref/heads/<base>: the tip it starts from)",
    ),
    Rule(
        DELIVERY_BRANCH,
        COMPUTED,
        "changes_base",
        True,
        f"{DELIVERY} create (the new tree differs from the base's)",
    ),
    *(
        Rule(DELIVERY_BRANCH, REPLACES, key, None, f"{DELIVERY} diff (REPLACE_KEYS)")
        for key in ("owner", "repository", "base", "branch", "files")
    ),
    Rule(
        DELIVERY_BRANCH,
        PROVIDES,
        "branch",
        "{inputs[repository]}:{inputs[branch]}",
        f"{DELIVERY} create (POST git/refs)",
    ),
    Rule(
        DELIVERY_BRANCH,
        REQUIRES,
        "branch",
        "{inputs[repository]}:{inputs[base]}",
        f"{DELIVERY} create (GET git/ref/heads/<base> fails when the base does not exist)",
    ),
)
