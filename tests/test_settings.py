"""Bad config is refused before any resource is registered, with every problem named at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from estate.engine import PROJECT_DIR, load_stack_config
from stacks.settings import (
    OFFLINE_SECRET_PLACEHOLDER,
    SettingsError,
    load_from_pulumi,
    load_settings,
    offline_placeholders,
    secret_config_keys,
)

CANARY = "sk_" + "live_CANARY0123456789abcdef"  # split: no scanner mistakes a test canary for a key


def stack_config(stack: str) -> tuple[dict[str, str], list[str]]:
    config, secret_keys, _ = load_stack_config(stack)
    return config, secret_keys


def problems_of(stack: str, config: dict[str, str], secret_keys: list[str]) -> list[str]:
    with pytest.raises(SettingsError) as raised:
        load_settings(stack, config, secret_keys, offline=True)
    return [str(problem) for problem in raised.value.problems]


def set_object(config: dict[str, str], key: str, path: list[str], value: object) -> None:
    document = json.loads(config[key])
    target = document
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    config[key] = json.dumps(document)


def test_a_real_run_refuses_the_offline_placeholder() -> None:
    """The program's own loader, as `pulumi up` runs it: a secret holding the offline placeholder is an error."""
    import pulumi.runtime

    config, secret_keys, placeholders = load_stack_config("prod")
    assert placeholders and all(config[key] == OFFLINE_SECRET_PLACEHOLDER for key in placeholders)
    pulumi.runtime.reset_options(project="estate", stack="prod")
    pulumi.runtime.set_all_config(config, secret_keys)
    with pytest.raises(SettingsError) as raised:
        load_from_pulumi()
    problems = {problem.key: problem for problem in raised.value.problems}
    assert set(problems) == set(placeholders), "every placeholder is named, and nothing else is wrong"
    for key in placeholders:
        assert (
            problems[key].message
            == "holds the offline plan's placeholder, not a value: a real run needs the real one"
        )
        assert problems[key].value == "[secret]"
        assert problems[key].fix == f"pulumi config set --stack prod --secret '{key}'"
    # The Slack URL's own format check does not wave the placeholder through either.
    with pytest.raises(SettingsError) as raised:
        load_settings("prod", config, secret_keys)
    assert "estate:alertsSlackWebhookUrl" in {problem.key for problem in raised.value.problems}
    # The offline plan, and only it, loads the same config.
    with offline_placeholders():
        assert load_from_pulumi().stack == "prod"
    with pytest.raises(SettingsError):
        load_from_pulumi()


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_committed_stacks_load(stack: str) -> None:
    config, secret_keys = stack_config(stack)
    settings = load_settings(stack, config, secret_keys, offline=True)
    assert settings.environment == ("production" if stack == "prod" else "staging")


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda c: set_object(c, "estate:organizations", ["gstarlink", "zone"], "not a zone"),
            'estate:organizations.gstarlink.zone = "not a zone": must be a DNS name',
        ),
        (
            lambda c: set_object(c, "estate:organizations", ["fancrush", "cloudflareAccountId"], "123"),
            'estate:organizations.fancrush.cloudflareAccountId = "123": must be a 32-character lowercase hex',
        ),
        (
            lambda c: set_object(c, "estate:organizations", ["gstarlink", "vercelTeamId"], "gstarlink"),
            "must be a Vercel team ID",
        ),
        (lambda c: c.pop("estate:environment"), "estate:environment = (missing): required"),
        (lambda c: c.update({"estate:environment": "prod"}), "must be one of ['production', 'staging']"),
        (
            lambda c: set_object(c, "estate:supabase", ["region"], "mars-1"),
            'estate:supabase.region = "mars-1"',
        ),
        (lambda c: c.update({"estate:requiredApprovals": "0"}), "at least one review"),
        (lambda c: c.update({"estate:access": json.dumps({"emailDomains": []})}), "allows no one"),
        (
            lambda c: set_object(c, "estate:requiredStatusChecks", ["esim-hub"], []),
            "estate:requiredStatusChecks.esim-hub = []: must be a non-empty list",
        ),
        (
            lambda c: c.update({"estate:hosting": json.dumps({"esim-hub": "netlify"})}),
            "estate:hosting.esim-hub = \"netlify\": must be ['vercel']",
        ),
        (
            lambda c: c.update({"estate:hosting": json.dumps({"oms": "pages"})}),
            "estate:hosting.oms = \"pages\": must be ['vercel']",
        ),
        (
            lambda c: c.update({"estate:enviroment": "production"}),
            "estate:enviroment = [hidden]: unknown key; did you mean estate:environment?",
        ),
        (
            lambda c: c.update({"estate:talklineStripePublishableKey": "pk_test_123"}),
            "the production stack needs a production value matching /pk_live_/",
        ),
    ],
    ids=[
        "zone",
        "account-id",
        "vercel-team",
        "missing-environment",
        "bad-environment",
        "region",
        "approvals",
        "access-empty",
        "checks-empty",
        "hosting-unknown-kind",
        "hosting-not-switchable",
        "typo-key",
        "test-key-in-prod",
    ],
)
def test_each_bad_setting_is_named_with_its_fix(mutate, expected: str) -> None:
    config, secret_keys = stack_config("prod")
    mutate(config)
    problems = problems_of("prod", config, secret_keys)
    assert any(expected in problem for problem in problems), f"expected {expected!r} in {problems}"
    assert all("fix: pulumi config" in problem for problem in problems), (
        f"every problem says how to fix it: {problems}"
    )
    assert all("--stack prod" in problem for problem in problems), f"every fix names the stack: {problems}"


