"""Regenerates the compact schema extracts in ``estate/schemas/`` (``python -m estate.schemas.extract``).

For each provider the estate uses, the published package schema at the pinned
version, cut down to what the schema check needs: every resource type token of
the package, and for the types the estate registers (both stacks' plans, plus
every type with a provider model) their input properties, recursively (type,
items, map values, object types, enums and "Available values", deprecations,
secrets), and their required inputs. Descriptions are dropped.

Where the schema comes from, per provider (``SOURCES``):

* ``schema.json``/``schema.yaml`` at the pinned tag of the provider's repository,
  read from a bare mirror (``git show <tag>:<path>``; the mirrors are not part of
  this repository: pass ``--mirror-root``);
* where the pinned tag's schema is not retrievable, derived from the installed
  SDK at the pinned version (its ``*Args`` input classes: the same schema,
  generated into Python), and the extract says so in ``source``.

Run it after bumping a provider pin, or when the estate starts using a new type.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import re
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path(__file__).resolve().parent
_AVAILABLE = re.compile(r"Available values:\s*((?:\"[^\"]*\"(?:,\s*)?)+)")


@dataclass(frozen=True)
class Source:
    package: str  # the Pulumi package name (type tokens' first part)
    pypi: str  # the installed SDK distribution
    module: str  # its Python module
    repository: str
    tag: str
    path: str  # the schema file in the repository at the tag


SOURCES = (
    Source(
        "cloudflare",
        "pulumi-cloudflare",
        "pulumi_cloudflare",
        "pulumi/pulumi-cloudflare",
        "v6.23.1",
        "provider/cmd/pulumi-resource-cloudflare/schema.json",
    ),
    Source(
        "github",
        "pulumi-github",
        "pulumi_github",
        "pulumi/pulumi-github",
        "v6.15.0",
        "provider/cmd/pulumi-resource-github/schema.json",
    ),
    Source(
        "vercel",
        "pulumiverse-vercel",
        "pulumiverse_vercel",
        "pulumiverse/pulumi-vercel",
        "v5.21.1",
        "provider/cmd/pulumi-resource-vercel/schema.json",
    ),
    Source(
        "supabase", "pulumi-supabase", "pulumi_supabase", "LuxChanLu/pulumi-supabase", "v1.1.2", "schema.yaml"
    ),
    Source(
        "random",
        "pulumi-random",
        "pulumi_random",
        "pulumi/pulumi-random",
        "v4.21.4",
        "provider/cmd/pulumi-resource-random/schema.json",
    ),
    Source(
        "sentry",
        "pulumiverse-sentry",
        "pulumiverse_sentry",
        "pulumiverse/pulumi-sentry",
        "v0.0.9",
        "provider/cmd/pulumi-resource-sentry/schema.json",
    ),
)


# --- from the published schema ---------------------------------------------------------------


def _enum_values(spec: Mapping[str, Any]) -> list[Any] | None:
    """The values a description's "Available values: ..." lists.

    The bridge's doc conversion reads ``_..._`` pairs as Markdown emphasis and
    writes them as ``*`` ("self*hosted" for ``self_hosted``): no value of these
    lists contains ``*``, so each ``*`` is read back as ``_``.
    """
    match = _AVAILABLE.search(str(spec.get("description") or ""))
    if not match:
        return None
    return [value.replace("*", "_") for value in re.findall(r"\"([^\"]*)\"", match.group(1))]


def _from_schema_property(
    spec: Mapping[str, Any], types: Mapping[str, Any], wanted: set[str]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    ref = str(spec.get("$ref") or "")
    if ref.startswith("#/types/"):
        token = ref.removeprefix("#/types/")
        target = types.get(token) or {}
        if "enum" in target:
            out["type"] = target.get("type", "string")
            out["enum"] = [item.get("value") for item in target["enum"]]
        else:
            out["type"] = "object"
            out["ref"] = token
            wanted.add(token)
    elif ref:
        out["type"] = "any"  # pulumi.json#/Any, #/Archive, #/Asset
    else:
        out["type"] = str(spec.get("type") or "any")
    if "items" in spec:
        out["items"] = _from_schema_property(spec["items"], types, wanted)
    if "additionalProperties" in spec:
        out["values"] = _from_schema_property(spec["additionalProperties"], types, wanted)
    enum = _enum_values(spec)
    if enum and "enum" not in out:
        out["enum"] = enum
    if spec.get("deprecationMessage"):
        out["deprecated"] = str(spec["deprecationMessage"])
    if spec.get("secret"):
        out["secret"] = True
    return out


def from_schema(document: Mapping[str, Any], used: set[str]) -> dict[str, Any]:
    types: Mapping[str, Any] = document.get("types") or {}
    resources: dict[str, Any] = {}
    wanted: set[str] = set()
    for token in sorted(used & set(document.get("resources") or {})):
        spec = document["resources"][token]
        entry: dict[str, Any] = {
            "inputs": {
                name: _from_schema_property(prop, types, wanted)
                for name, prop in sorted((spec.get("inputProperties") or {}).items())
            },
            "required": sorted(spec.get("requiredInputs") or []),
        }
        if spec.get("deprecationMessage"):
            entry["deprecated"] = str(spec["deprecationMessage"])
        resources[token] = entry
    object_types: dict[str, Any] = {}
    while wanted - set(object_types):
        token = sorted(wanted - set(object_types))[0]
        spec = types.get(token) or {}
        object_types[token] = {
            "properties": {
                name: _from_schema_property(prop, types, wanted)
                for name, prop in sorted((spec.get("properties") or {}).items())
            },
            "required": sorted(spec.get("required") or []),
        }
    return {"tokens": sorted(document.get("resources") or {}), "resources": resources, "types": object_types}


# --- from the installed SDK --------------------------------------------------------------------


class _SdkPackage:
    """The input classes of an installed Pulumi Python SDK, read with ``ast`` (nothing is imported)."""

    def __init__(self, module: str) -> None:
        spec = importlib.util.find_spec(module)
        if spec is None or spec.origin is None:
            raise SystemExit(f"{module} is not installed: run `make dev` (it installs requirements-dev.txt)")
        self.root = Path(spec.origin).parent
        self.prefix = module
        self.token_files: dict[str, Path] = {}
        for path in self.root.rglob("*.py"):
            text = path.read_text()
            for token in re.findall(r"super\(\w+, __self__\).__init__\(\s*'([^']+)'", text):
                self.token_files[token] = path
        self._classes: dict[str, ast.ClassDef] = {}
        self._parsed: set[Path] = set()

    def _parse(self, path: Path) -> None:
        if path in self._parsed:
            return
        self._parsed.add(path)
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef):
                self._classes.setdefault(node.name, node)

    def input_class(self, token: str) -> ast.ClassDef:
        path = self.token_files[token]
        self._parse(path)
        name = token.rsplit(":", 1)[1]
        return self._classes[f"{name}Args"]

    def nested_class(self, name: str) -> ast.ClassDef:
        for path in sorted(self.root.rglob("_inputs.py")):
            self._parse(path)
        return self._classes[name]


def _annotation_spec(node: ast.expr, wanted: set[str]) -> dict[str, Any]:
    """A type annotation of an ``*Args`` class as a schema property spec."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        node = ast.parse(node.value, mode="eval").body
    if isinstance(node, ast.Constant) and isinstance(node.value, str) is False and node.value is None:
        return {"type": "any"}
    if isinstance(node, ast.Subscript):
        head = ast.unparse(node.value)
        inner = node.slice
        if head.endswith(("Input", "Optional", "InputType")):
            return _annotation_spec(inner, wanted)
        if head.endswith(("Sequence", "List", "list")):
            return {"type": "array", "items": _annotation_spec(inner, wanted)}
        if head.endswith(("Mapping", "Dict", "dict")) and isinstance(inner, ast.Tuple):
            return {"type": "object", "values": _annotation_spec(inner.elts[1], wanted)}
        if head.endswith("Union") and isinstance(inner, ast.Tuple):
            return _annotation_spec(inner.elts[0], wanted)
    text = ast.unparse(node).strip("'\"")
    base = text.rsplit(".", 1)[-1]
    simple = {"str": "string", "int": "integer", "float": "number", "bool": "boolean", "Any": "any"}
    if base in simple:
        return {"type": simple[base]}
    if base.endswith("Args"):
        wanted.add(base)
        return {"type": "object", "ref": base}
    if base[:1].isupper():  # an enum class of the SDK: values are strings
        return {"type": "string"}
    return {"type": "any"}


