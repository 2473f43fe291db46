"""How fast the offline plan is: ``make bench`` (``python benchmarks/plan_speed.py``).

Every measurement runs in a fresh subprocess, several times, interleaved (one run of
each per round); the median counts.

* **Import floor**: ``python -c "import gc; gc.disable(); import pulumi, <each provider
  SDK the program imports>"``: importing the SDKs with the collector off (issue #16), as
  a plan imports them, the least any plan of this program can cost. The same import with
  the collector on is shown beside it, for reference only.
* The project's modules are compiled first, as ``make plan`` does (``make compile``).
* **Plan of each stack**: ``python -m estate plan --stack NAME --format json`` (the
  program under the provider models, then every check: schema, first and second
  ``up``, policies), as a ratio to the floor. Aim: at most 1.2x.
* **Synthetic estates** of 100 and 1,000 apps (``benchmarks/synthetic.py``: the
  catalog cloned round-robin): the plan's own time (imports excluded), the
  marginal milliseconds per extra resource (aim: at most 3 ms) and the cost of
  1,000 apps against 100 (aim: at most 10.5x); and, as a what-if, the same with
  Python's garbage collector paused during the plan (see docs/benchmarks.md).

Prints a Markdown table and writes it into ``docs/benchmarks.md`` between the
``results`` markers, leaving the rest of that file (the analysis) as it is.
Exit status 0 whether or not an aim is met: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
RESULTS_FILE = PROJECT_DIR / "docs" / "benchmarks.md"
# The two result blocks of docs/benchmarks.md: the real stacks, and the synthetic estates.
STACKS_BLOCK = ("<!-- stacks:start -->", "<!-- stacks:end -->")
SYNTHETIC_BLOCK = ("<!-- results:start -->", "<!-- results:end -->")

FLOOR_AIM = 1.2
MARGINAL_MS_AIM = 3.0
SCALE_AIM = 10.5


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds of repeated runs."""

    runs: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    def shown(self) -> str:
        spread = f" ({min(self.runs):.2f}–{max(self.runs):.2f})" if len(self.runs) > 1 else ""
        return f"{self.median:.2f} s{spread}"


def run(command: Sequence[str]) -> tuple[float, str]:
    """Runs ``command`` in the project directory; returns (seconds, stdout)."""
    started = time.perf_counter()
    result = subprocess.run(command, cwd=PROJECT_DIR, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode not in (0, 1):  # 1: the plan ran, a policy failed; the time still counts
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}): {result.stderr[-800:]}")
    return elapsed, result.stdout


def repeat(command: Sequence[str], times: int) -> Timing:
    return Timing([run(command)[0] for _ in range(times)])


def interleaved(commands: dict[str, Sequence[str]], rounds: int) -> dict[str, Timing]:
    """Each command once per round, round after round: a shared machine's speed drifts by tens of
    percent within minutes, and a ratio is only fair between runs made in the same minutes."""
    runs: dict[str, list[float]] = {name: [] for name in commands}
    for round_ in range(rounds):
        print(f"round {round_ + 1}/{rounds}: {', '.join(commands)}", file=sys.stderr)
        for name, command in commands.items():
            runs[name].append(run(command)[0])
    return {name: Timing(times) for name, times in runs.items()}


def floor_command(modules: Sequence[str], *, collector: bool = False) -> list[str]:
    """Importing the SDKs, the floor: with the cyclic garbage collector off unless ``collector``."""
    pause = "" if collector else "import gc; gc.disable(); "
    return [sys.executable, "-c", f"{pause}import {', '.join(modules)}"]


def floor_label(modules: Sequence[str], *, collector: bool = False) -> str:
    state = "on, for reference" if collector else "off"
    return f"import floor, collector {state}: `import {', '.join(modules)}`"


