"""Issue 15: stack settings that never leak and never mislead.

Canary secrets of every credential shape the project knows are planted in stack
files the way people really get them wrong (misspelled keys, nested objects,
plain keys, a YAML error on a secret's line, duplicate keys) and every command
is run on them: no output of any command may contain any canary, or even its
random part. The canaries are built at run time so secret scanners do not
mistake them for keys. Settings checks run without planning (the settings
refuse before the program is imported).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import yaml

from estate.cli import build_parser, main
from estate.engine import PROJECT_DIR, load_stack_config
from policies.credential_patterns import CREDENTIAL_SHAPES, credential_shape
from stacks.settings import (
    PER_ENVIRONMENT_KEYS,
    SettingsError,
    load_settings,
    production_stack_config,
    validate,
)


def _random(length: int = 24, alphabet: str = "abcdefghijklmnopqrstuvwxyz0123456789") -> str:
    raw = uuid.uuid4().hex + uuid.uuid4().hex
    return "".join(alphabet[int(c, 16) % len(alphabet)] for c in raw)[:length]


def canaries() -> dict[str, str]:
    """One canary per credential shape (split literals: no scanner mistakes them for keys)."""
    hex40 = (uuid.uuid4().hex + uuid.uuid4().hex)[:40]
    upper = _random(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    values = {
        "stripe-live-secret": "sk_" + "live_" + _random(),
        "stripe-live-restricted": "rk_" + "live_" + _random(),
        "stripe-test-secret": "sk_" + "test_" + _random(),
        "webhook-signing": "wh" + "sec_" + _random(),
        "github-token": "gh" + "p_" + _random(36),
        "github-fine-grained": "github" + "_pat_" + _random(40),
        "slack-token": "xo" + "xb-" + _random(30),
        "aws-access-key": "AK" + "IA" + upper,
        "private-key": "-----BEGIN " + "RSA PRIVATE KEY-----" + _random(40),
        "jwt": "ey" + "J" + _random(20) + ".ey" + "J" + _random(20) + "." + _random(20),
        "supabase-access-token": "sb" + "p_" + hex40,
        "supabase-secret-key": "sb_" + "secret_" + _random(30),
        "llm-key": "sk" + "-ant-" + _random(32),
        "connection-url": "postgres" + "://app:" + _random(20) + "@db.example.com:5432/app",
        "slack-webhook": "https://hooks."
        + "slack.com/services/T"
        + _random(8).upper()
        + "/B"
        + _random(8).upper()
        + "/"
        + _random(24),
        "discord-webhook": "https://discord." + "com/api/webhooks/1234567890/" + _random(40),
        "token-url": "https://alerts.example.com/hook?" + "token=" + _random(32),
        "password-url": "https://deploy:" + _random(20) + "@hooks.example.com/notify",
    }
    return values


def test_every_credential_shape_has_a_canary() -> None:
    found = {shape.kind for value in canaries().values() if (shape := credential_shape(value))}
    assert found == {shape.kind for shape in CREDENTIAL_SHAPES}


def _leaks(text: str, planted: dict[str, str]) -> list[str]:
    """Canaries (or their distinctive tails) that appear in ``text``."""
    leaked: list[str] = []
    for name, value in planted.items():
        tail = re.split(r"[_/:.@=-]", value)[-1]
        pieces = [value, *([tail] if len(tail) >= 12 else [])]
        if any(piece in text for piece in pieces):
            leaked.append(name)
    return leaked


@pytest.fixture
def stack_file() -> Iterator[Any]:
    """Writes ``Pulumi.<name>.yaml`` into the project for one test, then removes it."""
    written: list[Path] = []

    def write(name: str, text: str) -> str:
        path = PROJECT_DIR / f"Pulumi.{name}.yaml"
        path.write_text(text)
        written.append(path)
        return name

    yield write
    for path in written:
        path.unlink(missing_ok=True)


def _staging_document() -> dict[str, Any]:
    return yaml.safe_load((PROJECT_DIR / "Pulumi.staging.yaml").read_text())


def _run_every_command(stack: str, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    """Each command, in each format, on ``stack``: what it printed (stdout + stderr)."""
    outputs: dict[str, str] = {}
    runs = {
        "plan": ["plan", "--stack", stack],
        "plan-json": ["plan", "--stack", stack, "--format", "json"],
        "check": ["check", "--stack", stack, "--stack-files"],
        "check-json": ["check", "--stack", stack, "--stack-files", "--format", "json"],
        "check-files": ["check", "--stack-files"],
        "doctor": ["doctor", "--stack", stack],
        "doctor-json": ["doctor", "--stack", stack, "--format", "json"],
        "diff": ["diff", "prod", stack],
        "graph": ["graph", "--stack", stack, "--format", "dot"],
        "import-file": ["import-file", "--stack", stack],
        "alerts": ["alerts", "--stack", stack],
    }
    for name, argv in runs.items():
        code = main(argv)
        captured = capsys.readouterr()
        outputs[name] = f"exit {code}\n{captured.out}\n{captured.err}"
    return outputs


@pytest.mark.usefixtures("shared_plans")
def test_no_canary_reaches_any_output_of_any_command(
    stack_file: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """Fails on the old code: misspelled keys, nested entries and plain keys echoed their values."""
    planted = canaries()
    document = _staging_document()
    config = document["config"]
    shapes = list(planted.items())
    # Misspelled secret keys, and unknown keys of every shape.
    config["estate:talklineStripeSecretKy"] = planted["stripe-live-secret"]
    for index, (name, value) in enumerate(shapes):
        config[f"estate:{name.replace('-', '')}Typo{index}"] = value
    # Nested in objects, known and unknown entries.
    config["estate:access"]["apiToken"] = planted["github-token"]
    config["estate:organizations"]["gstarlink"]["notes"] = planted["jwt"]
    config["estate:organizations"]["fancrush"]["zone"] = planted["connection-url"]
    config["estate:supabase"]["region"] = planted["aws-access-key"]
    config["estate:sentry"]["team"] = [planted["slack-token"]]
    # Plain keys holding credentials, a webhook URL among them.
    config["estate:alertRelaySubdomain"] = planted["slack-webhook"]
    config["estate:omsShopifyApiKey"] = planted["stripe-live-restricted"]
    config["estate:talklineTwilioAccountSid"] = planted["discord-webhook"]
    config["estate:talklineStripePublishableKey"] = planted["token-url"]
    config["estate:hosting"] = {"oms": planted["supabase-secret-key"]}
    config["estate:supabase"]["pointInTimeRecovery"] = planted["supabase-access-token"]
    stack = stack_file("canary-leak", yaml.safe_dump(document))

    outputs = _run_every_command(stack, capsys)
    leaks = {name: _leaks(text, planted) for name, text in outputs.items()}
    assert {name: found for name, found in leaks.items() if found} == {}
    # The commands did judge the file (not a vacuous pass).
    assert "estate:talklineStripeSecretKy" in outputs["plan"] and "did you mean" in outputs["plan"]
    assert "estate:alertRelaySubdomain" in outputs["check-files"]


@pytest.mark.usefixtures("shared_plans")  # `diff prod …` needs prod's plan, not this stack's
def test_a_yaml_error_on_a_secret_s_line_shows_its_position_only(
    stack_file: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """Fails on the old code: `plan` printed the parser's message, which quotes most of the line."""
    planted = canaries()
    text = (PROJECT_DIR / "Pulumi.staging.yaml").read_text()
    text += f'  estate:talklineStripeSecretKey: "{planted["stripe-live-secret"]}\n  estate:talklineVapiApiKey: {planted["llm-key"]}: x\n'
    stack = stack_file("canary-yaml", text)
    outputs = _run_every_command(stack, capsys)
    assert {name: found for name, text in outputs.items() if (found := _leaks(text, planted))} == {}
    assert re.search(rf"Pulumi\.{stack}\.yaml:\d+:\d+: not valid YAML", outputs["plan"]), outputs["plan"]


