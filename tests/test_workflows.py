"""Lints and safety rules for every GitHub Actions workflow this repository owns.

Two sets of workflows: this repository's pipelines (``.github/workflows/``) and
the templates the stacks deliver to the app repositories (``app-workflows/<repo>/``).
Every file must pass

* actionlint (with shellcheck on ``run:`` scripts), zizmor (``--offline``,
  pedantic persona) and the GitHub workflow JSON schema (check-jsonschema's
  vendored copy), all from pinned PyPI packages and all offline; and
* this repository's own rules: actions pinned to a commit SHA with a version
  comment, no ``pull_request_target``, no ``${{ }}`` inside ``run:``, read-only
  top-level permissions, checkout without persisted credentials, no destroy.

Each linter and rule is also run on a deliberately bad workflow to prove it
fails. The shell scripts embedded in the workflows (affected stacks, the prod
protected-resource guard, credential injection, the additive-migration lint) are
executed here against fixtures, the way the runner would run them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
ESTATE_WORKFLOWS_DIR = REPO_ROOT / ".github" / "workflows"
APP_WORKFLOWS_DIR = REPO_ROOT / "app-workflows"
ESTATE_WORKFLOW_FILES = sorted([*ESTATE_WORKFLOWS_DIR.glob("*.yml"), *ESTATE_WORKFLOWS_DIR.glob("*.yaml")])
APP_WORKFLOW_FILES = sorted([*APP_WORKFLOWS_DIR.glob("*/*.yml"), *APP_WORKFLOWS_DIR.glob("*/*.yaml")])
# Workflows delivered only to some app repositories (stacks/app_checks.py renders them).
DELIVERED_WORKFLOW_FILES = [REPO_ROOT / "app-checks" / "preview-e2e.yml"]
ALL_WORKFLOW_FILES = ESTATE_WORKFLOW_FILES + APP_WORKFLOW_FILES + DELIVERED_WORKFLOW_FILES
DATABASE_APP_REPOS = ("shopify-esim-system", "esim-hub", "fancrush-talkline")

# Console scripts of the pinned linters live beside the interpreter running the tests.
TOOLS_DIR = Path(sys.executable).parent
SHA_PIN = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>[^\s#]+)\s*(?:#\s*(?P<comment>.*))?$")
VERSION_COMMENT = re.compile(r"^v\d+\.\d+\.\d+$")
PULUMI_REMOVAL = re.compile(r"\bpulumi\s+(?:destroy|stack\s+rm)\b")

BAD_WORKFLOW = """\
name: bad
on: pull_request_target
permissions: write-all
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: echo "${{ github.event.pull_request.title }}"
      - run: pulumi destroy --stack prod --yes
      - uses: pulumi/actions@v6
        with:
          command: destroy
          stack-name: prod
"""

SCHEMA_INVALID_WORKFLOW = """\
name: schema-invalid
on: pull_request
permissions: {}
jobs:
  build:
    stepz:
      - run: echo hello
"""


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return path.name


def _ids(paths: list[Path]) -> list[str]:
    return [_relative(path) for path in paths]


# --- reading workflows --------------------------------------------------------------------------


@dataclass(frozen=True)
class Workflow:
    """One workflow file: its raw text (for comments) and its parsed document."""

    path: Path
    text: str
    document: dict[str, object]

    @property
    def name(self) -> str:
        return _relative(self.path)

    @property
    def triggers(self) -> dict[str, object]:
        # YAML 1.1 reads the bare key `on` as the boolean True.
        raw = self.document.get("on", self.document.get(True))  # pyright: ignore[reportArgumentType, reportCallIssue]
        if isinstance(raw, str):
            return {raw: None}
        if isinstance(raw, list):
            return {str(item): None for item in cast(list[object], raw)}
        return _mapping(raw)

    @property
    def jobs(self) -> dict[str, dict[str, object]]:
        return {job_id: _mapping(job) for job_id, job in _mapping(self.document.get("jobs")).items()}


# Parsed documents by file text: the cases read the same files ~300 times, and none changes a document.
_PARSED: dict[str, object] = {}


def load_workflow(path: Path) -> Workflow:
    text = path.read_text(encoding="utf-8")
    if text not in _PARSED:
        # libyaml: several times faster than the pure-Python loader
        _PARSED[text] = cast(object, yaml.load(text, Loader=yaml.CSafeLoader))
    document = _PARSED[text]
    if not isinstance(document, dict):
        raise AssertionError(f"{_relative(path)}: not a YAML mapping")
    return Workflow(path=path, text=text, document=cast(dict[str, object], document))


def _mapping(value: object) -> dict[str, object]:
    return cast(dict[str, object], value) if isinstance(value, dict) else {}


def _steps(job: dict[str, object]) -> list[dict[str, object]]:
    raw = job.get("steps")
    return [_mapping(step) for step in cast(list[object], raw)] if isinstance(raw, list) else []


def _with(step: dict[str, object]) -> dict[str, object]:
    return _mapping(step.get("with"))


def _uses(step: dict[str, object]) -> str:
    uses = step.get("uses")
    return uses if isinstance(uses, str) else ""


def _run(step: dict[str, object]) -> str:
    run = step.get("run")
    return run if isinstance(run, str) else ""


def _action(step: dict[str, object]) -> str:
    """``owner/repo`` of a step's action, without the ref."""
    return _uses(step).split("@", 1)[0]


