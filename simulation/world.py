"""The world: states, their attributes, and the choice sets they choose from.

A :class:`World` is a set of fixed arrays describing ``N`` states (size, geography, security ties,
cyber capacity, preferences, domestic industry). It never changes during a run; what states choose
lives in the model. Two constructors build one:

* :func:`default_world` reads the 55 states of ``simulation/data/states.csv`` (copied from the
  project's sourced dataset, see ``simulation/data/SOURCES.md``), imputes missing cells by the rules
  in :data:`IMPUTATION_RULES` and flags every imputed cell in the ``imputed`` column;
* :func:`synthetic_world` draws a world of any size from a seeded generator with heavy-tailed
  economic sizes and a bloc structure.

Both go through :meth:`World.from_table`, so every derived attribute has one definition.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from importlib import resources

import numpy as np
import pandas as pd

# --- choice sets ---------------------------------------------------------------------------------

DOMAINS: tuple[str, ...] = ("5g", "semiconductors", "ai")
"""Technology domains in which a state picks an ecosystem."""

ECOSYSTEMS: dict[str, tuple[str, ...]] = {
    "5g": ("us", "cn", "hybrid"),
    "semiconductors": ("us", "cn", "hybrid"),
    "ai": ("us", "cn", "eu", "hybrid"),
}
"""Options per domain: a US-led and a China-led bloc (AI governance also the EU's rights-based
regime) and a hybrid hedge that keeps partial compatibility with all of them."""

LOCALIZATION: tuple[str, ...] = ("open", "conditional", "sectoral", "strict")
"""Data-localization levels, from free flows to economy-wide local storage with export approval."""

BLOCS: tuple[str, ...] = ("us", "cn", "eu")
"""Bloc patrons (columns of :attr:`World.affinity`)."""

GROUPS: dict[str, float] = {
    "nato": 0.5,
    "five_eyes": 0.3,
    "us_treaty": 0.4,
    "quad": 0.2,
    "eu": 0.3,
    "sco": 0.5,
    "brics": 0.2,
}
"""Security and political groupings and the tie strength that co-membership adds (assumption:
alliances with a standing security organisation, NATO and the SCO, weigh most, bilateral US
treaties next, intelligence and economic groupings least)."""

TIE_SATURATION = 0.8
"""Tie strength with a patron at which affinity reaches 1 (NATO + Five Eyes)."""

RIVALRY_PENALTY = 0.5
"""Affinity removed from, and hostility added toward, a patron the state has a rivalry with."""

CAMP_AFFINITY = 0.5
"""Affinity with a patron at which a state counts as a member of its bloc's camp."""

BASE_DISTRUST = 0.1
"""Hostility every state has toward a foreign bloc's vendors, before ties and rivalries."""

IMPUTATION_RULES: dict[str, str] = {
    "gdp_usd_bn": "population x median GDP per head of the dataset; median GDP if population is "
    "also missing",
    "population_m": "median population of the dataset",
    "gci_2024_score": "median GCI score of the dataset",
    "nato, five_eyes, eu, sco, brics": "0 (not a member)",
    "budapest_party": "0 (not a party)",
    "gdpr_adequacy": "0 (no adequacy decision)",
    "restricts_huawei_5g": "'partial' for EU or NATO members (the EU 5G Toolbox: 24 member states "
    "had powers to restrict high-risk vendors, 10 had used them, June 2023), otherwise '0'",
    "data_localization": "'conditional': most states have a GDPR-influenced data-protection law "
    "with transfer conditions (Greenleaf: 172 national laws in March 2025)",
}
"""How each missing cell is filled. Every filled cell is listed in the ``imputed`` column."""

_DATA = resources.files("simulation") / "data"
_MIN_DISTANCE_KM = 500.0
_EARTH_RADIUS_KM = 6371.0088


def n_options(domain: str) -> int:
    """Return the number of options (blocs plus hybrid) in ``domain``."""
    return len(ECOSYSTEMS[domain])


@functools.cache
def column_slices() -> tuple[slice, ...]:
    """Return the slice of each domain in a 10-column one-hot alignment matrix."""
    out, start = [], 0
    for d in DOMAINS:
        out.append(slice(start, start + n_options(d)))
        start += n_options(d)
    return tuple(out)