def _getters(cls: ast.ClassDef) -> dict[str, tuple[str, str, str | None]]:
    """Python name → (engine name, docstring, deprecation) from the class's ``@pulumi.getter`` methods."""
    found: dict[str, tuple[str, str, str | None]] = {}
    for item in cls.body:
        if not isinstance(item, ast.FunctionDef):
            continue
        engine_name: str | None = None
        deprecated: str | None = None
        for decorator in item.decorator_list:
            text = ast.unparse(decorator)
            if text.startswith("pulumi.getter"):
                engine_name = item.name
                if isinstance(decorator, ast.Call):
                    for keyword in decorator.keywords:
                        if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                            engine_name = str(keyword.value.value)
            if "deprecated" in text and isinstance(decorator, ast.Call) and decorator.args:
                first = decorator.args[0]
                deprecated = str(first.value) if isinstance(first, ast.Constant) else "deprecated"
        if engine_name is not None:
            found[item.name] = (engine_name, ast.get_docstring(item) or "", deprecated)
    return found


def _class_spec(cls: ast.ClassDef, wanted: set[str]) -> tuple[dict[str, Any], list[str]]:
    init = next(item for item in cls.body if isinstance(item, ast.FunctionDef) and item.name == "__init__")
    getters = _getters(cls)
    arguments = init.args.kwonlyargs
    defaults = init.args.kw_defaults
    properties: dict[str, Any] = {}
    required: list[str] = []
    for argument, default in zip(arguments, defaults, strict=True):
        engine_name, doc, deprecated = getters.get(argument.arg, (argument.arg, "", None))
        spec: dict[str, Any] = (
            _annotation_spec(argument.annotation, wanted) if argument.annotation else {"type": "any"}
        )
        enum = _enum_values({"description": doc})
        if enum and spec.get("type") == "string":
            spec["enum"] = enum
        if deprecated:
            spec["deprecated"] = deprecated
        properties[engine_name] = spec
        annotation = ast.unparse(argument.annotation) if argument.annotation else ""
        if default is None and "Optional[" not in annotation:
            required.append(engine_name)
    return dict(sorted(properties.items())), sorted(required)


