"""Tests for `python -m estate backend bootstrap` against moto's AWS.

Every test runs inside `mock_aws` with canary credentials: no network, and the
`run_cli` helper fails any test whose output contains a canary value.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import botocore.session
import moto.kms.models
import pytest
from botocore.exceptions import ClientError
from botocore.loaders import Loader, create_loader
from moto import mock_aws
from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.kms.utils import AbstractPrivateKey, generate_private_key
from moto.s3.models import FakeBucket

from estate import cli
from estate.backend_ops import aws, inputs
from estate.backend_ops.aws import AwsClients, describe_aws_failure, open_clients
from estate.backend_ops.bootstrap import (
    LIFECYCLE_RULE_ID,
    TLS_STATEMENT_SID,
    BootstrapRequest,
    BootstrapResult,
    Status,
    bootstrap,
)
from estate.backend_ops.inputs import BackendError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.literals import BucketLocationConstraintType

REGION = "eu-west-1"
BUCKET = "acme-pulumi-state"
ALIAS = "alias/pulumi-estate"

CANARY_ACCESS_KEY = "AKIA" + "CANARY0000000001"  # split: no scanner mistakes a test canary for a key
CANARY_SECRET_KEY = "canary-secret-key-value-do-not-print"
CANARY_SESSION_TOKEN = "canary-session-token-value-do-not-print"
CANARIES = (CANARY_SECRET_KEY, CANARY_SESSION_TOKEN)

READ_ONLY_PREFIXES = ("Get", "Head", "List", "Describe")


def _tls_aware_bucket_permission(bucket: FakeBucket, action: str, resource: str) -> PermissionResult:
    """moto's bucket policy check, minus statements that only apply to plain-HTTP requests.

    moto treats a statement whose Condition does not match as a Deny (and knows no
    aws:SecureTransport), so the TLS-only statement would refuse every object call.
    boto3 always talks HTTPS, so for these requests that statement never applies.
    """
    if bucket.policy is None:
        return PermissionResult.NEUTRAL
    policy = cast(dict[str, list[dict[str, dict[str, dict[str, str]]]]], json.loads(bucket.policy))
    https_statements = [
        statement
        for statement in policy["Statement"]
        if statement.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") != "false"
    ]
    if not https_statements:
        return PermissionResult.NEUTRAL
    return IAMPolicy(json.dumps({**policy, "Statement": https_statements})).is_action_permitted(
        action, resource
    )


_LOADERS: dict[object, Loader] = {}


def _shared_loader(search_paths: object = None) -> Loader:
    """One botocore data loader per search path for the whole session.

    Each ``open_clients`` makes a new boto3 session, whose loader parses the S3 and KMS
    service models and the endpoint data again (most of these tests' time). The data is
    the same for every session, so the tests share the loader that caches it.
    """
    key = tuple(search_paths) if isinstance(search_paths, list) else search_paths
    if key not in _LOADERS:
        _LOADERS[key] = create_loader(search_paths)  # pyright: ignore[reportArgumentType]
    return _LOADERS[key]


_PRIVATE_KEYS: dict[str, AbstractPrivateKey] = {}


def _shared_private_key(key_spec: str) -> AbstractPrivateKey:
    """One key pair per key spec for the whole session.

    moto makes an RSA key pair for every KMS key it creates, a symmetric one too
    (moto/kms/utils.py, ``generate_private_key``): ~70 ms each. The backend uses only
    symmetric keys and never their pair, so the tests share one.
    """
    if key_spec not in _PRIVATE_KEYS:
        _PRIVATE_KEYS[key_spec] = generate_private_key(key_spec)
    return _PRIVATE_KEYS[key_spec]


@pytest.fixture
def mocked_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """moto's AWS with canary credentials and no ambient profile or default region."""
    monkeypatch.setattr(botocore.session, "create_loader", _shared_loader)
    monkeypatch.setattr(moto.kms.models, "generate_private_key", _shared_private_key)
    monkeypatch.setattr(FakeBucket, "get_permission", _tls_aware_bucket_permission)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CANARY_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CANARY_SECRET_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", CANARY_SESSION_TOKEN)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    for name in ("AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        yield


@pytest.fixture
def clients(mocked_aws: None) -> AwsClients:
    return open_clients(REGION)


@dataclass
class CallRecorder:
    """Names of every AWS operation the recorded clients make."""

    operations: list[str] = field(default_factory=list)

    def attach(self, clients: AwsClients) -> None:
        clients.s3.meta.events.register("before-call", self._record)
        clients.kms.meta.events.register("before-call", self._record)

    def _record(self, **kwargs: object) -> None:
        model = kwargs["model"]
        self.operations.append(str(cast(Any, model).name))

    @property
    def writes(self) -> list[str]:
        return [op for op in self.operations if not op.startswith(READ_ONLY_PREFIXES)]


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run `python -m estate ...` in-process; fail on any canary in the output."""
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    for canary in CANARIES:
        assert canary not in captured.out and canary not in captured.err, f"leaked {canary}"
    return code, captured.out, captured.err


def make_plain_bucket(s3: S3Client, bucket: str = BUCKET, region: str = REGION) -> None:
    """A bucket as `aws s3 mb` leaves it: no versioning, encryption or access block set."""
    if region == "us-east-1":
        _ = s3.create_bucket(Bucket=bucket)
    else:
        _ = s3.create_bucket(
            Bucket=bucket,
            CreateBucketConfiguration={"LocationConstraint": cast("BucketLocationConstraintType", region)},
        )


def assert_backend_fully_configured(clients: AwsClients, days: int = 90, region: str = REGION) -> None:
    """Read every setting straight from (moto's) AWS and check it is as bootstrap wants."""
    s3, kms = clients.s3, clients.kms
    key = kms.describe_key(KeyId=ALIAS)["KeyMetadata"]
    assert key.get("KeyManager") == "CUSTOMER"
    assert key.get("KeySpec") == "SYMMETRIC_DEFAULT"
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True

    location = s3.get_bucket_location(Bucket=BUCKET).get("LocationConstraint")
    assert (location or "us-east-1") == region
    assert s3.get_bucket_versioning(Bucket=BUCKET).get("Status") == "Enabled"

    rules = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]
    default = rules[0].get("ApplyServerSideEncryptionByDefault", {})
    assert default.get("SSEAlgorithm") == "aws:kms"
    assert default.get("KMSMasterKeyID") == key.get("Arn")
    assert rules[0].get("BucketKeyEnabled") is True

    block = s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert block == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    ownership = s3.get_bucket_ownership_controls(Bucket=BUCKET)["OwnershipControls"]["Rules"]
    assert [rule["ObjectOwnership"] for rule in ownership] == ["BucketOwnerEnforced"]

    policy = cast(
        dict[str, list[dict[str, object]]], json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])
    )
    tls = [s for s in policy["Statement"] if s.get("Sid") == TLS_STATEMENT_SID]
    partition = "aws-cn" if region.startswith("cn-") else "aws"
    assert tls == [
        {
            "Sid": TLS_STATEMENT_SID,
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [f"arn:{partition}:s3:::{BUCKET}", f"arn:{partition}:s3:::{BUCKET}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]
    lifecycle = s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    ours = [rule for rule in lifecycle if rule.get("ID") == LIFECYCLE_RULE_ID]
    assert len(ours) == 1
    assert ours[0]["Status"] == "Enabled"
    assert ours[0].get("NoncurrentVersionExpiration", {}).get("NoncurrentDays") == days

    # A state object written now is encrypted with the customer key.
    _ = s3.put_object(Bucket=BUCKET, Key=".pulumi/meta.yaml", Body=b"version: 1\n")
    head = s3.head_object(Bucket=BUCKET, Key=".pulumi/meta.yaml")
    assert head.get("ServerSideEncryption") == "aws:kms"
    assert head.get("SSEKMSKeyId") == key.get("Arn")


def settings_by_name(result: BootstrapResult) -> dict[str, Status]:
    return {f"{r.resource}: {r.setting}": r.status for r in result.settings}


# ---------------------------------------------------------------- bootstrap


@pytest.mark.parametrize("region", [REGION, "us-east-1"])
def test_bootstrap_from_nothing_creates_every_setting(mocked_aws: None, region: str) -> None:
    clients = open_clients(region)
    result = bootstrap(clients, BootstrapRequest(bucket=BUCKET, region=region))

    assert not result.blocked
    assert {r.status for r in result.settings} == {Status.CREATED}
    assert len(result.settings) == 9  # key, rotation, bucket + six bucket settings
    assert_backend_fully_configured(clients, region=region)


def test_bootstrap_custom_alias_and_days(clients: AwsClients) -> None:
    request = BootstrapRequest(bucket=BUCKET, region=REGION, kms_alias="alias/acme-state", noncurrent_days=30)
    _ = bootstrap(clients, request)

    key = clients.kms.describe_key(KeyId="alias/acme-state")["KeyMetadata"]
    assert clients.kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"]
    rules = clients.s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    assert rules[0].get("NoncurrentVersionExpiration", {}).get("NoncurrentDays") == 30


def test_second_run_reports_no_change_and_writes_nothing(clients: AwsClients) -> None:
    request = BootstrapRequest(bucket=BUCKET, region=REGION)
    _ = bootstrap(clients, request)
    recorder = CallRecorder()
    recorder.attach(clients)

    again = bootstrap(clients, request)

    assert not again.changed and not again.blocked
    assert {r.status for r in again.settings} == {Status.OK}
    assert recorder.operations, "the second run must still inspect every setting"
    assert recorder.writes == []


def test_weak_existing_bucket_is_reported_setting_by_setting_and_left_alone(clients: AwsClients) -> None:
    make_plain_bucket(clients.s3)
    recorder = CallRecorder()
    recorder.attach(clients)

    result = bootstrap(clients, BootstrapRequest(bucket=BUCKET, region=REGION))

    assert result.blocked
    statuses = settings_by_name(result)
    bucket = f"bucket {BUCKET}"
    assert statuses[f"{bucket}: exists"] is Status.OK
    for setting in (
        "versioning",
        "default encryption",
        "public access block",
        "object ownership",
        "TLS-only policy",
        "noncurrent versions",
    ):
        assert statuses[f"{bucket}: {setting}"] is Status.WEAK, setting
    # The missing key is not created either: nothing is written until --fix.
    assert statuses[f"kms {ALIAS}: key"] is Status.MISSING
    assert recorder.writes == []
    assert clients.s3.get_bucket_versioning(Bucket=BUCKET).get("Status") is None
    with pytest.raises(ClientError):
        _ = clients.kms.describe_key(KeyId=ALIAS)


def test_partially_weak_bucket_says_what_it_found(clients: AwsClients) -> None:
    make_plain_bucket(clients.s3)
    s3 = clients.s3
    _ = s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Suspended"})
    _ = s3.put_public_access_block(
        Bucket=BUCKET,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": True,
        },
    )
    _ = s3.put_bucket_encryption(
        Bucket=BUCKET,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )

    result = bootstrap(clients, BootstrapRequest(bucket=BUCKET, region=REGION))

    found = {r.setting: r.found for r in result.weak}
    assert found["versioning"] == "Suspended"
    assert found["public access block"] == "off: BlockPublicPolicy"
    assert "SSE-S3" in found["default encryption"]


def test_fix_tightens_weak_settings_and_keeps_other_policy_and_lifecycle(clients: AwsClients) -> None:
    make_plain_bucket(clients.s3)
    s3 = clients.s3
    foreign_statement = {
        "Sid": "DenyDeleteBucket",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:DeleteBucket",
        "Resource": f"arn:aws:s3:::{BUCKET}",
    }
    _ = s3.put_bucket_policy(
        Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [foreign_statement]})
    )
    _ = s3.put_bucket_lifecycle_configuration(
        Bucket=BUCKET,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "tidy-uploads",
                    "Status": "Enabled",
                    "Filter": {"Prefix": "tmp/"},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 3},
                }
            ]
        },
    )

    result = bootstrap(clients, BootstrapRequest(bucket=BUCKET, region=REGION, fix=True))

    assert not result.blocked
    statuses = settings_by_name(result)
    assert statuses[f"bucket {BUCKET}: versioning"] is Status.FIXED
    assert statuses[f"bucket {BUCKET}: TLS-only policy"] is Status.FIXED
    assert statuses[f"kms {ALIAS}: key"] is Status.CREATED
    assert_backend_fully_configured(clients)
    policy = cast(
        dict[str, list[dict[str, object]]], json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])
    )
    assert foreign_statement in policy["Statement"]
    rule_ids = {rule.get("ID") for rule in s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]}
    assert rule_ids == {"tidy-uploads", LIFECYCLE_RULE_ID}

    recorder = CallRecorder()
    recorder.attach(clients)
    again = bootstrap(clients, BootstrapRequest(bucket=BUCKET, region=REGION))
    assert not again.changed and recorder.writes == []


