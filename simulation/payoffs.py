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
*product* over the two states, every state's payoff for every one of its 144 options follows from
``(N, 10)`` aggregates made in one pass over the pairs (:func:`evaluate`, :func:`option_values`).
The per-step work is compiled with numba (``docs/ODD.md``, section 9);
:mod:`simulation.reference` computes the same numbers with plain Python loops and is the oracle in
the tests.
"""

from __future__ import annotations

import functools
import weakref
from dataclasses import dataclass, fields, replace

import numba
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

    @functools.cached_property
    def utility_weights(self) -> np.ndarray:
        """Return ``(weight_trade, weight_security, weight_economy, weight_sovereignty)``."""
        weights = np.array(
            [self.weight_trade, self.weight_security, self.weight_economy, self.weight_sovereignty]
        )
        weights.flags.writeable = False
        return weights

    @functools.cached_property
    def interop_weights(self) -> np.ndarray:
        """Return ``domain_weight`` normalised to sum to 1 (read-only)."""
        w = np.asarray(self.domain_weight, dtype=float)
        w = w / w.sum()
        w.flags.writeable = False
        return w

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
    """Return the profile-independent payoff terms of ``world`` under ``p`` and ``cond``.

    Per option column: ``security = patron - mitigation (hostility @ shares) risk - pressure @
    shares_5g`` and ``economy = industry - frontier_value export_controls (denied_cn + hostility_us
    denied_us) + subsidy @ shares_5g``; per level ``level_security = (1 + threat) *
    localization_security * control``. A condition that is ``None`` is zero.
    """
    cond = Conditions() if cond is None else cond
    fixed = _fixed_terms(world, p)
    lay = fixed.layout
    zero = np.zeros((world.n, len(BLOCS)))
    security, economy, level_security = _conditioned(
        fixed.patron,
        fixed.mitigation,
        fixed.industry,
        world.hostility if cond.hostility is None else cond.hostility,
        zero if cond.pressure is None else cond.pressure,
        zero if cond.subsidy is None else cond.subsidy,
        zero[:, 0] if cond.threat is None else cond.threat,
        lay.shares,
        lay.shares_5g,
        lay.risk,
        lay.denied_cn,
        lay.denied_us,
        p.frontier_value * p.export_controls,
        p.localization_security * CONTROL,
    )
    return replace(fixed.terms, security=security, economy=economy, level_security=level_security)


@numba.njit(cache=True)
def _conditioned(
    patron,
    mitigation,
    industry,
    hostility,
    pressure,
    subsidy,
    threat,
    shares,
    shares_5g,
    risk,
    denied_cn,
    denied_us,
    frontier_cost,
    control,
):  # pragma: no cover - compiled; tested through evaluate against simulation.reference
    n, k = patron.shape
    security, economy = np.empty((n, k)), np.empty((n, k))
    level_security = np.empty((n, control.shape[0]))
    for i in range(n):
        for c in range(k):
            exposure = pushed = offered = 0.0
            for b in range(shares.shape[0]):
                exposure += hostility[i, b] * shares[b, c]
                pushed += pressure[i, b] * shares_5g[b, c]
                offered += subsidy[i, b] * shares_5g[b, c]
            security[i, c] = patron[i, c] - mitigation[i, 0] * exposure * risk[c] - pushed
            denied = denied_cn[c] + hostility[i, 0] * denied_us[c]
            economy[i, c] = industry[i, c] - frontier_cost * denied + offered
        for lv in range(control.shape[0]):
            level_security[i, lv] = (1.0 + threat[i]) * control[lv]
    return security, economy, level_security


@dataclass(frozen=True)
class _Fixed:
    """Terms of a world under ``p`` that no condition of the cyber layer changes."""

    terms: Terms
    layout: Layout
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
    fixed = per_world.get(p)
    if fixed is None:
        fixed = per_world[p] = _compute_fixed(world, p)
    return fixed


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
        layout=lay,
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
    partners, already divided by the state's total tie strength. ``table`` is ``(5, N)``: the
    payoff components in :data:`COMPONENTS` order, and ``components`` names its rows. For the
    metrics (:mod:`simulation.metrics`): ``compatible`` is ``(N,)``, ``sum_j G_ij C_ij``, and
    ``inside[a]`` is ``(N,)``, the part of ``trade_inflow[a]`` (one domain's columns summed) from
    partners on the same joint alignment.
    """

    align: np.ndarray
    loc: np.ndarray
    trade_inflow: np.ndarray
    trade_value: np.ndarray
    partner_value: np.ndarray
    potential: np.ndarray
    terms: Terms
    table: np.ndarray
    components: dict[str, np.ndarray]
    compatible: np.ndarray
    inside: np.ndarray


