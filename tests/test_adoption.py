"""Adopting the existing estate: ``estate:imports`` (the ``import_`` option) and ``estate import-file``."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import pytest

from estate.cli import main
from estate.engine import load_stack_config, run_program
from estate.import_file import import_document, placeholders, render_id
from stacks.adoption import IMPORT_FORMATS, import_format
from stacks.settings import SettingsError, load_settings
from tests.shared_plans import plan_of

SDK_PACKAGES = {
    "cloudflare": "pulumi_cloudflare",
    "vercel": "pulumiverse_vercel",
    "github": "pulumi_github",
    "random": "pulumi_random",
    "supabase": "pulumi_supabase",
    "sentry": "pulumiverse_sentry",
    "time": "pulumiverse_time",
}
CANARY = "CANARY-hunter2-9b7e"


def plan_with_imports(stack: str, imports: dict[str, str]) -> dict[str, Any]:
    config, secret_keys, _ = load_stack_config(stack)
    config["estate:imports"] = json.dumps(imports)
    return run_program(stack, config, secret_keys).to_json()


def sdk_module_text(type_token: str) -> str:
    """The source of the SDK module that defines a resource type."""
    provider, module, name = type_token.split(":")
    stem = module.split("/")[1] if "/" in module else name
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", stem).lower()
    spec = importlib.util.find_spec(SDK_PACKAGES[provider])
    assert spec is not None and spec.submodule_search_locations
    return (Path(next(iter(spec.submodule_search_locations))) / f"{snake}.py").read_text()


def separators(text: str) -> str:
    return "".join(c for c in text if c in "/:")


def custom_types(*stacks: str) -> set[str]:
    return {
        r["type"]
        for stack in stacks
        for r in plan_of(stack)["resources"]
        # A read (the StackReference) is never imported: the engine reads it on every run.
        if r.get("custom") and not r.get("read") and not r["type"].startswith("pulumi:providers:")
    }


def test_every_resource_type_of_the_stacks_has_an_import_format() -> None:
    missing = sorted(t for t in custom_types("prod", "staging") if import_format(t) is None)
    assert missing == [], f"describe these in stacks.adoption.IMPORT_FORMATS: {missing}"
    for stack in ("prod", "staging"):
        import_document(plan_of(stack), strict=True)  # raises on an unknown type


@pytest.mark.parametrize("type_token", sorted(IMPORT_FORMATS))
def test_formats_follow_the_installed_sdk_docs(type_token: str) -> None:
    known = IMPORT_FORMATS[type_token]
    text = sdk_module_text(type_token)
    documented = re.findall(rf"\$ pulumi import {re.escape(type_token)} \S+ '?([^'\s]+)'?", text)
    if known.documented is None:
        assert documented == [], f"{type_token}: the SDK documents an import ID now: {documented}"
        return
    assert known.documented in documented, f"{type_token}: {known.documented!r} not among {documented}"
    assert known.template is not None
    fields = {name: "x" for name in re.findall(r"\{@?([A-Za-z0-9_.]+)", known.template)}
    resource = {"inputs": fields, "options": {"depends_on": []}}
    rendered = render_id(known.template, resource, {})
    assert separators(rendered) == separators(known.documented), (rendered, known.documented)


def engine_urn(stack: str, project: str, entry: dict[str, Any], by_name: dict[str, dict[str, Any]]) -> str:
    """The URN ``pulumi import`` gives an entry: its parents' types, then its own."""
    types = [entry["type"]]
    parent = entry.get("parent")
    while parent:
        types.insert(0, by_name[parent]["type"])
        parent = by_name[parent].get("parent")
    return f"urn:pulumi:{stack}::{project}::{'$'.join(types)}::{entry['name']}"


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_import_file_reproduces_the_programs_urns(stack: str) -> None:
    plan = plan_of(stack)
    document, skipped = import_document(plan)
    entries = document["resources"]
    by_name = {e["name"]: e for e in entries}
    assert len(by_name) == len(entries), "names must be unique for parent references"
    # The program's URNs as the engine forms them: every ancestor's type, outermost first. (The
    # mock monitor's URNs keep only the nearest parent's type, so they are not compared as text.)
    by_urn = {r["urn"]: r for r in plan["resources"]}
    program = {
        r["name"]: {
            "type": r["type"],
            "name": r["name"],
            **({"parent": by_urn[r["parent"]]["name"]} if r.get("parent") in by_urn else {}),
        }
        for r in plan["resources"]
    }
    for entry in entries:
        assert engine_urn(stack, plan["project"], entry, by_name) == engine_urn(
            stack, plan["project"], program[entry["name"]], program
        )
        if entry.get("component"):
            assert "id" not in entry
        else:
            assert entry["id"]
        if "provider" in entry:
            assert document["nameTable"][entry["provider"]].startswith(
                f"urn:pulumi:{stack}::estate::pulumi:providers:"
            )
    left_out = {s.name for s in skipped}
    assert not left_out & set(by_name)
    assert {"oms-database-db-password", "oms-repository-workflow-pr", "oms-database-auth"} <= left_out
    assert "[secret]" not in json.dumps(document)


