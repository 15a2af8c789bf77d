"""Figures of sovsim results, drawn with matplotlib from the tidy tables.

Every figure is a function ``plot_x(data, ax=None, ...) -> Figure`` that takes a tidy table (the
first four a model table: one row per scenario, seed and step, as
:meth:`SovereigntyModel.model_dataframe` with added ``scenario`` and ``seed`` columns or
:func:`simulation.batch.load_batch` produce it) and draws into ``ax`` if given, else into a new
figure. The data behind each figure is prepared by a pure function
``x_data(...) -> DataFrame`` that can be used and tested on its own:

* :func:`timeseries_data` / :func:`plot_timeseries`: outcomes over time with replicate bands;
* :func:`bloc_shares_data` / :func:`plot_bloc_shares`: stacked bloc shares per domain over time;
* :func:`tradeoff_data`, :func:`pareto_front` / :func:`plot_tradeoff`: security versus
  connectivity at the final step with the Pareto frontier;
* :func:`heatmap_data` / :func:`plot_heatmap`: a final outcome over a two-parameter sweep;
* :func:`world_map_data` / :func:`plot_world_map`: each state's alignment per domain and its
  localization level on a tile-grid world map (agents table);
* :func:`network_data` / :func:`plot_network`: the interoperability network of one policy profile
  (agents table or profile arrays, and the world);
* :func:`sensitivity_data` / :func:`plot_sobol`: Sobol indices of a batch
  (:func:`simulation.analysis.sobol_indices`), and :func:`prim_data` / :func:`plot_prim`: a PRIM
  box of scenario discovery (:func:`simulation.analysis.prim_box`);
* :func:`event_timeline_data` / :func:`plot_event_timeline`: cyber events per step (events table).

The world map is a *tile-grid cartogram*: one equal square per state on a hand-made grid that keeps
rough geography (``simulation/data/tile_grid.csv``, derived from the capitals' coordinates by
``scripts/make_tile_grid.py``, whose docstring gives the method). A tile grid needs no shape files
(nothing to download or ship, so it works offline), gives every state the same visual weight
whatever its area (Singapore counts as much as Russia in a model where each state is one agent),
and leaves room for a readable label in every tile. Synthetic worlds have no real geography: their
tiles follow the generated capital coordinates when the world is given (:func:`coordinate_grid`),
else a square grid ordered by alignment, and the figure says so.

Colours come from the colour-blind-safe Okabe–Ito palette, with a fixed colour per bloc
(:data:`BLOC_COLORS`) and per data-localization level (:data:`LOCALIZATION_COLORS`).
"""

from __future__ import annotations

import functools
import math
import textwrap
from collections.abc import Sequence
from importlib import resources
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator

from simulation import __version__, metrics
from simulation.cyber import SECTORS
from simulation.payoffs import PayoffParams
from simulation.world import DOMAINS, ECOSYSTEMS, LOCALIZATION, World, default_world

# --- style ---------------------------------------------------------------------------------------

OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
"""The Okabe–Ito colour-blind-safe palette (Okabe & Ito 2008)."""

BLOC_COLORS: dict[str, str] = {
    "us": OKABE_ITO["blue"],
    "cn": OKABE_ITO["vermillion"],
    "eu": OKABE_ITO["bluish_green"],
    "hybrid": OKABE_ITO["reddish_purple"],
}
"""Fixed colour per ecosystem option (bloc or hybrid hedge), the same in every figure."""

BLOC_LABELS: dict[str, str] = {
    "us": "US-led bloc",
    "cn": "China-led bloc",
    "eu": "EU rights-based regime",
    "hybrid": "Hybrid hedge",
}
"""Legend label per ecosystem option."""

LOCALIZATION_COLORS: dict[str, str] = dict(
    zip(
        LOCALIZATION,
        (OKABE_ITO["sky_blue"], OKABE_ITO["yellow"], OKABE_ITO["orange"], OKABE_ITO["black"]),
        strict=True,
    )
)
"""Fixed colour per data-localization level (open, conditional, sectoral, strict), light to dark."""

