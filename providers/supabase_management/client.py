"""A small, stdlib-only client for the Supabase Management API (https://api.supabase.com).

The personal access token comes from the environment variable SUPABASE_ACCESS_TOKEN and the
base URL from SUPABASE_API_URL (default https://api.supabase.com; the tests point it at
tests/fake_supabase_api.py). Both are read when a client is built, which the dynamic providers do
at operation time, so the token is never a resource input and never lands in Pulumi state.

Failures become `SupabaseApiError` subclasses whose messages say what to do:
401 names the token variable, 403 names the permissions the token lacks, 404 names the project
ref, and 429 / 5xx / network errors are retried with bounded exponential backoff (honouring
Retry-After) before failing. Every message and log line is passed through `redact`, so neither
the token nor a project API key echoed back by the server ever leaves this module.
"""

from __future__ import annotations

import email.utils
import json
import logging
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.client import HTTPMessage, HTTPResponse
from typing import cast, final

from typing_extensions import override

TOKEN_ENV_VAR = "SUPABASE_ACCESS_TOKEN"
BASE_URL_ENV_VAR = "SUPABASE_API_URL"
DEFAULT_BASE_URL = "https://api.supabase.com"
TOKEN_PAGE_URL = "https://supabase.com/dashboard/account/tokens"

# Supabase project refs are the 20 lowercase characters in https://<ref>.supabase.co.
PROJECT_REF_PATTERN = re.compile(r"^[a-z0-9]{20}$")

_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_MAX_ERROR_BODY_BYTES = 4096
_MAX_QUOTED_SERVER_TEXT = 300
REDACTED = "[REDACTED]"

# Shapes of secrets that may appear in server text even when we do not know the exact value:
# legacy anon/service_role keys are JWTs, new keys and access tokens have fixed prefixes.
_SECRET_SHAPES = (
    re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"),
    re.compile(r"sb_secret_[A-Za-z0-9_-]+"),
    re.compile(r"sbp_[A-Za-z0-9_-]+"),
    re.compile(r"(?i)bearer\s+\S+"),
)

logger = logging.getLogger(__name__)