def all_steps(workflow: Workflow) -> Iterator[tuple[str, dict[str, object]]]:
    for job_id, job in workflow.jobs.items():
        for step in _steps(job):
            yield job_id, step


def find_step(
    workflow: Workflow, job_id: str, *, step_id: str | None = None, name: str | None = None
) -> dict[str, object]:
    for step in _steps(workflow.jobs[job_id]):
        if (step_id is not None and step.get("id") == step_id) or (
            name is not None and step.get("name") == name
        ):
            return step
    raise AssertionError(f"{workflow.name}: job {job_id} has no step id={step_id!r} name={name!r}")


# --- this repository's rules (each returns every problem it finds) --------------------------------


def unpinned_actions(workflow: Workflow) -> list[str]:
    """Every remote ``uses:`` names a full commit SHA and says which release it is (``# vX.Y.Z``)."""
    problems: list[str] = []
    for number, line in enumerate(workflow.text.splitlines(), start=1):
        match = USES_LINE.match(line)
        if match is None:
            continue
        ref, comment = match["ref"], (match["comment"] or "").strip()
        if ref.startswith("./"):
            continue  # an action of the same repository, pinned by the checkout itself
        if not SHA_PIN.match(ref):
            problems.append(f"line {number}: {ref} is not pinned to a 40-hex commit SHA")
        elif not VERSION_COMMENT.match(comment):
            problems.append(f"line {number}: {ref} lacks a `# vX.Y.Z` comment naming the pinned release")
    return problems


def forbidden_triggers(workflow: Workflow) -> list[str]:
    """``pull_request_target`` runs fork code with the base repository's secrets: never used."""
    return [
        f"trigger {trigger} is forbidden" for trigger in workflow.triggers if trigger == "pull_request_target"
    ]


def expressions_in_run(workflow: Workflow) -> list[str]:
    """``${{ }}`` is pasted into the script before bash parses it: pass values through ``env:``."""
    return [
        f"job {job_id}, step {step.get('name') or _run(step)[:40]!r}: `${{{{` inside run:, pass it through env:"
        for job_id, step in all_steps(workflow)
        if "${{" in _run(step)
    ]


def top_level_permission_problems(workflow: Workflow) -> list[str]:
    """Top-level ``permissions`` present and read-only; jobs grant what they need."""
    if "permissions" not in workflow.document:
        return ["no top-level permissions: add `permissions: {}`"]
    permissions = workflow.document["permissions"]
    if permissions == "read-all":
        return []
    if isinstance(permissions, str):
        return [f"top-level permissions {permissions!r}: use {{}} or read-only grants"]
    return [
        f"top-level permission {scope}: {level}; grant it in the job that needs it"
        for scope, level in _mapping(permissions).items()
        if level not in ("read", "none")
    ]


def checkout_credential_problems(workflow: Workflow) -> list[str]:
    """``actions/checkout`` must not leave the token in .git/config for later steps."""
    return [
        f"job {job_id}: actions/checkout without `persist-credentials: false`"
        for job_id, step in all_steps(workflow)
        if _action(step) == "actions/checkout" and _with(step).get("persist-credentials") is not False
    ]


def destroy_problems(workflow: Workflow) -> list[str]:
    """No workflow destroys a stack: prod never, and staging is rebuilt by `up`, not torn down."""
    problems: list[str] = []
    for job_id, step in all_steps(workflow):
        if _action(step) == "pulumi/actions":
            arguments = _with(step)
            if arguments.get("command") == "destroy" or arguments.get("remove") in (True, "true"):
                problems.append(
                    f"job {job_id}: pulumi/actions destroys stack {arguments.get('stack-name')!r}"
                )
        if PULUMI_REMOVAL.search(_run(step)):
            problems.append(f"job {job_id}: a run: step destroys or removes a stack")
    return problems


Rule = Callable[[Workflow], list[str]]
RULES: tuple[Rule, ...] = (
    unpinned_actions,
    forbidden_triggers,
    expressions_in_run,
    top_level_permission_problems,
    checkout_credential_problems,
    destroy_problems,
)


@pytest.mark.parametrize("path", ALL_WORKFLOW_FILES, ids=_ids(ALL_WORKFLOW_FILES))
@pytest.mark.parametrize("rule", RULES, ids=[rule.__name__ for rule in RULES])
def test_workflow_follows_rule(path: Path, rule: Rule) -> None:
    problems = rule(load_workflow(path))
    assert problems == [], f"{_relative(path)}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("rule", RULES, ids=[rule.__name__ for rule in RULES])
def test_rule_catches_the_bad_workflow(tmp_path: Path, rule: Rule) -> None:
    bad = tmp_path / "bad.yml"
    _ = bad.write_text(BAD_WORKFLOW, encoding="utf-8")
    assert rule(load_workflow(bad)) != []


def test_there_are_workflows_to_check() -> None:
    assert len(ESTATE_WORKFLOW_FILES) >= 5, ESTATE_WORKFLOW_FILES
    assert {path.parent.name for path in APP_WORKFLOW_FILES} == {
        "gstarlink-handbook",
        "gstarlink-chatbot",
        *DATABASE_APP_REPOS,
    }


