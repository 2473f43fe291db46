"""`SupabaseProject`: a Supabase project whose lifecycle cannot lose or duplicate a database.

Why not `pulumi_supabase.Project` (LuxChanLu/pulumi-supabase 1.1.2, provider/pkg/provider/
project.go and provider.go): its Diff always answers DIFF_NONE, so name, size and password
edits are silently ignored; Update and Delete return Unimplemented; its read lists the projects
and returns an empty ID on any error or non-200 answer, which the engine takes as "deleted", so
one 401/429/5xx during a refresh drops the database from the state and the next `up` creates a
second one; create returns before the project is up; it sends the deprecated `organization_id`.

This provider, over the Management API (supabase/cli packages/api/src/generated/openapi.json):

* create first adopts a project of the same name in the same organization (so a create that
  failed half-way, or a project made in the dashboard, is never duplicated), else POSTs
  /v1/projects with `organization_slug` and `desired_instance_size`; then it waits until the
  project and its db, pooler, auth and rest services report ACTIVE_HEALTHY before returning, so
  nothing that depends on the project configures it earlier.
* read answers "gone" only when the API says the project does not exist (404, or status
  REMOVED) *and* the token can see the project's organization. 401, 403, 429, 5xx, network
  errors and a 404 the token cannot vouch for fail the refresh instead: the engine then keeps
  the project in the state.
* diff applies every setting: `name` (PATCH /v1/projects/{ref}), `instance_size` (the
  compute_instance add-on, then waits for health again) and `db_pass` (PATCH
  /database/password) update in place; `region` and `organization_slug` cannot change on a
  live project, so they replace it (delete first, so the new one is never mistaken for the old
  by name). Production sets `protect`, so the engine refuses that replacement loudly.
* delete removes the project (staging); a 404 means it is already gone.

`db_pass` is a secret input, kept in state as a secret output (the API cannot read it back).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, cast

import pulumi
from pulumi.dynamic import (
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)
from typing_extensions import override

from .client import ManagementApiClient, ProjectNotFoundError, UnexpectedResponseError
from .resources import InputProblem, check_failures, invalid_inputs_error, plain_inputs, required_text
from .wire import as_secret, is_unknown, reveal

logger = logging.getLogger(__name__)

# V1CreateProjectBody.region in the Management API spec.
PROJECT_REGIONS = (
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ap-east-1",
    "ap-southeast-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-southeast-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-north-1",
    "eu-central-1",
    "eu-central-2",
    "ca-central-1",
    "ap-south-1",
    "sa-east-1",
)
# V1CreateProjectBody.desired_instance_size; the compute_instance add-on variant is "ci_" + size.
INSTANCE_SIZES = (
    "nano",
    "micro",
    "small",
    "medium",
    "large",
    "xlarge",
    "2xlarge",
    "4xlarge",
    "8xlarge",
    "12xlarge",
    "16xlarge",
)
# Supabase backup docs: projects with point-in-time recovery need at least the Small compute add-on.
PITR_MINIMUM_INSTANCE_SIZES = INSTANCE_SIZES[INSTANCE_SIZES.index("small") :]
COMPUTE_ADDON_TYPE = "compute_instance"
ORGANIZATION_SLUG_PATTERN = re.compile(r"^[\w-]+$")
HEALTHY = "ACTIVE_HEALTHY"
GONE_STATUSES = ("REMOVED", "GOING_DOWN")
# The services apps and the other Supabase resources use right after create.
REQUIRED_SERVICES = ("db", "pooler", "auth", "rest")
PROJECT_INPUT_KEYS = ("name", "organization_slug", "region", "instance_size", "db_pass")
REPLACE_KEYS = ("region", "organization_slug")
UPDATE_KEYS = ("name", "instance_size", "db_pass")


def validate_project_inputs(values: Mapping[str, object]) -> list[InputProblem]:
    """Every problem in SupabaseProject inputs (unknown values are skipped)."""
    problems: list[InputProblem] = []

    def known(key: str) -> object | None:
        value = values.get(key)
        return None if is_unknown(value) else (value if value is not None else "")

    name = known("name")
    if name is not None and not (isinstance(name, str) and 0 < len(name) <= 256 and "." not in name):
        problems.append(
            InputProblem("name", name, "use 1 to 256 characters without dots, e.g. 'gstarlink-oms'")
        )
    slug = known("organization_slug")
    if slug is not None and not (isinstance(slug, str) and ORGANIZATION_SLUG_PATTERN.fullmatch(slug)):
        problems.append(
            InputProblem(
                "organization_slug", slug, "use the organization slug from Organization settings > General"
            )
        )
    region = known("region")
    if region is not None and region not in PROJECT_REGIONS:
        problems.append(InputProblem("region", region, f"use one of {', '.join(PROJECT_REGIONS)}"))
    size = known("instance_size")
    if size is not None and size not in INSTANCE_SIZES:
        problems.append(InputProblem("instance_size", size, f"use one of {', '.join(INSTANCE_SIZES)}"))
    password = known("db_pass") if "db_pass" in values else None  # constructors leave the secret out
    if password is not None and not (isinstance(password, str) and len(password) >= 4):
        # The value is a secret: say what is wrong, never what it is.
        problems.append(
            InputProblem("db_pass", "[secret]", "use a generated password of at least 4 characters")
        )
    return problems


@dataclass(frozen=True)
class _Connection:
    """Where apps connect: the direct host and the transaction pooler, as the API reports them."""

    db_host: str
    db_name: str
    pooler_host: str
    pooler_port: int
    pooler_user: str


class SupabaseProjectProvider(ResourceProvider):
    """CRUD for /v1/projects with health waits and a read that never mistakes an outage for deletion."""

    serialize_as_secret_always: bool = False
    poll_interval_seconds: float
    health_timeout_seconds: float

    def __init__(self, poll_interval_seconds: float = 10.0, health_timeout_seconds: float = 1800.0) -> None:
        super().__init__()
        # Pickled with the provider: these are settings, not state.
        self.poll_interval_seconds = poll_interval_seconds
        self.health_timeout_seconds = health_timeout_seconds

    @override
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:  # pyright: ignore[reportExplicitAny]
        return CheckResult(news, check_failures(validate_project_inputs(plain_inputs(news))))

    @override
    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:  # pyright: ignore[reportExplicitAny]
        olds, news = plain_inputs(_olds), plain_inputs(_news)
        changed = [
            key for key in PROJECT_INPUT_KEYS if is_unknown(news.get(key)) or olds.get(key) != news.get(key)
        ]
        replaces = [key for key in changed if key in REPLACE_KEYS]
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=True)

    @override
    def create(self, props: dict[str, Any]) -> CreateResult:  # pyright: ignore[reportExplicitAny]
        inputs = self._validated(props)
        client = ManagementApiClient.from_environment()
        existing = _find_by_name(
            client, required_text(inputs, "organization_slug"), required_text(inputs, "name")
        )
        if existing is not None:
            ref = required_text(existing, "ref")
            if existing.get("region") != inputs["region"]:
                raise ValueError(
                    f"organization '{inputs['organization_slug']}' already has a project named "
                    + f"'{inputs['name']}' ({ref}) in {existing.get('region')}, not {inputs['region']}: "
                    + "rename or delete that project in the dashboard, or declare its region"
                )
            logger.warning("adopting the existing Supabase project %s (%s)", inputs["name"], ref)
            self._wait_healthy(client, ref)
            client.update_database_password(ref, required_text(inputs, "db_pass"))
            _apply_instance_size(client, ref, required_text(inputs, "instance_size"))
        else:
            created = client.create_project(
                {
                    "name": inputs["name"],
                    "organization_slug": inputs["organization_slug"],
                    "region": inputs["region"],
                    "desired_instance_size": inputs["instance_size"],
                },
                required_text(inputs, "db_pass"),
            )
            ref = required_text(created, "ref")
        self._wait_healthy(client, ref)
        return CreateResult(ref, self._outputs(client, ref, inputs))

    @override
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:  # pyright: ignore[reportExplicitAny]
        prior = plain_inputs(props)
        client = ManagementApiClient.from_environment()
        try:
            project = client.get_project(id_)
        except ProjectNotFoundError:
            return _gone_or_raise(client, id_, prior)
        if project.get("status") in GONE_STATUSES:
            return _gone_or_raise(client, id_, prior, confirmed=True)
        size = _live_instance_size(client, id_) or prior.get("instance_size")
        inputs: dict[str, object] = {
            "name": project.get("name"),
            "organization_slug": project.get("organization_slug") or prior.get("organization_slug"),
            "region": project.get("region"),
            "instance_size": size,
        }
        if "db_pass" in prior:
            inputs["db_pass"] = prior["db_pass"]  # write-only in the API: what was last applied
        outputs = self._outputs(client, id_, inputs, status=project.get("status"))
        return ReadResult(id_, outputs, _secret_password(inputs))

    @override
    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:  # pyright: ignore[reportExplicitAny]
        olds, news = plain_inputs(_olds), self._validated(_news)
        for key in REPLACE_KEYS:
            if olds.get(key) != news.get(key):  # diff replaces these; never reached through the engine
                raise ValueError(
                    f"{key} of project {_id} cannot change in place: the project must be replaced"
                )
        client = ManagementApiClient.from_environment()
        if olds.get("name") != news["name"]:
            client.rename_project(_id, required_text(news, "name"))
        if olds.get("db_pass") != news["db_pass"]:
            client.update_database_password(_id, required_text(news, "db_pass"))
        if olds.get("instance_size") != news["instance_size"]:
            _apply_instance_size(client, _id, required_text(news, "instance_size"))
            self._wait_healthy(client, _id)  # a resize restarts the database
        return UpdateResult(self._outputs(client, _id, news))

    @override
    def delete(self, _id: str, _props: dict[str, Any]) -> None:  # pyright: ignore[reportExplicitAny]
        """Deletes the project with its database and backups. Production never gets here: it is
        `protect`ed (the engine refuses) and `retain_on_delete` (the engine skips this call)."""
        try:
            ManagementApiClient.from_environment().delete_project(_id)
        except ProjectNotFoundError:
            logger.info("Supabase project %s was already deleted", _id)

    # --- helpers -------------------------------------------------------------------------------

    def _validated(self, props: Mapping[str, object]) -> dict[str, object]:
        inputs = plain_inputs(props)
        problems = validate_project_inputs(inputs)
        if problems:
            raise invalid_inputs_error("SupabaseProject", str(inputs.get("name")), problems)
        return inputs

    def _wait_healthy(self, client: ManagementApiClient, ref: str) -> None:
        """Polls until the project and REQUIRED_SERVICES are ACTIVE_HEALTHY, or fails after the timeout."""
        deadline = time.monotonic() + self.health_timeout_seconds
        while True:
            status = client.get_project(ref).get("status")
            unhealthy: list[str] = []
            if status == HEALTHY:
                health = client.services_health(ref, REQUIRED_SERVICES)
                seen = {str(entry.get("name")): entry.get("status") for entry in health}
                unhealthy = [service for service in REQUIRED_SERVICES if seen.get(service) != HEALTHY]
                if not unhealthy:
                    return
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"Supabase project {ref} is not healthy after {self.health_timeout_seconds:.0f} s "
                    + f"(status {status}; services not ready: {', '.join(unhealthy) or 'all'}). Check "
                    + f"https://supabase.com/dashboard/project/{ref}, then run `pulumi up` again: create "
                    + "adopts the project by name instead of making a second one"
                )
            _sleep(self.poll_interval_seconds)

    def _outputs(
        self, client: ManagementApiClient, ref: str, inputs: Mapping[str, object], status: object = HEALTHY
    ) -> dict[str, object]:
        connection = _connection(client, ref)
        outputs: dict[str, object] = {
            **{key: inputs.get(key) for key in PROJECT_INPUT_KEYS if key in inputs},
            "project_ref": ref,
            "status": status,
            "db_host": connection.db_host,
            "db_name": connection.db_name,
            "pooler_host": connection.pooler_host,
            "pooler_port": connection.pooler_port,
            "pooler_user": connection.pooler_user,
        }
        return _secret_password(outputs)


def _sleep(seconds: float) -> None:
    """Waits between health polls; tests replace this module attribute."""
    time.sleep(seconds)


def _secret_password(values: Mapping[str, object]) -> dict[str, object]:
    return {key: as_secret(reveal(value)) if key == "db_pass" else value for key, value in values.items()}


def _find_by_name(client: ManagementApiClient, organization_slug: str, name: str) -> dict[str, object] | None:
    for project in client.list_projects():
        if (
            project.get("organization_slug") == organization_slug
            and project.get("name") == name
            and project.get("status") not in GONE_STATUSES
        ):
            return project
    return None


def _gone_or_raise(
    client: ManagementApiClient, ref: str, prior: Mapping[str, object], confirmed: bool = False
) -> ReadResult:
    """ "Gone" only when the token can see the project's organization; otherwise the read fails."""
    slug = prior.get("organization_slug")
    if confirmed or (isinstance(slug, str) and client.get_organization(slug) is not None):
        logger.warning("Supabase project %s no longer exists", ref)
        return ReadResult("", {})
    raise ProjectNotFoundError(
        f"Supabase project '{ref}' was not found, and the token in SUPABASE_ACCESS_TOKEN cannot see "
        + f"its organization '{slug}', so this may be the wrong account rather than a deleted project. "
        + "The project stays in the state. Use a token of an account in that organization; if the "
        + "project really was deleted, run `pulumi state delete <urn>`.",
        404,
    )