N_COLUMNS = sum(n_options(d) for d in DOMAINS)
"""Width of the concatenated one-hot alignment matrix (3 + 3 + 4)."""


@functools.cache
def stack_shares() -> list[np.ndarray]:
    """Return, per domain, the share of each bloc's technology in each option.

    Row ``k`` of the ``(n_options, 3)`` array says how much of option ``k``'s stack comes from the
    US, Chinese and EU blocs. A bloc option is all its own; the hybrid option splits equally among
    the blocs present in the domain (1/2 US, 1/2 CN; for AI 1/3 each).
    """
    out = []
    for d in DOMAINS:
        opts = ECOSYSTEMS[d]
        share = np.zeros((len(opts), len(BLOCS)))
        blocs_here = [b for b in opts if b != "hybrid"]
        for k, opt in enumerate(opts):
            if opt == "hybrid":
                for b in blocs_here:
                    share[k, BLOCS.index(b)] = 1.0 / len(blocs_here)
            else:
                share[k, BLOCS.index(opt)] = 1.0
        share.flags.writeable = False
        out.append(share)
    return out


@functools.cache
def share_matrix() -> np.ndarray:
    """Return ``(3 blocs, 10 option columns)``: each bloc's share of each option's stack."""
    out = np.hstack([s.T for s in stack_shares()])
    out.flags.writeable = False
    return out


# --- the world -----------------------------------------------------------------------------------


