"""``estate doctor``: every missing or invalid setting at once, each with its exact fix."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from estate.cli import main
from estate.doctor import diagnose, exact_fix
from estate.engine import PROJECT_DIR
from stacks.settings import secret_config_keys

CANARY = "sk_live_CANARY-5d1e0b-never-printed"


def project_with(tmp_path: Path, stack: str, edit: Any = None) -> Path:
    """A copy of the project's Pulumi.yaml and the stack file, optionally edited."""
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    document = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())
    if edit is not None:
        edit(document["config"])
    (tmp_path / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(document))
    return tmp_path


def encrypt_every_secret(config: dict[str, Any]) -> None:
    for key in secret_config_keys():
        config[key] = {"secure": "v1:AAAAAAAAAAAAAAAA:ZmFrZSBjaXBoZXJ0ZXh0"}


def test_missing_secrets_are_reported_with_their_set_secret_line(tmp_path: Path) -> None:
    diagnosis = diagnose("prod", project_with(tmp_path, "prod"))
    fixes = {f.key: f.fix for f in diagnosis.to_replace}
    for key in secret_config_keys():
        assert fixes[key] == f"pulumi config set --stack prod --secret '{key}'"
    assert not diagnosis.ok
    assert f"set {len(secret_config_keys())} secret(s)" in diagnosis.summary


def test_a_complete_stack_file_is_clean(tmp_path: Path) -> None:
    diagnosis = diagnose("staging", project_with(tmp_path, "staging", encrypt_every_secret))
    assert diagnosis.findings == []
    assert diagnosis.encrypted_secrets == sorted(secret_config_keys())
    assert diagnosis.summary.startswith(f"staging: all {diagnosis.settings_present} settings present")
    assert diagnosis.settings_present >= len(secret_config_keys()) + 6


def test_every_problem_at_once_and_no_secret_value_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def break_things(config: dict[str, Any]) -> None:
        encrypt_every_secret(config)
        config["estate:organizations"]["gstarlink"]["zone"] = "not a zone"
        config["estate:requiredApprovals"] = 0
        config["estate:talklineStripeSecretKey"] = CANARY  # plaintext: must be refused without being shown
        config["estate:typoKey"] = "x"
        del config["estate:environment"]

    project = project_with(tmp_path, "prod", break_things)
    diagnosis = diagnose("prod", project)
    by_key = {f.key: f for f in diagnosis.findings}
    assert by_key["estate:organizations.gstarlink.zone"].fix.startswith(
        "pulumi config set --stack prod --path 'estate:organizations.gstarlink.zone'"
    )
    assert (
        by_key["estate:requiredApprovals"].fix
        == "pulumi config set --stack prod 'estate:requiredApprovals' '1'"
    )
    assert (
        by_key["estate:talklineStripeSecretKey"].fix
        == "pulumi config set --stack prod --secret 'estate:talklineStripeSecretKey'"
    )
    assert by_key["estate:typoKey"].fix == "pulumi config rm --stack prod 'estate:typoKey'"
    assert by_key["estate:typoKey"].value == "[hidden]"
    assert by_key["estate:environment"].value == "(missing)"

    assert main(["doctor", "--stack", "prod", "--project-dir", str(project)]) == 1
    table = capsys.readouterr().out
    assert main(["doctor", "--stack", "prod", "--project-dir", str(project), "--format", "json"]) == 1
    machine = capsys.readouterr().out
    document = json.loads(machine)
    assert {f["key"] for f in document["findings"]} == set(by_key)
    for shown in (table, machine, repr(diagnosis)):
        assert CANARY not in shown
        assert "CANARY" not in shown
    assert "estate:organizations.gstarlink.zone" in table


def test_exit_codes_and_quiet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean = project_with(tmp_path, "staging", encrypt_every_secret)
    assert main(["doctor", "--stack", "staging", "--project-dir", str(clean), "--quiet"]) == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith("staging: all ") and "\n" not in out
    assert main(["doctor", "--stack", "qa", "--project-dir", str(clean)]) == 2
    assert "Pulumi.qa.yaml" in capsys.readouterr().err


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_a_fresh_clone_has_only_placeholders_to_replace(
    stack: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Fails on the old doctor, which listed the committed example IDs nowhere and every secret as a problem."""
    assert main(["doctor", "--stack", stack, "--format", "json"]) == 3
    document = json.loads(capsys.readouterr().out)
    assert document["findings"] == [], "a fresh clone has no real problem"
    to_replace = {f["key"]: f for f in document["to_replace"]}
    assert set(secret_config_keys()) <= set(to_replace)
    example_ids = {
        f"estate:organizations.{org}.{name}"
        for org in ("gstarlink", "fancrush")
        for name in ("cloudflareAccountId", "cloudflareZoneId", "vercelTeamId", "supabaseOrganizationId")
    }
    assert example_ids <= set(to_replace)
    assert to_replace["estate:organizations.gstarlink.vercelTeamId"]["fix"] == (
        f"pulumi config set --stack {stack} --path 'estate:organizations.gstarlink.vercelTeamId'"
    )
    assert "estate:organizations.gstarlink.zone" not in to_replace, "a real value is not a placeholder"
    assert main(["doctor", "--stack", stack]) == 3
    table = capsys.readouterr().out
    assert "placeholders to replace before a real run" in table and "problems to fix" not in table


def test_a_real_problem_is_listed_apart_from_the_placeholders(tmp_path: Path) -> None:
    def break_zone(config: dict[str, Any]) -> None:
        config["estate:organizations"]["gstarlink"]["zone"] = "not a zone"

    diagnosis = diagnose("prod", project_with(tmp_path, "prod", break_zone))
    assert [f.key for f in diagnosis.findings] == ["estate:organizations.gstarlink.zone"]
    assert all(f.key != "estate:organizations.gstarlink.zone" for f in diagnosis.to_replace)


def test_exact_fix_adds_the_stack_to_every_command() -> None:
    assert (
        exact_fix("pulumi config set 'estate:zone' 'example.com'", "qa")
        == "pulumi config set --stack qa 'estate:zone' 'example.com'"
    )
    assert exact_fix("pulumi config rm --path 'estate:hosting.x' && pulumi config set 'estate:y'", "qa") == (
        "pulumi config rm --stack qa --path 'estate:hosting.x' && pulumi config set --stack qa 'estate:y'"
    )
    assert (
        exact_fix("pulumi config set --stack prod 'estate:zone'", "qa")
        == "pulumi config set --stack prod 'estate:zone'"
    )
