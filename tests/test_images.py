"""Image comparison of key figures against baseline PNGs in ``tests/baselines/images/``.

The figures are drawn from fixed, hand-made tables (seeded generators, no model runs, so a change
of model behaviour does not touch them) with the Agg backend, matplotlib's bundled DejaVu Sans and
the rc settings of :data:`STYLE` (no font hinting, as in matplotlib's own image tests), and the
source line's version is pinned. Two ways to compare, with the same baselines, style, resolution
and tolerance (RMS difference of :data:`TOLERANCE` on the 0-255 scale):

* plain ``uv run pytest``: each test saves its figure and compares it with
  :func:`matplotlib.testing.compare.compare_images` itself, so the images are checked by default
  without any extra option (and without pytest-mpl installed);
* ``uv run pytest tests/test_images.py --mpl``: pytest-mpl compares (and with
  ``--mpl-generate-summary=html`` writes a report with the differences).

To accept intended changes, regenerate the baselines with pytest-mpl (see ``docs/plotting.md``)::

    uv run pytest tests/test_images.py --mpl-generate-path=tests/baselines/images
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.testing.compare import compare_images

from simulation import plotting as P
from simulation.cyber import SECTORS
from simulation.world import DOMAINS, ECOSYSTEMS, LOCALIZATION

BASELINES = Path(__file__).resolve().parent / "baselines" / "images"
TOLERANCE = 2.0
DPI = 72
STYLE = {
    "font.family": "DejaVu Sans",
    "text.hinting": "none",
    "savefig.dpi": DPI,
    "figure.dpi": DPI,
}
"""rc settings every image is drawn and saved with (on top of matplotlib's defaults)."""

try:
    import pytest_mpl  # noqa: F401

    HAVE_PYTEST_MPL = True
except ImportError:  # plain pip installs: the tests still compare, by themselves
    HAVE_PYTEST_MPL = False


def image_test(func):
    """Mark a test that returns a figure for pytest-mpl (when installed), with our settings."""
    if HAVE_PYTEST_MPL:
        func = pytest.mark.mpl_image_compare(
            baseline_dir="baselines/images",
            filename=f"{func.__name__.removeprefix('test_')}.png",
            tolerance=TOLERANCE,
            style=STYLE,
            savefig_kwargs={"dpi": DPI},
        )(func)
    return func


@pytest.fixture(autouse=True)
def _pinned_version(monkeypatch):
    """The source line names the package version; pin it so a release does not move pixels."""
    monkeypatch.setattr(P, "__version__", "0.0.0")
    yield
    plt.close("all")


@pytest.fixture
def render(request, tmp_path):
    """Return ``render(make)``: build a figure in :data:`STYLE` and compare it with its baseline.

    When pytest-mpl is comparing or generating (``--mpl``, ``--mpl-generate-path``), this only
    builds the figure and pytest-mpl does the rest with the figure the test returns.
    """
    opts = request.config.option
    plugin_active = HAVE_PYTEST_MPL and bool(
        getattr(opts, "mpl", False)
        or getattr(opts, "mpl_generate_path", None)
        or getattr(opts, "mpl_generate_hash_library", None)
    )
    name = request.node.name.removeprefix("test_") + ".png"

    def run(make):
        with plt.style.context(STYLE, after_reset=True):
            fig = make()
            if plugin_active:
                return fig
            baseline = BASELINES / name
            assert baseline.exists(), (
                f"no baseline {baseline}; create it with "
                "uv run pytest tests/test_images.py --mpl-generate-path=tests/baselines/images"
            )
            actual = tmp_path / name
            fig.savefig(actual, dpi=DPI)
        result = compare_images(str(baseline), str(actual), tol=TOLERANCE, in_decorator=True)
        if result is not None:
            pytest.fail(
                f"{name} differs from its baseline: RMS {result['rms']:.3f} > {TOLERANCE}; "
                f"see {result['actual']} and {result['diff']}",
                pytrace=False,
            )
        return fig

    return run


# --- fixed data ----------------------------------------------------------------------------------


def model_table() -> pd.DataFrame:
    """Two scenarios, five seeds, twelve steps of smooth made-up outcomes (seeded)."""
    rng = np.random.default_rng(20240601)
    rows = []
    for k, scenario in enumerate(("open-internet", "tech-cold-war")):
        for seed in range(5):
            for step in range(12):
                trend = 1 - np.exp(-step / 4)
                row = {
                    "scenario": scenario,
                    "seed": seed,
                    "step": step,
                    "fragmentation": 0.2 + (0.1 + 0.3 * k) * trend + rng.normal(0, 0.02),
                    "mean_security": -0.1 + (0.05 + 0.1 * k) * trend + rng.normal(0, 0.01),
                    "mean_trade": 0.7 - (0.1 + 0.3 * k) * trend + rng.normal(0, 0.02),
                }
                for domain in DOMAINS:
                    options = ECOSYSTEMS[domain]
                    w = np.linspace(1.0, 0.4, len(options)) + rng.uniform(0, 0.3, len(options))
                    w[1] += k * trend
                    w /= w.sum()
                    for option, share in zip(options, w, strict=True):
                        row[f"share_{option}_{domain}"] = share
                rows.append(row)
    return pd.DataFrame(rows)


def agents_table() -> pd.DataFrame:
    """Every state of the default world at one step with policies drawn from a seeded generator."""
    rng = np.random.default_rng(7)
    rows = []
    for code in sorted(P.tile_grid()["iso3"]):
        row = {"scenario": "fixed", "seed": 1, "step": 3, "iso3": code}
        for domain in DOMAINS:
            row[f"align_{domain}"] = str(rng.choice(ECOSYSTEMS[domain]))
        row["localization"] = str(rng.choice(LOCALIZATION))
        rows.append(row)
    return pd.DataFrame(rows)


def events_table() -> pd.DataFrame:
    """Twenty steps of events with Poisson counts (seeded) and one shock."""
    rng = np.random.default_rng(3)
    rows = []
    for step in range(1, 21):
        for sector in SECTORS:
            for _ in range(rng.poisson(0.6)):
                rows.append((step, "attack", sector, bool(rng.random() < 0.4)))
        for _ in range(rng.poisson(1.5)):
            rows.append((step, "crime", str(rng.choice(SECTORS)), False))
        if rng.random() < 0.15:
            rows.append((step, "coalition_join", "", None))
        if rng.random() < 0.1:
            rows.append((step, "coalition_exit", "", None))
    rows.append((8, "shock_attack_wave", "energy", None))
    table = pd.DataFrame(rows, columns=["step", "event", "sector", "attributed"])
    return table.sort_values("step", kind="stable").reset_index(drop=True)


# --- the images ----------------------------------------------------------------------------------


@image_test
def test_timeseries(render):
    return render(lambda: P.plot_timeseries(model_table()))


@image_test
def test_bloc_shares(render):
    table = model_table()
    return render(lambda: P.plot_bloc_shares(table[table.scenario == "tech-cold-war"]))


@image_test
def test_world_map(render):
    return render(lambda: P.plot_world_map(agents_table()))


@image_test
def test_event_timeline(render):
    return render(lambda: P.plot_event_timeline(events_table(), last_step=20))


@image_test
def test_sobol(render):
    indices = pd.DataFrame(
        {
            "parameter": [
                "payoffs.export_controls",
                "payoffs.cross_bloc_compat",
                "payoffs.hybrid_cost",
            ],
            "S1": [0.12, 0.55, 0.02],
            "S1_conf": [0.05, 0.08, 0.03],
            "ST": [0.2, 0.71, 0.04],
            "ST_conf": [0.06, 0.1, 0.02],
        }
    )
    return render(lambda: P.plot_sobol(indices, metric="fragmentation"))


def test_baselines_are_the_images_these_tests_make():
    """Every baseline belongs to a test here (no stale files) and every image test has one."""
    names = {
        name.removeprefix("test_") + ".png"
        for name, obj in globals().items()
        if name.startswith("test_")
        and callable(obj)
        and name != "test_baselines_are_the_images_these_tests_make"
    }
    assert {p.name for p in BASELINES.glob("*.png")} == names
