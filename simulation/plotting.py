"""Figures of sovsim results, drawn with matplotlib from the tidy tables.

Every figure is a function ``plot_x(data, ax=None, ...) -> Figure`` that takes a tidy model table
(one row per scenario, seed and step, as :meth:`SovereigntyModel.model_dataframe` with added
``scenario`` and ``seed`` columns or :func:`simulation.batch.load_batch` produce it) and draws into
``ax`` if given, else into a new figure. The data behind each figure is prepared by a pure function
``x_data(...) -> DataFrame`` that can be used and tested on its own:

* :func:`timeseries_data` / :func:`plot_timeseries`: outcomes over time with replicate bands;
* :func:`bloc_shares_data` / :func:`plot_bloc_shares`: stacked bloc shares per domain over time;
* :func:`tradeoff_data`, :func:`pareto_front` / :func:`plot_tradeoff`: security versus
  connectivity at the final step with the Pareto frontier;
* :func:`heatmap_data` / :func:`plot_heatmap`: a final outcome over a two-parameter sweep.

Colours come from the colour-blind-safe Okabe–Ito palette, with a fixed colour per bloc
(:data:`BLOC_COLORS`) and per data-localization level (:data:`LOCALIZATION_COLORS`).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from simulation import __version__
from simulation.world import DOMAINS, ECOSYSTEMS, LOCALIZATION

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