def compile_project() -> None:
    """What ``make compile`` does before ``make plan`` and ``make test``: the project's modules as .pyc files."""
    makefile = (PROJECT_DIR / "Makefile").read_text()
    sources = next(line for line in makefile.splitlines() if line.startswith("SOURCES := "))
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", *sources.split(":=", 1)[1].split()],
        cwd=PROJECT_DIR,
        check=True,
    )


def sdk_modules() -> list[str]:
    """The Pulumi SDK and provider SDKs that the program imports, found by importing it."""
    probe = (
        "import sys; sys.path.insert(0, '.'); import stacks.program, stacks.adoption; "
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules "
        "if m.split('.')[0] == 'pulumi' or m.startswith(('pulumi_', 'pulumiverse_'))} - {'pulumi_policy'})))"
    )
    return run([sys.executable, "-c", probe])[1].split()


@dataclass(frozen=True)
class Synthetic:
    apps: int
    resources: int
    plan: Timing
    imports: Timing


def synthetic(apps: int, times: int, *, gc: str = "on") -> Synthetic:
    plans: list[float] = []
    imports: list[float] = []
    resources = 0
    for _ in range(times):
        _, out = run([sys.executable, "benchmarks/synthetic.py", "--apps", str(apps), "--gc", gc])
        measured = json.loads(out.strip().splitlines()[-1])
        plans.append(measured["plan_s"])
        imports.append(measured["import_s"])
        resources = measured["resources"]
    return Synthetic(apps, resources, Timing(plans), Timing(imports))