SCENARIO_CYCLE: tuple[str, ...] = (
    OKABE_ITO["black"],
    OKABE_ITO["orange"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["bluish_green"],
    OKABE_ITO["blue"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["yellow"],
)
"""Colours given to scenarios (or other groups) in order of appearance."""

DOMAIN_LABELS: dict[str, str] = {
    "5g": "5G networks",
    "semiconductors": "Semiconductor supply chains",
    "ai": "AI governance",
}
"""Panel title per technology domain."""

METRIC_LABELS: dict[str, str] = {
    "fragmentation": "Fragmentation (share of exchange lost, 0–1)",
    "fragmentation_technical": "Technical fragmentation (share lost, 0–1)",
    "fragmentation_data": "Data-flow fragmentation (share lost, 0–1)",
    "connectivity": "Connectivity, 1 − fragmentation (0–1)",
    "digital_trade": "Digital trade (share of potential, 0–1)",
    "mean_trade": "Mean trade payoff (0–1)",
    "mean_security": "Mean security payoff (utility units)",
    "mean_economy": "Mean economy payoff (utility units)",
    "mean_sovereignty": "Mean sovereignty payoff (0–1)",
    "mean_localization": "Mean localization level (0 open – 1 strict)",
    "welfare": "Welfare, mean utility (utility units)",
    "security_connectivity_balance": "Security–connectivity balance (−1 to 1)",
    "modularity": "Modularity of the trade network (Q)",
}
"""Axis label (with units) per model metric; other metrics fall back to their column name."""

QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)
"""Quantiles of the replicate bands: 90% interval, 50% interval and median."""

SOURCE_GID = "sovsim-source"
"""``gid`` of the source-line text artist, so that a figure holds at most one."""


def metric_label(metric: str) -> str:
    """Return the axis label (with units) of a model metric.

    Parameters
    ----------
    metric : str
        Column name of the model table.

    Returns
    -------
    str
        The label from :data:`METRIC_LABELS`, or the column name if it has none.
    """
    return METRIC_LABELS.get(metric, metric)


def source_line(
    fig: Figure,
    scenarios: str | Sequence[str] | None = None,
    runs: int | None = None,
    note: str | None = None,
) -> None:
    """Write a small source line in the bottom-left corner of a figure, replacing any previous one.

    Parameters
    ----------
    fig : Figure
        The figure to annotate.
    scenarios : str or sequence of str, optional
        Scenario name(s) shown in the figure.
    runs : int, optional
        Number of runs (scenario-seed pairs or batch runs) behind the figure.
    note : str, optional
        Extra text appended at the end.
    """
    parts = [f"sovsim {__version__}"]
    if scenarios is not None:
        names = [scenarios] if isinstance(scenarios, str) else [str(s) for s in scenarios]
        word = "scenario" if len(names) == 1 else "scenarios"
        parts.append(f"{word} {', '.join(names)}")
    if runs is not None:
        parts.append(f"{runs} run" + ("" if runs == 1 else "s"))
    if note:
        parts.append(note)
    for text in [t for t in fig.texts if t.get_gid() == SOURCE_GID]:
        text.remove()
    fig.text(
        0.01,
        0.005,
        ", ".join(parts),
        fontsize=7,
        color="0.4",
        ha="left",
        va="bottom",
        gid=SOURCE_GID,
    )


def scenario_colors(names: Sequence[str]) -> dict[str, str]:
    """Return a colour per scenario name, in order, cycling through :data:`SCENARIO_CYCLE`.

    Parameters
    ----------
    names : sequence of str
        Scenario (or group) names in the order they should be coloured.

    Returns
    -------
    dict
        Name to hex colour.
    """
    return {n: SCENARIO_CYCLE[i % len(SCENARIO_CYCLE)] for i, n in enumerate(names)}


# --- helpers -------------------------------------------------------------------------------------


def _run_keys(model: pd.DataFrame) -> list[str]:
    """Return the columns that identify one run: ``run_id`` if present, else scenario and seed."""
    if "run_id" in model.columns:
        return ["run_id"]
    return [c for c in ("scenario", "seed") if c in model.columns]


def _count_runs(model: pd.DataFrame) -> int:
    keys = _run_keys(model)
    return int(model.groupby(keys).ngroups) if keys else 1


def _final_rows(model: pd.DataFrame, extra: Sequence[str] = ()) -> pd.DataFrame:
    """Return the last step of each run (runs told apart by the run keys and ``extra`` columns)."""
    keys = _run_keys(model)
    if keys != ["run_id"]:
        keys = [*keys, *(c for c in extra if c not in keys)]
    if not keys:
        return model[model["step"] == model["step"].max()].reset_index(drop=True)
    return model.loc[model.groupby(keys)["step"].idxmax()].reset_index(drop=True)


def _require(model: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in model.columns]
    if missing:
        raise ValueError(f"missing columns {missing}; the table has {list(model.columns)[:12]} ...")


def _new_axes(
    ax: Axes | None, nrows: int = 1, ncols: int = 1, **kwargs
) -> tuple[Figure, np.ndarray]:
    """Return ``ax``'s figure and ``[ax]``, or a new figure with ``nrows x ncols`` axes."""
    if ax is not None:
        return ax.get_figure(), np.array([ax])
    fig, axes = plt.subplots(nrows, ncols, squeeze=False, layout="constrained", **kwargs)
    fig.get_layout_engine().set(rect=(0, 0.035, 1, 0.965))  # room for the source line
    return fig, axes.ravel()


def _scenario_names(model: pd.DataFrame, by: str) -> list[str]:
    return [str(s) for s in pd.unique(model[by])] if by in model.columns else []


# --- 1. time series with replicate bands -----------------------------------------------------------


def timeseries_data(
    model: pd.DataFrame,
    metrics: str | Sequence[str] = "fragmentation",
    by: str = "scenario",
    quantiles: Sequence[float] = QUANTILES,
) -> pd.DataFrame:
    """Return quantiles of metrics across runs, per group and step.

    Parameters
    ----------
    model : DataFrame
        Tidy model table with columns ``by``, ``step`` and the metrics; each row is one run at one
        step, so the rows of a group and step are its replicates.
    metrics : str or sequence of str
        Metric column(s).
    by : str
        Grouping column, usually ``"scenario"``.
    quantiles : sequence of float
        Quantiles to compute, in [0, 1]; linear interpolation as in :func:`numpy.quantile`.

    Returns
    -------
    DataFrame
        One row per metric, group and step, with columns ``metric, <by>, step``, one column per
        quantile named ``q05, q25, q50, ...`` and ``runs`` (rows behind the quantiles).
    """
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    _require(model, [by, "step", *metrics])
    names = [f"q{round(100 * q):02d}" for q in quantiles]
    frames = []
    for metric in metrics:
        grouped = model.groupby([by, "step"], sort=True)[metric]
        out = grouped.quantile(list(quantiles)).unstack()
        out.columns = names
        out["runs"] = grouped.count()
        out = out.reset_index()
        out.insert(0, "metric", metric)
        frames.append(out)
    return pd.concat(frames, ignore_index=True)


def plot_timeseries(
    model: pd.DataFrame,
    ax: Axes | None = None,
    metrics: str | Sequence[str] = ("fragmentation", "mean_security", "mean_trade"),
    by: str = "scenario",
) -> Figure:
    """Plot metrics over time per scenario: median line, 50% and 90% bands across runs.

    Parameters
    ----------
    model : DataFrame
        Tidy model table (see :func:`timeseries_data`).
    ax : Axes, optional
        Axes to draw into; then ``metrics`` must name a single metric. Without it, a new figure
        with one panel per metric.
    metrics : str or sequence of str
        Metric column(s) to plot.
    by : str
        Grouping column, usually ``"scenario"``.

    Returns
    -------
    Figure
        The figure holding the plot.
    """
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    if ax is not None and len(metrics) != 1:
        raise ValueError(f"with ax, plot one metric at a time (got {metrics})")
    data = timeseries_data(model, metrics, by=by)
    groups = _scenario_names(model, by)
    colors = scenario_colors(groups)
    fig, axes = _new_axes(ax, len(metrics), 1, sharex=True, figsize=(7, 2.4 * len(metrics) + 0.6))
    for axis, metric in zip(axes, metrics, strict=True):
        for group in groups:
            d = data[(data["metric"] == metric) & (data[by].astype(str) == group)]
            c = colors[group]
            axis.fill_between(d["step"], d["q05"], d["q95"], color=c, alpha=0.15, linewidth=0)
            axis.fill_between(d["step"], d["q25"], d["q75"], color=c, alpha=0.35, linewidth=0)
            axis.plot(d["step"], d["q50"], color=c, linewidth=1.8)
        axis.set_ylabel(textwrap.fill(metric_label(metric), 30))
        axis.grid(alpha=0.3)
    axes[-1].set_xlabel("Step (policy rounds)")
    handles = [Line2D([], [], color=colors[g], linewidth=1.8, label=g) for g in groups]
    handles += [
        Line2D([], [], color="0.3", linewidth=1.8, label="Median across runs"),
        Patch(color="0.3", alpha=0.35 + 0.15 * 0.65, label="50% of runs (q25–q75)"),
        Patch(color="0.3", alpha=0.15, label="90% of runs (q05–q95)"),
    ]
    style = {"handles": handles, "fontsize": 7, "title": by.capitalize(), "title_fontsize": 7}
    if ax is None:
        fig.legend(loc="outside right upper", **style)
    else:
        ax.legend(loc="best", **style)
    source_line(fig, groups or None, _count_runs(model))
    return fig


# --- 2. bloc shares --------------------------------------------------------------------------------


def bloc_shares_data(
    model: pd.DataFrame,
    domains: str | Sequence[str] | None = None,
    weight: str = "count",
) -> pd.DataFrame:
    """Return the mean share of each ecosystem option per step and domain, averaged over runs.

    Parameters
    ----------
    model : DataFrame
        Tidy model table with ``step`` and ``share_{option}_{domain}`` (or ``gdp_share_...``)
        columns, for a single scenario (average across scenarios is meaningless).
    domains : str or sequence of str, optional
        Domains to include; all of :data:`simulation.world.DOMAINS` by default.
    weight : {"count", "gdp"}
        Share of states (``share_...``) or of world GDP (``gdp_share_...``).

    Returns
    -------
    DataFrame
        Columns ``domain, step, option, share``, one row per domain, step and option (options in
        :data:`simulation.world.ECOSYSTEMS` order); shares sum to 1 per domain and step.
    """
    if weight not in ("count", "gdp"):
        raise ValueError(f"weight {weight!r}: allowed 'count' or 'gdp'")
    if "scenario" in model.columns and model["scenario"].nunique() > 1:
        raise ValueError("several scenarios in the table; select one before averaging bloc shares")
    domains = (
        list(DOMAINS)
        if domains is None
        else [domains]
        if isinstance(domains, str)
        else list(domains)
    )
    prefix = "share" if weight == "count" else "gdp_share"
    frames = []
    for domain in domains:
        if domain not in ECOSYSTEMS:
            raise ValueError(f"domain {domain!r}: allowed {', '.join(ECOSYSTEMS)}")
        options = list(ECOSYSTEMS[domain])
        columns = [f"{prefix}_{o}_{domain}" for o in options]
        _require(model, ["step", *columns])
        mean = model.groupby("step")[columns].mean()
        mean.columns = options
        long = mean.reset_index().melt(id_vars="step", var_name="option", value_name="share")
        long["option"] = pd.Categorical(long["option"], categories=options, ordered=True)
        long = long.sort_values(["step", "option"]).reset_index(drop=True)
        long["option"] = long["option"].astype(str)
        long.insert(0, "domain", domain)
        frames.append(long)
    return pd.concat(frames, ignore_index=True)


def plot_bloc_shares(
    model: pd.DataFrame,
    ax: Axes | None = None,
    domains: str | Sequence[str] | None = None,
    weight: str = "count",
) -> Figure:
    """Plot stacked areas of bloc shares over time, one panel per domain.

    Parameters
    ----------
    model : DataFrame
        Tidy model table of one scenario (see :func:`bloc_shares_data`).
    ax : Axes, optional
        Axes to draw into; then ``domains`` must name a single domain. Without it, a new figure
        with one panel per domain.
    domains : str or sequence of str, optional
        Domains to plot; all by default.
    weight : {"count", "gdp"}
        Share of states or of world GDP.

    Returns
    -------
    Figure
        The figure holding the plot.
    """
    data = bloc_shares_data(model, domains, weight)
    shown = list(pd.unique(data["domain"]))
    if ax is not None and len(shown) != 1:
        raise ValueError(f"with ax, plot one domain at a time (got {shown})")
    fig, axes = _new_axes(ax, 1, len(shown), sharey=True, figsize=(3.4 * len(shown), 3.4))
    unit = "Share of states (0–1)" if weight == "count" else "Share of world GDP (0–1)"
    for axis, domain in zip(axes, shown, strict=True):
        d = data[data["domain"] == domain]
        wide = d.pivot(index="step", columns="option", values="share")[list(ECOSYSTEMS[domain])]
        axis.stackplot(
            wide.index.to_numpy(),
            wide.to_numpy().T,
            colors=[BLOC_COLORS[o] for o in wide.columns],
            labels=[BLOC_LABELS[o] for o in wide.columns],
            alpha=0.9,
        )
        axis.set_title(DOMAIN_LABELS.get(domain, domain), fontsize=9)
        axis.set_xlabel("Step (policy rounds)")
        axis.set_ylim(0, 1)
        axis.set_xlim(wide.index.min(), max(wide.index.max(), wide.index.min() + 1))
    axes[0].set_ylabel(unit)
    options = [o for o in BLOC_COLORS if any(o in ECOSYSTEMS[d] for d in shown)]
    handles = [Patch(color=BLOC_COLORS[o], label=BLOC_LABELS[o]) for o in options]
    if ax is None:
        fig.legend(handles=handles, fontsize=7, loc="outside right upper", title="Alignment")
    else:
        ax.legend(handles=handles, fontsize=7, loc="best", title="Alignment")
    scen = _scenario_names(model, "scenario")
    source_line(fig, scen or None, _count_runs(model), "mean over runs")
    return fig


# --- 3. security versus connectivity -----------------------------------------------------------


def pareto_front(points: pd.DataFrame, x: str = "x", y: str = "y") -> pd.DataFrame:
    """Return the non-dominated points when maximizing both ``x`` and ``y``.

    A point is dominated if another point is at least as good in both coordinates and strictly
    better in one. Duplicates of a non-dominated point are all kept.

    Parameters
    ----------
    points : DataFrame
        Points, one per row, with numeric columns ``x`` and ``y`` (other columns are carried).
    x, y : str
        Names of the two columns to maximize.

    Returns
    -------
    DataFrame
        The non-dominated rows, sorted by ``x`` ascending (so ``y`` descends), original index kept.
    """
    _require(points, [x, y])
    if points.empty:
        return points.copy()
    xs = points[x].to_numpy(dtype=float)
    ys = points[y].to_numpy(dtype=float)
    order = np.lexsort((-ys, -xs))  # x descending, then y descending
    keep = np.zeros(len(points), dtype=bool)
    best_greater_x = -np.inf  # highest y among points with strictly greater x
    i = 0
    while i < len(order):
        j = i
        while j < len(order) and xs[order[j]] == xs[order[i]]:
            j += 1
        group = order[i:j]
        top = ys[group].max()
        if top > best_greater_x:
            keep[group[ys[group] == top]] = True
        best_greater_x = max(best_greater_x, top)
        i = j
    front = points[keep]
    return front.sort_values([x, y], ascending=[True, False], kind="stable")


def tradeoff_data(
    model: pd.DataFrame,
    x: str = "connectivity",
    y: str = "mean_security",
    level: str = "run",
) -> pd.DataFrame:
    """Return the final-step points of the security-versus-connectivity trade-off.

    Parameters
    ----------
    model : DataFrame
        Tidy model table.
    x : str
        Metric on the x axis; ``"connectivity"`` is ``1 - fragmentation``.
    y : str
        Metric on the y axis.
    level : {"run", "scenario"}
        One point per run (its final step), or per scenario (mean of its runs' final values).

    Returns
    -------
    DataFrame
        Columns: the run keys (``run_id`` or ``scenario, seed``; ``scenario`` alone at scenario
        level), ``x``, ``y`` and ``pareto`` (True for non-dominated points, maximizing both).
    """
    if level not in ("run", "scenario"):
        raise ValueError(f"level {level!r}: allowed 'run' or 'scenario'")
    final = _final_rows(model)
    if x == "connectivity":
        _require(final, ["fragmentation"])
        final = final.assign(connectivity=1.0 - final["fragmentation"])
    _require(final, [x, y])
    if level == "scenario":
        _require(final, ["scenario"])
        out = final.groupby("scenario", sort=False)[[x, y]].mean().reset_index()
    else:
        keys = [k for k in dict.fromkeys(["scenario", *_run_keys(final)]) if k in final.columns]
        out = final[[*keys, x, y]].reset_index(drop=True)
    out["pareto"] = out.index.isin(pareto_front(out, x, y).index)
    return out


def plot_tradeoff(
    model: pd.DataFrame,
    ax: Axes | None = None,
    x: str = "connectivity",
    y: str = "mean_security",
    level: str = "run",
) -> Figure:
    """Plot security against connectivity at the final step, with the Pareto frontier.

    Parameters
    ----------
    model : DataFrame
        Tidy model table.
    ax : Axes, optional
        Axes to draw into; a new figure without it.
    x, y, level
        As in :func:`tradeoff_data`.

    Returns
    -------
    Figure
        The figure holding the plot.
    """
    data = tradeoff_data(model, x, y, level)
    fig, (ax,) = _new_axes(ax, figsize=(5.5, 4.2))
    groups = _scenario_names(data, "scenario")
    colors = scenario_colors(groups)
    if groups:
        for g in groups:
            d = data[data["scenario"].astype(str) == g]
            ax.scatter(d[x], d[y], color=colors[g], s=28, alpha=0.8, label=g, edgecolors="none")
    else:
        ax.scatter(data[x], data[y], color=OKABE_ITO["black"], s=28, alpha=0.8, label="run")
    front = data[data["pareto"]].sort_values([x, y], ascending=[True, False])
    ax.plot(
        front[x],
        front[y],
        color="0.2",
        linestyle="--",
        linewidth=1.2,
        marker="o",
        markerfacecolor="none",
        markersize=9,
        label="Pareto frontier (non-dominated)",
    )
    ax.set_xlabel(metric_label(x))
    ax.set_ylabel(metric_label(y) + " at final step")
    ax.grid(alpha=0.3)
    what = "one point per run" if level == "run" else "one point per scenario (mean of runs)"
    ax.legend(fontsize=7, loc="best", title=what, title_fontsize=7)
    source_line(fig, groups or None, _count_runs(model), "final step")
    return fig


# --- 4. sweep heatmap ----------------------------------------------------------------------------


def heatmap_data(model: pd.DataFrame, x: str, y: str, metric: str) -> pd.DataFrame:
    """Return the mean final value of ``metric`` over replicates, pivoted over two parameters.

    Parameters
    ----------
    model : DataFrame
        Tidy model table of a sweep with parameter columns ``x`` and ``y`` (as
        :func:`simulation.batch.load_batch` returns it, or hand-made with ``seed``).
    x, y : str
        Parameter columns for the heatmap's columns and rows.
    metric : str
        Outcome column; its value at each run's last step is averaged over the replicates.

    Returns
    -------
    DataFrame
        Index: sorted values of ``y``; columns: sorted values of ``x``; cells: mean final
        ``metric`` (NaN where a combination has no run).
    """
    _require(model, [x, y, metric, "step"])
    final = _final_rows(model, extra=[x, y])
    table = final.groupby([y, x])[metric].mean().unstack(x)
    return table.sort_index().sort_index(axis=1)


def _tick(value: object) -> str:
    return f"{value:.3g}" if isinstance(value, float | np.floating) else str(value)


def plot_heatmap(
    model: pd.DataFrame,
    ax: Axes | None = None,
    *,
    x: str,
    y: str,
    metric: str = "fragmentation",
    cmap: str = "viridis",
    annotate: bool | None = None,
) -> Figure:
    """Plot a heatmap of a final outcome over a two-parameter sweep.

    Parameters
    ----------
    model : DataFrame
        Tidy sweep table (see :func:`heatmap_data`).
    ax : Axes, optional
        Axes to draw into; a new figure without it.
    x, y : str
        Parameter columns on the horizontal and vertical axes (keyword only).
    metric : str
        Outcome whose mean final value colours the cells.
    cmap : str
        Colour map; the default ``viridis`` is perceptually uniform and colour-blind safe.
    annotate : bool, optional
        Write the value in each cell; by default only when the grid is at most 8 by 8.

    Returns
    -------
    Figure
        The figure holding the plot.
    """
    table = heatmap_data(model, x, y, metric)
    fig, (ax,) = _new_axes(ax, figsize=(5.5, 4.4))
    values = np.ma.masked_invalid(table.to_numpy(dtype=float))
    image = ax.imshow(values, origin="lower", aspect="auto", cmap=cmap, interpolation="nearest")
    ax.set_xticks(range(table.shape[1]), [_tick(v) for v in table.columns])
    ax.set_yticks(range(table.shape[0]), [_tick(v) for v in table.index])
    ax.set_xlabel(f"{x} (parameter value)")
    ax.set_ylabel(f"{y} (parameter value)")
    bar = fig.colorbar(image, ax=ax)
    bar.set_label(f"{metric_label(metric)}\nat final step, mean over replicates", fontsize=8)
    if annotate is None:
        annotate = max(table.shape) <= 8
    if annotate and values.count():
        mid = 0.5 * (float(values.min()) + float(values.max()))
        for (i, j), v in np.ndenumerate(table.to_numpy(dtype=float)):
            if np.isfinite(v):
                color = "black" if v > mid else "white"  # viridis is light at the top
                ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=7, color=color)
    scen = _scenario_names(model, "scenario")
    source_line(fig, scen or None, len(_final_rows(model, extra=[x, y])), "final step")
    return fig


