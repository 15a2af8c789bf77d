"""Payoffs: what each state gains from a policy profile, as pure numpy functions.

A *policy profile* is ``align`` (``(N, 3)`` integer option per domain, see
:data:`simulation.world.ECOSYSTEMS`) and ``loc`` (``(N,)`` localization level, see
:data:`simulation.world.LOCALIZATION`). Every formula is in ``docs/ODD.md``; in short, state ``i``
gets

* **trade** ``= sum_j G_ij C_ij f_ij / sum_j G_ij``: gravity-weighted digital exchange with every
  partner, scaled by ecosystem compatibility ``C_ij = sum_d w_d K_d[a_id, a_jd]`` and data-flow
  permission ``f_ij = phi(l_i, A_ij) phi(l_j, A_ij)`` (``A_ij``: an EU adequacy pair, under which
  conditional transfers flow freely);
* **security** ``=`` minus exposure to rival blocs' vendors (weighted by hostility, reduced by cyber
  capacity) plus the value of sharing ecosystems with security partners plus the standing gained
  with a patron one has affinity with plus the data-control benefit of localization;
* **economy** ``=`` minus vendor and dual-stack costs, minus lost frontier-chip access under export
  controls (for China's bloc, and for US-bloc users hostile to the US), plus support for a domestic industry, plus the protection localization gives domestic
  tech firms minus the cross-border innovation it costs;
* **sovereignty** ``=`` preference for data control times the control localization gives.

Utility is their weighted sum. Because ``C_ij`` is a weighted *sum* over domains and ``f_ij`` a
*product* over the two states, every state's payoff for every one of its 144 options follows from a
few ``(N, N) @ (N, 10)`` products (:func:`option_values`); :mod:`simulation.reference` computes the
same numbers with plain loops and is the oracle in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from simulation.world import BLOCS, DOMAINS, ECOSYSTEMS, LOCALIZATION, World, column_slices, stack_shares

N_LEVELS = len(LOCALIZATION)
CONTROL = np.arange(N_LEVELS) / (N_LEVELS - 1)
"""Data control a localization level gives: 0 (open) to 1 (strict), evenly spaced."""


@dataclass(frozen=True)
class PayoffParams:
    """Parameters of the payoff functions; units, ranges and sources are in ``docs/ODD.md``."""

    domain_weight: tuple[float, float, float] = (0.4, 0.35, 0.25)
    cross_bloc_compat: float = 0.25
    hybrid_compat: float = 0.75
    eu_us_ai_compat: float = 0.6
    eu_cn_ai_compat: float = 0.3
    flow: tuple[float, float, float, float] = (1.0, 0.8, 0.5, 0.2)
    adequacy_flow: float = 1.0
    weight_trade: float = 1.0
    weight_security: float = 1.0
    weight_economy: float = 1.0
    weight_sovereignty: float = 1.0
    vendor_risk: tuple[float, float, float] = (0.5, 0.3, 0.2)
    capacity_mitigation: float = 0.5
    partner_value: float = 0.3
    patron_value: float = 0.2
    localization_security: float = 0.1
    vendor_cost: tuple[tuple[float, ...], ...] = ((0.05, 0.0), (0.0, 0.05), (0.0, 0.0, 0.03))
    hybrid_cost: float = 0.05
    export_controls: float = 0.5
    frontier_value: float = 0.3
    industry_weight: float = 0.3
    localization_protection: float = 0.15
    innovation_loss: float = 0.2

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not all(np.isfinite(v) for v in _flatten(value)):
                raise ValueError(f"payoff parameter {f.name}: must be finite, got {value!r}")
        if len(self.flow) != N_LEVELS:
            raise ValueError(f"payoff parameter flow: needs {N_LEVELS} values, got {len(self.flow)}")
        if len(self.domain_weight) != len(DOMAINS) or len(self.vendor_risk) != len(DOMAINS):
            raise ValueError("payoff parameters domain_weight and vendor_risk need 3 values each")

    @property
    def interop_weights(self) -> np.ndarray:
        """Return ``domain_weight`` normalised to sum to 1."""
        w = np.asarray(self.domain_weight, dtype=float)
        return w / w.sum()

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Return the parameter names."""
        return tuple(f.name for f in fields(cls))


def _flatten(value: object) -> list[float]:
    if isinstance(value, tuple | list):
        return [v for item in value for v in _flatten(item)]
    return [float(value)]


