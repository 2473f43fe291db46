"""The contract with the Pulumi SDKs' internals (estate/sdk_internals.py), checked against the installed SDKs.

Each test states one thing the offline plan relies on that the SDKs do not publish
as API. When an SDK upgrade changes one, the test that names it fails here, instead
of a plan quietly showing something else. The last test keeps the reach in one
place: no other module of the project imports the SDKs' internals.
"""

from __future__ import annotations

import ast
import base64
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pulumi
import pulumi.runtime
import pytest
from pulumi.dynamic import CreateResult, Resource, ResourceProvider
from pulumi.runtime import rpc
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)

from estate.sdk_internals import (
    DYNAMIC_PROVIDER_KEY,
    RESOURCE_SIG,
    SECRET_SIG,
    SIG_KEY,
    STACK_TYPE,
    UNKNOWN,
    UNKNOWN_ARRAY,
    UNKNOWN_BOOLEAN,
    UNKNOWN_STRING,
    NotApplicableError,
    Registration,
    RegistrationMonitor,
    Unknown,
    UnknownValueError,
    dynamic_provider_class,
    is_resource_reference,
    is_secret,
    pickle_provider,
    secret,
    stack_outputs,
    unknown_checking_proxy,
    without_source_positions,
)
from tests.python_sources import docstring_ids, nodes, parsed

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent


class _EchoMocks(pulumi.runtime.Mocks):
    """Outputs are the inputs; keeps what each registration sent."""

    def __init__(self) -> None:
        self.inputs: dict[str, dict[str, Any]] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self.inputs[args.name] = dict(args.inputs)
        return args.resource_id or f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


class _Provider(ResourceProvider):
    serialize_as_secret_always = False  # as every provider of the estate: the pickle carries no secret

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult("probe-id", props)


class _Probe(Resource):
    def __init__(self, name: str) -> None:
        super().__init__(_Provider(), name, {"value": "v"})


def run_under_mocks(program: Callable[[], Any]) -> tuple[_EchoMocks, list[Registration], dict[str, Any]]:
    """Runs ``program`` under the mocks with a :class:`RegistrationMonitor`; what the mocks, monitor and root saw."""
    mocks = _EchoMocks()
    registrations: list[Registration] = []
    exported: dict[str, Any] = {}
    monitor = RegistrationMonitor(mocks, on_register=registrations.append)
    pulumi.runtime.reset_options(project="contract", stack="test")
    pulumi.runtime.set_mocks(mocks, project="contract", stack="test", preview=False, monitor=monitor)

    def wrapped() -> Any:
        result = program()
        exported.update(stack_outputs())
        return result

    cast(Callable[[Callable[[], Any]], Callable[[], None]], pulumi.runtime.test)(wrapped)()
    return mocks, registrations, exported


@pytest.fixture(scope="module")
def program_run() -> tuple[_EchoMocks, dict[str, Registration], dict[str, Any]]:
    def program() -> Any:
        outer = pulumi.ComponentResource("contract:test:Outer", "outer")
        inner = pulumi.ComponentResource(
            "contract:test:Inner", "inner", opts=pulumi.ResourceOptions(parent=outer)
        )
        first = pulumi.CustomResource(
            "contract:index:First",
            "first",
            {"hidden": pulumi.Output.secret("hush"), "count": 1},
            opts=pulumi.ResourceOptions(parent=inner, protect=True, additional_secret_outputs=["hidden"]),
        )
        pulumi.CustomResource(
            "contract:index:Second",
            "second",
            {"reference": first, "plain": "x"},
            opts=pulumi.ResourceOptions(
                depends_on=[first],
                ignore_changes=["plain"],
                retain_on_delete=True,
                delete_before_replace=True,
                replace_on_changes=["plain"],
                import_="second-import-id",
            ),
        )
        pulumi.CustomResource(
            "contract:index:Read", "read", None, opts=pulumi.ResourceOptions(id="existing-id")
        )
        _Probe("probe")
        pulumi.export("first", first.urn)
        return first.urn

    mocks, registrations, exported = run_under_mocks(program)
    return mocks, {registration.name: registration for registration in registrations}, exported