def test_changed_retention_days_is_weak_until_fixed(clients: AwsClients) -> None:
    _ = bootstrap(clients, BootstrapRequest(bucket=BUCKET, region=REGION, noncurrent_days=90))

    shorter = bootstrap(clients, BootstrapRequest(bucket=BUCKET, region=REGION, noncurrent_days=30))
    assert [r.setting for r in shorter.weak] == ["noncurrent versions"]
    assert "90 days" in shorter.weak[0].found

    fixed = bootstrap(clients, BootstrapRequest(bucket=BUCKET, region=REGION, noncurrent_days=30, fix=True))
    assert [r.setting for r in fixed.changed] == ["noncurrent versions"]
    assert_backend_fully_configured(clients, days=30)


def test_existing_key_with_rotation_off_blocks_until_fix(clients: AwsClients) -> None:
    key_id = clients.kms.create_key(Description="made by hand")["KeyMetadata"]["KeyId"]
    _ = clients.kms.create_alias(AliasName=ALIAS, TargetKeyId=key_id)

    blocked = bootstrap(clients, BootstrapRequest(bucket=BUCKET, region=REGION))
    assert [(r.resource, r.setting) for r in blocked.weak] == [(f"kms {ALIAS}", "rotation")]
    with pytest.raises(ClientError):
        _ = clients.s3.head_bucket(Bucket=BUCKET)  # not created while blocked

    fixed = bootstrap(clients, BootstrapRequest(bucket=BUCKET, region=REGION, fix=True))
    assert fixed.key_arn is not None and key_id in fixed.key_arn  # the existing key is reused
    assert_backend_fully_configured(clients)