def compat_matrices(p: PayoffParams) -> list[np.ndarray]:
    """Return the per-domain compatibility matrix ``K_d`` between options (symmetric, unit diagonal).

    Two states on the same option are fully compatible; US and Chinese blocs are compatible to
    ``cross_bloc_compat``; the hybrid option to ``hybrid_compat`` with every bloc. In AI governance
    the EU regime is compatible with the US one to ``eu_us_ai_compat`` and with China's to
    ``eu_cn_ai_compat``.
    """
    out = []
    for d in DOMAINS:
        opts = ECOSYSTEMS[d]
        k = np.eye(len(opts))
        pair = {
            frozenset(("us", "cn")): p.cross_bloc_compat,
            frozenset(("eu", "us")): p.eu_us_ai_compat,
            frozenset(("eu", "cn")): p.eu_cn_ai_compat,
        }
        for a, x in enumerate(opts):
            for b, y in enumerate(opts):
                if a == b:
                    continue
                k[a, b] = p.hybrid_compat if "hybrid" in (x, y) else pair[frozenset((x, y))]
        out.append(k)
    return out


def flow_permission(p: PayoffParams) -> np.ndarray:
    """Return ``phi`` as a ``(2, 4)`` array: row 0 without, row 1 with an adequacy arrangement."""
    phi = np.array([p.flow, p.flow], dtype=float)
    phi[1, LOCALIZATION.index("conditional")] = p.adequacy_flow
    return phi


def one_hot(align: np.ndarray) -> np.ndarray:
    """Return the ``(N, 10)`` one-hot encoding of an ``(N, 3)`` alignment array."""
    n = align.shape[0]
    x = np.zeros((n, sum(len(ECOSYSTEMS[d]) for d in DOMAINS)))
    for d, sl in enumerate(column_slices()):
        x[np.arange(n), sl.start + align[:, d]] = 1.0
    return x


def adequacy_dot(world: World, x: np.ndarray) -> np.ndarray:
    """Return ``(G * A) @ x`` where ``A_ij`` marks EU adequacy pairs, without forming ``G * A``.

    A pair is covered when one state is in the EEA and the other is in the EEA or holds an adequacy
    decision: ``A = e q' + q e' - e e'`` with ``e`` the EEA indicator and ``q`` the adequate one.
    """
    g, e, q = world.gravity, world.eea.astype(float)[:, None], world.adequate.astype(float)[:, None]
    return e * (g @ (q * x)) + q * (g @ (e * x)) - e * (g @ (e * x))


@dataclass
class Evaluation:
    """Aggregates of a profile from which payoffs and metrics follow.

    ``trade_inflow[a]`` is ``(N, 10)``: for adequacy status ``a``, the gravity weight of partners on
    each option, scaled by their own flow permission. ``partner_ties`` is ``T @ onehot``.
    """

    align: np.ndarray
    loc: np.ndarray
    onehot: np.ndarray
    trade_inflow: np.ndarray
    partner_ties: np.ndarray
    potential: np.ndarray
    components: dict[str, np.ndarray]


def _trade_inflow(world: World, onehot: np.ndarray, loc: np.ndarray, phi: np.ndarray) -> np.ndarray:
    x0 = phi[0, loc][:, None] * onehot
    x1 = phi[1, loc][:, None] * onehot
    ad0 = adequacy_dot(world, x0)
    return np.stack([world.gravity @ x0 - ad0, adequacy_dot(world, x1)])


