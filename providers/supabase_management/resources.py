"""Pulumi dynamic resources for Supabase project settings that pulumi_supabase does not cover.

* `SupabaseAuthSettings`: site URL, redirect allow-list and a few sign-up/password settings.
* `SupabasePointInTimeRecovery`: the PITR billing add-on (`pitr_7`, `pitr_14`, `pitr_28`).
* `SupabaseProjectApiKeys`: read-only; the project URL and its anon / service_role keys as secrets.

Every resource's ID is the project ref, so at most one of each type may target a project.
The providers hold no state: each operation builds a `ManagementApiClient` from the environment
(SUPABASE_ACCESS_TOKEN, SUPABASE_API_URL) in the provider process, so the pickled provider that
Pulumi stores in `__provider` carries neither the token nor an open socket.

`pulumi import` cannot import Python dynamic resources (the engine sends no inputs, so the
serialized provider is missing: pulumi/pulumi#16175). Existing settings are adopted instead:
creating `SupabaseAuthSettings` or `SupabasePointInTimeRecovery` for a project that already has
settings takes them over in place, and `get()` on each class reads the live values without
managing them. `read` (used by refresh and `get`) works from the ID alone.
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, cast

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

from .client import PROJECT_REF_PATTERN, ApiKey, ManagementApiClient, UnexpectedResponseError
from .wire import is_unknown, reveal, whole_number

logger = logging.getLogger(__name__)

PITR_ADDON_TYPE = "pitr"
PITR_VARIANTS = ("pitr_7", "pitr_14", "pitr_28")
# GoTrue refuses passwords shorter than 6; bcrypt ignores bytes past 72.
MIN_PASSWORD_LENGTH = 6
MAX_PASSWORD_LENGTH = 72
DEFAULT_PASSWORD_MIN_LENGTH = 10

# --- input validation ---------------------------------------------------------------------


@dataclass(frozen=True)
class InputProblem:
    """One bad input: which key, the value given, and how to fix it."""

    key: str
    value: object
    fix: str

    @override
    def __str__(self) -> str:
        return f"{self.key}={self.value!r}: {self.fix}"


def plain_inputs(props: Mapping[str, object]) -> dict[str, object]:
    """The inputs as the engine sent them, without secret wrappers (see wire.py)."""
    return {key: reveal(value) for key, value in props.items()}


def _problems_for_project_ref(value: object) -> list[InputProblem]:
    if is_unknown(value):
        return []
    if isinstance(value, str) and PROJECT_REF_PATTERN.fullmatch(value):
        return []
    return [
        InputProblem(
            "project_ref",
            value,
            "use the 20 lowercase letters/digits from the project URL https://<ref>.supabase.co "
            + "(e.g. the `id` output of pulumi_supabase.Project)",
        )
    ]


def _is_http_url(value: str) -> bool:
    parsed = urllib.parse.urlsplit(value)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc) and not any(c.isspace() for c in value)


def _looks_like_redirect_url(value: str) -> bool:
    # Supabase accepts globs (https://*.vercel.app/**) and app schemes (myapp://callback).
    scheme, separator, rest = value.partition("://")
    return (
        bool(separator)
        and bool(rest)
        and scheme[:1].isalpha()
        and all(c.isalnum() or c in "+.-" for c in scheme)
        and not any(c.isspace() for c in value)
    )


def validate_auth_inputs(values: Mapping[str, object]) -> list[InputProblem]:
    """Every problem in SupabaseAuthSettings inputs (unknown values are skipped)."""
    problems = _problems_for_project_ref(values.get("project_ref"))
    site_url = values.get("site_url")
    if not is_unknown(site_url) and not (isinstance(site_url, str) and _is_http_url(site_url)):
        problems.append(
            InputProblem(
                "site_url", site_url, "use the app's absolute http(s) URL, e.g. 'https://app.example.com'"
            )
        )
    urls = values.get("additional_redirect_urls")
    if not is_unknown(urls):
        url_items = _as_objects(urls)
        if url_items is None:
            problems.append(
                InputProblem(
                    "additional_redirect_urls",
                    urls,
                    "use a list of URLs, e.g. ['https://app.example.com/**']",
                )
            )
        else:
            for index, url in enumerate(url_items):
                if is_unknown(url):
                    continue
                if not isinstance(url, str) or not _looks_like_redirect_url(url) or "," in url:
                    problems.append(
                        InputProblem(
                            f"additional_redirect_urls[{index}]",
                            url,
                            "use a URL with a scheme and no spaces or commas (Supabase stores the list "
                            + "comma-separated), e.g. 'https://app.example.com/auth/callback'",
                        )
                    )
    for flag in ("disable_signup", "mailer_autoconfirm"):
        value = values.get(flag)
        if not is_unknown(value) and not isinstance(value, bool):
            problems.append(InputProblem(flag, value, "use True or False"))
    length = values.get("password_min_length")
    whole = whole_number(length)
    if not is_unknown(length) and not (
        whole is not None and MIN_PASSWORD_LENGTH <= whole <= MAX_PASSWORD_LENGTH
    ):
        problems.append(
            InputProblem(
                "password_min_length",
                length,
                f"use a whole number from {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} "
                + f"(default {DEFAULT_PASSWORD_MIN_LENGTH})",
            )
        )
    return problems


def validate_pitr_inputs(values: Mapping[str, object]) -> list[InputProblem]:
    """Every problem in SupabasePointInTimeRecovery inputs (unknown values are skipped)."""
    problems = _problems_for_project_ref(values.get("project_ref"))
    variant = values.get("variant")
    if not is_unknown(variant) and variant not in PITR_VARIANTS:
        problems.append(
            InputProblem(
                "variant", variant, f"use one of {', '.join(PITR_VARIANTS)} (days of recovery history)"
            )
        )
    return problems


def validate_api_keys_inputs(values: Mapping[str, object]) -> list[InputProblem]:
    """Every problem in SupabaseProjectApiKeys inputs (unknown values are skipped)."""
    return _problems_for_project_ref(values.get("project_ref"))


def invalid_inputs_error(kind: str, resource_name: str, problems: Sequence[InputProblem]) -> ValueError:
    """One error listing every bad input of a resource (raised before anything is registered)."""
    lines = "\n".join(f"  - {problem}" for problem in problems)
    return ValueError(f"{kind} '{resource_name}' has {len(problems)} invalid input(s):\n{lines}")


def check_failures(problems: Sequence[InputProblem]) -> list[CheckFailure]:
    """The problems as the engine's check failures, one per top-level property."""
    return [CheckFailure(problem.key.split("[")[0], str(problem)) for problem in problems]


