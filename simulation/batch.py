"""Scenario batches: designs, replicates, a resumable on-disk store, any ``Executor``.

An *experiment* (TOML, e.g. ``scenarios/experiments/export-controls.toml``) names one or more
scenarios, a parameter design (full grid, Latin hypercube or Sobol/Saltelli through SALib) and a
number of replicates. Every (scenario, design point, replicate) is one *run* with a stable integer
id. Replicate seeds come from ``numpy.random.SeedSequence(seed).spawn(replicates)`` and are shared
by all scenarios and design points (common random numbers), so every result is identical whatever
the number of workers or the order in which runs finish.

Runs execute behind the ``concurrent.futures.Executor`` interface: in this process (one worker), a
local process pool, or Dask distributed (``Client.get_executor(pure=False)``). Each worker writes
its own results into the store, so nothing large travels back to the parent and its memory stays
flat however many runs there are::

    STORE/experiment.toml      the resolved experiment
    STORE/manifest.json        what the store holds (experiment name and hash, run count, version)
    STORE/design.parquet       one row per run: run_id, scenario, point, replicate, seed, parameters
    STORE/model/part-RUN.parquet    per-step model variables of each run
    STORE/agents/part-RUN.parquet   final agent variables of each run
    STORE/events/part-RUN.parquet   the event table of each run
    STORE/done/RUN.json        written last: the run is complete
    STORE/failed/RUN.json      the traceback and parameters of a failed run

Starting the same experiment again runs only what is missing (``--retry-failed`` also reruns the
failed ones); a different experiment is refused unless ``force`` is given.
"""

from __future__ import annotations

import concurrent.futures as cf
import functools
import hashlib
import itertools
import json
import os
import shutil
import time
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, overload

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from threadpoolctl import ThreadpoolController

from simulation import scenarios

if TYPE_CHECKING:
    from simulation.model import SovereigntyModel

TABLES = ("model", "agents", "events")
_STRICT = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


class BatchError(ValueError):
    """A problem with an experiment or a store, reported in one line."""


# --- the experiment file ---------------------------------------------------------------------------


class Range(BaseModel):
    """A continuous parameter range for Latin-hypercube and Sobol designs."""

    model_config = _STRICT
    low: float
    high: float


class Design(BaseModel):
    """How design points are drawn."""

    model_config = _STRICT
    method: Literal["grid", "lhs", "sobol"] = "grid"
    samples: Annotated[int, Field(ge=1, le=1_000_000)] = 16
    second_order: bool = False


class Outputs(BaseModel):
    """What each run keeps."""

    model_config = _STRICT
    agents: Literal["final", "none"] = "final"
    events: bool = True


class Experiment(BaseModel):
    """Scenarios x design x replicates."""

    model_config = _STRICT
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
    description: str = ""
    scenarios: Annotated[list[str], Field(min_length=1)]
    replicates: Annotated[int, Field(ge=1, le=100_000)] = 1
    seed: Annotated[int, Field(ge=0)] = 0
    steps: Annotated[int, Field(ge=1, le=100_000)] | None = None
    design: Design = Design()
    parameters: dict[str, list[float | int | str | bool] | Range] = Field(default_factory=dict)
    outputs: Outputs = Outputs()


@dataclass
class Run:
    """One run of a batch: what to build and where it belongs in the design.

    ``base`` is the model's keyword arguments without ``rng``; it is shared by all replicates of
    a design point, so a plan of many runs stays small.
    """

    run_id: int
    scenario: str
    point: int
    replicate: int
    seed: int
    values: dict[str, Any]
    base: dict[str, Any] = field(repr=False, default_factory=dict)
    steps: int = 100

    @property
    def kwargs(self) -> dict[str, Any]:
        """Return the keyword arguments of :class:`~simulation.model.SovereigntyModel`."""
        return {**self.base, "rng": self.seed}


