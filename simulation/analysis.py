"""Analysis of batch results, handing the numerics to the libraries that own them.

* :func:`final_values` and :func:`envelopes` summarise a tidy batch table (pandas);
* :func:`sobol_indices` computes Sobol indices of an outcome with SALib from a Saltelli design;
* :func:`ema_data`, :func:`prim_box` and :func:`feature_scores` hand the design and outcomes to
  the EMA Workbench (an optional extra: ``pip install 'sovsim[ema]'``) for scenario discovery
  (PRIM) and feature scoring;
* :func:`ema_model` lets the EMA Workbench drive sovsim runs itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.batch import BatchError, load_batch


def design_parameters(store: str | Path) -> list[str]:
    """Return the names of the parameters the store's design varies."""
    manifest = json.loads((Path(store) / "manifest.json").read_text(encoding="utf-8"))
    return list(manifest["parameters"])


def final_values(model: pd.DataFrame, metrics: str | list[str]) -> pd.DataFrame:
    """Return one row per run with the design columns and ``metrics`` at the run's last step."""
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    last = model.loc[model.groupby("run_id")["step"].idxmax()]
    columns = list(model.columns)
    design = columns[: columns.index("step")]  # load_batch puts the design first
    return last[[*design, *metrics]].reset_index(drop=True)


def envelopes(
    model: pd.DataFrame,
    metric: str,
    by: str | list[str] = "scenario",
    quantiles: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95),
) -> pd.DataFrame:
    """Return the outcome envelope of ``metric`` over time: its quantiles across runs per step.

    One row per group and step, with columns ``q05, q25, q50, q75, q95`` (for the default
    quantiles) and ``runs``.
    """
    by = [by] if isinstance(by, str) else list(by)
    grouped = model.groupby([*by, "step"])[metric]
    out = grouped.quantile(list(quantiles)).unstack()
    out.columns = [f"q{round(100 * q):02d}" for q in quantiles]
    out["runs"] = grouped.size()
    return out.reset_index()


def sobol_indices(store: str | Path, metric: str, scenario: str | None = None) -> pd.DataFrame:
    """Return first-order and total Sobol indices (with confidence intervals) of a final outcome.

    The store must hold a ``sobol`` design. The outcome of each design point is ``metric`` at the
    last step, averaged over replicates; SALib's ``sobol.analyze`` does the rest.
    """
    from SALib.analyze import sobol

    store = Path(store)
    manifest = json.loads((store / "manifest.json").read_text(encoding="utf-8"))
    if manifest["design"]["method"] != "sobol":
        raise BatchError(
            f"{store}: Sobol indices need a sobol design, this store has {manifest['design']['method']}"
        )
    model = load_batch(store)
    if scenario is not None:
        model = model[model.scenario == scenario]
    elif model.scenario.nunique() > 1:
        raise BatchError(f"{store}: several scenarios; choose one with scenario=")
    final = final_values(model, metric)
    y = final.groupby("point")[metric].mean().sort_index()
    design = pd.read_parquet(store / "design.parquet")
    n_points = design.point.nunique()
    if len(y) != n_points:
        raise BatchError(
            f"{store}: {len(y)} of {n_points} design points complete; finish the batch first"
        )
    names = manifest["parameters"]
    exp_design = design.drop_duplicates("point").sort_values("point")
    problem = {
        "num_vars": len(names),
        "names": names,
        "bounds": [[float(exp_design[n].min()), float(exp_design[n].max())] for n in names],
    }
    res = sobol.analyze(
        problem,
        y.to_numpy(),
        calc_second_order=manifest["design"]["second_order"],
        seed=manifest["seed"],  # bootstrap confidence intervals, reproducibly
    )
    return pd.DataFrame(
        {
            "parameter": names,
            "S1": res["S1"],
            "S1_conf": res["S1_conf"],
            "ST": res["ST"],
            "ST_conf": res["ST_conf"],
        }
    )