def _as_objects(value: object) -> list[object] | None:
    """The value as a list if it is a list or tuple, else None."""
    if isinstance(value, (list, tuple)):
        return list(cast("Sequence[object]", value))
    return None


def required_text(props: Mapping[str, object], key: str) -> str:
    """The string input ``key``; anything else is a provider error naming the key."""
    value = props.get(key)
    if not isinstance(value, str):
        raise ValueError(f"{key}={value!r}: expected a string")
    return value


# --- SupabaseAuthSettings ------------------------------------------------------------------

AUTH_MANAGED_KEYS = (
    "site_url",
    "additional_redirect_urls",
    "disable_signup",
    "mailer_autoconfirm",
    "password_min_length",
)


@dataclass(frozen=True)
class AuthSettingsValues:
    """The managed auth settings, in provider terms (the API calls the URL list uri_allow_list)."""

    site_url: str
    additional_redirect_urls: tuple[str, ...]
    disable_signup: bool
    mailer_autoconfirm: bool
    password_min_length: int

    @classmethod
    def from_props(cls, props: Mapping[str, object]) -> AuthSettingsValues:
        """From validated resource inputs; duplicate redirect URLs are dropped, order kept."""
        url_list = [str(url) for url in _as_objects(props.get("additional_redirect_urls")) or []]
        length = whole_number(props.get("password_min_length"))
        return cls(
            site_url=required_text(props, "site_url"),
            additional_redirect_urls=tuple(dict.fromkeys(url_list)),
            disable_signup=props.get("disable_signup") is True,
            mailer_autoconfirm=props.get("mailer_autoconfirm") is True,
            password_min_length=DEFAULT_PASSWORD_MIN_LENGTH if length is None else length,
        )

    @classmethod
    def from_remote(cls, config: Mapping[str, object], project_ref: str) -> AuthSettingsValues:
        """From GET/PATCH /config/auth, reading only the managed fields (the rest holds secrets)."""
        allow_list = config.get("uri_allow_list")
        site_url = config.get("site_url")
        disable_signup = config.get("disable_signup")
        mailer_autoconfirm = config.get("mailer_autoconfirm")
        length = config.get("password_min_length")
        wrong = [
            name
            for name, ok in (
                ("uri_allow_list", allow_list is None or isinstance(allow_list, str)),
                ("site_url", isinstance(site_url, str)),
                ("disable_signup", isinstance(disable_signup, bool)),
                ("mailer_autoconfirm", isinstance(mailer_autoconfirm, bool)),
                ("password_min_length", isinstance(length, int) and not isinstance(length, bool)),
            )
            if not ok
        ]
        if wrong:
            raise UnexpectedResponseError(
                f"auth config of project '{project_ref}' lacks or mistypes: {', '.join(wrong)}"
            )
        assert isinstance(site_url, str) and isinstance(length, int)
        urls = [url.strip() for url in (allow_list if isinstance(allow_list, str) else "").split(",")]
        return cls(
            site_url=site_url,
            additional_redirect_urls=tuple(url for url in urls if url),
            disable_signup=disable_signup is True,
            mailer_autoconfirm=mailer_autoconfirm is True,
            password_min_length=length,
        )

    def to_remote(self) -> dict[str, object]:
        """The PATCH /config/auth body."""
        return {
            "site_url": self.site_url,
            "uri_allow_list": ",".join(self.additional_redirect_urls),
            "disable_signup": self.disable_signup,
            "mailer_autoconfirm": self.mailer_autoconfirm,
            "password_min_length": self.password_min_length,
        }

    def to_outputs(self, project_ref: str) -> dict[str, object]:
        """Resource outputs (and, after a read, inputs) in the same names as the inputs."""
        return {
            "project_ref": project_ref,
            "site_url": self.site_url,
            "additional_redirect_urls": list(self.additional_redirect_urls),
            "disable_signup": self.disable_signup,
            "mailer_autoconfirm": self.mailer_autoconfirm,
            "password_min_length": self.password_min_length,
        }