def _live_instance_size(client: ManagementApiClient, ref: str) -> str | None:
    for addon in client.list_selected_addons(ref):
        if addon.addon_type == COMPUTE_ADDON_TYPE and addon.variant.startswith("ci_"):
            return addon.variant.removeprefix("ci_")
    return None


def _apply_instance_size(client: ManagementApiClient, ref: str, size: str) -> None:
    if _live_instance_size(client, ref) != size:
        client.apply_addon(ref, COMPUTE_ADDON_TYPE, f"ci_{size}")


def _connection(client: ManagementApiClient, ref: str) -> _Connection:
    project = client.get_project(ref)
    database = project.get("database")
    db_host = database.get("host") if isinstance(database, dict) else None
    poolers = [entry for entry in client.pooler_config(ref) if entry.get("database_type") == "PRIMARY"]
    # Prefer the transaction-mode pooler: serverless functions open a connection per request.
    poolers.sort(key=lambda entry: entry.get("pool_mode") != "transaction")
    if not isinstance(db_host, str) or not poolers:
        raise UnexpectedResponseError(f"project {ref} reports no database host or no primary pooler")
    pooler = poolers[0]
    host, port, user, name = (pooler.get(key) for key in ("db_host", "db_port", "db_user", "db_name"))
    if (
        not isinstance(host, str)
        or not isinstance(port, int)
        or not isinstance(user, str)
        or not isinstance(name, str)
    ):
        raise UnexpectedResponseError(
            f"the pooler config of project {ref} lacks db_host, db_port, db_user or db_name"
        )
    return _Connection(db_host=db_host, db_name=name, pooler_host=host, pooler_port=port, pooler_user=user)


