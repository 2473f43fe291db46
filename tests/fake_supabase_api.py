"""A local, in-memory fake of the Supabase Management API endpoints the dynamic providers use.

Serves on 127.0.0.1 (ephemeral port) with `http.server.ThreadingHTTPServer`:

    GET/PATCH  /v1/projects/{ref}/config/auth
    GET/PATCH  /v1/projects/{ref}/billing/addons
    DELETE     /v1/projects/{ref}/billing/addons/{variant}
    GET        /v1/projects/{ref}/api-keys[?reveal=true]
    GET/POST   /v1/projects
    GET/PATCH/DELETE /v1/projects/{ref}
    GET        /v1/projects/{ref}/health?services=...
    PATCH      /v1/projects/{ref}/database/password
    GET        /v1/projects/{ref}/config/database/pooler
    GET        /v1/organizations/{slug}

Request and response shapes follow the Management API reference. It checks the bearer token
(401), can deny fine-grained permissions (403), answers unknown refs with 404, rejects PATCH
fields or types the real API would not accept (400), and can inject failures for the next N
calls (`fail_next`). Every request is recorded, without its Authorization header. Use it as a
context manager (or start()/stop()) so the server thread always shuts down.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import cast

from typing_extensions import override

ADDON_VARIANTS: dict[str, tuple[str, ...]] = {
    "pitr": ("pitr_7", "pitr_14", "pitr_28"),
    "compute_instance": ("ci_nano", "ci_micro", "ci_small", "ci_medium", "ci_large", "ci_xlarge"),
    "custom_domain": ("cd_default",),
    "ipv4": ("ipv4_default",),
}
PITR_DAYS = {"pitr_7": 7, "pitr_14": 14, "pitr_28": 28}


def default_auth_config() -> dict[str, object]:
    """A realistic subset of GET /config/auth, including fields that hold secrets."""
    return {
        "site_url": "http://localhost:3000",
        "uri_allow_list": "",
        "disable_signup": False,
        "mailer_autoconfirm": False,
        "password_min_length": 6,
        "external_email_enabled": True,
        "jwt_exp": 3600,
        "refresh_token_rotation_enabled": True,
        "smtp_admin_email": None,
        "smtp_pass": None,
        "external_google_enabled": False,
        "external_google_secret": None,
    }


def _variant_body(variant: str) -> dict[str, object]:
    days = PITR_DAYS.get(variant)
    return {
        "id": variant,
        "name": f"{days} days" if days else variant,
        "price": {"description": "monthly", "type": "fixed", "interval": "monthly", "amount": 100},
    }


# V1CreateProjectBody: additionalProperties is false, so anything else is a 400.
CREATE_PROJECT_FIELDS = frozenset(
    {
        "db_pass",
        "name",
        "organization_id",
        "organization_slug",
        "plan",
        "region",
        "region_selection",
        "kps_enabled",
        "desired_instance_size",
        "template_url",
    }
)
# Compute sizes that satisfy the PITR add-on (Supabase docs: PITR needs at least Small compute).
PITR_COMPUTE = ("ci_small", "ci_medium", "ci_large", "ci_xlarge")


@dataclass
class FakeProject:
    """The state one project has in the fake."""

    ref: str
    plan: str = "pro"
    auth: dict[str, object] = field(default_factory=default_auth_config)
    addons: dict[str, str] = field(default_factory=dict)  # addon type -> variant id
    api_keys: list[dict[str, object]] = field(default_factory=list)
    name: str = "existing"
    organization_slug: str = "test-org"
    region: str = "eu-central-1"
    status: str = "ACTIVE_HEALTHY"
    db_password: str = ""
    # Project GETs still answering COMING_UP before the project turns healthy.
    coming_up_polls: int = 0

    def body(self) -> dict[str, object]:
        """V1ProjectWithDatabaseResponse."""
        return {
            "id": self.ref,
            "ref": self.ref,
            "organization_id": self.organization_slug,
            "organization_slug": self.organization_slug,
            "name": self.name,
            "region": self.region,
            "created_at": "2026-01-01T00:00:00.000Z",
            "status": self.status,
            "database": {
                "host": f"db.{self.ref}.supabase.co",
                "version": "17.4.1",
                "postgres_engine": "17",
                "release_channel": "ga",
            },
        }


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received (the Authorization header is deliberately not kept)."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: object


@dataclass
class _InjectedFailure:
    status: int
    remaining: int
    retry_after: str | None
    body: str | None
    location: str | None


def legacy_keys(anon_key: str, service_role_key: str) -> list[dict[str, object]]:
    """The two legacy JWT keys as GET /api-keys lists them."""
    return [
        {"name": "anon", "api_key": anon_key, "id": "anon", "type": "legacy", "description": None},
        {"name": "service_role", "api_key": service_role_key, "id": "service_role", "type": "legacy"},
    ]


def new_style_keys(publishable_key: str, secret_key: str) -> list[dict[str, object]]:
    """A publishable and a secret key; GET without reveal=true masks the secret one."""
    return [
        {"name": "default", "api_key": publishable_key, "id": "pub-1", "type": "publishable"},
        {"name": "default", "api_key": secret_key, "id": "sec-1", "type": "secret"},
    ]


class FakeSupabaseApi:
    """The fake server plus the knobs tests turn; thread-safe."""

    def __init__(self, token: str) -> None:
        self.token: str = token
        self.projects: dict[str, FakeProject] = {}
        self.requests: list[RecordedRequest] = []
        self.denied_permissions: set[str] = set()
        self.organizations: set[str] = {"test-org"}
        # Health polls a newly created project answers COMING_UP before it is healthy.
        self.coming_up_polls: int = 1
        self._created: int = 0
        self._failures: list[_InjectedFailure] = []
        self._lock: threading.Lock = threading.Lock()
        self._server: _FakeServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeSupabaseApi:
        server = _FakeServer(self)
        self._server = server
        # stop() waits for the loop's next poll: a short interval keeps per-test fakes from idling in teardown.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.005}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeSupabaseApi:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake Supabase API is not running: call start() first")
        host, port = cast(tuple[str, int], self._server.server_address[:2])
        return f"http://{host}:{port}"

    # --- knobs -----------------------------------------------------------------------------

    def add_project(
        self, ref: str, *, plan: str = "pro", api_keys: list[dict[str, object]] | None = None
    ) -> FakeProject:
        project = FakeProject(ref=ref, plan=plan, api_keys=list(api_keys or []))
        with self._lock:
            self.projects[ref] = project
        return project

    def fail_next(
        self,
        status: int,
        times: int = 1,
        *,
        retry_after: str | None = None,
        body: str | None = None,
        location: str | None = None,
    ) -> None:
        """Answers the next `times` requests with `status` (before any other check)."""
        with self._lock:
            self._failures.append(_InjectedFailure(status, times, retry_after, body, location))

    def clear_failures(self) -> None:
        """Drops injected failures not yet served."""
        with self._lock:
            self._failures.clear()

    def calls(self, method: str | None = None) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if method is None or r.method == method]

    # --- request handling (called from server threads) -------------------------------------

    def handle(
        self, method: str, raw_path: str, authorization: str | None, body: bytes
    ) -> tuple[int, dict[str, str], object]:
        parsed = urllib.parse.urlsplit(raw_path)
        query = urllib.parse.parse_qs(parsed.query)
        try:
            payload: object = json.loads(body) if body else None
        except json.JSONDecodeError:
            payload = "<not json>"
        with self._lock:
            self.requests.append(RecordedRequest(method, parsed.path, query, payload))
            failure = self._take_failure()
            if failure is not None:
                headers: dict[str, str] = {}
                if failure.retry_after is not None:
                    headers["Retry-After"] = failure.retry_after
                if failure.location is not None:
                    headers["Location"] = failure.location
                text = (
                    failure.body
                    if failure.body is not None
                    else json.dumps({"message": f"injected {failure.status}"})
                )
                return failure.status, headers, _Raw(text)
            if authorization != f"Bearer {self.token}":
                return 401, {}, {"message": "Unauthorized"}
            return self._route(method, parsed.path, query, payload)

    def _take_failure(self) -> _InjectedFailure | None:
        if not self._failures:
            return None
        failure = self._failures[0]
        failure.remaining -= 1
        if failure.remaining <= 0:
            _ = self._failures.pop(0)
        return failure

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], payload: object
    ) -> tuple[int, dict[str, str], object]:
        parts = path.strip("/").split("/")
        if parts[:2] == ["v1", "organizations"] and len(parts) == 3 and method == "GET":
            if parts[2] not in self.organizations:
                return 404, {}, {"message": "Organization not found"}
            return self._guarded("organization_admin_read") or (
                200,
                {},
                {"id": parts[2], "name": parts[2], "plan": "pro"},
            )
        if parts == ["v1", "projects"] and method == "GET":
            return self._guarded("projects_read") or (200, {}, [p.body() for p in self.projects.values()])
        if parts == ["v1", "projects"] and method == "POST":
            return self._guarded("organization_projects_create") or self._create_project(payload)
        if len(parts) < 3 or parts[:2] != ["v1", "projects"]:
            return 404, {}, {"message": f"Cannot {method} {path}"}
        ref, rest = parts[2], parts[3:]
        project = self.projects.get(ref)
        if project is None:
            return 404, {}, {"message": "Project not found"}
        if rest == [] and method == "GET":
            if project.coming_up_polls > 0:
                project.coming_up_polls -= 1
                if project.coming_up_polls == 0:
                    project.status = "ACTIVE_HEALTHY"
            return self._guarded("project_admin_read") or (200, {}, project.body())
        if rest == [] and method == "PATCH":
            return self._guarded("project_admin_write") or self._rename(project, payload)
        if rest == [] and method == "DELETE":
            if self._guarded("project_admin_write"):
                return 403, {}, {"message": "forbidden"}
            del self.projects[ref]
            return 200, {}, {"id": ref, "ref": ref, "name": project.name}
        if rest == ["health"] and method == "GET":
            services = query.get("services", [])
            status = "ACTIVE_HEALTHY" if project.status == "ACTIVE_HEALTHY" else "COMING_UP"
            return self._guarded("project_admin_read") or (
                200,
                {},
                [{"name": s, "healthy": status == "ACTIVE_HEALTHY", "status": status} for s in services],
            )
        if rest == ["database", "password"] and method == "PATCH":
            fields = payload if isinstance(payload, dict) else {}
            password = cast(dict[str, object], fields).get("password")
            if not isinstance(password, str) or len(password) < 4:
                return 400, {}, {"message": "password must be a string of at least 4 characters"}
            project.db_password = password
            return self._guarded("database_config_write") or (200, {}, {"message": "ok"})
        if rest == ["config", "database", "pooler"] and method == "GET":
            return self._guarded("database_pooling_config_read") or (200, {}, [self._pooler_body(project)])
        if rest == ["config", "auth"] and method == "GET":
            return self._guarded("auth_config_read") or (200, {}, dict(project.auth))
        if rest == ["config", "auth"] and method == "PATCH":
            return self._guarded("auth_config_write") or self._patch_auth(project, payload)
        if rest == ["billing", "addons"] and method == "GET":
            return self._guarded("infra_add_ons_read") or (200, {}, self._addons_body(project))
        if rest == ["billing", "addons"] and method == "PATCH":
            return self._guarded("infra_add_ons_write") or self._apply_addon(project, payload)
        if len(rest) == 3 and rest[:2] == ["billing", "addons"] and method == "DELETE":
            return self._guarded("infra_add_ons_write") or self._remove_addon(project, rest[2])
        if rest == ["api-keys"] and method == "GET":
            reveal = query.get("reveal", ["false"])[0].lower() in ("true", "1", "yes", "on", "y", "enabled")
            needed = ["api_gateway_keys_read"] + (["api_gateway_keys_secret_read"] if reveal else [])
            return self._guarded(*needed) or (200, {}, self._keys_body(project, reveal))
        return 404, {}, {"message": f"Cannot {method} {path}"}

    def _create_project(self, payload: object) -> tuple[int, dict[str, str], object]:
        fields = (
            {str(k): v for k, v in cast(dict[object, object], payload).items()}
            if isinstance(payload, dict)
            else {}
        )
        unknown = sorted(set(fields) - CREATE_PROJECT_FIELDS)
        if unknown:
            return 400, {}, {"message": f"property {unknown[0]} should not exist"}
        missing = [
            key for key in ("db_pass", "name", "organization_slug") if not isinstance(fields.get(key), str)
        ]
        if missing:
            return 400, {}, {"message": f"{missing[0]} is required"}
        slug = str(fields["organization_slug"])
        if slug not in self.organizations:
            return 404, {}, {"message": "Organization not found"}
        size = fields.get("desired_instance_size")
        self._created += 1
        ref = "".join(chr(ord("a") + (self._created * 7 + i * 3) % 26) for i in range(20))
        project = FakeProject(
            ref=ref,
            name=str(fields["name"]),
            organization_slug=slug,
            region=str(fields.get("region") or "us-east-1"),
            status="COMING_UP",
            db_password=str(fields["db_pass"]),
            coming_up_polls=self.coming_up_polls,
            addons={"compute_instance": f"ci_{size}" if isinstance(size, str) else "ci_micro"},
        )
        if project.coming_up_polls == 0:
            project.status = "ACTIVE_HEALTHY"
        self.projects[ref] = project
        body = project.body()
        del body["database"]
        return 201, {}, body

    def _rename(self, project: FakeProject, payload: object) -> tuple[int, dict[str, str], object]:
        name = cast(dict[str, object], payload).get("name") if isinstance(payload, dict) else None
        if not isinstance(name, str) or not name:
            return 400, {}, {"message": "name is required"}
        project.name = name
        return 200, {}, {"id": project.ref, "ref": project.ref, "name": name}

    def _pooler_body(self, project: FakeProject) -> dict[str, object]:
        # Supabase connection docs: the shared (Supavisor) transaction pooler is
        # aws-0-<region>.pooler.supabase.com:6543 with user postgres.<ref>.
        host = f"aws-0-{project.region}.pooler.supabase.com"
        user = f"postgres.{project.ref}"
        uri = f"postgresql://{user}:[YOUR-PASSWORD]@{host}:6543/postgres"
        return {
            "identifier": project.ref,
            "database_type": "PRIMARY",
            "is_using_scram_auth": True,
            "db_user": user,
            "db_host": host,
            "db_port": 6543,
            "db_name": "postgres",
            "connection_string": uri,
            "connectionString": uri,
            "default_pool_size": 15,
            "max_client_conn": 200,
            "pool_mode": "transaction",
        }

    def _guarded(self, *permissions: str) -> tuple[int, dict[str, str], object] | None:
        if self.denied_permissions.intersection(permissions):
            return (
                403,
                {},
                {"message": "Your account does not have the necessary privileges to access this endpoint."},
            )
        return None

    def _patch_auth(self, project: FakeProject, payload: object) -> tuple[int, dict[str, str], object]:
        if not isinstance(payload, dict) or not payload:
            return 400, {}, {"message": "Body must be a non-empty JSON object"}
        changes = {str(k): v for k, v in cast(dict[object, object], payload).items()}
        for key, value in changes.items():
            if key not in project.auth:
                return 400, {}, {"message": f"property {key} should not exist"}
            current = project.auth[key]
            if current is not None and value is not None and type(value) is not type(current):
                return 400, {}, {"message": f"{key} must be a {type(current).__name__}"}
        project.auth.update(changes)
        return 200, {}, dict(project.auth)

    def _addons_body(self, project: FakeProject) -> dict[str, object]:
        return {
            "selected_addons": [
                {"type": addon_type, "variant": _variant_body(variant)}
                for addon_type, variant in project.addons.items()
            ],
            "available_addons": [
                {"type": addon_type, "name": addon_type, "variants": [_variant_body(v) for v in variants]}
                for addon_type, variants in ADDON_VARIANTS.items()
            ],
        }

    def _apply_addon(self, project: FakeProject, payload: object) -> tuple[int, dict[str, str], object]:
        fields = (
            {str(k): v for k, v in cast(dict[object, object], payload).items()}
            if isinstance(payload, dict)
            else {}
        )
        addon_type, variant = fields.get("addon_type"), fields.get("addon_variant")
        if not isinstance(addon_type, str) or addon_type not in ADDON_VARIANTS:
            return 400, {}, {"message": "addon_type must be one of " + ", ".join(ADDON_VARIANTS)}
        if not isinstance(variant, str) or variant not in ADDON_VARIANTS[addon_type]:
            return 400, {}, {"message": f"addon_variant is not a {addon_type} variant"}
        if addon_type == "pitr" and (
            project.plan == "free" or project.addons.get("compute_instance") not in PITR_COMPUTE
        ):
            return (
                400,
                {},
                {"message": "Point in time recovery requires a paid plan and at least Small compute"},
            )
        project.addons[addon_type] = variant
        return 200, {}, {}

    def _remove_addon(self, project: FakeProject, variant: str) -> tuple[int, dict[str, str], object]:
        for addon_type, selected in list(project.addons.items()):
            if selected == variant:
                del project.addons[addon_type]
                return 200, {}, {}
        return 400, {}, {"message": f"Addon variant {variant} is not applied to this project"}

    def _keys_body(self, project: FakeProject, reveal: bool) -> list[dict[str, object]]:
        keys: list[dict[str, object]] = []
        for key in project.api_keys:
            shown = dict(key)
            value = shown.get("api_key")
            if shown.get("type") == "secret" and not reveal and isinstance(value, str):
                shown["api_key"] = value[:14] + "·" * 8
            keys.append(shown)
        return keys


@dataclass(frozen=True)
class _Raw:
    """A response body sent verbatim (injected failures may echo anything, even non-JSON)."""

    text: str


class _FakeServer(ThreadingHTTPServer):
    """Binds 127.0.0.1 on an ephemeral port and carries the fake its handlers consult."""

    daemon_threads: bool = True

    def __init__(self, fake: FakeSupabaseApi) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake: FakeSupabaseApi = fake


class _Handler(BaseHTTPRequestHandler):
    protocol_version: str = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fake = cast(_FakeServer, self.server).fake
        status, headers, payload = fake.handle(
            self.command, self.path, self.headers.get("Authorization"), body
        )
        text = payload.text if isinstance(payload, _Raw) else json.dumps(payload)
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        _ = self.wfile.write(data)

    def do_GET(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    @override
    def log_message(self, format: str, *args: object) -> None:
        """Silent: request lines would clutter pytest output (headers are never logged)."""
