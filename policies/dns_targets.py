"""Each app hostname's DNS record points at the platform that serves it, proxied or not as it needs.

Matched through the domain resources of the same stack:

- a Vercel ``ProjectDomain``: a ``CNAME`` to ``cname.vercel-dns.com``, *not*
  proxied: Vercel must see its own record to issue and renew the certificate;
- a Pages ``PagesDomain`` of project ``P``: a ``CNAME`` to P's ``subdomain``
  (``P.pages.dev`` while P is being created), proxied: Cloudflare serves it,
  and Access can only gate proxied traffic.

Records are matched by their fully qualified ``name``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from policies.access_gates import pages_dev_host
from policies.engine_view import UNKNOWN, field, flag, host_of, text, violation
from policies.resource_types import DNS_RECORD, PAGES_DOMAIN, PAGES_PROJECT, VERCEL_PROJECT_DOMAIN

VERCEL_CNAME_TARGET = "cname.vercel-dns.com"


@dataclass(frozen=True)
class ExpectedRecord:
    """What the DNS record of one served hostname must be, and why."""

    host: str
    target: str
    proxied: bool
    served_by: str
    urn: str


def expected_records(resources: list[PolicyResource]) -> Iterator[ExpectedRecord]:
    subdomains = {
        name: pages_dev_host(resource.props, name)
        for resource in resources
        if resource.resource_type == PAGES_PROJECT and (name := text(resource.props, "name"))
    }
    for resource in resources:
        props = resource.props
        if resource.resource_type == VERCEL_PROJECT_DOMAIN and (domain := text(props, "domain")):
            yield ExpectedRecord(host_of(domain), VERCEL_CNAME_TARGET, False, "Vercel", resource.urn)
        elif resource.resource_type == PAGES_DOMAIN:
            domain, project = text(props, "name"), text(props, "projectName")
            if domain and project:
                target = subdomains.get(project) or f"{project}.pages.dev"
                yield ExpectedRecord(host_of(domain), target, True, f"Pages project {project}", resource.urn)


def validate_dns_targets(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Vercel domains: CNAME cname.vercel-dns.com, DNS only; Pages domains: CNAME the project's subdomain, proxied."""
    records: dict[str, list[PolicyResource]] = defaultdict(list)
    for resource in args.resources:
        if resource.resource_type == DNS_RECORD and (name := text(resource.props, "name")):
            records[host_of(name)].append(resource)

    for expected in expected_records(list(args.resources)):
        wanted = (
            f"type=CNAME, content={expected.target}, "
            f"proxied={expected.proxied} ({'proxied' if expected.proxied else 'DNS only'})"
        )
        matching = records.get(expected.host, [])
        if not matching:
            report_violation(
                violation(
                    f"{expected.host} is served by {expected.served_by}, but this stack declares no DNS record for it",
                    f"add a cloudflare.DnsRecord with name={expected.host}, {wanted}",
                ),
                expected.urn,
            )
        for record in matching:
            problems: list[str] = []
            record_type = field(record.props, "type")
            if record_type is not UNKNOWN and record_type != "CNAME":
                problems.append(f"is a {record_type} record, not a CNAME")
            content = field(record.props, "content")
            if content is not UNKNOWN and (
                not isinstance(content, str) or host_of(content) != expected.target
            ):
                problems.append(f"points at {content}, not {expected.target}")
            proxied = flag(record.props, "proxied")
            if proxied is not UNKNOWN and bool(proxied) != expected.proxied:
                problems.append(
                    "is proxied: Vercel cannot see its record to issue the certificate"
                    if not expected.proxied
                    else "is DNS only: Cloudflare does not serve it and Access cannot gate it"
                )
            for problem in problems:
                report_violation(
                    violation(
                        f"the DNS record of {expected.host} ({expected.served_by}) {problem}", f"set {wanted}"
                    ),
                    record.urn,
                )
