"""The two dependency sets, each hash-locked: runtime (``make plan``) and development (``make test``).

``requirements.in`` and ``requirements-dev.in`` hold the direct pins; ``requirements.txt`` and
``requirements-dev.txt`` are their locks (``make lock``): every package, transitive ones
included, pinned exactly with its hashes, installed with ``pip install --require-hashes``.
These tests read the files (no resolver, no network); the README's "Dependencies" says how
to bump a pin.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib.metadata import packages_distributions
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.python_sources import nodes, parsed

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_IN, RUNTIME_LOCK = ROOT / "requirements.in", ROOT / "requirements.txt"
DEV_IN, DEV_LOCK = ROOT / "requirements-dev.in", ROOT / "requirements-dev.txt"
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
# The program's code (what `make plan` and `pulumi up` run), and the parts of it that
# only the development set serves: the state-backend tooling (python -m estate backend).
PROGRAM_DIRS = ("components", "stacks", "estate", "policies", "providers")
LOCAL_PACKAGES = {*PROGRAM_DIRS, "tests", "alerting", "__main__"}
STATE_BACKEND_TOOLING = ("estate/backend.py", "estate/backend_ops/")
DEV_ONLY_MODULES = {"boto3": STATE_BACKEND_TOOLING, "botocore": STATE_BACKEND_TOOLING}
PIN = re.compile(r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(?P<version>[^\s;\\]+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Locked:
    version: str
    hashes: frozenset[str]


def read_lock(path: Path) -> dict[str, Locked]:
    """Package → version and hashes; fails on any line that is not an exact pin or its hash."""
    versions: dict[str, str] = {}
    hashes: dict[str, set[str]] = {}
    current = ""
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("--hash="):
            assert current, f"{path.name}:{number}: a hash before any package"
            assert re.fullmatch(r"--hash=sha256:[0-9a-f]{64}( \\)?", line), f"{path.name}:{number}: {line}"
            hashes[current].add(line.split()[0])
            continue
        match = PIN.match(line)
        assert match is not None and line.endswith("\\"), (
            f"{path.name}:{number}: not an exact pin with hashes: {line}"
        )
        current = canonical(match["name"])
        versions[current] = match["version"]
        hashes[current] = set()
    return {name: Locked(version, frozenset(hashes[name])) for name, version in versions.items()}


def read_input(path: Path) -> dict[str, str]:
    """The direct pins of an input file, following ``-r`` includes; ``-c`` constraints are not pins."""
    pins: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-c "):
            continue
        if line.startswith("-r "):
            pins |= read_input(path.parent / line[3:].strip())
            continue
        match = PIN.fullmatch(line)
        assert match is not None, f"{path.name}: pin each direct dependency exactly (name==version): {line}"
        pins[canonical(match["name"])] = match["version"]
    return pins


def test_each_lock_pins_every_package_exactly_with_its_hashes() -> None:
    for lock in (RUNTIME_LOCK, DEV_LOCK):
        unhashed = [name for name, pin in read_lock(lock).items() if not pin.hashes]
        assert unhashed == [], f"{lock.name}: packages without hashes: {unhashed}; run `make lock`"


@pytest.mark.parametrize(
    ("source", "lock"),
    [(RUNTIME_IN, RUNTIME_LOCK), (DEV_IN, DEV_LOCK)],
    ids=["runtime", "dev"],
)
def test_each_lock_holds_the_direct_pins_of_its_input(source: Path, lock: Path) -> None:
    locked = read_lock(lock)
    drift = {
        name: (version, locked[name].version if name in locked else None)
        for name, version in read_input(source).items()
        if name not in locked or locked[name].version != version
    }
    assert drift == {}, f"{source.name} and {lock.name} disagree (pin, lock): run `make lock`"


def test_the_development_set_installs_the_runtime_set_unchanged() -> None:
    runtime, development = read_lock(RUNTIME_LOCK), read_lock(DEV_LOCK)
    differing = {name for name, pin in runtime.items() if development.get(name) != pin}
    assert differing == set(), f"{DEV_LOCK.name} pins these runtime packages differently: run `make lock`"


def _program_imports(folders: tuple[str, ...] = PROGRAM_DIRS) -> dict[str, set[str]]:
    """Third-party top-level modules the program imports at run time (not under TYPE_CHECKING) → files."""
    found: dict[str, set[str]] = {}
    files = [ROOT / "__main__.py"] if folders == PROGRAM_DIRS else []
    files += [path for folder in folders for path in sorted((ROOT / folder).rglob("*.py"))]
    for path in files:
        tree = parsed(path)
        typing_only = {
            id(node)
            for branch in nodes(tree)
            if isinstance(branch, ast.If) and "TYPE_CHECKING" in ast.unparse(branch.test)
            for statement in branch.body
            for node in ast.walk(statement)
        }
        for node in nodes(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top not in sys.stdlib_module_names and top not in LOCAL_PACKAGES:
                    found.setdefault(top, set()).add(path.relative_to(ROOT).as_posix())
    return found


def test_runtime_set_holds_everything_the_program_imports() -> None:
    """`make plan` (and `pulumi up`) run with the runtime set alone."""
    runtime = read_lock(RUNTIME_LOCK)
    distributions = packages_distributions()
    missing: dict[str, list[str]] = {}
    for module, files in _program_imports().items():
        outside_dev_tooling = sorted(
            f for f in files if not f.startswith(DEV_ONLY_MODULES.get(module, ("\0",)))
        )
        names = {canonical(name) for name in distributions.get(module, [module])}
        if outside_dev_tooling and not names & runtime.keys():
            missing[module] = outside_dev_tooling
    assert missing == {}, (
        f"imported by the program but not in {RUNTIME_LOCK.name}: add them to {RUNTIME_IN.name}"
    )


def test_the_policy_packs_own_requirements_cover_its_imports_at_the_locked_versions() -> None:
    """policies/requirements.txt: what a separate environment for the pack needs (PulumiPolicy.yaml)."""
    pack = read_input(ROOT / "policies" / "requirements.txt")
    runtime = read_lock(RUNTIME_LOCK)
    assert {name: version for name, version in pack.items() if runtime[name].version != version} == {}
    distributions = packages_distributions()
    imported = {
        canonical(name) for module in _program_imports(("policies",)) for name in distributions[module]
    }
    assert sorted(imported - pack.keys()) == []


def test_runtime_set_holds_no_development_tool() -> None:
    development_only = read_input(DEV_IN).keys() - read_input(RUNTIME_IN).keys()
    assert sorted(development_only & read_lock(RUNTIME_LOCK).keys()) == []
    # Nothing the plan needs: the test tools, linters, type checker and state-backend SDK.
    assert {
        "pytest",
        "basedpyright",
        "ruff",
        "moto",
        "boto3",
        "zizmor",
    } <= development_only


def test_boto3_stubs_follow_boto3s_release_line() -> None:
    locked = read_lock(DEV_LOCK)
    line = locked["boto3"].version.split(".")[:2]
    assert locked["boto3-stubs"].version.split(".")[:2] == line


def test_no_layout_binary_from_a_wheel() -> None:
    """graphviz-pure failed vetting (docs/operations.md): `estate graph` uses the system's Graphviz."""
    assert "graphviz-pure" not in read_lock(DEV_LOCK).keys() | read_lock(RUNTIME_LOCK).keys()