def ema_data(
    store: str | Path, metrics: str | list[str]
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Return the design and final outcomes of a store in the EMA Workbench's form.

    ``experiments`` has one row per run with the varied parameters (and ``scenario`` as a
    category named ``scenario_name``: the EMA Workbench reserves ``scenario``); ``outcomes`` maps
    each metric to a 1-D array of final values, aligned with it.
    """
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    params = design_parameters(store)
    final = final_values(load_batch(store), metrics)
    experiments = final[[*params]].copy()
    if final.scenario.nunique() > 1:  # EMA reserves the column name "scenario"
        experiments["scenario_name"] = final.scenario.astype("category")
    outcomes = {m: final[m].to_numpy() for m in metrics}
    return experiments, outcomes


def prim_box(
    store: str | Path, metric: str, threshold: float, above: bool = True, peel_alpha: float = 0.1
) -> Any:
    """Return an EMA Workbench PRIM box for the runs where ``metric`` ends above (below) ``threshold``.

    Scenario discovery: which parameter ranges lead to, say, a fragmented internet? Inspect the
    result with ``box.inspect()`` or ``box.show_tradeoff()``.
    """
    from ema_workbench.analysis import prim

    experiments, outcomes = ema_data(store, metric)
    y = outcomes[metric] > threshold if above else outcomes[metric] < threshold
    if not y.any():
        raise BatchError(
            f"{store}: no run has {metric} {'above' if above else 'below'} {threshold}"
        )
    finder = prim.Prim(experiments, y, peel_alpha=peel_alpha)
    return finder.find_box()


def feature_scores(
    store: str | Path, metrics: str | list[str], random_state: int = 0
) -> pd.DataFrame:
    """Return EMA Workbench feature scores (extra-trees importance) of each parameter per outcome.

    The extra-trees ensemble is seeded with ``random_state``, so the same store gives the same
    scores.
    """
    from ema_workbench.analysis import feature_scoring

    experiments, outcomes = ema_data(store, metrics)
    return feature_scoring.get_feature_scores_all(experiments, outcomes, random_state=random_state)


def ema_model(
    scenario: str = "baseline",
    uncertainties: dict[str, tuple[float, float]] | None = None,
    levers: dict[str, tuple[float, float]] | None = None,
    outcomes: tuple[str, ...] = ("fragmentation", "mean_security", "mean_trade"),
    steps: int | None = None,
) -> Any:
    """Return an EMA Workbench ``Model`` whose runs are sovsim runs of ``scenario``.

    Keys of ``uncertainties`` and ``levers`` are scenario keys such as
    ``"payoffs.export_controls"``; EMA names them with ``__`` instead of ``.``. Each EMA
    experiment's ``seed`` (an integer uncertainty from 0 to 2**31) seeds the model. Use it with
    ``ema_workbench.perform_experiments(model, scenarios=n)``.
    """
    from ema_workbench import IntegerParameter, Model, RealParameter, ScalarOutcome

    from simulation import scenarios

    base, path = scenarios.load(scenario)
    raw_base = base.model_dump(mode="python")

    def run(**kwargs: Any) -> dict[str, float]:
        raw = json.loads(json.dumps(raw_base, default=list))
        seed = int(kwargs.pop("seed"))
        for key, value in kwargs.items():
            section, name = key.split("__", 1)
            raw.setdefault(section, {})[name] = (
                value.item() if isinstance(value, np.generic) else value
            )
        if steps is not None:
            raw["run"]["steps"] = steps
        s = scenarios.validate(raw, path)
        from simulation.model import SovereigntyModel

        m = SovereigntyModel(**{**s.model_kwargs(seed), "collect_agents": False}).run(s.run.steps)
        return {k: float(m.metrics[k]) for k in outcomes}

    model = Model(f"sovsim_{base.name.replace('-', '_')}", function=run)

    def parameter(key: str, low: float, high: float) -> Any:
        section, _, name = key.rpartition(".")
        table = scenarios.SECTIONS.get(section)
        field = table.model_fields.get(name) if table is not None else None
        if field is None:
            raise BatchError(
                f"ema_model: unknown scenario key {key!r}; use SECTION.KEY, e.g. payoffs.export_controls"
            )
        if isinstance(field.default, int) and not isinstance(field.default, bool):
            return IntegerParameter(key.replace(".", "__"), int(low), int(high))
        return RealParameter(key.replace(".", "__"), low, high)

    model.uncertainties = [
        *(parameter(k, lo, hi) for k, (lo, hi) in (uncertainties or {}).items()),
        IntegerParameter("seed", 0, 2**31 - 1),
    ]
    model.levers = [parameter(k, lo, hi) for k, (lo, hi) in (levers or {}).items()]
    model.outcomes = [ScalarOutcome(k) for k in outcomes]
    return model
