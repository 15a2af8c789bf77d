"""sovsim: agent-based simulation of digital sovereignty and internet fragmentation.

Build a model, run it, get tidy tables::

    from simulation import SovereigntyModel

    model = SovereigntyModel(rng=42).run(100)
    model.model_dataframe()   # fragmentation, bloc shares, security, trade ... per step
    model.agent_dataframe()   # each state's policy and payoffs per step
"""

from simulation.model import SovereigntyModel
from simulation.payoffs import PayoffParams
from simulation.world import (
    DOMAINS,
    ECOSYSTEMS,
    LOCALIZATION,
    World,
    default_world,
    synthetic_world,
)

__all__ = [
    "DOMAINS",
    "ECOSYSTEMS",
    "LOCALIZATION",
    "PayoffParams",
    "SovereigntyModel",
    "World",
    "default_world",
    "synthetic_world",
]
__version__ = "0.1.0"
