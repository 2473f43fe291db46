"""Secrets hygiene: stack files hold no plaintext secret, and no secret value ever reaches output.

The stack-file check is exercised on throw-away projects (a ``Pulumi.yaml``
and one ``Pulumi.<stack>.yaml``); the no-leak guarantee with canary values
pushed through the real program (``run_program``), the plan JSON, the plan
tree, ``estate check`` and the hygiene report.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

import estate.hygiene
from estate.check import handle as check_handle
from estate.engine import load_stack_config, run_program
from estate.hygiene import HygieneProblem, check_stack_file, check_stack_files, declared_keys
from estate.output import print_plan_tree
from estate.policy_runner import run_policies
from policies.resource_types import SUPABASE_PROJECT

PULUMI_YAML = {
    "name": "estate",
    "runtime": "python",
    "config": {
        "omsShopifyApiKey": {"type": "string", "description": "public client ID"},
        "talklineStripePublishableKey": {"type": "string"},
        "organizations": {"description": "object"},
        "stripeSecretKey": {"secret": True},
        "environment": {"type": "string"},
    },
}
LIVE_KEY = "sk_live_" + "51HygieneCanary" + uuid.uuid4().hex[:12]
PLAIN = "canary-" + uuid.uuid4().hex


def project(tmp_path: Path, config: dict[str, Any], *, stack: str = "prod", raw: str | None = None) -> Path:
    (tmp_path / "Pulumi.yaml").write_text(yaml.safe_dump(PULUMI_YAML))
    (tmp_path / f"Pulumi.{stack}.yaml").write_text(
        raw if raw is not None else yaml.safe_dump({"config": config})
    )
    return tmp_path


def problems_of(tmp_path: Path, config: dict[str, Any], **kwargs: Any) -> list[HygieneProblem]:
    return check_stack_files(project(tmp_path, config, **kwargs))


def test_the_real_stack_files_are_clean() -> None:
    assert check_stack_files() == []


def test_the_allow_list_is_read_from_pulumi_yaml(tmp_path: Path) -> None:
    declared = declared_keys(project(tmp_path, {}))
    assert "estate:omsShopifyApiKey" in declared.plain and "estate:stripeSecretKey" in declared.secret
    # Declared plain: allowed. The same kind of name, undeclared: flagged.
    assert problems_of(tmp_path, {"estate:omsShopifyApiKey": "4b1f0c2e8d6a4f9b8c7e6d5a4b3c2d1e"}) == []
    found = problems_of(tmp_path, {"estate:otherShopifyApiKey": "4b1f0c2e8d6a4f9b8c7e6d5a4b3c2d1e"})
    assert [(p.key, "looks secret" in p.problem) for p in found] == [("estate:otherShopifyApiKey", True)]


def test_the_real_project_s_plain_keys_come_from_its_pulumi_yaml() -> None:
    document = yaml.safe_load((estate.hygiene.PROJECT_DIR / "Pulumi.yaml").read_text())
    plain_in_file = {
        f"estate:{key}" for key, spec in document["config"].items() if not (spec or {}).get("secret")
    }
    assert declared_keys().plain == plain_in_file
    assert {
        "estate:omsShopifyApiKey",
        "estate:talklineStripePublishableKey",
        "estate:talklineTwilioAccountSid",
    } <= declared_keys().plain


@pytest.mark.parametrize(
    ("config", "key", "expected"),
    [
        ({"estate:stripeSecretKey": PLAIN}, "estate:stripeSecretKey", "declared `secret: true`"),
        ({"estate:deployToken": PLAIN}, "estate:deployToken", "(deployToken) looks secret"),
        ({"estate:dbPassword": PLAIN}, "estate:dbPassword", "(dbPassword) looks secret"),
        ({"estate:sentryDsn": PLAIN}, "estate:sentryDsn", "(sentryDsn) looks secret"),
        ({"estate:alertsWebhookUrl": PLAIN}, "estate:alertsWebhookUrl", "(alertsWebhookUrl) looks secret"),
        ({"supabase:token": PLAIN}, "supabase:token", "(token) looks secret"),
        (
            {"estate:organizations": {"gstarlink": {"githubToken": PLAIN}}},
            "estate:organizations.gstarlink.githubToken",
            "(githubToken) looks secret",
        ),
        ({"estate:tokens": [PLAIN]}, "estate:tokens[0]", "(tokens) looks secret"),
        ({"estate:omsShopifyApiKey": LIVE_KEY}, "estate:omsShopifyApiKey", "Stripe live secret key"),
        ({"estate:note": "whsec_" + "abcdefgh1234"}, "estate:note", "webhook signing secret"),
        ({"estate:note": "ghp_" + "a" * 36}, "estate:note", "GitHub token"),
        ({"estate:note": "github_pat_" + "a" * 40}, "estate:note", "GitHub fine-grained token"),
        ({"estate:note": "xoxb-" + "123456789012-abc"}, "estate:note", "Slack token"),
        ({"estate:note": "AKIA" + "ABCDEFGHIJKLMNOP"}, "estate:note", "AWS access key ID"),
        ({"estate:note": "rk_live_" + "abcdefgh1234"}, "estate:note", "Stripe live restricted key"),
        (
            {"estate:note": "-----BEGIN " + "PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----"},
            "estate:note",
            "private key",
        ),
        (
            {
                "estate:note": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.abcdefghijkl"
            },
            "estate:note",
            "JSON Web Token",
        ),
    ],
)
def test_each_plaintext_secret_is_a_problem_with_its_fix(
    tmp_path: Path, config: dict[str, Any], key: str, expected: str
) -> None:
    found = problems_of(tmp_path, config)
    assert [p.key for p in found] == [key], found
    assert expected in found[0].problem
    nested = "." in key.split(":", 1)[1] or "[" in key
    assert found[0].fix.startswith(
        f"pulumi config set --stack prod --secret{' --path' if nested else ''} '{key}'"
    )
    secret_value = json.dumps(config)
    for leaf in re.findall(r'"([^"]{5,})"', secret_value):
        if leaf not in key:
            assert leaf not in str(found[0]) and leaf not in json.dumps(found[0].to_json())


def test_encrypted_and_harmless_values_pass(tmp_path: Path) -> None:
    config = {
        "estate:stripeSecretKey": {"secure": "v1:abc"},
        "estate:organizations": {
            "gstarlink": {"githubToken": {"secure": "v1:def"}, "cloudflareAccountId": "5f1c"}
        },
        "estate:talklineStripePublishableKey": "pk_live_" + "51FancrushPublishable",
        "estate:environment": "production",
        "estate:requiredApprovals": 1,
        "estate:emptyToken": "",
    }
    assert problems_of(tmp_path, config) == []


def test_only_the_config_section_is_judged(tmp_path: Path) -> None:
    raw = yaml.safe_dump({"encryptedkey": "c2VjcmV0", "secretsprovider": "awskms://alias/x", "config": {}})
    assert problems_of(tmp_path, {}, raw=raw) == []


def test_broken_yaml_is_reported_by_position_without_its_text(tmp_path: Path) -> None:
    raw = f"config:\n  estate:stripeSecretKey: {LIVE_KEY}\n   bad: [indent\n"
    found = problems_of(tmp_path, {}, raw=raw)
    assert (
        len(found) == 1
        and found[0].problem.startswith("Pulumi.prod.yaml:3:")
        and "not valid YAML" in found[0].problem
    )
    assert LIVE_KEY not in str(found[0])


def test_every_problem_of_every_stack_file_is_reported_at_once(tmp_path: Path) -> None:
    project(tmp_path, {"estate:deployToken": "a"}, stack="prod")
    (tmp_path / "Pulumi.staging.yaml").write_text(
        yaml.safe_dump({"config": {"estate:dbPassword": "b", "estate:note": LIVE_KEY}})
    )
    found = check_stack_files(tmp_path)
    assert sorted((p.file, p.key) for p in found) == [
        ("Pulumi.prod.yaml", "estate:deployToken"),
        ("Pulumi.staging.yaml", "estate:dbPassword"),
        ("Pulumi.staging.yaml", "estate:note"),
    ]
    assert any("--stack staging" in p.fix for p in found)


def test_check_stack_files_command_lists_problems_and_never_the_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(estate.hygiene, "PROJECT_DIR", project(tmp_path, {"estate:note": LIVE_KEY}))
    args = argparse.Namespace(plan=None, stack=None, stack_files=True, format="text")
    assert check_handle(args) == 1
    out = capsys.readouterr().out
    assert "estate:note" in out and "pulumi config set --stack prod --secret 'estate:note'" in out
    assert LIVE_KEY not in out
    assert check_handle(argparse.Namespace(**{**vars(args), "format": "json"})) == 1
    text = capsys.readouterr().out
    assert json.loads(text)["stack_files"][0]["key"] == "estate:note" and LIVE_KEY not in text


def test_check_stack_files_is_parsed_from_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    from estate.cli import main

    assert main(["check", "--stack-files"]) == 0
    assert "no plaintext secrets" in capsys.readouterr().out


# --- canaries through the real program -------------------------------------------------------------------------------

_PREFIX_CANDIDATES = ("", "sk_live_", "rk_live_", "whsec_", "https://hooks.slack.com/services/T0/B0/")


def _canary_for(key: str, pattern: str | None) -> str:
    body = f"CANARY{uuid.uuid4().hex[:16]}{re.sub(r'[^A-Za-z]', '', key)[:8]}"
    for prefix in _PREFIX_CANDIDATES:
        if pattern is None or re.match(pattern, prefix + body):
            return prefix + body
    return body


@pytest.fixture(scope="module")
def canary_plan() -> tuple[dict[str, Any], list[str]]:
    """The prod plan with a distinct canary value behind every secret key the program reads."""
    from stacks.catalog import Secret
    from stacks.settings import (
        SettingsError,
        _sources,
        load_settings,
    )  # _sources: the catalog's secret sources

    config, secret_keys, placeholders = load_stack_config("prod")
    patterns = {f"estate:{s.config_key}": s.patterns.get("production") for s in _sources(Secret)}
    canaries = {key: _canary_for(key, patterns.get(key)) for key in placeholders}
    config = {**config, **canaries}
    try:
        load_settings("prod", config, secret_keys, offline=True)
    except SettingsError as error:  # a key whose own format check a canary cannot meet keeps its placeholder
        for problem in error.problems:
            config[problem.key] = load_stack_config("prod")[0][problem.key]
            canaries.pop(problem.key, None)
    assert len(canaries) >= len(placeholders) - 2, "too few canaries got past the settings' format checks"
    return run_program("prod", config, secret_keys).to_json(), list(canaries.values())


def test_no_canary_in_the_plan_json_or_the_tree(
    canary_plan: tuple[dict[str, Any], list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    plan, canaries = canary_plan
    document = json.dumps(plan)
    print_plan_tree(plan)
    tree = capsys.readouterr().out
    assert "[secret]" in document and "oms.gstarlink.com" in tree
    leaked = [c for c in canaries if c in document or c in tree]
    assert leaked == []


def test_no_canary_in_check_output_even_with_violations(
    canary_plan: tuple[dict[str, Any], list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan, canaries = canary_plan
    broken = copy.deepcopy(plan)
    for resource in broken["resources"]:
        if (
            resource["type"].endswith(":ProjectEnvironmentVariable")
            and resource["inputs"]["key"] == "STRIPE_SECRET_KEY"
        ):
            resource["inputs"]["sensitive"] = False
        if resource["type"] == SUPABASE_PROJECT:
            resource["options"]["protect"] = False
    assert {v.policy for v in run_policies(broken)} == {"secrets-stay-secret", "production-database-retained"}
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(broken))
    outputs: list[str] = []
    for output_format in ("text", "json"):
        args = argparse.Namespace(plan=str(plan_file), stack=None, stack_files=False, format=output_format)
        assert check_handle(args) == 1
        captured = capsys.readouterr()
        outputs.append(captured.out + captured.err)
    assert "STRIPE_SECRET_KEY" in outputs[0]
    assert [c for c in canaries if any(c in output for output in outputs)] == []


def test_no_canary_in_config_errors() -> None:
    from stacks.settings import SettingsError, load_settings

    config, secret_keys, _ = load_stack_config("staging")
    canary = (
        "sk_live_" + "51ConfigErrorCanary" + uuid.uuid4().hex[:8]
    )  # a live key where staging needs a test key
    with pytest.raises(SettingsError) as error:
        load_settings(
            "staging", {**config, "estate:talklineStripeSecretKey": canary}, secret_keys, offline=True
        )
    assert "estate:talklineStripeSecretKey" in str(error.value) and canary not in str(error.value)


def test_a_stack_file_canary_never_reaches_the_report(tmp_path: Path) -> None:
    canary = "CANARY" + uuid.uuid4().hex
    path = project(tmp_path, {"estate:deployToken": canary}) / "Pulumi.prod.yaml"
    found = check_stack_file(path, declared_keys(tmp_path), "estate")
    assert len(found) == 1 and canary not in str(found[0]) and canary not in json.dumps(found[0].to_json())
