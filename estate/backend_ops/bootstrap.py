"""Create, inspect and tighten the S3 bucket and KMS key behind the Pulumi backend.

`bootstrap` first reads everything (no writes), compares each setting with what
the backend needs, then:

* creates what is missing (a new key, a new bucket and all its settings);
* leaves an existing resource alone when one of its settings is weaker than
  wanted, unless the request says ``fix``: then it rewrites just those settings
  (with the same call that creates the setting; only the bucket policy and the
  lifecycle rules keep other statements and rules beside ours);
* writes nothing at all when every setting already matches.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, cast

from botocore.exceptions import ClientError

from estate.backend_ops import inputs
from estate.backend_ops.aws import AwsClients, bucket_region, error_code, wrong_region_problem
from estate.backend_ops.inputs import BackendError

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_kms.type_defs import KeyMetadataTypeDef
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.literals import BucketLocationConstraintType
    from mypy_boto3_s3.type_defs import LifecycleRuleOutputTypeDef, LifecycleRuleTypeDef

LIFECYCLE_RULE_ID = "pulumi-state-noncurrent-versions"
TLS_STATEMENT_SID = "DenyInsecureTransport"
KEY_DESCRIPTION = "Pulumi state bucket encryption and Pulumi secrets (estate)"
KEY_WANTED = "customer managed symmetric key"
ROTATION_WANTED = "yearly rotation on"
TLS_WANTED = "Deny when aws:SecureTransport is false"


class Status(StrEnum):
    """Where one setting stands, before and after a run."""

    OK = "ok"  # already as wanted: nothing to do
    MISSING = "missing"  # the resource does not exist yet: created without --fix
    WEAK = "weak"  # exists but weaker than wanted: changed only with --fix
    CREATED = "created"
    FIXED = "fixed"


@dataclass(frozen=True)
class BootstrapRequest:
    """What the operator asked for; `problems` validates it without calling AWS."""

    bucket: str
    region: str
    kms_alias: str = inputs.DEFAULT_KMS_ALIAS
    noncurrent_days: int = inputs.DEFAULT_NONCURRENT_DAYS
    fix: bool = False

    def problems(self) -> list[str]:
        return [
            *inputs.bucket_name_problems(self.bucket),
            *inputs.region_problems(self.region),
            *inputs.kms_alias_problems(self.kms_alias),
            *inputs.noncurrent_days_problems(self.noncurrent_days),
        ]


@dataclass
class SettingReport:
    """One line of the bootstrap report."""

    resource: str  # e.g. "bucket my-state" or "kms alias/pulumi-estate"
    setting: str  # e.g. "versioning"
    wanted: str
    found: str
    status: Status


@dataclass
class BootstrapResult:
    """Every setting inspected, in the order they are applied, and what happened to each."""

    request: BootstrapRequest
    settings: list[SettingReport] = field(default_factory=list)
    key_arn: str | None = None

    @property
    def weak(self) -> list[SettingReport]:
        """Settings of existing resources that are weaker than wanted and were not fixed."""
        return [report for report in self.settings if report.status is Status.WEAK]

    @property
    def blocked(self) -> bool:
        """True when weak settings stopped the run (nothing was written)."""
        return bool(self.weak)

    @property
    def changed(self) -> list[SettingReport]:
        return [r for r in self.settings if r.status in {Status.CREATED, Status.FIXED}]


@dataclass
class _Check:
    """A setting under inspection: its verdict and how to make it right."""

    report: SettingReport
    apply: Callable[[], None]


class Bootstrapper:
    """Inspects and converges the backend's bucket and key for one request."""

    def __init__(self, clients: AwsClients, request: BootstrapRequest) -> None:
        self._s3: S3Client = clients.s3
        self._kms: KMSClient = clients.kms
        self._partition: str = clients.partition
        self._request: BootstrapRequest = request
        self._key_arn: str | None = None
        self._key_id: str | None = None

    # ----- driver -----

    def run(self) -> BootstrapResult:
        """Inspect everything, then create/fix what is allowed. See the module docstring."""
        inputs.raise_if_any(self._request.problems())
        key = self._find_key()
        if key is not None:
            self._key_arn = key.get("Arn")
            self._key_id = key["KeyId"]
        checks = [*self._key_checks(key), *self._bucket_checks()]
        result = BootstrapResult(
            request=self._request,
            settings=[check.report for check in checks],
            key_arn=self._key_arn,
        )
        has_weak = any(check.report.status is Status.WEAK for check in checks)
        if has_weak and not self._request.fix:
            return result  # report only: the operator must opt in to changing existing resources
        for check in checks:
            if check.report.status is Status.OK:
                continue
            check.apply()
            check.report.status = Status.CREATED if check.report.status is Status.MISSING else Status.FIXED
        result.key_arn = self._key_arn
        return result

    # ----- KMS key -----

    def _find_key(self) -> KeyMetadataTypeDef | None:
        """The key behind the alias, None if the alias does not exist; refuses unusable keys."""
        alias = self._request.kms_alias
        try:
            key = self._kms.describe_key(KeyId=alias)["KeyMetadata"]
        except ClientError as error:
            if error_code(error) == "NotFoundException":
                return None
            raise
        problems: list[str] = []
        key_id = key["KeyId"]
        region = self._request.region
        if key.get("KeyManager") != "CUSTOMER":
            problems.append(
                f"--kms-alias {alias!r} points at an AWS managed key; pass an alias for a "
                + "customer managed key, or a new alias name to have one created."
            )
        state = key.get("KeyState")
        if state == "PendingDeletion":
            problems.append(
                f"--kms-alias {alias!r} points at key {key_id} which is scheduled for deletion; "
                + f"run `aws kms cancel-key-deletion --key-id {key_id} --region {region}` then "
                + f"`aws kms enable-key --key-id {key_id} --region {region}`."
            )
        elif state == "Disabled":
            problems.append(
                f"--kms-alias {alias!r} points at disabled key {key_id}; run "
                + f"`aws kms enable-key --key-id {key_id} --region {region}`."
            )
        elif state != "Enabled":
            problems.append(
                f"--kms-alias {alias!r} points at key {key_id} in state {state}; wait until it "
                + "is Enabled or pass another --kms-alias."
            )
        spec = key.get("KeySpec", "SYMMETRIC_DEFAULT")
        usage = key.get("KeyUsage", "ENCRYPT_DECRYPT")
        if spec != "SYMMETRIC_DEFAULT" or usage != "ENCRYPT_DECRYPT":
            problems.append(
                f"--kms-alias {alias!r} points at a {spec} {usage} "
                + "key; S3 and Pulumi need a symmetric ENCRYPT_DECRYPT key: pass another "
                + "--kms-alias."
            )
        inputs.raise_if_any(problems)
        return key

    def _key_checks(self, key: KeyMetadataTypeDef | None) -> list[_Check]:
        resource = f"kms {self._request.kms_alias}"
        if key is None:
            key_found, key_status = "no such alias", Status.MISSING
            rotation_found, rotation_status = "key does not exist yet", Status.MISSING
        else:
            key_found, key_status = key.get("Arn", key["KeyId"]), Status.OK
            status = self._kms.get_key_rotation_status(KeyId=key["KeyId"])
            rotation_on = status["KeyRotationEnabled"]
            rotation_found = "on" if rotation_on else "off"
            rotation_status = Status.OK if rotation_on else Status.WEAK
        key_report = SettingReport(resource, "key", KEY_WANTED, key_found, key_status)
        rotation_report = SettingReport(
            resource, "rotation", ROTATION_WANTED, rotation_found, rotation_status
        )
        return [_Check(key_report, self._create_key), _Check(rotation_report, self._enable_rotation)]

    def _create_key(self) -> None:
        key = self._kms.create_key(
            Description=KEY_DESCRIPTION,
            KeyUsage="ENCRYPT_DECRYPT",
            KeySpec="SYMMETRIC_DEFAULT",
            Tags=[{"TagKey": "purpose", "TagValue": "pulumi-state"}],
        )["KeyMetadata"]
        self._key_id = key["KeyId"]
        self._key_arn = key.get("Arn")
        # The alias right away: a key without it would be invisible to the next run.
        _ = self._kms.create_alias(AliasName=self._request.kms_alias, TargetKeyId=key["KeyId"])

    def _enable_rotation(self) -> None:
        assert self._key_id is not None, "the key check runs (and creates the key) first"
        _ = self._kms.enable_key_rotation(KeyId=self._key_id)

    # ----- bucket -----

    def _bucket_checks(self) -> list[_Check]:
        bucket = self._request.bucket
        resource = f"bucket {bucket}"
        found_region = bucket_region(self._s3, bucket)
        if found_region is not None and found_region != self._request.region:
            raise BackendError([wrong_region_problem(bucket, self._request.region, found_region)])
        exists = found_region is not None
        days = self._request.noncurrent_days
        # (setting, wanted, read what is there, make it as wanted), in the order applied.
        settings: list[tuple[str, str, Callable[[], str | None], Callable[[], None]]] = [
            ("object ownership", "BucketOwnerEnforced (ACLs off)", self._ownership_gap, self._put_ownership),
            (
                "public access block",
                "all four blocks on",
                self._public_access_gap,
                self._put_public_access_block,
            ),
            ("versioning", "Enabled", self._versioning_gap, self._put_versioning),
            ("default encryption", self._encryption_wanted(), self._encryption_gap, self._put_encryption),
            ("TLS-only policy", TLS_WANTED, self._tls_policy_gap, self._put_tls_policy),
            (
                "noncurrent versions",
                f"kept {days} days, then expired",
                self._lifecycle_gap,
                self._put_lifecycle,
            ),
        ]
        checks = [
            _Check(
                SettingReport(
                    resource,
                    "exists",
                    f"in {self._request.region}",
                    f"in {found_region}" if exists else "no such bucket",
                    Status.OK if exists else Status.MISSING,
                ),
                self._create_bucket,
            )
        ]
        for name, wanted, read_gap, apply in settings:
            if not exists:
                found, status = "bucket does not exist yet", Status.MISSING
            else:
                gap = read_gap()
                found, status = (wanted, Status.OK) if gap is None else (gap, Status.WEAK)
            report = SettingReport(resource, name, wanted, found, status)
            checks.append(_Check(report, apply))
        return checks

    def _create_bucket(self) -> None:
        bucket, region = self._request.bucket, self._request.region
        try:
            if region == "us-east-1":  # the one region S3 refuses a LocationConstraint for
                _ = self._s3.create_bucket(Bucket=bucket, ObjectOwnership="BucketOwnerEnforced")
            else:
                _ = self._s3.create_bucket(
                    Bucket=bucket,
                    ObjectOwnership="BucketOwnerEnforced",
                    # The stubs list today's regions; `region` was validated against botocore's.
                    CreateBucketConfiguration={
                        "LocationConstraint": cast("BucketLocationConstraintType", region)
                    },
                )
        except ClientError as error:
            if error_code(error) == "BucketAlreadyExists":
                raise BackendError(
                    [
                        f"--bucket {bucket!r} is taken by another AWS account (bucket names are "
                        + "global); pick another name, e.g. with your company name in it."
                    ]
                ) from error
            raise

    # Each *_gap reads one setting and returns None when it matches, else what is there.

    def _ownership_gap(self) -> str | None:
        try:
            rules = self._s3.get_bucket_ownership_controls(Bucket=self._request.bucket)["OwnershipControls"][
                "Rules"
            ]
        except ClientError as error:
            if error_code(error) == "OwnershipControlsNotFoundError":
                return "not set (ACLs on)"
            raise
        ownership = [rule["ObjectOwnership"] for rule in rules]
        return None if ownership == ["BucketOwnerEnforced"] else ", ".join(ownership) or "not set"

    def _put_ownership(self) -> None:
        _ = self._s3.put_bucket_ownership_controls(
            Bucket=self._request.bucket,
            OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        )

    def _public_access_gap(self) -> str | None:
        try:
            config = self._s3.get_public_access_block(Bucket=self._request.bucket)[
                "PublicAccessBlockConfiguration"
            ]
        except ClientError as error:
            if error_code(error) == "NoSuchPublicAccessBlockConfiguration":
                return "not set (public access possible)"
            raise
        off = [
            name
            for name in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
            if not config.get(name, False)
        ]
        return None if not off else "off: " + ", ".join(off)

    def _put_public_access_block(self) -> None:
        _ = self._s3.put_public_access_block(
            Bucket=self._request.bucket,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )

    def _versioning_gap(self) -> str | None:
        status = self._s3.get_bucket_versioning(Bucket=self._request.bucket).get("Status")
        if status == "Enabled":
            return None
        return status or "never enabled"

    def _put_versioning(self) -> None:
        _ = self._s3.put_bucket_versioning(
            Bucket=self._request.bucket, VersioningConfiguration={"Status": "Enabled"}
        )

    def _encryption_wanted(self) -> str:
        return f"SSE-KMS with {self._request.kms_alias}, bucket key on"

    def _names_our_key(self, key_reference: str) -> bool:
        """Whether a KMSMasterKeyID (key id, key ARN, alias or alias ARN) is our key."""
        if self._key_id is None:
            return False
        alias = self._request.kms_alias
        return key_reference in {self._key_id, self._key_arn, alias} or key_reference.endswith(f":{alias}")

    def _encryption_gap(self) -> str | None:
        try:
            rules = self._s3.get_bucket_encryption(Bucket=self._request.bucket)[
                "ServerSideEncryptionConfiguration"
            ]["Rules"]
        except ClientError as error:
            if error_code(error) == "ServerSideEncryptionConfigurationNotFoundError":
                return "none"
            raise
        found: list[str] = []
        for rule in rules:
            default = rule.get("ApplyServerSideEncryptionByDefault")
            if default is None:
                continue
            algorithm = default["SSEAlgorithm"]
            key_reference = default.get("KMSMasterKeyID", "")
            bucket_key = rule.get("BucketKeyEnabled", False)
            if algorithm.startswith("aws:kms") and self._names_our_key(key_reference) and bucket_key:
                return None
            if algorithm == "AES256":
                found.append("SSE-S3 (AES256, no customer key)")
            elif not key_reference:
                found.append(f"{algorithm} with the AWS managed key")
            elif not self._names_our_key(key_reference):
                found.append(f"{algorithm} with another key ({key_reference})")
            else:
                found.append(f"{algorithm} with {self._request.kms_alias}, bucket key off")
        return "; ".join(found) or "none"

    def _put_encryption(self) -> None:
        assert self._key_arn is not None, "the key check runs (and creates the key) first"
        _ = self._s3.put_bucket_encryption(
            Bucket=self._request.bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": self._key_arn,
                        },
                        # One data key per bucket instead of per object: far fewer KMS calls.
                        "BucketKeyEnabled": True,
                    }
                ]
            },
        )

    def _bucket_arns(self) -> tuple[str, str]:
        bucket_arn = f"arn:{self._partition}:s3:::{self._request.bucket}"
        return bucket_arn, f"{bucket_arn}/*"

    def _tls_statement(self) -> dict[str, object]:
        return {
            "Sid": TLS_STATEMENT_SID,
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": list(self._bucket_arns()),
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }

    def _read_policy(self) -> dict[str, object] | None:
        try:
            text = self._s3.get_bucket_policy(Bucket=self._request.bucket)["Policy"]
        except ClientError as error:
            if error_code(error) == "NoSuchBucketPolicy":
                return None
            raise
        policy = _json_object(cast(object, json.loads(text)))
        if policy is None:
            raise BackendError(
                [
                    f"bucket {self._request.bucket!r} has a bucket policy that is not a JSON object; fix it by hand."
                ]
            )
        return policy

    def _tls_policy_gap(self) -> str | None:
        policy = self._read_policy()
        if policy is None:
            return "no bucket policy"
        statements = _statements(policy)
        if any(self._is_tls_deny(statement) for statement in statements):
            return None
        return f"policy with {len(statements)} statement(s), none denying non-TLS access"

    def _is_tls_deny(self, statement: dict[str, object]) -> bool:
        """Whether ``statement`` denies every S3 action on the bucket and its objects without TLS."""
        condition = _json_object(statement.get("Condition")) or {}
        bool_block = _json_object(condition.get("Bool")) or {}
        secure_transport = bool_block.get("aws:SecureTransport")
        principal = statement.get("Principal")
        return (
            statement.get("Effect") == "Deny"
            and principal in ("*", {"AWS": "*"})
            and "s3:*" in _as_strings(statement.get("Action"))
            and set(self._bucket_arns()) <= set(_as_strings(statement.get("Resource")))
            and str(secure_transport).lower() == "false"
        )

    def _put_tls_policy(self) -> None:
        policy = self._read_policy() or {"Version": "2012-10-17"}
        # Keep everyone else's statements; replace only ours.
        kept = [s for s in _statements(policy) if s.get("Sid") != TLS_STATEMENT_SID]
        policy["Statement"] = [*kept, self._tls_statement()]
        _ = self._s3.put_bucket_policy(Bucket=self._request.bucket, Policy=json.dumps(policy))

    def _lifecycle_rules(self) -> list[LifecycleRuleOutputTypeDef]:
        try:
            rules = self._s3.get_bucket_lifecycle_configuration(Bucket=self._request.bucket)["Rules"]
        except ClientError as error:
            if error_code(error) == "NoSuchLifecycleConfiguration":
                return []
            raise
        return rules

    def _lifecycle_gap(self) -> str | None:
        ours = [rule for rule in self._lifecycle_rules() if rule.get("ID") == LIFECYCLE_RULE_ID]
        if not ours:
            return f"no rule {LIFECYCLE_RULE_ID!r}"
        rule = ours[0]
        days = rule.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays")
        whole_bucket = _covers_whole_bucket(rule)
        if rule["Status"] == "Enabled" and days == self._request.noncurrent_days and whole_bucket:
            return None
        kept_for = f"{days} days" if days is not None else "forever"
        scope = "whole bucket" if whole_bucket else "only part of the bucket"
        return f"rule {LIFECYCLE_RULE_ID!r} is {rule['Status']}, {scope}, noncurrent kept {kept_for}"

    def _put_lifecycle(self) -> None:
        # Keep everyone else's rules; replace only ours.
        kept = [
            # What GetBucketLifecycleConfiguration returns is valid input to the Put; the
            # stubs only differ in list vs Sequence field types, hence the hop via object.
            cast("LifecycleRuleTypeDef", cast(object, rule))
            for rule in self._lifecycle_rules()
            if rule.get("ID") != LIFECYCLE_RULE_ID
        ]
        ours: LifecycleRuleTypeDef = {
            "ID": LIFECYCLE_RULE_ID,
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "NoncurrentVersionExpiration": {"NoncurrentDays": self._request.noncurrent_days},
        }
        _ = self._s3.put_bucket_lifecycle_configuration(
            Bucket=self._request.bucket, LifecycleConfiguration={"Rules": [*kept, ours]}
        )