def _comparable(key: str, value: object) -> object:
    # The allow-list is a set to Supabase: order and duplicates are not drift.
    items = _as_objects(value) if key == "additional_redirect_urls" else None
    return value if items is None else sorted({str(item) for item in items})


def _changed_keys(olds: Mapping[str, object], news: Mapping[str, object], keys: Sequence[str]) -> list[str]:
    changed: list[str] = []
    for key in keys:
        new = news.get(key)
        if is_unknown(new) or key not in olds or _comparable(key, olds.get(key)) != _comparable(key, new):
            changed.append(key)
    return changed


def _replace_if_project_changes(olds: Mapping[str, object], news: Mapping[str, object]) -> list[str]:
    return _changed_keys(olds, news, ("project_ref",))


class AuthSettingsProvider(ResourceProvider):
    """CRUD for GET/PATCH /v1/projects/{ref}/config/auth, limited to AUTH_MANAGED_KEYS."""

    # Nothing secret is captured: the token is read from the environment per operation.
    serialize_as_secret_always: bool = False

    @override
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:  # pyright: ignore[reportExplicitAny]
        return CheckResult(news, check_failures(validate_auth_inputs(plain_inputs(news))))

    @override
    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:  # pyright: ignore[reportExplicitAny]
        _olds, _news = plain_inputs(_olds), plain_inputs(_news)
        replaces = _replace_if_project_changes(_olds, _news)
        changed = _changed_keys(_olds, _news, AUTH_MANAGED_KEYS)
        return DiffResult(changes=bool(replaces or changed), replaces=replaces, delete_before_replace=False)

    @override
    def create(self, props: dict[str, Any]) -> CreateResult:  # pyright: ignore[reportExplicitAny]
        outputs = self._apply(props)
        return CreateResult(required_text(outputs, "project_ref"), outputs)

    @override
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:  # pyright: ignore[reportExplicitAny]
        config = ManagementApiClient.from_environment().get_auth_config(id_)
        outputs = AuthSettingsValues.from_remote(config, id_).to_outputs(id_)
        return ReadResult(id_, outputs, dict(outputs))

    @override
    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:  # pyright: ignore[reportExplicitAny]
        return UpdateResult(self._apply(_news))

    @override
    def delete(self, _id: str, _props: dict[str, Any]) -> None:  # pyright: ignore[reportExplicitAny]
        """Leaves the remote auth settings as they are: they belong to the project, which keeps
        needing a site URL and allow-list; removing the resource only stops Pulumi managing them."""
        logger.info("auth settings of project %s left unchanged: they belong to the project", _id)

    def _apply(self, props: Mapping[str, object]) -> dict[str, object]:
        """PATCHes the managed fields and returns the outputs as Supabase now reports them.
        (No state on `self`: one cached provider instance serves concurrent operations.)"""
        props = plain_inputs(props)
        problems = validate_auth_inputs(props)
        if problems:
            raise invalid_inputs_error("SupabaseAuthSettings", str(props.get("project_ref")), problems)
        project_ref = required_text(props, "project_ref")
        desired = AuthSettingsValues.from_props(props)
        config = ManagementApiClient.from_environment().update_auth_config(project_ref, desired.to_remote())
        return AuthSettingsValues.from_remote(config, project_ref).to_outputs(project_ref)


