"""Reading ``Pulumi.<stack>.yaml`` files strictly: duplicate keys refused, YAML errors without values.

Pulumi's own reader lets the last of two equal keys win silently; here both
lines are named. A YAML error is reported as ``file:line:column`` only: the
parser's message quotes the offending line, which may hold a secret.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import yaml


class StackFileError(Exception):
    """The stack file is missing or unreadable; ``problems`` lists every reason (never a value)."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


class _StrictLoader(yaml.CSafeLoader):
    """A safe loader that records duplicate mapping keys (with both lines) instead of keeping the last.

    libyaml's parser (PyYAML's wheels ship it): a plan reads each stack file several times.
    """

    duplicates: list[tuple[str, int, int]]

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)  # pyright: ignore[reportUnknownMemberType]
            line = key_node.start_mark.line + 1
            try:
                if key in seen:
                    self.duplicates.append((str(key), seen[key], line))
                else:
                    seen[key] = line
            except TypeError:
                continue  # unhashable keys are the constructor's problem
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str) -> Any:
    """A YAML document read with libyaml's safe loader, as the stack files are (a workflow, ``Pulumi.yaml``)."""
    return yaml.load(text, Loader=yaml.CSafeLoader)


def load_yaml(path: Path) -> Any:
    """The document of ``path``; raises :class:`StackFileError` naming every duplicate key or the error's position."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise StackFileError(f"{path.name}: cannot read it ({error.strerror})") from None
    loader = _StrictLoader(text)
    loader.duplicates = []
    try:
        document = loader.get_single_data()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        where = f"{path.name}:{mark.line + 1}:{mark.column + 1}" if mark is not None else path.name
        raise StackFileError(f"{where}: not valid YAML; fix the syntax there") from None
    finally:
        loader.dispose()
    if loader.duplicates:
        problems = [
            f"{path.name}:{second}: duplicate key {key!r} (first at line {first}); Pulumi would silently keep "
            f"only the last: delete one of lines {first} and {second}"
            for key, first, second in loader.duplicates
        ]
        raise StackFileError(f"{path.name}: {len(problems)} duplicate key(s)", problems)
    return document


def stack_file_config(path: Path) -> dict[str, Any]:
    """The ``config`` mapping of a stack file (empty when the file has none)."""
    document = load_yaml(path) or {}
    if not isinstance(document, Mapping):
        raise StackFileError(f"{path.name}: must be a mapping with a `config` key")
    config = cast(Mapping[str, Any], document).get("config") or {}
    if not isinstance(config, Mapping):
        raise StackFileError(f"{path.name}: `config` must be a mapping of keys to values")
    return dict(cast(Mapping[str, Any], config))


def read_stack_config(path: Path) -> dict[str, str]:
    """The stack file's config as raw strings (objects as JSON; encrypted values stay ciphertext JSON)."""
    return {
        str(key): value if isinstance(value, str) else json.dumps(value)
        for key, value in stack_file_config(path).items()
    }


PLACEHOLDER_MARK = "# placeholder"


def placeholder_keys(path: Path) -> list[str]:
    """Config paths (``estate:organizations.gstarlink.zone``) whose line ends in ``# placeholder``.

    The committed stack files mark every example value (account IDs, keys) this
    way, so ``estate doctor`` can tell "replace before a real run" from a mistake.
    """
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    try:
        root = yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return []
    found: list[str] = []

    def walk(node: yaml.Node, key: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in cast(list[tuple[yaml.Node, yaml.Node]], node.value):
                walk(value_node, f"{key}.{key_node.value}" if key else str(key_node.value))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(cast(list[yaml.Node], node.value)):
                walk(item, f"{key}[{index}]")
        elif (
            node.end_mark.line < len(lines)
            and PLACEHOLDER_MARK in lines[node.end_mark.line][node.end_mark.column :]
        ):
            found.append(key)

    if isinstance(root, yaml.MappingNode):
        for key_node, value_node in cast(list[tuple[yaml.Node, yaml.Node]], root.value):
            if key_node.value == "config":
                walk(value_node, "")
    return found