# --- shared: one run of an agents or events table ------------------------------------------------


def _select_run(
    table: pd.DataFrame, seed: int | None = None, what: str = "table"
) -> tuple[pd.DataFrame, int | None]:
    """Return the rows of one run of a tidy agents or events table, and its seed.

    The table may hold one scenario only. With a ``seed`` column, ``seed`` picks the run (by
    default the first seed in the table's order); a table with several ``run_id`` values for that
    seed (a batch store's table) must be narrowed to one run first.
    """
    if "scenario" in table.columns and table["scenario"].nunique() > 1:
        raise ValueError(f"several scenarios in the {what}; select one first")
    chosen: int | None = None
    if "seed" in table.columns and len(table):
        seeds = list(pd.unique(table["seed"]))
        chosen = seeds[0] if seed is None else seed
        if chosen not in seeds:
            raise ValueError(f"seed {seed!r} is not in the {what}; it has seeds {seeds}")
        table = table[table["seed"] == chosen]
        chosen = int(chosen)
    elif seed is not None:
        raise ValueError(f"seed {seed!r} given but the {what} has no seed column")
    if "run_id" in table.columns and table["run_id"].nunique() > 1:
        raise ValueError(
            f"{table['run_id'].nunique()} runs (run_id) in the {what} for this seed; select one"
        )
    return table, chosen