def from_sdk(module: str, used: set[str]) -> dict[str, Any]:
    package = _SdkPackage(module)
    resources: dict[str, Any] = {}
    wanted: set[str] = set()
    for token in sorted(used & set(package.token_files)):
        properties, required = _class_spec(package.input_class(token), wanted)
        resources[token] = {"inputs": properties, "required": required}
    object_types: dict[str, Any] = {}
    while wanted - set(object_types):
        name = sorted(wanted - set(object_types))[0]
        properties, required = _class_spec(package.nested_class(name), wanted)
        object_types[name] = {"properties": properties, "required": required}
    return {"tokens": sorted(package.token_files), "resources": resources, "types": object_types}


# --- driver ------------------------------------------------------------------------------------


def _git_show(mirror: Path, tag: str, path: str) -> str | None:
    """The file at the tag from a bare mirror, or None when the tag or the blob is not there."""
    if not mirror.is_dir():
        return None
    result = subprocess.run(
        ["git", "--git-dir", str(mirror), "show", f"{tag}:{path}"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout if result.returncode == 0 and result.stdout.strip() else None


def used_types() -> set[str]:
    """Every custom resource type both stacks register, and every type with a provider model."""
    from estate.engine import run_plan
    from estate.models.registry import models

    used = set(models())
    for stack in ("prod", "staging"):
        used |= {resource.type for resource in run_plan(stack).resources if resource.custom}
    return used


def extract(source: Source, used: set[str], mirror_root: Path | None) -> dict[str, Any]:
    from importlib.metadata import version

    installed = version(source.pypi)
    mine = {token for token in used if token.split(":", 1)[0] == source.package}
    mirror = mirror_root / source.repository.replace("/", "+") / "repo" if mirror_root else None
    text = _git_show(mirror, source.tag, source.path) if mirror else None
    if text is not None:
        import yaml

        document = yaml.safe_load(text) if source.path.endswith(".yaml") else json.loads(text)
        body = from_schema(document, mine)
        origin = f"{source.repository} {source.path} at {source.tag}"
    else:
        body = from_sdk(source.module, mine)
        origin = (
            f"derived from the installed SDK {source.pypi}=={installed} (its *Args input classes): "
            f"{source.path} at {source.repository}@{source.tag} was not retrievable"
        )
    return {"package": source.package, "version": installed, "source": origin, **body}


def main(argv: Iterable[str] | None = None) -> int:
    from estate.output import write_line

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--mirror-root",
        type=Path,
        default=None,
        help="directory of bare mirrors named <owner>+<repo>/repo (as the `fetch` tool makes them)",
    )
    parser.add_argument("--only", nargs="*", default=None, help="package names to regenerate (default: all)")
    args = parser.parse_args(list(argv) if argv is not None else None)
    used = used_types()
    for source in SOURCES:
        if args.only and source.package not in args.only:
            continue
        document = extract(source, used, args.mirror_root)
        path = SCHEMA_DIR / f"{source.package}.json"
        path.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
        write_line(
            f"{path.name}: {len(document['resources'])} resource types, {len(document['types'])} object types; "
            f"{document['source']}",
            stderr=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
