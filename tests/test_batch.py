"""The scenario-batch runner: designs, seeds, the resumable store, executors, CLI and analysis.

Experiments are written into ``tmp_path`` and kept tiny (one or two scenarios, a two-point grid,
two replicates, five steps) so that every run takes milliseconds. The module fixture ``grid`` runs
one such experiment in this process once; other tests compare their tables with it: local process
pools, a Dask cluster, runs finishing in another order, interrupted and resumed batches, and
retried failures must all give exactly the same ``load_batch`` tables.

Only the kill-and-resume test starts the real command in a subprocess (it must be killed with
SIGKILL as a whole process group); everything else calls :func:`simulation.cli.main` in-process.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import mesa
import numpy as np
import pandas as pd
import pytest
import tomli_w

from simulation import analysis, batch, cli, scenarios
from simulation.batch import TABLES, BatchError
from simulation.model import SovereigntyModel

STEPS = 5
XC = "payoffs.export_controls"
CBC = "payoffs.cross_bloc_compat"
DESIGN_COLUMNS = ["run_id", "scenario", "point", "replicate", "seed"]


# --- helpers -------------------------------------------------------------------------------------


def write_experiment(folder: Path, name: str = "tiny", **fields) -> Path:
    """Write an experiment TOML (two scenarios, a two-point grid, two replicates by default)."""
    data = {
        "name": name,
        "scenarios": ["baseline", "tech-cold-war"],
        "replicates": 2,
        "seed": 3,
        "steps": STEPS,
        "parameters": {XC: [0.2, 0.8]},
    }
    data.update(fields)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def tables(store: Path) -> dict[str, pd.DataFrame]:
    return {t: batch.load_batch(store, t) for t in TABLES}


def assert_same_tables(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    for t in TABLES:
        pd.testing.assert_frame_equal(a[t], b[t], obj=f"{t} table")


def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file under ``folder`` with its content hash and modification time."""
    return {
        str(p.relative_to(folder)): (
            hashlib.sha256(p.read_bytes()).hexdigest(),
            p.stat().st_mtime_ns,
        )
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def done_files(store: Path) -> list[str]:
    return sorted(p.name for p in (store / "done").iterdir())


def replicate_seeds(seed: int, replicates: int) -> list[int]:
    return [
        int(s.generate_state(1, dtype=np.uint32)[0])
        for s in np.random.SeedSequence(seed).spawn(replicates)
    ]


class ThreadedExecutor(cf.Executor):
    """Runs submissions on threads (optionally delaying some runs) and records what happened.

    It has more threads than any window, so every run the batch keeps in flight executes at once:
    ``max_active`` is then the largest number of runs in flight. With ``gate``, runs wait until
    ``gate`` of them are running at once (or 5 s have passed) before any of them proceeds.
    """

    def __init__(self, threads: int = 16, delay=None, gate: int = 0) -> None:
        self.pool = cf.ThreadPoolExecutor(threads)
        self.delay = delay or (lambda run: 0.0)
        self.gate = gate
        self.opened = threading.Event()
        self.lock = threading.Lock()
        self.active = 0
        self.max_active = 0
        self.finished: list[int] = []
        self.futures: list[cf.Future] = []

    def submit(self, fn, /, *args, **kwargs):
        run = args[0]

        def task():
            with self.lock:
                self.active += 1
                self.max_active = max(self.max_active, self.active)
                if self.active >= self.gate:
                    self.opened.set()
            try:
                self.opened.wait(timeout=5)
                time.sleep(self.delay(run))
                return fn(*args, **kwargs)
            finally:
                with self.lock:
                    self.active -= 1
                    self.finished.append(run.run_id)

        future = self.pool.submit(task)
        self.futures.append(future)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def failing_step(monkeypatch, target: batch.Run, exc: BaseException, at_step: int = 2) -> None:
    """Make the model of run ``target`` raise ``exc`` in its step ``at_step`` (in this process)."""
    original = SovereigntyModel.step

    def step(self):
        if (
            self.steps >= at_step
            and self.rng.bit_generator.seed_seq.entropy == target.seed
            and self.params.export_controls == target.kwargs["export_controls"]
            and self.params.cross_bloc_compat == target.kwargs["cross_bloc_compat"]
        ):
            raise exc
        original(self)

    monkeypatch.setattr(SovereigntyModel, "step", step)


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(["batch", *args])
    out, err = capsys.readouterr()
    return code, out, err


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    """The reference batch: 2 scenarios x 2 grid points x 2 replicates, in this process."""
    root = tmp_path_factory.mktemp("grid")
    exp = write_experiment(root)
    store = root / "store"
    summary = batch.run_batch(exp, store, workers=1)
    assert (summary.total, summary.done, summary.failed, summary.skipped) == (8, 8, 0, 0)
    assert not summary.interrupted and summary.errors == []
    runs, _ = batch.plan(*batch.load_experiment(exp))
    return SimpleNamespace(exp=exp, store=store, tables=tables(store), runs=runs)


@pytest.fixture(scope="module")
def dask():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = distributed.Client(cluster)
    try:
        yield SimpleNamespace(
            executor=client.get_executor(pure=False), address=cluster.scheduler_address
        )
    finally:
        client.close()
        cluster.close()


@pytest.fixture(scope="module")
def lhs_store(tmp_path_factory):
    """A Latin-hypercube batch over two parameters (16 points, one replicate, 3 steps)."""
    root = tmp_path_factory.mktemp("lhs")
    exp = write_experiment(
        root,
        "lhs",
        scenarios=["baseline"],
        replicates=1,
        seed=7,
        steps=3,
        design={"method": "lhs", "samples": 16},
        parameters={XC: {"low": 0.0, "high": 1.0}, CBC: {"low": 0.0, "high": 0.5}},
    )
    store = root / "store"
    summary = batch.run_batch(exp, store, workers=1)
    assert summary.done == 16 and summary.failed == 0
    return store


# --- 1. the same results whatever the executor and the order -------------------------------------


def test_reference_tables_have_the_expected_shape(grid):
    model, agents, events = (grid.tables[t] for t in TABLES)
    assert list(model.columns[:7]) == [*DESIGN_COLUMNS, XC, "step"]
    assert model.groupby("run_id").size().to_dict() == dict.fromkeys(range(8), STEPS + 1)
    assert not model.duplicated(["run_id", "step"]).any()
    assert (agents.step == STEPS).all()
    assert agents.groupby("run_id").size().nunique() == 1  # every state once per run
    assert agents.run_id.nunique() == 8
    assert len(events) and events.attributed.dtype == "boolean"
    assert done_files(grid.store) == [f"{i:07d}.json" for i in range(8)]
    assert not any((grid.store / "failed").iterdir())


def test_two_local_workers_give_the_same_tables(grid, tmp_path):
    summary = batch.run_batch(grid.exp, tmp_path / "w2", workers=2)
    assert (summary.done, summary.failed, summary.skipped) == (8, 0, 0)
    assert_same_tables(tables(tmp_path / "w2"), grid.tables)


def test_dask_local_cluster_gives_the_same_tables(grid, tmp_path, dask):
    summary = batch.run_batch(grid.exp, tmp_path / "dask", workers=2, executor=dask.executor)
    assert (summary.done, summary.failed, summary.skipped) == (8, 0, 0)
    assert_same_tables(tables(tmp_path / "dask"), grid.tables)


def test_cli_runs_on_a_dask_scheduler(grid, tmp_path, dask, capsys):
    store = tmp_path / "cli-dask"
    args = [str(grid.exp), "--store", str(store), "--dask", dask.address, "--workers", "2"]
    code, out, _ = run_cli(capsys, *args, "--json")
    assert code == 0
    result = json.loads(out)
    assert (result["runs"], result["done"], result["failed"]) == (8, 8, 0)
    assert_same_tables(tables(store), grid.tables)
    code, out, _ = run_cli(capsys, *args)  # again: everything is complete
    assert code == 0 and "0 runs done, 0 failed, 8 already complete (of 8)" in out


def test_runs_finishing_in_another_order_give_the_same_tables(grid, tmp_path):
    # even runs are held back, so odd runs finish first
    executor = ThreadedExecutor(delay=lambda run: 0.3 if run.run_id % 2 == 0 else 0.0)
    with executor:
        summary = batch.run_batch(grid.exp, tmp_path / "late", executor=executor, workers=2)
    assert (summary.done, summary.failed) == (8, 0)
    assert executor.finished != sorted(executor.finished)
    assert_same_tables(tables(tmp_path / "late"), grid.tables)


def test_a_reversed_subset_then_resuming_gives_the_same_tables(grid, tmp_path):
    store = tmp_path / "resumed"
    exp, exp_path = batch.load_experiment(grid.exp)
    runs, _ = batch.plan(exp, exp_path)
    batch.prepare_store(store, exp, exp_path, runs, force=False)
    outputs = exp.outputs.model_dump()
    for run in runs[::-1][:3]:  # runs 7, 6, 5 first
        assert batch.execute(run, str(store), outputs)["status"] == "done"
    assert batch.completed(store) == {5, 6, 7}
    summary = batch.run_batch(grid.exp, store, workers=1)
    assert (summary.done, summary.skipped, summary.failed) == (5, 3, 0)
    assert_same_tables(tables(store), grid.tables)


def test_store_holds_what_the_model_gives(grid):
    run = grid.runs[5]
    model = SovereigntyModel(**run.kwargs).run(run.steps)
    expected = model.model_dataframe()
    got = grid.tables["model"]
    got = got[got.run_id == run.run_id].drop(columns=[*DESIGN_COLUMNS, XC]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected)
    assert len(model.event_dataframe()) == (grid.tables["events"].run_id == run.run_id).sum()


def test_outputs_can_skip_agents_and_events(tmp_path):
    exp = write_experiment(
        tmp_path,
        scenarios=["baseline"],
        parameters={},
        steps=2,
        outputs={"agents": "none", "events": False},
    )
    store = tmp_path / "store"
    assert batch.run_batch(exp, store).done == 2
    assert not any((store / "agents").iterdir()) and not any((store / "events").iterdir())
    assert len(batch.load_batch(store, "model")) == 2 * 3
    assert batch.load_batch(store, "agents").empty
    with pytest.raises(BatchError, match="table 'nope'"):
        batch.load_batch(store, "nope")
    with pytest.raises(BatchError, match="not a sovsim batch store"):
        batch.load_batch(tmp_path)


# --- 2. seeds and the design table ---------------------------------------------------------------


def test_replicate_seeds_are_spawned_and_shared_by_scenarios_and_points(tmp_path):
    exp_path = write_experiment(
        tmp_path, replicates=3, parameters={XC: [0.2, 0.8], CBC: [0.0, 0.3]}
    )
    exp, path = batch.load_experiment(exp_path)
    runs, problem = batch.plan(exp, path)
    assert problem is None
    expected = replicate_seeds(3, 3)
    assert len(set(expected)) == 3
    assert len(runs) == 2 * 4 * 3
    assert [r.run_id for r in runs] == list(range(len(runs)))
    for r in runs:
        assert r.seed == expected[r.replicate]
        assert r.kwargs["rng"] == r.seed
        assert r.steps == STEPS and r.kwargs["max_steps"] == STEPS
    by_cell = {}
    for r in runs:
        by_cell.setdefault((r.scenario, r.point), []).append(r.seed)
    assert set(by_cell) == {(s, p) for s in ("baseline", "tech-cold-war") for p in range(4)}
    assert all(seeds == expected for seeds in by_cell.values())

    other = batch.Experiment.model_validate({**exp.model_dump(), "seed": 4})
    other_runs, _ = batch.plan(other, path)
    assert {r.seed for r in other_runs} == set(replicate_seeds(4, 3))
    assert not {r.seed for r in other_runs} & set(expected)


def test_design_table_has_one_row_per_run(tmp_path):
    exp_path = write_experiment(tmp_path, parameters={XC: [0.2, 0.8], "decisions.patience": [5, 9]})
    exp, path = batch.load_experiment(exp_path)
    runs, _ = batch.plan(exp, path)
    store = tmp_path / "store"
    batch.prepare_store(store, exp, path, runs, force=False)
    design = pd.read_parquet(store / "design.parquet")
    assert list(design.columns) == [*DESIGN_COLUMNS, XC, "decisions.patience"]
    assert len(design) == len(runs) == 2 * 4 * 2
    assert design.run_id.tolist() == list(range(len(runs)))
    assert not design.duplicated(["scenario", "point", "replicate"]).any()
    points, _ = batch.design_points(exp)
    assert points == [
        {XC: 0.2, "decisions.patience": 5},
        {XC: 0.2, "decisions.patience": 9},
        {XC: 0.8, "decisions.patience": 5},
        {XC: 0.8, "decisions.patience": 9},
    ]
    for row in design.itertuples(index=False):
        run = runs[row.run_id]
        assert (row.scenario, row.point, row.replicate, row.seed) == (
            run.scenario,
            run.point,
            run.replicate,
            run.seed,
        )
        assert row[5] == points[row.point][XC]
        assert row[6] == points[row.point]["decisions.patience"]
        assert run.kwargs["export_controls"] == points[row.point][XC]
        assert run.kwargs["patience"] == points[row.point]["decisions.patience"]
    manifest = json.loads((store / "manifest.json").read_text())
    assert manifest["runs"] == len(runs) and manifest["experiment"] == "tiny"
    assert manifest["parameters"] == [XC, "decisions.patience"]
    assert (store / "experiment.toml").read_bytes() == exp_path.read_bytes()


# --- 3. killed and interrupted batches resume ----------------------------------------------------


def test_killed_batch_resumes_with_every_run_exactly_once(tmp_path):
    steps, total = 20, 16
    (tmp_path / "calm.toml").write_text('name = "calm"\n\n[decisions]\npatience = 1000\n')
    exp = write_experiment(
        tmp_path,
        "killed",
        scenarios=["calm"],
        replicates=8,
        steps=steps,
        parameters={XC: [0.3, 0.7]},
    )
    store = tmp_path / "store"
    command = [
        sys.executable,
        "-m",
        "simulation.cli",
        "batch",
        str(exp),
        "--store",
        str(store),
        "--workers",
        "2",
    ]
    env = {k: v for k, v in os.environ.items() if k != "SOVSIM_SCENARIOS"}
    proc = subprocess.Popen(
        [*command, "--quiet"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if (store / "done").is_dir() and len(list((store / "done").glob("*.json"))) >= 2:
                break
            if proc.poll() is not None:
                pytest.fail(f"the batch ended before it could be killed: {proc.communicate()}")
            time.sleep(0.005)
        else:
            pytest.fail("no run finished within 60 s")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    before = batch.completed(store)
    assert 0 < len(before) < total, before

    # what a killed worker may leave behind: a temporary file and a part without a done marker
    (store / "model" / ".part-0000999.parquet.tmp-12345").write_bytes(b"half")
    (store / "done" / ".0000999.json.tmp-12345").write_bytes(b"half")
    pending = min(set(range(total)) - before)
    (store / "model" / f"part-{pending:07d}.parquet").write_bytes(b"not parquet")

    again = subprocess.run(
        [*command, "--json"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["skipped"] == len(before)
    assert summary["done"] == total - len(before)
    assert (summary["failed"], summary["interrupted"], summary["runs"]) == (0, False, total)

    assert done_files(store) == [f"{i:07d}.json" for i in range(total)]
    for i in range(total):
        assert json.loads((store / "done" / f"{i:07d}.json").read_text())["run_id"] == i
    assert not any((store / "failed").iterdir())
    assert list(store.rglob("*.tmp-*")) == []
    resumed = tables(store)
    model = resumed["model"]
    assert model.groupby("run_id").size().to_dict() == dict.fromkeys(range(total), steps + 1)
    assert not model.duplicated(["run_id", "step"]).any()

    reference = tmp_path / "reference"
    assert batch.run_batch(exp, reference, workers=1).done == total
    assert_same_tables(resumed, tables(reference))


def test_keyboard_interrupt_returns_an_interrupted_summary_and_resume_finishes(
    grid, tmp_path, monkeypatch, capsys
):
    original = SovereigntyModel.step
    calls = []

    def step(self):
        calls.append(1)
        if len(calls) == 3 * STEPS + 2:  # in the fourth run
            raise KeyboardInterrupt
        original(self)

    monkeypatch.setattr(SovereigntyModel, "step", step)
    store = tmp_path / "store"
    summary = batch.run_batch(grid.exp, store, workers=1)
    assert summary.interrupted
    assert (summary.done, summary.failed, summary.total) == (3, 0, 8)
    assert batch.completed(store) == {0, 1, 2}
    assert batch.failed(store) == set()

    calls.clear()
    code, out, _ = run_cli(
        capsys, str(grid.exp), "--store", str(tmp_path / "cli"), "--workers", "1"
    )
    assert code == cli.EXIT_INTERRUPTED
    assert "interrupted: run the same command again" in out

    monkeypatch.setattr(SovereigntyModel, "step", original)
    summary = batch.run_batch(grid.exp, store, workers=1)
    assert not summary.interrupted
    assert (summary.done, summary.skipped, summary.failed) == (5, 3, 0)
    assert_same_tables(tables(store), grid.tables)
    code, out, _ = run_cli(
        capsys, str(grid.exp), "--store", str(tmp_path / "cli"), "--workers", "1"
    )
    assert code == 0
    assert_same_tables(tables(tmp_path / "cli"), grid.tables)


# --- 4. failures are isolated, recorded and retried ----------------------------------------------


def target_run(grid) -> batch.Run:
    return next(
        r for r in grid.runs if r.scenario == "baseline" and r.point == 1 and r.replicate == 1
    )


def test_a_failing_run_is_recorded_skipped_and_retried(grid, tmp_path, monkeypatch):
    target = target_run(grid)
    name = f"{target.run_id:07d}"
    failing_step(monkeypatch, target, RuntimeError("boom"))
    store = tmp_path / "store"
    summary = batch.run_batch(grid.exp, store, workers=1)
    assert (summary.done, summary.failed, summary.total) == (7, 1, 8)
    assert summary.errors == [f"run {target.run_id}: RuntimeError: boom"]
    assert batch.completed(store) == set(range(8)) - {target.run_id}
    assert batch.failed(store) == {target.run_id}
    record = json.loads((store / "failed" / f"{name}.json").read_text())
    assert record["run_id"] == target.run_id
    assert (record["scenario"], record["point"], record["replicate"]) == ("baseline", 1, 1)
    assert record["seed"] == target.seed
    assert record["parameters"] == {XC: 0.8}
    assert record["error"] == "RuntimeError: boom"
    assert "Traceback" in record["traceback"] and "RuntimeError: boom" in record["traceback"]
    assert not (store / "model" / f"part-{name}.parquet").exists()
    assert target.run_id not in set(batch.load_batch(store).run_id)

    monkeypatch.undo()  # the cause is fixed; a plain rerun still skips the failed run
    summary = batch.run_batch(grid.exp, store, workers=1)
    assert (summary.done, summary.failed, summary.skipped) == (0, 0, 8)
    assert batch.failed(store) == {target.run_id}

    summary = batch.run_batch(grid.exp, store, workers=1, retry_failed=True)
    assert (summary.done, summary.failed, summary.skipped) == (1, 0, 7)
    assert batch.failed(store) == set()
    assert done_files(store) == [f"{i:07d}.json" for i in range(8)]
    assert_same_tables(tables(store), grid.tables)


def test_cli_reports_failures_with_exit_status_1(grid, tmp_path, monkeypatch, capsys):
    target = target_run(grid)
    failing_step(monkeypatch, target, ValueError("bad luck"))
    store = str(tmp_path / "store")
    code, out, _ = run_cli(capsys, str(grid.exp), "--store", store, "--workers", "1", "--quiet")
    assert code == 1
    assert "7 runs done, 1 failed" in out
    assert f"failed: run {target.run_id}: ValueError: bad luck" in out
    assert "--retry-failed" in out

    code, out, _ = run_cli(
        capsys, str(grid.exp), "--store", store, "--workers", "1", "--retry-failed", "--json"
    )
    assert code == 1
    result = json.loads(out)
    assert (result["done"], result["failed"], result["skipped"], result["runs"]) == (0, 1, 7, 8)
    assert result["errors"] == [f"run {target.run_id}: ValueError: bad luck"]

    monkeypatch.undo()
    code, out, err = run_cli(
        capsys, str(grid.exp), "--store", store, "--workers", "1", "--retry-failed", "--quiet"
    )
    assert (code, out, err) == (0, "", "")
    assert batch.failed(Path(store)) == set()


BAD_EXPERIMENTS = {
    "missing file": (None, [], "no such file"),
    "unknown key": ({"parameters": {"payoffs.nope": [1.0]}}, [], "nope"),
    "no section": ({"parameters": {"export_controls": [0.5]}}, [], "expected SECTION.KEY"),
    "value out of range": ({"parameters": {XC: [0.5, 7.0]}}, [], "export_controls"),
    "grid with a range": (
        {"parameters": {XC: {"low": 0.0, "high": 1.0}}},
        [],
        "a grid needs a list of values",
    ),
    "lhs with a list": (
        {"design": {"method": "lhs", "samples": 4}, "parameters": {XC: [0.2, 0.8]}},
        [],
        "lhs needs {low = ..., high = ...}",
    ),
    "low not below high": (
        {"design": {"method": "lhs", "samples": 4}, "parameters": {XC: {"low": 0.5, "high": 0.5}}},
        [],
        "low must be below high",
    ),
    "typo in a key": ({"replicate": 3}, [], "replicate"),
    "unknown scenario": ({"scenarios": ["no-such-scenario"]}, [], "no such scenario"),
    "workers 0": ({}, ["--workers", "0"], "--workers 0"),
}


@pytest.mark.parametrize("case", list(BAD_EXPERIMENTS))
def test_cli_bad_input_exits_2_with_one_line_and_writes_nothing(
    case, tmp_path, monkeypatch, capsys
):
    fields, extra, message = BAD_EXPERIMENTS[case]
    work = tmp_path / "work"
    work.mkdir()
    exp = work / "missing.toml" if fields is None else write_experiment(work, **fields)
    monkeypatch.chdir(work)  # the default store would be results/batches/NAME in here
    before = snapshot(work)
    code, out, err = run_cli(capsys, str(exp), *(extra or ["--workers", "1"]))
    assert code == cli.EXIT_BAD_INPUT
    assert out == ""
    assert err.startswith("sovsim: error: ") and err.count("\n") == 1, err
    assert message in err
    assert snapshot(work) == before
    assert sorted(p.name for p in work.iterdir()) == ([] if fields is None else ["tiny.toml"])


# --- 5. one experiment per store -----------------------------------------------------------------


def test_a_store_refuses_another_experiment_unless_forced(grid, tmp_path, capsys):
    exp = write_experiment(tmp_path / "exp")
    store = tmp_path / "store"
    assert batch.run_batch(exp, store).done == 8
    again = batch.run_batch(exp, store)  # the same experiment again: nothing to do
    assert (again.done, again.skipped) == (0, 8)
    before = snapshot(store)

    other = write_experiment(tmp_path / "other", "other")
    with pytest.raises(BatchError, match=r"holds experiment 'tiny' with other settings.*--force"):
        batch.run_batch(other, store)
    assert snapshot(store) == before

    edited = write_experiment(tmp_path / "exp", replicates=3)  # the same file, edited
    assert edited == exp
    with pytest.raises(BatchError, match="--force"):
        batch.run_batch(edited, store)
    assert snapshot(store) == before
    code, out, err = run_cli(capsys, str(edited), "--store", str(store), "--workers", "1")
    assert (code, out) == (cli.EXIT_BAD_INPUT, "")
    assert err.count("\n") == 1 and str(store) in err and "--force" in err
    assert snapshot(store) == before

    summary = batch.run_batch(edited, store, force=True)
    assert (summary.total, summary.done, summary.skipped) == (12, 12, 0)
    assert json.loads((store / "manifest.json").read_text())["runs"] == 12
    assert len(pd.read_parquet(store / "design.parquet")) == 12
    assert done_files(store) == [f"{i:07d}.json" for i in range(12)]
    assert (store / "experiment.toml").read_bytes() == edited.read_bytes()
    model = batch.load_batch(store)
    assert sorted(model.replicate.unique()) == [0, 1, 2]
    old = grid.tables["model"]  # replicates 0 and 1 have the same seeds, so the same results
    pd.testing.assert_frame_equal(
        model[model.replicate < 2].drop(columns="run_id").reset_index(drop=True),
        old.drop(columns="run_id")
        .sort_values(["scenario", "point", "replicate", "step"])
        .reset_index(drop=True),
    )


def test_a_store_must_be_a_folder_of_this_experiment(grid, tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    with pytest.raises(BatchError, match="not a sovsim store"):
        batch.run_batch(grid.exp, folder)
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(BatchError, match="is a file"):
        batch.run_batch(grid.exp, afile)
    assert afile.read_text() == "x"


# --- 6. SALib designs and Sobol indices ----------------------------------------------------------


def test_sobol_design_and_indices_round_trip(tmp_path):
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    exp_path = write_experiment(
        tmp_path,
        "sobol",
        scenarios=["baseline"],
        replicates=1,
        seed=5,
        steps=3,
        design={"method": "sobol", "samples": 8, "second_order": False},
        parameters={XC: {"low": 0.0, "high": 1.0}, CBC: {"low": 0.0, "high": 0.5}},
    )
    exp, _ = batch.load_experiment(exp_path)
    points, problem = batch.design_points(exp)
    assert {k: problem[k] for k in ("num_vars", "names", "bounds")} == {
        "num_vars": 2,
        "names": [XC, CBC],
        "bounds": [[0.0, 1.0], [0.0, 0.5]],
    }
    assert len(points) == 8 * (2 + 2)
    x = sobol_sample.sample(problem, 8, calc_second_order=False, seed=5)
    np.testing.assert_array_equal(np.array([[p[XC], p[CBC]] for p in points]), x)
    second = exp.model_copy(
        update={"design": batch.Design(method="sobol", samples=8, second_order=True)}
    )
    assert len(batch.design_points(second)[0]) == 8 * (2 * 2 + 2)

    store = tmp_path / "store"
    assert batch.run_batch(exp_path, store).done == 32
    model = batch.load_batch(store)
    last = model[model.step == model.groupby("run_id").step.transform("max")]
    y = last.groupby("point").welfare.mean().sort_index().to_numpy()
    assert len(y) == 32 and y.std() > 0

    # the bootstrap of the confidence intervals is seeded with the experiment's seed (5)
    got = analysis.sobol_indices(store, "welfare")
    assert got.equals(analysis.sobol_indices(store, "welfare"))  # reproducible
    expected = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=5)
    assert list(got.columns) == ["parameter", "S1", "S1_conf", "ST", "ST_conf"]
    assert got.parameter.tolist() == [XC, CBC]
    for key in ("S1", "S1_conf", "ST", "ST_conf"):
        np.testing.assert_allclose(got[key].to_numpy(), expected[key], err_msg=key)
    assert np.isfinite(got[["S1", "ST", "S1_conf", "ST_conf"]].to_numpy()).all()

    (store / "done" / "0000000.json").unlink()
    with pytest.raises(BatchError, match="31 of 32 design points complete"):
        analysis.sobol_indices(store, "welfare")


def test_sobol_indices_need_a_sobol_design_of_one_scenario(grid):
    with pytest.raises(BatchError, match="need a sobol design, this store has grid"):
        analysis.sobol_indices(grid.store, "welfare")


def test_latin_hypercube_design(tmp_path):
    from SALib.sample import latin

    exp_path = write_experiment(
        tmp_path,
        "lhs",
        seed=9,
        design={"method": "lhs", "samples": 10},
        parameters={XC: {"low": 0.2, "high": 0.6}, CBC: {"low": 0.0, "high": 0.5}},
    )
    exp, _ = batch.load_experiment(exp_path)
    points, problem = batch.design_points(exp)
    assert len(points) == 10
    x = np.array([[p[XC], p[CBC]] for p in points])
    assert ((x[:, 0] >= 0.2) & (x[:, 0] <= 0.6)).all()
    assert ((x[:, 1] >= 0.0) & (x[:, 1] <= 0.5)).all()
    for j, (low, high) in enumerate(problem["bounds"]):  # one point in each of the 10 strata
        strata = np.floor((x[:, j] - low) / (high - low) * 10).astype(int)
        assert sorted(strata) == list(range(10))
    np.testing.assert_array_equal(x, latin.sample(problem, 10, seed=9))
    assert batch.design_points(exp)[0] == points
    reseeded = exp.model_copy(update={"seed": 10})
    assert batch.design_points(reseeded)[0] != points


def test_example_experiments_plan_the_documented_runs():
    expected = {  # the counts their comments promise
        "export-controls": (100, 10, 100, None),
        "sobol-fragmentation": (384, 384, 50, 4),
        "uncertainty-lhs": (400, 200, 60, 6),
    }
    for name, (n_runs, n_points, steps, n_params) in expected.items():
        exp, path = batch.load_experiment(name)
        assert path.name == f"{name}.toml" and exp.name == name
        points, problem = batch.design_points(exp)
        assert len(points) * len(exp.scenarios) == n_points
        assert len(points) * len(exp.scenarios) * exp.replicates == n_runs
        assert (problem or {}).get("num_vars") == n_params
        assert (exp.steps or 100) == steps
    runs, _ = batch.plan(*batch.load_experiment("export-controls"))
    assert len(runs) == 100 and {r.steps for r in runs} == {100}


def test_integer_parameters_are_recorded_as_run(tmp_path):
    # a sampled integer parameter is rounded for the model; the design table and the failed
    # records should show the value the run used, so that a run can be rebuilt from its row
    exp_path = write_experiment(
        tmp_path,
        "ints",
        scenarios=["baseline"],
        replicates=1,
        design={"method": "lhs", "samples": 4},
        parameters={"cyber.patron_targets": {"low": 0.0, "high": 3.0}},
    )
    exp, path = batch.load_experiment(exp_path)
    runs, _ = batch.plan(exp, path)
    batch.prepare_store(tmp_path / "store", exp, path, runs, force=False)
    design = pd.read_parquet(tmp_path / "store" / "design.parquet")
    used = [r.kwargs["patron_targets"] for r in runs]
    assert all(isinstance(v, int) for v in used)
    assert [r.values["cyber.patron_targets"] for r in runs] == used
    assert design["cyber.patron_targets"].tolist() == used


# --- 7. EMA Workbench ----------------------------------------------------------------------------


def test_ema_data_aligns_experiments_with_outcomes(lhs_store):
    experiments, outcomes = analysis.ema_data(lhs_store, ["welfare", "fragmentation"])
    assert list(experiments.columns) == [XC, CBC]
    assert len(experiments) == 16
    assert set(outcomes) == {"welfare", "fragmentation"}
    final = analysis.final_values(batch.load_batch(lhs_store), ["welfare", "fragmentation"])
    design = pd.read_parquet(lhs_store / "design.parquet").set_index("run_id")
    for i, row in final.iterrows():
        assert experiments.iloc[i][XC] == design.loc[row.run_id, XC]
        assert experiments.iloc[i][CBC] == design.loc[row.run_id, CBC]
        assert outcomes["welfare"][i] == row.welfare
        assert outcomes["fragmentation"][i] == row.fragmentation
    assert all(len(v) == 16 for v in outcomes.values())


def test_ema_data_of_several_scenarios_has_a_scenario_category(grid):
    experiments, outcomes = analysis.ema_data(grid.store, "welfare")
    assert experiments.columns[0] == XC and len(experiments.columns) == 2
    scenario = experiments[experiments.columns[1]]
    assert isinstance(scenario.dtype, pd.CategoricalDtype)
    assert scenario.tolist() == grid.tables["model"].drop_duplicates("run_id").scenario.tolist()
    assert len(experiments) == len(outcomes["welfare"]) == 8


def test_prim_box_and_feature_scores(lhs_store):
    from ema_workbench.analysis import prim

    _, outcomes = analysis.ema_data(lhs_store, "welfare")
    threshold = float(np.median(outcomes["welfare"]))
    box = analysis.prim_box(lhs_store, "welfare", threshold)
    assert isinstance(box, prim.PrimBox)
    with pytest.raises(BatchError, match="no run has welfare above"):
        analysis.prim_box(lhs_store, "welfare", float(outcomes["welfare"].max()) + 1)

    scores = analysis.feature_scores(lhs_store, ["welfare", "mean_trade"])
    assert isinstance(scores, pd.DataFrame)
    assert sorted(scores.index) == sorted([XC, CBC])
    assert sorted(scores.columns) == ["mean_trade", "welfare"]
    assert np.isfinite(scores.to_numpy()).all() and (scores.to_numpy() >= 0).all()
    again = analysis.feature_scores(lhs_store, ["welfare", "mean_trade"])
    pd.testing.assert_frame_equal(scores, again)  # seeded: the same store, the same scores


def test_ema_analysis_of_several_scenarios_keeps_the_scenario(grid):
    # ema_data adds the scenario as a category; PRIM and feature scoring must see it
    experiments, outcomes = analysis.ema_data(grid.store, "welfare")
    box = analysis.prim_box(grid.store, "welfare", float(np.median(outcomes["welfare"])))
    assert list(box.prim.box_init.columns) == list(experiments.columns)
    scores = analysis.feature_scores(grid.store, "welfare")
    assert sorted(scores.index) == sorted(experiments.columns)


def test_ema_model_drives_sovsim_runs():
    from ema_workbench import perform_experiments

    model = analysis.ema_model("baseline", uncertainties={XC: (0.0, 1.0)}, steps=3)
    experiments, outcomes = perform_experiments(model, scenarios=4)
    assert len(experiments) == 4
    assert set(outcomes) == {"fragmentation", "mean_security", "mean_trade"}
    assert all(len(v) == 4 for v in outcomes.values())
    assert experiments["payoffs__export_controls"].between(0, 1).all()
    # the first experiment, rerun directly
    row = experiments.iloc[0]
    scenario, _ = scenarios.load("baseline")
    kwargs = {
        **scenario.model_kwargs(int(row["seed"])),
        "collect_agents": False,
        "max_steps": 3,
        "export_controls": float(row["payoffs__export_controls"]),
    }
    direct = SovereigntyModel(**kwargs).run(3)
    assert outcomes["fragmentation"][0] == pytest.approx(direct.metrics["fragmentation"])
    assert outcomes["mean_trade"][0] == pytest.approx(direct.metrics["mean_trade"])


def test_ema_model_accepts_integer_uncertainties():
    from ema_workbench import perform_experiments

    model = analysis.ema_model("baseline", uncertainties={"cyber.patron_targets": (0, 3)}, steps=2)
    experiments, outcomes = perform_experiments(model, scenarios=2)
    assert len(experiments) == 2 and all(len(v) == 2 for v in outcomes.values())


# --- 8. memory stays flat ------------------------------------------------------------------------


@pytest.mark.parametrize(("workers", "window"), [(1, None), (2, None), (1, 3)])
def test_at_most_a_window_of_runs_is_in_flight(grid, tmp_path, workers, window):
    limit = window or 4 * workers
    executor = ThreadedExecutor(threads=32, delay=lambda run: 0.02, gate=limit)
    exp = write_experiment(tmp_path, replicates=5, steps=2)  # 20 runs
    with executor:
        summary = batch.run_batch(
            exp, tmp_path / "store", workers=workers, executor=executor, window=window
        )
    assert (summary.done, summary.failed) == (20, 0)
    assert len(executor.futures) == 20
    assert executor.max_active == limit
    for future in executor.futures:  # only a small status travels back
        result = future.result()
        assert set(result) <= {"run_id", "status", "seconds", "error"}
        assert len(json.dumps(result)) < 200


# --- 9. envelopes and final values ---------------------------------------------------------------


def test_envelopes_are_monotone_and_count_runs(grid):
    model = grid.tables["model"]
    env = analysis.envelopes(model, "fragmentation")
    quantiles = ["q05", "q25", "q50", "q75", "q95"]
    assert list(env.columns) == ["scenario", "step", *quantiles, "runs"]
    assert len(env) == 2 * (STEPS + 1)
    assert (env.runs == 4).all()
    values = env[quantiles].to_numpy()
    assert (np.diff(values, axis=1) >= 0).all()
    first = env.iloc[-1]
    scen = model[(model.scenario == first.scenario) & (model.step == first.step)].fragmentation
    assert first.q50 == pytest.approx(scen.median())
    assert first.q05 >= scen.min() and first.q95 <= scen.max()

    by_point = analysis.envelopes(model, "welfare", by=["scenario", XC], quantiles=(0.1, 0.9))
    assert list(by_point.columns) == ["scenario", XC, "step", "q10", "q90", "runs"]
    assert (by_point.runs == 2).all() and (by_point.q10 <= by_point.q90).all()


def test_final_values_has_one_row_per_run(grid):
    model = grid.tables["model"]
    final = analysis.final_values(model, ["fragmentation", "welfare"])
    assert list(final.columns) == [*DESIGN_COLUMNS, XC, "fragmentation", "welfare"]
    assert final.run_id.tolist() == list(range(8))
    last = model[model.step == STEPS].reset_index(drop=True)
    np.testing.assert_array_equal(final.fragmentation, last.fragmentation)
    np.testing.assert_array_equal(final.welfare, last.welfare)
    assert analysis.final_values(model, "welfare").shape == (8, 7)


# --- 10. Mesa's own batch runner -----------------------------------------------------------------


def test_mesa_batch_run_still_works():
    results = mesa.batch_run(
        SovereigntyModel,
        parameters={"collect_agents": False, "export_controls": [0.2, 0.8]},
        rng=[1, 2],
        max_steps=3,
        number_processes=1,
        display_progress=False,
    )
    df = pd.DataFrame(results)
    assert len(df) == 4
    assert sorted(zip(df.export_controls, df.rng, strict=True)) == [
        (0.2, 1),
        (0.2, 2),
        (0.8, 1),
        (0.8, 2),
    ]
    assert (df.Step == 3).all()
    row = df[(df.export_controls == 0.8) & (df.rng == 2)].iloc[0]
    direct = SovereigntyModel(export_controls=0.8, rng=2, collect_agents=False).run(3)
    assert row.fragmentation == direct.metrics["fragmentation"]