def test_all_problems_are_reported_at_once() -> None:
    config, secret_keys = stack_config("prod")
    set_object(config, "estate:organizations", ["gstarlink", "zone"], "bad zone")
    config["estate:requiredApprovals"] = "0"
    config.pop("estate:supabase")
    problems = problems_of("prod", config, secret_keys)
    assert len(problems) == 3, problems


def test_plaintext_secret_is_refused_without_showing_it() -> None:
    config, secret_keys = stack_config("staging")
    key = "estate:talklineStripeSecretKey"
    config[key] = CANARY
    secret_keys.remove(key)
    with pytest.raises(SettingsError) as raised:
        load_settings("staging", config, secret_keys, offline=True)
    message = str(raised.value)
    assert CANARY not in message, "a secret value leaked into an error"
    assert f"pulumi config set --stack staging --secret '{key}'" in message, message


def test_live_stripe_key_refused_in_staging_without_showing_it() -> None:
    config, secret_keys = stack_config("staging")
    config["estate:talklineStripeSecretKey"] = CANARY
    with pytest.raises(SettingsError) as raised:
        load_settings("staging", config, secret_keys, offline=True)
    message = str(raised.value)
    assert "test-mode value matching" in message and CANARY not in message, message


def test_test_stripe_key_accepted_in_staging() -> None:
    config, secret_keys = stack_config("staging")
    config["estate:talklineStripeSecretKey"] = "sk_test_abc"
    assert (
        load_settings("staging", config, secret_keys, offline=True)
        .secrets["talklineStripeSecretKey"]
        .reveal()
        == "sk_test_abc"
    )


def test_pitr_is_refused_on_staging() -> None:
    config, secret_keys = stack_config("staging")
    set_object(config, "estate:supabase", ["pointInTimeRecovery"], "pitr_7")
    assert any("production only" in p for p in problems_of("staging", config, secret_keys))


def test_missing_secret_names_its_set_command() -> None:
    config, secret_keys = stack_config("prod")
    del config["estate:gstarlinkGithubToken"]
    problems = problems_of("prod", config, secret_keys)
    assert any(
        "pulumi config set --stack prod --secret 'estate:gstarlinkGithubToken'" in p for p in problems
    ), problems


def test_offline_plan_gives_every_secret_a_placeholder() -> None:
    config, secret_keys, placeholders = load_stack_config("prod")
    assert set(secret_config_keys()) <= set(placeholders)
    assert all(config[key] == OFFLINE_SECRET_PLACEHOLDER for key in placeholders)
    assert set(placeholders) <= set(secret_keys)