# --- 5. world map: a tile-grid cartogram ---------------------------------------------------------

MAP_LAYERS: tuple[str, ...] = (*DOMAINS, "localization")
"""Layers of the world map: the alignment in each domain, then the localization level."""

LAYOUTS: dict[str, str] = {
    "tile grid": "tile-grid cartogram: one tile per state, placed after its capital",
    "coordinates": "tiles placed by the world's capital coordinates (rows by latitude rank, "
    "columns by longitude within a row), not real geography",
    "bloc order": "tiles in a square grid ordered by 5G, semiconductor and AI alignment, "
    "no geography",
}
"""How :func:`world_map_data` places tiles, and the note each layout gets in the figure."""


@functools.cache
def _tile_grid() -> pd.DataFrame:
    with (resources.files("simulation") / "data" / "tile_grid.csv").open(encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype={"iso3": str, "row": np.int64, "col": np.int64})


def tile_grid() -> pd.DataFrame:
    """Return the tile grid of the default world: ``iso3, row, col`` (row 0 north, col 0 west).

    Made by ``scripts/make_tile_grid.py`` from the capitals' coordinates in ``states.csv``.
    """
    return _tile_grid().copy()


def coordinate_grid(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Return ``(N, 2)`` tile cells ``(row, col)`` from coordinates, for worlds without a grid.

    With ``c = ceil(sqrt(2 N))`` columns (a map twice as wide as high), states sorted by latitude
    (north first, ties by input order) fill rows of ``c``; within a row they are ordered by
    longitude (west first). Deterministic, ``O(N log N)``, and it keeps the north-south order
    exactly and the east-west order within each band.

    Parameters
    ----------
    lat, lon : numpy.ndarray
        Latitude and longitude of each state, in degrees.

    Returns
    -------
    numpy.ndarray
        Integer ``(row, col)`` per state, in input order.
    """
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    n = len(lat)
    cols = max(1, math.ceil(math.sqrt(2 * n)))
    by_lat = np.argsort(-lat, kind="stable")
    out = np.empty((n, 2), dtype=np.int64)
    for row, start in enumerate(range(0, n, cols)):
        band = by_lat[start : start + cols]
        band = band[np.argsort(lon[band], kind="stable")]
        out[band, 0] = row
        out[band, 1] = np.arange(len(band))
    return out


def _bloc_order_grid(states: pd.DataFrame) -> np.ndarray:
    """Square grid, row-major, states ordered by their option indices per domain, then iso3."""
    keys = [
        states[f"align_{d}"].map({o: k for k, o in enumerate(ECOSYSTEMS[d])}).to_numpy()
        for d in DOMAINS
    ]
    order = np.lexsort((states["iso3"].to_numpy(), *keys[::-1]))
    cols = max(1, math.ceil(math.sqrt(len(states))))
    out = np.empty((len(states), 2), dtype=np.int64)
    out[order, 0] = np.arange(len(states)) // cols
    out[order, 1] = np.arange(len(states)) % cols
    return out


def world_map_data(
    agents: pd.DataFrame,
    step: int | None = None,
    seed: int | None = None,
    world: World | None = None,
) -> pd.DataFrame:
    """Return each state's tile and policy at one step of one run, for the world map.

    Tiles come from the default world's tile grid (:func:`tile_grid`) when it has every state of
    the table; otherwise from ``world``'s capital coordinates (:func:`coordinate_grid`, e.g. for
    a synthetic world), else from a square grid ordered by alignment. ``attrs["layout"]`` names
    the rule (a key of :data:`LAYOUTS`), ``attrs["step"]`` and ``attrs["seed"]`` the selection.

    Parameters
    ----------
    agents : DataFrame
        Agents table (:meth:`SovereigntyModel.agent_dataframe`, or ``agents.parquet`` of a run,
        with ``scenario`` and ``seed`` columns): ``step, iso3, align_5g, align_semiconductors,
        align_ai, localization`` with option names as values. One scenario.
    step : int, optional
        Step to show; the run's last step by default.
    seed : int, optional
        Run to show, by its ``seed``; the first seed in the table by default.
    world : World, optional
        The world of the run, needed only to place the tiles of states not in the tile grid.

    Returns
    -------
    DataFrame
        One row per state, sorted by tile: ``iso3, row, col, align_5g, align_semiconductors,
        align_ai, localization``.
    """
    columns = ["step", "iso3", *(f"align_{d}" for d in DOMAINS), "localization"]
    _require(agents, columns)
    rows, chosen_seed = _select_run(agents, seed, "agents table")
    if rows.empty:
        raise ValueError("the agents table is empty (was collect_agents off?)")
    steps = sorted(rows["step"].unique().tolist())
    chosen_step = steps[-1] if step is None else step
    if chosen_step not in steps:
        raise ValueError(f"step {step!r} is not in the agents table; it has steps 0 to {steps[-1]}")
    states = rows.loc[rows["step"] == chosen_step, columns[1:]].reset_index(drop=True)
    if states["iso3"].duplicated().any():
        raise ValueError("a state appears twice at this step; select one run first")
    grid = _tile_grid()
    if states["iso3"].isin(grid["iso3"]).all():
        out = grid.merge(states, on="iso3", how="inner")
        layout = "tile grid"
    else:
        coords = None
        if world is not None and {"capital_lat", "capital_lon"} <= set(world.table.columns):
            table = world.table.set_index("iso3")
            if states["iso3"].isin(table.index).all():
                coords = table.loc[states["iso3"], ["capital_lat", "capital_lon"]].to_numpy(float)
        if coords is not None:
            cells, layout = coordinate_grid(coords[:, 0], coords[:, 1]), "coordinates"
        else:
            cells, layout = _bloc_order_grid(states), "bloc order"
        out = states.assign(row=cells[:, 0], col=cells[:, 1])
        out = out[["iso3", "row", "col", *columns[2:]]]
    out = out.sort_values(["row", "col"], kind="stable").reset_index(drop=True)
    out.attrs.update(layout=layout, step=int(chosen_step), seed=chosen_seed)
    return out


def relative_luminance(color: str | tuple[float, ...]) -> float:
    """Return the WCAG 2 relative luminance of a colour, from 0 (black) to 1 (white).

    Parameters
    ----------
    color : str or tuple
        Any matplotlib colour.

    Returns
    -------
    float
        ``0.2126 R + 0.7152 G + 0.0722 B`` of the linearised sRGB channels.
    """
    c = np.asarray(to_rgb(color), dtype=float)
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(lin @ np.array([0.2126, 0.7152, 0.0722]))


def text_color_for(fill: str | tuple[float, ...]) -> str:
    """Return ``"black"`` or ``"white"``, whichever contrasts more with ``fill`` (WCAG 2 ratio).

    Parameters
    ----------
    fill : str or tuple
        Background colour.

    Returns
    -------
    str
        ``"black"`` if ``(L + 0.05) / 0.05 >= 1.05 / (L + 0.05)``, else ``"white"``.
    """
    lum = relative_luminance(fill)
    return "black" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "white"


def _layer_colors(layer: str) -> tuple[dict[str, str], dict[str, str], str]:
    """Return colours, legend labels and the panel title of a map layer."""
    if layer == "localization":
        labels = {lvl: lvl.capitalize() for lvl in LOCALIZATION}
        return dict(LOCALIZATION_COLORS), labels, "Data localization"
    options = ECOSYSTEMS[layer]
    return (
        {o: BLOC_COLORS[o] for o in options},
        {o: BLOC_LABELS[o] for o in options},
        DOMAIN_LABELS.get(layer, layer),
    )


def _draw_tiles(ax: Axes, data: pd.DataFrame, layer: str, note: str | None) -> None:
    colors, labels, title = _layer_colors(layer)
    column = layer if layer == "localization" else f"align_{layer}"
    fills = [colors[v] for v in data[column]]
    tiles = [
        Rectangle((c - 0.46, -r - 0.46), 0.92, 0.92)
        for r, c in zip(data["row"], data["col"], strict=True)
    ]
    ax.add_collection(PatchCollection(tiles, facecolors=fills, edgecolors="white", linewidths=0.5))
    n_cols = int(data["col"].max()) + 1
    if len(data) <= 200:
        size = 5.5 if n_cols <= 20 else 4.0
        for code, r, c, fill in zip(data["iso3"], data["row"], data["col"], fills, strict=True):
            ax.text(
                c, -r, code, ha="center", va="center", fontsize=size, color=text_color_for(fill)
            )
    ax.set_xlim(-0.6, n_cols - 0.4)
    ax.set_ylim(-data["row"].max() - 0.6, 0.6)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(title if note is None else f"{title}\n({note})", fontsize=9)
    handles = [Patch(color=colors[k], label=labels[k]) for k in colors]
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=2,
        fontsize=7,
        frameon=False,
    )


def plot_world_map(
    agents: pd.DataFrame,
    ax: Axes | None = None,
    *,
    layer: str | None = None,
    step: int | None = None,
    seed: int | None = None,
    world: World | None = None,
) -> Figure:
    """Plot a tile-grid map of alignments per domain and of localization levels.

    Parameters
    ----------
    agents : DataFrame
        Agents table of one scenario (see :func:`world_map_data`).
    ax : Axes, optional
        Axes to draw into; then ``layer`` must name one layer. Without it, a new figure with one
        panel per layer of :data:`MAP_LAYERS` (or only ``layer``).
    layer : {"5g", "semiconductors", "ai", "localization"}, optional
        The layer to draw; all four by default.
    step, seed, world
        As in :func:`world_map_data`.

    Returns
    -------
    Figure
        The figure holding the map.
    """
    if layer is not None and layer not in MAP_LAYERS:
        raise ValueError(f"layer {layer!r}: allowed {', '.join(MAP_LAYERS)}")
    if ax is not None and layer is None:
        raise ValueError(f"with ax, draw one layer at a time (layer= one of {MAP_LAYERS})")
    data = world_map_data(agents, step, seed, world)
    layers = list(MAP_LAYERS) if layer is None else [layer]
    n_cols = int(data["col"].max()) + 1
    n_rows = int(data["row"].max()) + 1
    grid_cols = 2 if len(layers) > 1 else 1
    grid_rows = math.ceil(len(layers) / grid_cols)
    width = 4.6 * grid_cols
    height = grid_rows * (4.6 * n_rows / n_cols + 1.1) + 0.4
    fig, axes = _new_axes(ax, grid_rows, grid_cols, figsize=(width, height))
    layout = data.attrs["layout"]
    note = None if layout == "tile grid" else "tiles not geographic"
    for axis, name in zip(axes, layers, strict=True):
        _draw_tiles(axis, data, name, note)
    where = f"step {data.attrs['step']}"
    if data.attrs["seed"] is not None:
        where += f", seed {data.attrs['seed']}"
    if ax is None:
        fig.suptitle(f"Policies at {where}", fontsize=10)
    scen = _scenario_names(agents, "scenario")
    source_line(fig, scen or None, 1, f"{where}; {LAYOUTS[layout]}")
    return fig


# --- 6. interoperability network -----------------------------------------------------------------

MIXED_COLOR = "#BBBBBB"
"""Node colour of a state with no majority bloc (three different options)."""

NETWORK_GROUPS: tuple[str, ...] = ("majority", *DOMAINS)
"""What colours the network's nodes: the majority bloc or the bloc in one domain."""