def test_duplicate_keys_are_refused_naming_both_lines(
    stack_file: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """Fails on the old code: the last of two equal keys silently won."""
    planted = canaries()
    text = (PROJECT_DIR / "Pulumi.staging.yaml").read_text()
    lines = text.splitlines()
    approvals = next(i for i, line in enumerate(lines) if line.startswith("  estate:requiredApprovals:")) + 1
    text += (
        f"  estate:requiredApprovals: 2\n  estate:note: {planted['stripe-live-secret']}\n  estate:note: x\n"
    )
    stack = stack_file("dup-keys", text)
    total = len(text.splitlines())
    for command in (
        ["plan", "--stack", stack],
        ["doctor", "--stack", stack],
        ["check", "--stack", stack, "--stack-files"],
    ):
        assert main(command) == 2
        captured = capsys.readouterr()
        output = captured.out + captured.err
        assert f"duplicate key 'estate:requiredApprovals' (first at line {approvals})" in output, output
        assert f"Pulumi.{stack}.yaml:{total - 2}:" in output and f"lines {total - 1} and {total}" in output
        assert not _leaks(output, planted)


def test_check_stack_files_runs_when_the_plan_cannot_load(
    stack_file: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """Fails on the old code: `check` stopped at "cannot read the plan" and never checked the files."""
    planted = canaries()
    document = _staging_document()
    document["config"]["estate:talklineStripeSecretKey"] = planted[
        "stripe-live-secret"
    ]  # plaintext: the plan refuses
    stack = stack_file("plan-fails", yaml.safe_dump(document))
    assert main(["check", "--stack", stack, "--stack-files", "--format", "json"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report["plan_errors"], "the plan's problems are listed"
    assert any(
        p["file"] == f"Pulumi.{stack}.yaml" and p["key"] == "estate:talklineStripeSecretKey"
        for p in report["stack_files"]
    )
    assert planted["stripe-live-secret"] not in json.dumps(report)


# --- fixes that are right -------------------------------------------------------------------------------------------


def _config(stack: str) -> tuple[dict[str, str], list[str]]:
    config, secret_keys, _ = load_stack_config(stack)
    return config, secret_keys


def test_a_staging_stack_is_never_production_and_says_so_first() -> None:
    """Fails on the old code: blamed pk_test_ and proposed a pk_live_ key for staging."""
    config, secret_keys = _config("staging")
    config["estate:environment"] = "production"
    _, problems = validate("staging", config, secret_keys, offline=True)
    assert problems[0].key == "estate:environment"
    assert "must match the stack" in problems[0].message
    assert problems[0].fix == "pulumi config set --stack staging 'estate:environment' 'staging'"
    assert all("live" not in p.fix and "pk_live" not in p.message for p in problems), problems


def test_a_staging_stack_with_production_keys_names_the_environment_not_the_keys() -> None:
    config, secret_keys = _config("staging")
    config["estate:environment"] = "production"
    config["estate:talklineStripePublishableKey"] = "pk_" + "live_" + _random()
    _, problems = validate("staging", config, secret_keys, offline=True)
    assert problems[0].key == "estate:environment"
    stripe = next(p for p in problems if p.key == "estate:talklineStripePublishableKey")
    assert "the staging stack needs a test-mode value" in stripe.message


def test_a_misspelled_environment_gets_the_stack_s_environment() -> None:
    """Fails on the old code: `environment: prod` in prod was answered with `... environment staging`."""
    config, secret_keys = _config("prod")
    config["estate:environment"] = "prod"
    _, problems = validate("prod", config, secret_keys, offline=True)
    [problem] = problems
    assert problem.fix == "pulumi config set --stack prod 'estate:environment' 'production'"


FORBIDDEN_IN_FIXES = re.compile(r"<|>|…|\bci\b")


def _bad_config(stack: str) -> tuple[dict[str, str], list[str]]:
    config, secret_keys = _config(stack)
    checks = json.loads(config["estate:requiredStatusChecks"])
    checks["esim-hub"] = []
    checks.pop("gstarlink-chatbot")
    config["estate:requiredStatusChecks"] = json.dumps(checks)
    config["estate:talklineTwilioAccountSid"] = "AC123"
    config["estate:organizations"] = json.dumps(
        {**json.loads(config["estate:organizations"]), "fancrush": "x"}
    )
    config["estate:imports"] = json.dumps({"oms-vercel-project": " "})
    config["estate:access"] = json.dumps({"emails": ["not an email"], "groupIds": "abc"})
    config.pop("estate:supabase")
    config.pop("estate:sentry")
    config["estate:talklineStripeSecretKey"] = "sk_" + "live_" + _random()
    config["estate:hosting"] = json.dumps({"esim-hub": "netlify"})
    return config, secret_keys


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_every_fix_pastes_into_a_shell(stack: str) -> None:
    """Fails on the old code: `<ID>`/`<value …>` placeholders, unquoted values, no --stack, `["ci"]` checks."""
    import shlex

    config, secret_keys = _bad_config(stack)
    _, problems = validate(stack, config, secret_keys, offline=True)
    assert len(problems) >= 8, problems
    for problem in problems:
        assert not FORBIDDEN_IN_FIXES.search(problem.fix), problem
        for command in re.split(r" && | ; ", problem.fix.rstrip(" ;")):
            words = shlex.split(command)
            assert words[:4] in (
                ["pulumi", "config", "set", "--stack"],
                ["pulumi", "config", "rm", "--stack"],
            ), command
            assert words[4] == stack, command
            key = next(w for w in words[5:] if not w.startswith("--"))
            if "." in key.split(":", 1)[1] or "[" in key:
                assert "--path" in words, f"an object's entry is set with --path: {command}"
    checks = next(p for p in problems if p.key == "estate:requiredStatusChecks.esim-hub")
    assert "'lint-test-build'" in checks.fix and "'migrations-additive'" in checks.fix


def test_the_checks_fix_names_what_the_workflows_report() -> None:
    config, secret_keys = _config("prod")
    checks = json.loads(config["estate:requiredStatusChecks"])
    checks.pop("gstarlink-chatbot")
    config["estate:requiredStatusChecks"] = json.dumps(checks)
    _, problems = validate("prod", config, secret_keys, offline=True)
    [problem] = problems
    committed = json.loads(_config("prod")[0]["estate:requiredStatusChecks"])["gstarlink-chatbot"]
    for check in committed:
        assert f"'{check}'" in problem.fix, (check, problem.fix)


def test_staging_reusing_production_identifiers_is_refused_naming_both_keys() -> None:
    """Fails on the old code (and on the committed staging file, which shared Twilio and Shopify IDs)."""
    production = production_stack_config(PROJECT_DIR)
    assert production is not None
    config, secret_keys = _config("staging")
    shared = ["estate:talklineTwilioAccountSid", "estate:omsShopifyApiKey"]
    for key in shared:
        config[key] = production[key]
    config["estate:talklineVapiApiKey"] = production["estate:talklineVapiApiKey"] = "vapi-" + _random()
    with pytest.raises(SettingsError) as raised:
        load_settings("staging", config, secret_keys, production_config=production, offline=True)
    by_key = {p.key: p for p in raised.value.problems}
    assert set(by_key) == {*shared, "estate:talklineVapiApiKey"}
    for key, problem in by_key.items():
        assert f"equals {key} of stack prod" in problem.message
        assert config[key] not in str(raised.value)
    assert (
        load_settings("staging", *_config("staging"), production_config=production, offline=True).environment
        == "staging"
    )
    assert set(PER_ENVIRONMENT_KEYS) >= {
        "estate:talklineTwilioAccountSid",
        "estate:talklineVapiApiKey",
        "estate:talklineStripeSecretKey",
        "estate:omsShopifyApiKey",
    }


def test_stack_files_sharing_a_production_identifier_fail_the_stack_file_check(tmp_path: Path) -> None:
    from estate.hygiene import check_stack_files

    (tmp_path / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    ciphertext = {"secure": "v1:" + _random(40)}
    sid = "AC" + uuid.uuid4().hex
    prod = {"config": {"estate:talklineTwilioAccountSid": sid, "estate:talklineVapiApiKey": ciphertext}}
    staging = {"config": {"estate:talklineTwilioAccountSid": sid, "estate:talklineVapiApiKey": ciphertext}}
    (tmp_path / "Pulumi.prod.yaml").write_text(yaml.safe_dump(prod))
    (tmp_path / "Pulumi.staging.yaml").write_text(yaml.safe_dump(staging))
    found = {p.key: p for p in check_stack_files(tmp_path)}
    assert set(found) == {"estate:talklineTwilioAccountSid", "estate:talklineVapiApiKey"}
    assert all(p.file == "Pulumi.staging.yaml" and "Pulumi.prod.yaml" in p.problem for p in found.values())
    assert sid not in str(found)


# --- stack names and the command line --------------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "meant"), [("Prod", "prod"), ("stagging", "staging"), ("PROD", "prod")])
def test_a_misspelled_stack_gets_did_you_mean_and_never_stack_init(
    typed: str, meant: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Fails on the old code, which proposed `pulumi stack init Prod`."""
    for command in (["plan", "--stack", typed], ["doctor", "--stack", typed], ["check", "--stack", typed]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert f"did you mean --stack {meant}?" in err, err
        assert "stack init" not in err


def test_a_command_imports_only_its_own_module_and_help_lists_every_command() -> None:
    """estate/cli.py's docstring: a run imports only its own command's module; help and typos still see them all."""
    import subprocess
    import sys

    from estate.cli import COMMAND_MODULES
    from estate.engine import PROJECT_DIR

    probe = (
        "import sys; from estate.cli import COMMAND_MODULES, build_parser, command_module; "
        "build_parser(command_module(sys.argv[1:])); "
        "print(' '.join(m for m in sys.modules if m.removeprefix('estate.') in COMMAND_MODULES))"
    )
    every = {f"estate.{m}" for m in COMMAND_MODULES}
    for argv, expected in (
        (["import-file", "--stack", "prod"], {"estate.import_file"}),
        (["plan", "--stack", "prod", "--stack", "staging"], {"estate.plan"}),
        (["--help"], every),
        (["plann", "--stack", "prod"], every),
    ):
        result = subprocess.run(
            [sys.executable, "-c", probe, *argv], cwd=PROJECT_DIR, capture_output=True, text=True, check=True
        )
        assert set(result.stdout.split()) == expected, (argv, result.stdout)


def test_every_command_takes_format_json_and_quiet() -> None:
    """The README promises `--format json` and `--quiet` on every command."""
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")  # pyright: ignore[reportPrivateUsage]
    choices = cast(dict[str, Any], subparsers.choices)
    lacking: list[str] = []
    commands: list[tuple[str, Any]] = []
    for name, command in choices.items():
        actions = next((a for a in command._actions if a.dest == "backend_action"), None)  # pyright: ignore[reportPrivateUsage]
        if actions is not None:  # a command with actions: each action takes them
            commands += [
                (f"{name} {action}", parser)
                for action, parser in cast(dict[str, Any], actions.choices).items()
            ]
        else:
            commands.append((name, command))
    for name, command in commands:
        options = {o: a for a in command._actions for o in a.option_strings}  # pyright: ignore[reportPrivateUsage]
        fmt = options.get("--format")
        if "--quiet" not in options or fmt is None or "json" not in (fmt.choices or ()):
            lacking.append(name)
    assert lacking == []


def test_a_staging_import_of_production_s_database_is_refused_naming_both_keys() -> None:
    """Fails on the old code: staging could adopt production's Supabase project or anything in it."""
    production = dict(production_stack_config(PROJECT_DIR) or {})
    prod_ref = _random(20, "abcdefghijklmnopqrstuvwxyz")
    production["estate:imports"] = json.dumps({"talkline-database-project": prod_ref})
    config, secret_keys = _config("staging")
    config["estate:imports"] = json.dumps(
        {
            "talkline-database-project": prod_ref,
            "talkline-database-auth": f"{prod_ref}/auth",
            "oms-vercel-project": "team_x/prj_staging",
        }
    )
    _, problems = validate("staging", config, secret_keys, production_config=production, offline=True)
    by_key = {p.key: p for p in problems}
    assert set(by_key) == {
        "estate:imports.talkline-database-project",
        "estate:imports.talkline-database-auth",
    }
    for problem in by_key.values():
        assert "estate:imports.talkline-database-project of stack prod" in problem.message
        assert prod_ref not in str(problem)
        assert problem.fix.startswith("pulumi config rm --stack staging --path 'estate:imports.")


def test_an_import_id_shaped_like_a_credential_is_never_shown() -> None:
    """Fails on the old adoption problems, which showed (and re-typed in the fix) every import ID."""
    from estate.engine import run_program

    planted = canaries()
    config, secret_keys = _config("prod")
    config["estate:imports"] = json.dumps({"oms-vercel-projekt": planted["github-token"]})
    with pytest.raises(SettingsError) as raised:
        run_program("prod", config, secret_keys)
    [problem] = raised.value.problems
    assert "did you mean oms-vercel-project" in problem.message
    assert not _leaks(str(raised.value), planted)