# --- SupabasePointInTimeRecovery -----------------------------------------------------------


def _live_pitr_variant(client: ManagementApiClient, project_ref: str) -> str | None:
    for addon in client.list_selected_addons(project_ref):
        if addon.addon_type == PITR_ADDON_TYPE:
            return addon.variant
    return None


class PointInTimeRecoveryProvider(ResourceProvider):
    """CRUD for the PITR add-on via GET/PATCH/DELETE /v1/projects/{ref}/billing/addons."""

    serialize_as_secret_always: bool = False

    @override
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:  # pyright: ignore[reportExplicitAny]
        return CheckResult(news, check_failures(validate_pitr_inputs(plain_inputs(news))))

    @override
    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:  # pyright: ignore[reportExplicitAny]
        _olds, _news = plain_inputs(_olds), plain_inputs(_news)
        replaces = _replace_if_project_changes(_olds, _news)
        changed = _changed_keys(_olds, _news, ("variant",))
        return DiffResult(changes=bool(replaces or changed), replaces=replaces, delete_before_replace=False)

    @override
    def create(self, props: dict[str, Any]) -> CreateResult:  # pyright: ignore[reportExplicitAny]
        project_ref, variant = self._apply(props)
        return CreateResult(project_ref, {"project_ref": project_ref, "variant": variant})

    @override
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:  # pyright: ignore[reportExplicitAny]
        variant = _live_pitr_variant(ManagementApiClient.from_environment(), id_)
        if variant is None:
            return ReadResult("", {})  # an empty ID tells the engine the add-on is gone
        outputs: dict[str, object] = {"project_ref": id_, "variant": variant}
        return ReadResult(id_, outputs, dict(outputs))

    @override
    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:  # pyright: ignore[reportExplicitAny]
        project_ref, variant = self._apply(_news)
        return UpdateResult({"project_ref": project_ref, "variant": variant})

    @override
    def delete(self, _id: str, _props: dict[str, Any]) -> None:  # pyright: ignore[reportExplicitAny]
        """Removes the PITR add-on (whatever variant is live), which stops its billing; the
        project falls back to daily backups. A project without PITR needs nothing."""
        client = ManagementApiClient.from_environment()
        variant = _live_pitr_variant(client, _id)
        if variant is not None:
            client.remove_addon(_id, variant)

    def _apply(self, props: Mapping[str, object]) -> tuple[str, str]:
        props = plain_inputs(props)
        problems = validate_pitr_inputs(props)
        if problems:
            raise invalid_inputs_error("SupabasePointInTimeRecovery", str(props.get("project_ref")), problems)
        project_ref, variant = required_text(props, "project_ref"), required_text(props, "variant")
        client = ManagementApiClient.from_environment()
        # Adopting a project that already has this variant costs no PATCH (and no billing event).
        if _live_pitr_variant(client, project_ref) != variant:
            client.apply_addon(project_ref, PITR_ADDON_TYPE, variant)
        return project_ref, variant