def _profile_arrays(
    world: World,
    profile: pd.DataFrame | tuple[np.ndarray, np.ndarray],
    step: int | None,
    seed: int | None,
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Return ``(align, loc)`` integer arrays in world order, and what was selected."""
    if not isinstance(profile, pd.DataFrame):
        align, loc = (np.asarray(a, dtype=np.int64) for a in profile)
        if align.shape != (world.n, len(DOMAINS)) or loc.shape != (world.n,):
            raise ValueError(
                f"profile arrays of shape {align.shape} and {loc.shape}; the world has "
                f"{world.n} states: allowed ({world.n}, {len(DOMAINS)}) and ({world.n},)"
            )
        return align, loc, {}
    data = world_map_data(profile, step, seed)
    missing = sorted(set(world.iso3) - set(data["iso3"]))
    if missing or len(data) != world.n:
        raise ValueError(
            f"the agents table does not match the world: {len(data)} states, missing {missing[:5]}"
        )
    data = data.set_index("iso3").loc[list(world.iso3)]
    align = np.column_stack(
        [
            data[f"align_{d}"].map({o: k for k, o in enumerate(ECOSYSTEMS[d])}).to_numpy()
            for d in DOMAINS
        ]
    ).astype(np.int64)
    loc = data["localization"].map({v: k for k, v in enumerate(LOCALIZATION)}).to_numpy()
    return align, loc.astype(np.int64), {"step": data.attrs["step"], "seed": data.attrs["seed"]}


def majority_bloc(align: np.ndarray) -> np.ndarray:
    """Return each state's majority option: the one it chose in at least two of the three domains.

    Parameters
    ----------
    align : numpy.ndarray
        ``(N, 3)`` option index per domain (see :data:`simulation.world.ECOSYSTEMS`).

    Returns
    -------
    numpy.ndarray
        Option names (``"us"``, ``"cn"``, ``"hybrid"``; ``"eu"`` cannot win, it exists in one
        domain only) or ``"mixed"`` when all three differ.
    """
    names = np.array(
        [[ECOSYSTEMS[d][k] for d, k in zip(DOMAINS, row, strict=True)] for row in align]
    )
    out = np.full(len(names), "mixed", dtype=object)
    for i, row in enumerate(names):
        values, counts = np.unique(row, return_counts=True)
        if counts.max() >= 2:
            out[i] = values[np.argmax(counts)]
    return out


def network_data(
    world: World,
    profile: pd.DataFrame | tuple[np.ndarray, np.ndarray],
    params: PayoffParams | None = None,
    *,
    color_by: str = "majority",
    keep: int = 3,
    step: int | None = None,
    seed: int | None = None,
    layout_seed: int = 7,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the nodes and edges of the interoperability network of one policy profile.

    An edge's weight is the pair's realised digital exchange ``W_ij = G_ij C_ij f_ij``: gravity
    (:attr:`World.gravity`) times interoperability, ecosystem compatibility times data-flow
    permission (:func:`simulation.metrics.interoperability_matrix`, with the world's adequacy
    pairs). The figure keeps a *backbone*: an edge stays if it is among the ``keep`` strongest
    edges of either of its states, so every state with any exchange keeps its main partners and
    the big economies do not hide the rest. Positions come from networkx's ``spring_layout`` on
    the backbone with the pairs' interoperability (0 to 1) as spring strength, so compatible
    states draw together whatever their size, started from the capitals' coordinates
    (longitude / 180, latitude / 90; a circle for worlds without coordinates) and seeded with
    ``layout_seed``, so the same profile gives the same picture and different steps of a run stay
    comparable.

    Parameters
    ----------
    world : World
        The world of the run.
    profile : DataFrame or (align, loc)
        An agents table (one step of one run is selected, as in :func:`world_map_data`), or
        integer arrays ``align`` ``(N, 3)`` and ``loc`` ``(N,)`` in world order.
    params : PayoffParams, optional
        Payoff parameters (compatibilities, flow permissions); the defaults if not given.
    color_by : {"majority", "5g", "semiconductors", "ai"}
        Node group: the majority bloc (:func:`majority_bloc`) or the option in one domain.
    keep : int
        Strongest edges each state keeps (at least 1).
    step, seed : int, optional
        Selection in an agents table.
    layout_seed : int
        Seed of the spring layout.

    Returns
    -------
    nodes : DataFrame
        One row per state in world order: ``iso3, gdp, group, strength`` (the state's realised
        exchange, ``sum_j W_ij``), ``degree`` (backbone edges) and position ``x, y``.
    edges : DataFrame
        One row per backbone edge, strongest first: ``source, target, gravity,
        interoperability, weight``.
    """
    if color_by not in NETWORK_GROUPS:
        raise ValueError(f"color_by {color_by!r}: allowed {', '.join(NETWORK_GROUPS)}")
    if keep < 1:
        raise ValueError(f"keep {keep!r}: allowed an integer of at least 1")
    import networkx as nx

    params = PayoffParams() if params is None else params
    align, loc, selected = _profile_arrays(world, profile, step, seed)
    interop = metrics.interoperability_matrix(world, align, loc, params)
    weight = world.gravity * interop
    n = world.n
    kept = np.zeros((n, n), dtype=bool)
    for i in range(n):
        row = weight[i].copy()
        row[i] = 0.0
        order = np.argsort(-row, kind="stable")[:keep]
        order = order[row[order] > 0]
        kept[i, order] = True
    kept |= kept.T
    src, dst = np.nonzero(np.triu(kept, 1))
    edges = pd.DataFrame(
        {
            "source": world.iso3[src],
            "target": world.iso3[dst],
            "gravity": world.gravity[src, dst],
            "interoperability": interop[src, dst],
            "weight": weight[src, dst],
        }
    )
    edges = edges.sort_values("weight", ascending=False, kind="stable").reset_index(drop=True)
    if color_by == "majority":
        group = majority_bloc(align)
    else:
        d = DOMAINS.index(color_by)
        group = np.array([ECOSYSTEMS[color_by][k] for k in align[:, d]], dtype=object)
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_weighted_edges_from(
        (int(i), int(j), float(interop[i, j])) for i, j in zip(src, dst, strict=True)
    )
    if {"capital_lat", "capital_lon"} <= set(world.table.columns):
        start = {
            i: (float(lon) / 180.0, float(lat) / 90.0)
            for i, (lat, lon) in enumerate(
                world.table[["capital_lat", "capital_lon"]].to_numpy(dtype=float)
            )
        }
    else:
        start = {
            i: (math.cos(2 * math.pi * i / n), math.sin(2 * math.pi * i / n)) for i in range(n)
        }
    pos = nx.spring_layout(graph, pos=start, weight="weight", seed=layout_seed, iterations=100)
    xy = np.array([pos[i] for i in range(n)])
    nodes = pd.DataFrame(
        {
            "iso3": world.iso3,
            "gdp": world.gdp,
            "group": group.astype(str),
            "strength": weight.sum(axis=1),
            "degree": kept.sum(axis=1),
            "x": xy[:, 0],
            "y": xy[:, 1],
        }
    )
    nodes.attrs.update(color_by=color_by, keep=keep, **selected)
    return nodes, edges


def plot_network(
    profile: pd.DataFrame | tuple[np.ndarray, np.ndarray],
    ax: Axes | None = None,
    *,
    world: World | None = None,
    params: PayoffParams | None = None,
    color_by: str = "majority",
    keep: int = 3,
    step: int | None = None,
    seed: int | None = None,
    labels: bool | None = None,
) -> Figure:
    """Plot the interoperability network: states as nodes, realised exchange as edges.

    Parameters
    ----------
    profile : DataFrame or (align, loc)
        An agents table or integer profile arrays (see :func:`network_data`).
    ax : Axes, optional
        Axes to draw into; a new figure without it.
    world : World, optional
        The world of the run; the default 55-state world if not given.
    params, color_by, keep, step, seed
        As in :func:`network_data`.
    labels : bool, optional
        Write state codes next to the nodes; by default when the world has at most 60 states
        (otherwise the 20 largest economies only).

    Returns
    -------
    Figure
        The figure holding the network.
    """
    world = default_world() if world is None else world
    nodes, edges = network_data(
        world, profile, params, color_by=color_by, keep=keep, step=step, seed=seed
    )
    fig, (ax,) = _new_axes(ax, figsize=(7.5, 5.6))
    where = {code: (x, y) for code, x, y in zip(nodes["iso3"], nodes["x"], nodes["y"], strict=True)}
    if len(edges):
        top = float(edges["weight"].max())
        segments = [
            [where[s], where[t]] for s, t in zip(edges["source"], edges["target"], strict=True)
        ]
        widths = 0.3 + 3.7 * edges["weight"].to_numpy() / top
        ax.add_collection(
            LineCollection(segments, linewidths=widths, colors="0.45", alpha=0.55, zorder=1)
        )
    colors = {**BLOC_COLORS, "mixed": MIXED_COLOR}
    group_labels = {**BLOC_LABELS, "mixed": "No majority (three different options)"}
    area = 8.0 + 900.0 * nodes["gdp"].to_numpy() / max(float(nodes["gdp"].max()), 1e-12)
    ax.scatter(
        nodes["x"],
        nodes["y"],
        s=area,
        c=[colors[g] for g in nodes["group"]],
        edgecolors="white",
        linewidths=0.6,
        zorder=2,
    )
    show = labels if labels is not None else len(nodes) <= 60
    named = nodes if show else nodes.nlargest(20, "gdp")
    for code, x, y in zip(named["iso3"], named["x"], named["y"], strict=True):
        ax.annotate(code, (x, y), xytext=(3, 3), textcoords="offset points", fontsize=6, zorder=3)
    ax.set_aspect("equal", adjustable="datalim")
    ax.autoscale_view()
    ax.set_axis_off()
    what = "majority bloc (2 of 3 domains)" if color_by == "majority" else DOMAIN_LABELS[color_by]
    ax.set_title(
        f"Interoperability network, nodes coloured by {what}\n"
        f"edges: realised digital exchange (gravity × interoperability), "
        f"each state's {keep} strongest",
        fontsize=8,
    )
    present = [g for g in colors if g in set(nodes["group"])]
    handles = [Patch(color=colors[g], label=group_labels[g]) for g in present]
    top_gdp = float(nodes["gdp"].max())
    for ref in (100.0, 1000.0, 10000.0):
        if ref <= top_gdp:
            handles.append(
                Line2D(
                    [],
                    [],
                    linestyle="none",
                    marker="o",
                    color="0.5",
                    markersize=math.sqrt(8.0 + 900.0 * ref / top_gdp),
                    label=f"GDP {ref:,.0f} bn US$",
                )
            )
    ax.legend(handles=handles, fontsize=7, loc="lower left", frameon=False)
    where_txt = ", ".join(
        f"{k} {nodes.attrs[k]}" for k in ("step", "seed") if nodes.attrs.get(k) is not None
    )
    scen = _scenario_names(profile, "scenario") if isinstance(profile, pd.DataFrame) else []
    note = "spring layout from capital coordinates" + (f"; {where_txt}" if where_txt else "")
    source_line(fig, scen or None, 1, note)
    return fig


# --- 7. sensitivity and scenario discovery -------------------------------------------------------


def sensitivity_data(indices: pd.DataFrame) -> pd.DataFrame:
    """Return Sobol indices in long form with their confidence intervals, largest total first.

    Parameters
    ----------
    indices : DataFrame
        Output of :func:`simulation.analysis.sobol_indices`: ``parameter, S1, S1_conf, ST,
        ST_conf`` (a ``_conf`` column is the half-width of SALib's 95% bootstrap interval).

    Returns
    -------
    DataFrame
        Two rows per parameter (``index`` ``"S1"`` then ``"ST"``), parameters ordered by ``ST``
        descending (ties by input order): ``parameter, index, value, conf, low, high`` with
        ``low = value - conf`` and ``high = value + conf``.
    """
    _require(indices, ["parameter", "S1", "S1_conf", "ST", "ST_conf"])
    order = indices.assign(_pos=np.arange(len(indices))).sort_values(
        ["ST", "_pos"], ascending=[False, True], kind="stable"
    )
    rows = [
        {
            "parameter": str(r["parameter"]),
            "index": idx,
            "value": float(r[idx]),
            "conf": float(r[f"{idx}_conf"]),
        }
        for _, r in order.iterrows()
        for idx in ("S1", "ST")
    ]
    out = pd.DataFrame(rows, columns=["parameter", "index", "value", "conf"])
    out["low"] = out["value"] - out["conf"]
    out["high"] = out["value"] + out["conf"]
    return out


SOBOL_COLORS: dict[str, str] = {"S1": OKABE_ITO["sky_blue"], "ST": OKABE_ITO["blue"]}
"""Bar colour of first-order (S1) and total (ST) Sobol indices."""


def plot_sobol(indices: pd.DataFrame, ax: Axes | None = None, metric: str | None = None) -> Figure:
    """Plot first-order and total Sobol indices per parameter with their confidence intervals.

    Parameters
    ----------
    indices : DataFrame
        Output of :func:`simulation.analysis.sobol_indices`.
    ax : Axes, optional
        Axes to draw into; a new figure without it.
    metric : str, optional
        The outcome the indices are about, for the title.

    Returns
    -------
    Figure
        The figure holding the bars.
    """
    data = sensitivity_data(indices)
    params = list(pd.unique(data["parameter"]))
    fig, (ax,) = _new_axes(ax, figsize=(6.4, 1.2 + 0.55 * len(params)))
    y = np.arange(len(params))
    height = 0.38
    for k, idx in enumerate(("S1", "ST")):
        d = data[data["index"] == idx].set_index("parameter").loc[params]
        ax.barh(
            y + (k - 0.5) * height,
            d["value"],
            height=height,
            xerr=d["conf"],
            color=SOBOL_COLORS[idx],
            error_kw={"elinewidth": 1, "capsize": 2, "ecolor": "0.2"},
            label={"S1": "First order S1 (alone)", "ST": "Total ST (with interactions)"}[idx],
        )
    ax.set_yticks(y, params, fontsize=8)
    ax.invert_yaxis()
    ax.axvline(0, color="0.3", linewidth=0.8)
    ax.set_xlim(min(0.0, float(data["low"].min())) - 0.02, max(1.0, float(data["high"].max())))
    ax.set_xlabel("Sobol index (share of output variance)")
    ax.grid(axis="x", alpha=0.3)
    outcome = metric_label(metric) if metric else "the outcome"
    ax.set_title(textwrap.fill(f"Sensitivity of {outcome} at the final step", 70), fontsize=9)
    ax.legend(
        fontsize=7,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        frameon=False,
        title="Whiskers: 95% bootstrap\nconfidence interval",
        title_fontsize=7,
    )
    source_line(fig, None, None, "Sobol indices by SALib (Saltelli design)")
    return fig


def prim_data(box: Any, i: int | None = None) -> pd.DataFrame:
    """Return the limits of a PRIM box per parameter against the parameters' full ranges.

    Parameters
    ----------
    box : ema_workbench.analysis.prim.PrimBox
        A box from :func:`simulation.analysis.prim_box` (anything with ``box_lims``, a list of
        two-row limit tables whose first entry is the unrestricted box, and
        ``peeling_trajectory``, a table with ``coverage, density, mass, res_dim`` per box).
    i : int, optional
        Box on the peeling trajectory; the box's selected one (by default the last) if not given.

    Returns
    -------
    DataFrame
        One row per numeric parameter, restricted ones first: ``parameter, low, high`` (box
        limits), ``min, max`` (full range) and ``restricted``. ``attrs`` holds ``box`` (``i``),
        ``coverage`` (share of the cases of interest inside the box), ``density`` (share of the
        box's runs that are cases of interest), ``mass`` (share of all runs inside the box),
        ``res_dim`` and ``categories`` (restricted categorical parameters and their kept values).
    """
    lims = list(box.box_lims)
    if i is None:
        i = int(getattr(box, "_cur_box", len(lims) - 1))
    if not 0 <= i < len(lims):
        raise ValueError(f"box {i}: allowed 0 to {len(lims) - 1}")
    init, cur = lims[0], lims[i]
    rows, categories = [], {}
    for name in init.columns:
        lo, hi = cur[name].iloc[0], cur[name].iloc[1]
        if isinstance(lo, set | frozenset):
            if set(lo) != set(init[name].iloc[0]):
                categories[str(name)] = sorted(str(v) for v in lo)
            continue
        full_lo, full_hi = float(init[name].iloc[0]), float(init[name].iloc[1])
        rows.append(
            {
                "parameter": str(name),
                "low": float(lo),
                "high": float(hi),
                "min": full_lo,
                "max": full_hi,
                "restricted": bool(float(lo) != full_lo or float(hi) != full_hi),
            }
        )
    out = pd.DataFrame(rows, columns=["parameter", "low", "high", "min", "max", "restricted"])
    out = out.sort_values("restricted", ascending=False, kind="stable").reset_index(drop=True)
    stats = box.peeling_trajectory.iloc[i]
    out.attrs.update(
        box=i,
        coverage=float(stats["coverage"]),
        density=float(stats["density"]),
        mass=float(stats["mass"]),
        res_dim=int(stats["res_dim"]),
        categories=categories,
    )
    return out


def plot_prim(
    box: Any,
    ax: Axes | None = None,
    i: int | None = None,
    metric: str | None = None,
) -> Figure:
    """Plot a PRIM box: each parameter's box limits drawn on its full range.

    Parameters
    ----------
    box : PrimBox or DataFrame
        A box from :func:`simulation.analysis.prim_box`, or :func:`prim_data` of one.
    ax : Axes, optional
        Axes to draw into; a new figure without it.
    i : int, optional
        Box on the peeling trajectory (see :func:`prim_data`); ignored for a DataFrame.
    metric : str, optional
        Description of the cases of interest (e.g. ``"fragmentation > 0.45"``), for the title.

    Returns
    -------
    Figure
        The figure holding the box.
    """
    data = box if isinstance(box, pd.DataFrame) else prim_data(box, i)
    _require(data, ["parameter", "low", "high", "min", "max", "restricted"])
    fig, (ax,) = _new_axes(ax, figsize=(6.4, 1.4 + 0.5 * len(data)))
    y = np.arange(len(data))
    span = (data["max"] - data["min"]).replace(0, 1.0).to_numpy(float)
    low = (data["low"].to_numpy(float) - data["min"].to_numpy(float)) / span
    high = (data["high"].to_numpy(float) - data["min"].to_numpy(float)) / span
    ax.barh(
        y, np.ones(len(data)), left=0, height=0.6, color="0.9", edgecolor="0.6", label="Full range"
    )
    colors = [OKABE_ITO["vermillion"] if r else OKABE_ITO["sky_blue"] for r in data["restricted"]]
    ax.barh(y, high - low, left=low, height=0.6, color=colors, alpha=0.9)
    for k, row in enumerate(data.itertuples(index=False)):
        ax.text(-0.02, k, _tick(row.min), ha="right", va="center", fontsize=7, color="0.35")
        ax.text(1.02, k, _tick(row.max), ha="left", va="center", fontsize=7, color="0.35")
        if row.restricted:
            ax.text(
                (low[k] + high[k]) / 2,
                k,
                f"{_tick(row.low)} – {_tick(row.high)}",
                ha="center",
                va="center",
                fontsize=7,
                color=text_color_for(OKABE_ITO["vermillion"]),
            )
    ax.set_yticks(y, data["parameter"], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(-0.15, 1.15)
    ax.set_xticks([])
    ax.set_xlabel("Sampled range of each parameter, minimum to maximum", fontsize=8)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    a = data.attrs
    stats = (
        f"coverage {a['coverage']:.2f}, density {a['density']:.2f}, mass {a['mass']:.2f}"
        if "coverage" in a
        else "coverage and density not given"
    )
    subject = f" for {metric}" if metric else ""
    ax.set_title(f"PRIM box{subject}\n{stats}", fontsize=9)
    handles = [Patch(facecolor="0.9", edgecolor="0.6", label="Sampled range")]
    if data["restricted"].any():
        handles.append(Patch(color=OKABE_ITO["vermillion"], label="Box limits (restricted)"))
    if not data["restricted"].all():
        handles.append(Patch(color=OKABE_ITO["sky_blue"], label="Not restricted"))
    ax.legend(
        handles=handles,
        fontsize=7,
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        frameon=False,
    )
    cats = a.get("categories") or {}
    note = "; ".join(f"{k} in {{{', '.join(v)}}}" for k, v in cats.items())
    source_line(fig, None, None, "PRIM by the EMA Workbench" + (f"; also {note}" if note else ""))
    return fig


# --- 8. event timeline ---------------------------------------------------------------------------

TIMELINE_KINDS: dict[str, str] = {
    **{f"attack_{s}": f"State attacks on {s}" for s in SECTORS},
    "attributed": "State attacks attributed",
    "crime": "Criminal incidents (all sectors)",
    "coalition_join": "Coalition joins",
    "coalition_exit": "Coalition exits",
    "shock": "Scheduled shocks",
}
"""Rows of the event timeline and their labels, top to bottom."""

TIMELINE_COLORS: dict[str, str] = {
    "attack_energy": OKABE_ITO["orange"],
    "attack_finance": OKABE_ITO["blue"],
    "attack_health": OKABE_ITO["reddish_purple"],
    "attributed": OKABE_ITO["black"],
    "crime": "0.55",
    "coalition_join": OKABE_ITO["bluish_green"],
    "coalition_exit": OKABE_ITO["vermillion"],
    "shock": OKABE_ITO["black"],
}
"""Marker colour per timeline row."""


DOT_AREA = 25.0
"""Marker area (pt²) per event in the timeline: a dot's area is proportional to its count."""


def event_timeline_data(
    events: pd.DataFrame, seed: int | None = None, last_step: int | None = None
) -> pd.DataFrame:
    """Return event counts per step and kind for one run.

    Kinds (:data:`TIMELINE_KINDS`): state-sponsored attacks per sector (``event == "attack"``),
    those attributed by their victim, criminal incidents, coalition joins and exits, and scheduled
    shocks (``shock_...`` events). Other events (intelligence sharing, adequacy, patron
    diplomacy) are not counted.

    Parameters
    ----------
    events : DataFrame
        Event table (:meth:`SovereigntyModel.event_dataframe`, or ``events.parquet`` of a run)
        of one scenario, with columns ``step, event, sector, attributed``.
    seed : int, optional
        Run to count, by its ``seed``; the first seed in the table by default.
    last_step : int, optional
        Last step of the run, so that quiet steps at the end count as zeros; by default the last
        step with an event.

    Returns
    -------
    DataFrame
        Columns ``step, kind, count``: one row per step from 1 (or the first event's step if
        earlier) to the last step and per kind, in :data:`TIMELINE_KINDS` order, zeros included.
    """
    _require(events, ["step", "event", "sector", "attributed"])
    rows, _chosen = _select_run(events, seed, "events table")
    ev = rows["event"].astype(str)
    attack = ev == "attack"
    masks = {f"attack_{s}": attack & (rows["sector"] == s) for s in SECTORS}
    masks["attributed"] = attack & rows["attributed"].eq(True).fillna(False).astype(bool)
    masks["crime"] = ev == "crime"
    masks["coalition_join"] = ev == "coalition_join"
    masks["coalition_exit"] = ev == "coalition_exit"
    masks["shock"] = ev.str.startswith("shock_")
    steps = rows["step"].astype(np.int64)
    first = min(1, int(steps.min())) if len(steps) else 1
    last = max(first, int(steps.max()) if len(steps) else first)
    if last_step is not None:
        last = max(last, int(last_step))
    index = np.arange(first, last + 1)
    frames = []
    for kind in TIMELINE_KINDS:
        counts = steps[masks[kind]].value_counts().reindex(index, fill_value=0)
        frames.append(pd.DataFrame({"step": index, "kind": kind, "count": counts.to_numpy()}))
    out = pd.concat(frames, ignore_index=True)
    out["count"] = out["count"].astype(np.int64)
    out.attrs["seed"] = _chosen
    return out


def plot_event_timeline(
    events: pd.DataFrame,
    ax: Axes | None = None,
    *,
    seed: int | None = None,
    last_step: int | None = None,
) -> Figure:
    """Plot a timeline of cyber events: one row per kind, a dot per step sized by the count.

    Parameters
    ----------
    events : DataFrame
        Event table of one scenario (see :func:`event_timeline_data`).
    ax : Axes, optional
        Axes to draw into; a new figure without it.
    seed, last_step
        As in :func:`event_timeline_data`.

    Returns
    -------
    Figure
        The figure holding the timeline.
    """
    data = event_timeline_data(events, seed, last_step)
    kinds = [k for k in TIMELINE_KINDS if k != "shock"]
    fig, (ax,) = _new_axes(ax, figsize=(8, 3.6))
    for row, kind in enumerate(kinds):
        d = data[(data["kind"] == kind) & (data["count"] > 0)]
        ax.scatter(
            d["step"],
            np.full(len(d), row),
            s=DOT_AREA * d["count"],
            color=TIMELINE_COLORS[kind],
            edgecolors="none",
            alpha=0.85,
        )
    shocks = data[(data["kind"] == "shock") & (data["count"] > 0)]["step"].tolist()
    for s in shocks:
        ax.axvline(s, color=TIMELINE_COLORS["shock"], linestyle="--", linewidth=0.9, alpha=0.7)
    ax.set_yticks(range(len(kinds)), [TIMELINE_KINDS[k] for k in kinds], fontsize=7)
    ax.set_ylim(len(kinds) - 0.4, -0.6)
    steps = data["step"]
    ax.set_xlim(steps.min() - 0.5, steps.max() + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("Step (policy rounds)")
    ax.grid(axis="x", alpha=0.3)
    totals = data.groupby("kind")["count"].sum()
    handles = [
        Line2D(
            [],
            [],
            linestyle="none",
            marker="o",
            color="0.4",
            markersize=math.sqrt(DOT_AREA * c),
            label=f"{c} event" + ("" if c == 1 else "s"),
        )
        for c in (1, 3, 10)
    ]
    if shocks:
        handles.append(
            Line2D([], [], color="black", linestyle="--", linewidth=0.9, label="Scheduled shock")
        )
    ax.legend(
        handles=handles,
        fontsize=7,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        frameon=False,
        title="Events per step",
        title_fontsize=7,
    )
    attacks = int(totals[[f"attack_{s}" for s in SECTORS]].sum())
    ax.set_title(
        f"Cyber events: state attacks {attacks} (attributed {int(totals['attributed'])}), "
        f"criminal incidents {int(totals['crime'])}, coalition joins "
        f"{int(totals['coalition_join'])}, exits {int(totals['coalition_exit'])}",
        fontsize=8,
    )
    scen = _scenario_names(events, "scenario")
    seed_note = f"seed {data.attrs['seed']}" if data.attrs.get("seed") is not None else None
    source_line(fig, scen or None, 1, seed_note)
    return fig