def load_experiment(path: str | Path) -> tuple[Experiment, Path]:
    """Return the validated experiment in ``path`` (a file, or a name under scenarios/experiments)."""
    p = Path(path)
    if not p.suffix and not p.exists():
        for d in scenarios.scenario_dirs():
            candidate = d / "experiments" / f"{path}.toml"
            if candidate.is_file():
                p = candidate
                break
    raw = _read(p)
    raw.setdefault("name", p.stem)
    try:
        exp = Experiment.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(x) for x in err["loc"])
        raise BatchError(f"{p}: {key}: {err['msg'].lower()}, got {err.get('input')!r}") from None
    return exp, p


def _read(path: Path) -> dict[str, Any]:
    try:
        return scenarios.read_toml(path)
    except scenarios.ScenarioError as exc:
        raise BatchError(str(exc)) from None


def design_points(exp: Experiment) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Return the design points (dicts of parameter values) and the SALib problem if sampled.

    ``grid``: every combination of the listed values. ``lhs``: ``samples`` points of a Latin
    hypercube over the ranges (SALib ``latin``). ``sobol``: Saltelli's scheme, ``samples * (2D + 2)``
    points with second-order terms or ``samples * (D + 2)`` without (SALib ``sobol``).
    """
    names = list(exp.parameters)
    if not names:
        return [{}], None
    if exp.design.method == "grid":
        lists = []
        for name, spec in exp.parameters.items():
            if isinstance(spec, Range):
                raise BatchError(f"parameters.{name}: a grid needs a list of values, got a range")
            lists.append(spec)
        return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*lists)], None
    bounds = []
    for name, spec in exp.parameters.items():
        if not isinstance(spec, Range):
            raise BatchError(
                f"parameters.{name}: {exp.design.method} needs {{low = ..., high = ...}}"
            )
        if not spec.low < spec.high:
            raise BatchError(f"parameters.{name}: low must be below high")
        bounds.append([spec.low, spec.high])
    problem = {"num_vars": len(names), "names": names, "bounds": bounds}
    if exp.design.method == "lhs":
        from SALib.sample import latin

        x = latin.sample(problem, exp.design.samples, seed=exp.seed)
    else:
        from SALib.sample import sobol

        x = sobol.sample(
            problem, exp.design.samples, calc_second_order=exp.design.second_order, seed=exp.seed
        )
    return [dict(zip(names, (float(v) for v in row), strict=True)) for row in x], problem


def _set(raw: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    target = raw
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


class Plan(Sequence[Run]):
    """Every run of an experiment, made on demand in run-id order (a read-only sequence).

    Runs are numbered scenario first, then design point, then replicate:
    ``run_id = (scenario * points + point) * replicates + replicate``. The plan holds only the
    design points' sampled values and the replicate seeds; a run's model arguments are built (and
    validated) when the run is taken, once per design point for its consecutive replicates. So the
    plan, and the parent process of a batch, use the same memory for any number of replicates.
    Build it with :func:`plan`, which validates every design point first.
    """

    def __init__(self, exp: Experiment, exp_path: Path, points: list[dict[str, Any]]) -> None:
        self.exp, self.exp_path, self.points = exp, exp_path, points
        self.replicates = exp.replicates
        self.sources = {name: _scenario_path(name, exp_path) for name in exp.scenarios}
        self._raw = {name: scenarios.resolve_raw(path) for name, path in self.sources.items()}
        self._cell: tuple[int, dict[str, Any]] | None = None

    def __len__(self) -> int:
        return len(self.exp.scenarios) * len(self.points) * self.replicates

    @overload
    def __getitem__(self, index: int) -> Run: ...
    @overload
    def __getitem__(self, index: slice) -> list[Run]: ...
    def __getitem__(self, index: int | slice) -> Run | list[Run]:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"run {index} is not in the plan ({len(self)} runs)")
        cell, replicate = divmod(index, self.replicates)
        cached = self.cell(cell)
        return Run(
            index,
            cached["scenario"],
            cell % len(self.points),
            replicate,
            self.seed(replicate),
            cached["values"],
            cached["base"],
            cached["steps"],
        )

    def seed(self, replicate: int) -> int:
        """Return replicate ``replicate``'s seed: child ``replicate`` of ``SeedSequence(seed)``.

        ``SeedSequence(seed).spawn(n)[k]`` is ``SeedSequence(seed, spawn_key=(k,))``, so a seed is
        made on demand without spawning (and holding) all ``n``.
        """
        child = np.random.SeedSequence(self.exp.seed, spawn_key=(replicate,))
        return int(child.generate_state(1, dtype=np.uint32)[0])

    def cell(self, cell: int) -> dict[str, Any]:
        """Return a (scenario, design point) cell's name, values, model arguments and steps."""
        if self._cell is None or self._cell[0] != cell:
            self._cell = (cell, self._build(cell))
        return self._cell[1]

    def _build(self, cell: int) -> dict[str, Any]:
        index, point = divmod(cell, len(self.points))
        name = self.exp.scenarios[index]
        raw = json.loads(json.dumps(self._raw[name]))
        raw.setdefault("name", self.sources[name].stem)
        values = {}
        for key, value in self.points[point].items():
            if "." not in key:
                raise BatchError(
                    f"{self.exp_path}: parameters.{key}: expected SECTION.KEY, e.g. payoffs.export_controls"
                )
            values[key] = _integral(key, value)  # recorded as run
            _set(raw, key, values[key])
        if self.exp.steps is not None:
            _set(raw, "run.steps", self.exp.steps)
        try:
            scenario = scenarios.validate(raw, f"{self.exp_path} (scenario {name}, point {point})")
        except scenarios.ScenarioError as exc:
            raise BatchError(str(exc)) from None
        base = scenario.model_kwargs(0)  # one dict for all replicates of the point
        del base["rng"]
        base["collect_agents"] = False
        return {
            "scenario": scenario.name,
            "values": values,
            "base": base,
            "steps": scenario.run.steps,
        }

    def digest(self) -> str:
        """Return a hash of the experiment (seed and replicates included) and each cell's arguments."""
        h = hashlib.sha256(self.exp.model_dump_json().encode())
        for cell in range(len(self.exp.scenarios) * len(self.points)):
            c = self.cell(cell)
            h.update(
                json.dumps(
                    [c["scenario"], cell, c["base"], c["steps"]], sort_keys=True, default=str
                ).encode()
            )
        return h.hexdigest()

    def design_batches(self, rows: int = 1_000) -> Iterator[pa.RecordBatch]:
        """Yield the design table in batches of at most ``rows`` runs, in run-id order.

        One row per run: ``run_id, scenario, point, replicate, seed`` and the parameter values
        the run used. Made in batches so that writing it takes the same memory for any size.
        """
        for start in range(0, len(self), rows):
            runs = self[start : start + rows]
            columns: dict[str, Any] = {
                "run_id": [r.run_id for r in runs],
                "scenario": [r.scenario for r in runs],
                "point": [r.point for r in runs],
                "replicate": [r.replicate for r in runs],
                "seed": [r.seed for r in runs],
            }
            for key in self.exp.parameters:
                columns[key] = [r.values[key] for r in runs]
            yield pa.RecordBatch.from_pydict(columns)


