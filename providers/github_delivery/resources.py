"""`DeliveryBranch`: one revision of delivered files, committed on a branch of its own.

Why not `github.Branch` + `github.RepositoryFile` (pulumi-github 6.15.0, which bridges
integrations/terraform-provider-github v6.13.0): their reads drop them from the state when the
branch is gone (`resource_github_branch.go` and `resource_github_repository_file.go` read:
404 → `SetId("")`), and GitHub deletes a pull request's head branch after the merge when the
repository says so. The daily `pulumi preview --refresh --expect-no-changes` would then plan to
recreate the branch and its files every day, and a later change would be committed to a branch
whose pull request is already merged, so no new pull request would ever open.

A `DeliveryBranch` is a proposal, not a branch kept in sync: create cuts the branch from the
tip of ``base`` and commits every file in one commit (Git data API: trees, commits, refs);
read keeps the recorded state (the branch being deleted after its merge is the expected end,
not drift); delete removes the branch if it is still there. The branch name is chosen by the
caller and must change with the content and the base (`delivery_branch_name`), so each revision
is a new branch and, through the pull request's ``head_ref`` (ForceNew), a new pull request. A
change of the name, the files, the repository or the base replaces the resource, the new branch
created before the old one is deleted; a new token or message is an in-place update.
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)
from typing_extensions import override

from providers.supabase_management.wire import as_secret, is_unknown, reveal

from .client import GitHubApiError, GitHubClient, base_url_from_environment

# Inputs whose change means a new branch (replace); `token` and `message` are updated in place.
REPLACE_KEYS = ("owner", "repository", "base", "branch", "files")
TEXT_KEYS = ("owner", "repository", "base", "branch", "message")
REGULAR_FILE_MODE = "100644"
# The base's entry in the name's digest: a NUL-prefixed key, which no repository path can be.
BASE_KEY = "\0base"


def content_digest(files: Mapping[str, str]) -> str:
    """A stable SHA-256 of the paths and contents: the same files give the same digest."""
    canonical = json.dumps(sorted(files.items()), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def delivery_branch_name(prefix: str, base: str, files: Mapping[str, str]) -> str:
    """``<prefix>-<12 hex>`` of the base and the files: a new branch for every revision.

    The base is part of it so that every change that replaces a delivery also changes the
    branch name: the replacement (created before the old one is deleted) never shares a ref
    with the branch it supersedes.
    """
    digest = content_digest({BASE_KEY: base, **files})
    return f"{prefix}-{digest[:12]}"


def _check(news: Mapping[str, object]) -> list[CheckFailure]:
    failures: list[CheckFailure] = []
    for key in TEXT_KEYS:
        value = news.get(key)
        if not is_unknown(value) and not (isinstance(value, str) and value):
            failures.append(CheckFailure(key, f"{key} must be a non-empty string, got {value!r}"))
    files = news.get("files")
    if not is_unknown(files):
        if not isinstance(files, Mapping) or not files:
            failures.append(
                CheckFailure("files", "files must map at least one repository path to its content")
            )
        else:
            for path, content in cast("Mapping[object, object]", files).items():
                if not isinstance(path, str) or not path or path.startswith("/") or ".." in path.split("/"):
                    failures.append(
                        CheckFailure("files", f"{path!r} is not a relative path inside the repository")
                    )
                if not is_unknown(content) and not isinstance(content, str):
                    failures.append(CheckFailure("files", f"{path}: content must be text"))
    if news.get("branch") == news.get("base") and isinstance(news.get("base"), str):
        failures.append(
            CheckFailure("branch", "branch must differ from base: the files are proposed to base")
        )
    if not is_unknown(news.get("token")) and not reveal(news.get("token")):
        failures.append(CheckFailure("token", "token is empty; pass the GitHub provider's token"))
    return failures


def _text(props: Mapping[str, object], key: str) -> str:
    value = reveal(props.get(key))
    if not isinstance(value, str):
        raise ValueError(f"DeliveryBranch: {key} must be a string when the provider runs, got {value!r}")
    return value


def _files(props: Mapping[str, object]) -> dict[str, str]:
    return {str(k): str(v) for k, v in cast("Mapping[object, object]", reveal(props.get("files"))).items()}


def _client(props: Mapping[str, object]) -> GitHubClient:
    return GitHubClient(_text(props, "token"), base_url_from_environment(os.environ))


def _heads(branch: str) -> str:
    """``heads/<branch>``, each path segment quoted (branch names may contain ``/``)."""
    return "heads/" + "/".join(urllib.parse.quote(part, safe="") for part in branch.split("/"))


def _get(body: object, *keys: str) -> str:
    value = body
    for key in keys:
        value = cast("Mapping[str, object]", value).get(key) if isinstance(value, Mapping) else None
    if not isinstance(value, str):
        raise GitHubApiError(f"unexpected GitHub answer: no {'.'.join(keys)}")
    return value


class DeliveryBranchProvider(ResourceProvider):
    """Creates the branch with its one commit; see the module docstring for each verb."""

    # Nothing secret is captured (the token is a secret input), so the pickled provider is plain.
    serialize_as_secret_always = False

    @override
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:  # pyright: ignore[reportExplicitAny]
        return CheckResult(news, _check(news))

    @override
    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:  # pyright: ignore[reportExplicitAny]
        olds, news = reveal(_olds), reveal(_news)
        assert isinstance(olds, dict) and isinstance(news, dict)
        replaces = [
            key
            for key in REPLACE_KEYS
            if is_unknown(cast(object, news.get(key))) or olds.get(key) != news.get(key)
        ]
        updates = [key for key in ("token", "message") if olds.get(key) != news.get(key)]
        return DiffResult(
            changes=bool(replaces or updates),
            replaces=replaces,
            stables=[],
            delete_before_replace=False,
        )

    @override
    def create(self, props: dict[str, Any]) -> CreateResult:  # pyright: ignore[reportExplicitAny]
        owner, repository = _text(props, "owner"), _text(props, "repository")
        base, branch = _text(props, "base"), _text(props, "branch")
        client = _client(props)
        repo = f"/repos/{owner}/{repository}"
        try:
            base_sha = _get(client.request("GET", f"{repo}/git/ref/{_heads(base)}"), "object", "sha")
        except GitHubApiError as error:
            if error.status == 404:
                raise GitHubApiError(
                    f"{owner}/{repository} has no branch {base!r} to propose the workflows to; "
                    "the stack creates it from main first (RepositoryGovernance's deploy branch)",
                    404,
                ) from None
            raise
        base_tree = _get(client.request("GET", f"{repo}/git/commits/{base_sha}"), "tree", "sha")
        entries = [
            {"path": path, "mode": REGULAR_FILE_MODE, "type": "blob", "content": content}
            for path, content in sorted(_files(props).items())
        ]
        tree = _get(
            client.request("POST", f"{repo}/git/trees", {"base_tree": base_tree, "tree": entries}), "sha"
        )
        commit = _get(
            client.request(
                "POST",
                f"{repo}/git/commits",
                {"message": _text(props, "message"), "tree": tree, "parents": [base_sha]},
            ),
            "sha",
        )
        try:
            _ = client.request("POST", f"{repo}/git/refs", {"ref": f"refs/heads/{branch}", "sha": commit})
        except GitHubApiError as error:
            if error.status != 422:
                raise
            # A left-over of an interrupted run: the name is this revision's, so take it over.
            _ = client.request("PATCH", f"{repo}/git/refs/{_heads(branch)}", {"sha": commit, "force": True})
        outputs = {
            **props,
            "token": as_secret(props.get("token")),
            "commit_sha": commit,
            "base_sha": base_sha,
            "changes_base": tree != base_tree,
        }
        return CreateResult(f"{owner}/{repository}:{branch}", outputs)

    @override
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:  # pyright: ignore[reportExplicitAny]
        if not props:
            raise ValueError(
                f"DeliveryBranch {id_}: cannot be imported; delete the branch and let the stack propose it again"
            )
        # The branch may be merged and deleted by now: that is the proposal's normal end, not drift.
        return ReadResult(id_, props)

    @override
    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:  # pyright: ignore[reportExplicitAny]
        return UpdateResult(
            {**_olds, "token": as_secret(_news.get("token")), "message": _news.get("message")}
        )

    @override
    def delete(self, _id: str, _props: dict[str, Any]) -> None:  # pyright: ignore[reportExplicitAny]
        owner, repository, branch = (
            _text(_props, "owner"),
            _text(_props, "repository"),
            _text(_props, "branch"),
        )
        try:
            _ = _client(_props).request("DELETE", f"/repos/{owner}/{repository}/git/refs/{_heads(branch)}")
        except GitHubApiError as error:
            # 422 "Reference does not exist" / 404: merged and deleted already, or deleted by hand.
            if error.status not in (404, 422):
                raise


@dataclass(frozen=True)
class DeliveryBranchArgs:
    """Inputs of :class:`DeliveryBranch`.

    ``owner`` / ``repository``: where. ``base``: the branch the files are proposed to; the new
    branch starts at its tip. ``branch``: the new branch's name, which must change whenever
    ``files`` change (see `delivery_branch_name`). ``files``: repository path → content.
    ``message``: the commit message. ``token``: a GitHub token with Contents and Workflows
    write access (kept secret in the state).
    """

    owner: str
    repository: str
    base: str
    branch: str
    files: Mapping[str, str]
    message: str
    token: pulumi.Input[str] = field(repr=False)

    def as_props(self) -> dict[str, object]:
        return {
            "owner": self.owner,
            "repository": self.repository,
            "base": self.base,
            "branch": self.branch,
            "files": dict(self.files),
            "message": self.message,
            "token": pulumi.Output.secret(self.token),
        }


class DeliveryBranch(Resource, module="github", name="DeliveryBranch"):
    """A branch holding one revision of delivered files in one commit (see the module docstring).

    Outputs: ``branch``, ``commit_sha`` (the commit with the files), ``base_sha`` (the tip of
    ``base`` it starts from), ``changes_base`` (False when ``base`` already had these files).
    """

    branch: pulumi.Output[str]
    commit_sha: pulumi.Output[str]
    base_sha: pulumi.Output[str]
    changes_base: pulumi.Output[bool]

    def __init__(
        self, resource_name: str, args: DeliveryBranchArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = args.as_props()
        problems = _check({**props, "token": "checked when the provider runs"})
        if problems:
            raise ValueError(
                f"DeliveryBranch {resource_name}: " + "; ".join(f"{p.property}: {p.reason}" for p in problems)
            )
        secret_outputs = pulumi.ResourceOptions(additional_secret_outputs=["token"])
        super().__init__(
            DeliveryBranchProvider(),
            resource_name,
            {**props, "commit_sha": None, "base_sha": None, "changes_base": None},
            pulumi.ResourceOptions.merge(opts, secret_outputs),
        )
