"""The app workflow templates agree with what each stack sets up in the app repositories.

Read from the offline plans of both stacks (``estate.engine.run_plan``):

* every required status check of a branch protection is a job that one of the
  repository's templates runs on pull requests into that branch (or on
  ``deployment_status``: the preview E2E job of apps with an E2E command);
* every app with an E2E command requires its preview-e2e check;
* every ``secrets.X`` / ``vars.X`` a job reads is an ActionsEnvironmentSecret /
  ActionsEnvironmentVariable of that repository and of the job's environment,
  set by the stack that serves that environment;
* every deploy job runs on the branch its environment deploys (the stack's
  deployment branch policy) and the workflow is triggered by pushes to it;
* no production job applies seed data;
* the files the stacks deliver are exactly the templates in ``app-workflows/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import cast

import pytest
import yaml

from policies.resource_types import ACTIONS_ENVIRONMENT_SECRET as ENVIRONMENT_SECRET
from policies.resource_types import ACTIONS_ENVIRONMENT_VARIABLE as ENVIRONMENT_VARIABLE
from policies.resource_types import BRANCH_PROTECTION, DEPLOYMENT_POLICY
from tests.plan_queries import delivered_files

REPO_ROOT = Path(__file__).resolve().parent.parent
APP_WORKFLOWS_DIR = REPO_ROOT / "app-workflows"
STACK_ENVIRONMENTS = {"prod": "production", "staging": "staging"}
DEPLOY_JOB_BRANCH = re.compile(r"^github\.ref == 'refs/heads/(?P<branch>[^']+)'$")
# Only inside ${{ }} expressions: `secrets.json` in a shell line is a file name.
SECRET_REFERENCE = re.compile(r"\$\{\{[^}]*?\bsecrets\.([A-Za-z_][A-Za-z0-9_]*)")
VARIABLE_REFERENCE = re.compile(r"\$\{\{[^}]*?\bvars\.([A-Za-z_][A-Za-z0-9_]*)")


@cache
def plan(stack: str) -> dict[str, object]:
    from tests.shared_plans import plan_of

    return plan_of(stack)


def resources(stack: str, type_token: str) -> list[dict[str, object]]:
    """The inputs of every planned resource of one type."""
    found = [cast(dict[str, object], resource) for resource in cast(list[object], plan(stack)["resources"])]
    return [
        cast(dict[str, object], resource["inputs"]) for resource in found if resource["type"] == type_token
    ]


@dataclass(frozen=True)
class Job:
    """One job of one app workflow template."""

    repository: str
    file: str
    job_id: str
    body: dict[str, object]
    triggers: dict[str, object]

    @property
    def label(self) -> str:
        return f"{self.repository}/{self.file} job {self.job_id}"

    @property
    def check_name(self) -> str:
        """The status check name GitHub reports: the job's `name:` or else its id."""
        name = self.body.get("name")
        return name if isinstance(name, str) else self.job_id

    @property
    def environment(self) -> str | None:
        environment = self.body.get("environment")
        if isinstance(environment, dict):
            environment = cast(dict[str, object], environment).get("name")
        return environment if isinstance(environment, str) else None

    def trigger_branches(self, event: str) -> list[str]:
        trigger = self.triggers.get(event)
        if not isinstance(trigger, dict):
            return []
        branches = cast(dict[str, object], trigger).get("branches")
        return [str(branch) for branch in cast(list[object], branches)] if isinstance(branches, list) else []

    def references(self, pattern: re.Pattern[str]) -> set[str]:
        return set(pattern.findall(yaml.dump(self.body, Dumper=yaml.CSafeDumper)))


def app_repositories() -> list[str]:
    return sorted(path.name for path in APP_WORKFLOWS_DIR.iterdir() if path.is_dir())


def workflow_texts(repository: str) -> dict[str, str]:
    """File name → text of every workflow the stacks deliver to ``repository``: its templates and,
    where its app has an E2E command, the rendered preview E2E workflow."""
    from stacks.app_checks import preview_e2e_files
    from stacks.catalog import APPS

    texts = {
        path.name: path.read_text(encoding="utf-8")
        for path in sorted(APP_WORKFLOWS_DIR.joinpath(repository).glob("*.yml"))
    }
    for app in APPS:
        if app.repository == repository:
            texts |= {Path(path).name: text for path, text in preview_e2e_files(app).items()}
    return texts


