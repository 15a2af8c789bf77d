"""Fragmentation and outcome metrics: pure functions of a world, a profile and its evaluation.

Definitions (``docs/ODD.md`` has them as formulas):

* **fragmentation**: share of potential gravity-weighted digital exchange lost to incompatible
  ecosystems and data-flow restrictions, ``1 - sum_ij G_ij C_ij f_ij / sum_ij G_ij``; its
  *technical* part counts only incompatibility (``f = 1``), its *data* part only flow restrictions
  (``C = 1``), after the typology of Drake, Cerf & Kleinwächter (2016);
* **bloc shares** per domain by count and by GDP, and the **effective number of ecosystems**
  ``1 / sum_b s_b^2`` over GDP shares of the blocs (a hybrid state's GDP split by its stack shares);
* **modularity** (Newman) of the interoperability network ``W_ij = G_ij C_ij f_ij`` under the
  partition of states by their joint alignment (5G, semiconductors, AI);
* **mean localization** (level / 3), **digital trade** (realised exchange; a frictionless world
  trades 1), **mean security**, **welfare** (mean utility), and the **security-connectivity
  balance** ``S / (|S| + C)`` of mean weighted security ``S`` against mean weighted trade ``C``.
"""

from __future__ import annotations

import numba
import numpy as np

from simulation.payoffs import (
    COLUMN_STARTS,
    Evaluation,
    PayoffParams,
    compat_matrices,
    flow_permission,
    one_hot,
)
from simulation.world import DOMAINS, ECOSYSTEMS, World, column_slices, stack_shares


def realised_exchange(ev: Evaluation) -> np.ndarray:
    """Return each state's realised exchange ``sum_j G_ij C_ij f_ij`` (its strength in ``W``)."""
    return ev.components["trade"] * ev.potential


def fragmentation(ev: Evaluation) -> float:
    """Return the share of potential digital exchange lost, in [0, 1]."""
    return _lost(float(realised_exchange(ev).sum()), float(ev.potential.sum()))


def fragmentation_technical(world: World, ev: Evaluation, p: PayoffParams) -> float:
    """Return the share lost to ecosystem incompatibility alone (all data flows open)."""
    return _lost(pair_sums(ev)[0], float(ev.potential.sum()))


def fragmentation_data(world: World, ev: Evaluation, p: PayoffParams) -> float:
    """Return the share lost to data-flow restrictions alone (all ecosystems compatible)."""
    return _lost(pair_sums(ev)[1], float(ev.potential.sum()))


@numba.njit(cache=True)
def _lost(kept: float, potential: float) -> float:  # pragma: no cover - compiled
    """Return ``1 - kept / potential`` in [0, 1] (0 without potential).

    Where nothing is lost, ``kept`` and ``potential`` are sums of the same numbers in different
    orders and may differ in the last bit; the clip keeps the share from leaving [0, 1].
    """
    if potential <= 0:
        return 0.0
    return min(1.0, max(0.0, 1.0 - kept / potential))


def pair_sums(ev: Evaluation) -> tuple[float, float, float]:
    """Return ``sum_ij G_ij C_ij``, ``sum_ij G_ij f_ij`` and the same-alignment ``sum G_ij f_ij``.

    The three sums over pairs behind :func:`fragmentation_technical`, :func:`fragmentation_data`
    and :func:`modularity` (inside a community of identical joint alignment ``C_ij = 1``), from the
    aggregates of the evaluation's pass over the pairs: ``f_ij = phi(l_i, A_ij) phi(l_j, A_ij)``,
    so state ``i``'s own permission multiplies its inflow.
    """
    own = ev.terms.phi[:, ev.loc]  # (2, N)
    flowing = own * ev.trade_inflow[:, :, _FIRST_DOMAIN].sum(axis=2)
    return float(ev.compatible.sum()), float(flowing.sum()), float((own * ev.inside).sum())


_FIRST_DOMAIN = column_slices()[0]


def interoperability_matrix(
    world: World, align: np.ndarray, loc: np.ndarray, p: PayoffParams
) -> np.ndarray:
    """Return the dense ``(N, N)`` interoperability ``C_ij f_ij`` (zero diagonal; small worlds)."""
    ks, w = compat_matrices(p), p.interop_weights
    compat = sum(w[d] * ks[d][np.ix_(align[:, d], align[:, d])] for d in range(len(DOMAINS)))
    phi = flow_permission(p)
    e, q = world.eea, world.adequate
    pair = (e[:, None] & q[None, :]) | (q[:, None] & e[None, :])
    flow = np.where(
        pair,
        phi[1, loc][:, None] * phi[1, loc][None, :],
        phi[0, loc][:, None] * phi[0, loc][None, :],
    )
    out = compat * flow
    np.fill_diagonal(out, 0.0)
    return out


