"""``python -m estate graph --stack NAME --format svg|dot|mermaid [--output FILE]``: a picture of the estate.

Drawn from the stack's offline plan, one cluster per app: the app's
repository with its branch protection and deployment environment, its
hosting (Vercel project, Pages projects, Worker), the domains they serve and
the DNS record behind each, the Access gates in front of them, and its
Supabase database with the variables wired from it into the app (names only).
Account-wide things (the reusable Access policy) sit in a shared cluster.

``dot``, ``mermaid`` and ``json`` need nothing installed; ``svg`` lays the graph
out with Graphviz's own ``dot`` program found on PATH (the operating system's
Graphviz package; docs/operations.md says why no wheel-shipped renderer).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from estate.plan_document import SHARED, PlanIndex
from policies.resource_types import SUPABASE_PROJECT, VERCEL_PROJECT

Plan = dict[str, Any]
Resource = dict[str, Any]
Kind = Literal[
    "app", "repository", "protection", "environment", "hosting", "domain", "dns", "gate", "policy", "database"
]

# The layout program: Graphviz's own, from the operating system (docs/operations.md, "graph").
RENDERERS = ("dot",)
INSTALL_GRAPHVIZ = "sudo apt-get install graphviz"

# Shape and colours per kind of node, for dot; mermaid gets the same colours as classes.
_STYLE: Mapping[Kind, Mapping[str, str]] = {
    "app": {"shape": "box", "style": "rounded,filled,bold", "fillcolor": "#1f2937", "fontcolor": "white"},
    "repository": {"shape": "folder", "style": "filled", "fillcolor": "#e5e7eb"},
    "protection": {"shape": "note", "style": "filled", "fillcolor": "#f3f4f6", "fontsize": "10"},
    "environment": {"shape": "note", "style": "filled", "fillcolor": "#f3f4f6", "fontsize": "10"},
    "hosting": {"shape": "box3d", "style": "filled", "fillcolor": "#dbeafe"},
    "domain": {"shape": "ellipse", "style": "filled", "fillcolor": "#dcfce7"},
    "dns": {"shape": "box", "style": "filled,dashed", "fillcolor": "#fef9c3", "fontsize": "10"},
    "gate": {"shape": "octagon", "style": "filled", "fillcolor": "#fee2e2"},
    "policy": {"shape": "octagon", "style": "filled", "fillcolor": "#fecaca"},
    "database": {"shape": "cylinder", "style": "filled", "fillcolor": "#ede9fe"},
}


@dataclass(frozen=True)
class Node:
    """One box of the picture; ``cluster`` is the app it belongs to."""

    key: str
    label: str
    kind: Kind
    cluster: str


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""


@dataclass
class EstateGraph:
    """Nodes (by key, insertion-ordered) and edges of one stack's picture."""

    title: str
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)

    def add(self, key: str, label: str, kind: Kind, cluster: str) -> str:
        self.nodes.setdefault(key, Node(key, label, kind, cluster))
        return key

    def link(self, source: str, target: str, label: str = "") -> None:
        """Adds an edge once; an endpoint that is not drawn (an app's repository outside any app) drops it."""
        edge = Edge(source, target, label)
        if source in self.nodes and target in self.nodes and edge not in self.edges:
            self.edges.append(edge)

    def clusters(self) -> dict[str, list[Node]]:
        grouped: dict[str, list[Node]] = defaultdict(list)
        for node in self.nodes.values():
            grouped[node.cluster].append(node)
        return dict(sorted(grouped.items(), key=lambda item: (item[0] == SHARED, item[0])))


def _suffix(type_token: str) -> str:
    return type_token.rsplit(":", 1)[-1]