def _dry_run(tmp_path: Path, target: str) -> str:
    make = shutil.which("make")
    assert make is not None, "make is not installed"
    for name in ("Makefile", "requirements.txt", "requirements-dev.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    result = subprocess.run([make, "-n", target], cwd=tmp_path, capture_output=True, text=True, check=True)
    return result.stdout


def test_make_plan_installs_the_runtime_lock_only_and_make_test_adds_the_development_lock(
    tmp_path: Path,
) -> None:
    plan = _dry_run(tmp_path, "plan")
    assert "--require-hashes -r requirements.txt" in plan
    assert "requirements-dev.txt" not in plan
    assert "estate plan --stack prod --stack staging" in plan
    test = _dry_run(tmp_path, "test")
    assert "--require-hashes -r requirements.txt" in test
    assert "--require-hashes -r requirements-dev.txt" in test
    assert test.index("basedpyright") > test.index("-r requirements-dev.txt")


def _steps(workflow: Path) -> list[dict[str, Any]]:
    document = yaml.load(workflow.read_text(), Loader=yaml.CSafeLoader)
    return [step for job in document["jobs"].values() for step in job.get("steps", [])]


def test_workflows_install_python_packages_only_from_the_locks_with_hashes() -> None:
    installs = {
        f"{workflow.name}: {step.get('name')}": step["run"]
        for workflow in WORKFLOWS
        for step in _steps(workflow)
        if "pip install" in step.get("run", "")
    }
    assert installs, "no workflow installs Python packages"
    unlocked = [
        name
        for name, script in installs.items()
        if any(
            "pip install" in line and "--require-hashes -r requirements" not in line
            for line in script.splitlines()
        )
    ]
    assert unlocked == []


def test_ci_caches_package_downloads_keyed_on_the_locks() -> None:
    [setup] = [
        step
        for step in _steps(ROOT / ".github" / "workflows" / "ci.yml")
        if "setup-python" in step.get("uses", "")
    ]
    assert setup["with"]["cache"] == "pip"
    assert set(setup["with"]["cache-dependency-path"].split()) == {
        "requirements.txt",
        "requirements-dev.txt",
    }


def test_a_command_that_needs_the_development_set_names_the_fix(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`make plan` installs no boto3; the state-backend commands then say how to get it."""
    from estate.cli import main

    for module in ("boto3", "boto3.session", "botocore", "botocore.exceptions"):
        monkeypatch.setitem(sys.modules, module, None)
    assert main(["backend", "bootstrap", "--bucket", "estate-state-example", "--region", "eu-west-1"]) == 2
    error = capsys.readouterr().err
    assert re.search(
        r"`python -m estate backend` needs (boto3|botocore), which is in the development set", error
    )
    assert error.rstrip().endswith("Fix: make dev")
