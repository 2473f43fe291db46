"""A Next.js (or other framework) app hosted on Vercel, with its domains on Cloudflare DNS."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_cloudflare as cloudflare
import pulumiverse_vercel as vercel

VERCEL_APP_TYPE = "estate:hosting:VercelApp"

VercelTarget = Literal["production", "preview", "development"]

# Vercel serves every custom subdomain through this CNAME target.
VERCEL_CNAME_TARGET = "cname.vercel-dns.com"


@dataclass(frozen=True)
class EnvironmentVariable:
    """One environment variable of a Vercel project.

    ``key``: the variable name. ``value``: its value (plain or a Pulumi secret).
    ``targets``: the Vercel targets that receive it. ``sensitive``: stored as a
    Vercel *sensitive* variable (write-only, never readable back) and wrapped as
    a Pulumi secret; Vercel refuses sensitive variables on ``development``.
    """

    key: str
    value: pulumi.Input[str]
    targets: tuple[VercelTarget, ...]
    sensitive: bool


@dataclass(frozen=True)
class VercelAppArgs:
    """Inputs of :class:`VercelApp`.

    ``project_name``: the Vercel project's name. ``team_id``: the Vercel team
    that owns it. ``git_repository``: ``owner/name`` of the GitHub repository
    linked to the project. ``production_branch``: the branch whose pushes are
    production deployments of this project. ``domains``: custom hostnames
    served by the project, each in ``zone_id``'s Cloudflare zone.
    ``build_previews``: whether pushes to other branches build preview
    deployments; a second project linked to the same repository must set it to
    False, or every feature branch is built twice. ``skip_branches``: branch
    patterns (shell ``case`` globs, e.g. ``estate/*``) this project never
    builds although previews are on: branches another project builds, or that
    carry nothing to deploy. Together they make each branch build in exactly
    one project. ``environment_variables``:
    see :class:`EnvironmentVariable`. ``framework`` / ``root_directory``: how
    Vercel builds the app.
    """

    project_name: str
    team_id: pulumi.Input[str]
    git_repository: str
    production_branch: str
    domains: Sequence[str]
    zone_id: pulumi.Input[str]
    build_previews: bool = True
    skip_branches: Sequence[str] = field(default_factory=tuple)
    environment_variables: Sequence[EnvironmentVariable] = field(default_factory=tuple)
    framework: str = "nextjs"
    root_directory: str | None = None


class VercelApp(pulumi.ComponentResource):
    """A Vercel project linked to GitHub, its custom domains and its environment.

    Children: the project; per domain a Vercel project domain and a Cloudflare
    CNAME to Vercel, not proxied, because Vercel must see the record to issue
    the certificate; per variable a project environment variable. Preview
    deployments sit behind Vercel Authentication (standard protection), which
    does not cover production custom domains: those are public by design.

    Outputs: ``project_id`` (for what attaches to the project: alerts, error tracking).
    """

    project_id: pulumi.Output[str]

    def __init__(self, name: str, args: VercelAppArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(VERCEL_APP_TYPE, name, None, opts)
        _check_environment_variables(name, args.environment_variables)
        ignore_command = build_filter(args.production_branch, args.build_previews, args.skip_branches, name)
        child = pulumi.ResourceOptions(parent=self)

        project = vercel.Project(
            f"{name}-project",
            name=args.project_name,
            team_id=args.team_id,
            framework=args.framework,
            root_directory=args.root_directory,
            git_repository={
                "type": "github",
                "repo": args.git_repository,
                "production_branch": args.production_branch,
            },
            ignore_command=ignore_command,
            preview_deployments_disabled=not args.build_previews,
            git_comments={"on_commit": False, "on_pull_request": args.build_previews},
            vercel_authentication={"deployment_type": "standard_protection_new"},
            automatically_expose_system_environment_variables=True,
            opts=child,
        )

        for domain in args.domains:
            vercel.ProjectDomain(
                f"{name}-domain-{domain}",
                project_id=project.id,
                team_id=args.team_id,
                domain=domain,
                opts=child,
            )
            cloudflare.DnsRecord(
                f"{name}-dns-{domain}",
                zone_id=args.zone_id,
                name=domain,
                type="CNAME",
                content=VERCEL_CNAME_TARGET,
                proxied=False,
                ttl=1,
                comment=f"Vercel project {args.project_name}; managed by Pulumi",
                opts=child,
            )

        for variable in args.environment_variables:
            vercel.ProjectEnvironmentVariable(
                f"{name}-env-{variable.key}-{'-'.join(variable.targets)}",
                project_id=project.id,
                team_id=args.team_id,
                key=variable.key,
                value=pulumi.Output.secret(variable.value) if variable.sensitive else variable.value,
                targets=list(variable.targets),
                sensitive=variable.sensitive,
                opts=child,
            )

        self.project_id = project.id
        self.register_outputs({"project_id": self.project_id})


# Branch names and case globs that need no shell quoting.
_BRANCH_PATTERN = re.compile(r"^[A-Za-z0-9._/*-]+$")


def build_filter(
    production_branch: str, build_previews: bool, skip_branches: Sequence[str], name: str = "VercelApp"
) -> str | None:
    """The project's Ignored Build Step command, or None when every branch builds.

    Vercel runs it before each build: exit 1 (or more) builds, exit 0 skips
    (https://vercel.com/kb/guide/how-do-i-use-the-ignored-build-step-field-on-vercel;
    ``ignore_command`` in vercel/terraform-provider-vercel ``vercel/resource_project.go``).
    ``VERCEL_GIT_COMMIT_REF`` is the pushed branch.
    """
    problems = [
        f"{branch!r} is not a branch name or pattern (letters, digits, . _ / - *)"
        for branch in (production_branch, *skip_branches)
        if not _BRANCH_PATTERN.match(branch)
    ]
    problems += [
        f"skip_branches pattern {pattern!r} matches the production branch {production_branch!r}: "
        "production would never build; remove the pattern"
        for pattern in skip_branches
        if fnmatch.fnmatchcase(production_branch, pattern)
    ]
    if problems:
        raise ValueError(f"{name}: " + "; ".join(problems))
    if not build_previews:
        return f'case "$VERCEL_GIT_COMMIT_REF" in {production_branch}) exit 1;; esac; exit 0'
    if skip_branches:
        return f'case "$VERCEL_GIT_COMMIT_REF" in {"|".join(skip_branches)}) exit 0;; esac; exit 1'
    return None


_ENV_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _check_environment_variables(name: str, variables: Sequence[EnvironmentVariable]) -> None:
    """Refuses what Vercel would refuse at apply time, all problems at once."""
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for variable in variables:
        if not _ENV_KEY.match(variable.key):
            problems.append(f"{variable.key!r} is not a valid environment variable name")
        if not variable.targets:
            problems.append(f"{variable.key} has no target")
        if variable.sensitive and "development" in variable.targets:
            problems.append(
                f"{variable.key} is sensitive but targets development; Vercel keeps sensitive "
                "variables out of development: drop that target"
            )
        for target in variable.targets:
            if (variable.key, target) in seen:
                problems.append(f"{variable.key} is declared twice for target {target}")
            seen.add((variable.key, target))
    if problems:
        raise ValueError(f"VercelApp {name}: " + "; ".join(problems))