COLUMN_STARTS = np.array([sl.start for sl in column_slices()], dtype=np.int64)
"""First column of each domain in the 10-column option layout: option ``k`` of domain ``d`` is
column ``COLUMN_STARTS[d] + k``."""


def option_columns(align: np.ndarray) -> np.ndarray:
    """Return the ``(N, 3)`` column of each state's option in the 10-column layout."""
    return np.asarray(align) + COLUMN_STARTS


@numba.njit(cache=True)
def _evaluate(
    gravity,
    eea,
    adequate,
    align,
    starts,
    loc,
    phi,
    trade_kernel,
    groups,
    group_weight,
    partner_kernel,
    safe_ties,
    safe_potential,
    security,
    economy,
    level_security,
    level_economy,
    level_sovereignty,
    weights,
):  # pragma: no cover - compiled; tested through evaluate against simulation.reference
    """Compiled body of :func:`evaluate`: one pass over the pairs, then each state's sums."""
    n, k = align.shape[0], trade_kernel.shape[0]
    columns = align + starts
    # trade_inflow[a, i, c] = sum_j G_ij phi(l_j, a) [j on option column c], a = A_ij
    inflow = np.zeros((2, n, k))
    # for the metrics: sum_j G_ij C_ij, and the part of the inflow from partners on the same
    # joint alignment (C_ij = 1)
    compatible, inside = np.zeros(n), np.zeros((2, n))
    row = np.zeros((2, k))  # state i's inflow, accumulated over j in order
    for i in range(n):
        c0, c1, c2 = columns[i, 0], columns[i, 1], columns[i, 2]
        in_eea, is_adequate = eea[i], adequate[i]
        row[:] = 0.0
        total = same0 = same1 = 0.0
        for j in range(n):  # G_ii = 0 and pairs with G_ij = 0 add zeros
            g = gravity[i, j]
            a = 1 if (in_eea and adequate[j]) or (is_adequate and eea[j]) else 0
            w = g * phi[a, loc[j]]
            d0, d1, d2 = columns[j, 0], columns[j, 1], columns[j, 2]
            row[a, d0] += w
            row[a, d1] += w
            row[a, d2] += w
            total += g * (trade_kernel[c0, d0] + trade_kernel[c1, d1] + trade_kernel[c2, d2])
            if c0 == d0 and c1 == d1 and c2 == d2:
                if a:
                    same1 += w
                else:
                    same0 += w
        for c in range(k):
            inflow[0, i, c], inflow[1, i, c] = row[0, c], row[1, c]
        compatible[i], inside[0, i], inside[1, i] = total, same0, same1
    value = np.zeros((2, n, k))
    for a in range(2):
        for i in range(n):
            for c in range(k):
                x = inflow[a, i, c]
                if x != 0.0:
                    for c2 in range(k):
                        value[a, i, c2] += x * trade_kernel[c, c2]
    # security partners: T @ onehot with T_ij = sum_g w_g m_ig m_jg (i != j), through the groups
    n_groups = groups.shape[1]
    members = np.zeros((n_groups, k))
    for j in range(n):
        for h in range(n_groups):
            m = groups[j, h]
            if m != 0.0:
                for d in range(3):
                    members[h, columns[j, d]] += m
    partner = np.zeros((n, k))
    tied = np.zeros(k)
    for i in range(n):
        tied[:] = 0.0
        for h in range(n_groups):
            m = groups[i, h] * group_weight[h]
            if m != 0.0:
                for c in range(k):
                    tied[c] += m * members[h, c]
                for d in range(3):
                    tied[columns[i, d]] -= m * groups[i, h]  # no tie with oneself
        for c in range(k):
            x = tied[c]
            if x != 0.0:
                for c2 in range(k):
                    partner[i, c2] += x * partner_kernel[c, c2]
        for c in range(k):
            partner[i, c] /= safe_ties[i]
    table = np.empty((5, n))
    for i in range(n):
        trade0 = trade1 = sec = eco = 0.0
        for d in range(3):
            c = columns[i, d]
            trade0 += value[0, i, c]
            trade1 += value[1, i, c]
            sec += partner[i, c] + security[i, c]
            eco += economy[i, c]
        level = loc[i]
        trade = (phi[0, level] * trade0 + phi[1, level] * trade1) / safe_potential[i]
        sec += level_security[i, level]
        eco += level_economy[i, level]
        sov = level_sovereignty[i, level]
        table[0, i], table[1, i], table[2, i], table[3, i] = trade, sec, eco, sov
        table[4, i] = weights[0] * trade + weights[1] * sec + weights[2] * eco + weights[3] * sov
    return inflow, value, partner, table, compatible, inside


