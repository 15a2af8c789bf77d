"""Shared helpers: hand-built tiny worlds, permutations, random parameters and profiles."""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.payoffs import PayoffParams
from simulation.world import BLOCS, N_COLUMNS, World, synthetic_world


def make_world(
    gravity,
    *,
    gdp=None,
    groups=None,
    group_weight=None,
    affinity=None,
    hostility=None,
    capacity=None,
    data_pref=None,
    tech=None,
    eea=None,
    adequate=None,
    patrons=None,
) -> World:
    """Build a :class:`World` directly from its fields; anything not given is zero / False.

    ``gravity`` is used as given (the caller chooses numbers that already sum to 1).
    """
    gravity = np.asarray(gravity, dtype=float)
    n = gravity.shape[0]
    gdp = np.ones(n) if gdp is None else np.asarray(gdp, dtype=float)
    groups = np.zeros((n, 1)) if groups is None else np.asarray(groups, dtype=float)
    if group_weight is None:
        group_weight = np.ones(groups.shape[1])
    iso3 = np.array([f"T{i:02d}" for i in range(n)])
    eea = np.zeros(n, dtype=bool) if eea is None else np.asarray(eea, dtype=bool)
    adequate = np.zeros(n, dtype=bool) if adequate is None else np.asarray(adequate, dtype=bool)
    return World(
        table=pd.DataFrame({"iso3": iso3, "gdp_usd_bn": gdp}),
        iso3=iso3,
        gdp=gdp,
        size=gdp / gdp.sum(),
        gravity=gravity,
        groups=groups,
        group_weight=np.asarray(group_weight, dtype=float),
        affinity=np.zeros((n, len(BLOCS))) if affinity is None else np.asarray(affinity, float),
        hostility=np.zeros((n, len(BLOCS))) if hostility is None else np.asarray(hostility, float),
        capacity=np.zeros(n) if capacity is None else np.asarray(capacity, dtype=float),
        data_pref=np.zeros(n) if data_pref is None else np.asarray(data_pref, dtype=float),
        tech=np.zeros((n, N_COLUMNS)) if tech is None else np.asarray(tech, dtype=float),
        eea=eea,
        adequate=adequate,
        patrons={"us": 0, "cn": 1} if patrons is None else patrons,
    )


def permute_world(world: World, perm: np.ndarray) -> World:
    """Return the same world with states reordered: new state ``k`` is old state ``perm[k]``."""
    perm = np.asarray(perm)
    inverse = np.argsort(perm)
    return World(
        table=world.table.iloc[perm].reset_index(drop=True),
        iso3=world.iso3[perm],
        gdp=world.gdp[perm],
        size=world.size[perm],
        gravity=world.gravity[np.ix_(perm, perm)],
        groups=world.groups[perm],
        group_weight=world.group_weight.copy(),
        affinity=world.affinity[perm],
        hostility=world.hostility[perm],
        capacity=world.capacity[perm],
        data_pref=world.data_pref[perm],
        tech=world.tech[perm],
        eea=world.eea[perm],
        adequate=world.adequate[perm],
        patrons={k: int(inverse[v]) for k, v in world.patrons.items()},
    )


@functools.cache
def cached_synthetic(n: int, seed: int) -> World:
    """Synthetic worlds are read-only in the tests, so build each one once."""
    return synthetic_world(n, seed)


def random_params(rng: np.random.Generator, **overrides) -> PayoffParams:
    """Return payoff parameters drawn uniformly from plausible ranges (flows decreasing)."""
    u = rng.uniform
    flow = tuple(float(x) for x in np.sort(u(0.0, 1.0, 4))[::-1])
    kwargs = {
        "domain_weight": tuple(float(x) for x in u(0.1, 1.0, 3)),
        "cross_bloc_compat": u(),
        "hybrid_compat": u(),
        "eu_us_ai_compat": u(),
        "eu_cn_ai_compat": u(),
        "flow": flow,
        "adequacy_flow": u(flow[2], flow[0]),
        "weight_trade": u(0, 2),
        "weight_security": u(0, 2),
        "weight_economy": u(0, 2),
        "weight_sovereignty": u(0, 2),
        "vendor_risk": tuple(float(x) for x in u(0, 1, 3)),
        "capacity_mitigation": u(),
        "partner_value": u(),
        "patron_value": u(),
        "localization_security": u(),
        "vendor_cost": (
            tuple(float(x) for x in u(0, 0.1, 2)),
            tuple(float(x) for x in u(0, 0.1, 2)),
            tuple(float(x) for x in u(0, 0.1, 3)),
        ),
        "hybrid_cost": u(0, 0.1),
        "export_controls": u(),
        "frontier_value": u(),
        "industry_weight": u(),
        "localization_protection": u(),
        "innovation_loss": u(),
    }
    kwargs = {k: (float(v) if isinstance(v, np.floating) else v) for k, v in kwargs.items()}
    kwargs.update(overrides)
    return PayoffParams(**kwargs)