# --- markers in deserialized properties ---------------------------------------------------------


def test_the_secret_marker_is_the_rpc_layers() -> None:
    assert secret("hush") == rpc.wrap_rpc_secret("hush")
    assert is_secret(rpc.wrap_rpc_secret({"a": 1})) and rpc.is_rpc_secret(secret("x"))
    assert not is_secret({"value": "hush"}) and not is_secret("hush")
    assert SIG_KEY != SECRET_SIG != RESOURCE_SIG


def test_a_secret_input_reaches_the_mocks_wrapped_in_the_marker(program_run: Any) -> None:
    mocks, _, _ = program_run
    assert mocks.inputs["first"]["hidden"] == {SIG_KEY: SECRET_SIG, "value": "hush"}
    assert is_secret(mocks.inputs["first"]["hidden"]) and not is_secret(mocks.inputs["first"]["count"])


def test_a_resource_reference_reaches_the_mocks_as_its_id(program_run: Any) -> None:
    """A reference to a resource of a type no SDK module is registered for reaches the mocks as its ID.

    (``rpc.deserialize_resource``: a registered type's reference becomes the SDK's resource object.)
    """
    mocks, _, _ = program_run
    assert mocks.inputs["second"]["reference"] == "first-id"
    assert is_resource_reference({SIG_KEY: RESOURCE_SIG, "urn": "urn:x", "id": "i"})
    assert not is_resource_reference(secret("x"))


def test_unknown_is_the_sentinel_the_engine_sends() -> None:
    assert UNKNOWN == rpc.UNKNOWN and isinstance(UNKNOWN, str)


def test_the_dynamic_provider_server_hands_an_unknown_as_an_unknown_object() -> None:
    """What pulumi/dynamic/__main__.py passes to check and diff (keep_unknowns), and wire.py recognises."""
    import asyncio

    from providers.supabase_management.wire import is_unknown

    struct = asyncio.new_event_loop().run_until_complete(rpc.serialize_properties({"later": UNKNOWN}, {}))
    later = rpc.deserialize_properties(struct, keep_unknowns=True)["later"]
    assert isinstance(later, Unknown) and is_unknown(later)


# --- the mock monitor -----------------------------------------------------------------------------


def test_the_monitor_reports_each_registration_as_the_engine_receives_it(program_run: Any) -> None:
    _, registered, _ = program_run
    first, second = registered["first"], registered["second"]
    assert (
        first.urn
        == "urn:pulumi:test::contract::contract:test:Outer$contract:test:Inner$contract:index:First::first"
    )
    assert first.parent == "urn:pulumi:test::contract::contract:test:Outer$contract:test:Inner::inner"
    assert first.custom and first.protect and first.id == "first-id"
    assert first.additional_secret_outputs == {"hidden"}
    assert not registered["outer"].custom and registered["outer"].id == "outer-id"
    assert second.parent == f"urn:pulumi:test::contract::{STACK_TYPE}::contract-test", (
        "top level: the root stack"
    )
    assert second.dependencies == (first.urn,)
    assert second.ignore_changes == ("plain",) and second.replace_on_changes == ("plain",)
    assert second.retain_on_delete and second.delete_before_replace and not second.protect
    assert second.import_id == "second-import-id"
    assert all(not r.read for name, r in registered.items() if name != "read")
    assert STACK_TYPE not in {r.type for r in registered.values()}, "the root stack is not reported"


def test_the_monitor_reports_a_read_with_the_id_it_read(program_run: Any) -> None:
    _, registered, _ = program_run
    read = registered["read"]
    assert read.read and read.id == "existing-id" and read.type == "contract:index:Read"


def test_the_root_stack_keeps_what_the_program_exported(program_run: Any) -> None:
    _, _, exported = program_run
    assert set(exported) == {"first"} and isinstance(exported["first"], pulumi.Output)