def test_key_pending_deletion_is_refused_with_the_command_that_fixes_it(clients: AwsClients) -> None:
    key_id = clients.kms.create_key(Description="doomed")["KeyMetadata"]["KeyId"]
    _ = clients.kms.create_alias(AliasName=ALIAS, TargetKeyId=key_id)
    _ = clients.kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)

    with pytest.raises(BackendError) as raised:
        _ = bootstrap(clients, BootstrapRequest(bucket=BUCKET, region=REGION))
    assert f"aws kms cancel-key-deletion --key-id {key_id}" in str(raised.value)


def test_bootstrap_refuses_bucket_in_another_region(mocked_aws: None) -> None:
    make_plain_bucket(open_clients("eu-central-1").s3, region="eu-central-1")

    with pytest.raises(BackendError) as raised:
        _ = bootstrap(open_clients(REGION), BootstrapRequest(bucket=BUCKET, region=REGION))
    assert "pass --region eu-central-1" in str(raised.value)


def test_cli_bootstrap_prints_exact_next_lines_then_no_change(
    mocked_aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ("backend", "bootstrap", "--bucket", BUCKET, "--region", REGION)
    code, out, _ = run_cli(capsys, *argv)
    assert code == 0
    assert "9 setting(s) created, 0 fixed" in out
    lines = out.splitlines()
    key_arn = open_clients(REGION).kms.describe_key(KeyId=ALIAS)["KeyMetadata"].get("Arn")
    assert f"KMS key: {key_arn}" in lines
    assert f"pulumi login 's3://{BUCKET}?region={REGION}&awssdk=v2'" in lines
    provider = f"awskms://{ALIAS}?region={REGION}"
    assert f'pulumi stack init prod --secrets-provider "{provider}"' in lines
    assert f'pulumi stack init staging --secrets-provider "{provider}"' in lines

    code, out, _ = run_cli(capsys, *argv)
    assert code == 0
    assert "No change:" in out and "nothing was written" in out


def test_cli_bootstrap_weak_bucket_exits_nonzero_and_names_fix(
    mocked_aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    make_plain_bucket(open_clients(REGION).s3)
    argv = ("backend", "bootstrap", "--bucket", BUCKET, "--region", REGION)

    code, out, _ = run_cli(capsys, *argv)
    assert code == 1
    assert "nothing was changed" in out
    for setting in ("versioning", "default encryption", "public access block", "object ownership"):
        weak_line = next(line for line in out.splitlines() if f"bucket {BUCKET}: {setting}: found" in line)
        assert weak_line.endswith("--fix fixes it.")
    assert "pulumi login" not in out

    code, out, _ = run_cli(capsys, *argv, "--fix")
    assert code == 0
    assert "fixed" in out and "pulumi login" in out
    assert_backend_fully_configured(open_clients(REGION))


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "name",
    [
        "ab",
        "a" * 64,
        "Acme-State",
        "acme_state",
        "-acme",
        "acme-",
        "acme..state",
        "192.168.1.10",
        "xn--acme",
        "sthree-acme",
        "acme-s3alias",
        "acme--ol-s3",
    ],
)
def test_invalid_bucket_names_are_rejected(name: str) -> None:
    problems = inputs.bucket_name_problems(name)
    assert len(problems) == 1 and problems[0].startswith(f"--bucket {name!r}")


@pytest.mark.parametrize("name", ["abc", "acme-pulumi-state", "acme.state.bucket", "a" * 63, "0day"])
def test_valid_bucket_names_pass(name: str) -> None:
    assert inputs.bucket_name_problems(name) == []


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("Europe (Ireland)", "not an AWS region code"),
        ("eu-west-9", "not a region this botocore knows"),
        ("eu-wset-1", "Did you mean eu-west-1"),
    ],
)
def test_bad_regions_are_rejected(region: str, expected: str) -> None:
    problems = inputs.region_problems(region)
    assert len(problems) == 1 and expected in problems[0] and problems[0].startswith("--region")


