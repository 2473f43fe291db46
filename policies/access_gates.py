"""Internal Pages sites are behind Cloudflare Access on every hostname; public ones are not.

A Pages project answers on its custom domain(s), on its pages.dev host and on
every preview under it (``*.<host>``). The pages.dev host is the project's
``subdomain`` as Cloudflare assigned it (a taken name gets a suffix); while a
project is being created the engine does not know it yet, and the policy
judges ``<project>.pages.dev``, the host Cloudflare assigns a free name. Gating only the
custom domain leaves the same content open on ``pages.dev``; Cloudflare's own
"enable access policy" switch gates only the previews. So a site is judged on
all of its hostnames.

A site is *internal* when its project name carries the internal marker
(``-internal``, policy config ``internalMarker``) or, unless it is public,
when any Access application touches any of its hostnames: an Access app or a
certificate bypass on a site shows the intent to gate it, so gating half of it
is a violation, not a public site. A site is *public* when its name carries
the public marker (``-public``, ``publicMarker``); gating one is flagged by the
advisory ``public-sites-not-gated``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from policies.engine_view import host_of, host_pattern_covers, items, path_of, text, violation
from policies.resource_types import ACCESS_APPLICATION, PAGES_DOMAIN, PAGES_PROJECT

DEFAULT_INTERNAL_MARKER = "-internal"
DEFAULT_PUBLIC_MARKER = "-public"
# A destination path that still covers the whole host.
_WHOLE_HOST_PATHS = frozenset({"", "/", "/*", "*"})


@dataclass
class PagesSiteView:
    """One Pages project and the hostnames that serve it, each with the URN to blame."""

    project: str
    urn: str
    pages_dev: str
    custom_domains: list[tuple[str, str]] = dataclass_field(default_factory=list)

    def hostnames(self) -> list[tuple[str, str]]:
        return [
            *self.custom_domains,
            (self.pages_dev, self.urn),
            (f"*.{self.pages_dev}", self.urn),
        ]


def pages_dev_host(props: Any, project: str) -> str:
    """The project's ``subdomain`` when known; before creation, the host a free name gets."""
    return host_of(text(props, "subdomain") or f"{project}.pages.dev")


@dataclass(frozen=True)
class AccessApplicationView:
    """An Access application: the (host pattern, path) pairs it covers and whether it gates them."""

    urn: str
    destinations: tuple[tuple[str, str], ...]
    gates: bool

    def covers(self, host: str) -> bool:
        """Whether it gates the whole of ``host`` (a path-limited destination does not)."""
        return self.gates and any(
            path in _WHOLE_HOST_PATHS and host_pattern_covers(pattern, host)
            for pattern, path in self.destinations
        )

    def touches(self, host: str) -> bool:
        """Whether any destination, gating or not, is on ``host`` or under it."""
        return any(
            host_pattern_covers(pattern, host) or host_pattern_covers(host, pattern)
            for pattern, _ in self.destinations
        )


def pages_sites(resources: Sequence[PolicyResource]) -> list[PagesSiteView]:
    sites: dict[str, PagesSiteView] = {}
    for resource in resources:
        if resource.resource_type == PAGES_PROJECT:
            name = text(resource.props, "name")
            if name:
                site = sites.setdefault(
                    name, PagesSiteView(name, resource.urn, pages_dev_host(resource.props, name))
                )
                site.urn, site.pages_dev = resource.urn, pages_dev_host(resource.props, name)
    for resource in resources:
        if resource.resource_type == PAGES_DOMAIN:
            project, domain = text(resource.props, "projectName"), text(resource.props, "name")
            if project and domain and project in sites:
                sites[project].custom_domains.append((host_of(domain), resource.urn))
    return list(sites.values())


def _policy_opens(policy: Any) -> bool:
    """An inline policy that lets everyone in: a bypass, or an allow that includes everyone."""
    decision = text(policy, "decision")
    if decision == "bypass":
        return True
    includes_everyone = any(_has(include, "everyone") for include in items(policy, "includes"))
    return decision in ("allow", "non_identity") and includes_everyone


def _has(value: Any, key: str) -> bool:
    return isinstance(value, Mapping) and key in value


def access_applications(resources: Sequence[PolicyResource]) -> list[AccessApplicationView]:
    apps: list[AccessApplicationView] = []
    for resource in resources:
        if resource.resource_type != ACCESS_APPLICATION:
            continue
        props = resource.props
        uris = [
            uri
            for destination in items(props, "destinations")
            if text(destination, "type") in (None, "public") and (uri := text(destination, "uri"))
        ]
        if not uris:  # `destinations` supersede the older fields when given
            uris = [uri for uri in items(props, "selfHostedDomains") if isinstance(uri, str)]
            if domain := text(props, "domain"):
                uris.append(domain)
        gates = text(props, "type") != "bookmark" and not any(
            _policy_opens(p) for p in items(props, "policies")
        )
        apps.append(AccessApplicationView(resource.urn, tuple((host_of(u), path_of(u)) for u in uris), gates))
    return apps


def validate_internal_sites_gated(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Every hostname of an internal Pages site is gated by an Access application."""
    config = args.get_config()
    marker = str(config.get("internalMarker", DEFAULT_INTERNAL_MARKER))
    public_marker = str(config.get("publicMarker", DEFAULT_PUBLIC_MARKER))
    apps = access_applications(args.resources)
    for site in pages_sites(args.resources):
        hostnames = site.hostnames()
        # A public site under Access is a mistake for public-sites-not-gated to flag, not an intent to gate.
        touched = public_marker not in site.project and any(
            app.touches(h) for app in apps for h, _ in hostnames
        )
        internal = marker in site.project or touched
        if not internal:
            continue
        for host, urn in hostnames:
            if not any(app.covers(host) for app in apps):
                report_violation(
                    violation(
                        f"{host} serves the internal Pages project {site.project}, but no Access application "
                        "gates it: anyone on the internet can read the site there",
                        f"add the destination {{type: public, uri: {host}}} to the site's ZeroTrustAccessApplication "
                        "(with an allow policy, not a bypass); the PagesSite component does this for the custom "
                        "domain, the project's subdomain and its previews when the site is gated",
                    ),
                    urn,
                )


def validate_public_sites_not_gated(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """A site marked public is not behind an Access application."""
    marker = str(args.get_config().get("publicMarker", DEFAULT_PUBLIC_MARKER))
    apps = access_applications(args.resources)
    for site in pages_sites(args.resources):
        if marker not in site.project:
            continue
        for host, urn in site.hostnames():
            gate = next((app for app in apps if app.covers(host)), None)
            if gate is not None:
                report_violation(
                    violation(
                        f"{host} serves the public Pages project {site.project}, but the Access application "
                        f"{gate.urn.rsplit('::', 1)[-1]} gates it: readers outside the allow list get a login page",
                        f"remove {host} from that application's destinations, or, if the site is meant to be "
                        f"internal, rename the project without {marker!r} and gate it on every hostname",
                    ),
                    urn,
                )
