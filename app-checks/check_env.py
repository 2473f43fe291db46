"""Pull-request check of an app repository: every environment variable the code reads is provided.

Delivered by the estate repository as ``.github/estate/check_env.py`` with
``.github/estate/env-manifest.json`` (the names each environment of the app
provides, never values) and run by the ``env-vars`` job of
``.github/workflows/checklist.yml``. Edit it in the estate repository
(``app-checks/check_env.py``), not in the app repository.

Reads, found by parsing the code with tree-sitter's TypeScript/TSX grammars (a
comment or a string that mentions a name is not a read):

* ``process.env.NAME``, ``process.env["NAME"]``, ``const { NAME } = process.env``
  (Next.js, ``NEXT_PUBLIC_*`` included);
* for Workers also ``env.NAME`` and ``<anything>.env.NAME`` (the fetch
  handler's ``env``, Hono's ``c.env``) and ``const { NAME } = env``.

A name is provided in an environment when the manifest lists it there, when a
platform sets it (``PLATFORM_NAMES`` / ``PLATFORM_PREFIXES``), or, for a Worker,
when ``wrangler.toml`` / ``wrangler.json`` binds it for that environment
(top level for production, ``[env.staging]`` for staging). Test files are not
read: CI runs them, no environment of the estate does.

Exit status: 1 when a read name is missing in an environment (each named, with
the change to make in the estate repository), else 0; names the manifest
declares that no code reads are warnings. Output uses GitHub's workflow
commands (``::error file=…``) so each finding is annotated on the pull request.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tree_sitter
import tree_sitter_typescript

# Set by the platforms themselves (Node, Next.js, Vercel, GitHub Actions), never by the estate.
PLATFORM_NAMES = frozenset({"NODE_ENV", "CI", "NEXT_RUNTIME", "NEXT_PHASE", "PORT", "TZ", "HOSTNAME"})
PLATFORM_PREFIXES = ("VERCEL_", "NEXT_PUBLIC_VERCEL_")
PLATFORM_EXACT_PREFIXED = frozenset({"VERCEL"})

SOURCE_SUFFIXES = {
    ".js": "tsx",
    ".jsx": "tsx",
    ".mjs": "tsx",
    ".cjs": "tsx",
    ".tsx": "tsx",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
}
SKIPPED_DIRECTORIES = frozenset(
    {
        "node_modules",
        ".git",
        ".github",
        ".next",
        ".vercel",
        ".wrangler",
        ".turbo",
        "dist",
        "build",
        "out",
        "coverage",
        "__tests__",
        "__mocks__",
        "e2e",
        "test",
        "tests",
        "supabase",
    }
)
TEST_FILE = re.compile(r"\.(test|spec)\.[cm]?[jt]sx?$")
# Binding-carrying keys of a wrangler configuration (each an entry list or table with `binding`/`name`).
WRANGLER_BINDING_LISTS = (
    "kv_namespaces",
    "d1_databases",
    "r2_buckets",
    "services",
    "queues.producers",
    "analytics_engine_datasets",
    "vectorize",
    "hyperdrive",
    "mtls_certificates",
    "dispatch_namespaces",
    "durable_objects.bindings",
    "workflows",
    "secrets_store_secrets",
    "send_email",
)
WRANGLER_BINDING_TABLES = ("ai", "browser", "assets", "images", "version_metadata")
WRANGLER_ENVIRONMENTS = {"production": None, "staging": "staging"}


@dataclass(frozen=True)
class Read:
    """One read of an environment variable in the code."""

    name: str
    path: str
    line: int


@dataclass
class Findings:
    reads: list[Read] = field(default_factory=list)
    dynamic: list[Read] = field(default_factory=list)


def _parsers() -> dict[str, tree_sitter.Parser]:
    return {
        "tsx": tree_sitter.Parser(tree_sitter.Language(tree_sitter_typescript.language_tsx())),
        "typescript": tree_sitter.Parser(tree_sitter.Language(tree_sitter_typescript.language_typescript())),
    }


def source_files(root: Path) -> Iterator[Path]:
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if d not in SKIPPED_DIRECTORIES)
        for file in sorted(files):
            path = Path(directory) / file
            if path.suffix in SOURCE_SUFFIXES and not TEST_FILE.search(file) and not file.endswith(".d.ts"):
                yield path


def _text(node: tree_sitter.Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def _is_process_env(node: tree_sitter.Node | None) -> bool:
    """``process.env`` (also ``globalThis.process.env``)."""
    if node is None or node.type != "member_expression":
        return False
    obj, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
    if prop is None or _text(prop) != "env" or obj is None:
        return False
    return _text(obj) in ("process", "globalThis.process")


def _is_worker_env(node: tree_sitter.Node | None) -> bool:
    """A Worker's bindings object: ``env`` or ``<anything>.env``."""
    if node is None:
        return False
    if node.type == "identifier":
        return _text(node) == "env"
    if node.type == "member_expression":
        prop = node.child_by_field_name("property")
        return prop is not None and _text(prop) == "env"
    return False


