"""The pre-deploy checklist's files each app repository gets, and its environment-variable manifest.

Delivered next to the workflows (``app-workflows/<repository>/checklist.yml``)
through the same pull request: the pull-request template carrying the
checklist, the two checks' scripts from ``app-checks/``, and the manifest of
the environment-variable names each environment provides (never values).

The ``env-vars`` check of the app's pull requests (``app-checks/check_env.py``)
compares what the code reads with it. Both stacks deliver the same file, built
from the catalog alone, so the pull requests into the production and staging
branches never disagree about it; ``tests/test_pr_checklist.py`` proves that
every name listed is what each stack's plan really sets for the app's runtime
(Vercel variables of the production target, Worker bindings, the Pages
build's environment secrets and variables).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from stacks.catalog import App, Plain, Secret, VercelHosting, WorkerHosting

# The environments a manifest covers and the stack serving each.
ENVIRONMENT_STACKS = {"production": "prod", "staging": "staging"}
APP_CHECKS_DIR = Path(__file__).resolve().parent.parent / "app-checks"
MANIFEST_PATH = ".github/estate/env-manifest.json"
# The labels `changelog-or-adr` reads (app-checks/check_records.py: SIGNIFICANT_LABEL, SKIP_LABEL_PREFIX):
# name → (colour, description). Labels are repository-wide, so the production stack declares them.
CHECKLIST_LABELS: dict[str, tuple[str, str]] = {
    "significant": ("d93f0b", "Needs a CHANGELOG.md entry or a docs/adr/ record (changelog-or-adr check)"),
    "no-changelog: internal refactor": (
        "c5def5",
        "No changelog or ADR: nothing changes for users or operators",
    ),
    "no-changelog: revert": ("c5def5", "No changelog or ADR: reverts a change whose record stays"),
    "no-changelog: dependency update": ("c5def5", "No changelog or ADR: a routine dependency update"),
    "no-changelog: tests or docs only": ("c5def5", "No changelog or ADR: only tests or documentation change"),
}
# Repository path → file under app-checks/.
CHECK_FILES = {
    ".github/estate/check_env.py": "check_env.py",
    ".github/estate/check_records.py": "check_records.py",
    ".github/pull_request_template.md": "pull_request_template.md",
}


def runtime_names(app: App) -> list[str]:
    """The names the estate provides to the app's running code, the same in every environment."""
    from components.error_tracking import DSN_VARIABLES  # not at import: it loads the provider SDKs

    names = [variable.key for variable in app.env]
    if app.error_tracking:
        names += list(DSN_VARIABLES)
    return sorted(set(names))


def _kind(app: App) -> str:
    kinds = {type(hosting) for hosting in app.hosting}
    if kinds == {WorkerHosting}:
        return "worker"
    return "vercel" if VercelHosting in kinds else "pages"


def env_manifest(app: App) -> dict[str, Any]:
    """The manifest of one app (see the module docstring)."""
    names = runtime_names(app)
    config_keys = {
        variable.key: f"estate:{variable.source.config_key}"
        for variable in app.env
        if isinstance(variable.source, (Secret, Plain))
    }
    return {
        "app": app.key,
        "kind": _kind(app),
        "stacks": dict(ENVIRONMENT_STACKS),
        "environments": {environment: names for environment in ENVIRONMENT_STACKS},
        "config_keys": dict(sorted(config_keys.items())),
    }


def env_manifest_text(app: App) -> str:
    return json.dumps(env_manifest(app), indent=2) + "\n"


PREVIEW_E2E_TEMPLATE = "preview-e2e.yml"
PREVIEW_E2E_PATH = ".github/workflows/preview-e2e.yml"
# The check the preview-e2e job reports: required on pull requests of apps with an E2E command.
PREVIEW_E2E_CHECK = "preview-e2e"
E2E_COMMAND_MARKER = '"__E2E_COMMAND__"'


def preview_e2e_files(app: App) -> dict[str, str]:
    """The preview E2E workflow for ``app``'s repository, or nothing when it has no E2E command.

    The command is written as a JSON string (a valid YAML double-quoted scalar) into the
    step's ``env``, never into ``run:``, so no character of it is read as shell or as an
    Actions expression (the catalog refuses ``${{`` in it).
    """
    if app.e2e_command is None:
        return {}
    template = (APP_CHECKS_DIR / PREVIEW_E2E_TEMPLATE).read_text(encoding="utf-8")
    return {PREVIEW_E2E_PATH: template.replace(E2E_COMMAND_MARKER, json.dumps(app.e2e_command))}


def checklist_files(app: App) -> dict[str, str]:
    """Repository path → content of the checklist's files for ``app``'s repository."""
    files = {
        path: (APP_CHECKS_DIR / source).read_text(encoding="utf-8") for path, source in CHECK_FILES.items()
    }
    return files | {MANIFEST_PATH: env_manifest_text(app)}
