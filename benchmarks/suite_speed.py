"""How fast the whole test suite is: ``python benchmarks/suite_speed.py``.

The budget (issue #16): ``python -m pytest -q``, the test command of ``make test``
and CI, in about a minute on 2 cores, at most 10x the import floor that
``plan_speed.py`` measures (``import pulumi, <each provider SDK the program
imports>`` with the garbage collector off). The project is compiled first, as
``make test`` does. Both are measured here in fresh processes, interleaved (floors,
then a suite run, round after round), so a machine whose speed drifts slows both;
the machine's load average is recorded beside them, and so is the CPU time the
suite used (all its worker processes together), which load changes far less than
the wall clock.

Prints a Markdown table and writes it into ``docs/benchmarks.md`` between the
``suite`` markers. Exit status 0 whether or not the aim is met (this is a
measurement, not a test), 1 when the suite itself fails: a failing run's time
means nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import time

from plan_speed import (
    PROJECT_DIR,
    RESULTS_FILE,
    Timing,
    compile_project,
    floor_command,
    floor_label,
    repeat,
    sdk_modules,
    verdict,
    write_results,
)

SUITE_BLOCK = ("<!-- suite:start -->", "<!-- suite:end -->")
SUITE_AIM = 10.0  # times the import floor
SUITE_COMMAND = [sys.executable, "-m", "pytest", "-q"]


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_suite() -> tuple[float, float]:
    """Wall-clock and CPU seconds of one whole run of the suite (it must pass)."""
    cpu_before = children_cpu_seconds()
    started = time.perf_counter()
    result = subprocess.run(SUITE_COMMAND, cwd=PROJECT_DIR, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"the suite failed (exit {result.returncode}); no timing:\n{result.stdout[-3000:]}")
    return elapsed, children_cpu_seconds() - cpu_before


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of the suite (default 3)")
    parser.add_argument(
        "--floor-repeat",
        type=int,
        default=2,
        help="runs of each import floor before each suite run (default 2)",
    )
    parser.add_argument(
        "--no-write", action="store_true", help=f"print only; leave {RESULTS_FILE.name} alone"
    )
    args = parser.parse_args(argv)

    compile_project()
    modules = sdk_modules()
    loads = [os.getloadavg()[0]]
    floor_runs: list[float] = []
    floor_on_runs: list[float] = []
    walls: list[float] = []
    cpus: list[float] = []
    # Floors and suite runs interleaved: the machine's speed drifts within minutes.
    for round_ in range(args.repeat):
        print(
            f"round {round_ + 1}/{args.repeat}: the floor ×{args.floor_repeat} (collector off, then on), "
            f"then {' '.join(SUITE_COMMAND[1:])}",
            file=sys.stderr,
        )
        floor_runs += repeat(floor_command(modules), args.floor_repeat).runs
        floor_on_runs += repeat(floor_command(modules, collector=True), args.floor_repeat).runs
        wall, cpu = run_suite()
        walls.append(wall)
        cpus.append(cpu)
        loads.append(os.getloadavg()[0])
    floor, floor_collector_on = Timing(floor_runs), Timing(floor_on_runs)
    suite = Timing(walls)
    ratio = suite.median / floor.median
    rows = [
        "| measurement | median (min–max) | result | aim |",
        "| --- | --- | --- | --- |",
        f"| {floor_label(modules)} | {floor.shown()} | | |",
        f"| {floor_label(modules, collector=True)} | {floor_collector_on.shown()} | | |",
        f"| whole suite: `python -m pytest -q` | {suite.shown()} | {ratio:.1f}x the floor "
        f"({verdict(ratio, SUITE_AIM)}); CPU {Timing(cpus).shown()} | ≤ {SUITE_AIM:.0f}x |",
    ]
    context = (
        f"Measured {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} CPU(s), {platform.machine()}, "
        f"Python {platform.python_version()}; {args.repeat} suite runs, each in a fresh process; "
        f"1-minute load average {min(loads):.1f}–{max(loads):.1f} during the runs"
    )
    table = "\n".join(rows)
    print(table)
    print(f"{context}.")
    if not args.no_write:
        write_results(f"{table}\n\n{context}.", *SUITE_BLOCK)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