@dataclass(eq=False)
class World:
    """Fixed attributes of ``N`` states; arrays are indexed by state.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per state: the source columns plus derived ones and ``imputed`` (comma-separated
        names of imputed columns, empty if none).
    iso3 : numpy.ndarray
        State codes.
    gdp : numpy.ndarray
        GDP in US$ bn (World Bank 2023 for the default world).
    size : numpy.ndarray
        Economic size: GDP share of the world, sums to 1.
    gravity : numpy.ndarray
        ``(N, N)`` potential digital exchange between states: ``size_i size_j / d_ij^theta`` with a
        zero diagonal, normalised to sum to 1 (so a frictionless world trades 1).
    groups : numpy.ndarray
        ``(N, G)`` 0/1 memberships of the groupings in :data:`GROUPS`.
    group_weight : numpy.ndarray
        ``(G,)`` tie strength per grouping.
    affinity : numpy.ndarray
        ``(N, 3)`` affinity with the US, Chinese and EU bloc patrons, in [0, 1].
    hostility : numpy.ndarray
        ``(N, 3)`` hostility toward each bloc's vendors and supply chains, in [0, 1] (EU: 0).
    capacity : numpy.ndarray
        Cyber capacity, ITU GCI 2024 score / 100.
    data_pref : numpy.ndarray
        Preference for control over data, in [0, 1].
    tech : numpy.ndarray
        ``(N, 10)`` domestic technology capacity per domain and bloc option, in [0, 1].
    eea : numpy.ndarray
        Member of the EEA (the GDPR's home).
    adequate : numpy.ndarray
        Holds an EU adequacy decision (EEA members count as adequate).
    patrons : dict
        Index of the US and Chinese patron states.
    """

    table: pd.DataFrame
    iso3: np.ndarray
    gdp: np.ndarray
    size: np.ndarray
    gravity: np.ndarray
    groups: np.ndarray
    group_weight: np.ndarray
    affinity: np.ndarray
    hostility: np.ndarray
    capacity: np.ndarray
    data_pref: np.ndarray
    tech: np.ndarray
    eea: np.ndarray
    adequate: np.ndarray
    patrons: dict[str, int] = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Number of states."""
        return len(self.iso3)

    def index(self, iso3: str) -> int:
        """Return the row of state ``iso3``; raise ``KeyError`` naming the known codes if absent."""
        hits = np.flatnonzero(self.iso3 == iso3)
        if len(hits) == 0:
            raise KeyError(f"unknown state code {iso3!r}")
        return int(hits[0])

    @functools.cached_property
    def potential(self) -> np.ndarray:
        """Each state's potential digital exchange, ``sum_j G_ij`` (computed once)."""
        return self.gravity.sum(axis=1)

    @functools.cached_property
    def camp(self) -> np.ndarray:
        """``(N, 3)``: the state belongs to a bloc's camp (affinity with its patron >= 0.5)."""
        return self.affinity >= CAMP_AFFINITY

    @functools.cached_property
    def swing(self) -> np.ndarray:
        """Swing states: US and China affinity within 0.5 of each other."""
        return np.abs(self.affinity[:, 0] - self.affinity[:, 1]) < CAMP_AFFINITY

    @functools.cached_property
    def by_size(self) -> np.ndarray:
        """State rows from the largest GDP to the smallest (ties in row order)."""
        return np.argsort(-self.gdp, kind="stable")

    @functools.cached_property
    def tie_total(self) -> np.ndarray:
        """Each state's total security-tie strength, ``sum_j T_ij`` (computed once)."""
        return self.ties_dot(np.ones(self.n))

    def ties_dot(self, x: np.ndarray) -> np.ndarray:
        """Return ``T @ x`` for the security-tie matrix ``T`` without forming it.

        ``T_ij = sum_g w_g m_ig m_jg`` for ``i != j`` (co-membership of groupings), so the product
        costs ``O(N G)`` instead of ``O(N^2)``.
        """
        m, w = self.groups, self.group_weight
        if x.ndim == 2:
            return m @ (w[:, None] * (m.T @ x)) - self._self_tie[:, None] * x
        return m @ (w * (m.T @ x)) - self._self_tie * x

    @functools.cached_property
    def _self_tie(self) -> np.ndarray:
        return (self.groups * self.groups) @ self.group_weight

    def ties_row(self, i: int) -> np.ndarray:
        """Return row ``i`` of the security-tie matrix ``T`` (``T_ii = 0``)."""
        row = (self.groups * self.group_weight) @ self.groups[i]
        row[i] = 0.0
        return row

    def ties_matrix(self) -> np.ndarray:
        """Return the dense ``(N, N)`` security-tie matrix (for tests and small worlds)."""
        t = (self.groups * self.group_weight) @ self.groups.T
        np.fill_diagonal(t, 0.0)
        return t

    @classmethod
    def from_table(
        cls,
        table: pd.DataFrame,
        tech: pd.DataFrame | None = None,
        rivalries: pd.DataFrame | None = None,
        *,
        distance_elasticity: float = 1.0,
        patrons: tuple[str, str] = ("USA", "CHN"),
    ) -> World:
        """Derive a world from a state table.

        ``table`` needs the columns of ``states.csv`` (complete: impute first), plus ``quad`` and
        ``us_treaty``. ``tech`` lists domestic technology capacity (``iso3, domain, ecosystem,
        capacity``) and ``rivalries`` pairs of rival states (``iso3_a, iso3_b``).
        """
        table = table.reset_index(drop=True).copy()
        iso3 = table["iso3"].to_numpy(dtype=str)
        n = len(iso3)
        where = {code: i for i, code in enumerate(iso3)}
        gdp = table["gdp_usd_bn"].to_numpy(dtype=float)
        size = gdp / gdp.sum()
        gravity = gravity_matrix(
            size,
            table["capital_lat"].to_numpy(dtype=float),
            table["capital_lon"].to_numpy(dtype=float),
            distance_elasticity,
        )
        groups = table[list(GROUPS)].to_numpy(dtype=float)
        group_weight = np.array(list(GROUPS.values()))

        us, cn = where[patrons[0]], where[patrons[1]]
        tie_to = (groups * group_weight) @ groups[[us, cn]].T  # (N, 2) incl. self
        eea = (table["gdpr_adequacy"].astype(str) == "eea").to_numpy()
        adequate = eea | (table["gdpr_adequacy"].astype(str) == "1").to_numpy()
        eu = table["eu"].to_numpy(dtype=float) == 1
        affinity = np.zeros((n, 3))
        affinity[:, :2] = np.minimum(1.0, tie_to / TIE_SATURATION)
        affinity[:, 2] = np.where(eu, 1.0, np.where(eea, 0.8, np.where(adequate, 0.5, 0.0)))
        rival = np.zeros((n, 2))
        if rivalries is not None:
            for a, b in rivalries[["iso3_a", "iso3_b"]].itertuples(index=False):
                if a in where and b in where:
                    for x, y in ((a, b), (b, a)):
                        if where[y] in (us, cn):
                            rival[where[x], (us, cn).index(where[y])] = 1.0
        affinity[:, :2] = np.clip(affinity[:, :2] - RIVALRY_PENALTY * rival, 0.0, 1.0)
        affinity[us, 0] = affinity[cn, 1] = 1.0
        hostility = np.zeros((n, 3))
        hostility[:, 0] = (
            BASE_DISTRUST + affinity[:, 1] - affinity[:, 0] + RIVALRY_PENALTY * rival[:, 0]
        )
        hostility[:, 1] = (
            BASE_DISTRUST + affinity[:, 0] - affinity[:, 1] + RIVALRY_PENALTY * rival[:, 1]
        )
        hostility = np.clip(hostility, 0.0, 1.0)
        hostility[us, 0] = hostility[cn, 1] = 0.0

        capacity = table["gci_2024_score"].to_numpy(dtype=float) / 100.0
        loc_obs = table["data_localization"].fillna("").astype(str).to_numpy()
        sco = table["sco"].to_numpy(dtype=float)
        data_pref = np.clip(
            0.2
            + 0.5 * np.isin(loc_obs, ["strict", "broad"])
            + 0.25 * (loc_obs == "sectoral")
            + 0.2 * sco
            + 0.1 * eu,
            0.0,
            1.0,
        )
        tech_arr = np.zeros((n, N_COLUMNS))
        if tech is not None:
            slices = column_slices()
            for code, dom, eco, cap in tech[["iso3", "domain", "ecosystem", "capacity"]].itertuples(
                index=False
            ):
                if code in where:
                    col = slices[DOMAINS.index(dom)].start + ECOSYSTEMS[dom].index(eco)
                    tech_arr[where[code], col] = float(cap)

        derived = {
            "size": size,
            "affinity_us": affinity[:, 0],
            "affinity_cn": affinity[:, 1],
            "affinity_eu": affinity[:, 2],
            "hostility_us": hostility[:, 0],
            "hostility_cn": hostility[:, 1],
            "capacity": capacity,
            "data_pref": data_pref,
        }
        for k, v in derived.items():
            table[k] = v
        return cls(
            table=table,
            iso3=iso3,
            gdp=gdp,
            size=size,
            gravity=gravity,
            groups=groups,
            group_weight=group_weight,
            affinity=affinity,
            hostility=hostility,
            capacity=capacity,
            data_pref=data_pref,
            tech=tech_arr,
            eea=eea,
            adequate=adequate,
            patrons={"us": us, "cn": cn},
        )


