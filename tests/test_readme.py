"""The README's layout section stays true: every file it names exists, every command's module is right.

A newcomer should be able to name, from that section alone, which file declares each
system the seed documents describe and which module each command lives in.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from estate.cli import build_parser
from stacks.catalog import APPS

PROJECT_DIR = Path(__file__).resolve().parent.parent


def layout_section() -> str:
    readme = (PROJECT_DIR / "README.md").read_text()
    return readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]


def table_rows(text: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith("| ") and not line.startswith("| ---")
    ]


def test_every_path_the_layout_names_exists() -> None:
    named = set(re.findall(r"`([A-Za-z0-9_.<>/-]+(?:/|\.py|\.ya?ml))`", layout_section()))
    assert len(named) > 20, sorted(named)
    missing = [path for path in sorted(named) if not list(PROJECT_DIR.glob(path.replace("<repo>", "*")))]
    assert missing == [], f"the README's layout names files that do not exist: {missing}"


def test_every_app_of_the_catalog_has_its_row() -> None:
    section = layout_section()
    assert [app.key for app in APPS if f'`key="{app.key}"`' not in section] == []


def _command_modules() -> dict[str, str]:
    """Each command as typed (``backend bootstrap`` for a command with actions) → the file of its handler."""
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))  # pyright: ignore[reportPrivateUsage]
    found: dict[str, str] = {}
    for name, command in commands.choices.items():
        actions = [a for a in command._actions if isinstance(a, argparse._SubParsersAction)]  # pyright: ignore[reportPrivateUsage]
        leaves = (
            {f"{name} {action}": sub for action, sub in actions[0].choices.items()}
            if actions
            else {name: command}
        )
        for typed, leaf in leaves.items():
            module = sys.modules[leaf.get_default("handler").__module__]
            found[typed] = str(Path(str(module.__file__)).relative_to(PROJECT_DIR))
    return found


def test_each_command_is_listed_with_the_module_it_lives_in() -> None:
    rows = {row[0].strip("`"): row[1] for row in table_rows(layout_section()) if row[0].startswith("`")}
    wrong = {
        command: (module, rows.get(command))
        for command, module in _command_modules().items()
        if not rows.get(command, "").startswith(f"`{module}`")
    }
    assert wrong == {}, "README layout: command → (its module, what the README says)"
