"""A small, stdlib-only client for the GitHub REST endpoints that workflow delivery uses.

The token is handed in by the caller (the dynamic provider reads it from its secret input); the
base URL comes from ESTATE_GITHUB_API_URL (default https://api.github.com; the tests point it at
tests/fake_github_api.py), read when a client is built. Failures become `GitHubApiError` with a
message that says what to do, never containing the token; 5xx and 429 answers are retried a few
times with a short backoff.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from http.client import HTTPResponse
from typing import cast, final

BASE_URL_ENV_VAR = "ESTATE_GITHUB_API_URL"
DEFAULT_BASE_URL = "https://api.github.com"
# https://docs.github.com/en/rest/about-the-rest-api/api-versions
API_VERSION = "2022-11-28"
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_ATTEMPTS = 3
REDACTED = "[REDACTED]"

# What the token needs, phrased for errors (docs/pipeline.md lists the same permissions).
PERMISSIONS = (
    "a fine-grained token of the repository's owner with Contents and Workflows: read and write "
    "(Workflows because the delivered files are under .github/workflows)"
)


def _wait(seconds: float) -> None:
    """Sleeps between retries; tests replace this module attribute to keep backoff instant."""
    time.sleep(seconds)


class GitHubApiError(Exception):
    """A request GitHub refused or could not answer; the message is already redacted."""

    status: int | None
    reason: str

    def __init__(self, message: str, status: int | None = None, reason: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


def base_url_from_environment(environ: Mapping[str, str]) -> str:
    url = environ.get(BASE_URL_ENV_VAR) or DEFAULT_BASE_URL
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme != "https" and not (parsed.scheme == "http" and parsed.hostname in _LOOPBACK_HOSTS):
        raise GitHubApiError(
            f"{BASE_URL_ENV_VAR}={url!r} would send the token without TLS; use https:// "
            f"(plain http only for a local test server), or unset it for {DEFAULT_BASE_URL}"
        )
    return url.rstrip("/")


@final
class GitHubClient:
    """JSON over HTTPS with a bearer token; `request` returns the decoded body (None for 204)."""

    def __init__(self, token: str, base_url: str) -> None:
        if not token:
            raise GitHubApiError(
                f"no GitHub token given; the estate hands the provider's token ({PERMISSIONS})"
            )
        self._token = token
        self._base_url = base_url

    def __repr__(self) -> str:
        return f"GitHubClient(base_url={self._base_url!r}, token={REDACTED})"

    def request(self, method: str, path: str, body: Mapping[str, object] | None = None) -> object:
        data = json.dumps(body).encode() if body is not None else None
        for attempt in range(1, _ATTEMPTS + 1):
            request = urllib.request.Request(
                self._base_url + path,
                data=data,
                method=method,
                headers={
                    "Authorization": f"Bearer {self._token}",
                    "Accept": "application/vnd.github+json",
                    "X-GitHub-Api-Version": API_VERSION,
                    "User-Agent": "estate-workflow-delivery",
                    **({"Content-Type": "application/json"} if data is not None else {}),
                },
            )
            try:
                with cast(HTTPResponse, urllib.request.urlopen(request, timeout=30)) as response:
                    raw = response.read()
                    return cast(object, json.loads(raw)) if raw else None
            except urllib.error.HTTPError as error:
                status = error.code
                reason = self._reason(error)
                if (status >= 500 or status == 429) and attempt < _ATTEMPTS:
                    _wait(2.0 ** (attempt - 1))
                    continue
                raise GitHubApiError(self._describe(method, path, status, reason), status, reason) from None
            except (urllib.error.URLError, TimeoutError) as error:
                if attempt < _ATTEMPTS:
                    _wait(2.0 ** (attempt - 1))
                    continue
                raise GitHubApiError(
                    self._redact(f"{method} {path}: GitHub did not answer ({error})")
                ) from None
        raise AssertionError("unreachable")

    def _reason(self, error: urllib.error.HTTPError) -> str:
        try:
            body = cast(object, json.loads(error.read(4096) or b"{}"))
        except (ValueError, OSError):
            return ""
        message = body.get("message") if isinstance(body, dict) else None
        return self._redact(str(cast(object, message))[:300]) if message else ""

    def _describe(self, method: str, path: str, status: int, reason: str) -> str:
        said = f" (GitHub: {reason})" if reason else ""
        if status == 401:
            return f"{method} {path}: 401, GitHub rejected the token{said}; set a valid one ({PERMISSIONS})"
        if status == 403:
            return f"{method} {path}: 403, the token may not do this{said}; it needs {PERMISSIONS}"
        if status == 404:
            return f"{method} {path}: 404, not found or not visible to the token{said}"
        return self._redact(f"{method} {path}: {status}{said}")

    def _redact(self, text: str) -> str:
        return text.replace(self._token, REDACTED) if self._token else text