@pytest.mark.parametrize(
    "region", ["eu-west-1", "us-east-1", "ap-southeast-2", "cn-north-1", "us-gov-west-1"]
)
def test_real_regions_pass(region: str) -> None:
    assert inputs.region_problems(region) == []


def test_other_inputs_are_validated() -> None:
    assert inputs.kms_alias_problems("pulumi-estate")
    assert "reserved for AWS managed keys" in inputs.kms_alias_problems("alias/aws/s3")[0]
    assert inputs.kms_alias_problems(ALIAS) == []
    assert inputs.noncurrent_days_problems(0)
    assert inputs.noncurrent_days_problems(1) == []


def test_cli_reports_every_bad_flag_at_once_without_calling_aws(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_aws(region: str) -> AwsClients:
        raise AssertionError(f"AWS must not be called for bad input (region {region})")

    monkeypatch.setattr(aws, "open_clients", no_aws)

    code, _, err = run_cli(
        capsys,
        "backend",
        "bootstrap",
        "--bucket",
        "Bad_Bucket",
        "--region",
        "moon-1",
        "--kms-alias",
        "nope",
        "--noncurrent-days",
        "0",
    )

    assert code == 2
    assert "4 problems; nothing was changed" in err
    for flag in ("--bucket 'Bad_Bucket'", "--region 'moon-1'", "--kms-alias 'nope'", "--noncurrent-days 0"):
        assert flag in err


def test_cli_region_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        _ = cli.main(["backend", "bootstrap", "--bucket", BUCKET])
    assert raised.value.code == 2
    assert "--region" in capsys.readouterr().err


def test_cli_wrong_region(mocked_aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    make_plain_bucket(open_clients(REGION).s3)
    code, _, err = run_cli(capsys, "backend", "bootstrap", "--bucket", BUCKET, "--region", "us-west-2")
    assert code == 2
    assert f"--region 'us-west-2' is wrong for bucket '{BUCKET}'" in err and f"pass --region {REGION}" in err


def test_aws_errors_are_explained_and_scrubbed_of_credentials() -> None:
    denied = ClientError(
        {"Error": {"Code": "AccessDenied", "Message": f"denied for {CANARY_SECRET_KEY}"}},
        "PutBucketPolicy",
    )
    text = describe_aws_failure(denied, (CANARY_ACCESS_KEY, CANARY_SECRET_KEY, CANARY_SESSION_TOKEN))
    assert "PutBucketPolicy" in text and "docs/backend.md" in text
    assert CANARY_SECRET_KEY not in text and "[redacted]" in text


def test_cli_without_credentials_names_the_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    # No container or instance metadata lookups (they would try the network).
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)

    # Not under mock_aws (it supplies fake credentials); botocore refuses to sign before
    # connecting, and this guard proves it never reaches the network.
    def no_network(*_: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    code, _, err = run_cli(capsys, "backend", "bootstrap", "--bucket", BUCKET, "--region", REGION)

    assert code == 2
    assert "No usable AWS credentials" in err and "AWS_PROFILE" in err