N_PROFILES = int(np.prod([len(ECOSYSTEMS[d]) for d in DOMAINS]))
"""Number of joint alignments (5G x semiconductors x AI options)."""


_SIZES = [len(ECOSYSTEMS[d]) for d in DOMAINS]
_PROFILE_STRIDES = np.array([_SIZES[1] * _SIZES[2], _SIZES[2], 1])
"""Place values of the joint-alignment id (5G, semiconductors, AI), as ``ravel_multi_index``."""


def profile_ids(align: np.ndarray) -> np.ndarray:
    """Return an integer id of each state's joint alignment (5G, semiconductors, AI)."""
    return np.asarray(align) @ _PROFILE_STRIDES


def modularity(world: World, ev: Evaluation, p: PayoffParams) -> float:
    """Return Newman's modularity of the interoperability network by joint-alignment partition.

    ``Q = sum_c [W_cc / W - (K_c / W)^2]`` with ``W`` the total weight, ``W_cc`` the weight inside
    community ``c`` and ``K_c`` its total strength. Inside a community ecosystems are identical, so
    ``W_cc`` needs only gravity and flows.
    """
    strength = realised_exchange(ev)
    total = strength.sum()
    if total <= 0:
        return 0.0
    k_c = np.bincount(profile_ids(ev.align), weights=strength)
    return float(pair_sums(ev)[2] / total - np.sum((k_c / total) ** 2))


OPTION_KEYS = tuple(f"{opt}_{dom}" for dom in DOMAINS for opt in ECOSYSTEMS[dom])
"""``"{option}_{domain}"`` names of the 10 option columns, in column order."""