def _covers_whole_bucket(rule: LifecycleRuleOutputTypeDef) -> bool:
    """Whether a lifecycle rule applies to every object (no prefix, tag or size filter)."""
    if rule.get("Prefix"):  # the legacy top-level prefix
        return False
    rule_filter = rule.get("Filter", {})
    return not any(value for value in rule_filter.values())


def _json_object(value: object) -> dict[str, object] | None:
    """``value`` as a JSON object with string keys, or None when it is not one."""
    if not isinstance(value, dict):
        return None
    return {str(name): item for name, item in cast(dict[object, object], value).items()}


def _json_list(value: object) -> list[object]:
    """``value`` as a list; IAM allows a single item where it allows a list."""
    if isinstance(value, list):
        return list(cast(list[object], value))
    return [] if value is None else [value]


def _statements(policy: dict[str, object]) -> list[dict[str, object]]:
    """A policy's statements as a list of JSON objects."""
    statements = (_json_object(item) for item in _json_list(policy.get("Statement")))
    return [statement for statement in statements if statement is not None]


def _as_strings(value: object) -> list[str]:
    """An IAM field that may be one string or a list of strings, as a list of strings."""
    return [str(item) for item in _json_list(value)]


def bootstrap(clients: AwsClients, request: BootstrapRequest) -> BootstrapResult:
    """Inspect and converge the backend; see `Bootstrapper`."""
    return Bootstrapper(clients, request).run()


def next_steps(bucket: str, region: str, kms_alias: str) -> list[str]:
    """Shell lines that point Pulumi at the backend and create both stacks.

    The login URL is Pulumi's documented S3 form (region pinned, AWS SDK v2), single-quoted
    because an unquoted '&' would background the command in every POSIX shell.
    """
    provider = f"awskms://{kms_alias}?region={region}"
    return [
        f"pulumi login 's3://{bucket}?region={region}&awssdk=v2'",
        f'pulumi stack init prod --secrets-provider "{provider}"',
        f'pulumi stack init staging --secrets-provider "{provider}"',
    ]
