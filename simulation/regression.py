"""The configuration behind the regression baseline (``tests/baselines``).

``scripts/update_baselines.py`` writes :func:`baseline_table`; ``tests/test_regression.py``
compares a fresh run with the file, so any change of model behaviour shows up as a failing test
until the baseline is deliberately updated.
"""

from __future__ import annotations

import pandas as pd

SEEDS = (1, 2)
STEPS = 30


def baseline_table() -> pd.DataFrame:
    """Return the model variables of the baseline scenario for :data:`SEEDS`, :data:`STEPS` steps."""
    from simulation import scenarios
    from simulation.model import SovereigntyModel

    scenario, _ = scenarios.load("baseline")
    frames = []
    for seed in SEEDS:
        kwargs = {**scenario.model_kwargs(seed), "collect_agents": False, "max_steps": STEPS}
        df = SovereigntyModel(**kwargs).run(STEPS).model_dataframe()
        df.insert(0, "seed", seed)
        frames.append(df)
    return pd.concat(frames, ignore_index=True)
