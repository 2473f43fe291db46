"""A local, in-memory fake of the GitHub git-data endpoints that workflow delivery uses.

Serves on 127.0.0.1 (ephemeral port) with `http.server.ThreadingHTTPServer`, one repository per
``owner/name`` it is given:

    GET    /repos/{o}/{r}/git/ref/heads/{branch}     404 {"message": "Not Found"} when missing
    GET    /repos/{o}/{r}/git/commits/{sha}
    POST   /repos/{o}/{r}/git/trees                  base_tree + entries with inline content
    POST   /repos/{o}/{r}/git/commits
    POST   /repos/{o}/{r}/git/refs                   422 "Reference already exists"
    PATCH  /repos/{o}/{r}/git/refs/heads/{branch}    {sha, force}
    DELETE /repos/{o}/{r}/git/refs/heads/{branch}    204; 422 "Reference does not exist"

Shapes and status codes follow https://docs.github.com/en/rest/git (refs, trees, commits); the
422 messages are GitHub's (terraform-provider-github's `resource_github_branch.go` matches
"422 Reference already exists"). A tree is a flat path → content map, its SHA the hash of that
map, so identical trees have identical SHAs as in git. It checks the bearer token (401) and
records every request without its Authorization header. `merge` and `delete_branch` play the
part of a person merging the pull request and GitHub deleting its head branch.
"""

from __future__ import annotations

import hashlib
import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import cast


def _sha(*parts: str) -> str:
    return hashlib.sha1("\0".join(parts).encode()).hexdigest()


@dataclass
class FakeRepository:
    refs: dict[str, str] = field(default_factory=dict)
    commits: dict[str, dict[str, object]] = field(default_factory=dict)
    trees: dict[str, dict[str, str]] = field(default_factory=dict)

    def add_tree(self, files: dict[str, str]) -> str:
        sha = _sha("tree", json.dumps(sorted(files.items())))
        self.trees[sha] = dict(files)
        return sha

    def add_commit(self, tree: str, parents: list[str], message: str) -> str:
        sha = _sha("commit", tree, *parents, message, str(len(self.commits)))
        self.commits[sha] = {"tree": tree, "parents": parents, "message": message}
        return sha

    def files(self, branch: str) -> dict[str, str]:
        return dict(self.trees[str(self.commits[self.refs[branch]]["tree"])])


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    body: object


class FakeGitHubApi:
    """The fake server; `repositories["owner/name"]` is the state tests arrange and inspect."""

    def __init__(self, token: str) -> None:
        self.token: str = token
        self.repositories: dict[str, FakeRepository] = {}
        self.requests: list[RecordedRequest] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def add_repository(
        self, full_name: str, files: dict[str, str], branches: tuple[str, ...] = ("main",)
    ) -> FakeRepository:
        repository = FakeRepository()
        root = repository.add_commit(repository.add_tree(files), [], "initial commit")
        for branch in branches:
            repository.refs[branch] = root
        self.repositories[full_name] = repository
        return repository

    def merge(self, full_name: str, head: str, base: str) -> None:
        """Merges ``head`` into ``base`` as a squash merge: ``base`` gets head's changes in one commit."""
        repository = self.repositories[full_name]
        merged = {**repository.files(base), **repository.files(head)}
        repository.refs[base] = repository.add_commit(
            repository.add_tree(merged), [repository.refs[base]], f"Merge {head}"
        )

    def delete_branch(self, full_name: str, branch: str) -> None:
        del self.repositories[full_name].refs[branch]

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeGitHubApi:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def _answer(self, status: int, body: object | None) -> None:
                raw = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                _ = self.wfile.write(raw)

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = cast(object, json.loads(self.rfile.read(length))) if length else None
                path = urllib.parse.urlparse(self.path).path
                api.requests.append(RecordedRequest(method, path, body))
                if self.headers.get("Authorization") != f"Bearer {api.token}":
                    return self._answer(401, {"message": "Bad credentials"})
                status, answer = api.route(method, path, body)
                self._answer(status, answer)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_PATCH(self) -> None:
                self._handle("PATCH")

            def do_DELETE(self) -> None:
                self._handle("DELETE")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # __exit__ waits for the loop's next poll (every 0.5 s by default): poll often, so teardown is quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.005}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def route(self, method: str, path: str, body: object) -> tuple[int, object | None]:
        not_found = (404, {"message": "Not Found"})
        parts = [urllib.parse.unquote(p) for p in path.strip("/").split("/")]
        if len(parts) < 5 or parts[0] != "repos" or parts[3] != "git":
            return not_found
        repository = self.repositories.get(f"{parts[1]}/{parts[2]}")
        if repository is None:
            return not_found
        kind, rest = parts[4], parts[5:]
        data = cast("dict[str, object]", body) if isinstance(body, dict) else {}
        if kind == "ref" and method == "GET" and rest[:1] == ["heads"]:
            branch = "/".join(rest[1:])
            if branch not in repository.refs:
                return not_found
            return 200, {
                "ref": f"refs/heads/{branch}",
                "object": {"type": "commit", "sha": repository.refs[branch]},
            }
        if kind == "commits" and method == "GET" and len(rest) == 1:
            commit = repository.commits.get(rest[0])
            if commit is None:
                return not_found
            parents = cast("list[str]", commit["parents"])
            return 200, {
                "sha": rest[0],
                "tree": {"sha": commit["tree"]},
                "message": commit["message"],
                "parents": [{"sha": p} for p in parents],
            }
        if kind == "trees" and method == "POST":
            base = repository.trees.get(str(data.get("base_tree")), {})
            files = dict(base)
            for entry in cast("list[dict[str, str]]", data.get("tree") or []):
                if entry.get("type") != "blob" or entry.get("mode") != "100644" or "content" not in entry:
                    return 422, {"message": "Invalid tree info"}
                files[entry["path"]] = entry["content"]
            return 201, {"sha": repository.add_tree(files)}
        if kind == "commits" and method == "POST":
            tree, parents = str(data.get("tree")), cast("list[str]", data.get("parents") or [])
            if tree not in repository.trees or any(p not in repository.commits for p in parents):
                return 422, {"message": "Tree SHA does not exist"}
            return 201, {"sha": repository.add_commit(tree, parents, str(data.get("message")))}
        if kind == "refs" and method == "POST" and not rest:
            ref, sha = str(data.get("ref")), str(data.get("sha"))
            branch = ref.removeprefix("refs/heads/")
            if branch in repository.refs:
                return 422, {"message": "Reference already exists"}
            if sha not in repository.commits:
                return 422, {"message": "Object does not exist"}
            repository.refs[branch] = sha
            return 201, {"ref": ref, "object": {"type": "commit", "sha": sha}}
        if kind == "refs" and rest[:1] == ["heads"] and method in ("PATCH", "DELETE"):
            branch = "/".join(rest[1:])
            if branch not in repository.refs:
                return 422, {"message": "Reference does not exist"}
            if method == "DELETE":
                del repository.refs[branch]
                return 204, None
            repository.refs[branch] = str(data.get("sha"))
            return 200, {
                "ref": f"refs/heads/{branch}",
                "object": {"type": "commit", "sha": repository.refs[branch]},
            }
        return not_found