def test_ids_built_from_the_declared_inputs() -> None:
    document, _ = import_document(plan_of("prod"))
    ids = {e["name"]: e.get("id") for e in document["resources"]}
    assert ids["oms-repository-protection"] == "shopify-esim-system:main"
    assert ids["oms-repository-environment"] == "shopify-esim-system:production"
    assert ids["oms-repository-secret-SUPABASE_DB_URL"] == "shopify-esim-system:production:SUPABASE_DB_URL"
    assert ids["handbook-handbook-project"] == "5f1c0a8e9b2d4c6e8a0b1c2d3e4f5a6b/gstarlink-handbook-internal"
    assert (
        ids["handbook-handbook-domain"]
        == "5f1c0a8e9b2d4c6e8a0b1c2d3e4f5a6b/gstarlink-handbook-internal/handbook.gstarlink.com"
    )
    assert ids["handbook-handbook-access"].startswith("accounts/5f1c0a8e9b2d4c6e8a0b1c2d3e4f5a6b/<")
    assert ids["oms-vercel-dns-oms.gstarlink.com"].startswith("8c2e4a6b0d1f3e5a7c9b1d3f5e7a9c0b/<")
    # The project is a Python dynamic resource: not importable; create adopts it by name instead.
    assert "oms-database-project" not in ids
    assert ids["oms-vercel-domain-oms.gstarlink.com"] == (
        "team_gstarlink0000000000000000/<ID of the Project oms-vercel-project>/oms.gstarlink.com"
    )
    assert "oms-repository-protection" not in {e["name"] for e in placeholders(document)}


def test_adoption_sets_import_on_the_listed_resources_and_the_file_uses_them() -> None:
    imports = {
        "oms-vercel-project": "team_gstarlink0000000000000000/prj_existing0000000000000000001",
        "oms-vercel-dns-oms.gstarlink.com": "8c2e4a6b0d1f3e5a7c9b1d3f5e7a9c0b/0123456789abcdef0123456789abcdef",
    }
    plan = plan_with_imports("prod", imports)
    adopted = {r["name"]: r["options"]["import_id"] for r in plan["resources"] if r["options"]["import_id"]}
    assert adopted == imports
    document, _ = import_document(plan)
    ids = {e["name"]: e.get("id") for e in document["resources"]}
    # Resources that reference an adopted one get its ID in theirs.
    assert ids["oms-vercel-domain-oms.gstarlink.com"] == (
        "team_gstarlink0000000000000000/prj_existing0000000000000000001/oms.gstarlink.com"
    )


def test_entries_that_adopt_nothing_are_config_errors_naming_the_key() -> None:
    imports = {
        "oms-vercel-projekt": "team_x/prj_typo",
        "oms-vercel": "team_x/prj_component",
        "gstarlink-cloudflare": "provider",
        "oms-database-db-password": CANARY,
        "oms-repository-secret-SUPABASE_DB_URL": "shopify-esim-system:production:SUPABASE_DB_URL",
        "oms-vercel-env-DATABASE_URL-production": "team_x/prj_x/env_sensitive",
        "oms-vercel-env-SHOPIFY_API_KEY-production": "team_x/prj_x/env_plain",
        "oms-database-project": "abcdefghijklmnopqrst",  # dynamic: create adopts it by name instead
    }
    with pytest.raises(SettingsError) as raised:
        plan_with_imports("prod", imports)
    problems = {p.key: p for p in raised.value.problems}
    assert set(problems) == {f"estate:imports.{name}" for name in imports} - {
        "estate:imports.oms-vercel-env-SHOPIFY_API_KEY-production"
    }  # a plain variable can be adopted
    typo = problems["estate:imports.oms-vercel-projekt"]
    assert "did you mean oms-vercel-project" in typo.message
    assert typo.fix.endswith(
        "pulumi config set --stack prod --path 'estate:imports.oms-vercel-project' 'team_x/prj_typo'"
    )
    assert "component" in problems["estate:imports.oms-vercel"].message
    assert "oms-vercel-project" in problems["estate:imports.oms-vercel"].message
    assert "provider" in problems["estate:imports.gstarlink-cloudflare"].message
    assert "sensitive" in problems["estate:imports.oms-vercel-env-DATABASE_URL-production"].message
    password = problems["estate:imports.oms-database-db-password"]
    assert password.value == "[secret]"
    assert CANARY not in str(raised.value)
    for problem in problems.values():
        assert problem.fix.startswith("pulumi config rm --stack prod --path 'estate:imports.")


def test_the_shape_of_estate_imports_is_validated_with_the_other_settings() -> None:
    config, secret_keys, _ = load_stack_config("prod")
    config["estate:imports"] = json.dumps(["oms-vercel-project"])
    config["estate:requiredApprovals"] = "0"
    with pytest.raises(SettingsError) as raised:
        load_settings("prod", config, secret_keys, offline=True)
    keys = {p.key for p in raised.value.problems}
    assert {"estate:imports", "estate:requiredApprovals"} <= keys

    config["estate:imports"] = json.dumps(
        {"oms-vercel-project": " ", "oms-vercel-domain-oms.gstarlink.com": 7}
    )
    with pytest.raises(SettingsError) as raised:
        load_settings("prod", config, secret_keys, offline=True)
    keys = {p.key for p in raised.value.problems}
    assert {"estate:imports.oms-vercel-project", "estate:imports.oms-vercel-domain-oms.gstarlink.com"} <= keys

    config["estate:requiredApprovals"] = "1"
    config["estate:imports"] = json.dumps({"oms-vercel-project": "team_x/prj_y"})
    assert load_settings("prod", config, secret_keys, offline=True).imports == {
        "oms-vercel-project": "team_x/prj_y"
    }


@pytest.mark.usefixtures("shared_plans")
def test_cli_writes_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "import.json"
    assert main(["import-file", "--stack", "staging", "--output", str(target)]) == 0
    document = json.loads(target.read_text())
    assert {"nameTable", "resources"} <= set(document)
    names = {e["name"] for e in document["resources"]}
    assert "oms-vercel-project" in names
    err = capsys.readouterr().err
    assert "pulumi import --stack staging --file" in err
    assert "left out" in err
