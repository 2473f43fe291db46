"""The pre-deploy checklist by machine: the ``env-vars`` and ``changelog-or-adr`` checks of the app repositories.

The scripts (``app-checks/``) run here the way the delivered workflow runs
them: the workflow step's own ``run:`` script, in a git repository with a base
commit and a pull request on top, against small fixture apps. Also: the
manifest each stack delivers lists exactly the names its plan sets; both stacks
require both checks; the pull-request template carries the seeds' checklist.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from policies.resource_types import ISSUE_LABEL
from stacks.app_checks import (
    CHECK_FILES,
    MANIFEST_PATH,
    checklist_files,
    env_manifest,
    env_manifest_text,
    runtime_names,
)
from stacks.catalog import APPS, App
from tests.plan_queries import (
    BRANCH_PROTECTION,
    ENVIRONMENT_SECRET,
    ENVIRONMENT_VARIABLE,
    VERCEL_ENV,
    delivered_files,
    of_type,
)
from tests.shared_plans import plan_of
from tests.test_workflows import (
    APP_WORKFLOWS_DIR,
    REPO_ROOT,
    TOOLS_DIR,
    _report,
    _run,
    find_step,
    load_workflow,
    pull_request,
    run_script,
)

APP_CHECKS_DIR = REPO_ROOT / "app-checks"
CHECK_JOBS = ("env-vars", "changelog-or-adr")
STACK_ENVIRONMENTS = {"prod": "production", "staging": "staging"}


def app(key: str) -> App:
    return next(candidate for candidate in APPS if candidate.key == key)


def estate_files(key: str) -> dict[str, str | None]:
    """What the estate delivers to an app repository besides workflows (scripts, manifest, template)."""
    return {path: content for path, content in checklist_files(app(key)).items()}


def run_env_check(
    tmp_path: Path, key: str, base: dict[str, str | None], change: dict[str, str | None]
) -> subprocess.CompletedProcess[str]:
    """The `env-vars` job's check step, run in a pull request of ``key``'s repository."""
    repository, base_sha, _ = pull_request(tmp_path, {**estate_files(key), **base}, change)
    workflow = load_workflow(APP_WORKFLOWS_DIR / app(key).repository / "checklist.yml")
    script = _run(find_step(workflow, "env-vars", step_id="env-vars"))
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    return run_script(
        script, {"BASE_SHA": base_sha, "RUNNER_TEMP": str(runner_temp)}, repository, [TOOLS_DIR]
    )


NEXT_ROUTE = "app/api/checkout/route.ts"


@pytest.fixture(scope="module")
def new_secret_check(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """The check on a pull request whose code reads a new secret: judged here and shown in docs/pipeline.md."""
    code = "export function key() {\n  return process.env.STRIPE_NEW_KEY;\n}\n"
    return run_env_check(tmp_path_factory.mktemp("new-secret"), "talkline", {}, {NEXT_ROUTE: code})


# --- env-vars: Next.js -----------------------------------------------------------------------------


def test_a_new_secret_read_by_the_code_fails_naming_the_variable_environments_and_fix(
    new_secret_check: subprocess.CompletedProcess[str],
) -> None:
    result = new_secret_check
    assert result.returncode == 1, _report(result)
    out = result.stdout
    assert f"::error file={NEXT_ROUTE},line=2,title=Undeclared environment variable STRIPE_NEW_KEY::" in out
    assert "the estate does not provide it in production and staging" in out
    assert 'EnvVar("STRIPE_NEW_KEY", Secret("talklineStripeNewKey", ' in out
    assert "pulumi config set --stack prod --secret estate:talklineStripeNewKey%0A" in out
    assert out.rstrip().endswith("each error above says what to add to the estate.")
    assert "pulumi config set --stack staging --secret estate:talklineStripeNewKey" in out


def test_declared_and_platform_variables_pass(tmp_path: Path) -> None:
    code = (
        "const { TWILIO_AUTH_TOKEN, VAPI_API_KEY: vapi } = process.env;\n"
        "export const stripe = process.env.STRIPE_SECRET_KEY;\n"
        "export const site = process.env['NEXT_PUBLIC_SITE_URL'];\n"
        "export const live = process.env.NODE_ENV === 'production' && process.env.VERCEL_ENV && process.env.CI;\n"
    )
    result = run_env_check(tmp_path, "talkline", {}, {NEXT_ROUTE: code})
    assert result.returncode == 0, _report(result)
    assert "::error" not in result.stdout


def test_a_comment_or_string_mentioning_a_name_is_not_a_read(tmp_path: Path) -> None:
    code = (
        "// TODO read process.env.STRIPE_NEW_KEY once the plan is approved\n"
        "/* process.env.OTHER_KEY */\n"
        'export const help = "set process.env.STRIPE_NEW_KEY in the dashboard";\n'
        "export const tpl = `process.env.TEMPLATE_KEY`;\n"
        "export const stripe = process.env.STRIPE_SECRET_KEY;\n"
    )
    result = run_env_check(tmp_path, "talkline", {}, {NEXT_ROUTE: code})
    assert result.returncode == 0, _report(result)
    assert "STRIPE_NEW_KEY" not in result.stdout and "TEMPLATE_KEY" not in result.stdout


def test_browser_variables_are_declared_as_plain_config(tmp_path: Path) -> None:
    code = "export const flag = process.env.NEXT_PUBLIC_NEW_FLAG;\n"
    result = run_env_check(tmp_path, "oms", {}, {"components/Flag.tsx": code})
    assert result.returncode == 1, _report(result)
    assert 'EnvVar("NEXT_PUBLIC_NEW_FLAG", Plain("omsNewFlag", ' in result.stdout
    assert "pulumi config set --stack prod estate:omsNewFlag '<value>'" in result.stdout
    assert "--secret estate:omsNewFlag" not in result.stdout


def test_declared_but_never_read_is_a_warning(tmp_path: Path) -> None:
    result = run_env_check(
        tmp_path, "talkline", {}, {NEXT_ROUTE: "export const a = process.env.STRIPE_SECRET_KEY;\n"}
    )
    assert result.returncode == 0, _report(result)
    assert "::warning title=Declared but never read: TWILIO_AUTH_TOKEN::" in result.stdout
    assert "pulumi config rm --stack prod estate:talklineTwilioAuthToken" in result.stdout
    assert "Declared but never read: STRIPE_SECRET_KEY" not in result.stdout


def test_test_files_and_assignments_are_not_reads_and_computed_names_warn(tmp_path: Path) -> None:
    change: dict[str, str | None] = {
        "lib/checkout.test.ts": "const k = process.env.TEST_ONLY_KEY;\n",
        "tests/setup.ts": "const k = process.env.ALSO_TEST_ONLY;\n",
        "lib/setup.ts": "process.env.WRITTEN_HERE = 'x';\nexport const any = (n: string) => process.env[n];\n",
    }
    result = run_env_check(tmp_path, "talkline", {}, change)
    assert result.returncode == 0, _report(result)
    assert "TEST_ONLY" not in result.stdout and "WRITTEN_HERE" not in result.stdout
    assert "::warning file=lib/setup.ts,line=2,title=Environment variable read by name::" in result.stdout


def test_a_pull_request_cannot_declare_its_own_variable_in_the_manifest(tmp_path: Path) -> None:
    manifest = env_manifest(app("talkline"))
    manifest["environments"] = {
        env: [*names, "STRIPE_NEW_KEY"] for env, names in manifest["environments"].items()
    }
    change: dict[str, str | None] = {
        NEXT_ROUTE: "export const k = process.env.STRIPE_NEW_KEY;\n",
        MANIFEST_PATH: json.dumps(manifest),
    }
    result = run_env_check(tmp_path, "talkline", {}, change)
    assert result.returncode == 1, _report(result)
    assert "Undeclared environment variable STRIPE_NEW_KEY" in result.stdout


# --- env-vars: Workers -----------------------------------------------------------------------------

WORKER_CODE = """\
export default {
  async fetch(request, env, ctx) {
    const answer = await ask(env.LLM_API_KEY, env.MODEL_NAME);
    return new Response(answer + env.HISTORY + env.NEW_PROVIDER_KEY);
  },
};
"""
WRANGLER_TOML = """\
name = "gstarlink-chatbot"
main = "src/index.js"