def test_each_action_has_one_pin() -> None:
    """One reviewed SHA (and release comment) per action across all workflows."""
    pins: dict[str, set[str]] = {}
    for path in ALL_WORKFLOW_FILES:
        for line in path.read_text(encoding="utf-8").splitlines():
            match = USES_LINE.match(line)
            if match is not None and "@" in match["ref"]:
                action, sha = match["ref"].split("@", 1)
                pins.setdefault(action, set()).add(f"{sha} # {(match['comment'] or '').strip()}")
    assert pins, "no uses: lines found"
    assert {action: sorted(found) for action, found in pins.items() if len(found) > 1} == {}


# --- the linters --------------------------------------------------------------------------------


def _tool(name: str) -> str:
    path = TOOLS_DIR / name
    if not path.exists():
        raise AssertionError(
            f"{name} is not installed next to {sys.executable}: run `make test` (it installs requirements-dev.txt)"
        )
    return str(path)


def _run_tool(arguments: list[str]) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        arguments, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, env=environment, check=False
    )


@dataclass(frozen=True)
class LintRun:
    """One run of a linter over every workflow at once (and the deliberately bad ones): its findings by file."""

    result: subprocess.CompletedProcess[str]
    findings: dict[Path, list[str]]

    def of(self, path: Path) -> list[str]:
        return self.findings.get(path.resolve(), [])

    def report(self, path: Path) -> str:
        return f"{_relative(path)}: {self.of(path)}\n{_report(self.result)}"


def _by_file(pairs: Iterator[tuple[str, str]]) -> dict[Path, list[str]]:
    findings: dict[Path, list[str]] = {}
    for filename, finding in pairs:
        findings.setdefault((REPO_ROOT / filename).resolve(), []).append(finding)
    return findings


def actionlint(paths: list[Path]) -> LintRun:
    result = _run_tool(
        [
            _tool("actionlint"),
            "-no-color",
            "-format",
            "{{json .}}",
            "-shellcheck",
            _tool("shellcheck"),
            "-pyflakes",
            "",
            *map(str, paths),
        ]
    )
    # 0: nothing found, 1: findings; any other code: it did not run.
    assert result.returncode in (0, 1), _report(result)
    errors = cast(list[dict[str, object]], json.loads(result.stdout or "[]"))
    return LintRun(
        result,
        _by_file(
            (str(e["filepath"]), f"{e['line']}:{e['column']}: {e['message']} [{e['kind']}]") for e in errors
        ),
    )


def zizmor(paths: list[Path]) -> LintRun:
    result = _run_tool(
        [
            _tool("zizmor"),
            "--offline",
            "--persona",
            "pedantic",
            "--no-progress",
            "--color",
            "never",
            "--format",
            "json",
            *map(str, paths),
        ]
    )
    # 0: nothing found, 10 and up: findings; 1 to 9: it did not run.
    assert result.returncode == 0 or result.returncode >= 10, _report(result)
    found = cast(list[dict[str, Any]], json.loads(result.stdout))
    findings = _by_file(
        (str(f["locations"][0]["symbolic"]["key"]["Local"]["verbatim_path"]), str(f["ident"]))
        for f in found
        if not f["ignored"]
    )
    # zizmor skips (with a warning) a file it cannot read as a workflow, where a run on that file alone fails.
    audited = {
        (REPO_ROOT / m).resolve() for m in re.findall(r"completed (\S+)$", result.stderr, re.MULTILINE)
    }
    for path in paths:
        if path.resolve() not in audited:
            findings.setdefault(path.resolve(), []).append(
                "not audited: zizmor could not read it as a workflow"
            )
    return LintRun(result, findings)


def workflow_schema(paths: list[Path]) -> LintRun:
    result = _run_tool(
        [
            _tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            "-o",
            "json",
            *map(str, paths),
        ]
    )
    document = cast(dict[str, Any], json.loads(result.stdout))
    assert result.returncode == (0 if document["status"] == "ok" else 1), _report(result)
    problems = [*document["errors"], *document["parse_errors"]]
    return LintRun(result, _by_file((str(e["filename"]), str(e.get("message", e))) for e in problems))


