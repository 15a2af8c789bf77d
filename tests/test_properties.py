"""Property tests (hypothesis): bounds and invariances of fragmentation and the bloc metrics."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from conftest import cached_synthetic, permute_world
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from simulation import metrics, reference
from simulation.payoffs import PayoffParams, compat_matrices, evaluate
from simulation.world import DOMAINS, ECOSYSTEMS

SETTINGS = settings(max_examples=40, deadline=None)
N_OPTIONS = [len(ECOSYSTEMS[d]) for d in DOMAINS]  # 3, 3, 4
N_BLOCS = [n - 1 for n in N_OPTIONS]  # hybrid is not a bloc
unit = st.floats(0.0, 1.0, allow_nan=False)


@st.composite
def params(draw, *, open_flow=None, equal_eu_ai=False):
    """Payoff parameters as PayoffParams accepts them: compatibilities and flows in [0, 1],
    flows non-increasing, adequacy_flow between the sectoral and the open flow."""
    flow = sorted((draw(unit) for _ in range(4)), reverse=True)
    if open_flow is not None:
        flow[0] = open_flow
        flow = [flow[0], *sorted((min(f, open_flow) for f in flow[1:]), reverse=True)]
    adequacy = draw(st.floats(flow[2], flow[0]))
    eu_us = draw(unit)
    return PayoffParams(
        domain_weight=tuple(draw(st.floats(0.05, 1.0)) for _ in range(3)),
        cross_bloc_compat=draw(unit),
        hybrid_compat=draw(unit),
        eu_us_ai_compat=eu_us,
        eu_cn_ai_compat=eu_us if equal_eu_ai else draw(unit),
        flow=tuple(flow),
        adequacy_flow=adequacy,
        vendor_risk=tuple(draw(unit) for _ in range(3)),
        capacity_mitigation=draw(unit),
        export_controls=draw(unit),
    )


@st.composite
def worlds(draw, min_n=5, max_n=20):
    return cached_synthetic(draw(st.integers(min_n, max_n)), draw(st.integers(0, 9)))


@st.composite
def profiles(draw, n):
    cols = [draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)) for k in N_OPTIONS]
    loc = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    return np.array(cols, dtype=np.int64).T, np.array(loc, dtype=np.int64)


@st.composite
def scenario(draw, **param_kwargs):
    world = draw(worlds())
    align, loc = draw(profiles(world.n))
    return world, align, loc, draw(params(**param_kwargs))


def _all_fragmentation(world, align, loc, p):
    ev = evaluate(world, align, loc, p)
    return np.array(
        [
            metrics.fragmentation(ev),
            metrics.fragmentation_technical(world, ev, p),
            metrics.fragmentation_data(world, ev, p),
        ]
    )


# --- bounds ---------------------------------------------------------------------------------------


@SETTINGS
@given(scenario())
def test_fragmentation_in_unit_interval(case):
    world, align, loc, p = case
    f = _all_fragmentation(world, align, loc, p)
    assert np.all(f >= -1e-12) and np.all(f <= 1 + 1e-12), f


@SETTINGS
@given(scenario())
def test_fragmentation_at_least_each_part(case):
    # C f <= min(C, f) when both are in [0, 1]: total loss is at least each part's loss
    world, align, loc, p = case
    total, tech, data = _all_fragmentation(world, align, loc, p)
    assert total >= tech - 1e-12 and total >= data - 1e-12


@SETTINGS
@given(
    worlds(),
    params(open_flow=1.0),
    st.integers(0, 2),
    st.integers(0, 2),
    st.integers(0, 3),
)
def test_one_ecosystem_open_flows_no_fragmentation(world, p, g5, semi, ai):
    # any single option per domain, hybrid included, and every state open
    align = np.tile([g5, semi, ai], (world.n, 1))
    loc = np.zeros(world.n, dtype=np.int64)
    np.testing.assert_allclose(_all_fragmentation(world, align, loc, p), 0.0, atol=1e-12)


@SETTINGS
@given(worlds(), params(open_flow=1.0))
def test_all_hybrid_open_no_fragmentation(world, p):
    align = np.tile([2, 2, 3], (world.n, 1))
    assert metrics.fragmentation(evaluate(world, align, np.zeros(world.n, int), p)) == (
        pytest.approx(0.0, abs=1e-12)
    )


# --- invariances ----------------------------------------------------------------------------------


@SETTINGS
@given(st.data())
def test_invariant_to_reordering_states(data):
    world, align, loc, p = data.draw(scenario())
    perm = np.array(data.draw(st.permutations(range(world.n))))
    pw = permute_world(world, perm)
    ev, pev = evaluate(world, align, loc, p), evaluate(pw, align[perm], loc[perm], p)
    np.testing.assert_allclose(
        _all_fragmentation(pw, align[perm], loc[perm], p),
        _all_fragmentation(world, align, loc, p),
        rtol=0,
        atol=1e-12,
    )
    assert metrics.modularity(pw, pev, p) == pytest.approx(
        metrics.modularity(world, ev, p), abs=1e-12
    )
    # every state's payoffs move with it
    for k, v in ev.components.items():
        np.testing.assert_allclose(pev.components[k], v[perm], rtol=0, atol=1e-12, err_msg=k)
    assert metrics.effective_ecosystems(align[perm], pw.gdp) == pytest.approx(
        metrics.effective_ecosystems(align, world.gdp)
    )


def _swap_us_cn(align):
    out = align.copy()
    out[align == 0] = 1
    out[align == 1] = 0
    return out


@SETTINGS
@given(params(equal_eu_ai=True))
def test_compat_symmetric_in_us_cn_when_eu_compat_equal(p):
    # swapping the us (0) and cn (1) rows and columns leaves K_d unchanged in every domain
    for k in compat_matrices(p):
        perm = np.arange(len(k))
        perm[[0, 1]] = [1, 0]
        np.testing.assert_array_equal(k[np.ix_(perm, perm)], k)


@SETTINGS
@given(scenario(equal_eu_ai=True))
def test_invariant_to_relabelling_blocs(case):
    # Fragmentation depends on labels only through K_d[a_i, a_j]. Relabelling us <-> cn in every
    # domain maps K_d[a_i, a_j] to K_d[s(a_i), s(a_j)], which equals K_d[a_i, a_j] when K_d is
    # invariant under the swap s of its first two rows and columns: true for 5G and semiconductors
    # always (us-cn cross_bloc, both hybrid_compat to hybrid) and for AI when eu_us_ai_compat ==
    # eu_cn_ai_compat (checked above). The EU and hybrid labels (2, 3) are left alone.
    world, align, loc, p = case
    swapped = _swap_us_cn(align)
    np.testing.assert_allclose(
        _all_fragmentation(world, swapped, loc, p),
        _all_fragmentation(world, align, loc, p),
        rtol=0,
        atol=1e-12,
    )
    ev, sev = evaluate(world, align, loc, p), evaluate(world, swapped, loc, p)
    assert metrics.modularity(world, sev, p) == pytest.approx(
        metrics.modularity(world, ev, p), abs=1e-12
    )
    assert metrics.effective_ecosystems(swapped, world.gdp) == pytest.approx(
        metrics.effective_ecosystems(align, world.gdp)
    )
    shares, sshares = metrics.bloc_shares(align), metrics.bloc_shares(swapped)
    for d in DOMAINS:
        assert sshares[f"us_{d}"] == pytest.approx(shares[f"cn_{d}"])
        assert sshares[f"hybrid_{d}"] == pytest.approx(shares[f"hybrid_{d}"])


@SETTINGS
@given(st.data())
def test_relabelling_breaks_when_eu_compat_differ(data):
    # the counterpart: with eu_us != eu_cn and an EU-AI state facing a US-AI partner, the
    # swap changes fragmentation (so the invariance above is not vacuous)
    world = data.draw(worlds())
    p = data.draw(params())
    assume(abs(p.eu_us_ai_compat - p.eu_cn_ai_compat) > 0.05)
    align = np.tile([0, 0, 0], (world.n, 1))
    align[0, 2] = 2  # state 0 on the EU regime, all others US AI
    loc = np.zeros(world.n, dtype=np.int64)
    a = _all_fragmentation(world, align, loc, p)[1]
    b = _all_fragmentation(world, _swap_us_cn(align), loc, p)[1]
    assert abs(a - b) > 1e-9


@SETTINGS
@given(st.data())
def test_fragmentation_nondecreasing_in_localization(data):
    world, align, loc, p = data.draw(scenario())
    i = data.draw(st.integers(0, world.n - 1))
    assume(loc[i] < 3)
    raised = loc.copy()
    raised[i] = data.draw(st.integers(int(loc[i]) + 1, 3))
    before = _all_fragmentation(world, align, loc, p)
    after = _all_fragmentation(world, align, raised, p)
    # total and data fragmentation never fall; technical fragmentation does not depend on flows
    assert after[0] >= before[0] - 1e-12
    assert after[2] >= before[2] - 1e-12
    assert after[1] == pytest.approx(before[1], abs=1e-12)


@SETTINGS
@given(st.data())
def test_fragmentation_nondecreasing_in_localization_for_eea_states(data):
    # the same for a state in an adequacy pair: pick an EEA or adequate state
    world = data.draw(worlds(min_n=15))
    covered = np.flatnonzero(world.adequate)
    assume(len(covered) > 0)
    align, loc = data.draw(profiles(world.n))
    p = data.draw(params())
    i = int(covered[data.draw(st.integers(0, len(covered) - 1))])
    for level in range(3):
        lo, hi = loc.copy(), loc.copy()
        lo[i], hi[i] = level, level + 1
        f_lo = metrics.fragmentation(evaluate(world, align, lo, p))
        f_hi = metrics.fragmentation(evaluate(world, align, hi, p))
        assert f_hi >= f_lo - 1e-12


# --- shares and effective numbers -----------------------------------------------------------------


@SETTINGS
@given(st.data())
def test_bloc_shares_sum_to_one(data):
    world = data.draw(worlds())
    align, _ = data.draw(profiles(world.n))
    for weights in (None, world.gdp):
        shares = metrics.bloc_shares(align, weights)
        for d in DOMAINS:
            parts = [shares[f"{o}_{d}"] for o in ECOSYSTEMS[d]]
            assert sum(parts) == pytest.approx(1.0, abs=1e-12)
            assert all(0 <= x <= 1 + 1e-12 for x in parts)


@SETTINGS
@given(st.data())
def test_effective_ecosystems_bounds(data):
    world = data.draw(worlds())
    align, _ = data.draw(profiles(world.n))
    eff = metrics.effective_ecosystems(align, world.gdp)
    for d, k in zip(DOMAINS, N_BLOCS, strict=True):
        assert 1 - 1e-12 <= eff[d] <= k + 1e-12


# --- the loop reference, drawn by hypothesis ----------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_evaluate_matches_reference_hypothesis(data):
    world = data.draw(worlds(max_n=12))
    align, loc = data.draw(profiles(world.n))
    p = data.draw(params())
    p = replace(p, partner_value=data.draw(unit), patron_value=data.draw(unit))
    ev = evaluate(world, align, loc, p)
    ref = reference.payoffs(world, align, loc, p)
    for k, v in ref.items():
        np.testing.assert_allclose(ev.components[k], v, rtol=0, atol=1e-9, err_msg=k)
    assert metrics.fragmentation(ev) == pytest.approx(
        reference.fragmentation(world, align, loc, p), abs=1e-9
    )
