"""Figures and self-contained HTML reports of sovsim results (``sovsim plot``, ``sovsim report``).

*Results* are either a **run folder** written by ``sovsim run`` (``model``, ``agents`` and
``events`` tables as Parquet or CSV, ``scenario.toml`` and ``metadata.json``) or a **batch store**
written by ``sovsim batch`` (recognised by its ``manifest.json`` and read with
:func:`simulation.batch.load_batch`). :func:`load_results` reads either into a :class:`Results`.

:data:`FIGURES` is the registry of figure kinds: each :class:`FigureKind` names the plotting
function of :mod:`simulation.plotting`, how to call it from loaded results, whether it applies to
runs, to batches or to both, and (for kinds that need a particular batch design) why it does not
apply to given results. :func:`default_kind` chooses the figure ``sovsim plot`` draws when no kind
is given; :func:`draw_figure` and :func:`save_figure` draw and write one figure.

:func:`build_report` returns one HTML page that needs nothing else: CSS inline, every figure a
base64 PNG, no external URL, every text that comes from data escaped. It shows the scenario (or
experiment) and its resolved TOML, the run metadata, a key-results table (the median and 90%
interval across runs of final-step outcomes, next to their mean at the start) and every figure that
applies, each with a caption that says how to read it. :func:`write_report` writes it atomically.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
import tomllib
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from simulation import __version__
from simulation.cli import SUMMARY_METRICS

RUN = "run"
BATCH = "batch"
SUFFIXES = (".png", ".svg", ".pdf")
"""File types :func:`save_figure` writes, chosen by the file's suffix."""

KEY_METRICS: tuple[str, ...] = SUMMARY_METRICS
"""Metrics of the key-results table (those of ``sovsim run``'s printed summary)."""

TABLE_NAMES = ("model", "agents", "events")


class ResultsError(ValueError):
    """A problem with results or figure options, reported in one line."""


# --- loading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Results:
    """The tables and provenance of a run folder or a batch store.

    Attributes
    ----------
    kind : {"run", "batch"}
        What the folder is.
    path : Path
        The folder.
    name : str
        Scenario name (run) or experiment name (batch).
    model, agents, events : DataFrame
        The tidy tables. A run has ``scenario, seed`` first and agents at every step; a batch has
        ``run_id, scenario, point, replicate, seed``, the design's parameters, and agents at the
        final step of each run only.
    source_text : str
        The resolved ``scenario.toml`` of a run, or the ``experiment.toml`` of a batch.
    metadata : dict
        ``metadata.json`` of a run; for a batch its ``manifest.json`` plus ``runs_done``,
        ``runs_failed`` and ``run_seconds`` (the summed time of the complete runs).
    design : DataFrame, optional
        A batch's ``design.parquet`` (one row per run).
    parameters : tuple of str
        The parameters a batch's design varies (empty for a run).
    """

    kind: Literal["run", "batch"]
    path: Path
    name: str
    model: pd.DataFrame
    agents: pd.DataFrame
    events: pd.DataFrame
    source_text: str
    metadata: dict[str, Any]
    design: pd.DataFrame | None = None
    parameters: tuple[str, ...] = ()

    @property
    def source_file(self) -> str:
        """Return the name of the file :attr:`source_text` comes from."""
        return "scenario.toml" if self.kind == RUN else "experiment.toml"

    @property
    def scenarios(self) -> list[str]:
        """Return the scenario names in the model table, in order of appearance."""
        return [str(s) for s in pd.unique(self.model["scenario"])]

    @property
    def method(self) -> str | None:
        """Return a batch's design method (``grid``, ``lhs``, ``sobol``); None for a run."""
        if self.kind == RUN:
            return None
        return str(self.metadata.get("design", {}).get("method", "grid"))

    @property
    def run_key(self) -> str:
        """Return the column that tells runs apart within a scenario: ``seed`` or ``run_id``."""
        return "seed" if self.kind == RUN else "run_id"

    @property
    def n_runs(self) -> int:
        """Return the number of runs in the model table."""
        return int(self.model.groupby(["scenario", self.run_key]).ngroups)


def _what_allowed() -> str:
    return (
        "allowed: a run folder written by 'sovsim run' or a batch store written by 'sovsim batch'"
    )