def _report(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


@dataclass(frozen=True)
class Lints:
    """Each linter run once over every workflow plus the deliberately bad workflows, which each must flag."""

    bad: Path
    invalid: Path
    actionlint: LintRun
    zizmor: LintRun
    schema: LintRun


@pytest.fixture(scope="module")
def lints(tmp_path_factory: pytest.TempPathFactory) -> Lints:
    directory = tmp_path_factory.mktemp("bad-workflows")
    bad, invalid = directory / "bad.yml", directory / "invalid.yml"
    _ = bad.write_text(BAD_WORKFLOW, encoding="utf-8")
    _ = invalid.write_text(SCHEMA_INVALID_WORKFLOW, encoding="utf-8")
    return Lints(
        bad,
        invalid,
        actionlint([*ALL_WORKFLOW_FILES, bad]),
        zizmor([*ALL_WORKFLOW_FILES, bad]),
        workflow_schema([*ALL_WORKFLOW_FILES, invalid]),
    )


@pytest.mark.parametrize("path", ALL_WORKFLOW_FILES, ids=_ids(ALL_WORKFLOW_FILES))
def test_actionlint_finds_nothing(lints: Lints, path: Path) -> None:
    assert lints.actionlint.of(path) == [], lints.actionlint.report(path)


@pytest.mark.parametrize("path", ALL_WORKFLOW_FILES, ids=_ids(ALL_WORKFLOW_FILES))
def test_zizmor_finds_nothing(lints: Lints, path: Path) -> None:
    assert lints.zizmor.of(path) == [], lints.zizmor.report(path)


@pytest.mark.parametrize("path", ALL_WORKFLOW_FILES, ids=_ids(ALL_WORKFLOW_FILES))
def test_matches_the_github_workflow_schema(lints: Lints, path: Path) -> None:
    assert lints.schema.of(path) == [], lints.schema.report(path)


def test_actionlint_fails_on_the_bad_workflow(lints: Lints) -> None:
    assert lints.actionlint.result.returncode != 0, lints.actionlint.report(lints.bad)
    assert any("potentially untrusted" in finding for finding in lints.actionlint.of(lints.bad)), (
        lints.actionlint.report(lints.bad)
    )


def test_zizmor_fails_on_the_bad_workflow(lints: Lints) -> None:
    assert lints.zizmor.result.returncode != 0, lints.zizmor.report(lints.bad)
    for audit in (
        "template-injection",
        "dangerous-triggers",
        "unpinned-uses",
        "excessive-permissions",
        "artipacked",
    ):
        assert audit in lints.zizmor.of(lints.bad), (
            f"zizmor did not report {audit}:\n{lints.zizmor.report(lints.bad)}"
        )


def test_schema_check_fails_on_an_invalid_workflow(lints: Lints) -> None:
    assert lints.schema.result.returncode != 0, lints.schema.report(lints.invalid)
    assert lints.schema.of(lints.invalid), lints.schema.report(lints.invalid)


# --- the estate's own pipelines -----------------------------------------------------------------


def estate(name: str) -> Workflow:
    return load_workflow(ESTATE_WORKFLOWS_DIR / name)


def test_ci_runs_the_test_command_on_pull_requests() -> None:
    workflow = estate("ci.yml")
    assert "pull_request" in workflow.triggers
    runs = [_run(step).strip() for _, step in all_steps(workflow) if _run(step)]
    # The README's test command, after the one system package its SVG test needs.
    assert runs == [
        "sudo apt-get update -qq && sudo apt-get install --yes --no-install-recommends graphviz",
        "make test",
    ]


def test_pull_requests_preview_each_affected_stack_with_the_policy_pack() -> None:
    workflow = estate("preview.yml")
    assert set(workflow.triggers) == {"pull_request"}
    job = workflow.jobs["preview"]
    assert job["needs"] == "affected-stacks"
    assert "fromJSON(needs.affected-stacks.outputs.stacks)" in str(_mapping(job["strategy"])["matrix"])
    pulumi_steps = [
        step for step in _steps(job) if _action(step) == "pulumi/actions" and "command" in _with(step)
    ]
    assert len(pulumi_steps) == 1
    arguments = _with(pulumi_steps[0])
    assert arguments["command"] == "preview"
    assert arguments["stack-name"] == "${{ matrix.stack }}"
    assert arguments["comment-on-pr"] is True and arguments["edit-pr-comment"] is True
    assert arguments["policyPacks"] == "policies"
    assert _mapping(job["permissions"]) == {"contents": "read", "id-token": "write", "pull-requests": "write"}


@pytest.mark.parametrize(
    ("stack", "branch", "environment"), [("prod", "main", "production"), ("staging", "staging", "staging")]
)
def test_each_deploy_branch_applies_its_stack(stack: str, branch: str, environment: str) -> None:
    workflow = estate(f"apply-{stack}.yml")
    assert workflow.triggers == {"push": {"branches": [branch]}}
    (job_id,) = workflow.jobs
    job = workflow.jobs[job_id]
    assert job["environment"] == environment
    assert _mapping(job["concurrency"]) == {"group": f"pulumi-{stack}", "cancel-in-progress": False}
    ups = [
        step
        for step in _steps(job)
        if _action(step) == "pulumi/actions" and _with(step).get("command") == "up"
    ]
    assert len(ups) == 1
    assert _with(ups[0])["stack-name"] == stack and _with(ups[0])["policyPacks"] == "policies"


def test_prod_apply_runs_the_protected_resource_guard_before_up() -> None:
    workflow = estate("apply-prod.yml")
    steps = _steps(workflow.jobs["apply-prod"])
    guard = next(index for index, step in enumerate(steps) if step.get("id") == "protected-guard")
    up = next(index for index, step in enumerate(steps) if _with(step).get("command") == "up")
    preview = next(index for index, step in enumerate(steps) if "pulumi preview --stack prod" in _run(step))
    assert preview < guard < up


def test_each_stack_has_its_own_apply_queue() -> None:
    """One concurrency group per stack: applies of a stack queue, prod and staging never wait on each other."""
    groups = [
        _mapping(job["concurrency"])["group"]
        for name in ("apply-prod.yml", "apply-staging.yml")
        for job in estate(name).jobs.values()
    ]
    assert groups == ["pulumi-prod", "pulumi-staging"]


def test_drift_check_refreshes_every_stack_on_a_schedule() -> None:
    workflow = estate("drift.yml")
    assert "schedule" in workflow.triggers
    job = workflow.jobs["drift"]
    assert _mapping(_mapping(job["strategy"])["matrix"])["stack"] == ["prod", "staging"]
    checks = [step for step in _steps(job) if _with(step).get("command") == "preview"]
    assert len(checks) == 1
    arguments = _with(checks[0])
    assert arguments["refresh"] is True and arguments["expect-no-changes"] is True
    issue = find_step(workflow, "drift", name="Open or update the drift issue")
    assert issue["if"] == "failure()"


@pytest.mark.parametrize("path", ALL_WORKFLOW_FILES, ids=_ids(ALL_WORKFLOW_FILES))
def test_id_token_only_in_jobs_that_assume_an_aws_role(path: Path) -> None:
    workflow = load_workflow(path)
    assert "id-token" not in _mapping(workflow.document.get("permissions"))
    for job_id, job in workflow.jobs.items():
        assumes_role = any(_action(step) == "aws-actions/configure-aws-credentials" for step in _steps(job))
        grants_token = _mapping(job.get("permissions")).get("id-token") == "write"
        assert assumes_role == grants_token, (
            f"{workflow.name} job {job_id}: id-token write={grants_token}, assumes AWS role={assumes_role}"
        )
        for step in _steps(job):
            if _action(step) == "aws-actions/configure-aws-credentials":
                assert _with(step).get("role-to-assume") == "${{ vars.AWS_ROLE_ARN }}"
                assert "aws-secret-access-key" not in _with(step), "long-lived AWS keys: use OIDC"


@pytest.mark.parametrize("path", ALL_WORKFLOW_FILES, ids=_ids(ALL_WORKFLOW_FILES))
def test_secrets_are_read_only_in_jobs_with_an_environment(path: Path) -> None:
    """Every secret is environment-scoped: a job that reads one declares its GitHub environment."""
    workflow = load_workflow(path)
    for job_id, job in workflow.jobs.items():
        reads_secret = (
            re.search(r"secrets\.(?!GITHUB_TOKEN\b)[A-Z_]+", yaml.dump(job, Dumper=yaml.CSafeDumper))
            is not None
        )
        if reads_secret:
            assert job.get("environment"), (
                f"{workflow.name} job {job_id} reads secrets without an environment"
            )


# --- the scripts inside the workflows, run against fixtures -------------------------------------


def run_script(
    script: str, environment: dict[str, str], cwd: Path, path_prefix: list[Path] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a step's ``run:`` like the runner does (``bash --noprofile --norc -eo pipefail``)."""
    search_path = os.pathsep.join([*(str(entry) for entry in path_prefix or []), os.environ.get("PATH", "")])
    script_file = cwd / ".step.sh"
    _ = script_file.write_text(script, encoding="utf-8")
    try:
        return subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_file)],
            cwd=cwd,
            env={"PATH": search_path, "HOME": str(cwd), "LANG": "C.UTF-8", **environment},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        script_file.unlink()