def plan(exp: Experiment, exp_path: Path) -> tuple[Plan, dict[str, Any] | None]:
    """Return every run of the experiment (a :class:`Plan`) and the SALib problem if sampled.

    Every design point of every scenario is validated here, so a bad one fails before any run.
    """
    points, problem = design_points(exp)
    runs = Plan(exp, exp_path, points)
    for cell in range(len(exp.scenarios) * len(points)):
        runs.cell(cell)
    return runs, problem


def _integral(key: str, value: Any) -> Any:
    """Round sampled values of integer parameters (e.g. ``cyber.patron_targets``)."""
    section, _, name = key.rpartition(".")
    model = scenarios.SECTIONS.get(section)
    f = model.model_fields.get(name) if model else None
    if f is not None and isinstance(f.default, int) and not isinstance(f.default, bool):
        return round(value)
    return value


def _scenario_path(name: str, exp_path: Path) -> Path:
    local = exp_path.parent / name
    for candidate in (local, local.with_suffix(".toml"), exp_path.parent.parent / f"{name}.toml"):
        if candidate.is_file():
            return candidate
    try:
        return scenarios.find(name)
    except scenarios.ScenarioError as exc:
        raise BatchError(f"{exp_path}: scenarios: {exc}") from None


# --- running one run (in a worker) -----------------------------------------------------------------


