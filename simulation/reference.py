"""Plain per-state loop implementation of the payoffs: the oracle for :mod:`simulation.payoffs`.

Written straight from the formulas in ``docs/ODD.md`` with no vectorisation and no algebraic
shortcuts (pairs are visited one by one, ``A_ij`` and ``T_ij`` are read from their definitions), so
that it can be checked by eye. It is slow on purpose; use it only in tests and benchmarks.
"""

from __future__ import annotations

import itertools

import numpy as np

from simulation.payoffs import CONTROL, Conditions, PayoffParams, compat_matrices
from simulation.world import (
    BLOCS,
    DOMAINS,
    ECOSYSTEMS,
    LOCALIZATION,
    World,
    column_slices,
    stack_shares,
)

CONDITIONAL = LOCALIZATION.index("conditional")


def _permission(level: int, adequate_pair: bool, p: PayoffParams) -> float:
    if adequate_pair and level == CONDITIONAL:
        return p.adequacy_flow
    return p.flow[level]


def _tie(world: World, i: int, j: int) -> float:
    if i == j:
        return 0.0
    return float(
        sum(w * world.groups[i, g] * world.groups[j, g] for g, w in enumerate(world.group_weight))
    )


def state_payoff(
    world: World,
    align: np.ndarray,
    loc: np.ndarray,
    p: PayoffParams,
    i: int,
    cond: Conditions | None = None,
) -> dict:
    """Return the four payoff components and the utility of state ``i`` (plain loops)."""
    cond = Conditions() if cond is None else cond
    hostility = world.hostility if cond.hostility is None else cond.hostility
    threat = 0.0 if cond.threat is None else cond.threat[i]
    ks, shares, slices = compat_matrices(p), stack_shares(), column_slices()
    n = world.n
    trade_num = potential = 0.0
    for j in range(n):
        if j == i:
            continue
        g = world.gravity[i, j]
        potential += g
        pair = bool((world.eea[i] and world.adequate[j]) or (world.eea[j] and world.adequate[i]))
        compat = sum(
            p.interop_weights[d] * ks[d][align[i, d], align[j, d]] for d in range(len(DOMAINS))
        )
        flow = _permission(loc[i], pair, p) * _permission(loc[j], pair, p)
        trade_num += g * compat * flow
    trade = trade_num / potential if potential > 0 else 0.0

    tie_total = sum(_tie(world, i, j) for j in range(n))
    security = p.localization_security * (1.0 + threat) * CONTROL[loc[i]]
    economy = 0.0
    for d, dom in enumerate(DOMAINS):
        opt = align[i, d]
        share = shares[d][opt]
        exposure = sum(share[b] * hostility[i, b] for b in range(len(BLOCS)))
        security -= p.vendor_risk[d] * (1 - p.capacity_mitigation * world.capacity[i]) * exposure
        for b in range(len(BLOCS)):
            security += p.patron_value * share[b] * world.affinity[i, b]
            if cond.pressure is not None and dom == "5g":
                security -= cond.pressure[i, b] * share[b]
            if cond.subsidy is not None and dom == "5g":
                economy += cond.subsidy[i, b] * share[b]
        if tie_total > 0:
            shared = sum(_tie(world, i, j) * ks[d][opt, align[j, d]] for j in range(n))
            security += p.partner_value * p.interop_weights[d] * shared / tie_total
        opts = ECOSYSTEMS[dom]
        if opts[opt] == "hybrid":
            bloc_costs = [p.vendor_cost[d][k] for k, o in enumerate(opts) if o != "hybrid"]
            economy -= sum(bloc_costs) / len(bloc_costs) + p.hybrid_cost
        else:
            economy -= p.vendor_cost[d][opt]
        if dom == "semiconductors":
            denied = share[BLOCS.index("cn")] + share[BLOCS.index("us")] * hostility[i, 0]
            economy -= p.frontier_value * p.export_controls * denied
        for k, o in enumerate(opts):
            if o != "hybrid":
                economy += (
                    p.industry_weight * share[BLOCS.index(o)] * world.tech[i, slices[d].start + k]
                )
    tech_base = max(world.tech[i])
    economy += (p.localization_protection * tech_base - p.innovation_loss) * CONTROL[loc[i]]
    sovereignty = world.data_pref[i] * CONTROL[loc[i]]
    utility = (
        p.weight_trade * trade
        + p.weight_security * security
        + p.weight_economy * economy
        + p.weight_sovereignty * sovereignty
    )
    return {
        "trade": trade,
        "security": security,
        "economy": economy,
        "sovereignty": sovereignty,
        "utility": utility,
    }


def payoffs(
    world: World,
    align: np.ndarray,
    loc: np.ndarray,
    p: PayoffParams,
    cond: Conditions | None = None,
) -> dict:
    """Return every state's payoff components as arrays, one state at a time."""
    rows = [state_payoff(world, align, loc, p, i, cond) for i in range(world.n)]
    return {k: np.array([r[k] for r in rows]) for k in rows[0]}


def option_values(
    world: World,
    align: np.ndarray,
    loc: np.ndarray,
    p: PayoffParams,
    i: int,
    cond: Conditions | None = None,
) -> np.ndarray:
    """Return state ``i``'s utility for each of its options, ``(3, 3, 4, 4)``, others fixed."""
    shape = [len(ECOSYSTEMS[d]) for d in DOMAINS] + [len(LOCALIZATION)]
    out = np.empty(shape)
    a, lv = np.array(align, copy=True), np.array(loc, copy=True)
    for combo in itertools.product(*[range(s) for s in shape]):
        a[i] = combo[:3]
        lv[i] = combo[3]
        out[combo] = state_payoff(world, a, lv, p, i, cond)["utility"]
    return out


def fragmentation(world: World, align: np.ndarray, loc: np.ndarray, p: PayoffParams) -> float:
    """Return the share of potential gravity-weighted exchange lost (double loop over pairs)."""
    ks = compat_matrices(p)
    lost = total = 0.0
    for i in range(world.n):
        for j in range(world.n):
            if i == j:
                continue
            pair = bool(
                (world.eea[i] and world.adequate[j]) or (world.eea[j] and world.adequate[i])
            )
            compat = sum(
                p.interop_weights[d] * ks[d][align[i, d], align[j, d]] for d in range(len(DOMAINS))
            )
            flow = _permission(loc[i], pair, p) * _permission(loc[j], pair, p)
            total += world.gravity[i, j]
            lost += world.gravity[i, j] * (1 - compat * flow)
    return lost / total
