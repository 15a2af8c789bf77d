"""Metrics against hand-worked numbers (conftest.tiny3), networkx, and the loop reference.

The worked example (see conftest and test_payoffs): gravity G01 = .3, G02 = G12 = .1 (each pair
counted twice in the sum, total 1); compatibilities C01 = .775, C02 = .5, C12 = .4; flow
permissions f01 = .16, f02 = .2, f12 = .8; GDP (50, 30, 20); profile 0: (us, hybrid, eu) strict,
1: (us, cn, us) conditional, 2: (cn, hybrid, hybrid) open.
"""

from __future__ import annotations

from dataclasses import replace

import networkx as nx
import numpy as np
import pytest
from conftest import TINY3_PARAMS, cached_synthetic, make_world, random_params, random_profile

from simulation import metrics, reference
from simulation.payoffs import PayoffParams, evaluate

P = PayoffParams(**TINY3_PARAMS)
ADEQ_G = [[0.0, 0.3, 0.1], [0.3, 0.0, 0.1], [0.1, 0.1, 0.0]]


def test_fragmentation_by_hand(tiny3):
    world, align, loc, p = tiny3
    ev = evaluate(world, align, loc, p)
    # kept = 2 * (.3 * .775*.16 + .1 * .5*.2 + .1 * .4*.8) = 2 * (.0372 + .01 + .032) = .1584
    assert metrics.fragmentation(ev) == pytest.approx(1 - 0.1584, abs=1e-12)
    np.testing.assert_allclose(metrics.realised_exchange(ev), [0.0472, 0.0692, 0.042], atol=1e-12)


def test_fragmentation_technical_by_hand(tiny3):
    world, align, loc, p = tiny3
    ev = evaluate(world, align, loc, p)
    # flows ignored: 1 - 2 * (.3 * .775 + .1 * .5 + .1 * .4) = 1 - .645
    assert metrics.fragmentation_technical(world, ev, p) == pytest.approx(0.355, abs=1e-12)


def test_fragmentation_data_by_hand(tiny3):
    world, align, loc, p = tiny3
    ev = evaluate(world, align, loc, p)
    # ecosystems ignored: 1 - 2 * (.3 * .16 + .1 * .2 + .1 * .8) = 1 - .296
    assert metrics.fragmentation_data(world, ev, p) == pytest.approx(0.704, abs=1e-12)


def test_fragmentation_data_with_adequacy():
    # EEA state 0, adequate state 1, other state 2, all conditional: f01 = 1, others .64
    w = make_world(ADEQ_G, eea=[True, False, False], adequate=[True, True, False])
    align = np.array([[0, 0, 0], [1, 1, 1], [2, 2, 3]])
    ev = evaluate(w, align, np.array([1, 1, 1]), P)
    expected = 1 - 2 * (0.3 * 1.0 + 0.1 * 0.64 + 0.1 * 0.64)
    assert metrics.fragmentation_data(w, ev, P) == pytest.approx(expected, abs=1e-12)


def test_bloc_shares_by_hand(tiny3):
    world, align, _, _ = tiny3
    third = 1 / 3
    counts = metrics.bloc_shares(align)
    expected = {
        "us_5g": 2 * third, "cn_5g": third, "hybrid_5g": 0.0,
        "us_semiconductors": 0.0, "cn_semiconductors": third, "hybrid_semiconductors": 2 * third,
        "us_ai": third, "cn_ai": 0.0, "eu_ai": third, "hybrid_ai": third,
    }  # fmt: skip
    assert counts.keys() == expected.keys()
    for k, v in expected.items():
        assert counts[k] == pytest.approx(v, abs=1e-12), k
    # GDP weights .5, .3, .2
    gdp = metrics.bloc_shares(align, world.gdp)
    expected_gdp = {
        "us_5g": 0.8, "cn_5g": 0.2, "hybrid_5g": 0.0,
        "us_semiconductors": 0.0, "cn_semiconductors": 0.3, "hybrid_semiconductors": 0.7,
        "us_ai": 0.3, "cn_ai": 0.0, "eu_ai": 0.5, "hybrid_ai": 0.2,
    }  # fmt: skip
    for k, v in expected_gdp.items():
        assert gdp[k] == pytest.approx(v, abs=1e-12), k


def test_effective_ecosystems_by_hand(tiny3):
    world, align, _, _ = tiny3
    eff = metrics.effective_ecosystems(align, world.gdp)
    # 5G: us .8, cn .2 -> 1 / (.64 + .04)
    assert eff["5g"] == pytest.approx(1 / 0.68, abs=1e-12)
    # semis: state 0 hybrid (.5 -> .25 us, .25 cn), state 1 cn .3, state 2 hybrid (.1, .1)
    #   -> us .35, cn .65 -> 1 / (.1225 + .4225)
    assert eff["semiconductors"] == pytest.approx(1 / 0.545, abs=1e-12)
    # AI: state 0 eu .5, state 1 us .3, state 2 hybrid .2 split in thirds
    #   -> us .3 + .2/3, cn .2/3, eu .5 + .2/3 -> sum of squares .46
    assert eff["ai"] == pytest.approx(1 / 0.46, abs=1e-12)