def random_profile(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Return a uniformly random ``(align, loc)`` profile for ``n`` states."""
    align = np.column_stack([rng.integers(0, 3, n), rng.integers(0, 3, n), rng.integers(0, 4, n)])
    return align.astype(np.int64), rng.integers(0, 4, n).astype(np.int64)


# --- the worked three-state example ------------------------------------------------------------
#
# Used by test_payoffs.py and test_metrics.py, where every number is derived by hand.
#
#   gravity   G = [[0, .3, .1], [.3, 0, .1], [.1, .1, 0]]   (sums to 1; potentials .4, .4, .2)
#   gdp       (50, 30, 20)
#   groups    A (weight .8) = {0, 1};  B (weight .2) = {0, 2}
#             -> T01 = .8, T02 = .2, T12 = 0; tie totals .8+.2 = 1, .8, .2
#   capacity  (.6, 1, 0)              affinity  (1, 0, .5), (.8, 0, 0), (0, .5, 0)
#   hostility (0, .8, 0), (.3, .5, 0), (.6, .1, 0)
#   data_pref (.5, .9, .4)
#   tech      state 0: 5G-us .6 and AI-eu .2; state 2: semiconductors-cn .8
#   profile   state 0: (us, hybrid, eu) strict; 1: (us, cn, us) conditional; 2: (cn, hybrid,
#             hybrid) open;  no EEA / adequacy.


TINY3_PARAMS = dict(
    domain_weight=(0.5, 0.25, 0.25),
    cross_bloc_compat=0.2,
    hybrid_compat=0.6,
    eu_us_ai_compat=0.5,
    eu_cn_ai_compat=0.4,
    flow=(1.0, 0.8, 0.5, 0.2),
    adequacy_flow=1.0,
    weight_trade=1.0,
    weight_security=0.5,
    weight_economy=2.0,
    weight_sovereignty=1.0,
    vendor_risk=(0.5, 0.2, 0.2),
    capacity_mitigation=0.5,
    partner_value=0.4,
    patron_value=0.2,
    localization_security=0.1,
    vendor_cost=((0.05, 0.0), (0.0, 0.04), (0.0, 0.0, 0.03)),
    hybrid_cost=0.02,
    export_controls=0.5,
    frontier_value=0.4,
    industry_weight=0.5,
    localization_protection=0.3,
    innovation_loss=0.2,
)


def tiny3_world() -> World:
    """Return the worked three-state world described above."""
    tech = np.zeros((3, N_COLUMNS))
    tech[0, 0] = 0.6  # 5G, us option
    tech[0, 8] = 0.2  # AI, eu option (AI columns 6..9: us, cn, eu, hybrid)
    tech[2, 4] = 0.8  # semiconductors, cn option (columns 3..5: us, cn, hybrid)
    return make_world(
        [[0, 0.3, 0.1], [0.3, 0, 0.1], [0.1, 0.1, 0]],
        gdp=[50.0, 30.0, 20.0],
        groups=[[1, 1], [1, 0], [0, 1]],
        group_weight=[0.8, 0.2],
        affinity=[[1.0, 0.0, 0.5], [0.8, 0.0, 0.0], [0.0, 0.5, 0.0]],
        hostility=[[0.0, 0.8, 0.0], [0.3, 0.5, 0.0], [0.6, 0.1, 0.0]],
        capacity=[0.6, 1.0, 0.0],
        data_pref=[0.5, 0.9, 0.4],
        tech=tech,
    )


TINY3_ALIGN = np.array([[0, 2, 2], [0, 1, 0], [1, 2, 3]])
TINY3_LOC = np.array([3, 1, 0])


@pytest.fixture
def tiny3():
    """The worked example: (world, align, loc, params)."""
    return tiny3_world(), TINY3_ALIGN.copy(), TINY3_LOC.copy(), PayoffParams(**TINY3_PARAMS)


REQUIRED_SCENARIOS = (
    "baseline",
    "tech-cold-war",
    "brussels-effect",
    "sovereignty-wave",
    "cyber-crisis",
    "norms-coalition",
    "hedging-middle-powers",
    "open-internet",
)
"""The named scenarios issue 4 asks for."""

EVENT_KINDS: tuple[str, ...] = (
    "attack",
    "crime",
    "sharing_start",
    "sharing_end",
    "coalition_join",
    "coalition_exit",
    "gdpr_adoption",
    "adequacy_granted",
    "adequacy_revoked",
    "patron_offer",
    "patron_pressure",
    "shock_attack_wave",
    "shock_export_controls",
)
"""Every kind of event the model records (``docs/ODD.md`` Section 7.23 documents each)."""


# --- browser tests ----------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
"""Debian's Chromium; Playwright cannot download a browser here (no internet)."""

ARTIFACTS = Path(__file__).parent / "artifacts"
"""Screenshots and other test artifacts (git-ignored)."""

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's Chromium headless (overrides pytest-playwright's fixture)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: `apt-get install -y chromium` (.ci/run does it)")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def solara_server(target: str, env: dict[str, str] | None = None, timeout: float = 90.0):
    """Serve a Solara app (``module`` or ``module:object``) on a free port; yield its URL.

    The server runs in its own process group, which is terminated on exit; its output goes to
    ``tests/artifacts/server-<port>.log`` for debugging.
    """
    from simulation import assets

    if assets.missing():
        pytest.skip(f"Solara's offline assets are missing: run `{assets.PREPARE_COMMAND}`")
    port = _free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / f"server-{port}.log").open("w")
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "solara", "run", target),
            *("--host", "127.0.0.1", "--port", str(port), "--no-open", "--production"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False", **(env or {})},
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"solara exited with {proc.returncode}; see {log.name}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"solara did not answer within {timeout} s; see {log.name}")
            time.sleep(0.5)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