def _atomic_parquet(table: pd.DataFrame | pa.Table, path: Path) -> None:
    if isinstance(table, pd.DataFrame):
        table = pa.Table.from_pandas(table, preserve_index=False)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def _write_design(runs: Plan, path: Path) -> None:
    """Write the design table (:meth:`Plan.design_batches`) atomically, batch by batch."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    batches = runs.design_batches()
    first = next(batches)
    with pq.ParquetWriter(tmp, first.schema) as writer:
        writer.write_batch(first)
        for batch in batches:
            writer.write_batch(batch)
    os.replace(tmp, path)


_EVENT_SCHEMA = pa.schema(
    [
        ("run_id", pa.int64()),
        ("step", pa.int64()),
        *((name, pa.string()) for name in ("event", "source", "target", "sector")),
        ("attributed", pa.bool_()),
        ("response", pa.string()),
        ("damage", pa.float64()),
    ]
)
"""The events table of a store: ``run_id`` and :data:`simulation.cyber.EVENT_COLUMNS`."""


@functools.cache
def _threadpools() -> ThreadpoolController:
    """Return this process's thread-pool controller (finding the libraries takes milliseconds)."""
    return ThreadpoolController()


def _agents_table(model: SovereigntyModel, run_id: int) -> pa.Table:
    """Return the final agent variables (:meth:`SovereigntyModel.policy_table`) as Arrow."""
    from simulation.model import PAYOFFS, POLICY

    n = model.world.n
    policies = list(zip(*(s.policy for s in model.states), strict=True))
    comps = model.evaluation.components
    return pa.table(
        {
            "run_id": np.full(n, run_id, dtype=np.int64),
            "step": np.full(n, model.steps, dtype=np.int64),
            "iso3": model.world.iso3.astype(str),
            **dict(zip(POLICY, (list(p) for p in policies), strict=True)),
            **{k: comps[k] for k in PAYOFFS},
        }
    )


def _model_table(model: SovereigntyModel, run_id: int) -> pa.Table:
    """Return the run's per-step model variables as an Arrow table, straight from the collector.

    The columns are those of :meth:`SovereigntyModel.model_dataframe` with ``run_id`` first;
    building them without pandas keeps the cost of writing a run small next to running it.
    """
    columns = model.datacollector.model_vars
    n = len(columns["changed"])
    return pa.table({"run_id": np.full(n, run_id, dtype=np.int64), "step": np.arange(n), **columns})


def execute(run: Run, store: str, outputs: dict[str, Any]) -> dict[str, Any]:
    """Run one model and write its tables into ``store``; never raise (failures are recorded).

    This is the function the executor calls; it returns only a small status dict.
    """
    from simulation.model import SovereigntyModel

    root = Path(store)
    start = time.perf_counter()
    name = f"{run.run_id:07d}"
    try:
        # one run per core: BLAS threads inside each run would only compete with the other workers
        with _threadpools().limit(limits=1, user_api="blas"):
            model = SovereigntyModel(**run.kwargs)
            model.run(run.steps)
        _atomic_parquet(_model_table(model, run.run_id), root / "model" / f"part-{name}.parquet")
        if outputs["agents"] == "final":
            _atomic_parquet(
                _agents_table(model, run.run_id), root / "agents" / f"part-{name}.parquet"
            )
        if outputs["events"]:
            events = [{"run_id": run.run_id, **e} for e in model.events]
            _atomic_parquet(
                pa.Table.from_pylist(events, schema=_EVENT_SCHEMA),
                root / "events" / f"part-{name}.parquet",
            )
        seconds = time.perf_counter() - start
        _write_json(root / "done" / f"{name}.json", {"run_id": run.run_id, "seconds": seconds})
        (root / "failed" / f"{name}.json").unlink(missing_ok=True)
        return {"run_id": run.run_id, "status": "done", "seconds": seconds}
    except Exception as exc:  # a failing run must not stop the batch
        record = {
            "run_id": run.run_id,
            "scenario": run.scenario,
            "point": run.point,
            "replicate": run.replicate,
            "seed": run.seed,
            "parameters": {k: _jsonable(v) for k, v in run.values.items()},
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(),
        }
        _write_json(root / "failed" / f"{name}.json", record)
        return {"run_id": run.run_id, "status": "failed", "error": record["error"]}