def evaluate(
    world: World, align: np.ndarray, loc: np.ndarray, p: PayoffParams, cached: Terms | None = None
) -> Evaluation:
    """Return the aggregates and each state's payoff components for a policy profile.

    ``cached`` is :func:`terms` of the same world and parameters, if already computed.
    """
    t = terms(world, p) if cached is None else cached
    align = np.ascontiguousarray(align, dtype=np.int64)
    loc = np.ascontiguousarray(loc, dtype=np.int64)
    inflow, value, partner, table, compatible, inside = _evaluate(
        world.gravity,
        world.eea,
        world.adequate,
        align,
        COLUMN_STARTS,
        loc,
        t.phi,
        t.trade_kernel,
        world.groups,
        world.group_weight,
        t.partner_kernel,
        t.safe_ties,
        t.safe_potential,
        t.security,
        t.economy,
        t.level_security,
        t.level_economy,
        t.level_sovereignty,
        p.utility_weights,
    )
    comps = dict(zip(COMPONENTS, table, strict=True))
    return Evaluation(
        align, loc, inflow, value, partner, t.potential, t, table, comps, compatible, inside
    )


COMPONENTS = ("trade", "security", "economy", "sovereignty", "utility")
"""Names of the payoff components in :attr:`Evaluation.components`, in reporting order."""


def option_values(
    world: World, ev: Evaluation, rows: np.ndarray, p: PayoffParams, switching_cost: float = 0.0
) -> np.ndarray:
    """Return the utility each state in ``rows`` would get from each of its options.

    The result has shape ``(R, 3, 3, 4, 4)``: 5G option, semiconductor option, AI option,
    localization level. Every other state keeps its current policy. Each domain whose option
    differs from the state's current one, and a change of localization level, costs
    ``switching_cost`` (none by default). ``p`` must be the parameters ``ev`` was made with.
    """
    t = ev.terms
    out = _option_values(
        np.ascontiguousarray(rows, dtype=np.int64),
        ev.align,
        ev.loc,
        ev.trade_value,
        ev.partner_value,
        t.safe_potential,
        t.security,
        t.economy,
        t.level_security,
        t.level_economy,
        t.level_sovereignty,
        t.phi,
        p.utility_weights,
        float(switching_cost),
    )
    return out.reshape(len(out), *POLICY_SHAPE)


POLICY_SHAPE = (*(len(ECOSYSTEMS[d]) for d in DOMAINS), N_LEVELS)
"""Options per domain and localization levels: ``(3, 3, 4, 4)``, 144 policies."""


@numba.njit(cache=True)
def _option_values(
    rows,
    align,
    loc,
    trade_value,
    partner_value,
    safe_potential,
    security,
    economy,
    level_security,
    level_economy,
    level_sovereignty,
    phi,
    weights,
    switching_cost,
):  # pragma: no cover - compiled; tested against evaluate of each deviation and the reference
    """Compiled body of :func:`option_values`, one row of 144 policies per state."""
    k, n_levels = trade_value.shape[2], phi.shape[1]
    n_a, n_b = 3, 3
    n_c = k - n_a - n_b
    out = np.empty((len(rows), n_a * n_b * n_c * n_levels))
    v0, v1, fixed, level = np.empty(k), np.empty(k), np.empty(k), np.empty(n_levels)
    for r in range(len(rows)):
        i = rows[r]
        scale = weights[0] / safe_potential[i]
        for c in range(k):
            v0[c] = trade_value[0, i, c] * scale
            v1[c] = trade_value[1, i, c] * scale
            fixed[c] = (
                weights[1] * (partner_value[i, c] + security[i, c]) + weights[2] * economy[i, c]
            )
        for lv in range(n_levels):
            level[lv] = (
                weights[1] * level_security[i, lv]
                + weights[2] * level_economy[i, lv]
                + weights[3] * level_sovereignty[i, lv]
            )
        idx = 0
        for a in range(n_a):
            for b in range(n_b):
                for c in range(n_c):
                    ca, cb, cc = a, n_a + b, n_a + n_b + c
                    t0 = v0[ca] + v0[cb] + v0[cc]
                    t1 = v1[ca] + v1[cb] + v1[cc]
                    f = fixed[ca] + fixed[cb] + fixed[cc]
                    moves = (a != align[i, 0]) + (b != align[i, 1]) + (c != align[i, 2])
                    for lv in range(n_levels):
                        out[r, idx] = (
                            t0 * phi[0, lv]
                            + t1 * phi[1, lv]
                            + f
                            + level[lv]
                            - switching_cost * (moves + (lv != loc[i]))
                        )
                        idx += 1
    return out


POLICIES = np.array(np.unravel_index(np.arange(np.prod(POLICY_SHAPE)), POLICY_SHAPE)).T
"""All 144 policies as rows ``(5G, semiconductors, AI, level)``, in :func:`option_values` order."""