def _string_value(node: tree_sitter.Node | None) -> str | None:
    if node is None or node.type != "string":
        return None
    fragments = [child for child in node.named_children if child.type == "string_fragment"]
    return _text(fragments[0]) if len(fragments) == 1 else ""


def _is_assignment_target(node: tree_sitter.Node) -> bool:
    parent = node.parent
    if parent is None:
        return False
    if parent.type in ("assignment_expression", "augmented_assignment_expression"):
        left = parent.child_by_field_name("left")
        return left is not None and left.id == node.id
    return parent.type == "unary_expression" and _text(parent).startswith("delete")


def reads_in(tree: tree_sitter.Tree, path: str, *, worker: bool, findings: Findings) -> None:
    """Collect the environment reads of one parsed file."""
    is_env = (lambda n: _is_process_env(n) or _is_worker_env(n)) if worker else _is_process_env
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        stack.extend(reversed(node.named_children))
        line = node.start_point[0] + 1
        if node.type == "member_expression" and is_env(node.child_by_field_name("object")):
            prop = node.child_by_field_name("property")
            if prop is not None and prop.type == "property_identifier" and not _is_assignment_target(node):
                findings.reads.append(Read(_text(prop), path, line))
        elif node.type == "subscript_expression" and is_env(node.child_by_field_name("object")):
            if _is_assignment_target(node):
                continue
            name = _string_value(node.child_by_field_name("index"))
            (
                findings.reads.append(Read(name, path, line))
                if name
                else findings.dynamic.append(Read("?", path, line))
            )
        elif node.type == "variable_declarator" and is_env(node.child_by_field_name("value")):
            pattern = node.child_by_field_name("name")
            if pattern is None or pattern.type != "object_pattern":
                continue
            for entry in pattern.named_children:
                if entry.type == "shorthand_property_identifier_pattern":
                    findings.reads.append(Read(_text(entry), path, entry.start_point[0] + 1))
                elif entry.type == "pair_pattern":
                    key = entry.child_by_field_name("key")
                    if key is not None:
                        findings.reads.append(
                            Read(_string_value(key) or _text(key), path, entry.start_point[0] + 1)
                        )
                elif entry.type == "object_assignment_pattern":
                    left = entry.child_by_field_name("left")
                    if left is not None:
                        findings.reads.append(Read(_text(left), path, entry.start_point[0] + 1))


def scan(root: Path, *, worker: bool) -> Findings:
    parsers = _parsers()
    findings = Findings()
    for path in source_files(root):
        parser = parsers[SOURCE_SUFFIXES[path.suffix]]
        tree = parser.parse(path.read_bytes())
        reads_in(tree, path.relative_to(root).as_posix(), worker=worker, findings=findings)
    return findings


def _dig(table: dict[str, Any], dotted: str) -> Any:
    value: Any = table
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _wrangler_config(root: Path) -> dict[str, Any] | None:
    toml_file, json_file = root / "wrangler.toml", root / "wrangler.json"
    if toml_file.is_file():
        return tomllib.loads(toml_file.read_text(encoding="utf-8"))
    if json_file.is_file():
        return json.loads(json_file.read_text(encoding="utf-8"))
    return None


def wrangler_bindings(root: Path) -> dict[str, set[str]]:
    """Names bound by the Worker's own configuration, per estate environment.

    Bindings and ``vars`` are not inherited by wrangler's environments: the
    staging Worker (``--env staging``) has only what ``[env.staging]`` declares.
    """
    config = _wrangler_config(root)
    if config is None:
        return {environment: set() for environment in WRANGLER_ENVIRONMENTS}
    bound: dict[str, set[str]] = {}
    for environment, wrangler_env in WRANGLER_ENVIRONMENTS.items():
        section = config
        if wrangler_env is not None:
            section = _dig(config, f"env.{wrangler_env}") or config
        names: set[str] = set()
        vars_table = section.get("vars")
        if isinstance(vars_table, dict):
            names |= set(vars_table)
        for key in WRANGLER_BINDING_LISTS:
            for entry in _dig(section, key) or []:
                if isinstance(entry, dict):
                    name = entry.get("binding") or entry.get("name")
                    if isinstance(name, str):
                        names.add(name)
        for key in WRANGLER_BINDING_TABLES:
            entry = section.get(key)
            if isinstance(entry, dict) and isinstance(entry.get("binding"), str):
                names.add(entry["binding"])
        bound[environment] = names
    return bound


def is_platform_name(name: str) -> bool:
    return name in PLATFORM_NAMES or name in PLATFORM_EXACT_PREFIXED or name.startswith(PLATFORM_PREFIXES)