def jobs(repository: str) -> Iterator[Job]:
    for name, text in workflow_texts(repository).items():
        document = cast(dict[object, object], yaml.load(text, Loader=yaml.CSafeLoader))
        raw_triggers = document.get("on", document.get(True))  # YAML 1.1 reads a bare `on` as True
        triggers = cast(dict[str, object], raw_triggers) if isinstance(raw_triggers, dict) else {}
        for job_id, body in cast(dict[str, dict[str, object]], document["jobs"]).items():
            yield Job(repository, name, job_id, body, triggers)


def reports_on_pull_requests_into(job: Job, branch: str) -> bool:
    """A pull_request job into ``branch``, or a deployment_status job: its run reports its check
    on the deployed commit, which for a Vercel preview is the pull request's head."""
    return branch in job.trigger_branches("pull_request") or "deployment_status" in job.triggers


def deploy_branch(stack: str, repository: str) -> str:
    """The branch the stack's environment deploys in ``repository`` (its deployment branch policy)."""
    environment = STACK_ENVIRONMENTS[stack]
    patterns = [
        str(policy["branchPattern"])
        for policy in resources(stack, DEPLOYMENT_POLICY)
        if policy["repository"] == repository and policy["environment"] == environment
    ]
    assert len(patterns) == 1, (
        f"{stack}: {repository} has deployment branch policies {patterns} for {environment}"
    )
    return patterns[0]


STACKS = sorted(STACK_ENVIRONMENTS)


@pytest.mark.parametrize("stack", STACKS)
def test_required_checks_are_jobs_run_on_pull_requests_into_the_branch(stack: str) -> None:
    protections = resources(stack, BRANCH_PROTECTION)
    assert {str(protection["repositoryId"]) for protection in protections} == set(app_repositories())
    problems: list[str] = []
    for protection in protections:
        repository, branch = str(protection["repositoryId"]), str(protection["pattern"])
        checks = cast(list[dict[str, object]], protection["requiredStatusChecks"])
        contexts = [str(context) for check in checks for context in cast(list[object], check["contexts"])]
        produced = {job.check_name for job in jobs(repository) if reports_on_pull_requests_into(job, branch)}
        if not contexts:
            problems.append(f"{repository} ({branch}): no required status checks")
        problems += [
            f"{repository} ({branch}): required check {context!r} is not a job run on pull requests into "
            + f"{branch} (jobs: {sorted(produced)})"
            for context in contexts
            if context not in produced
        ]
    assert problems == []


@pytest.mark.parametrize("stack", STACKS)
def test_every_secret_a_job_reads_is_set_for_its_environment(stack: str) -> None:
    environment = STACK_ENVIRONMENTS[stack]
    declared = {
        (str(secret["repository"]), str(secret["environment"]), str(secret["secretName"]))
        for secret in resources(stack, ENVIRONMENT_SECRET)
    }
    problems: list[str] = []
    for repository in app_repositories():
        for job in jobs(repository):
            read = job.references(SECRET_REFERENCE) - {"GITHUB_TOKEN"}
            if read and job.environment is None:
                problems.append(f"{job.label} reads secrets {sorted(read)} without an environment")
            if job.environment != environment:
                continue
            problems += [
                f"{job.label} reads secrets.{name}, which the {stack} stack does not set in {environment}"
                for name in sorted(read)
                if (repository, environment, name) not in declared
            ]
    assert problems == []


@pytest.mark.parametrize("stack", STACKS)
def test_every_variable_a_job_reads_is_set_for_its_environment(stack: str) -> None:
    environment = STACK_ENVIRONMENTS[stack]
    declared = {
        (str(variable["repository"]), str(variable["environment"]), str(variable["variableName"]))
        for variable in resources(stack, ENVIRONMENT_VARIABLE)
    }
    problems: list[str] = []
    for repository in app_repositories():
        for job in jobs(repository):
            read = job.references(VARIABLE_REFERENCE)
            if read and job.environment is None:
                problems.append(f"{job.label} reads variables {sorted(read)} without an environment")
            if job.environment != environment:
                continue
            problems += [
                f"{job.label} reads vars.{name}, which the {stack} stack does not set in {environment}"
                for name in sorted(read)
                if (repository, environment, name) not in declared
            ]
    assert problems == []