# --- dynamic providers ----------------------------------------------------------------------------


def test_a_dynamic_resource_carries_its_pickled_provider(program_run: Any) -> None:
    mocks, registered, _ = program_run
    assert registered["probe"].type == "pulumi-python:dynamic:Resource"
    pickled = mocks.inputs["probe"][DYNAMIC_PROVIDER_KEY]
    assert isinstance(pickled, str) and base64.b64decode(pickled)
    assert dynamic_provider_class(pickled) == f"{__name__}._Provider"
    assert dynamic_provider_class(pickle_provider(_Provider())) == f"{__name__}._Provider"


# --- the policy SDK -------------------------------------------------------------------------------


def _policy_resource() -> PolicyResource:
    options = PolicyResourceOptions(
        protect=False,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=None,
    )
    return PolicyResource("t:index:T", {}, "urn:t", "t", options, None, None, [], {})


# --- source positions -----------------------------------------------------------------------------


def _stack_traces_sent(program: Callable[[], Any]) -> dict[str, tuple[int, bool]]:
    """Resource name → (stack frames, whether a source position was sent) of each registration's request."""
    sent: dict[str, tuple[int, bool]] = {}

    class _Watching(RegistrationMonitor):
        def RegisterResource(self, request: Any) -> Any:
            sent[request.name] = (len(request.stackTrace.frames), request.HasField("sourcePosition"))
            return super().RegisterResource(request)

    mocks = _EchoMocks()
    pulumi.runtime.reset_options(project="contract", stack="test")
    pulumi.runtime.set_mocks(
        mocks, project="contract", stack="test", preview=False, monitor=_Watching(mocks, lambda _: None)
    )
    cast(Callable[[Callable[[], Any]], Callable[[], None]], pulumi.runtime.test)(program)()
    return sent


def test_source_positions_are_captured_by_the_function_the_offline_plan_replaces() -> None:
    """The SDK sends each resource's stack and source position; inside ``without_source_positions`` it sends none.

    If an SDK upgrade captures them elsewhere, the first half still passes and the second fails: the
    offline plan would be paying for them again.
    """

    # As a provider SDK's class: the stack above its __init__ is the program's.
    class Placed(pulumi.CustomResource):
        def __init__(self, name: str) -> None:
            super().__init__("contract:index:Placed", name, {"value": "v"})

    def program() -> None:
        Placed("placed")

    frames, positioned = _stack_traces_sent(program)["placed"]
    assert frames > 0 and positioned, (
        "the SDK no longer sends source positions: drop without_source_positions"
    )
    with without_source_positions():
        assert _stack_traces_sent(program)["placed"] == (0, False)
    assert _stack_traces_sent(program)["placed"][0] > 0, "the capture is restored afterwards"


def test_not_applicable_raises_the_signal_the_runner_catches() -> None:
    resource = _policy_resource()
    args = ResourceValidationArgs(
        resource.resource_type, resource.props, resource.urn, resource.name, resource.opts, None, {}
    )
    with pytest.raises(NotApplicableError):
        args.not_applicable("why")
    with pytest.raises(NotApplicableError):
        StackValidationArgs([resource], {}).not_applicable("why")


def test_the_props_proxy_raises_on_a_value_unknown_during_preview() -> None:
    from policies.engine_view import UNKNOWN as NOT_KNOWN_YET
    from policies.engine_view import field

    props = unknown_checking_proxy({"known": "a", "later": UNKNOWN, "nested": {"later": UNKNOWN}})
    assert props["known"] == "a"
    with pytest.raises(UnknownValueError):
        _ = props["later"]
    with pytest.raises(UnknownValueError):
        _ = props["nested"]["later"]
    typed = unknown_checking_proxy({"s": UNKNOWN_STRING, "b": UNKNOWN_BOOLEAN, "a": UNKNOWN_ARRAY})
    for key in ("s", "b", "a"):
        with pytest.raises(UnknownValueError):
            _ = typed[key]
    assert UNKNOWN_STRING == UNKNOWN, "the analyzer's unknown string is the engine's unknown"
    # The policy pack catches the same class (policies/engine_view.py imports it from pulumi_policy.proxy).
    assert field(props, "later") is NOT_KNOWN_YET and field(props, "nested", "later") is NOT_KNOWN_YET