def config_key_name(app_key: str, variable: str) -> str:
    """The estate's config key for a new variable: ``talkline`` + ``STRIPE_NEW_KEY`` → ``talklineStripeNewKey``."""
    app = "".join(part if i == 0 else part.capitalize() for i, part in enumerate(app_key.split("-")))
    words = variable.removeprefix("NEXT_PUBLIC_").lower().split("_")
    return app + "".join(word.capitalize() for word in words if word)


def fix_for(name: str, manifest: dict[str, Any], lacking: list[str]) -> list[str]:
    """The change to make in the estate repository, line by line (pasteable commands)."""
    app = str(manifest["app"])
    key = config_key_name(app, name)
    browser = name.startswith("NEXT_PUBLIC_")
    stacks: dict[str, str] = manifest["stacks"]
    if browser:
        entry = f'EnvVar("{name}", Plain("{key}", "<what it is; it is sent to browsers>")),'
    else:
        entry = f'EnvVar("{name}", Secret("{key}", "<what it is and where to find it>")),'
    lines = [
        f"In the estate repository, add to the `{app}` entry's env in stacks/catalog.py:",
        f"    {entry}",
        "then set its value in each stack that lacks it (run in the estate repository):",
    ]
    for environment in lacking:
        stack = stacks[environment]
        if browser:
            lines.append(f"    pulumi config set --stack {stack} estate:{key} '<value>'")
        else:
            lines.append(f"    pulumi config set --stack {stack} --secret estate:{key}")
    if manifest.get("kind") == "worker":
        lines.append("(Not a secret? Bind it in wrangler.toml under [vars] and [env.staging.vars] instead.)")
    return lines


def _annotation(text: str) -> str:
    """A workflow command's message: newlines and % escaped as GitHub requires."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def check(root: Path, manifest: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(errors, warnings) as workflow commands; each error names the variable, environments and fix."""
    worker = manifest.get("kind") == "worker"
    provided: dict[str, set[str]] = {env: set(names) for env, names in manifest["environments"].items()}
    bound = wrangler_bindings(root) if worker else {}
    findings = scan(root, worker=worker)

    first_read: dict[str, Read] = {}
    for read in findings.reads:
        first_read.setdefault(read.name, read)
    errors: list[str] = []
    for name, read in sorted(first_read.items()):
        if is_platform_name(name):
            continue
        lacking = [env for env in provided if name not in provided[env] and name not in bound.get(env, set())]
        if not lacking:
            continue
        places = [f"{r.path}:{r.line}" for r in findings.reads if r.name == name]
        message = (
            f"{name} is read by {', '.join(places)} but the estate does not provide it in "
            + f"{' and '.join(lacking)}.\n"
            + "\n".join(fix_for(name, manifest, lacking))
        )
        errors.append(
            f"::error file={read.path},line={read.line},title=Undeclared environment variable {name}::{_annotation(message)}"
        )
    warnings = [
        f"::warning file={read.path},line={read.line},title=Environment variable read by name::"
        + _annotation(
            f"{read.path}:{read.line} reads the environment with a computed name; this check cannot see "
            "which. Read each variable by its literal name."
        )
        for read in findings.dynamic
    ]
    read_names = set(first_read)
    declared: set[str] = set().union(*provided.values()) if provided else set()
    config_keys: dict[str, str] = manifest.get("config_keys", {})
    for name in sorted(declared - read_names):
        where = [env for env in provided if name in provided[env]]
        removal = (
            f" If it is no longer needed, remove its entry from the `{manifest['app']}` app in "
            "stacks/catalog.py in the estate repository"
        )
        if name in config_keys:
            removal += " and run " + " and ".join(
                f"`pulumi config rm --stack {manifest['stacks'][env]} {config_keys[name]}`" for env in where
            )
        warnings.append(
            f"::warning title=Declared but never read: {name}::"
            + _annotation(
                f"The estate provides {name} in {' and '.join(where)}, but no source file reads it.{removal}."
            )
        )
    return errors, warnings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path("."), help="the app repository's checkout")
    parser.add_argument("--manifest", type=Path, default=Path(".github/estate/env-manifest.json"))
    args = parser.parse_args(argv)
    try:
        manifest = json.loads(args.manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        print(
            f"::error title=No environment manifest::{args.manifest} is missing. The estate delivers it with the "
            "workflows: merge the estate's latest workflow pull request."
        )
        return 1
    errors, warnings = check(args.root, manifest)
    for line in [*warnings, *errors]:
        print(line)
    environments = " and ".join(manifest["environments"])
    if errors:
        print(
            f"{len(errors)} environment variable(s) read by the code are not provided in {environments}; "
            "each error above says what to add to the estate."
        )
        return 1
    print(
        f"Every environment variable the code reads is provided in {environments} ({len(warnings)} warning(s))."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
