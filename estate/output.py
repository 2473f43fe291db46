"""Everything the tooling writes to the terminal: trees, tables, findings, error lists, summary lines,
and the ``--format json`` documents and raw files (a graph, an import file) written to stdout.

The one output module: the commands (``estate/plan.py``, ``diff.py``, ``doctor.py``, …) compute,
then call a function here with what they computed: a plan, the document their ``--format json``
prints (a diff, a diagnosis, alert coverage, an import file), or a type of a module that does not
import this one (``estate/simulation.py``'s ``Findings``, ``estate/policy_runner.py``'s
``Violation``, ``estate/hygiene.py``'s ``HygieneProblem``, ``estate/backend_ops``'s
``BootstrapResult``), so no import cycle. ``tests/test_architecture.py`` fails on a ``print``,
``sys.stdout``/``sys.stderr`` or ``rich`` anywhere else under ``estate/``. rich is imported inside
the functions, so the commands that print plain text (``python -m estate.rotation``, usage
errors) never load it.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from estate.plan_document import PlanIndex

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from rich.console import Console

    from estate.backend_ops.bootstrap import BootstrapResult
    from estate.hygiene import HygieneProblem
    from estate.plan_document import PlanDocument
    from estate.policy_runner import Violation
    from estate.simulation import Findings


# Plain writes: documents for machines and raw text, exactly as given.


def write_json(document: Any, *, indent: int | None = 2, default: Callable[[Any], Any] | None = None) -> None:
    """``document`` as JSON on stdout, then a newline (``indent=None``: one line)."""
    import json

    sys.stdout.write(json.dumps(document, indent=indent, default=default) + "\n")


def write_text(text: str) -> None:
    """Raw text on stdout as it is (an SVG, dot or mermaid source, an import file)."""
    sys.stdout.write(text)


def write_line(line: str, *, stderr: bool = False) -> None:
    """One line of plain text, no markup: for scripts (the drift job) and usage errors."""
    (sys.stderr if stderr else sys.stdout).write(line + "\n")


def flush() -> None:
    """Pushes out what stdout and stderr still hold; raises OSError when a reader has gone (a closed pipe)."""
    sys.stdout.flush()
    sys.stderr.flush()


# Consoles and error lists.


def console(*, stderr: bool = False) -> Console:
    """A console that, when piped, keeps whole lines instead of cutting at 80 columns."""
    from rich.console import Console

    probe = Console(stderr=stderr)
    width = None if probe.is_terminal else 240
    return Console(stderr=stderr, highlight=False, width=width)


def print_error_list(title: str, problems: list[str]) -> None:
    """Errors go to stderr, all at once, each on its own line."""
    from rich.markup import escape

    err = console(stderr=True)
    err.print(f"[bold red]error:[/] {title}")
    for problem in problems:
        err.print(f"  [red]-[/] {escape(problem)}")


# Plans: the tree and its summary line.


def short_type(type_token: str) -> str:
    """``cloudflare:index/dnsRecord:DnsRecord`` → ``cloudflare:DnsRecord``."""
    parts = type_token.split(":")
    return f"{parts[0]}:{parts[-1]}" if len(parts) == 3 else type_token


def plan_summary(plan: Mapping[str, Any]) -> str:
    from components.application import APPLICATION_TYPE

    resources = plan["resources"]
    custom = [r for r in resources if r.get("custom")]
    apps = [r for r in resources if r["type"] == APPLICATION_TYPE]
    protected = sum(1 for r in resources if r["options"]["protect"])
    providers = Counter(
        r["type"].split(":")[0] for r in custom if not r["type"].startswith("pulumi:providers:")
    )
    spread = ", ".join(f"{name} {count}" for name, count in sorted(providers.items()))
    return f"{plan['stack']}: {len(custom)} resources in {len(apps)} apps ({spread}); {protected} protected"


# Tree guides as rich's Tree draws them (rich/tree.py): (space, continuing, fork, last), UTF-8 or ASCII.
_GUIDES = ("    ", "│   ", "├── ", "└── ")
_ASCII_GUIDES = ("    ", "|   ", "+-- ", "`-- ")


def print_plan_tree(plan: Mapping[str, Any]) -> None:
    """The plan as a tree: apps, their components, their resources; then a summary line.

    Drawn line by line with rich's guides and styles rather than by ``rich.tree.Tree``, which
    measures and wraps every node (two thirds of printing a plan); a line longer than the
    terminal wraps as the terminal wraps it.
    """
    from rich.text import Text

    out = console()
    index = PlanIndex(plan)
    application = index.application_type
    space, continuing, fork, last = _GUIDES if out.encoding.lower().startswith("utf") else _ASCII_GUIDES
    lines = [Text.assemble((str(plan["project"]), "bold"), " / ", (str(plan["stack"]), "bold cyan"))]

    def label(resource: Mapping[str, Any]) -> Text:
        options = resource["options"]
        parts: list[str | tuple[str, str]] = [(short_type(resource["type"]), "green"), " ", resource["name"]]
        if options["protect"]:
            parts += [" ", ("(protected)", "yellow")]
        if options["import_id"]:
            parts += [" ", ("(import)", "magenta")]
        detail = _detail(resource)
        if detail:
            parts += [" ", (detail, "dim")]
        return Text.assemble(*parts)

    def add(prefix: str, is_last: bool, text: Text, children: Sequence[Mapping[str, Any]]) -> None:
        lines.append(Text.assemble((prefix + (last if is_last else fork), "tree.line"), text))
        for position, child in enumerate(children):
            add(
                prefix + (space if is_last else continuing),
                position == len(children) - 1,
                label(child),
                index.children(child["urn"]),
            )

    tops = index.children(None)
    shared = [resource for resource in tops if resource["type"] != application]
    apps = [resource for resource in tops if resource["type"] == application]
    shared_label = Text.assemble(("shared", "bold"), " ", ("(providers, account-wide policies)", "dim"))
    add("", not apps, shared_label, shared)
    for position, app in enumerate(apps):
        add("", position == len(apps) - 1, label(app), index.children(app["urn"]))
    out.print(Text("\n").join(lines), soft_wrap=True)
    out.print(f"[bold]{plan_summary(plan)}[/]")


def _detail(resource: Mapping[str, Any]) -> str:
    """The one input that says most about a resource, for the tree."""
    inputs = resource.get("inputs") or {}
    type_token = resource["type"]
    if type_token.endswith(":DnsRecord"):
        proxied = "proxied" if inputs.get("proxied") else "dns only"
        return f"{inputs.get('name')} {inputs.get('type')} → {inputs.get('content')} ({proxied})"
    if type_token.endswith(":ZeroTrustAccessApplication"):
        return ", ".join(d.get("uri", "") for d in inputs.get("destinations", []))
    if type_token.endswith(":ProjectEnvironmentVariable"):
        sensitive = "sensitive" if inputs.get("sensitive") else "plain"
        return f"{inputs.get('key')} → {','.join(inputs.get('targets', []))} ({sensitive})"
    if type_token.endswith(":BranchProtection"):
        return f"{inputs.get('pattern')}"
    for key in ("domain", "hostname", "name", "secretName", "variableName", "file"):
        if isinstance(inputs.get(key), str):
            return str(inputs[key])
    return ""


# Helpers for the operator commands.


def progress(message: str, *, quiet: bool = False) -> AbstractContextManager[object]:
    """A spinner on stderr while something slow (a plan) runs; nothing when quiet or piped."""
    from contextlib import nullcontext

    from rich.markup import escape

    err = console(stderr=True)
    if quiet or not err.is_terminal:
        return nullcontext()
    return err.status(f"[bold]{escape(message)}[/]", spinner="dots")


def plan_stacks(stacks: Sequence[str], *, quiet: bool = False) -> list[PlanDocument] | None:
    """Plans each stack offline (``estate/engine.py``) under a spinner, in order.

    On bad config or a missing stack file, prints every problem (stderr) and
    returns None; the caller exits with status 2.
    """
    from estate.engine import StackFileError, run_plan
    from stacks.settings import SettingsError

    plans: list[PlanDocument] = []
    for stack in stacks:
        try:
            with progress(f"planning {stack} offline…", quiet=quiet):
                plans.append(run_plan(stack))
        except SettingsError as error:
            print_error_list(
                f"stack {error.stack!r}: {len(error.problems)} config problem(s)",
                [str(problem) for problem in error.problems],
            )
            return None
        except StackFileError as error:
            print_error_list(f"cannot plan {stack!r}", list(error.problems))
            return None
    return plans


# Findings of the checks (estate/simulation.py, estate/policy_runner.py, estate/hygiene.py).


def print_violations(violations: Sequence[Violation], stack: str, *, quiet: bool = False) -> None:
    """On stdout: each violation (policy, level, resource URN, problem, fix), then one summary line."""
    _print_violations(console(), violations, stack, quiet=quiet)


def _print_violations(
    out: Console, violations: Sequence[Violation], stack: str, *, quiet: bool = False
) -> None:
    from rich.markup import escape

    from policies.pack import PACK_NAME, POLICIES

    for violation in [] if quiet else violations:
        colour, mark = ("red", "✗") if violation.mandatory else ("yellow", "!")
        out.print(
            f"[bold {colour}]{mark} {violation.enforcement_level}[/] [bold]{escape(violation.policy)}[/]"
        )
        out.print(f"  [dim]resource[/] {escape(violation.urn or '(the stack)')}")
        out.print(f"  [dim]problem [/] {escape(violation.message)}")
        out.print(f"  [dim]fix     [/] [green]{escape(violation.fix)}[/]")
    mandatory = sum(1 for v in violations if v.mandatory)
    advisory = len(violations) - mandatory
    if not violations:
        out.print(f"[bold green]✓[/] {escape(stack)}: passes {PACK_NAME} ({len(POLICIES)} policies)")
    else:
        colour = "red" if mandatory else "yellow"
        out.print(
            f"[bold {colour}]{escape(stack)}: {mandatory} mandatory, {advisory} advisory "
            f"violation(s) of {PACK_NAME}[/]"
        )


def print_stack_file_problems(problems: Sequence[HygieneProblem], *, quiet: bool = False) -> None:
    """On stdout: each stack-file problem (file, key, problem, fix), then one summary line."""
    from rich.markup import escape

    out = console()
    for problem in [] if quiet else problems:
        out.print(f"[bold red]✗ stack file[/] [bold]{escape(problem.file)}[/] {escape(problem.key)}")
        out.print(f"  [dim]problem [/] {escape(problem.problem)}")
        out.print(f"  [dim]fix     [/] [green]{escape(problem.fix)}[/]")
    if problems:
        out.print(
            f"[bold red]stack files: {len(problems)} problem(s) (plaintext secrets, unreadable files, "
            "identifiers shared with production)[/]"
        )
    else:
        out.print("[bold green]✓[/] stack files: no plaintext secrets")


def print_findings(findings: Findings, *, stderr: bool = True, summary_stderr: bool | None = None) -> None:
    """Each finding of the simulated ``up`` (stderr by default), then the summary line (on the same
    stream unless ``summary_stderr`` says otherwise: the plan tree ends with it on stdout)."""
    from rich.markup import escape

    out = console(stderr=stderr)
    sections: list[tuple[str, Sequence[Any]]] = [
        ("schema", findings.schema),
        ("first up", findings.first_up),
        ("second up", findings.second_up),
    ]
    for title, found in sections:
        for item in found:
            out.print(f"[bold red]✗ {title}[/] {escape(str(item))}")
    if findings.policies:
        _print_violations(out, findings.policies, findings.stack)
    for type_ in findings.unmodelled_types:
        out.print(
            f"[yellow]! no provider model[/] {escape(type_)}: its outputs are its inputs; add rows to estate/models/"
        )
    colour = "green" if findings.passed else "red"
    summary_on_stderr = stderr if summary_stderr is None else summary_stderr
    summary = out if summary_on_stderr == stderr else console(stderr=summary_on_stderr)
    summary.print(f"[bold {colour}]{escape(findings.summary())}[/]")


# The operator commands' reports.


def print_diff(document: Mapping[str, Any], *, show_same: bool = False, quiet: bool = False) -> None:
    """The diff for people (the document of ``estate/diff.py``'s ``compare``): one-sided resources,
    differing aspects per app, production flags, then the summary line."""
    from rich.markup import escape
    from rich.table import Table

    out = console()
    left, right = document["left"]["stack"], document["right"]["stack"]
    leaks: list[dict[str, Any]] = document["points_at_production"]
    if not quiet:
        only_in: list[dict[str, Any]] = document["only_in"]
        if only_in:
            table = Table(title=f"Declared in one stack only ({len(only_in)})", title_justify="left")
            table.add_column("app", style="bold")
            table.add_column("resource")
            table.add_column("only in", style="cyan")
            for item in only_in:
                table.add_row(
                    escape(item["app"]),
                    f"[green]{escape(short_type(item['type']))}[/] {escape(item['role'])}",
                    escape(item["stack"]),
                )
            out.print(table)

        rows = [a for a in document["aspects"] if show_same or a["status"] != "same"]
        table = Table(title=f"Per app: {left} vs {right}", title_justify="left", show_lines=True)
        table.add_column("app", style="bold")
        table.add_column("aspect")
        table.add_column(left)
        table.add_column(right)
        style = {"same": "dim", "environment names": "yellow", "differs": "bold magenta"}
        mark = {"same": "=", "environment names": "≈ env", "differs": "≠"}
        table.add_column("", no_wrap=True)
        for row in rows:
            left_values, right_values = list(row["left"]), list(row["right"])
            shared_note = ""
            if row["status"] == "differs" and row["aspect"] != "other settings":
                # Long lists: show what each side has that the other lacks.
                shared = set(left_values) & set(right_values)
                left_values = [v for v in left_values if v not in shared]
                right_values = [v for v in right_values if v not in shared]
                shared_note = f"\n[dim](+{len(shared)} in both)[/]" if shared else ""
            left_text = ("\n".join(escape(v) for v in left_values) or "[dim]—[/]") + shared_note
            right_text = ("\n".join(escape(v) for v in right_values) or "[dim]—[/]") + shared_note
            status = row["status"]
            table.add_row(
                escape(row["app"]),
                escape(row["aspect"]),
                left_text,
                right_text,
                f"[{style[status]}]{mark[status]}[/]",
            )
        out.print(table)

    if leaks:
        table = Table(title=f"[bold red]Points at production ({len(leaks)})[/]", title_justify="left")
        table.add_column("stack")
        table.add_column("app", style="bold")
        table.add_column("resource")
        table.add_column("field")
        table.add_column("found", style="red")
        table.add_column("why")
        for leak in leaks:
            table.add_row(
                escape(leak["stack"]),
                escape(leak["app"]),
                escape(leak["resource"]),
                escape(leak["field"]),
                escape(leak["found"]),
                escape(leak["reason"]),
            )
        out.print(table)
    colour = "red" if leaks else "green"
    out.print(f"[bold {colour}]{escape(document['summary'])}[/]")


def print_diagnosis(document: Mapping[str, Any], *, quiet: bool = False) -> None:
    """The doctor's diagnosis (its ``--format json`` document): real problems first, then what to
    replace before a real run; each a table and its fixes, then the summary."""
    from rich.markup import escape
    from rich.table import Table

    out = console()
    stack = document["stack"]
    problems, to_replace = document["findings"], document["to_replace"]
    rotation_due = document["rotation_due"]
    sections = [
        (f"Stack {stack}: problems to fix", problems),
        (f"Stack {stack}: credentials past their rotation period", rotation_due),
        (f"Stack {stack}: placeholders to replace before a real run", to_replace),
    ]
    for title, findings in sections if not quiet else []:
        if not findings:
            continue
        table = Table(title=escape(title), title_justify="left", show_lines=True)
        table.add_column("setting", style="bold")
        table.add_column("problem")
        table.add_column("fix (run in the project directory)", style="cyan")
        for finding in findings:
            shown = finding["value"] not in ("(missing)", "(placeholder)")
            value = f"\n[dim]now: {escape(finding['value'])}[/]" if shown else ""
            label = {"(missing)": "[red]missing[/]", "(placeholder)": "[yellow]placeholder[/]"}.get(
                finding["value"], "[red]rotate[/]" if finding in rotation_due else "[yellow]invalid[/]"
            )
            table.add_row(
                escape(finding["key"]),
                f"{label}: {escape(finding['message'])}{value}",
                escape(finding["fix"]),
            )
        out.print(table)
        out.print("[bold]All fixes, to paste:[/]")
        for finding in findings:
            out.print(escape(finding["fix"]), soft_wrap=True)
    if not quiet and any("--secret" in f["fix"] for f in [*problems, *rotation_due, *to_replace]):
        out.print(
            "[dim]`pulumi config set --secret KEY` prompts for the value, so it stays out of your shell history.[/]"
        )
    colour = "green" if document["ok"] else ("red" if problems else "yellow")
    out.print(f"[bold {colour}]{escape(document['summary'])}[/]")


def print_alert_coverage(document: Mapping[str, Any], *, quiet: bool = False) -> None:
    """Alert coverage (its ``--format json`` document): each system and its routes, then the gaps."""
    from rich.markup import escape
    from rich.table import Table

    systems: list[dict[str, Any]] = document["systems"]
    missing: list[str] = document["uncovered"]
    table = Table(title=f"alert routes of stack {document['stack']}", show_lines=True)
    table.add_column("system")
    table.add_column("kind")
    table.add_column("app")
    table.add_column("routes to the channel")
    for system in systems:
        routes = "\n".join(escape(route) for route in system["routes"]) or "[bold red]none[/]"
        table.add_row(escape(system["name"]), system["kind"], system["app"] or "-", routes)
    out = console()
    if not quiet:
        out.print(table)
    if missing:
        out.print(
            f"[bold red]{len(missing)} system(s) without any alert route:[/] "
            + ", ".join(escape(name) for name in missing)
            + " (see docs/alerting.md)"
        )
    else:
        out.print(f"[green]every one of {len(systems)} systems has an alert route[/]")


def print_graph_summary(
    stack: str, *, nodes: int, edges: int, apps: int, format: str, output: Path | None
) -> None:
    """On stderr, after the graph: its size and where it went."""
    where = f" → {output}" if output is not None else ""
    console(stderr=True).print(
        f"[bold green]{stack}: {nodes} nodes, {edges} edges in {apps} apps ({format}){where}[/]"
    )


def print_import_summary(
    stack: str,
    document: Mapping[str, Any],
    todo: Sequence[Mapping[str, Any]],
    skipped: Sequence[Mapping[str, str]],
    output: Path | None,
) -> None:
    """On stderr, after the import file: what is left to look up (``todo``, its entries with a
    ``<placeholder>`` ID), what is left out and why, and how to use the file."""
    from rich.markup import escape
    from rich.table import Table

    err = console(stderr=True)
    if todo:
        table = Table(title=f"IDs to look up before importing ({len(todo)})", title_justify="left")
        table.add_column("resource")
        table.add_column("id (fill in the <…>)", style="yellow")
        for entry in todo:
            table.add_row(
                f"[green]{escape(short_type(entry['type']))}[/] {escape(entry['name'])}", escape(entry["id"])
            )
        err.print(table)
    if skipped:
        table = Table(
            title=f"Left out: the next `pulumi up` creates them ({len(skipped)})", title_justify="left"
        )
        table.add_column("resource")
        table.add_column("why")
        for item in skipped:
            table.add_row(
                f"[green]{escape(short_type(item['type']))}[/] {escape(item['name'])}", escape(item["reason"])
            )
        err.print(table)
    entries = document["resources"]
    custom = [e for e in entries if not e.get("component")]
    target = str(output) if output is not None else "FILE"
    err.print(
        f"[bold]{escape(stack)}: {len(custom)} resources to import ({len(custom) - len(todo)} with a known ID, "
        f"{len(todo)} to look up), {len(entries) - len(custom)} components, {len(skipped)} left out[/]"
    )
    err.print(
        f"[dim]then: pulumi import --stack {escape(stack)} --file {escape(target)} --generate-code=false "
        "(the providers in nameTable must be in the stack's state first; see docs/operations.md)[/]"
    )


# backend bootstrap (estate/backend.py).


def _backend_console(*, stderr: bool = False) -> Console:
    from rich.console import Console

    # soft_wrap: long lines (commands, URLs) stay whole for copy-paste and grep.
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def print_backend_problems(problems: Sequence[str]) -> None:
    """On stderr: why nothing was changed, each problem as given (no markup)."""
    console = _backend_console(stderr=True)
    noun = "problem" if len(problems) == 1 else "problems"
    console.print(f"[bold red]error:[/] {len(problems)} {noun}; nothing was changed.")
    for problem in problems:
        console.print(f"  - {problem}", markup=False)


_STATUS_STYLE = {
    "ok": "green",
    "missing": "yellow",
    "weak": "bold red",
    "created": "cyan",
    "fixed": "cyan",
}


def print_bootstrap(result: BootstrapResult, *, next_steps: Sequence[str], fix_command: str) -> None:
    """Each setting of the bucket and key and what became of it; then either what blocks (and
    ``fix_command``, which changes exactly that) or what was done and ``next_steps``."""
    from rich.table import Table

    request = result.request
    console = _backend_console()
    table = Table(title=f"Pulumi backend s3://{request.bucket} ({request.region})", title_justify="left")
    for column in ("resource", "setting", "wanted", "found", "result"):
        table.add_column(column)
    for report in result.settings:
        style = _STATUS_STYLE[report.status.value]
        table.add_row(
            report.resource, report.setting, report.wanted, report.found, f"[{style}]{report.status}[/]"
        )
    console.print(table)

    if result.blocked:
        console.print(
            f"[bold red]{len(result.weak)} setting(s) of existing resources are weaker than "
            + "wanted; nothing was changed.[/]"
        )
        for report in result.weak:
            console.print(
                f"  - {report.resource}: {report.setting}: found {report.found}; wanted "
                + f"{report.wanted}. --fix fixes it.",
                markup=False,
            )
        console.print("Re-run with --fix to change exactly these settings:", markup=False)
        console.print(fix_command, markup=False)
        return

    created = sum(1 for r in result.changed if r.status.value == "created")
    fixed = sum(1 for r in result.changed if r.status.value == "fixed")
    if not result.changed:
        console.print(
            f"[green]No change:[/] s3://{request.bucket} and {request.kms_alias} already have "
            + "every setting; nothing was written."
        )
    else:
        console.print(f"[green]Done:[/] {created} setting(s) created, {fixed} fixed.")
    if result.key_arn is not None:
        # The ARN, not the alias, is what IAM policies name (docs/backend.md).
        console.print(f"KMS key: {result.key_arn}", markup=False)
    console.print("Next, from the project directory:", markup=False)
    for line in next_steps:
        console.print(line, markup=False)
