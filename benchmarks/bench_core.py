"""Benchmark the model core and print what was measured.

Usage::

    uv run python benchmarks/bench_core.py            # everything (about two minutes)
    uv run python benchmarks/bench_core.py --quick    # smaller repeats, up to N = 3,000

Three tables:

1. the default world, 100 steps in one process: median wall time of ``model.run(100)`` and of
   building plus running, imports excluded, core and core + layer interleaved, with a fixed
   pure-Python loop timed before and after as a gauge of the machine's speed at the time;
2. the fast payoffs (:func:`simulation.payoffs.evaluate`, compiled with numba) against the
   plain-loop reference
   (:func:`simulation.reference.payoffs`) at N = 200: medians, their ratio, largest difference;
3. synthetic worlds of N = 100 ... 10,000 states: world build time, median step time and the peak
   resident memory of a fresh process that builds the model and runs the steps.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

import numpy as np


def default_world_run(repeats: int) -> dict[bool, dict]:
    """Time ``run(100)`` on the default world, core and core + layer interleaved seed by seed.

    Interleaving puts both configurations through the same machine conditions (this kind of
    virtual machine changes speed from minute to minute).
    """
    from simulation import SovereigntyModel

    for layer in (False, True):  # warm caches (default world, compiled code)
        SovereigntyModel(rng=0, cyber_layer=layer).run(5)
    times: dict[bool, dict[str, list[float]]] = {
        layer: {"run": [], "build_and_run": []} for layer in (False, True)
    }
    for seed in range(repeats):
        for layer in (False, True):
            t0 = time.perf_counter()
            model = SovereigntyModel(rng=seed, cyber_layer=layer)
            t1 = time.perf_counter()
            model.run(100)
            t2 = time.perf_counter()
            times[layer]["run"].append(t2 - t1)
            times[layer]["build_and_run"].append(t2 - t0)
    return {
        layer: {
            "run_100_steps_s": statistics.median(t["run"]),
            "build_and_run_s": statistics.median(t["build_and_run"]),
        }
        for layer, t in times.items()
    }


def reference_loop_s() -> float:
    """Return the median time of a fixed pure-Python loop: how fast this machine is right now."""
    out = []
    for _ in range(3):
        t0 = time.perf_counter()
        total = 0
        for i in range(3_000_000):
            total += i * i
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def fast_vs_loop(n: int, repeats: int) -> dict:
    from simulation import payoffs, reference, synthetic_world

    world = synthetic_world(n, seed=1)
    rng = np.random.default_rng(2)
    align = np.column_stack([rng.integers(0, 3, n), rng.integers(0, 3, n), rng.integers(0, 4, n)])
    loc = rng.integers(0, 4, n)
    p = payoffs.PayoffParams()
    fast, slow = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        ev = payoffs.evaluate(world, align, loc, p)
        t1 = time.perf_counter()
        fast.append(t1 - t0)
    for _ in range(max(1, repeats // 10)):
        t0 = time.perf_counter()
        ref = reference.payoffs(world, align, loc, p)
        slow.append(time.perf_counter() - t0)
    diff = max(float(np.max(np.abs(ref[k] - ev.components[k]))) for k in ref)
    return {
        "n": n,
        "fast_s": statistics.median(fast),
        "loop_s": statistics.median(slow),
        "speedup": statistics.median(slow) / statistics.median(fast),
        "max_abs_diff": diff,
    }


def scaling_child(n: int, steps: int, cyber_layer: bool) -> None:
    """Run in a fresh process: build a synthetic world of ``n`` states and time its steps."""
    from simulation import SovereigntyModel, synthetic_world

    t0 = time.perf_counter()
    world = synthetic_world(n, seed=0)
    t1 = time.perf_counter()
    model = SovereigntyModel(world=world, rng=1, max_steps=steps + 1, cyber_layer=cyber_layer)
    t2 = time.perf_counter()
    times = []
    for _ in range(steps):
        s = time.perf_counter()
        model.step()
        times.append(time.perf_counter() - s)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "n": n,
                "world_s": t1 - t0,
                "model_init_s": t2 - t1,
                "step_median_s": statistics.median(times),
                "steps": steps,
                "peak_rss_mb": peak_mb,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, N up to 3,000")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--cyber", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, default=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        scaling_child(args.child, args.steps, args.cyber)
        return

    repeats = 5 if args.quick else 21
    print("1. Default world (55 states), 100 steps, one process, imports excluded")
    print(f"   {'':24s}{'run(100) ms':>14s}{'build + run ms':>16s}   ({repeats} seeds, medians)")
    before = reference_loop_s()
    for layer, d in default_world_run(repeats).items():
        label = "core + cyber layer" if layer else "core (cyber_layer off)"
        print(
            f"   {label:24s}{d['run_100_steps_s'] * 1000:14.1f}{d['build_and_run_s'] * 1000:16.1f}"
        )
    after = reference_loop_s()
    print(
        f"   machine speed: a fixed pure-Python loop took {before * 1000:.0f} ms before and "
        f"{after * 1000:.0f} ms after (lower is faster)"
    )

    v = fast_vs_loop(200, 10 if args.quick else 50)
    print("\n2. Payoffs of every state, N = 200: compiled against the plain-loop reference")
    print(f"   compiled median   {v['fast_s'] * 1000:9.3f} ms")
    print(f"   loop median       {v['loop_s'] * 1000:9.1f} ms")
    print(
        f"   speed-up          {v['speedup']:9.0f} x   largest difference {v['max_abs_diff']:.1e}"
    )

    sizes = [100, 300, 1000, 3000] if args.quick else [100, 300, 1000, 3000, 10000]
    print("\n3. Synthetic worlds: median step time and peak memory (fresh process per N and layer)")
    print(
        f"   {'N':>6s} {'layer':>6s} {'world build s':>14s} {'model init s':>13s}"
        f" {'step ms':>9s} {'peak RSS MB':>12s}"
    )
    rows: dict[bool, list[dict]] = {False: [], True: []}
    for n in sizes:
        for layer in (False, True):
            steps = 3 if n >= 10000 else args.steps
            cmd = [sys.executable, __file__, "--child", str(n), "--steps", str(steps)]
            out = subprocess.run(
                [*cmd, *(["--cyber"] if layer else [])], check=True, capture_output=True, text=True
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            rows[layer].append(r)
            print(
                f"   {n:6d} {'on' if layer else 'off':>6s} {r['world_s']:14.2f} "
                f"{r['model_init_s']:13.2f} {r['step_median_s'] * 1000:9.1f} {r['peak_rss_mb']:12.0f}"
            )
    for layer, rs in rows.items():
        if len(rs) >= 2:
            a, b = rs[-2], rs[-1]
            exponent = np.log(b["step_median_s"] / a["step_median_s"]) / np.log(b["n"] / a["n"])
            print(
                f"   layer {'on' if layer else 'off'}: step time grows as N^{exponent:.2f} "
                f"between N = {a['n']} and N = {b['n']}"
            )


if __name__ == "__main__":
    main()