def gravity_matrix(
    size: np.ndarray,
    lat: np.ndarray,
    lon: np.ndarray,
    distance_elasticity: float = 1.0,
    block: int = 1024,
) -> np.ndarray:
    """Return the normalised gravity matrix ``size_i size_j / max(d_ij, 500 km)^theta``.

    Distances are great-circle distances between capitals on a sphere of mean Earth radius, from
    the chord between unit vectors (``d = 2 R asin(|u_i - u_j| / 2)``, the haversine formula in
    vector form; :func:`great_circle_km` is the scalar reference). The diagonal is zero and the
    matrix sums to 1. Rows are computed in blocks so that memory stays at one ``(N, N)`` array.
    """
    n = len(size)
    phi, lam = np.radians(lat), np.radians(lon)
    unit = np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])
    g = np.empty((n, n))
    for s in range(0, n, block):
        e = min(n, s + block)
        half_chord_sq = np.maximum(0.5 - 0.5 * (unit[s:e] @ unit.T), 0.0)  # (|u_i - u_j| / 2)^2
        d = np.arcsin(np.sqrt(np.minimum(half_chord_sq, 1.0)))
        d *= 2 * _EARTH_RADIUS_KM
        np.maximum(d, _MIN_DISTANCE_KM, out=d)
        if distance_elasticity != 1.0:
            d **= distance_elasticity
        g[s:e] = size[s:e, None] * size[None, :]
        g[s:e] /= d
    np.fill_diagonal(g, 0.0)
    g /= g.sum()
    return g


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Return the haversine distance in km between two points given in degrees (reference)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * math.asin(math.sqrt(h))


