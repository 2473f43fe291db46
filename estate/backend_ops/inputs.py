"""Validation of everything the operator types, done before any AWS call.

Each check returns a list of problems (empty when fine) so that a command can
report every bad flag at once. Every problem names the flag, the bad value and
the fix.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from functools import cache

DEFAULT_KMS_ALIAS = "alias/pulumi-estate"
DEFAULT_NONCURRENT_DAYS = 90


class BackendError(Exception):
    """A problem the operator can fix; ``problems`` holds one sentence per problem."""

    problems: list[str]

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


# S3 general purpose bucket naming rules, as published in the S3 user guide.
_BUCKET_CHARS = re.compile(r"^[a-z0-9.-]+$")
_RESERVED_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def bucket_name_problems(bucket: str) -> list[str]:
    """Every S3 naming rule ``bucket`` breaks, each as a sentence naming the fix."""
    broken: list[str] = []
    if not 3 <= len(bucket) <= 63:
        broken.append(f"it is {len(bucket)} characters long; use 3 to 63")
    if not _BUCKET_CHARS.match(bucket):
        broken.append("use only lowercase letters, digits, '-' and '.'")
    if bucket and not (bucket[0].isalnum() and bucket[-1].isalnum()):
        broken.append("start and end it with a lowercase letter or digit")
    if ".." in bucket:
        broken.append("do not put two dots next to each other")
    if _looks_like_ip_address(bucket):
        broken.append("do not format it as an IP address")
    broken.extend(
        f"do not start it with the reserved prefix {prefix!r}"
        for prefix in _RESERVED_BUCKET_PREFIXES
        if bucket.startswith(prefix)
    )
    broken.extend(
        f"do not end it with the reserved suffix {suffix!r}"
        for suffix in _RESERVED_BUCKET_SUFFIXES
        if bucket.endswith(suffix)
    )
    if not broken:
        return []
    return [f"--bucket {bucket!r} is not a valid S3 bucket name: " + "; ".join(broken) + "."]


def _looks_like_ip_address(name: str) -> bool:
    try:
        _ = ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


_REGION_SHAPE = re.compile(r"^[a-z]+(-[a-z]+)+-\d+$")


@cache
def known_regions() -> frozenset[str]:
    """Regions botocore's bundled endpoint data knows for S3, across all partitions."""
    import boto3.session  # deferred: keeps `--help` fast

    session = boto3.session.Session()
    regions: set[str] = set()
    for partition in session.get_available_partitions():
        regions.update(session.get_available_regions("s3", partition_name=partition))
    return frozenset(regions)


def region_problems(region: str) -> list[str]:
    """Why ``region`` is not an AWS region, or nothing when it is one."""
    if region in known_regions():
        return []
    guesses = difflib.get_close_matches(region.lower(), sorted(known_regions()), n=3)
    hint = f" Did you mean {', '.join(guesses)}?" if guesses else ""
    if not _REGION_SHAPE.match(region):
        return [
            f"--region {region!r} is not an AWS region code; pass one like 'eu-west-1' "
            + f"(the code, not the display name).{hint}"
        ]
    return [
        f"--region {region!r} is not a region this botocore knows; pass the region the "
        + f"bucket lives in, e.g. 'eu-west-1'.{hint}"
    ]


# KMS alias names: "alias/" then letters, digits, '/', '_' and '-', 256 characters at most.
_ALIAS_SHAPE = re.compile(r"^alias/[A-Za-z0-9/_-]+$")


def kms_alias_problems(alias: str) -> list[str]:
    """Why ``alias`` cannot name the customer key, or nothing."""
    if not _ALIAS_SHAPE.match(alias) or len(alias) > 256:
        return [
            f"--kms-alias {alias!r} is not a KMS alias name; pass 'alias/' followed by "
            + "letters, digits, '/', '_' or '-' (256 characters at most), e.g. "
            + f"{DEFAULT_KMS_ALIAS!r}."
        ]
    if alias.startswith("alias/aws/"):
        return [
            f"--kms-alias {alias!r} is reserved for AWS managed keys, which cannot have "
            + "rotation or policy set by you; pick another name, e.g. "
            + f"{DEFAULT_KMS_ALIAS!r}."
        ]
    return []


def noncurrent_days_problems(days: int) -> list[str]:
    """Why ``days`` cannot be the noncurrent-version retention, or nothing."""
    if days < 1:
        return [
            f"--noncurrent-days {days} must be at least 1: it is how many days an "
            + f"overwritten state version stays recoverable (default {DEFAULT_NONCURRENT_DAYS})."
        ]
    return []


def raise_if_any(problems: list[str]) -> None:
    """Raise one `BackendError` carrying every problem found, if there are any."""
    if problems:
        raise BackendError(problems)