def redact(text: str, known_secrets: Iterable[str] = ()) -> str:
    """Returns `text` with every known secret value and every secret-shaped string replaced."""
    for secret in sorted((s for s in known_secrets if s), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    for shape in _SECRET_SHAPES:
        text = shape.sub(REDACTED, text)
    return text


def _wait(seconds: float) -> None:
    """Sleeps between retries; tests replace this module attribute to keep backoff instant."""
    time.sleep(seconds)


@dataclass(frozen=True)
class Permission:
    """What a Management API call needs from the token, phrased for error messages."""

    action: str
    fine_grained: tuple[str, ...]
    oauth_scope: str | None = None

    def describe(self) -> str:
        needed = "A fine-grained token needs the permission " + " and ".join(self.fine_grained)
        if self.oauth_scope:
            needed += f" (OAuth scope {self.oauth_scope})"
        return (
            needed
            + "; a classic token acts with your account's role, which must allow this in the project's organization"
        )


AUTH_CONFIG_READ = Permission("read the auth settings", ("auth_config_read",), "auth:read")
AUTH_CONFIG_WRITE = Permission(
    "change the auth settings", ("auth_config_write", "project_admin_write"), "auth:write"
)
ADDONS_READ = Permission("read the billing add-ons", ("infra_add_ons_read",))
ADDONS_WRITE = Permission("change the billing add-ons", ("infra_add_ons_write",))
PROJECTS_READ = Permission("list the projects", ("projects_read",), "projects:read")
PROJECT_CREATE = Permission("create projects", ("organization_projects_create",), "projects:write")
PROJECT_READ = Permission("read the project and its health", ("project_admin_read",), "projects:read")
PROJECT_WRITE = Permission("rename or delete the project", ("project_admin_write",), "projects:write")
DATABASE_PASSWORD_WRITE = Permission(
    "change the database password", ("database_config_write",), "database:write"
)
POOLER_READ = Permission(
    "read the connection pooler settings", ("database_pooling_config_read",), "database:read"
)
ORGANIZATION_READ = Permission("read the organization", ("organization_admin_read",), "organizations:read")
API_KEYS_READ = Permission(
    "read the project API keys", ("api_gateway_keys_read", "api_gateway_keys_secret_read"), "secrets:read"
)


class SupabaseApiError(Exception):
    """Base of every error this client raises; the message is already redacted."""

    status: int | None

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class MissingTokenError(SupabaseApiError):
    """SUPABASE_ACCESS_TOKEN is unset or empty."""


class InvalidBaseUrlError(SupabaseApiError):
    """SUPABASE_API_URL is not a usable URL, or would send the token over plain HTTP."""


class AuthenticationError(SupabaseApiError):
    """401: the token is wrong, expired or revoked."""


class PermissionDeniedError(SupabaseApiError):
    """403: the token is valid but lacks the permission for this call."""


class ProjectNotFoundError(SupabaseApiError):
    """404: no project with this ref is visible to the token."""


class RateLimitedError(SupabaseApiError):
    """429 on every attempt, or a Retry-After longer than the client will wait."""


class ServerError(SupabaseApiError):
    """5xx on every attempt."""


class RequestRejectedError(SupabaseApiError):
    """Any other 4xx: Supabase refused the request as sent (e.g. PITR on a Free-plan project)."""


class TransportError(SupabaseApiError):
    """The API could not be reached on any attempt (DNS, connection, timeout)."""


class UnexpectedResponseError(SupabaseApiError):
    """The API answered 2xx with a body this client does not understand."""


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds the retries of 429, 5xx and network failures: at most `max_attempts` calls."""

    max_attempts: int = 5
    initial_delay_seconds: float = 1.0
    max_delay_seconds: float = 30.0
    # A Retry-After longer than this fails at once instead of blocking `pulumi up` for minutes.
    max_retry_after_seconds: float = 60.0

    def backoff_seconds(self, failed_attempt: int) -> float:
        """Delay after the `failed_attempt`-th attempt (1-based): 1 s, 2 s, 4 s ... capped."""
        growth: float = 2.0 ** (failed_attempt - 1)
        return min(self.initial_delay_seconds * growth, self.max_delay_seconds)


@dataclass(frozen=True)
class SelectedAddon:
    """One entry of `selected_addons` in GET /v1/projects/{ref}/billing/addons."""

    addon_type: str
    variant: str


@dataclass(frozen=True)
class ApiKey:
    """One entry of GET /v1/projects/{ref}/api-keys; `repr` never shows the key itself."""

    name: str
    key_type: str | None
    api_key: str = field(repr=False)


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """Turns 3xx into errors: following one could hand the bearer token to another host."""

    @override
    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: object,
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        return None


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), or None."""
    if value is None or not value.strip():
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def check_project_ref(project_ref: str) -> str:
    """Returns the ref if it has the shape of a Supabase project ref, else raises ValueError."""
    if not PROJECT_REF_PATTERN.fullmatch(project_ref):
        raise ValueError(
            f"project_ref={project_ref!r} is not a Supabase project ref: use the 20 lowercase "
            + "letters/digits from the project URL https://<ref>.supabase.co (Project Settings > General)"
        )
    return project_ref


def _base_url_from(raw: str) -> str:
    parsed = urllib.parse.urlsplit(raw.strip())
    host = parsed.hostname or ""
    if parsed.scheme not in ("http", "https") or not host:
        raise InvalidBaseUrlError(
            f"{BASE_URL_ENV_VAR}={raw!r} is not an http(s) URL: unset it to use {DEFAULT_BASE_URL}, "
            + "or set it to e.g. http://127.0.0.1:8080 for a local fake"
        )
    if parsed.scheme == "http" and host not in _LOOPBACK_HOSTS:
        raise InvalidBaseUrlError(
            f"{BASE_URL_ENV_VAR}={raw!r} uses plain http to a non-local host, which would send the "
            + f"token in clear text: use https, or unset it to use {DEFAULT_BASE_URL}"
        )
    return f"{parsed.scheme}://{parsed.netloc}{parsed.path.rstrip('/')}"


@final
class ManagementApiClient:
    """Calls the Management API endpoints the dynamic providers need, with retries and redaction."""

    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] | None = None,
        timeout_seconds: float = 30.0,
    ) -> None:
        if not token.strip():
            raise MissingTokenError(_missing_token_message())
        self._token = token.strip()
        self._base_url = _base_url_from(base_url)
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._timeout_seconds = timeout_seconds
        self._opener = urllib.request.build_opener(_RefuseRedirects())
        # Secrets seen in responses (API keys) are redacted from later messages too.
        self._seen_secrets: set[str] = set()

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> ManagementApiClient:
        """Builds a client from SUPABASE_ACCESS_TOKEN and SUPABASE_API_URL."""
        env = os.environ if environ is None else environ
        token = env.get(TOKEN_ENV_VAR, "")
        if not token.strip():
            raise MissingTokenError(_missing_token_message())
        return cls(token, env.get(BASE_URL_ENV_VAR) or DEFAULT_BASE_URL)

    @override
    def __repr__(self) -> str:
        return f"ManagementApiClient(base_url={self._base_url!r}, token={REDACTED})"

    # --- endpoints -------------------------------------------------------------------------

    def get_auth_config(self, project_ref: str) -> dict[str, object]:
        """GET /v1/projects/{ref}/config/auth."""
        body = self._request("GET", project_ref, "/config/auth", AUTH_CONFIG_READ)
        return _expect_object(body, "GET", self._path(project_ref, "/config/auth"))

    def update_auth_config(self, project_ref: str, changes: Mapping[str, object]) -> dict[str, object]:
        """PATCH /v1/projects/{ref}/config/auth with only the given fields; returns the new config."""
        body = self._request("PATCH", project_ref, "/config/auth", AUTH_CONFIG_WRITE, body=dict(changes))
        return _expect_object(body, "PATCH", self._path(project_ref, "/config/auth"))

    def list_selected_addons(self, project_ref: str) -> list[SelectedAddon]:
        """GET /v1/projects/{ref}/billing/addons, reduced to the add-ons currently applied."""
        path = self._path(project_ref, "/billing/addons")
        body = _expect_object(self._request("GET", project_ref, "/billing/addons", ADDONS_READ), "GET", path)
        selected = body.get("selected_addons")
        if _as_list(selected) is None:
            raise UnexpectedResponseError(f"GET {path} returned no 'selected_addons' list")
        addons: list[SelectedAddon] = []
        for entry in _as_list(selected) or []:
            fields = _as_mapping(entry) or {}
            addon_type = fields.get("type")
            variant_id = (_as_mapping(fields.get("variant")) or {}).get("id")
            if not isinstance(addon_type, str) or not isinstance(variant_id, str):
                raise UnexpectedResponseError(
                    f"GET {path} returned a selected add-on without 'type' and 'variant.id'"
                )
            addons.append(SelectedAddon(addon_type, variant_id))
        return addons

    def apply_addon(self, project_ref: str, addon_type: str, variant: str) -> None:
        """PATCH /v1/projects/{ref}/billing/addons: selects `variant` for `addon_type`."""
        _ = self._request(
            "PATCH",
            project_ref,
            "/billing/addons",
            ADDONS_WRITE,
            body={"addon_type": addon_type, "addon_variant": variant},
        )

    def remove_addon(self, project_ref: str, variant: str) -> None:
        """DELETE /v1/projects/{ref}/billing/addons/{variant}."""
        _ = self._request(
            "DELETE", project_ref, f"/billing/addons/{urllib.parse.quote(variant, safe='')}", ADDONS_WRITE
        )

    def list_api_keys(self, project_ref: str) -> list[ApiKey]:
        """GET /v1/projects/{ref}/api-keys?reveal=true (reveal shows new-style secret keys in full)."""
        path = self._path(project_ref, "/api-keys")
        body = self._request("GET", project_ref, "/api-keys", API_KEYS_READ, query={"reveal": "true"})
        entries = _as_list(body)
        if entries is None:
            raise UnexpectedResponseError(f"GET {path} did not return a list of keys")
        keys: list[ApiKey] = []
        for entry in entries:
            fields = _as_mapping(entry) or {}
            name, value, key_type = fields.get("name"), fields.get("api_key"), fields.get("type")
            if not isinstance(name, str) or not isinstance(value, str):
                raise UnexpectedResponseError(f"GET {path} returned a key without 'name' and 'api_key'")
            self._seen_secrets.add(value)
            keys.append(ApiKey(name, key_type if isinstance(key_type, str) else None, value))
        return keys

    def list_projects(self) -> list[dict[str, object]]:
        """GET /v1/projects: every project the token can see, in every organization."""
        body = self._request("GET", "", "", PROJECTS_READ, path="/v1/projects")
        entries = _as_list(body)
        if entries is None:
            raise UnexpectedResponseError("GET /v1/projects did not return a list of projects")
        return [_as_mapping(entry) or {} for entry in entries]

    def create_project(self, body: Mapping[str, object], db_pass: str) -> dict[str, object]:
        """POST /v1/projects. Never retried on 5xx or network errors: the first attempt may have
        created the project, and a retry would create a second one (429 is safe to retry)."""
        self._seen_secrets.add(db_pass)
        answer = self._request(
            "POST",
            "",
            "",
            PROJECT_CREATE,
            path="/v1/projects",
            body={**body, "db_pass": db_pass},
            idempotent=False,
        )
        return _expect_object(answer, "POST", "/v1/projects")

    def get_project(self, project_ref: str) -> dict[str, object]:
        """GET /v1/projects/{ref}."""
        return _expect_object(
            self._request("GET", project_ref, "", PROJECT_READ), "GET", self._path(project_ref, "")
        )

    def rename_project(self, project_ref: str, name: str) -> None:
        """PATCH /v1/projects/{ref} with the new name."""
        _ = self._request("PATCH", project_ref, "", PROJECT_WRITE, body={"name": name})

    def delete_project(self, project_ref: str) -> None:
        """DELETE /v1/projects/{ref}: the project, its database and its backups."""
        _ = self._request("DELETE", project_ref, "", PROJECT_WRITE)

    def services_health(self, project_ref: str, services: Iterable[str]) -> list[dict[str, object]]:
        """GET /v1/projects/{ref}/health?services=...: one entry per service with its `status`."""
        query = [("services", service) for service in services]
        body = self._request("GET", project_ref, "/health", PROJECT_READ, query=query)
        entries = _as_list(body)
        if entries is None:
            raise UnexpectedResponseError(f"GET {self._path(project_ref, '/health')} did not return a list")
        return [_as_mapping(entry) or {} for entry in entries]

    def update_database_password(self, project_ref: str, password: str) -> None:
        """PATCH /v1/projects/{ref}/database/password."""
        self._seen_secrets.add(password)
        _ = self._request(
            "PATCH", project_ref, "/database/password", DATABASE_PASSWORD_WRITE, body={"password": password}
        )

    def pooler_config(self, project_ref: str) -> list[dict[str, object]]:
        """GET /v1/projects/{ref}/config/database/pooler: the Supavisor pooler(s) of the project."""
        body = self._request("GET", project_ref, "/config/database/pooler", POOLER_READ)
        entries = _as_list(body)
        if entries is None:
            raise UnexpectedResponseError(
                f"GET {self._path(project_ref, '/config/database/pooler')} did not return a list"
            )
        return [_as_mapping(entry) or {} for entry in entries]

    def get_organization(self, slug: str) -> dict[str, object] | None:
        """GET /v1/organizations/{slug}, or None when the token cannot see it (404)."""
        path = f"/v1/organizations/{urllib.parse.quote(slug, safe='')}"
        try:
            body = self._request("GET", "", "", ORGANIZATION_READ, path=path)
        except ProjectNotFoundError:
            return None
        return _expect_object(body, "GET", path)

    # --- transport -------------------------------------------------------------------------

    def _path(self, project_ref: str, suffix: str) -> str:
        return f"/v1/projects/{check_project_ref(project_ref)}{suffix}"

    def _redact(self, text: str) -> str:
        return redact(text, [self._token, *self._seen_secrets])

    def _request(
        self,
        method: str,
        project_ref: str,
        suffix: str,
        permission: Permission,
        *,
        body: dict[str, object] | None = None,
        query: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
        path: str | None = None,
        idempotent: bool = True,
    ) -> object:
        path = path if path is not None else self._path(project_ref, suffix)
        url = self._base_url + path + (f"?{urllib.parse.urlencode(query)}" if query else "")
        data = None if body is None else json.dumps(body).encode("utf-8")
        policy = self._retry
        for attempt in range(1, policy.max_attempts + 1):
            request = urllib.request.Request(url, data=data, method=method)
            request.add_header("Accept", "application/json")
            request.add_header("User-Agent", "web-estate-pulumi-supabase-management/1")
            if data is not None:
                request.add_header("Content-Type", "application/json")
            # Unredirected: never copied onto a follow-up request, should a redirect ever be followed.
            request.add_unredirected_header("Authorization", f"Bearer {self._token}")
            last_attempt = attempt == policy.max_attempts
            try:
                response = cast(HTTPResponse, self._opener.open(request, timeout=self._timeout_seconds))
                with response:
                    raw = response.read()
                return self._decode(raw, method, path)
            except urllib.error.HTTPError as error:
                status = error.code
                server_text = _read_error_body(error)
                retry_after = parse_retry_after(error.headers.get("Retry-After"))
                error.close()
                retryable = status == 429 or (status >= 500 and idempotent)
                if not retryable:
                    raise self._error_for_status(
                        status, method, path, project_ref, permission, server_text
                    ) from None
                if status == 429 and retry_after is not None and retry_after > policy.max_retry_after_seconds:
                    raise RateLimitedError(
                        f"Supabase Management API rate-limited {method} {path} (HTTP 429) and asked to wait "
                        + f"{retry_after:.0f} s, longer than the {policy.max_retry_after_seconds:.0f} s this "
                        + "provider waits: wait that long, then run the command again",
                        status,
                    ) from None
                if last_attempt:
                    raise self._exhausted_error(status, method, path, attempt, server_text) from None
                delay = retry_after if retry_after is not None else policy.backoff_seconds(attempt)
                logger.warning(
                    "Supabase Management API answered HTTP %d to %s %s; retrying in %.1f s (attempt %d of %d)",
                    status,
                    method,
                    path,
                    delay,
                    attempt + 1,
                    policy.max_attempts,
                )
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                reason = error.reason if isinstance(error, urllib.error.URLError) else error
                if last_attempt or not idempotent:
                    raise TransportError(
                        self._redact(
                            f"Could not reach the Supabase Management API at {self._base_url} for "
                            + f"{method} {path} after {attempt} attempts ({reason}): check the network, "
                            + f"or {BASE_URL_ENV_VAR} if it is set"
                        )
                    ) from None
                delay = policy.backoff_seconds(attempt)
                logger.warning(
                    "Supabase Management API unreachable for %s %s (%s); retrying in %.1f s (attempt %d of %d)",
                    method,
                    path,
                    self._redact(str(reason)),
                    delay,
                    attempt + 1,
                    policy.max_attempts,
                )
            (self._sleep or _wait)(delay)
        raise AssertionError("unreachable: the retry loop returns or raises")  # pragma: no cover

    def _decode(self, raw: bytes, method: str, path: str) -> object:
        if not raw.strip():
            return None
        try:
            return _parse_json(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            excerpt = self._redact(raw[:120].decode("utf-8", "replace"))
            raise UnexpectedResponseError(
                f"{method} {path} returned a body that is not JSON: {excerpt!r}"
            ) from None

    def _server_said(self, server_text: str) -> str:
        message = server_text
        try:
            parsed = _as_mapping(_parse_json(server_text)) or {}
            for key in ("message", "error", "msg"):
                value = parsed.get(key)
                if isinstance(value, str) and value:
                    message = value
                    break
        except json.JSONDecodeError:
            pass
        message = self._redact(" ".join(message.split()))
        if len(message) > _MAX_QUOTED_SERVER_TEXT:
            message = message[:_MAX_QUOTED_SERVER_TEXT] + "..."
        return f" Supabase said: {message!r}" if message else ""

    def _error_for_status(
        self,
        status: int,
        method: str,
        path: str,
        project_ref: str,
        permission: Permission,
        server_text: str,
    ) -> SupabaseApiError:
        said = self._server_said(server_text)
        where = f"{method} {path} (HTTP {status})"
        if status >= 500:
            return ServerError(
                f"Supabase Management API failed {where} and the request was not retried, because a "
                + "retry could repeat it (a project create could make a second project). Run the "
                + f"command again: creating a project first adopts one of the same name.{said}",
                status,
            )
        if status == 401:
            return AuthenticationError(
                f"Supabase Management API rejected the token in {TOKEN_ENV_VAR}: {where}. The token is "
                + f"wrong, expired or revoked: create a personal access token at {TOKEN_PAGE_URL} and "
                + f"export it as {TOKEN_ENV_VAR}.{said}",
                status,
            )
        if status == 403:
            return PermissionDeniedError(
                f"The token in {TOKEN_ENV_VAR} may not {permission.action} of project '{project_ref}': "
                + f"{where}. {permission.describe()}. Create a token with that access at "
                + f"{TOKEN_PAGE_URL}.{said}",
                status,
            )
        if status == 404:
            return ProjectNotFoundError(
                f"Supabase project '{project_ref}' was not found: {where}. Check project_ref: it is the "
                + "20-character ref in https://<ref>.supabase.co, and the account behind "
                + f"{TOKEN_ENV_VAR} must belong to the project's organization.{said}",
                status,
            )
        return RequestRejectedError(
            f"Supabase Management API refused {where} for project '{project_ref}'.{said}", status
        )

    def _exhausted_error(
        self, status: int, method: str, path: str, attempts: int, server_text: str
    ) -> SupabaseApiError:
        said = self._server_said(server_text)
        if status == 429:
            return RateLimitedError(
                f"Supabase Management API kept rate-limiting {method} {path} (HTTP 429) for {attempts} "
                + "attempts. The limit is per account: wait a minute, then run again with fewer "
                + f"parallel operations (pulumi up --parallel 2).{said}",
                status,
            )
        return ServerError(
            f"Supabase Management API failed {method} {path} with HTTP {status} on {attempts} attempts. "
            + f"Supabase may be having an incident (https://status.supabase.com): retry later.{said}",
            status,
        )


def _read_error_body(error: urllib.error.HTTPError) -> str:
    try:
        return error.read(_MAX_ERROR_BODY_BYTES).decode("utf-8", "replace")
    except (OSError, ValueError):
        return ""


def _parse_json(raw: str | bytes) -> object:
    return cast(object, json.loads(raw))


def _as_mapping(value: object) -> dict[str, object] | None:
    """The value as a str-keyed dict if it is a JSON object, else None."""
    if not isinstance(value, dict):
        return None
    return {str(key): item for key, item in cast("dict[object, object]", value).items()}


def _as_list(value: object) -> list[object] | None:
    """The value as a list if it is a JSON array, else None."""
    return list(cast("list[object]", value)) if isinstance(value, list) else None


def _expect_object(body: object, method: str, path: str) -> dict[str, object]:
    mapping = _as_mapping(body)
    if mapping is None:
        raise UnexpectedResponseError(f"{method} {path} did not return a JSON object")
    return mapping


def _missing_token_message() -> str:
    return (
        f"{TOKEN_ENV_VAR} is not set: the Supabase dynamic provider reads a Management API personal "
        + f"access token from it when it runs. Create one at {TOKEN_PAGE_URL} and "
        + f"`export {TOKEN_ENV_VAR}=...` before pulumi up / refresh / destroy (preview does not need it)."
    )