def _read_table(folder: Path, name: str) -> pd.DataFrame | None:
    for suffix, reader in ((".parquet", pd.read_parquet), (".csv", pd.read_csv)):
        path = folder / f"{name}{suffix}"
        if path.is_file():
            try:
                return reader(path)
            except (OSError, ValueError) as exc:
                raise ResultsError(f"{path}: cannot be read ({exc})") from None
    return None


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsError(f"{path}: not readable JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ResultsError(f"{path}: expected a JSON object")
    return data


def load_results(path: str | Path) -> Results:
    """Read a run folder or a batch store.

    Parameters
    ----------
    path : str or Path
        A folder written by ``sovsim run`` or ``sovsim batch``.

    Returns
    -------
    Results
        The tables, the scenario or experiment TOML and the metadata.

    Raises
    ------
    ResultsError
        If ``path`` is neither, cannot be read, or holds no complete run.
    """
    path = Path(path)
    if not path.exists():
        raise ResultsError(f"{path}: no such folder; {_what_allowed()}")
    if not path.is_dir():
        raise ResultsError(f"{path}: is a file; {_what_allowed()}")
    if (path / "manifest.json").is_file():
        return _load_batch(path)
    if (path / "metadata.json").is_file():
        return _load_run(path)
    raise ResultsError(
        f"{path}: neither a run folder (metadata.json) nor a batch store (manifest.json); "
        f"{_what_allowed()}"
    )


def _load_run(path: Path) -> Results:
    tables = {name: _read_table(path, name) for name in TABLE_NAMES}
    if tables["model"] is None:
        raise ResultsError(f"{path}: run folder without model.parquet or model.csv")
    metadata = _read_json(path / "metadata.json")
    scenario_path = path / "scenario.toml"
    source = scenario_path.read_text(encoding="utf-8") if scenario_path.is_file() else ""
    model = tables["model"]
    missing = [c for c in ("scenario", "seed", "step") if c not in model.columns]
    if missing:
        raise ResultsError(
            f"{path}: model table lacks columns {missing}; was it written by sovsim?"
        )
    if model.empty:
        raise ResultsError(f"{path}: the model table is empty")
    name = str(metadata.get("scenario") or model["scenario"].iloc[0])
    return Results(
        kind=RUN,
        path=path,
        name=name,
        model=model,
        agents=tables["agents"] if tables["agents"] is not None else pd.DataFrame(),
        events=tables["events"] if tables["events"] is not None else pd.DataFrame(),
        source_text=source,
        metadata=metadata,
    )


def _load_batch(path: Path) -> Results:
    from simulation import batch

    manifest = _read_json(path / "manifest.json")
    try:
        model = batch.load_batch(path, "model")
        agents = batch.load_batch(path, "agents")
        events = batch.load_batch(path, "events")
        design = pd.read_parquet(path / "design.parquet")
    except (OSError, ValueError) as exc:
        raise ResultsError(f"{path}: batch store cannot be read ({exc})") from None
    if "step" not in model.columns or model.empty:
        raise ResultsError(
            f"{path}: batch store holds no complete run yet; run 'sovsim batch' to finish it"
        )
    seconds = 0.0
    for marker in (path / "done").glob("*.json"):
        seconds += float(_read_json(marker).get("seconds", 0.0))
    metadata = {
        **manifest,
        "runs_done": len(batch.completed(path)),
        "runs_failed": len(batch.failed(path)),
        "run_seconds": round(seconds, 3),
    }
    source_path = path / "experiment.toml"
    source = source_path.read_text(encoding="utf-8") if source_path.is_file() else ""
    return Results(
        kind=BATCH,
        path=path,
        name=str(manifest.get("experiment", path.name)),
        model=model,
        agents=agents if "step" in agents.columns else pd.DataFrame(),
        events=events if "event" in events.columns else pd.DataFrame(),
        source_text=source,
        metadata=metadata,
        design=design,
        parameters=tuple(str(p) for p in manifest.get("parameters", [])),
    )


# --- figure options and the registry -------------------------------------------------------------


@dataclass(frozen=True)
class FigureOptions:
    """Choices a figure kind may honour; None means the kind's default.

    Attributes
    ----------
    metric : str, optional
        A model-table column (the outcome drawn).
    seed : int, optional
        The seed (run folder) or run id (batch) of a per-run figure such as the world map.
    step : int, optional
        The step of a per-step figure such as the world map.
    scenario : str, optional
        The scenario of a batch to draw, for kinds that show one scenario.
    threshold : float, optional
        PRIM: the runs whose final ``metric`` ends above it are the cases of interest.
    """

    metric: str | None = None
    seed: int | None = None
    step: int | None = None
    scenario: str | None = None
    threshold: float | None = None

    def given(self) -> list[str]:
        """Return the names of the options that are set."""
        names = ("metric", "seed", "step", "scenario", "threshold")
        return [k for k in names if getattr(self, k) is not None]


@dataclass(frozen=True)
class FigureKind:
    """One kind of figure: its plotting function and how to call it from results.

    Attributes
    ----------
    name : str
        The name used by ``sovsim plot --kind``.
    title : str
        Heading of the figure in a report.
    caption : str
        How to read the figure; ``{metric}`` is replaced by the metric drawn.
    function : callable
        The plotting function of :mod:`simulation.plotting`.
    call : callable
        ``call(results, options) -> Figure``: calls ``function`` with data from the results.
    applies_to : frozenset of str
        ``{"run"}``, ``{"batch"}`` or both.
    options : frozenset of str
        The :class:`FigureOptions` fields the kind honours.
    requires : callable, optional
        ``requires(results) -> str | None``: why the kind does not apply to these results (a
        batch without the needed design, say), or None if it does.
    default_metric : str, optional
        The metric drawn when ``options.metric`` is None (for the caption).
    per_scenario : callable, optional
        ``per_scenario(results) -> bool``: whether a report draws the kind once per scenario of
        a batch with several scenarios (for figures that show one scenario at a time).
    """

    name: str
    title: str
    caption: str
    function: Callable[..., Figure]
    call: Callable[[Results, FigureOptions], Figure]
    applies_to: frozenset[str]
    options: frozenset[str] = frozenset()
    requires: Callable[[Results], str | None] | None = None
    default_metric: str | None = None
    per_scenario: Callable[[Results], bool] | None = None

    def reason_not_applicable(self, results: Results) -> str | None:
        """Return why this kind cannot be drawn from ``results``, or None if it can."""
        if results.kind not in self.applies_to:
            plural = {RUN: "run folders", BATCH: "batch stores"}
            return f"applies to {' and '.join(plural[k] for k in sorted(self.applies_to))} only"
        return self.requires(results) if self.requires is not None else None

    def caption_for(self, options: FigureOptions) -> str:
        """Return the caption with the metric filled in."""
        metric = options.metric or self.default_metric or ""
        return self.caption.replace("{metric}", metric)


def _scenario_subset(results: Results, options: FigureOptions) -> tuple[pd.DataFrame, str]:
    """Return the model rows of one scenario (the chosen or the first) and its name."""
    name = options.scenario if options.scenario is not None else results.scenarios[0]
    return results.model[results.model["scenario"].astype(str) == name], name


def _check_metric(results: Results, metric: str) -> str:
    column = results.model.get(metric)
    if column is None or not pd.api.types.is_numeric_dtype(column):
        numeric = [
            c
            for c in results.model.columns
            if pd.api.types.is_numeric_dtype(results.model[c])
            and c not in ("seed", "step", "run_id", "point", "replicate", *results.parameters)
        ]
        shown = ", ".join(numeric[:12]) + (", ..." if len(numeric) > 12 else "")
        raise ResultsError(f"--metric {metric}: not a numeric model column; allowed e.g. {shown}")
    return metric


def _draw_timeseries(results: Results, options: FigureOptions) -> Figure:
    from simulation import plotting

    model = results.model
    if options.scenario is not None:
        model, _ = _scenario_subset(results, options)
    if options.metric is None:
        return plotting.plot_timeseries(model)
    return plotting.plot_timeseries(model, metrics=[_check_metric(results, options.metric)])


def _draw_bloc_shares(results: Results, options: FigureOptions) -> Figure:
    from simulation import plotting

    model, _ = _scenario_subset(results, options)
    return plotting.plot_bloc_shares(model)


def _draw_tradeoff(results: Results, options: FigureOptions) -> Figure:
    from simulation import plotting

    model = results.model
    if options.scenario is not None:
        model, _ = _scenario_subset(results, options)
    y = _check_metric(results, options.metric) if options.metric else "mean_security"
    return plotting.plot_tradeoff(model, y=y)


def _heatmap_axes(results: Results) -> tuple[str, str] | str:
    """Return the heatmap's (x, y) columns for a batch, or why it has none."""
    params = list(results.parameters)
    if results.method != "grid":
        return (
            f"needs a grid design; this store has a {results.method} design (sampled points do "
            "not form a grid)"
        )
    if len(params) >= 2:
        return params[0], params[1]
    if len(params) == 1 and len(results.scenarios) >= 2:
        return params[0], "scenario"
    return (
        "needs a grid over two parameters, or over one parameter and two or more scenarios; "
        f"this store varies {len(params)} parameter(s) in {len(results.scenarios)} scenario(s)"
    )


def _requires_heatmap(results: Results) -> str | None:
    axes = _heatmap_axes(results)
    return axes if isinstance(axes, str) else None


def _heatmap_per_scenario(results: Results) -> bool:
    axes = _heatmap_axes(results)
    return not isinstance(axes, str) and axes[1] != "scenario"


def _draw_heatmap(results: Results, options: FigureOptions) -> Figure:
    from simulation import plotting

    axes = _heatmap_axes(results)
    if isinstance(axes, str):
        raise ResultsError(f"--kind heatmap: {axes}")
    x, y = axes
    metric = _check_metric(results, options.metric or "fragmentation")
    model = results.model
    if y != "scenario" and (options.scenario is not None or len(results.scenarios) > 1):
        model, _ = _scenario_subset(results, options)
    return plotting.plot_heatmap(model, x=x, y=y, metric=metric)


FIGURES: dict[str, FigureKind] = {}
"""The registry of figure kinds, by name, in the order a report shows them."""


def register(kind: FigureKind) -> FigureKind:
    """Add a figure kind to :data:`FIGURES` (replacing one of the same name) and return it."""
    FIGURES[kind.name] = kind
    return kind


def _register_figures() -> None:
    """Register sovsim's figure kinds, in the order a report shows them."""
    from simulation import plotting

    both = frozenset({RUN, BATCH})
    register(
        FigureKind(
            name="timeseries",
            title="Outcomes over time",
            caption=(
                "Each panel is one outcome over the policy rounds (steps). The line is the median "
                "across runs (seeds, and for a batch also design points); the dark band holds the "
                "middle 50% of runs and the light band 90% of them. Narrow bands mean the runs "
                "agree (in a run folder they differ by chance alone, in a batch also by their "
                "parameters); a band that widens over time means runs diverge. "
                "Fragmentation is the share of potential digital exchange lost (0 none, 1 all)."
            ),
            function=plotting.plot_timeseries,
            call=_draw_timeseries,
            applies_to=both,
            options=frozenset({"metric", "scenario"}),
        )
    )
    register(
        FigureKind(
            name="bloc_shares",
            title="Bloc shares over time",
            caption=(
                "One panel per technology domain: the share of states aligned with each ecosystem "
                "at each step, stacked to 1 and averaged over runs. A growing band is a bloc "
                "gaining members; the hybrid band is states hedging between blocs at a dual-stack "
                "cost. For a batch the average also runs over all design points of the scenario."
            ),
            function=plotting.plot_bloc_shares,
            call=_draw_bloc_shares,
            applies_to=both,
            options=frozenset({"scenario"}),
            per_scenario=lambda results: True,
        )
    )
    register(
        FigureKind(
            name="tradeoff",
            title="Security against connectivity",
            caption=(
                "One point per run at its final step: connectivity (1 − fragmentation) on the x "
                "axis against {metric} on the y axis. Points up and to the right are better on "
                "both. The dashed line joins the Pareto frontier: runs that no other run beats "
                "on both axes at once. A frontier that falls steeply means security is bought "
                "with connectivity."
            ),
            function=plotting.plot_tradeoff,
            call=_draw_tradeoff,
            applies_to=both,
            options=frozenset({"metric", "scenario"}),
            default_metric="mean_security",
        )
    )
    register(
        FigureKind(
            name="heatmap",
            title="Final outcome over the parameter grid",
            caption=(
                "Each cell is one combination of the two swept values (parameter values on the "
                "axes, or scenarios on the vertical axis when only one parameter is swept); its "
                "colour and number are {metric} at the final step, averaged over the replicates "
                "(and over any further swept parameter). Read along a row to see the effect of the "
                "horizontal parameter with the other held fixed."
            ),
            function=plotting.plot_heatmap,
            call=_draw_heatmap,
            applies_to=frozenset({BATCH}),
            options=frozenset({"metric", "scenario"}),
            requires=_requires_heatmap,
            default_metric="fragmentation",
            per_scenario=_heatmap_per_scenario,
        )
    )
    register(
        FigureKind(
            name="world_map",
            title="Policies on the world map",
            caption=(
                "A tile-grid map: one equal square per state, placed roughly where its capital "
                "is (a cartogram, so small states count as much as large ones). Each panel "
                "colours the tiles by the state's ecosystem in one technology domain, the last "
                "by its data-localization level, at one step of one run (the last step of the "
                "first seed unless chosen; for a batch, the final step of one run). Regions of "
                "one colour are blocs; mixed neighbourhoods are where the internet splinters."
            ),
            function=plotting.plot_world_map,
            call=_draw_world_map,
            applies_to=both,
            options=frozenset({"seed", "step", "scenario"}),
            requires=_needs_agents,
        )
    )
    register(
        FigureKind(
            name="network",
            title="Interoperability network",
            caption=(
                "States as nodes (area by GDP, colour by the bloc a state chose in at least two "
                "of the three domains), linked by their realised digital exchange: gravity "
                "times interoperability (ecosystem compatibility times data-flow permission, "
                "the latter with the world's initial EU adequacy decisions). Each state keeps "
                "its strongest links; compatible states are drawn together, so separate "
                "clusters are separate internets. Last step of the first seed unless chosen."
            ),
            function=plotting.plot_network,
            call=_draw_network,
            applies_to=frozenset({RUN}),
            options=frozenset({"seed", "step"}),
            requires=_needs_agents,
        )
    )
    register(
        FigureKind(
            name="event_timeline",
            title="Cyber events over time",
            caption=(
                "One row per kind of event: state-sponsored attacks on each sector, those the "
                "victim attributed, criminal incidents, and joins and exits of the norm "
                "coalitions. A dot's area is the number of events in that step; dashed lines "
                "mark scheduled shocks. One run: the first seed (for a batch, the first run) "
                "unless chosen."
            ),
            function=plotting.plot_event_timeline,
            call=_draw_event_timeline,
            applies_to=both,
            options=frozenset({"seed", "scenario"}),
            requires=_needs_cyber,
        )
    )
    register(
        FigureKind(
            name="sobol",
            title="Sensitivity: Sobol indices",
            caption=(
                "How much of the variance of {metric} at the final step each varied parameter "
                "explains: S1 alone, ST together with its interactions with the others "
                "(Saltelli design, SALib; whiskers are 95% bootstrap intervals). A large ST "
                "marks an assumption the outcome hinges on; ST well above S1 means the "
                "parameter acts through interactions."
            ),
            function=plotting.plot_sobol,
            call=_draw_sobol,
            applies_to=frozenset({BATCH}),
            options=frozenset({"metric", "scenario"}),
            requires=_needs_sobol,
            default_metric="fragmentation",
            per_scenario=lambda results: True,
        )
    )
    register(
        FigureKind(
            name="prim",
            title="Scenario discovery: PRIM box",
            caption=(
                "Which parameter ranges lead to high {metric}? PRIM (EMA Workbench) finds a "
                "box of parameter values where runs that end with {metric} above the threshold "
                "(by default the highest quarter of runs) concentrate. Grey bars are each "
                "parameter's sampled range, coloured bars the box's limits. Coverage is the "
                "share of those runs inside the box, density the share of the box's runs that "
                "are among them."
            ),
            function=plotting.plot_prim,
            call=_draw_prim,
            applies_to=frozenset({BATCH}),
            options=frozenset({"metric", "threshold"}),
            requires=_needs_prim,
            default_metric="fragmentation",
        )
    )


def _scenario_of_run(results: Results) -> Any:
    """Return the validated scenario of a run folder (from its resolved ``scenario.toml``)."""
    from simulation import scenarios

    try:
        raw = tomllib.loads(results.source_text)
        return scenarios.validate(raw, results.path / "scenario.toml")
    except (tomllib.TOMLDecodeError, scenarios.ScenarioError) as exc:
        raise ResultsError(f"{results.path / 'scenario.toml'}: {exc}") from None


def _world_and_params(results: Results, seed: int) -> tuple[Any, Any]:
    """Return the world and payoff parameters of a run, built as the model builds them."""
    from simulation.model import SovereigntyModel

    scenario = _scenario_of_run(results)
    model = SovereigntyModel(**{**scenario.model_kwargs(seed), "collect_agents": False})
    return model.world, model.params


def _needs_agents(results: Results) -> str | None:
    needed = {"step", "iso3", "align_5g", "align_semiconductors", "align_ai", "localization"}
    if results.agents.empty or not needed <= set(results.agents.columns):
        what = "output.collect_agents = false" if results.kind == RUN else 'outputs.agents = "none"'
        return f"needs the agents table; these results have none ({what})"
    return None


def _pick_run(results: Results, options: FigureOptions) -> tuple[str, int]:
    """Return the scenario and the run (seed of a run folder, run id of a batch) to draw."""
    scenario = options.scenario if options.scenario is not None else results.scenarios[0]
    if results.kind == BATCH and options.scenario is None and options.seed is not None:
        match = results.model.loc[results.model["run_id"] == options.seed, "scenario"]
        scenario = str(match.iloc[0]) if len(match) else scenario  # a run id names its scenario
    model = results.model[results.model["scenario"].astype(str) == scenario]
    runs = [int(v) for v in pd.unique(model[results.run_key])]
    if options.seed is None:
        return scenario, runs[0]
    if options.seed not in runs:
        word = "seeds" if results.kind == RUN else f"run ids of scenario {scenario}"
        shown = ", ".join(str(r) for r in runs[:20]) + (", ..." if len(runs) > 20 else "")
        raise ResultsError(f"--seed {options.seed}: not in these results; {word}: {shown}")
    return scenario, int(options.seed)


def _last_step(results: Results, scenario: str, run: int) -> int:
    model = results.model
    rows = model[(model["scenario"].astype(str) == scenario) & (model[results.run_key] == run)]
    return int(rows["step"].max())


def _one_run(table: pd.DataFrame, results: Results, scenario: str, run: int) -> pd.DataFrame:
    rows = table[table["scenario"].astype(str) == scenario] if "scenario" in table else table
    return rows[rows[results.run_key] == run]


def _draw_world_map(results: Results, options: FigureOptions) -> Figure:
    from simulation import plotting

    scenario, run = _pick_run(results, options)
    agents = _one_run(results.agents, results, scenario, run)
    steps = sorted(int(s) for s in pd.unique(agents["step"]))
    if options.step is not None and options.step not in steps:
        where = f"steps {steps[0]} to {steps[-1]}" if len(steps) > 1 else f"step {steps[0]} only"
        kept = "" if results.kind == RUN else " (a batch keeps each run's final agents)"
        raise ResultsError(f"--step {options.step}: not in the agents table; it has {where}{kept}")
    if results.kind == RUN:
        world, _ = _world_and_params(results, run)
        return plotting.plot_world_map(agents, step=options.step, seed=run, world=world)
    # a batch's replicate seeds are shared by its design points: the run id names the run
    fig = plotting.plot_world_map(agents.drop(columns="seed"), step=options.step)
    fig.suptitle(f"{fig.get_suptitle()}, batch run {run}", fontsize=10)
    return fig


def _draw_network(results: Results, options: FigureOptions) -> Figure:
    from simulation import plotting

    scenario, seed = _pick_run(results, options)
    agents = _one_run(results.agents, results, scenario, seed)
    if options.step is not None and options.step not in set(agents["step"]):
        steps = sorted(int(s) for s in pd.unique(agents["step"]))
        raise ResultsError(f"--step {options.step}: allowed {steps[0]} to {steps[-1]}")
    world, params = _world_and_params(results, seed)
    try:
        return plotting.plot_network(
            agents, world=world, params=params, step=options.step, seed=seed
        )
    except ValueError as exc:  # e.g. an agents table that does not match the scenario's world
        raise ResultsError(f"{results.path}: {exc}") from None


def _needs_cyber(results: Results) -> str | None:
    if "incidents" not in results.model.columns:
        return "needs the cyber layer; these results ran without it (cyber.enabled = false)"
    if results.events.empty or "event" not in results.events.columns:
        return "needs the events table; these results have none"
    return None


def _draw_event_timeline(results: Results, options: FigureOptions) -> Figure:
    from simulation import plotting

    scenario, run = _pick_run(results, options)
    events = _one_run(results.events, results, scenario, run)
    last = _last_step(results, scenario, run)
    if results.kind == RUN:
        return plotting.plot_event_timeline(events, seed=run, last_step=last)
    # the run id names the run: a batch's replicate seeds are shared by its design points
    fig = plotting.plot_event_timeline(events.drop(columns="seed"), last_step=last)
    plotting.source_line(fig, scenario, 1, f"batch run {run}")
    return fig


def _needs_sobol(results: Results) -> str | None:
    if results.method != "sobol":
        return f"needs a sobol design; this store has a {results.method} design"
    return None


def _draw_sobol(results: Results, options: FigureOptions) -> Figure:
    from simulation import analysis, plotting
    from simulation.batch import BatchError

    metric = _check_metric(results, options.metric or "fragmentation")
    scenario = options.scenario if options.scenario is not None else results.scenarios[0]
    try:
        indices = analysis.sobol_indices(results.path, metric, scenario=scenario)
    except BatchError as exc:
        raise ResultsError(str(exc)) from None
    return plotting.plot_sobol(indices, metric=metric)


def _needs_prim(results: Results) -> str | None:
    import importlib.util

    if results.method not in ("lhs", "sobol") or not results.parameters:
        return (
            "needs a sampled design (lhs or sobol) over at least one parameter; this store has "
            f"a {results.method} design"
        )
    if importlib.util.find_spec("ema_workbench") is None:
        return "needs the EMA Workbench: pip install 'sovsim[ema]'"
    return None


def prim_threshold(results: Results, metric: str) -> float:
    """Return the default PRIM threshold: the 75% quantile of ``metric``'s final values.

    The cases of interest are then the quarter of runs with the highest final value.
    """
    return float(np.quantile(final_rows(results)[metric].to_numpy(dtype=float), 0.75))


def _draw_prim(results: Results, options: FigureOptions) -> Figure:
    from simulation import analysis, plotting
    from simulation.batch import BatchError

    metric = _check_metric(results, options.metric or "fragmentation")
    threshold = (
        options.threshold if options.threshold is not None else prim_threshold(results, metric)
    )
    try:
        with warnings.catch_warnings():  # the EMA Workbench announces an unused optional extra
            warnings.filterwarnings("ignore", "ipyparallel not installed", UserWarning)
            warnings.filterwarnings("ignore", "The inplace keyword", module="ema_workbench")
            box = analysis.prim_box(results.path, metric, threshold)
    except BatchError as exc:
        raise ResultsError(f"--threshold {threshold:.4g}: {exc}") from None
    return plotting.plot_prim(box, metric=f"final {metric} > {threshold:.3g}")


_register_figures()


def applicable_kinds(results: Results) -> list[str]:
    """Return the names of the figure kinds that apply to ``results``, in registry order."""
    return [n for n, k in FIGURES.items() if k.reason_not_applicable(results) is None]


DEFAULT_KINDS: dict[str, tuple[str, ...]] = {
    RUN: ("timeseries",),
    BATCH: ("sobol", "heatmap", "prim", "timeseries"),
}
"""Kinds ``sovsim plot`` tries, in order, when no kind is given; the first that applies is drawn.

A run shows its outcomes over time; a batch its design's main figure: Sobol indices for a Sobol
design, the heatmap for a grid, a PRIM box for a Latin hypercube, else outcomes over time.
"""


def default_kind(results: Results) -> str:
    """Return the figure kind drawn when none is given.

    Parameters
    ----------
    results : Results
        Loaded results.

    Returns
    -------
    str
        The first kind of :data:`DEFAULT_KINDS` for the results' kind that is registered and
        applies.
    """
    for name in DEFAULT_KINDS[results.kind]:
        kind = FIGURES.get(name)
        if kind is not None and kind.reason_not_applicable(results) is None:
            return name
    return "timeseries"


def check_options(results: Results, kind: str, options: FigureOptions) -> FigureKind:
    """Return the figure kind after checking that it applies and honours the given options.

    Raises
    ------
    ResultsError
        If the kind is unknown, does not apply to ``results``, or an option does not fit.
    """
    available = ", ".join(applicable_kinds(results)) or "none"
    what = f"this {results.kind} ({results.path})"
    spec = FIGURES.get(kind)
    if spec is None:
        raise ResultsError(f"--kind {kind}: unknown figure kind; available for {what}: {available}")
    reason = spec.reason_not_applicable(results)
    if reason is not None:
        raise ResultsError(f"--kind {kind}: {reason}; available for {what}: {available}")
    for option in options.given():
        if option not in spec.options:
            users = [n for n, k in FIGURES.items() if option in k.options]
            raise ResultsError(
                f"--{option}: not used by --kind {kind}; it applies to {', '.join(users) or 'no kind'}"
            )
    if options.scenario is not None and options.scenario not in results.scenarios:
        raise ResultsError(
            f"--scenario {options.scenario}: not in {what}; allowed: {', '.join(results.scenarios)}"
        )
    if options.metric is not None:
        _check_metric(results, options.metric)
    return spec


def draw_figure(results: Results, kind: str, options: FigureOptions | None = None) -> Figure:
    """Draw one figure kind from results.

    Parameters
    ----------
    results : Results
        Loaded results.
    kind : str
        A name in :data:`FIGURES`.
    options : FigureOptions, optional
        Metric, seed, step or scenario; the kind's defaults if omitted.

    Returns
    -------
    Figure
        The figure; the caller saves and closes it.

    Raises
    ------
    ResultsError
        If the kind does not apply or an option does not fit (see :func:`check_options`).
    """
    options = options or FigureOptions()
    spec = check_options(results, kind, options)
    return spec.call(results, options)


# --- writing files -------------------------------------------------------------------------------


def check_target(out: Path, force: bool = False, suffixes: Sequence[str] = SUFFIXES) -> None:
    """Check that ``out`` may be written: a known suffix, not a folder, not existing unless forced.

    Parameters
    ----------
    out : Path
        The file to write.
    force : bool
        Whether an existing file may be replaced.
    suffixes : sequence of str
        Allowed suffixes, lower case with the dot.

    Raises
    ------
    ResultsError
        If ``out`` may not be written.
    """
    if out.suffix.lower() not in suffixes:
        raise ResultsError(
            f"--out {out}: unsupported file type {out.suffix or '(none)'!r}; allowed: "
            + ", ".join(suffixes)
        )
    if out.is_dir():
        raise ResultsError(f"--out {out}: is a folder; give a file name ending in {out.suffix}")
    for parent in out.parents:
        if parent.exists() and not parent.is_dir():
            raise ResultsError(f"--out {out}: {parent} is a file, not a folder")
    if out.exists() and not force:
        raise ResultsError(f"--out {out}: file exists; use --force to replace it")


def check_dpi(dpi: int) -> None:
    """Check a figure resolution.

    Raises
    ------
    ResultsError
        Unless ``10 <= dpi <= 1200``.
    """
    if not 10 <= dpi <= 1200:
        raise ResultsError(f"--dpi {dpi}: allowed 10 to 1200")


def _atomic_write(out: Path, write: Callable[[Path], None]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}{out.suffix}")
    try:
        write(tmp)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def save_figure(fig: Figure, out: str | Path, dpi: int = 150, force: bool = False) -> Path:
    """Write a figure as PNG, SVG or PDF (by the suffix of ``out``), atomically.

    Parameters
    ----------
    fig : Figure
        The figure.
    out : str or Path
        Target file ending in ``.png``, ``.svg`` or ``.pdf``.
    dpi : int
        Resolution of a PNG (and of raster parts of SVG and PDF).
    force : bool
        Replace an existing file.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ResultsError
        For another suffix, or an existing file without ``force``.
    """
    out = Path(out)
    check_target(out, force, SUFFIXES)
    check_dpi(dpi)
    fmt = out.suffix.lower()[1:]
    _atomic_write(out, lambda tmp: fig.savefig(tmp, format=fmt, dpi=dpi))
    return out


# --- key results ---------------------------------------------------------------------------------


def _run_summaries(results: Results) -> dict[str, dict[str, Any]]:
    """Return :func:`simulation.cli.summarize` of each scenario, runs told apart by the run key."""
    from simulation.cli import summarize

    events = results.events
    if "event" not in events.columns:
        events = pd.DataFrame(
            {"seed": [], "event": [], "attributed": [], "response": []}, dtype=object
        )
    out = {}
    for name in results.scenarios:
        model = results.model[results.model["scenario"].astype(str) == name]
        ev = events[events["scenario"].astype(str) == name] if "scenario" in events else events
        if results.run_key != "seed":  # summarize tells runs apart by their seed
            model = model.assign(seed=model[results.run_key])
            if results.run_key in ev.columns:
                ev = ev.assign(seed=ev[results.run_key])
        out[name] = summarize(model, ev)
    return out


def final_rows(results: Results) -> pd.DataFrame:
    """Return the model row at the last step of every run.

    Runs stop early when no state changes for ``patience`` steps, so "final" is each run's own
    last collected step.
    """
    model = results.model
    keys = ["scenario", results.run_key]
    return model.loc[model.groupby(keys, sort=False)["step"].idxmax()].reset_index(drop=True)


def key_results(results: Results, metrics: Sequence[str] = KEY_METRICS) -> pd.DataFrame:
    """Return the key-results table: final outcomes across runs, per scenario.

    Parameters
    ----------
    results : Results
        Loaded results.
    metrics : sequence of str
        Model columns to summarise (those missing from the table are left out).

    Returns
    -------
    DataFrame
        One row per scenario and metric with columns ``scenario, metric, runs, start_mean,
        final_mean, final_q05, final_median, final_q95``: the mean at step 0 and the mean of the
        final values come from :func:`simulation.cli.summarize`; the median and the 90% interval
        (5% and 95% quantiles, linear interpolation) of the final values across runs are computed
        here.
    """
    summaries = _run_summaries(results)
    final = final_rows(results)
    rows = []
    for name, summary in summaries.items():
        runs = final[final["scenario"].astype(str) == name]
        for metric in metrics:
            if metric not in runs.columns:
                continue
            values = runs[metric].to_numpy(dtype=float)
            q05, q50, q95 = np.quantile(values, [0.05, 0.5, 0.95])
            rows.append(
                {
                    "scenario": name,
                    "metric": metric,
                    "runs": len(values),
                    "start_mean": summary["metrics"].get(metric, {}).get("start", np.nan),
                    "final_mean": summary["metrics"].get(metric, {}).get("end", np.nan),
                    "final_q05": float(q05),
                    "final_median": float(q50),
                    "final_q95": float(q95),
                }
            )
    return pd.DataFrame(rows)


def bloc_table(results: Results) -> pd.DataFrame:
    """Return the mean GDP share of each ecosystem option at the final step, per scenario.

    Returns
    -------
    DataFrame
        Columns ``scenario, domain, option, gdp_share`` (from :func:`simulation.cli.summarize`).
    """
    rows = []
    for name, summary in _run_summaries(results).items():
        for key, value in summary["gdp_shares_end"].items():
            option, domain = key.split("_", 1)
            rows.append({"scenario": name, "domain": domain, "option": option, "gdp_share": value})
    return pd.DataFrame(rows, columns=["scenario", "domain", "option", "gdp_share"])


def cyber_table(results: Results) -> pd.DataFrame:
    """Return the cyber-layer totals per scenario (empty when the layer was off).

    Returns
    -------
    DataFrame
        One row per scenario with the ``cyber`` entries of :func:`simulation.cli.summarize`.
    """
    rows = [
        {"scenario": name, **summary["cyber"]}
        for name, summary in _run_summaries(results).items()
        if "cyber" in summary
    ]
    return pd.DataFrame(rows)


# --- the HTML report -----------------------------------------------------------------------------

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto;
  max-width: 980px; padding: 1.5em; color: #1a1a1a; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 1.8em; }
.lead { color: #444; margin-top: 0; }
table { border-collapse: collapse; margin: 0.6em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #d0d0d0; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f2f2f2; }
details { margin: 0.6em 0; }
summary { cursor: pointer; font-weight: 600; }
pre { background: #f7f7f7; border: 1px solid #e0e0e0; padding: 0.8em; overflow-x: auto;
  font-size: 0.85em; }
figure { margin: 1.2em 0 2em; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #333; font-size: 0.92em; margin-top: 0.4em; }
.note { color: #8a4b00; }
footer { color: #666; font-size: 0.85em; margin-top: 3em; border-top: 1px solid #ccc; }
nav ul { columns: 2; }
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _num(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    if isinstance(value, bool | np.bool_):
        return str(value)
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        return f"{float(value):.{digits}f}"
    return _e(value)


def _table(
    header: Sequence[str] | None, rows: Sequence[Sequence[Any]], numeric: Sequence[bool]
) -> str:
    head = (
        "<thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in header) + "</tr></thead>"
        if header
        else ""
    )
    body = []
    for row in rows:
        cells = []
        for value, is_num in zip(row, numeric, strict=True):
            if is_num:
                cells.append(f'<td class="num">{_num(value)}</td>')
            else:
                cells.append(f"<td>{_e(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table>{head}<tbody>{''.join(body)}</tbody></table>"


def _description(results: Results) -> str:
    try:
        data = tomllib.loads(results.source_text) if results.source_text else {}
    except tomllib.TOMLDecodeError:
        return ""
    return str(data.get("description", ""))


def _metadata_rows(results: Results) -> list[tuple[str, str]]:
    m = results.metadata
    if results.kind == RUN:
        packages = m.get("packages", {})
        rows = [
            ("scenario", m.get("scenario", results.name)),
            ("scenario file", m.get("scenario_file", "")),
            ("scenario SHA-256", m.get("scenario_sha256", "")),
            ("seeds", ", ".join(str(s) for s in m.get("seeds", []))),
            ("steps", m.get("steps", "")),
            ("started (UTC)", m.get("started_utc", "")),
            ("wall time", f"{float(m.get('wall_seconds', float('nan'))):.2f} s"),
            ("command", " ".join(str(c) for c in m.get("command", []))),
            ("git revision", m.get("git_revision", "not recorded")),
            ("Python", m.get("python", "")),
            ("platform", m.get("platform", "")),
            ("packages", ", ".join(f"{k} {v}" for k, v in packages.items())),
        ]
    else:
        design = m.get("design", {})
        how = str(design.get("method", ""))
        if how != "grid":
            how += f", {design.get('samples')} samples"
        if how.startswith("sobol"):
            how += ", second order" if design.get("second_order") else ", first and total order"
        seeds = (
            sorted(int(s) for s in pd.unique(results.design["seed"]))
            if results.design is not None
            else []
        )
        rows = [
            ("experiment", m.get("experiment", results.name)),
            ("scenarios", ", ".join(str(s) for s in m.get("scenarios", []))),
            ("design", how),
            ("parameters", ", ".join(results.parameters) or "none"),
            ("replicates", m.get("replicates", "")),
            ("root seed", m.get("seed", "")),
            ("replicate seeds", ", ".join(str(s) for s in seeds)),
            (
                "runs",
                f"{m.get('runs_done', 0)} complete, {m.get('runs_failed', 0)} failed, "
                f"of {m.get('runs', '?')}",
            ),
            ("run time", f"{float(m.get('run_seconds', 0.0)):.2f} s summed over complete runs"),
            ("experiment hash", m.get("hash", "")),
            ("sovsim version", m.get("sovsim", "")),
            ("git revision", "not recorded in batch stores"),
        ]
    return [(k, str(v)) for k, v in rows]


def _design_table(results: Results) -> str:
    if results.design is None or not results.parameters:
        return ""
    rows = []
    for p in results.parameters:
        col = results.design[p]
        values = pd.unique(col)
        if len(values) <= 8:
            shown = ", ".join(_num(v) for v in sorted(values))
        else:
            shown = f"{len(values)} values from {_num(col.min())} to {_num(col.max())}"
        rows.append((p, shown))
    return "<h3>Design</h3>" + _table(["parameter", "values"], rows, [False, False])


def _figure_png(fig: Figure, dpi: int) -> tuple[str, int, int]:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    data = buffer.getvalue()
    width, height = (int.from_bytes(data[i : i + 4], "big") for i in (16, 20))  # PNG IHDR
    return base64.b64encode(data).decode("ascii"), width, height


@dataclass
class _Rendered:
    kind: str
    title: str
    caption: str
    png: str = ""
    width: int = 0
    height: int = 0
    note: str = ""
    anchor: str = field(default="")


def _report_figures(
    results: Results, dpi: int, kinds: Sequence[str] | None = None
) -> list[_Rendered]:
    import matplotlib.pyplot as plt

    from simulation.batch import BatchError

    jobs: list[tuple[str, FigureOptions, str]] = []
    for name in applicable_kinds(results) if kinds is None else kinds:
        spec = check_options(results, name, FigureOptions())
        several = len(results.scenarios) > 1
        if several and spec.per_scenario is not None and spec.per_scenario(results):
            jobs += [(name, FigureOptions(scenario=s), f" – {s}") for s in results.scenarios]
        else:
            jobs.append((name, FigureOptions(), ""))
    out = []
    for i, (name, options, suffix) in enumerate(jobs):
        spec = FIGURES[name]
        item = _Rendered(name, spec.title + suffix, spec.caption_for(options), anchor=f"fig-{i}")
        try:
            fig = spec.call(results, options)
        except (ResultsError, BatchError, ImportError) as exc:
            item.note = f"not drawn: {exc}"
        else:
            try:
                item.png, item.width, item.height = _figure_png(fig, dpi)
            finally:
                plt.close(fig)
        out.append(item)
    return out


def build_report(results: Results, dpi: int = 100, kinds: Sequence[str] | None = None) -> str:
    """Return a self-contained HTML report of results.

    Parameters
    ----------
    results : Results
        Loaded results (see :func:`load_results`).
    dpi : int
        Resolution of the embedded PNG figures.
    kinds : sequence of str, optional
        Figure kinds to include; every applicable kind by default (see
        :func:`applicable_kinds`). Kinds that show one scenario are drawn once per scenario of a
        batch with several.

    Returns
    -------
    str
        One HTML document: title, scenario (or experiment) with its resolved TOML, metadata, key
        results and every applicable figure as a base64 PNG with a caption. It refers to no
        external file or URL; all text from the results is escaped.
    """
    what = "Run" if results.kind == RUN else "Batch"
    subject = "scenario" if results.kind == RUN else "experiment"
    title = f"sovsim report: {results.name}"
    generated = datetime.now(UTC).isoformat(timespec="seconds")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f'<header><h1 id="title">{_e(title)}</h1>',
        f'<p class="lead">{what} of {subject} <strong id="name">{_e(results.name)}</strong>'
        + (f" ({_e(', '.join(results.scenarios))})" if results.kind == BATCH else "")
        + f", {results.n_runs} run{'s' if results.n_runs != 1 else ''}, read from "
        f"<code>{_e(results.path)}</code>.</p></header>",
    ]
    figures = _report_figures(results, dpi, kinds)
    toc = ["scenario", "metadata", "key-results"]
    names = {
        "scenario": subject.capitalize(),
        "metadata": "Metadata",
        "key-results": "Key results",
    }
    parts.append("<nav><h2>Contents</h2><ul>")
    parts += [f'<li><a href="#{a}">{_e(names[a])}</a></li>' for a in toc]
    parts += [f'<li><a href="#{f.anchor}">{_e(f.title)}</a></li>' for f in figures]
    parts.append("</ul></nav>")

    # scenario
    description = _description(results)
    parts.append(f'<section id="scenario"><h2>{_e(names["scenario"])}</h2>')
    parts.append(f"<p><strong>{_e(results.name)}</strong>" + (f": {_e(description)}</p>"))
    if results.kind == BATCH:
        parts.append(
            "<p>The experiment names its scenarios; each run is the named scenario with the "
            "design's parameter values set.</p>"
        )
        parts.append(_design_table(results))
    parts.append(
        f"<details><summary>{_e(results.source_file)} (resolved, as run)</summary>"
        f"<pre>{_e(results.source_text or '(not found in the results folder)')}</pre></details>"
    )
    parts.append("</section>")

    # metadata
    parts.append('<section id="metadata"><h2>Metadata</h2>')
    parts.append(_table(None, _metadata_rows(results), [False, False]))
    parts.append("</section>")

    # key results
    from simulation.plotting import metric_label

    parts.append('<section id="key-results"><h2>Key results</h2>')
    parts.append(
        "<p>Each outcome's mean over runs at the start (step 0) and its value at each run's final "
        "step across runs: mean, median and the 90% interval (5% to 95% quantile). Runs stop "
        "early when no state changes for the scenario's <code>patience</code> steps, so the final "
        "step is each run's own last one."
        + (
            " For a batch the runs of a scenario span all design points, so the interval mixes "
            "parameter values and chance."
            if results.kind == BATCH
            else ""
        )
        + "</p>"
    )
    table = key_results(results)
    multi = len(results.scenarios) > 1
    header = [*(["scenario"] if multi else []), "outcome", "runs", "start mean", "final mean"]
    header += ["final median", "90% interval"]
    rows = []
    for r in table.itertuples(index=False):
        interval = f"{_num(r.final_q05)} – {_num(r.final_q95)}"
        rows.append(
            [
                *([r.scenario] if multi else []),
                metric_label(r.metric),
                r.runs,
                r.start_mean,
                r.final_mean,
                r.final_median,
                interval,
            ]
        )
    numeric = [*([False] if multi else []), False, True, True, True, True, False]
    parts.append(_table(header, rows, numeric))
    blocs = bloc_table(results)
    if not blocs.empty:
        parts.append("<h3>Share of world GDP by ecosystem at the final step (mean over runs)</h3>")
        wide = blocs.pivot_table(
            index=["scenario", "domain"], columns="option", values="gdp_share", sort=False
        )
        options = list(wide.columns)
        brow = [
            [*([s] if multi else []), d, *(wide.loc[(s, d), o] for o in options)]
            for s, d in wide.index
        ]
        parts.append(
            _table(
                [*(["scenario"] if multi else []), "domain", *options],
                brow,
                [*([False] if multi else []), False, *([True] * len(options))],
            )
        )
    cyber = cyber_table(results)
    if not cyber.empty:
        parts.append("<h3>Cyber layer (per run, mean over runs)</h3>")
        labels = {
            "incidents_per_run": "incidents",
            "state_attacks_per_run": "state-sponsored attacks",
            "attribution_rate": "share attributed",
            "vendor_bans_per_run": "vendor bans",
            "budapest_members_end": "Budapest members at the end",
            "adequacy_pairs_end": "adequacy pairs at the end",
        }
        cols = [c for c in labels if c in cyber.columns]
        crow = [
            [*([r["scenario"]] if multi else []), *(r[c] for c in cols)]
            for _, r in cyber.iterrows()
        ]
        parts.append(
            _table(
                [*(["scenario"] if multi else []), *(labels[c] for c in cols)],
                crow,
                [*([False] if multi else []), *([True] * len(cols))],
            )
        )
    parts.append("</section>")

    # figures
    parts.append('<section id="figures"><h2>Figures</h2>')
    for f in figures:
        parts.append(f'<figure id="{f.anchor}" data-kind="{_e(f.kind)}"><h3>{_e(f.title)}</h3>')
        if f.png:
            parts.append(
                f'<img src="data:image/png;base64,{f.png}" width="{f.width}" '
                f'height="{f.height}" alt="{_e(f.title)}">'
            )
        else:
            parts.append(f'<p class="note">{_e(f.note)}</p>')
        parts.append(f"<figcaption>{_e(f.caption)}</figcaption></figure>")
    parts.append("</section>")
    parts.append(
        f"<footer><p>Generated {_e(generated)} by sovsim {_e(__version__)} "
        f"(<code>sovsim report {_e(results.path)}</code>).</p></footer></body></html>"
    )
    return "\n".join(parts) + "\n"


def write_report(results: Results, out: str | Path, force: bool = False, dpi: int = 100) -> Path:
    """Build the report of ``results`` and write it to ``out`` atomically.

    Parameters
    ----------
    results : Results
        Loaded results.
    out : str or Path
        Target file ending in ``.html`` (or ``.htm``).
    force : bool
        Replace an existing file.
    dpi : int
        Resolution of the embedded figures.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ResultsError
        For another suffix, or an existing file without ``force``.
    """
    out = Path(out)
    check_target(out, force, (".html", ".htm"))
    check_dpi(dpi)
    text = build_report(results, dpi=dpi)
    _atomic_write(out, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return out