def verdict(value: float, aim: float) -> str:
    return "met" if value <= aim else "**missed**"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs per small measurement (default 5)")
    parser.add_argument(
        "--repeat-large", type=int, default=3, help="runs of the 1,000-app estate (default 3)"
    )
    parser.add_argument("--stacks", nargs="+", default=["prod", "staging"])
    parser.add_argument(
        "--sizes",
        nargs=2,
        type=int,
        default=[100, 1000],
        metavar=("SMALL", "LARGE"),
        help="apps in the two synthetic estates (default 100 1000)",
    )
    parser.add_argument(
        "--no-write", action="store_true", help=f"print only; leave {RESULTS_FILE.name} alone"
    )
    parser.add_argument(
        "--skip-synthetic",
        action="store_true",
        help="measure only the floor and the real stacks (minutes faster)",
    )
    args = parser.parse_args(argv)

    compile_project()
    modules = sdk_modules()
    # What `make plan` runs: every stack in one process, the SDKs imported once.
    both_command = [
        sys.executable,
        "-m",
        "estate",
        "plan",
        "--quiet",
        *(f"--stack={stack}" for stack in args.stacks),
    ]
    commands = {
        "floor": floor_command(modules),
        "floor, collector on": floor_command(modules, collector=True),
        **{
            stack: [sys.executable, "-m", "estate", "plan", "--stack", stack, "--format", "json"]
            for stack in args.stacks
        },
        "make plan": both_command,
    }
    timings = interleaved(commands, args.repeat)
    floor, floor_collector_on, both = timings["floor"], timings["floor, collector on"], timings["make plan"]
    plans = {stack: timings[stack] for stack in args.stacks}
    rows = [
        "| measurement | median (min–max) | result | aim |",
        "| --- | --- | --- | --- |",
        f"| {floor_label(modules)} | {floor.shown()} | | |",
        f"| {floor_label(modules, collector=True)} | {floor_collector_on.shown()} | | |",
    ]
    for stack, timing in plans.items():
        ratio = timing.median / floor.median
        rows.append(
            f"| `estate plan --stack {stack}` | {timing.shown()} | {ratio:.2f}x the floor "
            f"({verdict(ratio, FLOOR_AIM)}) | ≤ {FLOOR_AIM}x |"
        )
    both_ratio = both.median / floor.median
    rows.append(
        f"| `make plan`: {' and '.join(args.stacks)} in one process, every check | {both.shown()} | "
        f"{both_ratio:.2f}x the floor ({verdict(both_ratio, FLOOR_AIM)}) | ≤ {FLOOR_AIM}x |"
    )
    context = (
        f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} CPU(s), {platform.machine()}, "
        f"Python {platform.python_version()}; {args.repeat} rounds, one run of each measurement per round, each in a fresh process"
    )
    report(rows, f"{context}.", STACKS_BLOCK, write=not args.no_write)
    if args.skip_synthetic:
        return 0
    rows = [
        "| measurement | median (min–max) | result | aim |",
        "| --- | --- | --- | --- |",
    ]
    print(f"synthetic {args.sizes[0]} apps ×{args.repeat}", file=sys.stderr)
    small = synthetic(args.sizes[0], args.repeat)
    print(f"synthetic {args.sizes[1]} apps ×{args.repeat_large}", file=sys.stderr)
    large = synthetic(args.sizes[1], args.repeat_large)

    print(
        f"what-if, garbage collector paused: {args.sizes[0]} apps ×{args.repeat}, {args.sizes[1]} apps ×1",
        file=sys.stderr,
    )
    small_no_gc = synthetic(args.sizes[0], args.repeat, gc="off")
    large_no_gc = synthetic(args.sizes[1], 1, gc="off")

    marginal_ms = (large.plan.median - small.plan.median) / (large.resources - small.resources) * 1000
    scale = large.plan.median / small.plan.median
    marginal_no_gc = (
        (large_no_gc.plan.median - small_no_gc.plan.median) / (large.resources - small.resources) * 1000
    )
    for estate in (small, large):
        per = estate.plan.median / estate.resources * 1000
        rows.append(
            f"| synthetic {estate.apps} apps, {estate.resources} resources: plan alone | {estate.plan.shown()} "
            f"| {per:.2f} ms per resource; imports {estate.imports.median:.2f} s | |"
        )
    rows.append(
        f"| marginal cost per extra resource ({small.apps} → {large.apps} apps) | | {marginal_ms:.2f} ms "
        f"({verdict(marginal_ms, MARGINAL_MS_AIM)}) | ≤ {MARGINAL_MS_AIM} ms |"
    )
    rows.append(
        f"| {large.apps} apps against {small.apps} (plan alone) | | {scale:.2f}x ({verdict(scale, SCALE_AIM)}) "
        f"| ≤ {SCALE_AIM}x for 1,000 against 100 |"
    )
    rows.append(
        f"| what-if: the same, garbage collector paused during the plan | {small_no_gc.plan.shown()} / "
        f"{large_no_gc.plan.shown()} | {marginal_no_gc:.2f} ms per extra resource, "
        f"{large_no_gc.plan.median / small_no_gc.plan.median:.2f}x | |"
    )
    report(
        rows,
        f"{context} ({args.repeat_large} for {large.apps} apps).",
        SYNTHETIC_BLOCK,
        write=not args.no_write,
    )
    return 0


def report(rows: list[str], context: str, block: tuple[str, str], *, write: bool) -> None:
    """Prints the table and, unless told not to, writes it into its block of docs/benchmarks.md."""
    table = "\n".join(rows)
    print(table)
    print(context)
    if write:
        write_results(f"{table}\n\n{context}", *block)


def write_results(text: str, start: str, end: str) -> None:
    """Replaces the results between one pair of markers of docs/benchmarks.md (created if absent)."""
    block = f"{start}\n{text}\n{end}"
    if RESULTS_FILE.exists():
        current = RESULTS_FILE.read_text()
        if start in current and end in current:
            head, rest = current.split(start, 1)
            tail = rest.split(end, 1)[1]
            RESULTS_FILE.write_text(f"{head}{block}{tail}")
            return
        RESULTS_FILE.write_text(f"{current.rstrip()}\n\n{block}\n")
        return
    RESULTS_FILE.write_text(
        f"# Plan speed\n\n`make bench` runs `benchmarks/plan_speed.py` and rewrites this table.\n\n{block}\n"
    )


if __name__ == "__main__":
    raise SystemExit(main())
