"""Workflow delivery over time: the DeliveryBranch dynamic resource driven as the engine drives it.

Each test talks gRPC to the SDK's own dynamic-provider server (tests/dynamic_provider_server.py)
with engine-serialized inputs (the token wrapped as a secret), against the fake GitHub git-data
API (tests/fake_github_api.py). The lifecycle test plays what happens in a real repository:
the stack proposes a revision, a person merges it, GitHub deletes the head branch, the daily
drift check refreshes, and the 2nd and 3rd revisions follow.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import grpc
import pytest

from policies.resource_types import DELIVERY_BRANCH
from providers.github_delivery.resources import DeliveryBranchProvider, content_digest, delivery_branch_name
from tests.dynamic_provider_server import UNKNOWN, DynamicProviderServer, deserialize, secret, serialize, urn
from tests.fake_github_api import FakeGitHubApi

# Built at run time so secret scanners do not mistake the canary for a key.
TOKEN = "github" + "_pat_" + "canary0token0do0not0print0000000000"
REPO = "gstarlink/shopify-esim-system"
DELIVERY = urn(DELIVERY_BRANCH, "oms-repository-workflows")
CI_V1 = "name: ci\non: pull_request\n"
CI_V2 = "name: ci\non: [pull_request, push]\n"
DB_V1 = "name: database\n"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeGitHubApi]:
    with FakeGitHubApi(TOKEN) as api:
        yield api


@pytest.fixture(scope="module")
def server(fake: FakeGitHubApi) -> Iterator[DynamicProviderServer]:
    with DynamicProviderServer({"ESTATE_GITHUB_API_URL": fake.base_url}) as running:
        yield running


@pytest.fixture(autouse=True)
def repository(fake: FakeGitHubApi) -> None:
    fake.repositories.clear()
    fake.requests.clear()
    _ = fake.add_repository(
        REPO, {"README.md": "# OMS\n", "src/app.ts": "export {}\n"}, branches=("main", "staging")
    )


def inputs(files: Mapping[str, object], **overrides: object) -> dict[str, object]:
    return {
        "owner": "gstarlink",
        "repository": "shopify-esim-system",
        "base": "staging",
        "branch": delivery_branch_name(
            "estate/staging-workflows", "staging", {k: str(v) for k, v in files.items()}
        ),
        "files": dict(files),
        "message": "ci: deliver the staging workflows (managed by the estate stack)",
        "token": secret(TOKEN),
        **overrides,
    }


def create(server: DynamicProviderServer, props: dict[str, object]) -> tuple[str, Any]:
    provider = DeliveryBranchProvider()
    checked = server.check(DELIVERY, serialize(provider, {}), serialize(provider, props))
    assert checked.failures == []
    return server.create(DELIVERY, checked.inputs)


def test_create_cuts_the_branch_from_the_base_tip_with_every_file_in_one_commit(
    server: DynamicProviderServer, fake: FakeGitHubApi
) -> None:
    files = {".github/workflows/ci.yml": CI_V1, ".github/workflows/database.yml": DB_V1}
    id_, outputs = create(server, inputs(files))
    branch = delivery_branch_name("estate/staging-workflows", "staging", files)
    assert id_ == f"{REPO}:{branch}"
    repository = fake.repositories[REPO]
    assert repository.files(branch) == {**repository.files("staging"), **files}
    assert repository.commits[repository.refs[branch]]["parents"] == [repository.refs["staging"]]
    recorded = deserialize(outputs)
    assert recorded["commit_sha"] == repository.refs[branch]
    assert recorded["changes_base"] is True
    assert recorded["token"] == secret(TOKEN), "the token stays a secret in the state"


def test_delivery_works_for_the_nth_change_after_merges_and_branch_deletion(
    server: DynamicProviderServer, fake: FakeGitHubApi
) -> None:
    provider = DeliveryBranchProvider()
    repository = fake.repositories[REPO]
    revisions = [
        {".github/workflows/ci.yml": CI_V1},
        {".github/workflows/ci.yml": CI_V2},
        {".github/workflows/ci.yml": CI_V2, ".github/workflows/database.yml": DB_V1},
    ]
    state: tuple[str, Any] | None = None
    for files in revisions:
        news = serialize(provider, inputs(files))
        if state is not None:
            diff = server.diff(DELIVERY, state[0], state[1], news)
            assert (diff.changes, diff.delete_before_replace) == ("some", False)
            assert {"branch", "files"} <= set(diff.replaces), "a new revision is a new branch"
        id_, outputs = create(server, inputs(files))
        if state is not None:
            server.delete(DELIVERY, state[0], state[1])  # the replaced one: its branch is gone already
        branch = id_.split(":", 1)[1]
        assert repository.files(branch) == {**repository.files("staging"), **files}, (
            "each revision starts from the base as merged so far"
        )
        # A person merges the pull request; GitHub deletes the head branch.
        fake.merge(REPO, branch, "staging")
        fake.delete_branch(REPO, branch)
        # The daily drift check: refresh, then diff against the same program.
        read_id, read_outputs, _ = server.read(DELIVERY, id_, outputs)
        assert (read_id, deserialize(read_outputs)) == (id_, deserialize(outputs)), (
            "refresh keeps the delivery"
        )
        assert server.diff(DELIVERY, id_, read_outputs, news).changes == "none", (
            "no drift after merge and deletion"
        )
        state = (id_, outputs)
    assert repository.files("staging")[".github/workflows/database.yml"] == DB_V1
    assert repository.files("staging")[".github/workflows/ci.yml"] == CI_V2


def test_a_superseded_open_branch_is_deleted(server: DynamicProviderServer, fake: FakeGitHubApi) -> None:
    id_, outputs = create(server, inputs({".github/workflows/ci.yml": CI_V1}))
    branch = id_.split(":", 1)[1]
    server.delete(DELIVERY, id_, outputs)
    assert branch not in fake.repositories[REPO].refs


def test_a_left_over_branch_of_the_same_revision_is_taken_over(
    server: DynamicProviderServer, fake: FakeGitHubApi
) -> None:
    files = {".github/workflows/ci.yml": CI_V1}
    repository = fake.repositories[REPO]
    repository.refs[delivery_branch_name("estate/staging-workflows", "staging", files)] = repository.refs[
        "main"
    ]
    id_, _ = create(server, inputs(files))
    assert repository.files(id_.split(":", 1)[1])[".github/workflows/ci.yml"] == CI_V1


def test_a_missing_base_branch_fails_naming_it(server: DynamicProviderServer, fake: FakeGitHubApi) -> None:
    del fake.repositories[REPO].refs["staging"]
    with pytest.raises(grpc.RpcError) as raised:
        _ = create(server, inputs({".github/workflows/ci.yml": CI_V1}))
    assert "has no branch 'staging'" in str(raised.value)


def test_a_rotated_token_updates_in_place(server: DynamicProviderServer) -> None:
    provider = DeliveryBranchProvider()
    files = {".github/workflows/ci.yml": CI_V1}
    id_, outputs = create(server, inputs(files))
    diff = server.diff(
        DELIVERY, id_, outputs, serialize(provider, inputs(files, token=secret("github_pat_new")))
    )
    assert (diff.changes, diff.replaces) == ("some", [])


def test_check_accepts_unknowns_in_preview_and_lists_every_problem(server: DynamicProviderServer) -> None:
    provider = DeliveryBranchProvider()
    files = {".github/workflows/ci.yml": CI_V1}
    preview = server.check(
        DELIVERY, serialize(provider, {}), serialize(provider, inputs(files, token=UNKNOWN))
    )
    assert preview.failures == []
    bad = server.check(
        DELIVERY,
        serialize(provider, {}),
        serialize(provider, inputs({"../x": 1}, branch="staging", owner="")),
    )
    assert {prop for prop, _ in bad.failures} == {"owner", "files", "branch"}


def test_errors_name_the_permission_and_never_show_the_token(
    server: DynamicProviderServer, fake: FakeGitHubApi
) -> None:
    fake.token = "github_pat_another"
    try:
        with pytest.raises(grpc.RpcError) as raised:
            _ = create(server, inputs({".github/workflows/ci.yml": CI_V1}))
    finally:
        fake.token = TOKEN
    message = str(raised.value)
    assert "401" in message and "Workflows" in message
    assert TOKEN not in message


def test_the_branch_name_follows_the_content_only() -> None:
    one = {"a.yml": "x", "b.yml": "y"}
    assert delivery_branch_name("estate/production-workflows", "main", one) == delivery_branch_name(
        "estate/production-workflows", "main", dict(reversed(list(one.items())))
    )
    assert delivery_branch_name("estate/staging-workflows", "staging", one) != delivery_branch_name(
        "estate/staging-workflows", "develop", one
    ), "a new base is a new branch: a replacement never shares its ref with the old one"
    assert content_digest(one) != content_digest({**one, "b.yml": "y\n"})
    assert content_digest(one) != content_digest({"a.yml": "x", "c.yml": "y"})


def test_the_pickled_provider_carries_no_token() -> None:
    import base64

    from estate.sdk_internals import pickle_provider

    provider = DeliveryBranchProvider()
    assert provider.serialize_as_secret_always is False
    pickled = base64.b64decode(pickle_provider(provider))
    assert TOKEN.encode() not in pickled