def option_shares(onehot: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Return the ``(10,)`` share of states (or of ``weights``) on each option column."""
    if weights is None:
        return onehot.mean(axis=0)
    w = np.asarray(weights, dtype=float)
    return (w / w.sum()) @ onehot


def bloc_shares(align: np.ndarray, weights: np.ndarray | None = None) -> dict[str, float]:
    """Return the share of states (or of ``weights``, e.g. GDP) on each option of each domain.

    Keys are ``"{option}_{domain}"``, e.g. ``"us_5g"`` or ``"hybrid_ai"``.
    """
    shares = option_shares(one_hot(np.asarray(align)), weights)
    return dict(zip(OPTION_KEYS, shares.tolist(), strict=True))


def effective_ecosystems(align: np.ndarray, weights: np.ndarray) -> dict[str, float]:
    """Return the effective number of ecosystems per domain, ``1 / sum_b s_b^2``.

    ``s_b`` is bloc ``b``'s share of ``weights`` (GDP), a hybrid state's weight split over the blocs
    by its stack shares. 1 means one ecosystem; 2 two of equal weight.
    """
    gdp_shares = option_shares(one_hot(np.asarray(align)), weights)
    blocs = (gdp_shares @ _DOMAIN_BLOC).reshape(len(DOMAINS), -1)  # (domain, bloc)
    return dict(zip(DOMAINS, (1.0 / (blocs**2).sum(axis=1)).tolist(), strict=True))


def _domain_bloc_shares() -> np.ndarray:
    """``(10, 9)``: option column -> (domain, bloc) share of its stack, zero outside its domain."""
    out = np.zeros((sum(len(ECOSYSTEMS[d]) for d in DOMAINS), len(DOMAINS), 3))
    for d, (share, sl) in enumerate(zip(stack_shares(), column_slices(), strict=True)):
        out[sl, d, :] = share
    return out.reshape(out.shape[0], -1)


_DOMAIN_BLOC = _domain_bloc_shares()


def mean_localization(loc: np.ndarray) -> float:
    """Return the mean localization level scaled to [0, 1] (open 0, strict 1)."""
    return float(np.sum(loc)) / len(loc) / 3.0


def security_connectivity_balance(ev: Evaluation, p: PayoffParams) -> float:
    """Return ``S / (|S| + C)``: mean weighted security ``S`` against mean weighted trade ``C``.

    Near 1 security gains dominate states' payoffs; near 0 connectivity does; below 0 net security
    exposure outweighs connectivity.
    """
    s = p.weight_security * float(np.mean(ev.components["security"]))
    c = p.weight_trade * float(np.mean(ev.components["trade"]))
    denom = abs(s) + abs(c)
    return s / denom if denom > 0 else 0.0


def summary(world: World, ev: Evaluation, p: PayoffParams) -> dict[str, float]:
    """Return every model-level metric of a profile as a flat dict (the model reporters).

    The values are those of the functions above (:func:`fragmentation`, :func:`modularity`,
    :func:`bloc_shares`, ...), computed together in one compiled pass that shares the sums over
    pairs and states; a test holds the two to 1e-12.
    """
    values = _summary(
        ev.align,
        COLUMN_STARTS,
        ev.loc,
        ev.terms.phi,
        ev.trade_inflow,
        ev.compatible,
        ev.inside,
        ev.table,
        ev.potential,
        world.gdp,
        _DOMAIN_BLOC,
        _PROFILE_STRIDES,
        N_PROFILES,
        _FIRST_DOMAIN.stop,
        p.weight_security,
        p.weight_trade,
    )
    return dict(zip(SUMMARY_KEYS, values.tolist(), strict=True))


@numba.njit(cache=True)
def _summary(
    align,
    starts,
    loc,
    phi,
    inflow,
    compatible_i,
    inside_i,
    table,
    potential,
    gdp,
    domain_bloc,
    strides,
    n_profiles,
    first_domain,
    weight_security,
    weight_trade,
):  # pragma: no cover - compiled; tested against the functions above
    n, k = align.shape[0], inflow.shape[2]
    columns = align + starts
    compatible = flowing = inside = 0.0  # as pair_sums
    for i in range(n):
        compatible += compatible_i[i]
        for a in range(2):
            own = phi[a, loc[i]]
            partners = 0.0
            for c in range(first_domain):
                partners += inflow[a, i, c]
            flowing += own * partners
            inside += own * inside_i[a, i]
    means = np.zeros(5)
    exchanged = total_potential = total_gdp = localization = 0.0
    strength_c = np.zeros(n_profiles)
    counts, gdp_shares = np.zeros(k), np.zeros(k)
    for i in range(n):
        for r in range(5):
            means[r] += table[r, i]
        strength = table[0, i] * potential[i]
        exchanged += strength
        total_potential += potential[i]
        total_gdp += gdp[i]
        localization += loc[i]
        profile = 0
        for d in range(3):
            counts[columns[i, d]] += 1.0
            gdp_shares[columns[i, d]] += gdp[i]
            profile += align[i, d] * strides[d]
        strength_c[profile] += strength
    means /= n
    out = np.empty(12 + 2 * k + 3)
    out[0] = _lost(exchanged, total_potential)
    out[1] = _lost(compatible, total_potential)
    out[2] = _lost(flowing, total_potential)
    out[3] = exchanged
    modularity = 0.0
    if exchanged > 0:
        modularity = inside / exchanged
        for c in range(n_profiles):
            modularity -= (strength_c[c] / exchanged) ** 2
    out[4] = modularity
    out[5] = localization / n / 3.0
    out[6:11] = means  # trade, security, economy, sovereignty, welfare
    s, c = weight_security * means[1], weight_trade * means[0]
    out[11] = s / (abs(s) + abs(c)) if abs(s) + abs(c) > 0 else 0.0
    gdp_shares /= total_gdp
    out[12 : 12 + k] = counts / n
    out[12 + k : 12 + 2 * k] = gdp_shares
    blocs = np.zeros(domain_bloc.shape[1])
    for c in range(k):
        for b in range(domain_bloc.shape[1]):
            blocs[b] += gdp_shares[c] * domain_bloc[c, b]
    per_domain = domain_bloc.shape[1] // 3
    for d in range(3):
        concentration = 0.0
        for b in range(per_domain):
            concentration += blocs[d * per_domain + b] ** 2
        out[12 + 2 * k + d] = 1.0 / concentration
    return out


SHARE_KEYS = tuple(f"share_{k}" for k in OPTION_KEYS)
GDP_SHARE_KEYS = tuple(f"gdp_share_{k}" for k in OPTION_KEYS)
SUMMARY_KEYS = (
    "fragmentation",
    "fragmentation_technical",
    "fragmentation_data",
    "digital_trade",
    "modularity",
    "mean_localization",
    "mean_trade",
    "mean_security",
    "mean_economy",
    "mean_sovereignty",
    "welfare",
    "security_connectivity_balance",
    *SHARE_KEYS,
    *GDP_SHARE_KEYS,
    *(f"effective_ecosystems_{d}" for d in DOMAINS),
)
"""Names of the metrics :func:`summary` returns, in order (the model reporters)."""