def build_graph(plan: Plan) -> EstateGraph:
    """The picture's nodes and edges from a plan document."""
    from components.supabase_database import SUPABASE_DATABASE_TYPE as SUPABASE_DATABASE

    index = PlanIndex(plan)
    resources = index.resources
    graph = EstateGraph(f"{plan['project']} / {plan['stack']}")
    outputs: Mapping[str, Any] = (plan.get("outputs") or {}).get("apps") or {}

    def app_of(resource: Resource) -> str:
        return index.app_or_shared(resource)

    hosting_of_app: dict[str, list[str]] = defaultdict(list)
    database_node: dict[str, str] = {}  # SupabaseDatabase component URN → database node
    for resource in resources:
        if resource["type"] == index.application_type:
            app = resource["name"]
            repository = (outputs.get(app) or {}).get("repository") or app
            graph.add(f"app:{app}", app, "app", app)
            graph.add(f"repo:{app}", f"GitHub {repository}", "repository", app)
            graph.link(f"app:{app}", f"repo:{app}", "code")

    for resource in resources:
        inputs: Mapping[str, Any] = resource.get("inputs") or {}
        kind = _suffix(resource["type"])
        app = app_of(resource)
        provider = resource["type"].split(":")[0]
        if provider == "vercel" and kind == "Project":
            node = graph.add(
                f"hosting:{resource['urn']}", f"Vercel project\n{inputs.get('name')}", "hosting", app
            )
            hosting_of_app[app].append(node)
            branch = (inputs.get("gitRepository") or {}).get("productionBranch")
            graph.link(f"repo:{app}", node, f"git push {branch}" if branch else "git")
        elif provider == "cloudflare" and kind == "PagesProject":
            node = graph.add(
                f"pages:{inputs.get('name')}", f"Pages project\n{inputs.get('name')}", "hosting", app
            )
            hosting_of_app[app].append(node)
        elif provider == "cloudflare" and kind == "WorkersCustomDomain":
            node = graph.add(
                f"worker:{inputs.get('service')}", f"Worker\n{inputs.get('service')}", "hosting", app
            )
            hosting_of_app[app].append(node)
            host = graph.add(f"host:{inputs.get('hostname')}", str(inputs.get("hostname")), "domain", app)
            graph.link(node, host, "custom domain")
        elif resource["type"] == SUPABASE_PROJECT:
            database = index.ancestor_of_type(resource, SUPABASE_DATABASE)
            node = graph.add(
                f"db:{resource['urn']}",
                f"Supabase {inputs.get('name')}\n{inputs.get('instance_size')}, {inputs.get('region')}",
                "database",
                app,
            )
            if database is not None:
                database_node[database["urn"]] = node
        elif provider == "github" and kind == "BranchProtection":
            reviews = (inputs.get("requiredPullRequestReviews") or [{}])[0]
            checks = [
                c for group in inputs.get("requiredStatusChecks") or [] for c in group.get("contexts") or []
            ]
            label = (
                f"protects {inputs.get('pattern')}\n{int(reviews.get('requiredApprovingReviewCount') or 0)} review(s)"
                + (f"\nchecks: {', '.join(checks)}" if checks else "")
            )
            node = graph.add(f"protection:{resource['urn']}", label, "protection", app)
            graph.link(f"repo:{app}", node)
        elif provider == "cloudflare" and kind == "ZeroTrustAccessPolicy":
            graph.add(f"policy:{resource['urn']}", f"Access policy\n{inputs.get('name')}", "policy", app)

    # Second pass: what hangs off the nodes above.
    wired: list[tuple[str, str, str]] = []  # database node, user node, variable name
    secrets_of: dict[str, list[str]] = defaultdict(list)
    variables_of: dict[str, list[str]] = defaultdict(list)
    environment_of: dict[str, str] = {}
    for resource in resources:
        inputs = resource.get("inputs") or {}
        kind = _suffix(resource["type"])
        provider = resource["type"].split(":")[0]
        app = app_of(resource)
        if provider == "cloudflare" and kind == "PagesDomain":
            host = graph.add(f"host:{inputs.get('name')}", str(inputs.get("name")), "domain", app)
            graph.link(f"pages:{inputs.get('projectName')}", host, "custom domain")
        elif provider == "vercel" and kind == "ProjectDomain":
            host = graph.add(f"host:{inputs.get('domain')}", str(inputs.get("domain")), "domain", app)
            project = next(iter(index.dependencies(resource, VERCEL_PROJECT)), None)
            if project is not None:
                graph.link(f"hosting:{project['urn']}", host, "domain")
        elif provider == "cloudflare" and kind == "DnsRecord":
            host = graph.add(f"host:{inputs.get('name')}", str(inputs.get("name")), "domain", app)
            proxied = "proxied" if inputs.get("proxied") else "DNS only"
            record = graph.add(
                f"dns:{resource['urn']}",
                f"{inputs.get('type')} -> {inputs.get('content')}\n({proxied})",
                "dns",
                app,
            )
            graph.link(host, record, "DNS")
        elif provider == "cloudflare" and kind == "ZeroTrustAccessApplication":
            decisions = {str(p.get("decision") or "allow") for p in inputs.get("policies") or []}
            bypass = decisions == {"bypass"}
            uris = [str(d.get("uri")) for d in inputs.get("destinations") or []]
            label = (
                f"Access bypass\n{uris[0].split('/', 1)[-1]}"
                if bypass and uris
                else f"Access gate\n{inputs.get('name')}"
            )
            gate = graph.add(f"gate:{resource['urn']}", label, "gate", app)
            for uri in uris:
                host = uri.split("/", 1)[0]
                target = graph.add(f"host:{host}", host, "domain", app)
                graph.link(gate, target, "bypasses" if bypass else "gates")
            for dependency in resource["options"].get("depends_on") or []:
                if f"policy:{dependency}" in graph.nodes:
                    graph.link(f"policy:{dependency}", gate, "allow")
        elif provider == "github" and kind == "RepositoryEnvironment":
            environment_of[app] = str(inputs.get("environment"))
        elif provider == "github" and kind == "ActionsEnvironmentSecret":
            secrets_of[app].append(str(inputs.get("secretName")))
            wired += _database_wires(
                resource, index, database_node, f"env:{app}", str(inputs.get("secretName"))
            )
        elif provider == "github" and kind == "ActionsEnvironmentVariable":
            variables_of[app].append(str(inputs.get("variableName")))
        elif provider == "vercel" and kind == "ProjectEnvironmentVariable":
            project = next(iter(index.dependencies(resource, VERCEL_PROJECT)), None)
            if project is not None:
                wired += _database_wires(
                    resource, index, database_node, f"hosting:{project['urn']}", str(inputs.get("key"))
                )

    for app, environment in environment_of.items():
        label = f"environment {environment}\n{len(secrets_of[app])} secret(s), {len(variables_of[app])} variable(s)"
        node = graph.add(f"env:{app}", label, "environment", app)
        graph.link(f"repo:{app}", node)
        for hosting in hosting_of_app[app]:
            if not hosting.startswith("hosting:"):  # Pages and Workers are deployed by the workflow
                graph.link(node, hosting, "deploys")
    for app, hostings in hosting_of_app.items():
        for hosting in hostings:
            graph.link(f"app:{app}", hosting, "hosted on")
    # One edge per database and user, labelled with the variable names wired along it.
    names: dict[tuple[str, str], set[str]] = defaultdict(set)
    for database, user, variable in wired:
        names[(database, user)].add(variable)
    for (database, user), variables in names.items():
        graph.link(database, user, "\n".join(sorted(variables)))
    return graph