@pytest.mark.parametrize("stack", STACKS)
def test_deploy_jobs_run_on_the_branch_their_environment_deploys(stack: str) -> None:
    environment = STACK_ENVIRONMENTS[stack]
    problems: list[str] = []
    for repository in app_repositories():
        branch = deploy_branch(stack, repository)
        protected = [
            str(p["pattern"]) for p in resources(stack, BRANCH_PROTECTION) if p["repositoryId"] == repository
        ]
        if protected != [branch]:
            problems.append(f"{repository}: {stack} protects {protected} but deploys {branch}")
        for job in jobs(repository):
            if job.environment != environment:
                continue
            condition = DEPLOY_JOB_BRANCH.match(str(job.body.get("if", "")))
            if condition is None or condition["branch"] != branch:
                problems.append(
                    f"{job.label}: runs in {environment} but not only on {branch} (if: {job.body.get('if')})"
                )
            if branch not in job.trigger_branches("push"):
                problems.append(f"{job.label}: the workflow is not triggered by pushes to {branch}")
    assert problems == []


@pytest.mark.parametrize("repository", ["shopify-esim-system", "esim-hub", "fancrush-talkline"])
def test_every_database_environment_has_a_migration_job(repository: str) -> None:
    environments = {job.environment for job in jobs(repository) if job.file == "database.yml"}
    assert environments == set(STACK_ENVIRONMENTS.values())


def test_no_production_job_applies_seed_data() -> None:
    problems: list[str] = []
    for repository in app_repositories():
        for job in jobs(repository):
            steps = cast(list[dict[str, object]], job.body.get("steps", []))
            # What runs (commands and action inputs), not what the steps are called.
            executed = yaml.dump(
                [[step.get("run"), step.get("with")] for step in steps], Dumper=yaml.CSafeDumper
            )
            if "seed" in executed and job.environment != "staging":
                problems.append(f"{job.label} (environment {job.environment}) applies seed data")
    assert problems == []


@pytest.mark.parametrize("stack", STACKS)
def test_stack_delivers_exactly_the_templates(stack: str) -> None:
    delivered = delivered_files(plan(stack))
    templates = {
        (repository, f".github/workflows/{path.name}"): path.read_text(encoding="utf-8")
        for repository in app_repositories()
        for path in sorted(APP_WORKFLOWS_DIR.joinpath(repository).glob("*.yml"))
    }
    # The checklist's scripts, manifest and pull-request template (tests/test_pr_checklist.py checks their content).
    from stacks.app_checks import checklist_files, preview_e2e_files
    from stacks.catalog import APPS

    templates |= {
        (app.repository, path): content for app in APPS for path, content in checklist_files(app).items()
    }
    templates |= {
        (app.repository, path): content for app in APPS for path, content in preview_e2e_files(app).items()
    }
    assert sorted(delivered) == sorted(templates)
    assert [key for key in templates if delivered[key] != templates[key]] == []


@pytest.mark.parametrize("stack", STACKS)
def test_apps_with_an_e2e_command_require_the_preview_check(stack: str) -> None:
    from stacks.app_checks import PREVIEW_E2E_CHECK
    from stacks.catalog import APPS

    required = {
        str(protection["repositoryId"]): {
            str(context)
            for check in cast(list[dict[str, object]], protection["requiredStatusChecks"])
            for context in cast(list[object], check["contexts"])
        }
        for protection in resources(stack, BRANCH_PROTECTION)
    }
    missing = [
        app.repository
        for app in APPS
        if app.e2e_command and PREVIEW_E2E_CHECK not in required[app.repository]
    ]
    assert missing == []


def test_a_deployment_status_job_counts_as_a_pull_request_check() -> None:
    """The rendered preview job of an app with an E2E command is a check its pull requests can require."""
    import dataclasses

    from stacks.app_checks import PREVIEW_E2E_CHECK, preview_e2e_files
    from stacks.catalog import APPS

    app = dataclasses.replace(next(app for app in APPS if app.key == "talkline"), e2e_command="npm run e2e")
    for name, text in preview_e2e_files(app).items():
        document = cast(dict[object, object], yaml.load(text, Loader=yaml.CSafeLoader))
        triggers = cast(dict[str, object], document.get("on", document.get(True)))
        for job_id, body in cast(dict[str, dict[str, object]], document["jobs"]).items():
            job = Job(app.repository, name, job_id, body, triggers)
            assert job.check_name == PREVIEW_E2E_CHECK
            assert reports_on_pull_requests_into(job, "main") and reports_on_pull_requests_into(
                job, "develop"
            )