def test_effective_ecosystems_extremes():
    gdp = np.array([3.0, 1.0, 2.0])
    one = metrics.effective_ecosystems(np.array([[0, 1, 2]] * 3), gdp)
    assert one == pytest.approx({"5g": 1.0, "semiconductors": 1.0, "ai": 1.0})
    # everybody hybrid: an even split over the domain's blocs
    hyb = metrics.effective_ecosystems(np.array([[2, 2, 3]] * 3), gdp)
    assert hyb == pytest.approx({"5g": 2.0, "semiconductors": 2.0, "ai": 3.0})
    # two equal halves on different blocs
    half = metrics.effective_ecosystems(np.array([[0, 0, 0], [1, 1, 2]]), np.array([1.0, 1.0]))
    assert half == pytest.approx({"5g": 2.0, "semiconductors": 2.0, "ai": 2.0})


def test_mean_localization():
    assert metrics.mean_localization(np.array([3, 1, 0])) == pytest.approx(4 / 9)
    assert metrics.mean_localization(np.zeros(5, dtype=int)) == 0.0
    assert metrics.mean_localization(np.full(5, 3)) == 1.0


def test_security_connectivity_balance_by_hand(tiny3):
    world, align, loc, p = tiny3
    ev = evaluate(world, align, loc, p)
    # mean security (.732 + .475 + .1/3 + .23 - .04/3) / 3; weight_security .5; weight_trade 1;
    # mean trade (.118 + .173 + .21) / 3
    s = 0.5 * (0.732 + 0.475 + 0.1 / 3 + 0.23 - 0.04 / 3) / 3
    c = (0.118 + 0.173 + 0.21) / 3
    assert metrics.security_connectivity_balance(ev, p) == pytest.approx(s / (s + c), abs=1e-12)


def _fake_ev(security, trade):
    """A real evaluation of a small world with its payoff components replaced."""
    n = len(security)
    g = np.full((n, n), 1.0 / max(n * (n - 1), 1))
    np.fill_diagonal(g, 0.0)
    ev = evaluate(make_world(g), np.zeros((n, 3), dtype=int), np.zeros(n, dtype=int), P)
    return replace(ev, components={"security": np.array(security), "trade": np.array(trade)})


def test_security_connectivity_balance_signs():
    p = PayoffParams(weight_security=2.0, weight_trade=1.0)
    # S = 2 * -.2 = -.4, C = .2  -> -.4 / (.4 + .2)
    ev = _fake_ev([-0.3, -0.1], [0.2, 0.2])
    assert metrics.security_connectivity_balance(ev, p) == pytest.approx(-2 / 3)
    # S = 2 * .1 = .2, C = .6 -> .25
    ev = _fake_ev([0.1, 0.1], [0.6, 0.6])
    assert metrics.security_connectivity_balance(ev, p) == pytest.approx(0.25)
    assert metrics.security_connectivity_balance(_fake_ev([0.0], [0.0]), p) == 0.0


def test_modularity_by_hand():
    # states 0 and 1 identical (us, us, us), state 2 (cn, cn, cn); all open
    w = make_world(ADEQ_G)
    align = np.array([[0, 0, 0], [0, 0, 0], [1, 1, 1]])
    ev = evaluate(w, align, np.zeros(3, dtype=int), P)
    # C01 = 1, C02 = C12 = .2 (cross-bloc in every domain); W01 = .3, W02 = W12 = .02
    # strengths .32, .32, .04; total .68; community {0, 1}: W_cc = .6, K = .64; {2}: 0, .04
    expected = 0.6 / 0.68 - (0.64 / 0.68) ** 2 - (0.04 / 0.68) ** 2
    assert metrics.modularity(w, ev, P) == pytest.approx(expected, abs=1e-12)


def test_modularity_tiny3_all_singletons(tiny3):
    world, align, loc, p = tiny3
    ev = evaluate(world, align, loc, p)
    k = np.array([0.0472, 0.0692, 0.042])
    assert metrics.modularity(world, ev, p) == pytest.approx(-np.sum((k / k.sum()) ** 2), abs=1e-12)


def _nx_modularity(world, align, loc, p):
    wmat = world.gravity * metrics.interoperability_matrix(world, align, loc, p)
    graph = nx.from_numpy_array(wmat)
    ids = metrics.profile_ids(align)
    communities = [set(np.flatnonzero(ids == c).tolist()) for c in np.unique(ids)]
    return nx.algorithms.community.modularity(graph, communities, weight="weight")


@pytest.mark.parametrize("seed", range(10))
def test_modularity_matches_networkx(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 26))
    world = cached_synthetic(n, int(rng.integers(0, 50)))
    p = random_params(rng)
    # few distinct profiles, so that communities have several members
    align, loc = random_profile(rng, n)
    align = align % np.array([2, 2, 2]) if seed % 2 else align
    ev = evaluate(world, align, loc, p)
    got = metrics.modularity(world, ev, p)
    assert got == pytest.approx(_nx_modularity(world, align, loc, p), abs=1e-9)


