"""A synthetic estate of N apps, planned offline: ``python benchmarks/synthetic.py --apps N``.

The catalog's apps are cloned round-robin until there are N, each clone with its
own key, subdomains and project/Worker names (so every resource and hostname is
distinct) and the same repository, hosting kind, database and variables as its
original, so a clone declares what a real app of that kind declares. The
clones replace ``stacks.catalog.APPS`` before anything reads the catalog; the
stack's config (``Pulumi.<stack>.yaml``) is used unchanged.

Prints one JSON line: ``{"apps", "resources", "import_s", "plan_s", "gc"}`` where
``import_s`` is the time to import the SDKs and the program's modules and
``plan_s`` the time of ``estate.engine.run_program`` alone. ``--gc off`` pauses
Python's cyclic garbage collector during the plan, to measure what it costs.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def clone_apps(count: int) -> tuple[object, ...]:
    """``count`` apps cloned from the catalog; the originals come first, unchanged."""
    from stacks import catalog

    originals = catalog.APPS
    apps: list[catalog.App] = list(originals[:count])
    index = 0
    while len(apps) < count:
        template = originals[index % len(originals)]
        suffix = f"-{index // len(originals) + 1:04d}"
        apps.append(
            dataclasses.replace(
                template,
                key=f"{template.key}{suffix}",
                hosting=tuple(_clone_hosting(option, suffix) for option in template.hosting),
            )
        )
        index += 1
    return tuple(apps)


def _clone_hosting(option: object, suffix: str) -> object:
    from stacks import catalog

    if isinstance(option, catalog.VercelHosting):
        return dataclasses.replace(option, subdomain=f"{option.subdomain}{suffix}")
    if isinstance(option, catalog.WorkerHosting):
        return dataclasses.replace(
            option, subdomain=f"{option.subdomain}{suffix}", script_name=f"{option.script_name}{suffix}"
        )
    assert isinstance(option, catalog.PagesHosting)
    return dataclasses.replace(
        option,
        sites=tuple(
            dataclasses.replace(
                site, subdomain=f"{site.subdomain}{suffix}", project_name=f"{site.project_name}{suffix}"
            )
            for site in option.sites
        ),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--apps", type=int, required=True, help="how many apps the synthetic catalog has")
    parser.add_argument("--stack", default="prod", help="whose stack file gives the config (default prod)")
    parser.add_argument(
        "--gc",
        choices=("on", "off"),
        default="on",
        help="off: Python's cyclic garbage collector paused during the plan (a what-if)",
    )
    args = parser.parse_args(argv)

    sys.path.insert(0, str(PROJECT_DIR))
    started = time.perf_counter()
    from stacks import catalog

    catalog.APPS = clone_apps(args.apps)  # pyright: ignore[reportAttributeAccessIssue]
    # Import everything the program imports before the clock starts for the plan.
    import stacks.program  # noqa: F401  # pyright: ignore[reportUnusedImport]
    from estate.engine import load_stack_config, run_program

    config, secret_keys, _ = load_stack_config(args.stack, PROJECT_DIR)
    if args.gc == "off":
        gc.disable()
    imported = time.perf_counter()
    plan = run_program(args.stack, config, secret_keys, PROJECT_DIR)
    finished = time.perf_counter()
    gc.enable()
    print(
        json.dumps(
            {
                "apps": args.apps,
                "resources": len(plan.resources),
                "import_s": round(imported - started, 4),
                "plan_s": round(finished - imported, 4),
                "gc": args.gc,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
