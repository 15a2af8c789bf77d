"""The world: geography, gravity, the default dataset and its imputation, synthetic worlds, ties."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import cached_synthetic

from simulation import world as wmod
from simulation.world import (
    DOMAINS,
    ECOSYSTEMS,
    GROUPS,
    N_COLUMNS,
    column_slices,
    default_world,
    gravity_matrix,
    great_circle_km,
    impute,
    read_states,
    stack_shares,
    synthetic_world,
)

IMPUTED_COLUMNS = (
    "gdp_usd_bn",
    "population_m",
    "gci_2024_score",
    "nato",
    "five_eyes",
    "eu",
    "sco",
    "brics",
    "budapest_party",
    "gdpr_adequacy",
    "restricts_huawei_5g",
    "data_localization",
)
USED_COLUMNS = (
    *IMPUTED_COLUMNS,
    "iso3",
    "capital_lat",
    "capital_lon",
    "quad",
    "us_treaty",
    "size",
    "affinity_us",
    "affinity_cn",
    "affinity_eu",
    "hostility_us",
    "hostility_cn",
    "capacity",
    "data_pref",
)


@pytest.fixture(scope="module")
def dworld():
    return default_world()


# --- geometry and gravity -------------------------------------------------------------------------


def test_great_circle_london_paris():
    d = great_circle_km(51.5074, -0.1278, 48.8566, 2.3522)
    assert d == pytest.approx(343.5, rel=0.01)


def test_great_circle_quarter_meridian_and_zero():
    # pole to equator is a quarter of the circumference
    assert great_circle_km(90, 0, 0, 0) == pytest.approx(math.pi / 2 * 6371.0088, rel=1e-12)
    assert great_circle_km(10, 20, 10, 20) == 0.0
    assert great_circle_km(0, 179.5, 0, -179.5) == pytest.approx(2 * math.pi * 6371.0088 / 360)


def test_gravity_matrix_by_hand():
    size = np.array([0.5, 0.3, 0.2])
    lat = np.array([0.0, 0.0, 0.0])
    lon = np.array([0.0, 0.0, 90.0])
    quarter = math.pi / 2 * 6371.0088
    # states 0 and 1 share a capital: distance floored at 500 km
    raw = np.array(
        [
            [0.0, 0.15 / 500, 0.10 / quarter],
            [0.15 / 500, 0.0, 0.06 / quarter],
            [0.10 / quarter, 0.06 / quarter, 0.0],
        ]
    )
    np.testing.assert_allclose(gravity_matrix(size, lat, lon), raw / raw.sum(), rtol=1e-12)
    raw2 = raw.copy()
    raw2[0, 1] = raw2[1, 0] = 0.15 / 500**2
    raw2[0, 2] = raw2[2, 0] = 0.10 / quarter**2
    raw2[1, 2] = raw2[2, 1] = 0.06 / quarter**2
    np.testing.assert_allclose(gravity_matrix(size, lat, lon, 2.0), raw2 / raw2.sum(), rtol=1e-12)


def test_gravity_matrix_blocks_agree():
    rng = np.random.default_rng(0)
    n = 37
    size = rng.uniform(0.1, 1, n)
    lat, lon = rng.uniform(-80, 80, n), rng.uniform(-180, 180, n)
    np.testing.assert_allclose(
        gravity_matrix(size, lat, lon, block=5), gravity_matrix(size, lat, lon), rtol=1e-13
    )


@pytest.mark.parametrize("make", [default_world, lambda: synthetic_world(60, 4)])
def test_gravity_properties(make):
    g = make().gravity
    np.testing.assert_allclose(g, g.T, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(np.diag(g), 0.0)
    assert g.sum() == pytest.approx(1.0, abs=1e-12)
    off = g[~np.eye(len(g), dtype=bool)]
    assert np.all(off > 0)


def test_gravity_against_great_circle(dworld):
    t = dworld.table
    i, j, k = dworld.index("GBR"), dworld.index("FRA"), dworld.index("JPN")

    def raw(a, b):
        d = great_circle_km(
            *t.loc[a, ["capital_lat", "capital_lon"]], *t.loc[b, ["capital_lat", "capital_lon"]]
        )
        return dworld.size[a] * dworld.size[b] / max(d, 500.0)

    assert dworld.gravity[i, j] / dworld.gravity[i, k] == pytest.approx(
        raw(i, j) / raw(i, k), rel=1e-9
    )


# --- choice-set helpers ---------------------------------------------------------------------------


def test_column_slices_and_stack_shares():
    sl = column_slices()
    assert [(s.start, s.stop) for s in sl] == [(0, 3), (3, 6), (6, 10)]
    assert N_COLUMNS == 10
    shares = stack_shares()
    np.testing.assert_array_equal(shares[0], [[1, 0, 0], [0, 1, 0], [0.5, 0.5, 0]])
    np.testing.assert_array_equal(shares[1], shares[0])
    third = 1 / 3
    np.testing.assert_allclose(
        shares[2], [[1, 0, 0], [0, 1, 0], [0, 0, 1], [third, third, third]], rtol=1e-15
    )
    for s in shares:
        np.testing.assert_allclose(s.sum(axis=1), 1.0)
    assert [len(ECOSYSTEMS[d]) for d in DOMAINS] == [3, 3, 4]


# --- the default world ----------------------------------------------------------------------------


def test_default_world_shape(dworld):
    assert dworld.n == 55
    assert len(set(dworld.iso3)) == 55
    assert dworld.iso3[dworld.patrons["us"]] == "USA"
    assert dworld.iso3[dworld.patrons["cn"]] == "CHN"
    assert dworld.groups.shape == (55, len(GROUPS))
    assert dworld.tech.shape == (55, N_COLUMNS)
    assert dworld.size.sum() == pytest.approx(1.0)


def test_default_world_no_missing_in_used_columns(dworld):
    for col in USED_COLUMNS:
        assert not dworld.table[col].isna().any(), col
    for arr in (
        dworld.gdp,
        dworld.gravity,
        dworld.affinity,
        dworld.hostility,
        dworld.capacity,
        dworld.data_pref,
        dworld.tech,
    ):
        assert np.all(np.isfinite(arr))


def test_every_imputed_cell_is_flagged():
    raw = read_states()
    done = impute(raw)
    flags = done["imputed"].str.split(",")
    for col in IMPUTED_COLUMNS:
        missing = raw[col].isna().to_numpy()
        flagged = np.array([col in f for f in flags])
        np.testing.assert_array_equal(flagged, missing, err_msg=col)
        assert not done[col].isna().any(), col
        # observed cells are left alone
        pd.testing.assert_series_equal(
            done.loc[~missing, col], raw.loc[~missing, col], check_dtype=False, check_names=False
        )
    assert not set().union(*[set(f) for f in flags]) - set(IMPUTED_COLUMNS) - {""}


def test_imputation_examples(dworld):
    raw = read_states().set_index("iso3")
    t = dworld.table.set_index("iso3")
    assert "gdp_usd_bn" in t.loc["TWN", "imputed"].split(",")
    assert "data_localization" in t.loc["USA", "imputed"].split(",")
    assert "data_localization" not in t.loc["CHN", "imputed"]
    assert t.loc["USA", "data_localization"] == "conditional"
    # TWN has neither GDP nor population: median GDP
    assert t.loc["TWN", "gdp_usd_bn"] == pytest.approx(raw["gdp_usd_bn"].median())
    assert t.loc["TWN", "population_m"] == pytest.approx(raw["population_m"].median())
    assert t.loc["TWN", "gci_2024_score"] == pytest.approx(raw["gci_2024_score"].median())
    # QAT has population: population x median GDP per head
    per_head = (raw["gdp_usd_bn"] / raw["population_m"]).median()
    assert t.loc["QAT", "gdp_usd_bn"] == pytest.approx(raw.loc["QAT", "population_m"] * per_head)
    # Huawei: EU or NATO members get 'partial', others '0'
    assert t.loc["ITA", "restricts_huawei_5g"] == "partial"
    assert t.loc["BRA", "restricts_huawei_5g"] == "0"
    assert t.loc["SAU", "brics"] == 0
    assert t.loc["TWN", "imputed"] == (
        "gdp_usd_bn,population_m,gci_2024_score,budapest_party,data_localization"
    )
    assert t.loc["DEU", "imputed"] == "data_localization"
    assert t.loc["KAZ", "imputed"] == "restricts_huawei_5g"


def test_default_world_affinity_hostility(dworld):
    for arr in (dworld.affinity, dworld.hostility):
        assert np.all((arr >= 0) & (arr <= 1))
    np.testing.assert_array_equal(dworld.hostility[:, 2], 0.0)  # EU bloc
    us, cn = dworld.patrons["us"], dworld.patrons["cn"]
    assert dworld.affinity[us, 0] == 1.0 and dworld.affinity[cn, 1] == 1.0
    assert dworld.hostility[us, 0] == 0.0 and dworld.hostility[cn, 1] == 0.0
    a = dict(zip(dworld.iso3, dworld.affinity, strict=True))
    h = dict(zip(dworld.iso3, dworld.hostility, strict=True))
    # GBR: NATO .5 + Five Eyes .3 = .8 with the US -> saturated
    assert a["GBR"][0] == pytest.approx(1.0)
    # DEU: NATO .5 -> .5 / .8; EU member -> EU affinity 1
    assert a["DEU"][0] == pytest.approx(0.625)
    assert a["DEU"][2] == 1.0
    # RUS: SCO .5 + BRICS .2 = .7 with China -> .875; rival of the US -> US hostility 1 (clipped)
    assert a["RUS"][1] == pytest.approx(0.875)
    assert h["RUS"][0] == pytest.approx(1.0)
    # TWN: US treaty .4 -> US affinity .5; rival of China -> China affinity 0 and hostility
    # toward China .1 + .5 - 0 + .5, clipped to 1
    assert a["TWN"][0] == pytest.approx(0.5)
    assert a["TWN"][1] == 0.0
    assert h["TWN"][1] == pytest.approx(1.0)
    # IND: SCO .5 + BRICS .2 with China -> .875, minus the rivalry penalty .5 -> .375; Quad .2
    # with the US -> .25; hostility toward China .1 + .25 - .375 + .5 = .475
    assert a["IND"][1] == pytest.approx(0.375)
    assert a["IND"][0] == pytest.approx(0.25)
    assert h["IND"][1] == pytest.approx(0.475)
    # BRA: BRICS .2 with China -> .25; hostility toward the US .1 + .25 - 0
    assert a["BRA"][1] == pytest.approx(0.25)
    assert h["BRA"][0] == pytest.approx(0.35)
    # NOR: EEA but not EU -> .8; CHE: adequacy -> .5; BRA: none
    assert a["NOR"][2] == pytest.approx(0.8)
    assert a["CHE"][2] == pytest.approx(0.5)
    assert a["BRA"][2] == 0.0


def test_default_world_eea_adequate(dworld):
    assert np.all(dworld.adequate[dworld.eea])  # EEA members count as adequate
    t = dworld.table.set_index("iso3")
    idx = {c: i for i, c in enumerate(dworld.iso3)}
    assert dworld.eea[idx["NOR"]] and dworld.eea[idx["DEU"]]
    assert dworld.adequate[idx["JPN"]] and not dworld.eea[idx["JPN"]]
    assert not dworld.adequate[idx["CHN"]]
    assert t["data_pref"].between(0, 1).all()
    assert dworld.capacity[idx["GBR"]] == pytest.approx(1.0)


def test_default_world_tech(dworld):
    i = dworld.index("TWN")
    assert dworld.tech[i, column_slices()[1].start + 0] == 1.0  # TSMC: semis, us bloc
    assert dworld.tech[dworld.index("CHN"), 0 + 1] == 1.0  # Huawei/ZTE: 5G, cn bloc
    assert np.all((dworld.tech >= 0) & (dworld.tech <= 1))


def test_index_unknown_code(dworld):
    assert dworld.index("FRA") == list(dworld.iso3).index("FRA")
    with pytest.raises(KeyError, match="XXX"):
        dworld.index("XXX")


def test_distance_elasticity_changes_gravity():
    assert not np.allclose(default_world(2.0).gravity, default_world(1.0).gravity)


# --- synthetic worlds -----------------------------------------------------------------------------


def _same_world(a, b):
    for name in (
        "gdp",
        "gravity",
        "groups",
        "affinity",
        "hostility",
        "capacity",
        "data_pref",
        "tech",
        "eea",
        "adequate",
    ):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.patrons == b.patrons


def test_synthetic_world_deterministic():
    _same_world(synthetic_world(50, 7), synthetic_world(50, 7))


def test_synthetic_world_depends_on_seed():
    a, b = synthetic_world(50, 7), synthetic_world(50, 8)
    assert not np.array_equal(a.gdp, b.gdp)
    assert not np.array_equal(a.gravity, b.gravity)


@pytest.mark.parametrize("n", [2, 10, 2000])
def test_synthetic_world_sizes(n):
    w = cached_synthetic(n, 1)
    assert w.n == n
    assert w.gravity.shape == (n, n)
    assert w.gravity.sum() == pytest.approx(1.0, abs=1e-9)
    np.testing.assert_array_equal(np.diag(w.gravity), 0.0)
    assert w.patrons == {"us": 0, "cn": 1}
    # the patrons are the two largest economies
    assert set(np.argsort(-w.gdp)[:2]) == {0, 1}
    for arr in (w.affinity, w.hostility, w.capacity, w.data_pref, w.tech):
        assert np.all((arr >= 0) & (arr <= 1))
        assert np.all(np.isfinite(arr))
    assert np.all(w.adequate[w.eea])


@pytest.mark.parametrize("n", [0, 1, 100_001])
def test_synthetic_world_rejects_bad_size(n):
    with pytest.raises(ValueError, match="n="):
        synthetic_world(n, 0)


def test_synthetic_world_camps():
    w = cached_synthetic(2000, 1)
    share = w.table["camp"].value_counts(normalize=True)
    for camp, expected in zip(wmod._CAMPS, wmod._CAMP_SHARE, strict=True):
        assert share[camp] == pytest.approx(expected, abs=0.04)


# --- security ties --------------------------------------------------------------------------------


def test_ties_matrix_definition():
    w = cached_synthetic(30, 2)
    t = w.ties_matrix()
    np.testing.assert_array_equal(np.diag(t), 0.0)
    np.testing.assert_allclose(t, t.T)
    for i, j in [(0, 1), (0, 5), (3, 17), (29, 28)]:
        expected = sum(wg * w.groups[i, g] * w.groups[j, g] for g, wg in enumerate(w.group_weight))
        assert t[i, j] == pytest.approx(expected)


@pytest.mark.parametrize("seed", range(3))
def test_ties_dot_equals_matrix_product(seed):
    rng = np.random.default_rng(seed)
    w = cached_synthetic(40, seed)
    t = w.ties_matrix()
    x1 = rng.normal(size=40)
    x2 = rng.normal(size=(40, 10))
    np.testing.assert_allclose(w.ties_dot(x1), t @ x1, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(w.ties_dot(x2), t @ x2, rtol=1e-12, atol=1e-12)


def test_ties_default_world(dworld):
    t = dworld.ties_matrix()
    i, j = dworld.index("USA"), dworld.index("GBR")
    # NATO .5 + Five Eyes .3
    assert t[i, j] == pytest.approx(0.8)
    # USA-JPN: Quad .2 + US treaty .4
    assert t[i, dworld.index("JPN")] == pytest.approx(0.6)
    assert t[i, dworld.index("CHN")] == 0.0
