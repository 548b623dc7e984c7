"""Run the benchmarks: ``make bench`` (all) or ``bench/run.py -k pages,email`` (a subset).

Prepares once per run: drops, re-creates and migrates the bench database, collects static files
with the manifest storage, and makes sure ``wrk`` is installed. Then runs each
``bench/bench_<name>.py`` in a child process of its own (isolated Django state, and the
module's ``BUDGET_SECONDS`` can be enforced by killing its process group), prints one line per
figure::

    BENCH <name> <value> <unit> target <op><target> PASS|FAIL

and writes the figures with the machine's facts to bench/results/latest.json.

Exit status: 0 when every benchmark ran, even if figures FAIL (a FAIL is a finding to read,
not a broken run; ``--strict`` makes FAILs exit 2); 1 when preparation failed or a benchmark
crashed or overran its budget. The whole run stays under ``--max-total`` seconds (19.5 minutes):
a module starts if the time it took in the last recorded run (its budget when there is none)
still fits, and is stopped at its budget or at the end of that time, whichever comes first; one
that does not fit is skipped and reported.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, sys.path[0] is bench/; the project root must come first instead.
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    BENCH_DIR,
    RESULTS_DIR,
    WORK_DIR,
    BenchContext,
    BenchError,
    BenchResult,
    cleanup,
    prepare,
)

DEFAULT_BUDGET = 180.0
GRACE = 30.0


def discover() -> dict[str, Path]:
    """``bench_<name>.py`` files by name (a module's ``NAME`` constant, when it sets one, else
    the file's), sorted by file."""
    found = {}
    for path in sorted(BENCH_DIR.glob("bench_*.py")):
        declared = _constant(path, "NAME")
        found[declared if isinstance(declared, str) else path.stem.removeprefix("bench_")] = path
    return found


def _constant(path: Path, name: str) -> object:
    """A module-level constant read from the source, so the runner never imports benchmark
    code; ``None`` when the module does not set it."""
    for node in ast.parse(path.read_text()).body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
            and isinstance(node.value, ast.Constant)
        ):
            return node.value.value
    return None


def budget_of(path: Path) -> float:
    """``BUDGET_SECONDS`` read from the source."""
    budget = _constant(path, "BUDGET_SECONDS")
    if isinstance(budget, int | float) and not isinstance(budget, bool):
        return float(budget)
    return DEFAULT_BUDGET


def usual_seconds(scale: float) -> dict[str, float]:
    """Per module, the seconds it took in the last recorded run at ``scale`` (latest.json)."""
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError, AttributeError):
        previous = json.loads((RESULTS_DIR / "latest.json").read_text())
        if previous["scale"] == scale:
            return {
                name: float(module["seconds"])
                for name, module in previous["modules"].items()
                if module.get("status") == "ok"
            }
    return {}


def time_allowed(budget: float, usual: float | None, left: float) -> float | None:
    """The seconds a module may run with ``left`` seconds of the whole run remaining, or
    ``None`` to skip it: it starts when its usual time (its budget if unknown) fits, with a
    quarter more for a slower machine, and is stopped at its budget or when the time is up."""
    need = budget if usual is None else min(budget, usual * 1.25)
    if need > left:
        return None
    return min(budget, left)


def run_child(name: str, context_file: Path, out_file: Path, budget: float, index: int) -> int:
    """In the child process: import the module, call ``run(ctx)``, write its results."""
    import importlib

    ctx = BenchContext.from_json(context_file.read_text(), module=name, budget=budget, index=index)
    stem = discover()[name].stem
    module = importlib.import_module(f"bench.{stem}")
    results = module.run(ctx)
    if not all(isinstance(r, BenchResult) for r in results):
        raise TypeError(f"{stem}.run() must return a list of BenchResult")
    out_file.write_text(json.dumps([r.as_dict() for r in results]))
    return 0


def run_module(
    name: str, budget: float, context_file: Path, index: int
) -> tuple[str, list[BenchResult]]:
    """Run one module in its own process group; returns (status, results)."""
    out_file = WORK_DIR / f"results-{name}.json"
    out_file.unlink(missing_ok=True)
    cmd = [
        sys.executable, str(Path(__file__).resolve()), "--child", name,
        "--context", str(context_file), "--out", str(out_file), "--budget", str(budget),
        "--index", str(index),
    ]  # fmt: skip
    process = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True)
    try:
        returncode = process.wait(timeout=budget + GRACE)
    except (subprocess.TimeoutExpired, KeyboardInterrupt) as exc:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        if isinstance(exc, KeyboardInterrupt):
            raise
        print(f"bench: {name} overran its {budget:.0f}s and was killed", flush=True)
        return "timeout", []
    if returncode != 0 or not out_file.exists():
        print(f"bench: {name} crashed (exit {returncode})", flush=True)
        return "crashed", []
    results = []
    for item in json.loads(out_file.read_text()):
        item.pop("passed", None)
        results.append(BenchResult(**item))
    return "ok", results


