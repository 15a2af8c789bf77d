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
  controls (for China's bloc, and for US-bloc users hostile to the US), plus support for a
  domestic industry, plus the protection localization gives domestic
  tech firms minus the cross-border innovation it costs;
* **sovereignty** ``=`` preference for data control times the control localization gives.

Utility is their weighted sum. Because ``C_ij`` is a weighted *sum* over domains and ``f_ij`` a
*product* over the two states, every state's payoff for every one of its 144 options follows from a
few ``(N, N) @ (N, 10)`` products (:func:`option_values`); :mod:`simulation.reference` computes the
same numbers with plain loops and is the oracle in the tests.
"""

from __future__ import annotations

import functools
import weakref
from dataclasses import dataclass, fields, replace

import numpy as np

from simulation.parameters import check_value
from simulation.world import (
    BLOCS,
    DOMAINS,
    ECOSYSTEMS,
    LOCALIZATION,
    N_COLUMNS,
    World,
    column_slices,
    share_matrix,
    stack_shares,
)

N_LEVELS = len(LOCALIZATION)
CONTROL = np.arange(N_LEVELS) / (N_LEVELS - 1)
"""Data control a localization level gives: 0 (open) to 1 (strict), evenly spaced."""


@dataclass(frozen=True)
class PayoffParams:
    """Parameters of the payoff functions; units, ranges and sources are in ``docs/ODD.md``."""

    domain_weight: tuple[float, float, float] = (0.4, 0.35, 0.25)
    cross_bloc_compat: float = 0.1
    hybrid_compat: float = 0.95
    eu_us_ai_compat: float = 0.6
    eu_cn_ai_compat: float = 0.3
    flow: tuple[float, float, float, float] = (1.0, 0.95, 0.6, 0.4)
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
        """Check every value against its documented range and the rules that span values.

        Messages start with the parameter's name: ``"flow: ...; allowed ..."``.
        """
        for name, size in (("flow", N_LEVELS), ("domain_weight", 3), ("vendor_risk", 3)):
            if not isinstance(getattr(self, name), tuple) or len(getattr(self, name)) != size:
                raise ValueError(f"{name}: {getattr(self, name)!r}; allowed {size} numbers")
        blocs = tuple(len(ECOSYSTEMS[d]) - 1 for d in DOMAINS)
        if (
            not isinstance(self.vendor_cost, tuple)
            or tuple(len(c) for c in self.vendor_cost) != blocs
        ):
            raise ValueError(
                f"vendor_cost: {self.vendor_cost!r}; allowed {blocs} numbers per domain "
                "(5G: us, cn; semiconductors: us, cn; AI: us, cn, eu)"
            )
        for f in fields(self):
            check_value(f.name, getattr(self, f.name))
        if any(a < b for a, b in zip(self.flow, self.flow[1:], strict=False)):
            raise ValueError(
                f"flow: {self.flow!r}; allowed values that do not increase with localization"
            )
        if not self.flow[2] <= self.adequacy_flow <= self.flow[0]:
            raise ValueError(
                f"adequacy_flow: {self.adequacy_flow!r}; allowed from flow[2] (sectoral, "
                f"{self.flow[2]}) to flow[0] (open, {self.flow[0]})"
            )
        if sum(self.domain_weight) <= 0:
            raise ValueError(
                f"domain_weight: {self.domain_weight!r}; allowed non-negative weights with a positive sum"
            )

    @property
    def interop_weights(self) -> np.ndarray:
        """Return ``domain_weight`` normalised to sum to 1."""
        w = np.asarray(self.domain_weight, dtype=float)
        return w / w.sum()

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Return the parameter names."""
        return tuple(f.name for f in fields(cls))


@functools.cache
def compat_matrices(p: PayoffParams) -> list[np.ndarray]:
    """Return the per-domain compatibility ``K_d`` between options (symmetric, unit diagonal).

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
        k.flags.writeable = False
        out.append(k)
    return out


def flow_permission(p: PayoffParams) -> np.ndarray:
    """Return ``phi`` as a ``(2, 4)`` array: row 0 without, row 1 with an adequacy arrangement."""
    phi = np.array([p.flow, p.flow], dtype=float)
    phi[1, LOCALIZATION.index("conditional")] = p.adequacy_flow
    return phi


def one_hot(align: np.ndarray) -> np.ndarray:
    """Return the ``(N, 10)`` one-hot encoding of an ``(N, 3)`` alignment array."""
    return _one_hot(option_columns(align))


def _one_hot(columns: np.ndarray) -> np.ndarray:
    x = np.zeros((columns.shape[0], N_COLUMNS))
    x[np.arange(columns.shape[0])[:, None], columns] = 1.0
    return x


def split_dot(
    world: World, f0: np.ndarray, f1: np.ndarray, m: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``((G - G*A) @ X0, (G*A) @ X1)``, ``Xa = fa m``: exchange outside, inside adequacy.

    ``m`` is a 0/1 matrix (one-hot alignments or community memberships) and ``f0``, ``f1`` each
    state's flow permission without and with an adequacy arrangement. A pair is covered when one
    state is in the EEA and the other is in the EEA or holds an adequacy decision:
    ``A = e q' + q e' - e e'`` with ``e`` the EEA indicator and ``q`` the adequate one, so
    ``(G*A) @ X = e (G (q X)) + q (G (e X)) - e (G (e X))``. One product of ``G`` with the five
    stacked blocks ``X0, q X0, e X0, q X1, e X1`` (one broadcast) serves all terms.
    """
    e = world.eea.astype(float)
    q = world.adequate.astype(float)
    n, k = m.shape
    weights = np.column_stack([f0, q * f0, e * f0, q * f1, e * f1])
    stacked = (weights[:, :, None] * m[:, None, :]).reshape(n, 5 * k)
    gx0, gqx0, gex0, gqx1, gex1 = (world.gravity @ stacked).reshape(n, 5, k).transpose(1, 0, 2)
    e, q = e[:, None], q[:, None]
    only_q = q - e  # adequate but not EEA: e q' + q e' - e e' = e q' + (q - e) e'
    return gx0 - (e * gqx0 + only_q * gex0), e * gqx1 + only_q * gex1


@dataclass(frozen=True)
class Terms:
    """Parts of the payoffs that depend on the world and parameters only, not on the profile.

    Per option column (``(N, 10)``, see :func:`simulation.world.column_slices`): ``security`` holds
    patron standing minus vendor exposure, ``economy`` vendor, dual-stack and frontier-access costs
    and industry support. Per localization level (``(N, 4)``): ``level_security``,
    ``level_economy``, ``level_sovereignty``. ``trade_kernel`` and ``partner_kernel`` are the
    ``(10, 10)`` block-diagonal matrices ``w_d K_d`` and ``partner_value w_d K_d``.
    ``safe_potential`` and ``safe_ties`` are ``potential`` and ``tie_total`` with zeros replaced by
    one, the divisors of the trade and partner terms.
    """

    phi: np.ndarray
    potential: np.ndarray
    tie_total: np.ndarray
    safe_potential: np.ndarray
    safe_ties: np.ndarray
    trade_kernel: np.ndarray
    partner_kernel: np.ndarray
    security: np.ndarray
    economy: np.ndarray
    level_security: np.ndarray
    level_economy: np.ndarray
    level_sovereignty: np.ndarray


@dataclass(frozen=True)
class Conditions:
    """Per-state conditions that change during a run (set by the cyber layer); ``None``: none.

    Attributes
    ----------
    hostility : numpy.ndarray or None
        ``(N, 3)`` hostility toward each bloc, replacing :attr:`World.hostility`.
    threat : numpy.ndarray or None
        ``(N,)`` perceived cyber threat; the security value of data control is multiplied by
        ``1 + threat``.
    subsidy : numpy.ndarray or None
        ``(N, 3)`` inducement a patron pays per unit of its bloc's share in a 5G option (economy).
    pressure : numpy.ndarray or None
        ``(N, 3)`` security cost a patron attaches per unit of a bloc's share in a 5G option.
    """

    hostility: np.ndarray | None = None
    threat: np.ndarray | None = None
    subsidy: np.ndarray | None = None
    pressure: np.ndarray | None = None


@dataclass(frozen=True)
class Layout:
    """Parameter-dependent constants in the 10-column option layout (see :func:`layout`)."""

    kernel: np.ndarray
    shares: np.ndarray
    shares_5g: np.ndarray
    risk: np.ndarray
    cost: np.ndarray
    industry: np.ndarray
    denied_cn: np.ndarray
    denied_us: np.ndarray


@functools.cache
def layout(p: PayoffParams) -> Layout:
    """Return the constants that turn per-state arrays into per-option-column terms.

    ``kernel``: block-diagonal ``w_d K_d``; ``shares``: ``(3, 10)`` share of each bloc in each
    option (``shares_5g``: the 5G columns only); ``risk``: vendor risk of the option's domain; ``cost``: vendor (and dual-stack) cost;
    ``industry``: ``(10, 10)`` map from domestic capacity per bloc option to support per option;
    ``denied_cn`` / ``denied_us``: share of China's / the US bloc's chips in semiconductor options.
    """
    ks, shares, slices = compat_matrices(p), stack_shares(), column_slices()
    w = p.interop_weights
    kernel = np.zeros((N_COLUMNS, N_COLUMNS))
    share = share_matrix()
    risk = np.zeros(N_COLUMNS)
    cost = np.zeros(N_COLUMNS)
    industry = np.zeros((N_COLUMNS, N_COLUMNS))
    denied_cn = np.zeros(N_COLUMNS)
    denied_us = np.zeros(N_COLUMNS)
    for d, (k, s, sl) in enumerate(zip(ks, shares, slices, strict=True)):
        opts = ECOSYSTEMS[DOMAINS[d]]
        kernel[sl, sl] = w[d] * k
        risk[sl] = p.vendor_risk[d]
        bloc_cols = [j for j, o in enumerate(opts) if o != "hybrid"]
        dom_cost = np.array([*p.vendor_cost[d], 0.0])
        dom_cost[opts.index("hybrid")] = np.mean(dom_cost[bloc_cols]) + p.hybrid_cost
        cost[sl] = dom_cost
        for j in bloc_cols:
            industry[sl.start + j, sl] = s[:, BLOCS.index(opts[j])]
        if DOMAINS[d] == "semiconductors":
            denied_cn[sl] = s[:, BLOCS.index("cn")]
            denied_us[sl] = s[:, BLOCS.index("us")]
    share_5g = np.zeros_like(share)
    share_5g[:, slices[DOMAINS.index("5g")]] = share[:, slices[DOMAINS.index("5g")]]
    for a in (kernel, share_5g, risk, cost, industry, denied_cn, denied_us):
        a.flags.writeable = False
    return Layout(kernel, share, share_5g, risk, cost, industry, denied_cn, denied_us)


def _nonzero(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x, 1.0)


def terms(world: World, p: PayoffParams, cond: Conditions | None = None) -> Terms:
    """Return the profile-independent payoff terms of ``world`` under ``p`` and ``cond``."""
    cond = Conditions() if cond is None else cond
    hostility = world.hostility if cond.hostility is None else cond.hostility
    lay, fixed = layout(p), _fixed_terms(world, p)
    security = fixed.patron - fixed.mitigation * (hostility @ lay.shares) * lay.risk
    denied = lay.denied_cn + hostility[:, 0:1] * lay.denied_us
    economy = fixed.industry - p.frontier_value * p.export_controls * denied
    if cond.pressure is not None:  # patrons act on 5G vendors only
        security -= cond.pressure @ lay.shares_5g
    if cond.subsidy is not None:
        economy += cond.subsidy @ lay.shares_5g
    return replace(
        fixed.terms,
        security=security,
        economy=economy,
        level_security=fixed.terms.level_security
        if cond.threat is None
        else (1.0 + cond.threat)[:, None] * (p.localization_security * CONTROL),
    )


@dataclass(frozen=True)
class _Fixed:
    """Terms of a world under ``p`` that no condition of the cyber layer changes."""

    terms: Terms
    patron: np.ndarray
    mitigation: np.ndarray
    industry: np.ndarray


_FIXED: weakref.WeakKeyDictionary[World, dict[PayoffParams, _Fixed]] = weakref.WeakKeyDictionary()


def _fixed_terms(world: World, p: PayoffParams) -> _Fixed:
    """Return the condition-independent terms, cached per world and parameters.

    The cyber layer recomputes the terms every step; only its conditions change. Worlds are keyed
    by identity (their arrays are not changed after they are built) and held weakly, so a cached
    entry goes with its world.
    """
    per_world = _FIXED.setdefault(world, {})
    if p not in per_world:
        per_world[p] = _compute_fixed(world, p)
    return per_world[p]


def _compute_fixed(world: World, p: PayoffParams) -> _Fixed:
    lay = layout(p)
    control = p.localization_security * CONTROL
    level_economy = p.localization_protection * world.tech.max(axis=1) - p.innovation_loss
    fixed = Terms(
        phi=flow_permission(p),
        potential=world.potential,
        tie_total=world.tie_total,
        safe_potential=_nonzero(world.potential),
        safe_ties=_nonzero(world.tie_total),
        trade_kernel=lay.kernel,
        partner_kernel=p.partner_value * lay.kernel,
        security=np.empty((0, N_COLUMNS)),
        economy=np.empty((0, N_COLUMNS)),
        level_security=np.broadcast_to(control, (world.n, N_LEVELS)),
        level_economy=level_economy[:, None] * CONTROL,
        level_sovereignty=world.data_pref[:, None] * CONTROL,
    )
    return _Fixed(
        terms=fixed,
        patron=p.patron_value * (world.affinity @ lay.shares),
        mitigation=(1.0 - p.capacity_mitigation * world.capacity)[:, None],
        industry=p.industry_weight * (world.tech @ lay.industry) - lay.cost,
    )


@dataclass
class Evaluation:
    """A profile, the aggregates from which payoffs and metrics follow, and the payoffs.

    ``trade_inflow[a]`` is ``(N, 10)``: for adequacy status ``a`` (0: not an adequacy pair, 1: an
    adequacy pair), the gravity weight of partners on each option scaled by their own flow
    permission. ``trade_value[a] = trade_inflow[a] @ trade_kernel`` is what each option would be
    worth in trade before the state's own flow permission; ``partner_value`` the same for security
    partners, already divided by the state's total tie strength.
    """

    align: np.ndarray
    loc: np.ndarray
    onehot: np.ndarray
    trade_inflow: np.ndarray
    trade_value: np.ndarray
    partner_value: np.ndarray
    potential: np.ndarray
    terms: Terms
    components: dict[str, np.ndarray]


_STARTS = np.array([sl.start for sl in column_slices()])


def option_columns(align: np.ndarray) -> np.ndarray:
    """Return the ``(N, 3)`` column of each state's option in the 10-column layout."""
    return np.asarray(align) + _STARTS


def evaluate(
    world: World, align: np.ndarray, loc: np.ndarray, p: PayoffParams, cached: Terms | None = None
) -> Evaluation:
    """Return the aggregates and each state's payoff components for a policy profile.

    ``cached`` is :func:`terms` of the same world and parameters, if already computed.
    """
    t = terms(world, p) if cached is None else cached
    align = np.asarray(align, dtype=np.int64)
    loc = np.asarray(loc, dtype=np.int64)
    columns = option_columns(align)
    onehot = _one_hot(columns)
    phi = t.phi[:, loc]  # (2, N): own flow permission outside / inside adequacy pairs
    inflow = np.stack(split_dot(world, phi[0], phi[1], onehot))
    value = inflow @ t.trade_kernel
    partner = (world.ties_dot(onehot) @ t.partner_kernel) / t.safe_ties[:, None]
    # each state's own options: the sum over its three columns of each (N, 10) table
    tables = np.stack([value[0], value[1], partner + t.security, t.economy])
    r = np.arange(len(loc))
    trade0, trade1, security, economy = tables[:, r[:, None], columns].sum(axis=2)
    comps = {
        "trade": (phi[0] * trade0 + phi[1] * trade1) / t.safe_potential,
        "security": security + t.level_security[r, loc],
        "economy": economy + t.level_economy[r, loc],
        "sovereignty": t.level_sovereignty[r, loc],
    }
    comps["utility"] = utility(comps, p)
    return Evaluation(align, loc, onehot, inflow, value, partner, t.potential, t, comps)


COMPONENTS = ("trade", "security", "economy", "sovereignty", "utility")
"""Names of the payoff components in :attr:`Evaluation.components`, in reporting order."""


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
    included (see :func:`switching_costs`). ``p`` must be the parameters ``ev`` was made with.
    """
    t = ev.terms
    rows = np.asarray(rows, dtype=np.int64)
    scale = (p.weight_trade / t.safe_potential[rows])[:, None]
    v0, v1 = ev.trade_value[:, rows] * scale
    fixed = (
        p.weight_security * (ev.partner_value[rows] + t.security[rows])
        + p.weight_economy * t.economy[rows]
    )
    level = (
        p.weight_security * t.level_security[rows]
        + p.weight_economy * t.level_economy[rows]
        + p.weight_sovereignty * t.level_sovereignty[rows]
    )
    a, b, c = column_slices()

    def grid(x: np.ndarray) -> np.ndarray:
        return x[:, a, None, None] + x[:, None, b, None] + x[:, None, None, c]

    out = grid(v0)[..., None] * t.phi[0] + grid(v1)[..., None] * t.phi[1]
    out += grid(fixed)[..., None]
    out += level[:, None, None, None, :]
    return out


POLICIES = np.array(np.unravel_index(np.arange(144), (3, 3, 4, N_LEVELS))).T
"""All 144 policies as rows ``(5G, semiconductors, AI, level)``, in :func:`option_values` order."""


_MOVES = (POLICIES[:, None, :] != POLICIES[None, :, :]).sum(axis=2).astype(float)
"""``(144, 144)``: how many domains and levels differ between two policies."""


def switching_costs(align: np.ndarray, loc: np.ndarray, cost: float) -> np.ndarray:
    """Return the ``(R, 3, 3, 4, 4)`` cost of moving from each current policy to each option.

    Each domain whose option changes and a change of localization level costs ``cost``.
    """
    align, loc = np.asarray(align), np.asarray(loc)
    current = np.ravel_multi_index(
        (align[:, 0], align[:, 1], align[:, 2], loc), (3, 3, 4, N_LEVELS)
    )
    return (cost * _MOVES[current]).reshape(len(loc), 3, 3, 4, N_LEVELS)