# --- the default world ---------------------------------------------------------------------------


def read_states() -> pd.DataFrame:
    """Return ``states.csv`` as read, with empty cells as missing values."""
    with (_DATA / "states.csv").open(encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype={"restricts_huawei_5g": str, "gdpr_adequacy": str})


def impute(states: pd.DataFrame) -> pd.DataFrame:
    """Fill missing cells by :data:`IMPUTATION_RULES` and list them in an ``imputed`` column."""
    df = states.copy()
    flags: list[list[str]] = [[] for _ in range(len(df))]

    def fill(col: str, values: pd.Series) -> None:
        missing = df[col].isna()
        for i in np.flatnonzero(missing.to_numpy()):
            flags[i].append(col)
        df.loc[missing, col] = values[missing]

    per_head = (df["gdp_usd_bn"] / df["population_m"]).median()
    fill("gdp_usd_bn", (df["population_m"] * per_head).fillna(df["gdp_usd_bn"].median()))
    fill("population_m", pd.Series(df["population_m"].median(), index=df.index))
    fill("gci_2024_score", pd.Series(df["gci_2024_score"].median(), index=df.index))
    for col in ("nato", "five_eyes", "eu", "sco", "brics", "budapest_party"):
        fill(col, pd.Series(0, index=df.index))
    fill("gdpr_adequacy", pd.Series("0", index=df.index))
    eu_or_nato = (df["eu"] == 1) | (df["nato"] == 1)
    fill("restricts_huawei_5g", pd.Series(np.where(eu_or_nato, "partial", "0"), index=df.index))
    fill("data_localization", pd.Series("conditional", index=df.index))
    for col in ("nato", "five_eyes", "eu", "sco", "brics", "budapest_party"):
        df[col] = df[col].astype(int)
    df["imputed"] = [",".join(f) for f in flags]
    return df


