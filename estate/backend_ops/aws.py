"""boto3 clients for the backend and the checks every action shares.

Nothing here reads a default region: the caller always passes the one the
operator typed, so a stray ``AWS_DEFAULT_REGION`` can never point a command at
another bucket.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)

from estate.backend_ops.inputs import BackendError

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_s3 import S3Client


@dataclass(frozen=True)
class AwsClients:
    """The two clients the backend needs, both bound to one region."""

    s3: S3Client
    kms: KMSClient
    region: str
    # "aws", "aws-cn", "aws-us-gov", ...: the first field of every ARN we build.
    partition: str
    # Credential values in use, only so error text can be scrubbed of them.
    secret_values: tuple[str, ...] = ()


def open_clients(region: str) -> AwsClients:
    """S3 and KMS clients for ``region`` from the standard credential chain."""
    import boto3.session  # deferred: keeps `python -m estate --help` fast

    session = boto3.session.Session(region_name=region)
    credentials = session.get_credentials()
    secret_values: tuple[str, ...] = ()
    if credentials is not None:
        frozen = credentials.get_frozen_credentials()
        secret_values = tuple(
            value for value in (frozen.access_key, frozen.secret_key, frozen.token) if value
        )
    return AwsClients(
        s3=session.client("s3"),
        kms=session.client("kms"),
        region=region,
        partition=session.get_partition_for_region(region),
        secret_values=secret_values,
    )


def error_code(error: ClientError) -> str:
    """The AWS error code, e.g. ``NoSuchBucket`` or ``AccessDenied``."""
    return error.response.get("Error", {}).get("Code", "")


def bucket_region(s3: S3Client, bucket: str) -> str | None:
    """Region ``bucket`` lives in, or None when no bucket has that name.

    Raises `BackendError` when the bucket exists but these credentials may not
    use it (bucket names are global, so it may belong to another account).
    """
    try:
        response = s3.head_bucket(Bucket=bucket)
    except ClientError as error:
        code = error_code(error)
        if code in {"404", "NoSuchBucket"}:
            return None
        if code in {"403", "AccessDenied"}:
            raise BackendError(
                [
                    f"--bucket {bucket!r} exists but these AWS credentials may not use it: "
                    + "bucket names are global, so it may belong to another account. "
                    + "Pick another --bucket name, or use credentials with the IAM policy "
                    + "in docs/backend.md."
                ]
            ) from error
        # A request to the wrong regional endpoint answers 301/400 with the real region.
        headers = error.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        redirected_to = headers.get("x-amz-bucket-region")
        if isinstance(redirected_to, str) and redirected_to:
            return redirected_to
        raise
    if "BucketRegion" in response:
        return response["BucketRegion"]
    # Older endpoints omit BucketRegion; GetBucketLocation says None for us-east-1.
    location = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint")
    return str(location) if location else "us-east-1"


def wrong_region_problem(bucket: str, region: str, found_region: str) -> str:
    """The sentence for a bucket that lives in another region than ``--region``."""
    return (
        f"--region {region!r} is wrong for bucket {bucket!r}, which lives in "
        + f"{found_region!r}; pass --region {found_region}."
    )


def describe_aws_failure(error: BotoCoreError | ClientError, secret_values: tuple[str, ...]) -> str:
    """One sentence saying what AWS refused and how to fix it, scrubbed of credentials."""
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        text = (
            "No usable AWS credentials found. Locally: set AWS_PROFILE and run "
            + "`aws sso login`; in CI: use aws-actions/configure-aws-credentials "
            + "(see docs/backend.md)."
        )
    elif isinstance(error, NoRegionError):
        text = "No AWS region was set; pass --region."
    elif isinstance(error, EndpointConnectionError):
        text = f"Could not reach AWS ({error}); check the network and --region."
    elif isinstance(error, ClientError):
        code = error_code(error)
        message = error.response.get("Error", {}).get("Message", "")
        operation = error.operation_name
        text = f"AWS refused {operation}: {code}: {message}".rstrip(": ")
        if code in {"AccessDenied", "AccessDeniedException", "403"}:
            text += (
                ". The credentials in use lack this permission; grant the IAM policy "
                + "in docs/backend.md or use a role that has it."
            )
        elif code in {"ExpiredToken", "ExpiredTokenException", "RequestExpired"}:
            text += ". The session expired; log in again (`aws sso login`)."
        elif code in {"InvalidAccessKeyId", "SignatureDoesNotMatch", "UnrecognizedClientException"}:
            text += ". The AWS credentials in use are not valid; refresh them."
    else:
        text = f"AWS call failed: {error}"
    return scrub(text, secret_values)


def scrub(text: str, secret_values: tuple[str, ...]) -> str:
    """``text`` with every credential value replaced, in case AWS echoed one."""
    for value in secret_values:
        text = text.replace(value, "[redacted]")
    return text
