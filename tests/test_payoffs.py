"""Payoffs against numbers worked out by hand, and against the loop reference (the oracle).

Index conventions used in the comments: options per domain are 5G (us, cn, hybrid), semiconductors
(us, cn, hybrid), AI (us, cn, eu, hybrid); localization levels open, conditional, sectoral, strict
give data control 0, 1/3, 2/3, 1. Unless stated otherwise, the parameters are ``TINY3_PARAMS``
(conftest): domain weights .5/.25/.25, cross-bloc .2, hybrid .6, EU-US AI .5, EU-CN AI .4, flows
1/.8/.5/.2, adequacy flow 1.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest
from conftest import TINY3_PARAMS, cached_synthetic, make_world, random_params, random_profile

from simulation import payoffs, reference
from simulation.payoffs import (
    Conditions,
    PayoffParams,
    compat_matrices,
    evaluate,
    flow_permission,
    terms,
)

US, CN, HYB, EU, AI_HYB = 0, 1, 2, 2, 3
OPEN, CONDITIONAL, SECTORAL, STRICT = 0, 1, 2, 3

P = PayoffParams(**TINY3_PARAMS)
TWO = [[0.0, 0.5], [0.5, 0.0]]  # two states, potentials .5 each


def comps(world, align, loc, p=P):
    return evaluate(world, np.array(align), np.array(loc), p).components


# --- compatibility and flow permission ------------------------------------------------------------


def test_compat_matrices_entries():
    k5g, ksemi, kai = compat_matrices(P)
    expected_2 = np.array([[1.0, 0.2, 0.6], [0.2, 1.0, 0.6], [0.6, 0.6, 1.0]])
    np.testing.assert_array_equal(k5g, expected_2)
    np.testing.assert_array_equal(ksemi, expected_2)
    expected_ai = np.array(
        [
            [1.0, 0.2, 0.5, 0.6],  # us: cn .2, eu .5, hybrid .6
            [0.2, 1.0, 0.4, 0.6],  # cn: eu .4
            [0.5, 0.4, 1.0, 0.6],
            [0.6, 0.6, 0.6, 1.0],
        ]
    )
    np.testing.assert_array_equal(kai, expected_ai)


@pytest.mark.parametrize("seed", range(5))
def test_compat_matrices_symmetric_unit_diagonal(seed):
    p = random_params(np.random.default_rng(seed))
    for k in compat_matrices(p):
        np.testing.assert_array_equal(k, k.T)
        np.testing.assert_array_equal(np.diag(k), 1.0)


def test_flow_permission():
    p = replace(P, flow=(1.0, 0.7, 0.4, 0.1), adequacy_flow=0.9)
    phi = flow_permission(p)
    np.testing.assert_array_equal(phi[0], [1.0, 0.7, 0.4, 0.1])
    # an adequacy arrangement changes the conditional level only
    np.testing.assert_array_equal(phi[1], [1.0, 0.9, 0.4, 0.1])


# --- trade ----------------------------------------------------------------------------------------


def test_trade_two_states_compat_and_flow():
    w = make_world(TWO)
    # state 0: (us, us, us) open; state 1: (cn, us, hybrid) sectoral
    # C = .5 * K5g[us,cn] + .25 * Ksemi[us,us] + .25 * Kai[us,hybrid] = .5*.2 + .25 + .25*.6 = .5
    # f = phi(open) * phi(sectoral) = 1 * .5 = .5;  trade_i = G01 C f / G01 = .25 for both
    c = comps(w, [[US, US, US], [CN, US, AI_HYB]], [OPEN, SECTORAL])
    np.testing.assert_allclose(c["trade"], [0.25, 0.25], atol=1e-12)


def test_trade_eu_ai_regime():
    w = make_world(TWO)
    # AI eu vs us: .5 * 1 + .25 * 1 + .25 * .5 = .875 (both open: f = 1)
    c = comps(w, [[US, US, US], [US, US, EU]], [OPEN, OPEN])
    np.testing.assert_allclose(c["trade"], [0.875, 0.875], atol=1e-12)
    # AI eu vs cn, 5G and semis hybrid vs us: .5*.6 + .25*.6 + .25*.4 = .55; f = .8 * .2 = .16
    c = comps(w, [[HYB, HYB, CN], [US, US, EU]], [CONDITIONAL, STRICT])
    np.testing.assert_allclose(c["trade"], [0.55 * 0.16] * 2, atol=1e-12)


def test_trade_uses_normalised_domain_weights():
    w = make_world(TWO)
    # weights (2, 1, 1) normalise to (.5, .25, .25): same numbers as the first trade test
    p = replace(P, domain_weight=(2.0, 1.0, 1.0))
    c = comps(w, [[US, US, US], [CN, US, AI_HYB]], [OPEN, SECTORAL], p)
    np.testing.assert_allclose(c["trade"], [0.25, 0.25], atol=1e-12)


ADEQ_G = [[0.0, 0.3, 0.1], [0.3, 0.0, 0.1], [0.1, 0.1, 0.0]]  # potentials .4, .4, .2


def test_adequacy_pair_conditional_flows_freely():
    # state 0 EEA, state 1 adequate (not EEA), state 2 neither; all on one ecosystem (C = 1)
    w = make_world(ADEQ_G, eea=[True, False, False], adequate=[True, True, False])
    same = [[US, US, US]] * 3
    c = comps(w, same, [CONDITIONAL] * 3)
    # f01 = 1 * 1 (adequacy pair), f02 = f12 = .8 * .8 = .64 (0-2: 2 not adequate;
    # 1-2: neither is EEA)
    # trade0 = (.3 * 1 + .1 * .64) / .4 = .91;  trade1 = (.3 * 1 + .1 * .64) / .4 = .91
    # trade2 = (.1 * .64 + .1 * .64) / .2 = .64
    np.testing.assert_allclose(c["trade"], [0.91, 0.91, 0.64], atol=1e-12)


def test_two_adequate_non_eea_states_are_not_a_pair():
    w = make_world(TWO, eea=[False, False], adequate=[True, True])
    c = comps(w, [[US, US, US]] * 2, [CONDITIONAL] * 2)
    np.testing.assert_allclose(c["trade"], [0.64, 0.64], atol=1e-12)


def test_two_eea_states_are_a_pair():
    w = make_world(TWO, eea=[True, True], adequate=[True, True])
    c = comps(w, [[US, US, US]] * 2, [CONDITIONAL] * 2)
    np.testing.assert_allclose(c["trade"], [1.0, 1.0], atol=1e-12)


def test_adequacy_changes_only_the_conditional_level():
    w = make_world(TWO, eea=[True, False], adequate=[True, True])
    p = replace(P, adequacy_flow=0.9)
    same = [[US, US, US]] * 2
    # conditional + strict under adequacy: .9 * .2 = .18
    np.testing.assert_allclose(comps(w, same, [CONDITIONAL, STRICT], p)["trade"], [0.18] * 2)
    # open + open: 1 * 1 (not .9 * .9)
    np.testing.assert_allclose(comps(w, same, [OPEN, OPEN], p)["trade"], [1.0] * 2)
    # sectoral + conditional: .5 * .9 = .45
    np.testing.assert_allclose(comps(w, same, [SECTORAL, CONDITIONAL], p)["trade"], [0.45] * 2)


# --- security -------------------------------------------------------------------------------------


def test_security_exposure_weighted_by_hostility_and_reduced_by_capacity():
    # no ties, no affinity: security = -exposure + localization security
    w = make_world(TWO, hostility=[[0.4, 0.8, 0.0], [0.0, 0.0, 0.0]], capacity=[0.6, 0.0])
    # state 0: mitigation 1 - .5 * .6 = .7
    # 5G us: .5 * .7 * .4 = .14;  semis cn: .2 * .7 * .8 = .112
    # AI hybrid (1/3 each of us, cn, eu): .2 * .7 * (.4 + .8 + 0) / 3 = .056
    c = comps(w, [[US, CN, AI_HYB], [US, US, US]], [OPEN, OPEN])
    np.testing.assert_allclose(c["security"][0], -(0.14 + 0.112 + 0.056), atol=1e-12)
    assert c["security"][1] == pytest.approx(0.0, abs=1e-12)
    # the EU regime carries no vendor exposure (hostility toward the EU bloc is 0 by definition)
    c = comps(w, [[US, CN, EU], [US, US, US]], [OPEN, OPEN])
    np.testing.assert_allclose(c["security"][0], -(0.14 + 0.112), atol=1e-12)


def test_security_patron_value():
    w = make_world(TWO, affinity=[[0.5, 0.9, 0.2], [0.0, 0.0, 0.0]])
    # patron_value .2:  5G us .2*.5 = .1;  semis hybrid .2 * (.5 + .9) / 2 = .14;
    # AI eu .2 * .2 = .04;  no ties, no hostility
    c = comps(w, [[US, HYB, EU], [US, US, US]], [OPEN, OPEN])
    assert c["security"][0] == pytest.approx(0.1 + 0.14 + 0.04, abs=1e-12)
    # AI hybrid: .2 * (.5 + .9 + .2) / 3
    c = comps(w, [[CN, CN, AI_HYB], [US, US, US]], [OPEN, OPEN])
    assert c["security"][0] == pytest.approx(0.18 + 0.18 + 0.2 * 1.6 / 3, abs=1e-12)


def test_security_partner_value():
    # three states; group A (w .8) = {0, 1}, group B (w .2) = {0, 2}; state 0 has tie total 1
    w = make_world(ADEQ_G, groups=[[1, 1], [1, 0], [0, 1]], group_weight=[0.8, 0.2])
    p = replace(P, patron_value=0.0)
    # state 0 (us, us, us); state 1 (us, cn, eu); state 2 (cn, hybrid, hybrid)
    # partners = .4 * w_d * sum_j T0j K[a0, aj] / 1
    #   5G:    .4 * .5  * (.8 * 1 + .2 * .2)  = .2 * .84 = .168
    #   semis: .4 * .25 * (.8 * .2 + .2 * .6) = .1 * .28 = .028
    #   AI:    .4 * .25 * (.8 * .5 + .2 * .6) = .1 * .52 = .052
    align = [[US, US, US], [US, CN, EU], [CN, HYB, AI_HYB]]
    c = comps(w, align, [OPEN] * 3, p)
    assert c["security"][0] == pytest.approx(0.168 + 0.028 + 0.052, abs=1e-12)
    # state 2 has a single tie (to 0, weight .2): partners are normalised by the tie total .2
    #   5G cn-us .2 * .2 = .04;  semis hybrid-us .1 * .6 = .06;  AI hybrid-us .1 * .6 = .06
    assert c["security"][2] == pytest.approx(0.04 + 0.06 + 0.06, abs=1e-12)


def test_security_without_ties_has_no_partner_value():
    w = make_world(TWO)  # one group, nobody a member
    c = comps(w, [[US, US, US]] * 2, [OPEN, OPEN])
    np.testing.assert_allclose(c["security"], 0.0, atol=1e-12)
    assert np.all(np.isfinite(c["utility"]))


def test_security_localization():
    w = make_world(TWO)
    for level in range(4):
        c = comps(w, [[US, US, US]] * 2, [level, OPEN])
        assert c["security"][0] == pytest.approx(0.1 * level / 3, abs=1e-12)


# --- economy --------------------------------------------------------------------------------------


def test_vendor_and_hybrid_costs():
    w = make_world(TWO)
    p = replace(P, export_controls=0.0)
    # vendor costs: 5G (us .05, cn 0), semis (us 0, cn .04), AI (us 0, cn 0, eu .03)
    # hybrid: mean of the domain's bloc costs + .02
    cases = {
        (US, US, US): -0.05,
        (CN, CN, CN): -0.04,
        (US, CN, EU): -0.05 - 0.04 - 0.03,
        (HYB, US, US): -(0.025 + 0.02),
        (US, HYB, US): -0.05 - (0.02 + 0.02),
        (CN, CN, AI_HYB): -0.04 - (0.01 + 0.02),
        (HYB, HYB, AI_HYB): -(0.045 + 0.04 + 0.03),
    }
    for option, expected in cases.items():
        c = comps(w, [option, [US, US, US]], [OPEN, OPEN], p)
        assert c["economy"][0] == pytest.approx(expected, abs=1e-12), option


@pytest.mark.parametrize(
    ("semis", "hostile_us", "penalty"),
    [
        (US, 0.0, 0.0),  # a friendly US-bloc user keeps frontier access
        (US, 0.5, 0.4 * 0.5),  # a US-hostile US-bloc user loses hostility x frontier value
        (CN, 0.0, 0.4),  # China's bloc loses the full frontier value
        (CN, 0.5, 0.4),
        (HYB, 0.0, 0.4 * 0.5),  # hybrid: half of its stack is Chinese
        (HYB, 0.5, 0.4 * (0.5 + 0.5 * 0.5)),
    ],
)
def test_export_control_frontier_penalty(semis, hostile_us, penalty):
    w = make_world(TWO, hostility=[[hostile_us, 0.0, 0.0], [0.0, 0.0, 0.0]])
    align = [[US, semis, US], [US, US, US]]
    # frontier_value .4; the penalty scales with export_controls (0 -> 1)
    lo = comps(w, align, [OPEN, OPEN], replace(P, export_controls=0.0))["economy"][0]
    hi = comps(w, align, [OPEN, OPEN], replace(P, export_controls=1.0))["economy"][0]
    half = comps(w, align, [OPEN, OPEN], replace(P, export_controls=0.5))["economy"][0]
    assert lo - hi == pytest.approx(penalty, abs=1e-12)
    assert lo - half == pytest.approx(penalty / 2, abs=1e-12)


def test_export_controls_touch_semiconductors_only():
    w = make_world(TWO, hostility=[[0.7, 0.0, 0.0], [0.0, 0.0, 0.0]])
    align = [[CN, US, CN], [US, US, US]]  # China's 5G and AI, US chips: no frontier penalty
    lo = comps(w, align, [OPEN, OPEN], replace(P, export_controls=0.0))["economy"][0]
    hi = comps(w, align, [OPEN, OPEN], replace(P, export_controls=1.0))["economy"][0]
    assert lo - hi == pytest.approx(0.4 * 0.7, abs=1e-12)  # only the hostile-US-bloc term


def test_industry_support():
    tech = np.zeros((2, 10))
    tech[0, 3] = 0.8  # semis, us option
    tech[0, 4] = 0.4  # semis, cn option
    tech[0, 8] = 0.6  # AI, eu option
    w = make_world(TWO, tech=tech)
    p = replace(P, export_controls=0.0, vendor_cost=((0.0, 0.0), (0.0, 0.0), (0.0, 0.0, 0.0)))
    # industry_weight .5; hybrid cost .02 per hybrid domain
    cases = {
        (US, US, US): 0.5 * 0.8,
        (US, CN, US): 0.5 * 0.4,
        (US, HYB, US): 0.5 * (0.5 * 0.8 + 0.5 * 0.4) - 0.02,
        (US, US, EU): 0.5 * 0.8 + 0.5 * 0.6,
        (US, US, AI_HYB): 0.5 * 0.8 + 0.5 * 0.6 / 3 - 0.02,
        (HYB, US, CN): 0.5 * 0.8 - 0.02,  # no 5G industry: hybrid 5G only costs
    }
    for option, expected in cases.items():
        c = comps(w, [option, [US, US, US]], [OPEN, OPEN], p)
        assert c["economy"][0] == pytest.approx(expected, abs=1e-12), option


@pytest.mark.parametrize(("tech_max", "per_control"), [(0.0, -0.2), (0.8, 0.3 * 0.8 - 0.2)])
def test_localization_protection_vs_innovation_loss(tech_max, per_control):
    tech = np.zeros((2, 10))
    tech[0, 1] = tech_max / 2  # 5G cn
    tech[0, 4] = tech_max  # semis cn: the protection base is the max over all tech (.8 here)
    w = make_world(TWO, tech=tech, data_pref=[0.7, 0.0])
    align = [[US, US, US], [US, US, US]]
    base = comps(w, align, [OPEN, OPEN])
    for level in range(4):
        c = comps(w, align, [level, OPEN])
        # economy gains (protection .3 x max tech - innovation loss .2) x control
        diff = c["economy"][0] - base["economy"][0]
        assert diff == pytest.approx(per_control * level / 3, abs=1e-12)
        # sovereignty = data_pref x control
        assert c["sovereignty"][0] == pytest.approx(0.7 * level / 3, abs=1e-12)


# --- the worked three-state example (conftest.tiny3) ----------------------------------------------
#
# Trade (no EEA):
#   C01 = .5*K(us,us) + .25*K(hyb,cn) + .25*K(eu,us) = .5 + .15 + .125 = .775; f01 = .2*.8 = .16
#   C02 = .5*K(us,cn) + .25*K(hyb,hyb) + .25*K(eu,hyb) = .1 + .25 + .15 = .5;  f02 = .2*1 = .2
#   C12 = .5*K(us,cn) + .25*K(cn,hyb) + .25*K(us,hyb) = .1 + .15 + .15 = .4;   f12 = .8*1 = .8
#   trade0 = (.3*.124 + .1*.1) / .4 = .118;  trade1 = (.3*.124 + .1*.32) / .4 = .173
#   trade2 = (.1*.1 + .1*.32) / .2 = .21
# Security (partners .4 * w_d * sum_j T_ij K / tie total; patron .2 * affinity.share;
#           exposure risk_d * (1 - .5 cap) * hostility.share; localization .1 * control):
#   state 0 (mitigation .7, tie total 1):
#     5G us:    partners .2*(.8*1 + .2*.2) = .168; patron .2; exposure 0            -> .368
#     semis hyb: partners .1*(.8*.6 + .2*1) = .068; patron .1; exposure .2*.7*.4 = .056 -> .112
#     AI eu:    partners .1*(.8*.5 + .2*.6) = .052; patron .1; exposure 0            -> .152
#     strict: .1                                                      security0 = .732
#   state 1 (mitigation .5, tie total .8):
#     5G us:    partners .2*(.8*1)/.8 = .2;  patron .16; exposure .5*.5*.3 = .075    -> .285
#     semis cn: partners .1*(.8*.6)/.8 = .06; patron 0;  exposure .2*.5*.5 = .05     -> .01
#     AI us:    partners .1*(.8*.5)/.8 = .05; patron .16; exposure .2*.5*.3 = .03    -> .18
#     conditional: .1/3                                               security1 = .475 + .1/3
#   state 2 (mitigation 1, tie total .2):
#     5G cn:    partners .2*(.2*.2)/.2 = .04; patron .1; exposure .5*.1 = .05        -> .09
#     semis hyb: partners .1*1 = .1; patron .2*.25 = .05; exposure .2*.35 = .07      -> .08
#     AI hyb:   partners .1*.6 = .06; patron .2*.5/3; exposure .2*.7/3               -> .06 - .04/3
#     open: 0                                                         security2 = .23 - .04/3
# Economy (costs; frontier .4*.5*denied; industry .5*cap.share; (.3*max tech - .2)*control):
#   state 0: 5G us -.05 + .3; semis hyb -.04 - .1; AI eu -.03 + .1; strict .18 - .2   = .16
#   state 1: 5G us -.05; semis cn -.04 - .2; AI us 0; conditional -.2/3        = -.29 - .2/3
#   state 2: 5G cn 0; semis hyb -.04 - .4*.5*.8 + .5*.5*.8 = 0; AI hyb -.03; open 0  = -.03
# Sovereignty: data_pref * control = .5, .3, 0
# Utility: trade + .5 security + 2 economy + sovereignty

TINY3_EXPECTED = {
    "trade": [0.118, 0.173, 0.21],
    "security": [0.732, 0.475 + 0.1 / 3, 0.23 - 0.04 / 3],
    "economy": [0.16, -0.29 - 0.2 / 3, -0.03],
    "sovereignty": [0.5, 0.3, 0.0],
}


@pytest.mark.parametrize("component", list(TINY3_EXPECTED))
def test_tiny3_components(tiny3, component):
    world, align, loc, p = tiny3
    got = evaluate(world, align, loc, p).components[component]
    np.testing.assert_allclose(got, TINY3_EXPECTED[component], atol=1e-12)


def test_tiny3_utility(tiny3):
    world, align, loc, p = tiny3
    e = {k: np.array(v) for k, v in TINY3_EXPECTED.items()}
    expected = e["trade"] + 0.5 * e["security"] + 2.0 * e["economy"] + e["sovereignty"]
    np.testing.assert_allclose(expected[0], 1.304, atol=1e-12)  # .118 + .366 + .32 + .5
    got = evaluate(world, align, loc, p).components["utility"]
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_tiny3_reference_agrees_with_hand_numbers(tiny3):
    world, align, loc, p = tiny3
    ref = reference.payoffs(world, align, loc, p)
    for k, v in TINY3_EXPECTED.items():
        np.testing.assert_allclose(ref[k], v, atol=1e-12)


def test_option_values_match_evaluate_of_deviation(tiny3):
    world, align, loc, p = tiny3
    ev = evaluate(world, align, loc, p)
    values = payoffs.option_values(world, ev, np.arange(3), p)
    assert values.shape == (3, 3, 3, 4, 4)
    for i in range(3):
        # the current policy is worth the current utility
        assert values[(i, *align[i], loc[i])] == pytest.approx(ev.components["utility"][i])
        for option in itertools.product(range(3), range(3), range(4), range(4)):
            a, lv = align.copy(), loc.copy()
            a[i], lv[i] = option[:3], option[3]
            u = evaluate(world, a, lv, p).components["utility"][i]
            assert values[(i, *option)] == pytest.approx(u, abs=1e-12)


# --- switching costs ------------------------------------------------------------------------------


def test_switching_costs_in_option_values(tiny3):
    world, _, _, p = tiny3
    align = np.array([[0, 1, 2], [2, 2, 3], [1, 0, 0]])
    loc = np.array([3, 0, 1])
    ev = payoffs.evaluate(world, align, loc, p)
    rows = np.array([0, 1])
    s = payoffs.option_values(world, ev, rows, p) - payoffs.option_values(world, ev, rows, p, 0.5)
    assert s.shape == (2, 3, 3, 4, 4)
    assert s[0, 0, 1, 2, 3] == 0.0  # stay
    assert s[1, 2, 2, 3, 0] == 0.0
    assert s[0, 1, 1, 0, 0] == pytest.approx(1.5)  # 5G, AI and localization change
    assert s[0, 0, 1, 2, 0] == pytest.approx(0.5)  # localization only
    assert s[1, 0, 0, 0, 3] == pytest.approx(2.0)  # every domain and localization
    # in general: cost x number of changed components
    for idx in itertools.product(range(2), range(3), range(3), range(4), range(4)):
        r, *opt = idx
        moves = sum(o != c for o, c in zip(opt, [*align[r], loc[r]], strict=True))
        assert s[idx] == pytest.approx(0.5 * moves, abs=1e-12)


# --- the loop reference as oracle -----------------------------------------------------------------


@pytest.mark.parametrize("seed", range(12))
def test_evaluate_matches_reference(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 26))
    world = cached_synthetic(n, int(rng.integers(0, 50)))
    p = random_params(rng)
    align, loc = random_profile(rng, n)
    ev = evaluate(world, align, loc, p)
    ref = reference.payoffs(world, align, loc, p)
    for k in ("trade", "security", "economy", "sovereignty", "utility"):
        np.testing.assert_allclose(ev.components[k], ref[k], rtol=0, atol=1e-9, err_msg=k)


@pytest.mark.parametrize("seed", range(6))
def test_option_values_match_reference(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(5, 26))
    world = cached_synthetic(n, int(rng.integers(0, 50)))
    p = random_params(rng)
    align, loc = random_profile(rng, n)
    # include the patrons (rows 0 and 1) and one other state
    rows = np.array([0, 1, int(rng.integers(2, n))])
    values = payoffs.option_values(world, evaluate(world, align, loc, p), rows, p)
    for r, i in enumerate(rows):
        ref = reference.option_values(world, align, loc, p, int(i))
        np.testing.assert_allclose(values[r], ref, rtol=0, atol=1e-9)


def test_reference_matches_on_eea_heavy_world():
    # every adequacy combination present: a synthetic world with EEA, adequate and other states
    rng = np.random.default_rng(7)
    world = cached_synthetic(25, 3)
    assert world.eea.any() and (world.adequate & ~world.eea).any() and (~world.adequate).any()
    p = random_params(rng, flow=(1.0, 0.7, 0.4, 0.2), adequacy_flow=0.95)
    align, loc = random_profile(rng, world.n)
    loc[:] = CONDITIONAL  # adequacy matters only at the conditional level
    ev = evaluate(world, align, loc, p)
    ref = reference.payoffs(world, align, loc, p)
    np.testing.assert_allclose(ev.components["trade"], ref["trade"], rtol=0, atol=1e-9)


# --- conditions set by the cyber layer (hostility, threat, subsidy, pressure) --------------------


def comps_cond(world, align, loc, cond, p=P):
    return evaluate(world, np.array(align), np.array(loc), p, terms(world, p, cond)).components


def test_no_conditions_equals_default_terms(tiny3):
    world, align, loc, p = tiny3
    a = evaluate(world, align, loc, p).components
    b = evaluate(world, align, loc, p, terms(world, p, Conditions())).components
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_threat_scales_localization_security():
    w = make_world(TWO)
    cond = Conditions(threat=np.array([2.0, 0.0]))
    for level in range(4):
        c = comps_cond(w, [[US, US, US]] * 2, [level, level], cond)
        # localization_security .1 x (1 + threat) x control
        assert c["security"][0] == pytest.approx(0.1 * 3 * level / 3, abs=1e-12)
        assert c["security"][1] == pytest.approx(0.1 * level / 3, abs=1e-12)


def test_pressure_and_subsidy_follow_stack_shares():
    w = make_world(TWO)
    p = replace(P, export_controls=0.0)
    cond = Conditions(
        pressure=np.array([[0.1, 0.2, 0.0], [0.0, 0.0, 0.0]]),
        subsidy=np.array([[0.0, 0.3, 0.06], [0.0, 0.0, 0.0]]),
    )
    base = comps(w, [[CN, HYB, AI_HYB], [US, US, US]], [OPEN, OPEN], p)
    c = comps_cond(w, [[CN, HYB, AI_HYB], [US, US, US]], [OPEN, OPEN], cond, p)
    # patrons act on 5G vendors only: pressure on 5G cn = .2 (semiconductor and AI options untouched)
    assert base["security"][0] - c["security"][0] == pytest.approx(0.2, abs=1e-12)
    # subsidy: 5G cn .3
    assert c["economy"][0] - base["economy"][0] == pytest.approx(0.3, abs=1e-12)
    hybrid_5g = comps_cond(w, [[HYB, HYB, AI_HYB], [US, US, US]], [OPEN, OPEN], cond, p)
    hybrid_base = comps(w, [[HYB, HYB, AI_HYB], [US, US, US]], [OPEN, OPEN], p)
    # a hybrid 5G stack is half US, half Chinese: pressure (.1 + .2) / 2, subsidy (0 + .3) / 2
    assert hybrid_base["security"][0] - hybrid_5g["security"][0] == pytest.approx(0.15, abs=1e-12)
    assert hybrid_5g["economy"][0] - hybrid_base["economy"][0] == pytest.approx(0.15, abs=1e-12)
    assert c["security"][1] == pytest.approx(base["security"][1], abs=1e-12)


def test_hostility_condition_replaces_world_hostility():
    w = make_world(TWO, hostility=[[0.9, 0.9, 0.0], [0.0, 0.0, 0.0]])
    cond = Conditions(hostility=np.array([[0.2, 0.4, 0.0], [0.0, 0.0, 0.0]]))
    p = replace(P, export_controls=1.0)
    c = comps_cond(w, [[US, US, CN], [US, US, US]], [OPEN, OPEN], cond, p)
    # exposure with the condition's hostility (capacity 0): 5G us .5*.2, semis us .2*.2, AI cn .2*.4
    assert c["security"][0] == pytest.approx(-(0.1 + 0.04 + 0.08), abs=1e-12)
    # US chips for a US-hostile state: frontier .4 x export controls 1 x hostility .2; 5G us cost
    assert c["economy"][0] == pytest.approx(-0.05 - 0.4 * 0.2, abs=1e-12)


def random_conditions(rng, n):
    return Conditions(
        hostility=rng.uniform(0, 1, (n, 3)) * np.array([1.0, 1.0, 0.0]),
        threat=rng.exponential(0.5, n),
        subsidy=rng.uniform(0, 0.1, (n, 3)) * (rng.random((n, 3)) < 0.3),
        pressure=rng.uniform(0, 0.1, (n, 3)) * (rng.random((n, 3)) < 0.3),
    )


@pytest.mark.parametrize("seed", range(6))
def test_evaluate_with_conditions_matches_reference(seed):
    rng = np.random.default_rng(300 + seed)
    n = int(rng.integers(5, 26))
    world = cached_synthetic(n, int(rng.integers(0, 50)))
    p = random_params(rng)
    align, loc = random_profile(rng, n)
    cond = random_conditions(rng, n)
    ev = evaluate(world, align, loc, p, terms(world, p, cond))
    ref = reference.payoffs(world, align, loc, p, cond)
    for k in ("trade", "security", "economy", "sovereignty", "utility"):
        np.testing.assert_allclose(ev.components[k], ref[k], rtol=0, atol=1e-9, err_msg=k)
    rows = np.array([0, int(rng.integers(1, n))])
    values = payoffs.option_values(world, ev, rows, p)
    for r, i in enumerate(rows):
        expected = reference.option_values(world, align, loc, p, int(i), cond)
        np.testing.assert_allclose(values[r], expected, rtol=0, atol=1e-9)