def _with_ties(df: pd.DataFrame, ties: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for group in ("quad", "us_treaty"):
        members = set(ties.loc[ties["group"] == group, "iso3"])
        df[group] = df["iso3"].isin(members).astype(int)
    return df


def _read_csv(name: str) -> pd.DataFrame:
    with (_DATA / name).open(encoding="utf-8") as fh:
        return pd.read_csv(fh)


def default_world(distance_elasticity: float = 1.0) -> World:
    """Return the 55-state world of ``simulation/data/states.csv`` (imputed, flagged)."""
    table = _with_ties(impute(read_states()), _read_csv("ties.csv"))
    return World.from_table(
        table,
        tech=_read_csv("tech_capacity.csv"),
        rivalries=_read_csv("rivalries.csv"),
        distance_elasticity=distance_elasticity,
    )


# --- synthetic worlds ----------------------------------------------------------------------------

_CAMPS = ("us", "cn", "eu", "nonaligned")
_CAMP_SHARE = (0.30, 0.20, 0.15, 0.35)
_CAMP_CENTRE = {
    "us": (40.0, -90.0),
    "cn": (35.0, 100.0),
    "eu": (50.0, 10.0),
    "nonaligned": (0.0, 30.0),
}


def synthetic_world(n: int = 200, seed: int = 0, distance_elasticity: float = 1.0) -> World:
    """Return a seeded synthetic world of ``n`` states with a bloc structure.

    Sizes from 2 to 100,000 are accepted; 10 to 10,000 are tested and benchmarked.

    States ``S00000`` and ``S00001`` are the US-like and China-like patrons (the two largest).
    Others join a camp (US 30%, China 20%, EU 15%, non-aligned 35%); camps sit around their own
    geographic centre. GDP is Pareto-tailed (shape 1.1, like the size distribution of national
    economies); groupings mimic NATO/Five Eyes (US camp), SCO (China camp), the EU, and BRICS
    (China patron, 40% of the non-aligned and 30% of the China camp). Policies, capacities and
    preferences are drawn per camp so that ``observed`` initial policies exist for synthetic
    worlds too.
    """
    if not 2 <= n <= 100_000:
        raise ValueError(f"synthetic world size n={n}: allowed 2 to 100000")
    rng = np.random.default_rng(seed)
    gdp = np.sort(rng.pareto(1.1, n) + 1.0)[::-1] * 20.0
    camp = rng.choice(len(_CAMPS), size=n, p=_CAMP_SHARE)
    camp[0], camp[1] = 0, 1
    names = np.array(_CAMPS)[camp]
    lat = np.empty(n)
    lon = np.empty(n)
    for c, (la, lo) in _CAMP_CENTRE.items():
        sel = names == c
        lat[sel] = np.clip(la + rng.normal(0, 15, sel.sum()), -85, 85)
        lon[sel] = (lo + rng.normal(0, 30, sel.sum()) + 180) % 360 - 180
    is_us, is_cn, is_eu, is_na = (names == c for c in _CAMPS)
    nato = (is_us & (rng.random(n) < 0.6)) | (is_eu & (rng.random(n) < 0.8))
    nato[0] = True
    five_eyes = is_us & (rng.random(n) < 0.15)
    five_eyes[0] = True
    us_treaty = is_us & ~nato & (rng.random(n) < 0.5)
    us_treaty[0] = True
    brics = (is_na & (rng.random(n) < 0.4)) | (is_cn & (rng.random(n) < 0.3))
    brics[1] = True
    sco = is_cn & (rng.random(n) < 0.7)
    sco[1] = True
    adequacy = np.where(is_eu, "eea", np.where(is_us & (rng.random(n) < 0.4), "1", "0"))
    huawei = np.select([is_us, is_eu, is_cn], ["1", "partial", "0"], default="0")
    loc = np.select(
        [is_cn & (rng.random(n) < 0.5), is_cn, is_na & (rng.random(n) < 0.2)],
        ["strict", "broad", "sectoral"],
        default="conditional",
    )
    gci = np.clip(100 * rng.beta(4, 2, n) + 5 * np.log10(gdp / 20.0), 5, 100)
    table = pd.DataFrame(
        {
            "iso3": [f"S{i:05d}" for i in range(n)],
            "name": [f"State {i}" for i in range(n)],
            "gdp_usd_bn": gdp,
            "population_m": gdp / 10.0,
            "capital_lat": lat,
            "capital_lon": lon,
            "nato": nato.astype(int),
            "five_eyes": five_eyes.astype(int),
            "eu": is_eu.astype(int),
            "sco": sco.astype(int),
            "brics": brics.astype(int),
            "quad": np.zeros(n, dtype=int),
            "us_treaty": us_treaty.astype(int),
            "budapest_party": ((is_us | is_eu) & (rng.random(n) < 0.7)).astype(int),
            "gdpr_adequacy": adequacy,
            "restricts_huawei_5g": huawei,
            "gci_2024_score": gci,
            "data_localization": loc,
            "camp": names,
            "imputed": "",
        }
    )
    top = np.argsort(-gdp)[: max(2, n // 50)]
    tech_rows = [("S00000", "5g", "us", 0.5), ("S00000", "semiconductors", "us", 0.8)]
    tech_rows += [("S00000", "ai", "us", 1.0), ("S00001", "5g", "cn", 1.0)]
    tech_rows += [("S00001", "semiconductors", "cn", 0.5), ("S00001", "ai", "cn", 1.0)]
    for i in top[2:]:
        dom = DOMAINS[int(rng.integers(0, 2))]
        eco = {"us": "us", "eu": "us", "cn": "cn"}.get(str(names[i]))
        if eco is not None:
            tech_rows.append((f"S{i:05d}", dom, eco, float(rng.uniform(0.3, 0.9))))
    tech = pd.DataFrame(tech_rows, columns=["iso3", "domain", "ecosystem", "capacity"])
    return World.from_table(
        table, tech=tech, distance_elasticity=distance_elasticity, patrons=("S00000", "S00001")
    )
