"""Benchmark scenario batches and print what was measured.

Usage::

    uv run python benchmarks/bench_batch.py           # the full set (about 10 minutes on 2 cores)
    uv run python benchmarks/bench_batch.py --quick   # smaller counts

Each measurement runs in a fresh process, so peak memory is that batch's own:

1. 1,000 runs of the baseline scenario (default world, 100 steps each) on 2 local workers;
2. speed-up from 1 to 2 workers: on the 1,000 runs of (1), run again on 1 worker right after,
   and on a 200-run subset, where the pool's fixed start-up (its fork server imports Mesa, pandas
   and numba; each worker loads the compiled model) weighs more;
3. peak memory of the batch (parent) process for 1,000 and 10,000 short runs (2 steps);
4. side by side in one script with ``mesa.batch_run`` on the same runs (same seeds, steps and
   per-step model variables): throughput ratio and peak-memory ratio.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXPERIMENT = """
name = "bench"
scenarios = ["baseline"]
replicates = {runs}
seed = 1
steps = {steps}
[outputs]
agents = "final"
events = true
"""


def child_sovsim(runs: int, steps: int, workers: int) -> None:
    """In a fresh process: run a batch of ``runs`` baseline runs and print timing and memory."""
    from simulation.batch import run_batch

    tmp = Path(tempfile.mkdtemp(prefix="sovsim-bench-"))
    try:
        exp = tmp / "bench.toml"
        exp.write_text(EXPERIMENT.format(runs=runs, steps=steps), encoding="utf-8")
        start = time.perf_counter()
        summary = run_batch(exp, tmp / "store", workers=workers)
        wall = time.perf_counter() - start
        assert summary.done == runs, summary
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(
        json.dumps(
            {
                "wall_s": wall,
                "runs": runs,
                "parent_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def child_mesa(runs: int, steps: int, workers: int) -> None:
    """In a fresh process: the same runs with ``mesa.batch_run`` (same seeds and steps)."""
    import mesa
    import numpy as np

    from simulation import scenarios
    from simulation.model import SovereigntyModel

    seeds = [
        int(s.generate_state(1, dtype=np.uint32)[0]) for s in np.random.SeedSequence(1).spawn(runs)
    ]
    scenario, _ = scenarios.load("baseline")
    kwargs = scenario.model_kwargs(0)
    kwargs.pop("rng")
    kwargs["collect_agents"] = False
    parameters = {k: [v] for k, v in kwargs.items()}  # one value each (tuples would expand)
    start = time.perf_counter()
    rows = mesa.batch_run(
        SovereigntyModel,
        parameters=parameters,
        rng=seeds,
        max_steps=steps,
        number_processes=workers,
        data_collection_period=1,
        display_progress=False,
    )
    wall = time.perf_counter() - start
    print(
        json.dumps(
            {
                "wall_s": wall,
                "runs": runs,
                "rows": len(rows),
                "parent_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def measure(kind: str, runs: int, steps: int, workers: int) -> dict:
    """Run one child process and return what it printed."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(runs), str(steps), str(workers)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller run counts")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, runs, steps, workers = args.child
        (child_sovsim if kind == "sovsim" else child_mesa)(int(runs), int(steps), int(workers))
        return

    big, sub, mem = (100, 40, (100, 1000)) if args.quick else (1000, 200, (1000, 10_000))
    print(f"1. {big} runs of the baseline scenario (55 states, 100 steps) on 2 local workers")
    r = measure("sovsim", big, 100, 2)
    print(
        f"   wall {r['wall_s']:.1f} s  ({big / r['wall_s']:.1f} runs/s), parent peak {r['parent_peak_mb']:.0f} MB"
    )

    print("\n2. Speed-up from 1 to 2 workers (runs of 100 steps)")
    one = measure("sovsim", big, 100, 1)
    print(
        f"   {big} runs: 1 worker {one['wall_s']:.1f} s, 2 workers {r['wall_s']:.1f} s (table 1), "
        f"speed-up {one['wall_s'] / r['wall_s']:.2f}"
    )
    one = measure("sovsim", sub, 100, 1)
    two = measure("sovsim", sub, 100, 2)
    print(
        f"   {sub:4d} runs: 1 worker {one['wall_s']:.1f} s, 2 workers {two['wall_s']:.1f} s, "
        f"speed-up {one['wall_s'] / two['wall_s']:.2f}"
    )

    print("\n3. Peak memory of the batch process, short runs (2 steps), 2 workers")
    for n in mem:
        m = measure("sovsim", n, 2, 2)
        print(f"   {n:6d} runs: parent peak {m['parent_peak_mb']:.0f} MB, wall {m['wall_s']:.1f} s")

    print(
        f"\n4. Side by side with mesa.batch_run: {sub} runs of 100 steps, 2 processes, "
        "per-step model variables"
    )
    s = measure("sovsim", sub, 100, 2)
    b = measure("mesa", sub, 100, 2)
    print(
        f"   sovsim batch:    {s['wall_s']:.1f} s ({sub / s['wall_s']:.2f} runs/s), parent peak "
        f"{s['parent_peak_mb']:.0f} MB"
    )
    print(
        f"   mesa.batch_run:  {b['wall_s']:.1f} s ({sub / b['wall_s']:.2f} runs/s), parent peak "
        f"{b['parent_peak_mb']:.0f} MB, {b['rows']} rows in memory"
    )
    print(
        f"   throughput ratio (sovsim / mesa) {b['wall_s'] / s['wall_s']:.2f}, "
        f"peak-memory ratio (sovsim / mesa) {s['parent_peak_mb'] / b['parent_peak_mb']:.2f}"
    )


if __name__ == "__main__":
    main()