[vars]
MODEL_NAME = "small"

[[kv_namespaces]]
binding = "HISTORY"
id = "0f2ac74b498b48028cb68387ee6f4ea2"

[env.staging]
name = "gstarlink-chatbot-staging"

[[env.staging.kv_namespaces]]
binding = "HISTORY"
id = "1f2ac74b498b48028cb68387ee6f4ea2"
"""


def test_worker_bindings_count_per_wrangler_environment(tmp_path: Path) -> None:
    result = run_env_check(
        tmp_path, "chatbot", {"wrangler.toml": WRANGLER_TOML}, {"src/index.js": WORKER_CODE}
    )
    assert result.returncode == 1, _report(result)
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    # wrangler's [vars] are not inherited by [env.staging]: MODEL_NAME lacks in staging only.
    assert any(
        "title=Undeclared environment variable MODEL_NAME::" in e and "provide it in staging.%0A" in e
        for e in errors
    )
    assert any("NEW_PROVIDER_KEY" in e and "in production and staging" in e for e in errors)
    assert "pulumi config set --stack prod --secret estate:chatbotNewProviderKey" in result.stdout
    assert not any("LLM_API_KEY" in e or "HISTORY" in e for e in errors)


def test_worker_with_every_binding_declared_passes(tmp_path: Path) -> None:
    wrangler = WRANGLER_TOML + '\n[env.staging.vars]\nMODEL_NAME = "small"\n'
    code = WORKER_CODE.replace(" + env.NEW_PROVIDER_KEY", "")
    result = run_env_check(tmp_path, "chatbot", {"wrangler.toml": wrangler}, {"src/index.js": code})
    assert result.returncode == 0, _report(result)


# --- the manifest and the delivery ---------------------------------------------------------------


@pytest.mark.parametrize("stack", sorted(STACK_ENVIRONMENTS))
def test_manifest_lists_what_each_stack_provides_to_the_running_app(stack: str) -> None:
    plan = plan_of(stack)
    environment = STACK_ENVIRONMENTS[stack]
    problems: list[str] = []
    for entry in APPS:
        listed = set(env_manifest(entry)["environments"][environment])
        on_vercel = {
            str(r["inputs"]["key"])
            for r in of_type(plan, VERCEL_ENV)
            if str(r["name"]).startswith(f"{entry.key}-") and "production" in r["inputs"]["targets"]
        }
        if on_vercel:
            if listed != on_vercel:
                problems.append(
                    f"{entry.key}: manifest {sorted(listed)} but {stack} sets {sorted(on_vercel)} on Vercel"
                )
            continue
        # Workers and Pages builds get their variables through the deploy workflow's environment.
        in_github = {
            str(r["inputs"].get("secretName") or r["inputs"].get("variableName"))
            for r in of_type(plan, ENVIRONMENT_SECRET) + of_type(plan, ENVIRONMENT_VARIABLE)
            if r["inputs"]["repository"] == entry.repository
        }
        if listed - in_github:
            problems.append(
                f"{entry.key}: manifest lists {sorted(listed - in_github)}, {stack} does not set them"
            )
    assert problems == []


def test_manifest_holds_names_only() -> None:
    for entry in APPS:
        manifest = env_manifest(entry)
        assert set(manifest) == {"app", "kind", "stacks", "environments", "config_keys"}
        for names in manifest["environments"].values():
            assert names == runtime_names(entry)
        assert all(key.startswith("estate:") for key in manifest["config_keys"].values())


@pytest.mark.parametrize("stack", sorted(STACK_ENVIRONMENTS))
def test_each_stack_delivers_the_checks_manifest_and_template_to_every_repository(stack: str) -> None:
    delivered = delivered_files(plan_of(stack))
    problems: list[str] = []
    for entry in APPS:
        expected = {
            **{
                path: (APP_CHECKS_DIR / source).read_text(encoding="utf-8")
                for path, source in CHECK_FILES.items()
            },
            MANIFEST_PATH: env_manifest_text(entry),
            ".github/workflows/checklist.yml": (
                APP_WORKFLOWS_DIR / entry.repository / "checklist.yml"
            ).read_text(),
        }
        problems += [
            f"{stack}: {entry.repository} {path} is not delivered as in the estate"
            for path, content in expected.items()
            if delivered.get((entry.repository, path)) != content
        ]
    assert problems == []


@pytest.mark.parametrize("stack", sorted(STACK_ENVIRONMENTS))
def test_both_checks_are_required_on_every_deploy_branch(stack: str) -> None:
    missing = [
        f"{protection['inputs']['repositoryId']}: {job}"
        for protection in of_type(plan_of(stack), BRANCH_PROTECTION)
        for job in CHECK_JOBS
        if job not in [c for check in protection["inputs"]["requiredStatusChecks"] for c in check["contexts"]]
    ]
    assert missing == []


@pytest.mark.parametrize("repository", sorted(entry.repository for entry in APPS))
def test_checklist_jobs_run_on_pull_requests_and_on_label_changes(repository: str) -> None:
    workflow = load_workflow(APP_WORKFLOWS_DIR / repository / "checklist.yml")
    assert set(workflow.jobs) == set(CHECK_JOBS)
    trigger: Any = workflow.triggers["pull_request"]
    assert {"labeled", "unlabeled", "opened", "synchronize"} <= set(trigger["types"])


def test_pull_request_template_carries_the_seeds_checklist() -> None:
    template = (APP_CHECKS_DIR / "pull_request_template.md").read_text(encoding="utf-8")
    boxes = [line for line in template.splitlines() if line.startswith("- [ ] ")]
    expected = [
        "Tests pass locally",
        "Reviewed by at least one other person",
        "Database migrations (if any) are additive only",
        "Environment variables updated if new secrets were introduced",
        "Changelog or ADR written",
    ]
    assert [next((b for b in boxes if e in b), None) is not None for e in expected] == [True] * 5
    assert "`env-vars`" in template and "`changelog-or-adr`" in template


# --- changelog-or-adr ------------------------------------------------------------------------------

BASE_APP: dict[str, str | None] = {
    "package.json": "{}\n",
    "CHANGELOG.md": "# Changelog\n\n## Unreleased\n",
    "docs/adr/0001-record-decisions.md": "# Record decisions\n",
    "supabase/migrations/20250101000000_init.sql": "create table t (id bigint primary key);\n",
    "app/page.tsx": "export default function Page() { return null; }\n",
}
MIGRATION: dict[str, str | None] = {
    "supabase/migrations/20250301000000_add.sql": "alter table t add column note text;\n"
}


def run_records_check(tmp_path: Path, change: dict[str, str | None], labels: list[str]):
    repository, base_sha, head_sha = pull_request(tmp_path, {**BASE_APP, **estate_files("oms")}, change)
    workflow = load_workflow(APP_WORKFLOWS_DIR / "shopify-esim-system" / "checklist.yml")
    script = _run(find_step(workflow, "changelog-or-adr", step_id="records"))
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    environment = {
        "BASE_SHA": base_sha,
        "HEAD_SHA": head_sha,
        "PR_LABELS": json.dumps(labels),
        "RUNNER_TEMP": str(runner_temp),
    }
    return run_script(script, environment, repository, [TOOLS_DIR])


@pytest.mark.parametrize(
    ("change", "labels", "reason"),
    [
        (MIGRATION, [], "touches migrations (supabase/migrations/20250301000000_add.sql)"),
        ({"wrangler.toml": 'name = "x"\n'}, [], "touches infrastructure (wrangler.toml)"),
        ({"vercel.json": "{}\n"}, [], "touches infrastructure (vercel.json)"),
        ({"app/page.tsx": "export default 1;\n"}, ["significant"], "is labelled 'significant'"),
        (MIGRATION, ["no-changelog:"], "touches migrations"),
    ],
    ids=["migration", "wrangler", "vercel", "significant-label", "skip-label-without-reason"],
)
def test_significant_change_without_a_record_fails_saying_what_to_add(
    tmp_path: Path, change: dict[str, str | None], labels: list[str], reason: str
) -> None:
    result = run_records_check(tmp_path, change, labels)
    assert result.returncode == 1, _report(result)
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert line.startswith(f"::error title=Changelog or ADR needed::This pull request {reason}")
    assert "an entry in CHANGELOG.md (under '## Unreleased')" in line
    assert "docs/adr/NNNN-short-title.md" in line and "'no-changelog: internal refactor'" in line


@pytest.mark.parametrize(
    ("change", "labels"),
    [
        ({**MIGRATION, "CHANGELOG.md": "# Changelog\n\n## Unreleased\n- note column\n"}, []),
        ({**MIGRATION, "docs/adr/0002-notes.md": "# Notes\n"}, []),
        ({"app/page.tsx": "export default 2;\n", "CHANGELOG.md": "# Changelog\n- x\n"}, ["significant"]),
        (MIGRATION, ["no-changelog: internal refactor"]),
        ({"app/page.tsx": "export default 3;\n"}, []),
        ({".github/workflows/ci.yml": "name: ci\n"}, []),
    ],
    ids=[
        "changelog",
        "new-adr",
        "significant-with-changelog",
        "skip-label",
        "ordinary-change",
        "delivered-workflows",
    ],
)
def test_recorded_or_ordinary_changes_pass(
    tmp_path: Path, change: dict[str, str | None], labels: list[str]
) -> None:
    result = run_records_check(tmp_path, change, labels)
    assert result.returncode == 0, _report(result)


def test_editing_an_existing_adr_is_not_a_new_record(tmp_path: Path) -> None:
    change: dict[str, str | None] = {
        **MIGRATION,
        "docs/adr/0001-record-decisions.md": "# Record decisions, edited\n",
    }
    result = run_records_check(tmp_path, change, [])
    assert result.returncode == 1, _report(result)


def test_check_scripts_need_only_their_pinned_parser() -> None:
    """The delivered scripts import nothing from this repository (they run in the app repositories)."""
    for source in ("check_env.py", "check_records.py"):
        result = subprocess.run(
            [sys.executable, "-I", str(APP_CHECKS_DIR / source), "--help"],
            capture_output=True,
            text=True,
            check=False,
            cwd=APP_CHECKS_DIR,
            env={"BASE_SHA": "", "HEAD_SHA": ""},
        )
        assert "ModuleNotFoundError" not in result.stderr, result.stderr


# --- the labels the records check reads ----------------------------------------------------------


def test_production_declares_the_labels_in_every_repository_staging_none() -> None:
    from stacks.app_checks import CHECKLIST_LABELS

    declared: dict[str, set[str]] = {}
    for label in of_type(plan_of("prod"), ISSUE_LABEL):
        declared.setdefault(str(label["inputs"]["repository"]), set()).add(str(label["inputs"]["name"]))
    assert declared == {entry.repository: set(CHECKLIST_LABELS) for entry in APPS}
    assert of_type(plan_of("staging"), ISSUE_LABEL) == []


def test_each_declared_label_means_what_the_records_check_reads(tmp_path: Path) -> None:
    import importlib.util

    from stacks.app_checks import CHECKLIST_LABELS

    spec = importlib.util.spec_from_file_location("check_records", APP_CHECKS_DIR / "check_records.py")
    assert spec is not None and spec.loader is not None
    records: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(records)
    migration = [("A", "supabase/migrations/20250301000000_add.sql")]
    for label in CHECKLIST_LABELS:
        passed, lines = records.verdict(migration, [label])
        if label == records.SIGNIFICANT_LABEL:
            assert not passed and "is labelled 'significant'" in lines[0]
        else:
            assert passed, (label, lines)
            assert lines == [
                f"This pull request touches migrations (supabase/migrations/20250301000000_add.sql); "
                f"no record, because of the label {label!r}."
            ]


def test_labels_made_by_hand_are_adopted_not_created_again() -> None:
    """GitHub answers 422 to a label name that exists, and the pinned provider's create only POSTs."""
    import json

    from estate.engine import load_stack_config, run_program
    from estate.import_file import import_document

    document, _ = import_document(plan_of("prod"))
    ids = {entry["name"]: entry.get("id") for entry in document["resources"]}
    assert ids["talkline-labels-significant"] == "fancrush-talkline:significant"
    assert ids["oms-labels-no-changelog-revert"] == "shopify-esim-system:no-changelog: revert"
    config, secret_keys, _ = load_stack_config("prod")
    config["estate:imports"] = json.dumps({"talkline-labels-significant": "fancrush-talkline:significant"})
    plan = run_program("prod", config, secret_keys).to_json()
    (label,) = [r for r in of_type(plan, ISSUE_LABEL) if r["name"] == "talkline-labels-significant"]
    assert label["options"]["import_id"] == "fancrush-talkline:significant"


def test_the_documented_env_vars_error_is_what_the_check_prints(
    new_secret_check: subprocess.CompletedProcess[str],
) -> None:
    """docs/pipeline.md's `env-vars` example: the annotation's title, then its message, as GitHub shows them."""
    import re

    result = new_secret_check
    (annotation,) = [line for line in result.stdout.splitlines() if line.startswith("::error ")]
    found = re.fullmatch(r"::error [^:]*title=([^:]+)::(.*)", annotation)
    assert found is not None, annotation
    shown = [found.group(1), *found.group(2).replace("%0A", "\n").replace("%25", "%").splitlines()]
    docs = (Path(__file__).resolve().parent.parent / "docs" / "pipeline.md").read_text(encoding="utf-8")
    section = docs[docs.index("### `env-vars`") : docs.index("### `changelog-or-adr`")]
    first_block = re.findall(r"```\n(.*?)```", section, flags=re.DOTALL)[0]
    assert first_block.rstrip("\n").splitlines() == shown
