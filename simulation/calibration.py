"""Calibration of the trade side against published estimates of data-regulation costs.

OECD & WTO (2025, *Economic Implications of Data Regulation*, METRO model) report the change in
global exports against today's regulation in three configurations:

=====================================================  ==============
configuration                                          global exports
=====================================================  ==============
everyone moves to "open with safeguards"               +3.6 %
geo-economic bloc fragmentation of data flows          -1.76 %
full data autarky (localization everywhere)            -8.45 %
=====================================================  ==============

The model's realised digital exchange is an index (a frictionless world trades 1), not exports,
so the comparison is made in two steps:

1. each configuration is built on the default world (:func:`configurations`) and its realised
   exchange compared with the observed profile: ``delta = trade(config) / trade(observed) - 1``;
2. one scale factor ``beta`` maps model changes to export changes, fitted so that data autarky
   matches -8.45 % exactly. The other two configurations are then *predictions*; the ratio
   ``delta(config) / delta(autarky)`` is scale-free and is what the default parameters were chosen
   to reproduce (:func:`fit` is the grid search that chose them).

``python -m simulation.calibration`` prints the table. ECIPE (2014) country figures are not used
for fitting: they measure GDP effects of national laws in a CGE model the sovsim payoffs do not
reproduce; ``docs/ODD.md`` discusses them.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pandas as pd

from simulation import payoffs
from simulation.agents import initial_policies
from simulation.world import LOCALIZATION, World, default_world

PUBLISHED = {"open_with_safeguards": 3.6, "bloc_fragmentation": -1.76, "data_autarky": -8.45}
"""Change in global exports (%) against today's regulation, OECD & WTO (2025)."""

SOURCE = "OECD & WTO (2025), Economic Implications of Data Regulation, METRO model"


def configurations(world: World) -> dict[str, tuple[np.ndarray, np.ndarray, World]]:
    """Return the profile (and world) of each calibration configuration.

    ``observed``
        the observed initial policies.
    ``open_with_safeguards``
        every state at the conditional level and every pair under an adequacy arrangement
        (transfers flow under safeguards), alignments as observed.
    ``bloc_fragmentation``
        every state in its nearer patron's bloc in all three domains (US if its US affinity is at
        least its China affinity), data levels as observed.
    ``data_autarky``
        every state at the strict level, alignments as observed.
    """
    rng = np.random.default_rng(0)  # unused by the observed rule; initial_policies needs one
    align, loc = initial_policies(world, "observed", rng)
    n = world.n
    everyone_adequate = replace(world, eea=np.ones(n, dtype=bool), adequate=np.ones(n, dtype=bool))
    us_side = world.affinity[:, 0] >= world.affinity[:, 1]
    blocs = np.where(us_side[:, None], 0, 1) * np.ones((1, 3), dtype=np.int64)
    return {
        "observed": (align, loc, world),
        "open_with_safeguards": (
            align,
            np.full(n, LOCALIZATION.index("conditional")),
            everyone_adequate,
        ),
        "bloc_fragmentation": (blocs, loc, world),
        "data_autarky": (align, np.full(n, LOCALIZATION.index("strict")), world),
    }


def model_changes(world: World, p: payoffs.PayoffParams) -> dict[str, float]:
    """Return ``trade(config) / trade(observed) - 1`` for each configuration (a fraction)."""
    realised = {}
    for name, (align, loc, w) in configurations(world).items():
        ev = payoffs.evaluate(w, align, loc, p)
        realised[name] = float(np.sum(ev.components["trade"] * ev.potential))
    return {k: v / realised["observed"] - 1.0 for k, v in realised.items() if k != "observed"}


def figures(world: World | None = None, p: payoffs.PayoffParams | None = None) -> pd.DataFrame:
    """Return the model's figures next to the published ones, one row per configuration.

    Columns: ``configuration``, ``model_change_pct`` (change in realised digital exchange),
    ``ratio_to_autarky`` (model) and ``published_ratio``, ``implied_exports_pct`` (after scaling
    by ``beta``) and ``published_exports_pct``.
    """
    world = default_world() if world is None else world
    p = payoffs.PayoffParams() if p is None else p
    delta = model_changes(world, p)
    beta = PUBLISHED["data_autarky"] / (100.0 * delta["data_autarky"])
    rows = []
    for name, published in PUBLISHED.items():
        rows.append(
            {
                "configuration": name,
                "model_change_pct": 100.0 * delta[name],
                "ratio_to_autarky": delta[name] / delta["data_autarky"],
                "published_ratio": published / PUBLISHED["data_autarky"],
                "implied_exports_pct": beta * 100.0 * delta[name],
                "published_exports_pct": published,
            }
        )
    return pd.DataFrame(rows)


def fit(world: World | None = None) -> pd.DataFrame:
    """Grid-search flow permissions and compatibilities against the published ratios.

    Returns every grid point with its squared error on the two scale-free ratios, best first. The
    defaults of :class:`~simulation.payoffs.PayoffParams` come from the top of this grid: the best
    points put ``cross_bloc_compat`` at 0 (no exchange at all across hard blocs), so the defaults
    take the best point with a non-zero value (0.1), which ranks sixth with an error of 0.011
    against 0.008. With them the bloc-fragmentation ratio is about half the published one.
    """
    world = default_world() if world is None else world
    target = {k: v / PUBLISHED["data_autarky"] for k, v in PUBLISHED.items() if k != "data_autarky"}
    rows = []
    grid = itertools.product(
        (0.8, 0.85, 0.9, 0.95),
        (0.4, 0.5, 0.6, 0.7),
        (0.1, 0.2, 0.3, 0.4),
        (0.0, 0.1, 0.25, 0.4),
        (0.75, 0.85, 0.95),
    )
    for cond, sect, strict, cross, hybrid in grid:
        p = payoffs.PayoffParams(
            flow=(1.0, cond, sect, strict), cross_bloc_compat=cross, hybrid_compat=hybrid
        )
        delta = model_changes(world, p)
        err = sum((delta[k] / delta["data_autarky"] - v) ** 2 for k, v in target.items())
        rows.append(
            {
                "flow_conditional": cond,
                "flow_sectoral": sect,
                "flow_strict": strict,
                "cross_bloc_compat": cross,
                "hybrid_compat": hybrid,
                "squared_error": err,
            }
        )
    return pd.DataFrame(rows).sort_values("squared_error", ignore_index=True)


def main() -> None:
    """Print the calibration table for the default parameters."""
    pd.set_option("display.width", 120)
    print(f"Calibration against {SOURCE}")
    print(figures().round(3).to_string(index=False))


if __name__ == "__main__":
    main()