def _jsonable(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


# --- the store -------------------------------------------------------------------------------------


def prepare_store(store: Path, exp: Experiment, exp_path: Path, runs: Plan, force: bool) -> None:
    """Create or reopen a store; refuse one that holds a different experiment unless ``force``."""
    digest = runs.digest()
    manifest_path = store / "manifest.json"
    if store.exists() and not store.is_dir():
        raise BatchError(
            f"--store {store}: is a file; allowed: a new folder or a store of this experiment"
        )
    if manifest_path.exists():
        old = json.loads(manifest_path.read_text(encoding="utf-8"))
        if old.get("hash") != digest:
            if not force:
                raise BatchError(
                    f"--store {store}: holds experiment {old.get('experiment')!r} with other settings; "
                    "use another --store, or --force to discard it and start over"
                )
            shutil.rmtree(store)
    elif store.is_dir() and not _own_files_only(store):
        if not force:
            raise BatchError(
                f"--store {store}: folder is not empty and is not a sovsim store; use --force"
            )
        shutil.rmtree(store)
    for sub in (*TABLES, "done", "failed"):
        (store / sub).mkdir(parents=True, exist_ok=True)
    for stray in [*store.glob(".*.tmp-*"), *store.glob("*/.*.tmp-*")]:  # left by a kill
        stray.unlink(missing_ok=True)
    if not manifest_path.exists():
        _write_design(runs, store / "design.parquet")
        (store / "experiment.toml").write_bytes(exp_path.read_bytes())
        from simulation.cli import _version

        _write_json(
            manifest_path,
            {
                "experiment": exp.name,
                "hash": digest,
                "runs": len(runs),
                "design": exp.design.model_dump(),
                "parameters": list(exp.parameters),
                "scenarios": exp.scenarios,
                "replicates": exp.replicates,
                "seed": exp.seed,
                "sovsim": _version("sovsim"),
            },
        )


def _own_files_only(store: Path) -> bool:
    """Whether a folder without a manifest holds nothing but a store's first, unfinished files.

    The manifest is written last when a store is created, so a kill during creation leaves such a
    folder; it is safe to complete it.
    """
    own = {*TABLES, "done", "failed", "design.parquet", "experiment.toml"}
    for item in store.iterdir():
        if item.name.startswith(".") and ".tmp-" in item.name:
            continue
        if item.name not in own or (item.is_dir() and any(item.iterdir())):
            return False
    return True


def completed(store: Path) -> set[int]:
    """Return the ids of the runs whose results are complete."""
    return {int(p.stem) for p in (store / "done").glob("*.json")}


def failed(store: Path) -> set[int]:
    """Return the ids of the runs recorded as failed."""
    return {int(p.stem) for p in (store / "failed").glob("*.json")}


# --- running a batch -------------------------------------------------------------------------------


@dataclass
class BatchSummary:
    """What a batch call did."""

    store: Path
    total: int
    done: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    interrupted: bool = False


def run_batch(
    experiment: str | Path,
    store: str | Path,
    *,
    workers: int = 1,
    executor: cf.Executor | None = None,
    retry_failed: bool = False,
    force: bool = False,
    progress: bool = False,
    window: int | None = None,
) -> BatchSummary:
    """Run every missing run of ``experiment`` into ``store``; return what happened.

    ``workers`` sizes a local process pool (1 runs in this process); pass ``executor`` (any
    ``concurrent.futures.Executor``, e.g. Dask's ``client.get_executor(pure=False)``) to run
    elsewhere. At most ``window`` runs (default ``4 x workers``) are in flight at once, so memory
    stays flat for any number of runs.
    """
    exp, exp_path = load_experiment(experiment)
    runs, _ = plan(exp, exp_path)
    store = Path(store)
    prepare_store(store, exp, exp_path, runs, force)

    def todo(run_id: int) -> bool:  # checked on disk, so no set of run ids grows in memory
        name = f"{run_id:07d}.json"
        if (store / "done" / name).exists():
            return False
        return retry_failed or not (store / "failed" / name).exists()

    n_pending = sum(1 for i in range(len(runs)) if todo(i))
    pending = (runs[i] for i in range(len(runs)) if todo(i))
    summary = BatchSummary(store=store, total=len(runs), skipped=len(runs) - n_pending)
    outputs = exp.outputs.model_dump()
    start = time.perf_counter()
    from tqdm import tqdm

    bar = tqdm(total=n_pending, disable=not progress, unit="run", desc=exp.name)
    own_pool = executor is None and workers > 1
    pool = _process_pool(workers) if own_pool else executor
    try:
        if pool is None:
            for run in pending:
                _account(summary, execute(run, str(store), outputs))
                bar.update(1)
        else:
            limit = window or 4 * max(workers, 1)
            queue = pending
            inflight: set[cf.Future] = set()
            while True:
                for run in itertools.islice(queue, limit - len(inflight)):
                    inflight.add(pool.submit(execute, run, str(store), outputs))
                if not inflight:
                    break
                finished, inflight = cf.wait(inflight, return_when=cf.FIRST_COMPLETED)
                for fut in finished:
                    _account(summary, fut.result())
                    bar.update(1)
    except KeyboardInterrupt:
        summary.interrupted = True
    finally:
        bar.close()
        if own_pool:
            pool.shutdown(wait=not summary.interrupted, cancel_futures=True)
    summary.seconds = time.perf_counter() - start
    return summary


def _process_pool(workers: int) -> cf.ProcessPoolExecutor:
    """Return a local pool whose workers fork from a clean server that has imported sovsim.

    ``forkserver`` avoids forking this (possibly multi-threaded) process; the preload makes each
    worker start with the model already imported.
    """
    import multiprocessing

    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["simulation.batch", "simulation.model"])
    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx)