# --- SupabaseProjectApiKeys ----------------------------------------------------------------

API_KEY_SECRET_OUTPUTS = ("anon_key", "service_role_key")


def _pick_key(keys: Sequence[ApiKey], legacy_name: str, new_type: str, project_ref: str) -> str:
    """The legacy key by name, else the first new-style key of the matching type."""
    for key in keys:
        if key.name == legacy_name:
            return key.api_key
    for key in keys:
        if key.key_type == new_type:
            return key.api_key
    present = ", ".join(sorted(f"{key.name} ({key.key_type or 'untyped'})" for key in keys)) or "none"
    raise UnexpectedResponseError(
        f"project '{project_ref}' has no '{legacy_name}' key and no '{new_type}' key; keys present: "
        + f"{present}. Create one under Project Settings > API Keys."
    )


def project_api_url(project_ref: str) -> str:
    """The project's REST/Auth base URL that apps use with the anon key."""
    return f"https://{project_ref}.supabase.co"


def _api_key_outputs(project_ref: str) -> dict[str, object]:
    keys = ManagementApiClient.from_environment().list_api_keys(project_ref)
    return {
        "project_ref": project_ref,
        "api_url": project_api_url(project_ref),
        "anon_key": _pick_key(keys, "anon", "publishable", project_ref),
        "service_role_key": _pick_key(keys, "service_role", "secret", project_ref),
    }


class ProjectApiKeysProvider(ResourceProvider):
    """Read-only view of GET /v1/projects/{ref}/api-keys: create reads, delete does nothing."""

    serialize_as_secret_always: bool = False

    @override
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:  # pyright: ignore[reportExplicitAny]
        return CheckResult(news, check_failures(validate_api_keys_inputs(plain_inputs(news))))

    @override
    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:  # pyright: ignore[reportExplicitAny]
        _olds, _news = plain_inputs(_olds), plain_inputs(_news)
        # Rotated keys show up on refresh; only another project makes a different resource.
        replaces = _replace_if_project_changes(_olds, _news)
        return DiffResult(changes=bool(replaces), replaces=replaces, delete_before_replace=False)

    @override
    def create(self, props: dict[str, Any]) -> CreateResult:  # pyright: ignore[reportExplicitAny]
        props = plain_inputs(props)
        problems = validate_api_keys_inputs(props)
        if problems:
            raise invalid_inputs_error("SupabaseProjectApiKeys", str(props.get("project_ref")), problems)
        project_ref = required_text(props, "project_ref")
        return CreateResult(project_ref, _api_key_outputs(project_ref))

    @override
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:  # pyright: ignore[reportExplicitAny]
        return ReadResult(id_, _api_key_outputs(id_), {"project_ref": id_})

    @override
    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:  # pyright: ignore[reportExplicitAny]
        return UpdateResult(_api_key_outputs(required_text(plain_inputs(_news), "project_ref")))

    @override
    def delete(self, _id: str, _props: dict[str, Any]) -> None:  # pyright: ignore[reportExplicitAny]
        """Does nothing: the keys belong to the project; this resource only reads them."""


# --- resources (what components instantiate) -----------------------------------------------


@dataclass(frozen=True)
class SupabaseAuthSettingsArgs:
    """Inputs of SupabaseAuthSettings; defaults are the secure choice for the estate's apps."""

    project_ref: pulumi.Input[str]
    site_url: pulumi.Input[str]
    additional_redirect_urls: pulumi.Input[Sequence[pulumi.Input[str]]] = ()
    disable_signup: pulumi.Input[bool] = False
    mailer_autoconfirm: pulumi.Input[bool] = False
    password_min_length: pulumi.Input[int] = DEFAULT_PASSWORD_MIN_LENGTH

    def as_props(self) -> dict[str, object]:
        urls = self.additional_redirect_urls
        return {
            "project_ref": self.project_ref,
            "site_url": self.site_url,
            "additional_redirect_urls": list(urls) if isinstance(urls, (list, tuple)) else urls,
            "disable_signup": self.disable_signup,
            "mailer_autoconfirm": self.mailer_autoconfirm,
            "password_min_length": self.password_min_length,
        }