def test_secret_values_never_repr() -> None:
    config, secret_keys = stack_config("prod")
    config["estate:omsShopifyApiSecret"] = CANARY
    settings = load_settings("prod", config, secret_keys, offline=True)
    assert CANARY not in repr(settings), "settings repr shows a secret"


def test_pulumi_yaml_documents_every_key() -> None:
    import yaml

    from stacks.settings import NAMESPACE, known_config_keys

    declared = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())["config"]
    expected = {key.split(":", 1)[1] for key in known_config_keys() if key.startswith(f"{NAMESPACE}:")}
    assert set(declared) == expected, f"Pulumi.yaml and the settings disagree: {set(declared) ^ expected}"
    secret = {key.split(":", 1)[1] for key in secret_config_keys()}
    for key, declaration in declared.items():
        assert declaration.get("description"), f"Pulumi.yaml: {key} has no description"
        assert bool(declaration.get("secret")) == (key in secret), f"Pulumi.yaml: {key} secret flag"
    # No account-wide Supabase token is a stack setting: the app repositories never get one.
    assert not any("Supabase" in key and "Token" in key for key in declared), (
        "a Supabase token in the settings"
    )


# --- the command line ---------------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "estate", *args], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120
    )


def test_plan_of_unknown_stack_fails_clearly() -> None:
    result = run_cli("plan", "--stack", "nope")
    assert result.returncode == 2
    assert "no stack file Pulumi.nope.yaml" in result.stderr and "prod" in result.stderr
    assert result.stdout == ""