def write_report(
    machine: dict[str, object],
    modules: dict[str, dict[str, object]],
    results: list[BenchResult],
    *,
    scale: float,
    total: float,
) -> Path:
    """Write latest.json. A subset run (``-k``) replaces only its own modules' figures and
    keeps the others from earlier runs, each module stamped with the date it last ran."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    latest = RESULTS_DIR / "latest.json"
    kept_modules: dict[str, dict[str, object]] = {}
    kept_results: list[dict[str, object]] = []
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        previous = json.loads(latest.read_text())
        kept_modules = {n: m for n, m in previous["modules"].items() if n not in modules}
        kept_results = [
            r for r in previous["results"] if r["details"].get("module") in kept_modules
        ]
    all_results = kept_results + [r.as_dict() for r in results]
    report = {
        "machine": machine,
        "scale": scale,
        "total_seconds": total,
        "modules": {**kept_modules, **modules},
        "results": all_results,
        "lines": [
            BenchResult(**{k: v for k, v in r.items() if k != "passed"}).line() for r in all_results
        ],
    }
    latest.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return latest


@contextlib.contextmanager
def exclusive_run(wait: float) -> Iterator[None]:
    """One run at a time: runs share the bench database, static files and ``var/bench``."""
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    with (WORK_DIR / "run.lock").open("a+") as lock:
        deadline = time.monotonic() + wait
        announced = False
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise BenchError(f"another bench run still holds {lock.name}") from None
                if not announced:
                    lock.seek(0)
                    print(f"bench: waiting for another run ({lock.read().strip()})", flush=True)
                    announced = True
                time.sleep(1)
        lock.seek(0)
        lock.truncate()
        lock.write(f"pid {os.getpid()}, started {time.strftime('%H:%M:%S')}")
        lock.flush()
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-k", "--only", help="comma-separated benchmark names (default: all)")
    parser.add_argument("--list", action="store_true", help="list benchmarks and budgets")
    parser.add_argument(
        "--scale",
        type=float,
        default=float(os.environ.get("BENCH_SCALE", "1")),
        help="multiply every load duration (0.3 for a quick smoke run; figures get noisier)",
    )
    parser.add_argument("--max-total", type=float, default=19.5 * 60, help="seconds for the run")
    parser.add_argument("--strict", action="store_true", help="exit 2 when a figure FAILs")
    parser.add_argument(
        "--lock-wait", type=float, default=20 * 60, help="seconds to wait for another run"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--context", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--budget", type=float, default=DEFAULT_BUDGET, help=argparse.SUPPRESS)
    parser.add_argument("--index", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        return run_child(args.child, args.context, args.out, args.budget, args.index)

    available = discover()
    if args.list:
        for name, path in available.items():
            print(f"{name:20} budget {budget_of(path):.0f}s  {path.relative_to(ROOT)}")
        return 0
    selected = list(available)
    if args.only:
        selected = [n.strip().removeprefix("bench_") for n in args.only.split(",") if n.strip()]
        unknown = sorted(set(selected) - set(available))
        if unknown:
            parser.error(f"unknown benchmark(s): {', '.join(unknown)}; have {', '.join(available)}")

    try:
        with exclusive_run(args.lock_wait):
            return run_selected(selected, available, args)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1


def run_selected(selected: list[str], available: dict[str, Path], args: argparse.Namespace) -> int:
    """Prepare once, run each selected module, print and store the figures."""
    started = time.monotonic()
    print(f"bench: preparing (database, migrations, static files); scale {args.scale}", flush=True)
    try:
        ctx, machine = prepare(scale=args.scale)
    except (BenchError, OSError, subprocess.SubprocessError) as exc:
        print(f"bench: preparation failed: {exc}", file=sys.stderr)
        return 1
    except Exception:
        traceback.print_exc()
        print("bench: preparation failed (is PostgreSQL running?)", file=sys.stderr)
        return 1
    if not ctx.wrk:
        print("bench: wrk unavailable; using the slower Python load generator", flush=True)
    context_file = WORK_DIR / "context.json"
    context_file.write_text(ctx.to_json())

    modules: dict[str, dict[str, object]] = {}
    results: list[BenchResult] = []
    usual = usual_seconds(args.scale)
    try:
        for index, name in enumerate(selected):
            budget = budget_of(available[name])
            left = args.max_total - (time.monotonic() - started)
            allowed = time_allowed(budget, usual.get(name), left)
            if allowed is None:
                print(f"bench: skipped {name}: {left:.0f}s of the run left", flush=True)
                modules[name] = {"status": "skipped", "seconds": 0, "budget": budget}
                continue
            print(f"bench: running {name} (up to {allowed:.0f}s)", flush=True)
            module_started = time.monotonic()
            status, figures = run_module(name, allowed, context_file, index)
            modules[name] = {
                "status": status,
                "seconds": round(time.monotonic() - module_started, 1),
                "budget": budget,
            }
            modules[name]["date"] = machine["date"]
            for figure in figures:
                figure.details.setdefault("module", name)
                print(figure.line(), flush=True)
            results.extend(figures)
    finally:
        cleanup(ctx)

    total = round(time.monotonic() - started, 1)
    latest = write_report(machine, modules, results, scale=args.scale, total=total)
    failed = [r.name for r in results if not r.passed]
    broken = [n for n, m in modules.items() if m["status"] in {"crashed", "timeout"}]
    print(
        f"bench: {len(results)} figures, {len(failed)} FAIL, {len(broken)} broken, "
        f"{total:.0f}s; wrote {latest.relative_to(ROOT)}",
        flush=True,
    )
    if broken:
        return 1
    return 2 if args.strict and failed else 0


if __name__ == "__main__":
    sys.exit(main())