def git(repository: Path, *arguments: str) -> str:
    result = subprocess.run(
        [
            "git",
            "-c",
            "user.name=test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "commit.gpgsign=false",
            *arguments,
        ],
        cwd=repository,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(repository)},
    )
    return result.stdout.strip()


def commit_all(repository: Path, message: str) -> str:
    _ = git(repository, "add", "--all")
    _ = git(repository, "commit", "--quiet", "--allow-empty", "-m", message)
    return git(repository, "rev-parse", "HEAD")


def write_files(root: Path, files: dict[str, str | None]) -> None:
    """Write (or, for ``None``, delete) files under ``root``."""
    for relative, content in files.items():
        target = root / relative
        if content is None:
            target.unlink()
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        _ = target.write_text(content, encoding="utf-8")


# The base commit of each tree, made once: a pull request starts from a copy of its repository (git init and
# the base commit cost more than the rest of a case). No template: its sample hooks only make the copy slower.
_BASE_REPOSITORIES: dict[str, tuple[Path, str]] = {}


def pull_request(
    tmp_path: Path, base: dict[str, str | None], change: dict[str, str | None]
) -> tuple[Path, str, str]:
    """A repository with a base commit and a pull request commit on top; returns (repo, base, head)."""
    key = json.dumps(base, sort_keys=True)
    if key not in _BASE_REPOSITORIES:
        template = tmp_path / "base-repository"
        template.mkdir()
        _ = git(template, "init", "--quiet", "--template=", "-b", "main")
        write_files(template, base)
        _BASE_REPOSITORIES[key] = (template, commit_all(template, "base"))
    template, base_sha = _BASE_REPOSITORIES[key]
    repository = tmp_path / "repository"
    _ = shutil.copytree(template, repository, symlinks=True)
    write_files(repository, change)
    head_sha = commit_all(repository, "pull request")
    return repository, base_sha, head_sha


ESTATE_TREE: dict[str, str | None] = {
    "Pulumi.yaml": "name: estate\n",
    "Pulumi.prod.yaml": "config: {}\n",
    "Pulumi.staging.yaml": "config: {}\n",
    "__main__.py": "print('estate')\n",
    "docs/pipeline.md": "# Pipeline\n",
    "README.md": "# Estate\n",
}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"Pulumi.staging.yaml": "config: {a: 1}\n"}, ["staging"]),
        ({"Pulumi.prod.yaml": "config: {a: 1}\n"}, ["prod"]),
        (
            {"Pulumi.prod.yaml": "config: {a: 1}\n", "Pulumi.staging.yaml": "config: {a: 1}\n"},
            ["prod", "staging"],
        ),
        ({"__main__.py": "print('changed')\n"}, ["prod", "staging"]),
        ({"Pulumi.staging.yaml": "config: {a: 1}\n", "components/new.py": "x = 1\n"}, ["prod", "staging"]),
        ({"docs/pipeline.md": "# Changed\n", "README.md": "# Changed\n"}, []),
        ({"Pulumi.staging.yaml": None}, ["staging"]),
    ],
    ids=[
        "staging-config",
        "prod-config",
        "both-configs",
        "program",
        "config-and-code",
        "docs-only",
        "staging-config-deleted",
    ],
)
def test_pull_requests_preview_only_the_stacks_they_affect(
    tmp_path: Path, change: dict[str, str | None], expected: list[str]
) -> None:
    repository, base_sha, head_sha = pull_request(tmp_path, ESTATE_TREE, change)
    output = tmp_path / "github_output"
    script = _run(find_step(estate("preview.yml"), "affected-stacks", step_id="affected"))
    result = run_script(
        script, {"BASE_SHA": base_sha, "HEAD_SHA": head_sha, "GITHUB_OUTPUT": str(output)}, repository
    )
    assert result.returncode == 0, _report(result)
    (line,) = output.read_text(encoding="utf-8").splitlines()
    assert line.startswith("stacks=")
    assert json.loads(line.removeprefix("stacks=")) == expected


