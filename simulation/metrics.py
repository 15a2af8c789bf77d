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

import numpy as np

from simulation.payoffs import (
    COMPONENTS,
    Evaluation,
    PayoffParams,
    compat_matrices,
    flow_permission,
    one_hot,
    split_dot,
)
from simulation.world import DOMAINS, ECOSYSTEMS, World, column_slices, stack_shares


def realised_exchange(ev: Evaluation) -> np.ndarray:
    """Return each state's realised exchange ``sum_j G_ij C_ij f_ij`` (its strength in ``W``)."""
    return ev.components["trade"] * ev.potential


def fragmentation(ev: Evaluation) -> float:
    """Return the share of potential digital exchange lost, in [0, 1]."""
    total = ev.potential.sum()
    return float(1.0 - realised_exchange(ev).sum() / total) if total > 0 else 0.0


def fragmentation_technical(world: World, ev: Evaluation, p: PayoffParams) -> float:
    """Return the share lost to ecosystem incompatibility alone (all data flows open)."""
    # sum_ij G_ij C_ij with C_ij = onehot_i' (block-diagonal w_d K_d) onehot_j
    kept = np.sum(ev.onehot * ((world.gravity @ ev.onehot) @ ev.terms.trade_kernel))
    return float(1.0 - kept / ev.potential.sum())


_FIRST_DOMAIN = column_slices()[0]


def fragmentation_data(world: World, ev: Evaluation, p: PayoffParams) -> float:
    """Return the share lost to data-flow restrictions alone (all ecosystems compatible).

    Summing a domain's option columns of ``trade_inflow`` gives each state's partners' gravity
    weight times their flow permission, so no new product with ``G`` is needed.
    """
    phi = ev.terms.phi
    inflow = ev.trade_inflow[:, :, _FIRST_DOMAIN].sum(axis=2)
    kept = phi[0, ev.loc] @ inflow[0] + phi[1, ev.loc] @ inflow[1]
    return float(1.0 - kept / world.gravity.sum())


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
    return _modularity(world, ev, realised_exchange(ev))


def _modularity(world: World, ev: Evaluation, strength: np.ndarray) -> float:
    total = strength.sum()
    if total <= 0:
        return 0.0
    comm = profile_ids(ev.align)
    present = np.flatnonzero(np.bincount(comm, minlength=N_PROFILES))
    member = (comm[:, None] == present[None, :]).astype(float)
    phi = ev.terms.phi
    f0, f1 = phi[0, ev.loc][:, None], phi[1, ev.loc][:, None]
    inside0, inside1 = split_dot(world, f0[:, 0], f1[:, 0], member)
    w_cc = np.sum(member * (f0 * inside0 + f1 * inside1), axis=0)
    k_c = strength @ member
    return float(np.sum(w_cc / total - (k_c / total) ** 2))


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
    return _effective(option_shares(one_hot(np.asarray(align)), weights))


def _effective(gdp_shares: np.ndarray) -> dict[str, float]:
    """Effective number of ecosystems from the ``(10,)`` GDP shares of the option columns."""
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
    security = float(np.mean(ev.components["security"]))
    return _balance(security, float(np.mean(ev.components["trade"])), p)


def _balance(mean_security: float, mean_trade: float, p: PayoffParams) -> float:
    s, c = p.weight_security * mean_security, p.weight_trade * mean_trade
    denom = abs(s) + abs(c)
    return s / denom if denom > 0 else 0.0


def summary(world: World, ev: Evaluation, p: PayoffParams) -> dict[str, float]:
    """Return every model-level metric of a profile as a flat dict (the model reporters)."""
    comps = ev.components
    trade, security, economy, sovereignty, welfare = np.mean(
        [comps[k] for k in COMPONENTS], axis=1
    ).tolist()
    strength = realised_exchange(ev)
    exchanged, potential = float(strength.sum()), float(ev.potential.sum())
    out = {
        "fragmentation": 1.0 - exchanged / potential if potential > 0 else 0.0,
        "fragmentation_technical": fragmentation_technical(world, ev, p),
        "fragmentation_data": fragmentation_data(world, ev, p),
        "digital_trade": exchanged,
        "modularity": _modularity(world, ev, strength),
        "mean_localization": mean_localization(ev.loc),
        "mean_trade": trade,
        "mean_security": security,
        "mean_economy": economy,
        "mean_sovereignty": sovereignty,
        "welfare": welfare,
        "security_connectivity_balance": _balance(security, trade, p),
    }
    counts = option_shares(ev.onehot).tolist()
    gdp = option_shares(ev.onehot, world.gdp)
    out.update(zip(SHARE_KEYS, counts, strict=True))
    out.update(zip(GDP_SHARE_KEYS, gdp.tolist(), strict=True))
    out.update({f"effective_ecosystems_{k}": v for k, v in _effective(gdp).items()})
    return out


SHARE_KEYS = tuple(f"share_{k}" for k in OPTION_KEYS)
GDP_SHARE_KEYS = tuple(f"gdp_share_{k}" for k in OPTION_KEYS)