def _domain_values(
    world: World, rows: np.ndarray, inflow: np.ndarray, ties: np.ndarray, p: PayoffParams
) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Per domain, the ``(R, n_options)`` trade parts (with and without adequacy), security and economy."""
    ks, shares, slices = compat_matrices(p), stack_shares(), column_slices()
    w = p.interop_weights
    tie_total = world.ties_dot(np.ones(world.n))[rows]
    safe_ties = np.where(tie_total > 0, tie_total, 1.0)
    mitigation = 1.0 - p.capacity_mitigation * world.capacity[rows]
    trade0, trade1, sec, eco = [], [], [], []
    for d, (k, s, sl) in enumerate(zip(ks, shares, slices, strict=True)):
        trade0.append(w[d] * inflow[0, rows, sl] @ k)
        trade1.append(w[d] * inflow[1, rows, sl] @ k)
        exposure = p.vendor_risk[d] * mitigation[:, None] * (world.hostility[rows] @ s.T)
        partners = p.partner_value * w[d] * (ties[rows, sl] @ k) / safe_ties[:, None]
        patron = p.patron_value * (world.affinity[rows] @ s.T)
        sec.append(partners + patron - exposure)
        opts = ECOSYSTEMS[DOMAINS[d]]
        cost = np.array([*p.vendor_cost[d], 0.0])[: len(opts)]
        hyb = opts.index("hybrid")
        blocs_here = [i for i, o in enumerate(opts) if o != "hybrid"]
        cost[hyb] = np.mean(cost[blocs_here]) + p.hybrid_cost
        econ = np.broadcast_to(-cost, (len(rows), len(opts))).copy()
        if DOMAINS[d] == "semiconductors":
            denied = s[None, :, BLOCS.index("cn")] + s[None, :, BLOCS.index("us")] * world.hostility[rows, 0:1]
            econ -= p.frontier_value * p.export_controls * denied
        bloc_cap = np.zeros((len(rows), len(BLOCS)))
        for j, o in enumerate(opts):
            if o != "hybrid":
                bloc_cap[:, BLOCS.index(o)] = world.tech[rows, sl.start + j]
        econ += p.industry_weight * bloc_cap @ s.T
        eco.append(econ)
    return trade0, trade1, sec, eco


def _level_values(world: World, rows: np.ndarray, p: PayoffParams) -> tuple[np.ndarray, ...]:
    """Per localization level, the ``(R, 4)`` security, economy and sovereignty parts."""
    tech_base = world.tech[rows].max(axis=1)
    sec = np.broadcast_to(p.localization_security * CONTROL, (len(rows), N_LEVELS))
    eco = (p.localization_protection * tech_base - p.innovation_loss)[:, None] * CONTROL
    sov = world.data_pref[rows, None] * CONTROL
    return sec, eco, sov


def evaluate(world: World, align: np.ndarray, loc: np.ndarray, p: PayoffParams) -> Evaluation:
    """Return the aggregates and each state's payoff components for a policy profile."""
    align = np.asarray(align, dtype=np.int64)
    loc = np.asarray(loc, dtype=np.int64)
    onehot = one_hot(align)
    phi = flow_permission(p)
    inflow = _trade_inflow(world, onehot, loc, phi)
    ties = world.ties_dot(onehot)
    potential = world.gravity.sum(axis=1)
    rows = np.arange(world.n)
    t0, t1, sec, eco = _domain_values(world, rows, inflow, ties, p)
    lsec, leco, lsov = _level_values(world, rows, p)
    trade = phi[0, loc] * sum(v[rows, align[:, d]] for d, v in enumerate(t0))
    trade = trade + phi[1, loc] * sum(v[rows, align[:, d]] for d, v in enumerate(t1))
    trade = trade / np.where(potential > 0, potential, 1.0)
    security = sum(v[rows, align[:, d]] for d, v in enumerate(sec)) + lsec[rows, loc]
    economy = sum(v[rows, align[:, d]] for d, v in enumerate(eco)) + leco[rows, loc]
    sovereignty = lsov[rows, loc]
    comps = {
        "trade": trade,
        "security": security,
        "economy": economy,
        "sovereignty": sovereignty,
    }
    comps["utility"] = utility(comps, p)
    return Evaluation(align, loc, onehot, inflow, ties, potential, comps)


def utility(components: dict[str, np.ndarray], p: PayoffParams) -> np.ndarray:
    """Return the weighted sum of the four payoff components."""
    return (
        p.weight_trade * components["trade"]
        + p.weight_security * components["security"]
        + p.weight_economy * components["economy"]
        + p.weight_sovereignty * components["sovereignty"]
    )


def option_values(world: World, ev: Evaluation, rows: np.ndarray, p: PayoffParams) -> np.ndarray:
    """Return the utility each state in ``rows`` would get from each of its options.

    The result has shape ``(R, 3, 3, 4, 4)``: 5G option, semiconductor option, AI option,
    localization level. Every other state keeps its current policy. Switching costs are not
    included (see :func:`switching_costs`).
    """
    rows = np.asarray(rows, dtype=np.int64)
    phi = flow_permission(p)
    t0, t1, sec, eco = _domain_values(world, rows, ev.trade_inflow, ev.partner_ties, p)
    lsec, leco, lsov = _level_values(world, rows, p)
    potential = ev.potential[rows]
    scale = 1.0 / np.where(potential > 0, potential, 1.0)

    def grid(parts: list[np.ndarray]) -> np.ndarray:
        a, b, c = parts
        return a[:, :, None, None] + b[:, None, :, None] + c[:, None, None, :]

    trade = (grid(t0)[..., None] * phi[0] + grid(t1)[..., None] * phi[1]) * scale[:, None, None, None, None]
    tech = p.weight_security * grid(sec) + p.weight_economy * grid(eco)
    level = p.weight_security * lsec + p.weight_economy * leco + p.weight_sovereignty * lsov
    return p.weight_trade * trade + tech[..., None] + level[:, None, None, None, :]


def switching_costs(align: np.ndarray, loc: np.ndarray, cost: float) -> np.ndarray:
    """Return the ``(R, 3, 3, 4, 4)`` cost of moving from each current policy to each option.

    Each domain whose option changes and a change of localization level costs ``cost``.
    """
    align = np.asarray(align)
    loc = np.asarray(loc)
    r = len(loc)
    changes = np.zeros((r, *[len(ECOSYSTEMS[d]) for d in DOMAINS], N_LEVELS))
    for d in range(len(DOMAINS)):
        n_opt = len(ECOSYSTEMS[DOMAINS[d]])
        moved = (np.arange(n_opt)[None, :] != align[:, d : d + 1]).astype(float)
        shape = [r, 1, 1, 1, 1]
        shape[d + 1] = n_opt
        changes += moved.reshape(shape)
    changes += (np.arange(N_LEVELS)[None, :] != loc[:, None]).astype(float)[:, None, None, None, :]
    return cost * changes