def test_a_command_s_whole_output_reaches_a_pipe() -> None:
    """estate/__main__.py ends the process without the interpreter's teardown: stdout must be flushed first."""
    buffered = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    result = subprocess.run(
        [sys.executable, "-m", "estate", "check", "--stack-files", "--format", "json"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        env=buffered,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["stack_files"] == []
    assert result.stdout.endswith("}\n")


def run_in_process(capsys: pytest.CaptureFixture[str], *args: str) -> subprocess.CompletedProcess[str]:
    """The command as ``python -m estate`` runs it (``estate.cli.main``), in this process: no second SDK import."""
    from estate.cli import main

    code = main(list(args))
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(["estate", *args], code, captured.out, captured.err)


def test_plan_with_bad_config_prints_only_the_error_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = PROJECT_DIR / "Pulumi.test-broken-config.yaml"
    text = (PROJECT_DIR / "Pulumi.staging.yaml").read_text()
    broken.write_text(
        text.replace("zone: gstarlink.com", "zone: not_a_zone").replace(
            "estate:requiredApprovals: 1", "estate:requiredApprovals: 0"
        )
    )
    try:
        result = run_in_process(capsys, "plan", "--stack", "test-broken-config", "--format", "json")
    finally:
        broken.unlink()
    assert result.returncode == 2, result.stderr
    assert result.stdout == "", "bad config must not print a plan"
    assert "2 config problem(s)" in result.stderr, result.stderr
    assert "organizations.gstarlink.zone" in result.stderr and "requiredApprovals" in result.stderr


@pytest.mark.usefixtures("shared_plans")
@pytest.mark.usefixtures("shared_plans")
def test_plan_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_in_process(capsys, "plan", "--stack", "staging", "--format", "json")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert set(plan) == {"stack", "project", "resources", "outputs", "unmodelled_types", "checks"}
    resource = plan["resources"][0]
    assert {"urn", "type", "name", "parent", "inputs", "options"} <= set(resource)
    assert set(resource["options"]) == {
        "protect",
        "retain_on_delete",
        "ignore_changes",
        "depends_on",
        "import_id",
        "replace_on_changes",
        "delete_before_replace",
        "replacement_trigger",
    }
    assert OFFLINE_SECRET_PLACEHOLDER not in result.stdout, "placeholders must show as [secret]"


def test_readme_gives_the_set_command_of_every_secret() -> None:
    readme = (PROJECT_DIR / "README.md").read_text()
    for key in secret_config_keys():
        assert f"pulumi config set --secret {key}\n" in readme, f"README lacks the set command of {key}"


# --- Supabase: compute, no plan, an organization per environment -----------------------------------------------------


def test_pitr_below_small_compute_is_a_config_error_naming_the_size() -> None:
    config, secret_keys = stack_config("prod")
    set_object(config, "estate:supabase", ["computeSize"], "micro")
    problems = problems_of("prod", config, secret_keys)
    assert any(
        'estate:supabase.computeSize = "micro": point-in-time recovery needs at least the small compute size'
        in p
        and "fix: pulumi config set --stack prod --path 'estate:supabase.computeSize' 'small'" in p
        for p in problems
    ), problems


def test_the_ignored_plan_knob_is_gone() -> None:
    config, secret_keys = stack_config("staging")
    set_object(config, "estate:supabase", ["plan"], "free")
    assert any("estate:supabase.plan" in p for p in problems_of("staging", config, secret_keys))


def test_compute_sizes_are_the_ones_the_api_accepts() -> None:
    from providers.supabase_management import INSTANCE_SIZES, PITR_MINIMUM_INSTANCE_SIZES
    from stacks.settings import PITR_COMPUTE_SIZES, SUPABASE_COMPUTE_SIZES

    assert (SUPABASE_COMPUTE_SIZES, PITR_COMPUTE_SIZES) == (INSTANCE_SIZES, PITR_MINIMUM_INSTANCE_SIZES)


def test_staging_may_not_share_production_supabase_organization() -> None:
    production, _ = stack_config("prod")
    config, secret_keys = stack_config("staging")
    assert (
        load_settings("staging", config, secret_keys, production_config=production, offline=True).environment
        == "staging"
    )
    shared = json.loads(production["estate:organizations"])["fancrush"]["supabaseOrganizationId"]
    set_object(config, "estate:organizations", ["fancrush", "supabaseOrganizationId"], shared)
    with pytest.raises(SettingsError) as raised:
        load_settings("staging", config, secret_keys, production_config=production, offline=True)
    problems = [str(p) for p in raised.value.problems]
    assert any(
        "estate:organizations.fancrush.supabaseOrganizationId" in p
        and "own organization" in p
        and "fix: pulumi config set --stack staging --path" in p
        for p in problems
    ), problems


def test_the_plan_tree_draws_as_rich_s_tree_would(
    prod_plan: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """estate/output.py draws the tree line by line for speed: the same text, guides and styles as rich's Tree."""
    import io

    from rich.console import Console
    from rich.markup import escape
    from rich.tree import Tree

    from estate import output
    from estate.plan_document import PlanIndex

    def terminal(buffer: io.StringIO) -> Console:
        return Console(file=buffer, width=240, force_terminal=True, color_system="truecolor", highlight=False)

    drawn = io.StringIO()
    monkeypatch.setattr(output, "console", lambda stderr=False: terminal(drawn))
    output.print_plan_tree(prod_plan)

    index = PlanIndex(prod_plan)
    root = Tree(f"[bold]{prod_plan['project']}[/] / [bold cyan]{prod_plan['stack']}[/]")

    def label(resource: dict[str, Any]) -> str:
        flags = " [yellow](protected)[/]" if resource["options"]["protect"] else ""
        flags += " [magenta](import)[/]" if resource["options"]["import_id"] else ""
        detail = output._detail(resource)  # pyright: ignore[reportPrivateUsage]
        name = escape(resource["name"])
        text = f"[green]{output.short_type(resource['type'])}[/] {name}{flags}"
        return text + (f" [dim]{escape(detail)}[/]" if detail else "")

    def add(node: Tree, resource: dict[str, Any]) -> None:
        branch = node.add(label(resource))
        for child in index.children(resource["urn"]):
            add(branch, child)

    shared = root.add("[bold]shared[/] [dim](providers, account-wide policies)[/]")
    for resource in index.children(None):
        add(root if resource["type"] == index.application_type else shared, resource)
    expected = io.StringIO()
    terminal(expected).print(root)
    terminal(expected).print(f"[bold]{output.plan_summary(prod_plan)}[/]")
    assert drawn.getvalue() == expected.getvalue()