CANARY = "canary-secret-4f1d9a7c"


def _guard(tmp_path: Path, steps: list[dict[str, object]]) -> subprocess.CompletedProcess[str]:
    if shutil.which("jq") is None:
        raise AssertionError("jq is needed (it is on the runners and on this project's machine image)")
    plan = tmp_path / "prod-preview.json"
    _ = plan.write_text(json.dumps({"steps": steps, "changeSummary": {}}), encoding="utf-8")
    script = _run(find_step(estate("apply-prod.yml"), "apply-prod", step_id="protected-guard"))
    return run_script(script, {"PREVIEW_JSON": str(plan)}, tmp_path)


def _plan_step(op: str, name: str, *, protect: bool) -> dict[str, object]:
    urn = f"urn:pulumi:prod::estate::cloudflare:index/dnsRecord:DnsRecord::{name}"
    state = {"urn": urn, "protect": protect, "inputs": {"apiToken": CANARY}, "outputs": {"value": CANARY}}
    return {"op": op, "urn": urn, "oldState": state, "newState": state if op != "delete" else None}


@pytest.mark.parametrize("op", ["delete", "replace", "delete-replaced", "create-replacement", "discard"])
def test_prod_guard_refuses_to_remove_a_protected_resource(tmp_path: Path, op: str) -> None:
    result = _guard(tmp_path, [_plan_step("same", "www", protect=True), _plan_step(op, "apex", protect=True)])
    assert result.returncode == 1, _report(result)
    assert (
        f"::error title=Protected resource in a removing plan::{op} urn:pulumi:prod::estate::"
        in result.stdout
    )
    assert "DnsRecord::apex" in result.stdout and "DnsRecord::www" not in result.stdout
    assert CANARY not in result.stdout + result.stderr


def test_prod_guard_lets_through_unprotected_removals_and_protected_updates(tmp_path: Path) -> None:
    result = _guard(
        tmp_path,
        [_plan_step("delete", "old-record", protect=False), _plan_step("update", "apex", protect=True)],
    )
    assert result.returncode == 0, _report(result)
    assert "removes 1 resource(s)" in result.stdout
    assert CANARY not in result.stdout + result.stderr


def test_prod_guard_accepts_an_empty_plan(tmp_path: Path) -> None:
    result = _guard(tmp_path, [])
    assert result.returncode == 0, _report(result)


# Provider credentials: environment secret → stack config key (see docs/pipeline.md).
CREDENTIAL_STEP = "Provider credentials of this environment into the stack config"
PROVIDER_CREDENTIAL_SUFFIXES = ("CloudflareApiToken", "VercelApiToken", "GithubToken")


def credential_mapping(workflow: Workflow, job_id: str) -> dict[str, str]:
    script = _run(find_step(workflow, job_id, name=CREDENTIAL_STEP))
    block = script.split("<<'MAPPING'\n", 1)[1].split("\nMAPPING\n", 1)[0]
    return dict(cast(tuple[str, str], tuple(line.split())) for line in block.splitlines())


PULUMI_JOBS = [
    ("preview.yml", "preview"),
    ("apply-prod.yml", "apply-prod"),
    ("apply-staging.yml", "apply-staging"),
    ("drift.yml", "drift"),
]


@pytest.mark.parametrize(("name", "job_id"), PULUMI_JOBS)
def test_credentials_step_sets_every_provider_credential_the_program_reads(name: str, job_id: str) -> None:
    from stacks.settings import secret_config_keys

    workflow = estate(name)
    mapping = credential_mapping(workflow, job_id)
    wanted = {
        key
        for key in secret_config_keys()
        if key == "supabase:token" or key.endswith(PROVIDER_CREDENTIAL_SUFFIXES)
    }
    assert set(mapping.values()) == wanted
    step_environment = _mapping(find_step(workflow, job_id, name=CREDENTIAL_STEP)["env"])
    for variable in mapping:
        assert step_environment[variable] == f"${{{{ secrets.{variable} }}}}"


FAKE_PULUMI = """\
#!/usr/bin/env bash
# Records how it was called; a secret must arrive on stdin, never in argv.
{{ printf 'ARGV %s\\n' "$*"; if [ "$1" = config ]; then printf 'STDIN '; cat; printf '\\n'; fi; }} >> "{log}"
"""


