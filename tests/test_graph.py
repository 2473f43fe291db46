"""``estate graph``: the picture of the estate, its edges, and its three formats."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import pytest

from estate import graph as graph_module
from estate.cli import main
from estate.engine import PROJECT_DIR
from estate.graph import EstateGraph, build_graph, find_renderer, render_svg, to_dot, to_mermaid
from tests.shared_plans import plan_of

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


def _program(path: Path, body: str) -> Path:
    """An executable Python script standing in for a layout program."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!{sys.executable}\n{body}")
    path.chmod(0o755)
    return path


FAKE_DOT = """\
import json, pathlib, sys
source = sys.stdin.read()
pathlib.Path(__file__).with_name("call.json").write_text(json.dumps({"argv": sys.argv[1:], "stdin": source}))
if "syntax error" in source:
    sys.stderr.write("Error: <stdin>: syntax error in line 1")
    sys.exit(1)
print("<!-- Generated by graphviz version 2.43.0 (0)\\n -->")
print('<svg xmlns="http://www.w3.org/2000/svg"><text>laid out</text></svg>')
"""


def test_svg_is_laid_out_by_graphviz_dot_on_path_never_by_a_wheel_binary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only Graphviz's own ``dot`` from PATH lays out the SVG: a layout binary installed
    beside the interpreter by a Python wheel (``graphviz-pure``, docs/operations.md) is never run."""
    wheel_scripts = tmp_path / "venv" / "bin"
    for name in ("graphviz-pure", "dot"):
        _program(wheel_scripts / name, "raise SystemExit('a wheel-shipped layout binary ran')")
    path_dot = _program(tmp_path / "system" / "dot", FAKE_DOT)
    monkeypatch.setattr(sys, "executable", str(wheel_scripts / "python"))
    monkeypatch.setenv("PATH", str(path_dot.parent))

    assert find_renderer() == path_dot
    svg = render_svg("digraph estate { a -> b }")
    call = json.loads((path_dot.parent / "call.json").read_text())
    assert call == {"argv": ["-Kdot", "-Tsvg"], "stdin": "digraph estate { a -> b }"}
    # The version comment differs between machines; the picture does not.
    assert svg == '<svg xmlns="http://www.w3.org/2000/svg"><text>laid out</text></svg>\n'
    with pytest.raises(RuntimeError, match=r"dot failed \(1\): Error: <stdin>: syntax error"):
        render_svg("syntax error")


def test_graphviz_lays_out_the_estate_as_svg() -> None:
    if shutil.which("dot") is None:
        if os.environ.get("CI"):
            pytest.fail(
                "Graphviz's dot is missing in CI: .ci/run installs it (sudo apt-get install graphviz)"
            )
        pytest.skip(
            "Graphviz is not installed here (sudo apt-get install graphviz); CI installs it and runs this"
        )
    svg = render_svg(to_dot(build_graph(plan_of("staging"))))
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


@pytest.mark.usefixtures("shared_plans")
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
    assert "sudo apt-get install graphviz" in capsys.readouterr().err
