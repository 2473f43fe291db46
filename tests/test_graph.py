"""``estate graph``: the picture of the estate, its edges, and its three formats."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import pytest

from estate import graph as graph_module
from estate.cli import main
from estate.engine import PROJECT_DIR
from estate.graph import EstateGraph, build_graph, find_renderer, render_svg, to_dot, to_mermaid
from tests.conftest import plan_of

CANARY = "CANARY-graph-0c4f"


def node_with(graph: EstateGraph, label: str) -> str:
    [key] = [key for key, node in graph.nodes.items() if node.label == label]
    return key


def edge_label(graph: EstateGraph, source: str, target: str) -> str:
    [label] = [e.label for e in graph.edges if e.source == source and e.target == target]
    return label


def test_each_app_is_a_cluster_with_its_repository_hosting_and_domains() -> None:
    graph = build_graph(plan_of("prod"))
    clusters = graph.clusters()
    assert {"oms", "esim-hub", "handbook", "chatbot", "talkline"} <= set(clusters)
    oms = {node.label for node in clusters["oms"]}
    assert {"oms", "GitHub gstarlink/shopify-esim-system", "Vercel project\noms", "oms.gstarlink.com"} <= oms
    assert "Supabase gstarlink-oms\nsmall, eu-central-1" in oms

    vercel = node_with(graph, "Vercel project\noms")
    domain = node_with(graph, "oms.gstarlink.com")
    assert edge_label(graph, vercel, domain) == "domain"
    [record] = [e.target for e in graph.edges if e.source == domain and e.label == "DNS"]
    assert graph.nodes[record].label == "CNAME -> cname.vercel-dns.com\n(DNS only)"
    assert (
        edge_label(graph, node_with(graph, "GitHub gstarlink/shopify-esim-system"), vercel) == "git push main"
    )

    handbook = {node.label for node in clusters["handbook"]}
    assert {
        "Pages project\ngstarlink-handbook-internal",
        "Pages project\ngstarlink-handbook-public",
    } <= handbook
    worker = node_with(graph, "Worker\ngstarlink-chatbot")
    assert edge_label(graph, worker, node_with(graph, "chat.gstarlink.com")) == "custom domain"


def test_access_gates_cover_every_hostname_of_the_internal_site() -> None:
    graph = build_graph(plan_of("prod"))
    gate = node_with(graph, "Access gate\ngstarlink-handbook-internal (all hostnames)")
    gated = {graph.nodes[e.target].label for e in graph.edges if e.source == gate and e.label == "gates"}
    [pages] = [
        r
        for r in plan_of("prod")["resources"]
        if r["inputs"].get("name") == "gstarlink-handbook-internal" and r["type"].endswith(":PagesProject")
    ]
    subdomain = pages["outputs"]["subdomain"]  # as Cloudflare assigned it
    assert gated == {"handbook.gstarlink.com", subdomain, f"*.{subdomain}"}
    policy = node_with(graph, "Access policy\ngstarlink staff (production)")
    assert graph.nodes[policy].cluster == "(shared)"
    assert edge_label(graph, policy, gate) == "allow"
    public = node_with(graph, "docs.gstarlink.com")
    assert not [e for e in graph.edges if e.target == public and e.label == "gates"]


def test_databases_show_which_variables_they_feed() -> None:
    graph = build_graph(plan_of("staging"))
    database = node_with(graph, "Supabase gstarlink-oms-staging\nmicro, eu-central-1")
    runtime = edge_label(graph, database, node_with(graph, "Vercel project\noms-staging")).split("\n")
    assert {"DATABASE_URL", "NEXT_PUBLIC_SUPABASE_URL"} <= set(runtime)
    assert "SHOPIFY_API_SECRET" not in runtime  # not from the database
    environment = [
        e for e in graph.edges if e.source == database and graph.nodes[e.target].kind == "environment"
    ]
    assert environment and "SUPABASE_DB_URL" in environment[0].label.split("\n")
    # Each database feeds only its own app.
    for edge in graph.edges:
        if graph.nodes[edge.source].kind == "database":
            assert graph.nodes[edge.source].cluster == graph.nodes[edge.target].cluster


def test_protections_show_branch_reviews_and_checks() -> None:
    graph = build_graph(plan_of("staging"))
    labels = {node.label for node in graph.nodes.values() if node.kind == "protection"}
    assert (
        "protects develop\n1 review(s)\nchecks: lint-test-build, migrations-additive, env-vars, changelog-or-adr"
        in labels
    )
    assert (
        "protects staging\n1 review(s)\nchecks: build-internal, build-public, env-vars, changelog-or-adr"
        in labels
    )


def test_dot_and_mermaid_sources_are_complete_and_never_show_values() -> None:
    plan: dict[str, Any] = plan_of("prod")
    for resource in plan["resources"]:
        if "value" in (resource.get("inputs") or {}):
            resource["inputs"]["value"] = CANARY
    graph = build_graph(plan)
    dot = to_dot(graph)
    mermaid = to_mermaid(graph)
    assert CANARY not in dot and CANARY not in mermaid
    assert dot.count("subgraph cluster_") == len(graph.clusters())
    assert len(re.findall(r"^  n\d+ -> n\d+", dot, re.MULTILINE)) == len(graph.edges)
    assert mermaid.startswith("flowchart LR\n")
    declared = set(re.findall(r"^\s+(n\d+)\[", mermaid, re.MULTILINE))
    used = set(re.findall(r"^\s+(n\d+) -->", mermaid, re.MULTILINE)) | set(
        re.findall(r"(n\d+)$", mermaid, re.MULTILINE)
    )
    assert used <= declared


def test_svg_is_laid_out_by_the_pinned_renderer() -> None:
    renderer = find_renderer()
    assert renderer.name in ("graphviz-pure", "dot")
    svg = render_svg(to_dot(build_graph(plan_of("staging"))), renderer)
    root = ElementTree.fromstring(svg)
    assert root.tag.endswith("svg")
    texts = {element.text for element in root.iter() if element.tag.endswith("text")}
    assert {"app: talkline", "talkline-staging.fancrush.com", "GitHub fancrush/fancrush-talkline"} <= texts


def test_committed_picture_is_a_rendered_prod_estate() -> None:
    svg = (PROJECT_DIR / "docs" / "estate-prod.svg").read_text()
    root = ElementTree.fromstring(svg)
    texts = {element.text for element in root.iter() if element.tag.endswith("text")}
    assert "estate / prod" in texts
    assert {f"app: {app}" for app in ("oms", "esim-hub", "handbook", "chatbot", "talkline")} <= texts


def test_cli_formats_and_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "staging.dot"
    assert main(["graph", "--stack", "staging", "--format", "dot", "--output", str(target)]) == 0
    assert target.read_text().startswith("digraph estate {")
    assert "staging:" in capsys.readouterr().err
    assert main(["graph", "--stack", "qa", "--format", "dot"]) == 2
    assert "Pulumi.qa.yaml" in capsys.readouterr().err
    monkeypatch.setattr(graph_module, "RENDERERS", ("no-such-layout-program",))
    assert main(["graph", "--stack", "staging", "--format", "svg", "--quiet"]) == 2
    assert "graphviz-pure" in capsys.readouterr().err