class SupabaseAuthSettings(Resource, module="supabase", name="AuthSettings"):
    """Auth settings of one Supabase project (GET/PATCH /v1/projects/{ref}/config/auth).

    Manages only: site_url, additional_redirect_urls (the API's comma-separated uri_allow_list),
    disable_signup, mailer_autoconfirm (False = users must confirm their email) and
    password_min_length. Other auth settings are neither read into state nor changed.
    Create adopts the project's existing settings by overwriting the managed fields; diff compares
    only those fields (the allow-list as a set); a new project_ref replaces the resource.
    Delete leaves the remote settings as they are: they belong to the project.
    """

    _output_keys: ClassVar[tuple[str, ...]] = ("project_ref", *AUTH_MANAGED_KEYS)

    def __init__(
        self,
        resource_name: str,
        args: SupabaseAuthSettingsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = args.as_props()
        problems = validate_auth_inputs(props)
        if problems:
            raise invalid_inputs_error("SupabaseAuthSettings", resource_name, problems)
        super().__init__(AuthSettingsProvider(), resource_name, props, opts)

    @staticmethod
    def get(
        resource_name: str, project_ref: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ) -> SupabaseAuthSettings:
        """Reads the live auth settings of an existing project without managing them."""
        resource = SupabaseAuthSettings.__new__(SupabaseAuthSettings)
        Resource.__init__(
            resource,
            AuthSettingsProvider(),
            resource_name,
            dict.fromkeys(SupabaseAuthSettings._output_keys),
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=project_ref)),
        )
        return resource

    @property
    def project_ref(self) -> pulumi.Output[str]:
        """The project these settings belong to (also the resource ID)."""
        return cast("pulumi.Output[str]", self.__dict__["project_ref"])

    @property
    def site_url(self) -> pulumi.Output[str]:
        """Default redirect target of sign-up / magic-link / reset emails."""
        return cast("pulumi.Output[str]", self.__dict__["site_url"])

    @property
    def additional_redirect_urls(self) -> pulumi.Output[list[str]]:
        """Other URLs auth may redirect to, as Supabase reports them."""
        return cast("pulumi.Output[list[str]]", self.__dict__["additional_redirect_urls"])

    @property
    def disable_signup(self) -> pulumi.Output[bool]:
        """True when new users cannot sign up."""
        return cast("pulumi.Output[bool]", self.__dict__["disable_signup"])

    @property
    def mailer_autoconfirm(self) -> pulumi.Output[bool]:
        """True when email addresses count as confirmed without the confirmation link."""
        return cast("pulumi.Output[bool]", self.__dict__["mailer_autoconfirm"])

    @property
    def password_min_length(self) -> pulumi.Output[int]:
        """Shortest password accepted at sign-up and password change."""
        return cast("pulumi.Output[int]", self.__dict__["password_min_length"])


@dataclass(frozen=True)
class SupabasePointInTimeRecoveryArgs:
    """Inputs of SupabasePointInTimeRecovery; variant is the days of history kept."""

    project_ref: pulumi.Input[str]
    variant: pulumi.Input[str] = "pitr_7"

    def as_props(self) -> dict[str, object]:
        return {"project_ref": self.project_ref, "variant": self.variant}


class SupabasePointInTimeRecovery(Resource, module="supabase", name="PointInTimeRecovery"):
    """The point-in-time-recovery billing add-on of one project (`pitr_7` | `pitr_14` | `pitr_28`).

    Needs a paid plan and at least the Small compute add-on; Supabase refuses it otherwise.
    Create selects the variant (no call when the project already has it); changing the variant
    updates in place; a new project_ref replaces the resource. Delete removes the add-on, which
    stops its billing and leaves the project with daily backups only.
    """

    def __init__(
        self,
        resource_name: str,
        args: SupabasePointInTimeRecoveryArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = args.as_props()
        problems = validate_pitr_inputs(props)
        if problems:
            raise invalid_inputs_error("SupabasePointInTimeRecovery", resource_name, problems)
        super().__init__(PointInTimeRecoveryProvider(), resource_name, props, opts)

    @staticmethod
    def get(
        resource_name: str, project_ref: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ) -> SupabasePointInTimeRecovery:
        """Reads the live PITR add-on of an existing project without managing it (fails if none)."""
        resource = SupabasePointInTimeRecovery.__new__(SupabasePointInTimeRecovery)
        Resource.__init__(
            resource,
            PointInTimeRecoveryProvider(),
            resource_name,
            dict.fromkeys(("project_ref", "variant")),
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=project_ref)),
        )
        return resource

    @property
    def project_ref(self) -> pulumi.Output[str]:
        """The project the add-on is applied to (also the resource ID)."""
        return cast("pulumi.Output[str]", self.__dict__["project_ref"])

    @property
    def variant(self) -> pulumi.Output[str]:
        """The applied variant: pitr_7, pitr_14 or pitr_28."""
        return cast("pulumi.Output[str]", self.__dict__["variant"])