def _account(summary: BatchSummary, result: dict[str, Any]) -> None:
    if result["status"] == "done":
        summary.done += 1
    else:
        summary.failed += 1
        summary.errors.append(f"run {result['run_id']}: {result['error']}")


# --- reading a store -------------------------------------------------------------------------------


def load_batch(store: str | Path, table: str = "model") -> pd.DataFrame:
    """Return one table of a store as a tidy DataFrame joined with the design.

    Columns: ``run_id, scenario, point, replicate, seed``, the design's parameters, then the
    table's own columns (for ``model``: ``step`` and every metric). Only complete runs are read.
    """
    if table not in TABLES:
        raise BatchError(f"table {table!r}: allowed {', '.join(TABLES)}")
    store = Path(store)
    if not (store / "manifest.json").exists():
        raise BatchError(f"{store}: not a sovsim batch store (no manifest.json)")
    design = pd.read_parquet(store / "design.parquet")
    ids = sorted(completed(store))
    files = [store / table / f"part-{i:07d}.parquet" for i in ids]
    files = [f for f in files if f.exists()]
    if not files:
        return design.iloc[0:0]
    frames = [pd.read_parquet(f) for f in files]
    data = (
        pd.concat([f for f in frames if len(f)], ignore_index=True)
        if any(len(f) for f in frames)
        else frames[0]
    )
    if table == "events":  # True, False, or None for events that are not attacks
        data = data.astype({"attributed": "boolean"})
    return (
        design.merge(data, on="run_id", how="inner")
        .sort_values(["run_id"], kind="stable")
        .reset_index(drop=True)
    )