# --- the resource ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SupabaseProjectArgs:
    """Inputs of SupabaseProject.

    ``name``: the project's name, unique in its organization (create adopts a project of that
    name). ``organization_slug``: the organization that owns and bills it (its plan applies).
    ``region``: where it runs; changing it replaces the project. ``instance_size``: the compute
    size (``micro``, ``small``, ...; point-in-time recovery needs ``small`` or larger).
    ``db_pass``: the database password; changing it updates the password in place.
    """

    name: pulumi.Input[str]
    organization_slug: pulumi.Input[str]
    region: pulumi.Input[str]
    instance_size: pulumi.Input[str]
    db_pass: pulumi.Input[str]

    def as_props(self) -> dict[str, object]:
        return {
            "name": self.name,
            "organization_slug": self.organization_slug,
            "region": self.region,
            "instance_size": self.instance_size,
            "db_pass": pulumi.Output.secret(self.db_pass),
        }


class SupabaseProject(Resource, module="supabase", name="Project"):
    """A Supabase project (ID: its ref). See the module docstring for the lifecycle rules."""

    _output_keys: ClassVar[tuple[str, ...]] = (
        "project_ref",
        "status",
        "db_host",
        "db_name",
        "pooler_host",
        "pooler_port",
        "pooler_user",
    )

    def __init__(
        self,
        resource_name: str,
        args: SupabaseProjectArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = args.as_props()
        problems = validate_project_inputs({k: v for k, v in props.items() if k != "db_pass"})
        if problems:
            raise invalid_inputs_error("SupabaseProject", resource_name, problems)
        super().__init__(
            SupabaseProjectProvider(),
            resource_name,
            {**props, **dict.fromkeys(SupabaseProject._output_keys)},
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["db_pass"])),
        )

    @property
    def project_ref(self) -> pulumi.Output[str]:
        """The 20-letter project ref (also the resource ID): ``https://<ref>.supabase.co``."""
        return cast("pulumi.Output[str]", self.__dict__["project_ref"])

    @property
    def status(self) -> pulumi.Output[str]:
        """The project's status when last created, updated or refreshed (``ACTIVE_HEALTHY``)."""
        return cast("pulumi.Output[str]", self.__dict__["status"])

    @property
    def db_host(self) -> pulumi.Output[str]:
        """The direct database host ``db.<ref>.supabase.co`` (IPv6 only)."""
        return cast("pulumi.Output[str]", self.__dict__["db_host"])

    @property
    def db_name(self) -> pulumi.Output[str]:
        """The database name (``postgres``)."""
        return cast("pulumi.Output[str]", self.__dict__["db_name"])

    @property
    def pooler_host(self) -> pulumi.Output[str]:
        """The transaction pooler's host (IPv4 and IPv6), e.g. ``aws-0-<region>.pooler.supabase.com``."""
        return cast("pulumi.Output[str]", self.__dict__["pooler_host"])

    @property
    def pooler_port(self) -> pulumi.Output[int]:
        """The transaction pooler's port (6543)."""
        return cast("pulumi.Output[int]", self.__dict__["pooler_port"])

    @property
    def pooler_user(self) -> pulumi.Output[str]:
        """The user the pooler expects: ``postgres.<ref>``."""
        return cast("pulumi.Output[str]", self.__dict__["pooler_user"])