def test_interoperability_matrix_matches_fragmentation():
    rng = np.random.default_rng(3)
    world = cached_synthetic(20, 5)
    p = random_params(rng)
    align, loc = random_profile(rng, 20)
    w = metrics.interoperability_matrix(world, align, loc, p)
    np.testing.assert_allclose(w, w.T)
    np.testing.assert_array_equal(np.diag(w), 0.0)
    ev = evaluate(world, align, loc, p)
    frag = 1 - np.sum(world.gravity * w) / world.gravity.sum()
    assert metrics.fragmentation(ev) == pytest.approx(frag, abs=1e-12)


def test_profile_ids():
    ids = metrics.profile_ids(np.array([[0, 0, 0], [2, 2, 3], [0, 0, 1], [1, 0, 0]]))
    np.testing.assert_array_equal(ids, [0, 35, 1, 12])  # (5G * 3 + semis) * 4 + AI


@pytest.mark.parametrize("seed", range(8))
def test_fragmentation_matches_reference(seed):
    rng = np.random.default_rng(200 + seed)
    n = int(rng.integers(5, 26))
    world = cached_synthetic(n, int(rng.integers(0, 50)))
    p = random_params(rng)
    align, loc = random_profile(rng, n)
    ev = evaluate(world, align, loc, p)
    assert metrics.fragmentation(ev) == pytest.approx(
        reference.fragmentation(world, align, loc, p), abs=1e-9
    )
    # the technical part is the reference with every flow open ...
    p_open = replace(p, flow=(1.0, 1.0, 1.0, 1.0), adequacy_flow=1.0)
    assert metrics.fragmentation_technical(world, ev, p) == pytest.approx(
        reference.fragmentation(world, align, loc, p_open), abs=1e-9
    )
    # ... and the data part the reference with every ecosystem compatible
    p_compat = replace(
        p, cross_bloc_compat=1.0, hybrid_compat=1.0, eu_us_ai_compat=1.0, eu_cn_ai_compat=1.0
    )
    assert metrics.fragmentation_data(world, ev, p) == pytest.approx(
        reference.fragmentation(world, align, loc, p_compat), abs=1e-9
    )


def test_summary_consistent(tiny3):
    world, align, loc, p = tiny3
    ev = evaluate(world, align, loc, p)
    s = metrics.summary(world, ev, p)
    assert s["fragmentation"] == pytest.approx(0.8416)
    assert s["digital_trade"] == pytest.approx(0.1584)
    assert s["fragmentation_technical"] == pytest.approx(0.355)
    assert s["fragmentation_data"] == pytest.approx(0.704)
    assert s["mean_localization"] == pytest.approx(4 / 9)
    assert s["mean_trade"] == pytest.approx(0.501 / 3)
    assert s["welfare"] == pytest.approx(np.mean(ev.components["utility"]))
    assert s["share_us_5g"] == pytest.approx(2 / 3)
    assert s["gdp_share_eu_ai"] == pytest.approx(0.5)
    assert s["effective_ecosystems_5g"] == pytest.approx(1 / 0.68)
    assert all(np.isfinite(v) for v in s.values())


@pytest.mark.parametrize("seed", range(6))
def test_summary_matches_the_metric_functions(seed):
    # summary computes every metric in one compiled pass; the functions are the definitions
    rng = np.random.default_rng(seed)
    world = cached_synthetic(40, seed)
    p = random_params(rng)
    align, loc = random_profile(rng, world.n)
    ev = evaluate(world, align, loc, p)
    got = metrics.summary(world, ev, p)
    assert list(got) == list(metrics.SUMMARY_KEYS)
    expected = {
        "fragmentation": metrics.fragmentation(ev),
        "fragmentation_technical": metrics.fragmentation_technical(world, ev, p),
        "fragmentation_data": metrics.fragmentation_data(world, ev, p),
        "digital_trade": float(metrics.realised_exchange(ev).sum()),
        "modularity": metrics.modularity(world, ev, p),
        "mean_localization": metrics.mean_localization(loc),
        "mean_trade": float(ev.components["trade"].mean()),
        "mean_security": float(ev.components["security"].mean()),
        "mean_economy": float(ev.components["economy"].mean()),
        "mean_sovereignty": float(ev.components["sovereignty"].mean()),
        "welfare": float(ev.components["utility"].mean()),
        "security_connectivity_balance": metrics.security_connectivity_balance(ev, p),
        **{f"share_{k}": v for k, v in metrics.bloc_shares(align).items()},
        **{f"gdp_share_{k}": v for k, v in metrics.bloc_shares(align, world.gdp).items()},
        **{
            f"effective_ecosystems_{k}": v
            for k, v in metrics.effective_ecosystems(align, world.gdp).items()
        },
    }
    assert got == pytest.approx(expected, abs=1e-12)