def _credentials(tmp_path: Path, environment: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "pulumi.log"
    fake = bin_dir / "pulumi"
    _ = fake.write_text(FAKE_PULUMI.format(log=log), encoding="utf-8")
    fake.chmod(0o755)
    script = _run(find_step(estate("apply-prod.yml"), "apply-prod", name=CREDENTIAL_STEP))
    result = run_script(
        script,
        {"STACK": "prod", "PULUMI_BACKEND_URL": "s3://state?region=eu-central-1", **environment},
        tmp_path,
        [bin_dir],
    )
    return result, log.read_text(encoding="utf-8") if log.exists() else ""


def test_credentials_reach_the_stack_config_on_stdin_only(tmp_path: Path) -> None:
    mapping = credential_mapping(estate("apply-prod.yml"), "apply-prod")
    secrets = {variable: f"{CANARY}-{index}" for index, variable in enumerate(mapping)}
    result, log = _credentials(tmp_path, secrets)
    assert result.returncode == 0, _report(result)
    for variable, key in mapping.items():
        assert f"ARGV config set --secret --stack prod {key}\nSTDIN {secrets[variable]}\n" in log
    assert CANARY not in result.stdout + result.stderr
    assert all(CANARY not in line for line in log.splitlines() if line.startswith("ARGV"))


def test_missing_credentials_are_all_named_at_once(tmp_path: Path) -> None:
    mapping = credential_mapping(estate("apply-prod.yml"), "apply-prod")
    present, *absent = list(mapping)
    result, _ = _credentials(tmp_path, {present: CANARY})
    assert result.returncode == 1
    for variable in absent:
        assert f"::error title=Missing environment secret::{variable} is not set" in result.stdout
    assert present not in result.stdout and CANARY not in result.stdout + result.stderr


# --- app templates: the additive-migration lint -------------------------------------------------

INITIAL_MIGRATION = """\
CREATE TABLE orders (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  note text,
  total integer
);
CREATE INDEX orders_total_idx ON orders (total);
"""
BASE_APP_TREE: dict[str, str | None] = {
    "package.json": "{}\n",
    "supabase/migrations/20250101000000_init.sql": INITIAL_MIGRATION,
    "supabase/seed.sql": "INSERT INTO orders (note) VALUES ('seed');\n",
}
NEW_MIGRATION = "supabase/migrations/20250202000000_change.sql"

# One forbidden change per case, and the squawk rule that must name it.
FORBIDDEN_MIGRATIONS = {
    "ban-drop-column": "ALTER TABLE orders DROP COLUMN note;\n",
    "ban-drop-table": "DROP TABLE orders;\n",
    "renaming-column": "ALTER TABLE orders RENAME COLUMN note TO remark;\n",
    "renaming-table": "ALTER TABLE orders RENAME TO purchases;\n",
    "changing-column-type": "ALTER TABLE orders ALTER COLUMN total TYPE numeric;\n",
    "adding-required-field": "ALTER TABLE orders ADD COLUMN customer_id bigint NOT NULL;\n",
    "adding-not-nullable-field": "ALTER TABLE orders ALTER COLUMN total SET NOT NULL;\n",
    "require-concurrent-index-creation": "CREATE INDEX orders_note_idx ON orders (note);\n",
    "require-concurrent-index-deletion": "DROP INDEX orders_total_idx;\n",
    "ban-concurrent-index-creation-in-transaction": (
        "ALTER TABLE orders ADD COLUMN status text;\nCREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);\n"
    ),
}
ADDITIVE_MIGRATIONS = {
    "nullable-column": "ALTER TABLE orders ADD COLUMN coupon text;\n",
    "not-null-with-default": "ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new';\n",
    "new-table-with-index": (
        "CREATE TABLE coupons (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, code text NOT NULL);\n"
        "CREATE INDEX coupons_code_idx ON coupons (code);\n"
    ),
    "concurrent-index-alone": "CREATE INDEX CONCURRENTLY orders_note_idx ON orders (note);\n",
}


# The lint's outcome by (step script, pull request): the database apps deliver the same step, so an identical
# script on an identical pull request runs once, and each app's test judges that outcome.
_MIGRATION_LINTS: dict[tuple[str, str], subprocess.CompletedProcess[str]] = {}


def _lint_migrations(
    tmp_path: Path, repo: str, change: dict[str, str | None]
) -> subprocess.CompletedProcess[str]:
    script = _run(
        find_step(load_workflow(APP_WORKFLOWS_DIR / repo / "ci.yml"), "migrations-additive", step_id="squawk")
    )
    key = (script, json.dumps(change, sort_keys=True))
    if key not in _MIGRATION_LINTS:
        repository, base_sha, head_sha = pull_request(tmp_path, BASE_APP_TREE, change)
        _ = _tool("squawk")
        _MIGRATION_LINTS[key] = run_script(
            script, {"BASE_SHA": base_sha, "HEAD_SHA": head_sha}, repository, [TOOLS_DIR]
        )
    return _MIGRATION_LINTS[key]


@pytest.mark.parametrize("repo", DATABASE_APP_REPOS)
@pytest.mark.parametrize("rule", list(FORBIDDEN_MIGRATIONS))
def test_migration_lint_refuses_non_additive_changes(tmp_path: Path, repo: str, rule: str) -> None:
    result = _lint_migrations(tmp_path, repo, {NEW_MIGRATION: FORBIDDEN_MIGRATIONS[rule]})
    assert result.returncode != 0, _report(result)
    assert rule in result.stdout + result.stderr, _report(result)


@pytest.mark.parametrize("repo", DATABASE_APP_REPOS)
@pytest.mark.parametrize("case", list(ADDITIVE_MIGRATIONS))
def test_migration_lint_accepts_additive_changes(tmp_path: Path, repo: str, case: str) -> None:
    result = _lint_migrations(tmp_path, repo, {NEW_MIGRATION: ADDITIVE_MIGRATIONS[case]})
    assert result.returncode == 0, _report(result)
    assert NEW_MIGRATION in result.stdout


@pytest.mark.parametrize("repo", DATABASE_APP_REPOS)
def test_migration_lint_ignores_a_pull_request_without_migrations(tmp_path: Path, repo: str) -> None:
    # The already-merged init migration builds a blocking index; only the PR's files are linted.
    result = _lint_migrations(tmp_path, repo, {"src/app.ts": "export {};\n"})
    assert result.returncode == 0, _report(result)
    assert "No migration added or changed" in result.stdout


@pytest.mark.parametrize("repo", DATABASE_APP_REPOS)
def test_migration_lint_refuses_deleting_a_merged_migration(tmp_path: Path, repo: str) -> None:
    result = _lint_migrations(tmp_path, repo, {"supabase/migrations/20250101000000_init.sql": None})
    assert result.returncode == 1, _report(result)
    assert "20250101000000_init.sql is deleted or renamed" in result.stdout


@pytest.mark.parametrize("repo", DATABASE_APP_REPOS)
def test_a_pull_request_cannot_relax_the_migration_rules(tmp_path: Path, repo: str) -> None:
    relaxing = 'excluded_rules = ["ban-drop-column"]\n'
    result = _lint_migrations(
        tmp_path, repo, {".squawk.toml": relaxing, NEW_MIGRATION: FORBIDDEN_MIGRATIONS["ban-drop-column"]}
    )
    assert result.returncode != 0 and "ban-drop-column" in result.stdout, _report(result)


# --- app templates: deploy targets --------------------------------------------------------------


@pytest.mark.parametrize(
    ("job_id", "wrong"), [("deploy-production", "staging"), ("deploy-staging", "production")]
)
def test_chatbot_deploy_stops_in_a_miswired_environment(tmp_path: Path, job_id: str, wrong: str) -> None:
    workflow = load_workflow(APP_WORKFLOWS_DIR / "gstarlink-chatbot" / "deploy.yml")
    check = next(step for step in _steps(workflow.jobs[job_id]) if "WRANGLER_ENV" in _run(step))
    result = run_script(_run(check), {"WRANGLER_ENV": wrong}, tmp_path)
    assert result.returncode == 1 and f"WRANGLER_ENV is '{wrong}'" in result.stdout
    right = "production" if wrong == "staging" else "staging"
    assert run_script(_run(check), {"WRANGLER_ENV": right}, tmp_path).returncode == 0


def _deploy_commands(repo: str, file: str, job_id: str) -> list[str]:
    workflow = load_workflow(APP_WORKFLOWS_DIR / repo / file)
    return [
        _run(step)
        for step in _steps(workflow.jobs[job_id])
        if _run(step) and "failure()" not in str(step.get("if", ""))  # failure reports deploy nothing
    ]


def test_handbook_deploys_both_builds_to_their_pages_projects() -> None:
    for job_id in ("deploy-production", "deploy-staging"):
        commands = _deploy_commands("gstarlink-handbook", "deploy.yml", job_id)
        assert "npm run build:internal" in commands and "npm run build:public" in commands
        deploys = [command for command in commands if "pages deploy" in command]
        assert len(deploys) == 2 and all(
            '--project-name "$PAGES_PROJECT" --branch "$DEPLOY_BRANCH"' in d for d in deploys
        )
        workflow = load_workflow(APP_WORKFLOWS_DIR / "gstarlink-handbook" / "deploy.yml")
        projects = [
            _mapping(step.get("env")).get("PAGES_PROJECT")
            for step in _steps(workflow.jobs[job_id])
            if "pages deploy" in _run(step)
        ]
        assert projects == ["${{ vars.PAGES_PROJECT_INTERNAL }}", "${{ vars.PAGES_PROJECT_PUBLIC }}"]


def test_chatbot_deploys_with_a_pinned_wrangler() -> None:
    production = _deploy_commands("gstarlink-chatbot", "deploy.yml", "deploy-production")
    staging = _deploy_commands("gstarlink-chatbot", "deploy.yml", "deploy-staging")
    assert 'npx --yes "wrangler@${WRANGLER_VERSION}" deploy' in production
    assert 'npx --yes "wrangler@${WRANGLER_VERSION}" deploy --env staging' in staging
    workflow = load_workflow(APP_WORKFLOWS_DIR / "gstarlink-chatbot" / "deploy.yml")
    assert re.fullmatch(r"\d+\.\d+\.\d+", str(_mapping(workflow.document["env"])["WRANGLER_VERSION"]))


@pytest.mark.parametrize("repo", DATABASE_APP_REPOS)
def test_database_workflow_seeds_staging_only(repo: str) -> None:
    production = _deploy_commands(repo, "database.yml", "migrate-production")
    staging = _deploy_commands(repo, "database.yml", "migrate-staging")
    assert production == [
        'npx --yes "supabase@${SUPABASE_CLI_VERSION}" db push --db-url "$SUPABASE_DB_URL" --yes'
    ]
    assert staging == [
        'npx --yes "supabase@${SUPABASE_CLI_VERSION}" db push --db-url "$SUPABASE_DB_URL" --yes --include-seed'
    ]
    assert not any("seed" in command for command in production)