def _database_wires(
    resource: Resource,
    index: PlanIndex,
    database_node: Mapping[str, str],
    user: str,
    variable: str,
) -> list[tuple[str, str, str]]:
    """(database node, ``user``, ``variable``) when the variable's value comes from a database."""
    from components.supabase_database import SUPABASE_DATABASE_TYPE as SUPABASE_DATABASE

    wires: list[tuple[str, str, str]] = []
    for dependency in index.dependencies(resource):
        database = index.ancestor_of_type(dependency, SUPABASE_DATABASE)
        if database is not None and database["urn"] in database_node:
            wires.append((database_node[database["urn"]], user, variable))
    return wires


# --- output ---------------------------------------------------------------------------------


def _ids(graph: EstateGraph) -> dict[str, str]:
    return {key: f"n{index}" for index, key in enumerate(graph.nodes)}


def _dot_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(graph: EstateGraph) -> str:
    """Graphviz source: left to right, one cluster per app."""
    ids = _ids(graph)
    lines = [
        "digraph estate {",
        f"  label={_dot_text(graph.title)}; labelloc=t; fontsize=20; fontname=Helvetica;",
        "  rankdir=LR; compound=true; nodesep=0.25; ranksep=0.6;",
        "  node [fontname=Helvetica, fontsize=11, penwidth=1];",
        '  edge [fontname=Helvetica, fontsize=9, color="#6b7280", fontcolor="#374151"];',
    ]
    for index, (cluster, nodes) in enumerate(graph.clusters().items()):
        title = "shared (account-wide)" if cluster == SHARED else f"app: {cluster}"
        lines.append(f"  subgraph cluster_{index} {{")
        lines.append(f'    label={_dot_text(title)}; style="rounded"; color="#9ca3af"; fontsize=14;')
        for node in nodes:
            style = ", ".join(f"{k}={_dot_text(v)}" for k, v in _STYLE[node.kind].items())
            lines.append(f"    {ids[node.key]} [label={_dot_text(node.label)}, {style}];")
        lines.append("  }")
    for edge in graph.edges:
        label = f" [label={_dot_text(edge.label)}]" if edge.label else ""
        lines.append(f"  {ids[edge.source]} -> {ids[edge.target]}{label};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    return '"' + text.replace('"', "#quot;").replace("\n", "<br/>") + '"'


def to_mermaid(graph: EstateGraph) -> str:
    """Mermaid flowchart source, for Markdown that renders it (GitHub does)."""
    ids = _ids(graph)
    lines = ["flowchart LR"]
    for index, (cluster, nodes) in enumerate(graph.clusters().items()):
        title = "shared (account-wide)" if cluster == SHARED else f"app: {cluster}"
        lines.append(f"  subgraph c{index}[{_mermaid_text(title)}]")
        for node in nodes:
            lines.append(f"    {ids[node.key]}[{_mermaid_text(node.label)}]:::{node.kind}")
        lines.append("  end")
    for edge in graph.edges:
        arrow = f" -->|{_mermaid_text(edge.label)}| " if edge.label else " --> "
        lines.append(f"  {ids[edge.source]}{arrow}{ids[edge.target]}")
    for kind, style in _STYLE.items():
        colour = style.get("fontcolor", "#111827")
        lines.append(f"  classDef {kind} fill:{style['fillcolor']},color:{colour}")
    return "\n".join(lines) + "\n"


class RendererMissingError(Exception):
    """No Graphviz ``dot`` layout program is installed."""


def find_renderer() -> Path:
    """Graphviz's ``dot`` on PATH; never a layout binary shipped in a Python wheel."""
    for name in RENDERERS:
        found = shutil.which(name)
        if found:
            return Path(found)
    raise RendererMissingError(
        f"no Graphviz `dot` on PATH to lay out the SVG: install Graphviz (`{INSTALL_GRAPHVIZ}`, "
        "or `brew install graphviz` on macOS), or use --format dot|mermaid|json, which need nothing installed"
    )


def render_svg(dot_source: str, renderer: Path | None = None) -> str:
    """Lays the graph out with ``dot`` and returns the SVG."""
    program = renderer or find_renderer()
    result = subprocess.run(
        [str(program), "-Kdot", "-Tsvg"],
        input=dot_source,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0 or "<svg" not in result.stdout:
        raise RuntimeError(f"{program.name} failed ({result.returncode}): {result.stderr.strip()[:500]}")
    # The renderer's version comment differs between machines; the picture does not.
    return re.sub(r"<!-- Generated by [^>]*-->\n", "", result.stdout)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "graph",
        help="draw the estate: apps, hosting, domains, DNS, Access, databases, repositories",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--stack", required=True, help="stack name; reads Pulumi.<stack>.yaml")
    parser.add_argument(
        "--format",
        choices=("svg", "dot", "mermaid", "json"),
        default="svg",
        help="svg (laid out by dot), dot or mermaid source, or json (nodes and edges) for machines",
    )
    parser.add_argument("--output", type=Path, help="write here instead of stdout")
    parser.add_argument("--quiet", action="store_true", help="no progress or summary on stderr")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from estate.output import plan_stacks, print_error_list, print_graph_summary, write_text

    plans = plan_stacks([args.stack], quiet=args.quiet)
    if plans is None:
        return 2
    graph = build_graph(plans[0].to_json())
    if args.format == "json":
        from dataclasses import asdict

        document = {
            "stack": args.stack,
            "nodes": [asdict(node) for node in graph.nodes.values()],
            "edges": [asdict(edge) for edge in graph.edges],
        }
        text = json.dumps(document, indent=2) + "\n"
    elif args.format == "mermaid":
        text = to_mermaid(graph)
    elif args.format == "dot":
        text = to_dot(graph)
    else:
        try:
            text = render_svg(to_dot(graph))
        except (RendererMissingError, RuntimeError) as error:
            print_error_list("cannot draw the SVG", [str(error)])
            return 2
    if args.output is not None:
        args.output.write_text(text)
    else:
        write_text(text)
    if not args.quiet:
        print_graph_summary(
            args.stack,
            nodes=len(graph.nodes),
            edges=len(graph.edges),
            apps=len([c for c in graph.clusters() if c != SHARED]),
            format=args.format,
            output=args.output,
        )
    return 0
