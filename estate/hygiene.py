"""Stack-file hygiene: no plaintext secret in any ``Pulumi.<stack>.yaml``.

A value in a stack file is a problem when it is stored in plaintext (not
``secure: v1:…``) and

- its key is declared ``secret: true`` in ``Pulumi.yaml``; or
- its key (any segment of a nested path) looks secret (token, key, secret,
  password, dsn, webhook, …: ``policies.credential_patterns.looks_secret_name``),
  unless ``Pulumi.yaml`` declares that very key *without* ``secret: true``,
  which is how ``omsShopifyApiKey`` or ``talklineStripePublishableKey`` stay
  plain; the allow-list is read from ``Pulumi.yaml``, never copied; or
- its value looks like a real credential (``sk_live_``, ``whsec_``,
  ``ghp_``, a JWT such as a Supabase service key, a private key, …), whatever
  its key: a declared-plain key does not make a live key harmless.

Each problem names the file, the key and the ``pulumi config set --secret``
line that fixes it; the CLI prompts for the value, so no value is ever shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, cast

from policies.credential_patterns import credential_shape, looks_secret_name

PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class HygieneProblem:
    """A plaintext secret in a stack file: where, why, and the command that fixes it."""

    file: str
    key: str
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.problem}\n    fix: {self.fix}"

    def to_json(self) -> dict[str, str]:
        return {"file": self.file, "key": self.key, "problem": self.problem, "fix": self.fix}


@dataclass(frozen=True)
class DeclaredKeys:
    """What ``Pulumi.yaml`` declares: fully qualified keys, plain and secret."""

    plain: frozenset[str]
    secret: frozenset[str]


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _qualified(key: str, project: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def declared_keys(project_dir: Path = PROJECT_DIR) -> DeclaredKeys:
    """Reads ``Pulumi.yaml``: every ``config`` entry, split by its ``secret`` flag."""
    from stacks.stack_files import parse_yaml

    document = parse_yaml((project_dir / "Pulumi.yaml").read_text()) or {}
    project = str(document.get("name", ""))
    plain: set[str] = set()
    secret: set[str] = set()
    for key, declaration in (document.get("config") or {}).items():
        is_secret = (
            isinstance(declaration, Mapping) and cast(Mapping[str, Any], declaration).get("secret") is True
        )
        (secret if is_secret else plain).add(_qualified(str(key), project))
    return DeclaredKeys(frozenset(plain), frozenset(secret))


def _is_encrypted(value: Any) -> bool:
    return isinstance(value, Mapping) and set(cast(Mapping[str, Any], value)) == {"secure"}


def _leaves(value: Any, path: str, segments: tuple[str, ...]) -> Iterator[tuple[str, tuple[str, ...], Any]]:
    """(config path, key segments, plaintext leaf) for every unencrypted scalar under ``value``."""
    if _is_encrypted(value):
        return
    if isinstance(value, Mapping):
        for key, child in cast(Mapping[Any, Any], value).items():
            yield from _leaves(child, f"{path}.{key}", (*segments, str(key)))
    elif isinstance(value, list):
        for index, child in enumerate(cast(list[Any], value)):
            yield from _leaves(child, f"{path}[{index}]", segments)
    elif value is not None and str(value) != "":
        yield path, segments, value


def _fix(key: str, stack: str, *, nested: bool) -> str:
    from stacks.settings import config_set

    return config_set(key, secret=True, path=nested, stack=stack) + "   (it prompts for the value)"


def check_stack_file(path: Path, declared: DeclaredKeys, project: str) -> list[HygieneProblem]:
    """The plaintext secrets of one stack file."""
    from stacks.stack_files import StackFileError, load_yaml

    stack = path.name.removeprefix("Pulumi.").removesuffix(".yaml")
    try:
        document = load_yaml(path) or {}
    except StackFileError as error:
        # Positions and key names only: the parser's own message quotes the line, which may hold a secret.
        return [
            HygieneProblem(path.name, "(file)", problem, "fix the file there, then run the check again")
            for problem in error.problems
        ]
    config = document.get("config") if isinstance(document, Mapping) else None
    if not isinstance(config, Mapping):
        return []

    problems: list[HygieneProblem] = []
    for raw_key, raw_value in cast(Mapping[Any, Any], config).items():
        top = _qualified(str(raw_key), project)
        for config_path, segments, leaf in _leaves(raw_value, top, (top.split(":", 1)[1],)):
            nested = config_path != top
            fix = _fix(config_path, stack, nested=nested)
            shape = credential_shape(str(leaf))
            if shape is not None:
                problems.append(
                    HygieneProblem(
                        path.name,
                        config_path,
                        f"holds what looks like a {shape.kind} ({shape.hint}) in plaintext; rotate it, "
                        "it is in the git history",
                        fix,
                    )
                )
                continue
            if not nested and top in declared.secret:
                problems.append(
                    HygieneProblem(
                        path.name,
                        config_path,
                        "is declared `secret: true` in Pulumi.yaml but stored in plaintext",
                        fix,
                    )
                )
                continue
            # A calendar date is never a credential (estate:rotation.lastRotated.<secret key>: 'YYYY-MM-DD').
            if isinstance(leaf, str | date) and _DATE.match(str(leaf)):
                continue
            # A key Pulumi.yaml declares plain is allowed by its own name, not its children's.
            judged = segments[1:] if top in declared.plain else segments
            secret_segment = next((segment for segment in judged if looks_secret_name(segment)), None)
            if secret_segment is not None:
                problems.append(
                    HygieneProblem(
                        path.name,
                        config_path,
                        f"its name ({secret_segment}) looks secret but the value is plaintext; if it truly is not "
                        "secret, declare the key in Pulumi.yaml without `secret: true`",
                        fix,
                    )
                )
    return problems


def check_stack_files(project_dir: Path | None = None) -> list[HygieneProblem]:
    """The plaintext secrets of every ``Pulumi.<stack>.yaml`` of the project (default: this one), all at once."""
    from stacks.stack_files import parse_yaml

    project_dir = project_dir or PROJECT_DIR
    document = parse_yaml((project_dir / "Pulumi.yaml").read_text()) or {}
    project = str(document.get("name", ""))
    declared = declared_keys(project_dir)
    problems: list[HygieneProblem] = []
    for path in sorted(project_dir.glob("Pulumi.*.yaml")):
        problems += check_stack_file(path, declared, project)
    return problems + reused_production_identifiers(project_dir)


def reused_production_identifiers(project_dir: Path) -> list[HygieneProblem]:
    """Non-production stack files holding a production stack's per-environment identifier.

    Compared as the files hold them: a plain value, or the very same ciphertext
    (a copied ``secure:`` line). Both keys are named; neither value is shown.
    """
    from stacks.settings import (
        PER_ENVIRONMENT_KEYS,
        PRODUCTION_STACKS,
        config_set,
        production_stack_of,
        secret_config_keys,
    )
    from stacks.stack_files import StackFileError, stack_file_config

    def config_of(path: Path) -> dict[str, Any] | None:
        try:
            return stack_file_config(path)
        except StackFileError:
            return None  # reported by check_stack_file

    production = {
        stack: config_of(project_dir / f"Pulumi.{stack}.yaml")
        for stack in PRODUCTION_STACKS
        if (project_dir / f"Pulumi.{stack}.yaml").is_file()
    }
    problems: list[HygieneProblem] = []
    for path in sorted(project_dir.glob("Pulumi.*.yaml")):
        stack = path.name.removeprefix("Pulumi.").removesuffix(".yaml")
        config = config_of(path) if not production_stack_of(stack) else None
        for production_stack, production_config in production.items():
            if config is None or production_config is None:
                continue
            for key in PER_ENVIRONMENT_KEYS:
                mine, theirs = config.get(key), production_config.get(key)
                if mine is None or mine != theirs:
                    continue
                secret = _is_encrypted(mine) or key in secret_config_keys()
                problems.append(
                    HygieneProblem(
                        path.name,
                        key,
                        f"equals {key} of Pulumi.{production_stack}.yaml (the production stack): staging needs its own "
                        "account or key, never production's",
                        config_set(key, secret=secret, stack=stack) + "   (it prompts for the value)",
                    )
                )
    return problems