# --- the program's settings -----------------------------------------------------------------------


def test_config_set_for_the_program_is_listed_where_settings_read_it() -> None:
    """stacks/settings.py lists every key of its namespace from ``pulumi.runtime.config.CONFIG``."""
    from pulumi.runtime.config import CONFIG

    pulumi.runtime.set_all_config({"estate:contractProbe": "1"}, ["estate:contractProbe"])
    try:
        assert "estate:contractProbe" in CONFIG.get()
        assert pulumi.runtime.is_config_secret("estate:contractProbe")
    finally:
        pulumi.runtime.set_all_config({}, [])


# --- one place ------------------------------------------------------------------------------------

# Modules allowed to reach into the SDKs' internals, and why.
REACHES: dict[str, str] = {
    "estate/sdk_internals.py": "the one place",
    "stacks/settings.py": "the program may not import the tooling: CONFIG lists config keys",
    "policies/engine_view.py": "the pack ships on its own: pulumi_policy.proxy.UnknownValueError",
    "providers/supabase_management/wire.py": "the engine runs providers without the tooling: pulumi.output.Unknown",
}
# Internal modules and names: private names anywhere in the SDKs, and these.
INTERNAL_MODULES = (
    "pulumi.runtime.mocks",
    "pulumi.runtime.config",
    "pulumi.dynamic.dynamic",
    "pulumi_policy.policy",
    "pulumi_policy.proxy",
    "pulumi.output",
)
MARKER_LITERALS = (
    "4dabf18193072939515e22adb298388d",
    "1b47061264138c4ac30d75fd1eb44270",
    "5cf8f73096256a8f31e491e813e4eb8e",
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
    "__provider",
)


def _reaches(tree: ast.Module) -> Iterator[str]:
    docstrings = docstring_ids(tree)
    for node in nodes(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in (
            "pulumi",
            "pulumi_policy",
        ):
            module = node.module or ""
            if module.startswith(INTERNAL_MODULES):
                yield f"from {module} import …"
            yield from (f"{module}.{a.name}" for a in node.names if a.name.startswith("_"))
        elif isinstance(node, ast.Import):
            yield from (f"import {a.name}" for a in node.names if a.name.startswith(INTERNAL_MODULES))
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_special_"):
            yield f".{node.attr}"
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield from (f"literal {marker!r}" for marker in MARKER_LITERALS if marker in node.value)


def test_no_other_module_reaches_into_the_sdks_internals() -> None:
    found: dict[str, list[str]] = {}
    for folder in (
        "components",
        "stacks",
        "estate",
        "policies",
        "providers",
        "app-checks",
        "tests",
        "benchmarks",
    ):
        for path in sorted((REPOSITORY_ROOT / folder).rglob("*.py")):
            relative = path.relative_to(REPOSITORY_ROOT).as_posix()
            if relative in REACHES or relative == "tests/test_sdk_internals.py":
                continue
            reaches = sorted(set(_reaches(parsed(path))))
            if reaches:
                found[relative] = reaches
    assert not found, f"reach the SDKs' internals through estate/sdk_internals.py instead: {found}"


def test_the_scan_sees_each_kind_of_reach() -> None:
    source = (
        "from pulumi.runtime.mocks import MockMonitor\n"
        "from pulumi.runtime.rpc import _special_sig_key\n"
        "import pulumi_policy.proxy\n"
        "x = rpc._special_secret_sig\n"
        "y = {'__provider': 1}\n"
    )
    assert len(set(_reaches(ast.parse(source)))) == 5
    assert not list(
        _reaches(ast.parse('"""mentions __provider in a docstring"""\nfrom pulumi.runtime import rpc\n'))
    )