@dataclass(frozen=True)
class SupabaseProjectApiKeysArgs:
    """Inputs of SupabaseProjectApiKeys."""

    project_ref: pulumi.Input[str]

    def as_props(self) -> dict[str, object]:
        return {"project_ref": self.project_ref}


class SupabaseProjectApiKeys(Resource, module="supabase", name="ProjectApiKeys"):
    """The API URL and keys of one project, read from GET /v1/projects/{ref}/api-keys?reveal=true.

    anon_key is the legacy `anon` key (else the first publishable key); service_role_key is the
    legacy `service_role` key (else the first secret key). Both are Pulumi secrets, in the program
    and in state. Read-only: create reads, refresh picks up rotated keys, delete does nothing.
    """

    _output_keys: ClassVar[tuple[str, ...]] = ("project_ref", "api_url", *API_KEY_SECRET_OUTPUTS)

    def __init__(
        self,
        resource_name: str,
        args: SupabaseProjectApiKeysArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = args.as_props()
        problems = validate_api_keys_inputs(props)
        if problems:
            raise invalid_inputs_error("SupabaseProjectApiKeys", resource_name, problems)
        super().__init__(
            ProjectApiKeysProvider(),
            resource_name,
            {**props, "api_url": None, "anon_key": None, "service_role_key": None},
            _with_secret_keys(opts),
        )
        self._mark_keys_secret()

    @staticmethod
    def get(
        resource_name: str, project_ref: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ) -> SupabaseProjectApiKeys:
        """Reads the keys of an existing project; same outputs, same secrecy."""
        resource = SupabaseProjectApiKeys.__new__(SupabaseProjectApiKeys)
        Resource.__init__(
            resource,
            ProjectApiKeysProvider(),
            resource_name,
            dict.fromkeys(SupabaseProjectApiKeys._output_keys),
            pulumi.ResourceOptions.merge(_with_secret_keys(opts), pulumi.ResourceOptions(id=project_ref)),
        )
        resource._mark_keys_secret()
        return resource

    @property
    def project_ref(self) -> pulumi.Output[str]:
        """The project the keys belong to (also the resource ID)."""
        return cast("pulumi.Output[str]", self.__dict__["project_ref"])

    @property
    def api_url(self) -> pulumi.Output[str]:
        """https://<ref>.supabase.co, the URL apps pass to createClient with a key."""
        return cast("pulumi.Output[str]", self.__dict__["api_url"])

    @property
    def anon_key(self) -> pulumi.Output[str]:
        """Public client key (RLS applies); a Pulumi secret all the same."""
        return cast("pulumi.Output[str]", self.__dict__["anon_key"])

    @property
    def service_role_key(self) -> pulumi.Output[str]:
        """Server-only key that bypasses RLS; a Pulumi secret."""
        return cast("pulumi.Output[str]", self.__dict__["service_role_key"])

    def _mark_keys_secret(self) -> None:
        # additional_secret_outputs makes the engine encrypt them in state; wrapping the Outputs
        # keeps them secret in the program too (and under pulumi.runtime mocks, which skip the engine).
        for key in API_KEY_SECRET_OUTPUTS:
            self.__dict__[key] = pulumi.Output.secret(cast("pulumi.Output[str]", self.__dict__[key]))


def _with_secret_keys(opts: pulumi.ResourceOptions | None) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions.merge(
        opts, pulumi.ResourceOptions(additional_secret_outputs=list(API_KEY_SECRET_OUTPUTS))
    )
