import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from simulation import SovereigntyModel
from simulation import plotting as P
from simulation.world import ECOSYSTEMS, LOCALIZATION


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def real_runs() -> pd.DataFrame:
    frames = []
    for seed in (1, 2):
        df = SovereigntyModel(rng=seed, collect_agents=False).run(5).model_dataframe()
        df.insert(0, "seed", seed)
        df.insert(0, "scenario", "baseline")
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def _hand_table() -> pd.DataFrame:
    """Two scenarios, four seeds each, three steps; values chosen by hand."""
    rows = []
    rng = np.random.default_rng(0)
    for scenario in ("a", "b"):
        for seed in range(4):
            for step in range(3):
                row = {
                    "scenario": scenario,
                    "seed": seed,
                    "step": step,
                    "fragmentation": round(float(rng.uniform(0, 1)), 3),
                    "mean_security": round(float(rng.uniform(-1, 1)), 3),
                    "mean_trade": round(float(rng.uniform(0, 1)), 3),
                }
                for domain, options in ECOSYSTEMS.items():
                    w = rng.uniform(0, 1, len(options))
                    w = w / w.sum()
                    for o, v in zip(options, w, strict=True):
                        row[f"share_{o}_{domain}"] = v
                        row[f"gdp_share_{o}_{domain}"] = v
                rows.append(row)
    return pd.DataFrame(rows)


# --- style ---------------------------------------------------------------------------------------


def test_palette_is_okabe_ito_and_fixed():
    okabe = {to_hex(c) for c in P.OKABE_ITO.values()}
    assert len(okabe) == 8
    options = {o for opts in ECOSYSTEMS.values() for o in opts}
    assert set(P.BLOC_COLORS) == options
    assert set(P.BLOC_LABELS) == options
    assert tuple(P.LOCALIZATION_COLORS) == LOCALIZATION
    for colors in (P.BLOC_COLORS, P.LOCALIZATION_COLORS):
        assert {to_hex(c) for c in colors.values()} <= okabe
        assert len(set(colors.values())) == len(colors)


def test_source_line_is_replaced_not_stacked():
    fig, _ = plt.subplots()
    P.source_line(fig, "baseline", 5)
    P.source_line(fig, ["a", "b"], 1, "final step")
    texts = [t.get_text() for t in fig.texts if t.get_gid() == P.SOURCE_GID]
    assert texts == [f"sovsim {P.__version__}, scenarios a, b, 1 run, final step"]


# --- 1. time series ------------------------------------------------------------------------------


def test_timeseries_data_matches_numpy_quantiles():
    table = _hand_table()
    out = P.timeseries_data(table, ["fragmentation", "mean_security"])
    assert list(out.columns) == [
        "metric",
        "scenario",
        "step",
        "q05",
        "q25",
        "q50",
        "q75",
        "q95",
        "runs",
    ]
    assert len(out) == 2 * 2 * 3
    for _, row in out.iterrows():
        sel = table[(table.scenario == row.scenario) & (table.step == row.step)][row.metric]
        expected = np.quantile(sel.to_numpy(), [0.05, 0.25, 0.5, 0.75, 0.95])
        np.testing.assert_allclose(
            row[["q05", "q25", "q50", "q75", "q95"]].to_numpy(float), expected
        )
        assert row.runs == 4


def test_timeseries_data_by_hand():
    table = pd.DataFrame(
        {"scenario": "s", "step": [0, 0, 0, 0, 0], "fragmentation": [0.0, 1.0, 2.0, 3.0, 4.0]}
    )
    out = P.timeseries_data(table, "fragmentation")
    # linear interpolation on 0..4: quantile q is 4q
    np.testing.assert_allclose(
        out.loc[0, ["q05", "q25", "q50", "q75", "q95"]].to_numpy(float), [0.2, 1, 2, 3, 3.8]
    )


def test_timeseries_data_missing_column():
    with pytest.raises(ValueError, match="missing columns"):
        P.timeseries_data(pd.DataFrame({"step": [0]}), "fragmentation")


def test_plot_timeseries_renders(real_runs):
    fig = P.plot_timeseries(real_runs)
    assert len(fig.axes) == 3
    assert fig.axes[0].get_ylabel().startswith("Fragmentation")
    assert fig.axes[-1].get_xlabel() == "Step (policy rounds)"
    assert "2 runs" in next(t.get_text() for t in fig.texts if t.get_gid() == P.SOURCE_GID)
    fig.canvas.draw()


def test_plot_timeseries_hand_two_scenarios_into_ax():
    fig, ax = plt.subplots()
    out = P.plot_timeseries(_hand_table(), ax=ax, metrics="mean_security")
    assert out is fig
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:2] == ["a", "b"]
    assert "90% of runs (q05–q95)" in labels
    fig.canvas.draw()
    with pytest.raises(ValueError, match="one metric"):
        P.plot_timeseries(_hand_table(), ax=ax, metrics=["fragmentation", "mean_trade"])


# --- 2. bloc shares ------------------------------------------------------------------------------


@pytest.mark.parametrize("weight", ["count", "gdp"])
def test_bloc_shares_data_sums_to_one_and_is_mean(weight):
    table = _hand_table()
    table = table[table.scenario == "a"]
    out = P.bloc_shares_data(table, weight=weight)
    assert list(out.columns) == ["domain", "step", "option", "share"]
    sums = out.groupby(["domain", "step"])["share"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0)
    assert len(out) == 3 * (3 + 3 + 4)
    prefix = "share" if weight == "count" else "gdp_share"
    got = out[(out.domain == "ai") & (out.step == 1) & (out.option == "eu")]["share"].item()
    assert got == pytest.approx(table[table.step == 1][f"{prefix}_eu_ai"].mean())
    assert list(out[(out.domain == "ai") & (out.step == 0)]["option"]) == list(ECOSYSTEMS["ai"])


def test_bloc_shares_data_by_hand():
    table = pd.DataFrame(
        {
            "step": [0, 0],
            "share_us_5g": [1.0, 0.0],
            "share_cn_5g": [0.0, 0.5],
            "share_hybrid_5g": [0.0, 0.5],
        }
    )
    out = P.bloc_shares_data(table, "5g")
    assert out["share"].tolist() == [0.5, 0.25, 0.25]


def test_bloc_shares_data_rejects_mixed_scenarios_and_bad_args():
    with pytest.raises(ValueError, match="several scenarios"):
        P.bloc_shares_data(_hand_table())
    table = _hand_table().query("scenario == 'a'")
    with pytest.raises(ValueError, match="weight"):
        P.bloc_shares_data(table, weight="pop")
    with pytest.raises(ValueError, match="domain"):
        P.bloc_shares_data(table, domains="cloud")


def test_plot_bloc_shares_renders(real_runs):
    fig = P.plot_bloc_shares(real_runs)
    assert len(fig.axes) == 3
    assert fig.axes[0].get_ylabel() == "Share of states (0–1)"
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == [P.BLOC_LABELS[o] for o in ("us", "cn", "eu", "hybrid")]
    fig.canvas.draw()


def test_plot_bloc_shares_into_ax():
    fig, ax = plt.subplots()
    table = _hand_table().query("scenario == 'b'")
    out = P.plot_bloc_shares(table, ax=ax, domains="5g", weight="gdp")
    assert out is fig
    assert ax.get_ylabel() == "Share of world GDP (0–1)"
    assert [to_hex(c.get_facecolor()) for c in ax.collections] == [
        P.BLOC_COLORS[o].lower() for o in ECOSYSTEMS["5g"]
    ]
    fig.canvas.draw()
    with pytest.raises(ValueError, match="one domain"):
        P.plot_bloc_shares(table, ax=ax)


# --- 3. trade-off --------------------------------------------------------------------------------


def test_pareto_front_by_hand():
    pts = pd.DataFrame(
        {"x": [0.1, 0.5, 0.9, 0.4, 0.5], "y": [0.9, 0.6, 0.2, 0.5, 0.3]}, index=list("ABCDE")
    )
    # D (0.4, 0.5) is dominated by B (0.5, 0.6); E (0.5, 0.3) by B too.
    front = P.pareto_front(pts)
    assert list(front.index) == ["A", "B", "C"]


def test_pareto_front_ties_and_empty():
    pts = pd.DataFrame({"a": [1.0, 1.0, 1.0, 0.0], "b": [1.0, 1.0, 0.0, 1.0]})
    front = P.pareto_front(pts, "a", "b")
    assert sorted(front.index) == [0, 1]  # duplicates of the best point both kept
    assert P.pareto_front(pts.iloc[:0], "a", "b").empty


def test_pareto_front_matches_brute_force():
    rng = np.random.default_rng(3)
    pts = pd.DataFrame({"x": rng.integers(0, 6, 60), "y": rng.integers(0, 6, 60)}).astype(float)
    xs, ys = pts.x.to_numpy(), pts.y.to_numpy()
    dominated = [
        bool(np.any((xs >= xs[i]) & (ys >= ys[i]) & ((xs > xs[i]) | (ys > ys[i]))))
        for i in range(len(pts))
    ]
    expected = sorted(i for i, d in enumerate(dominated) if not d)
    assert sorted(P.pareto_front(pts).index) == expected


def test_tradeoff_data_final_step_and_levels():
    table = _hand_table()
    out = P.tradeoff_data(table)
    assert list(out.columns) == ["scenario", "seed", "connectivity", "mean_security", "pareto"]
    assert len(out) == 8
    last = table[table.step == 2].reset_index(drop=True)
    np.testing.assert_allclose(out["connectivity"], 1 - last["fragmentation"])
    np.testing.assert_allclose(out["mean_security"], last["mean_security"])
    assert out["pareto"].sum() >= 1
    by_scen = P.tradeoff_data(table, x="mean_trade", level="scenario")
    assert by_scen["mean_trade"].tolist() == pytest.approx(
        last.groupby("scenario")["mean_trade"].mean().tolist()
    )


def test_plot_tradeoff_renders(real_runs):
    fig = P.plot_tradeoff(real_runs)
    ax = fig.axes[0]
    assert ax.get_xlabel().startswith("Connectivity")
    assert "final step" in ax.get_ylabel()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Pareto frontier (non-dominated)" in labels
    fig.canvas.draw()


def test_plot_tradeoff_into_ax_scenario_level():
    fig, ax = plt.subplots()
    out = P.plot_tradeoff(_hand_table(), ax=ax, x="mean_trade", level="scenario")
    assert out is fig
    assert ax.get_xlabel() == P.METRIC_LABELS["mean_trade"]
    fig.canvas.draw()


# --- 4. heatmap ----------------------------------------------------------------------------------


def _sweep_table() -> pd.DataFrame:
    rows = []
    for a in (0.1, 0.2):
        for b in (1, 2, 3):
            for seed in (0, 1):
                for step in (0, 1):
                    value = 10 * a + b + seed if step == 1 else -99.0  # only the last step counts
                    rows.append(
                        {
                            "scenario": "sweep",
                            "seed": seed,
                            "alpha": a,
                            "beta": b,
                            "step": step,
                            "welfare": value,
                        }
                    )
    return pd.DataFrame(rows)


def test_heatmap_data_by_hand():
    table = P.heatmap_data(_sweep_table(), x="alpha", y="beta", metric="welfare")
    assert list(table.index) == [1, 2, 3]
    assert list(table.columns) == [0.1, 0.2]
    # mean over seeds 0 and 1 of 10 a + b + seed = 10 a + b + 0.5
    expected = np.array([[10 * a + b + 0.5 for a in (0.1, 0.2)] for b in (1, 2, 3)])
    np.testing.assert_allclose(table.to_numpy(), expected)


def test_heatmap_data_missing_cell_is_nan():
    sweep = _sweep_table()
    sweep = sweep[~((sweep.alpha == 0.2) & (sweep.beta == 3))]
    table = P.heatmap_data(sweep, "alpha", "beta", "welfare")
    assert np.isnan(table.loc[3, 0.2])
    assert table.loc[3, 0.1] == pytest.approx(4.5)


def test_heatmap_data_uses_run_id_when_present():
    sweep = _sweep_table()
    sweep["run_id"] = sweep.groupby(["alpha", "beta", "seed"]).ngroup()
    table = P.heatmap_data(sweep, "alpha", "beta", "welfare")
    assert table.loc[2, 0.1] == pytest.approx(3.5)


def test_plot_heatmap_renders_and_into_ax():
    fig = P.plot_heatmap(_sweep_table(), x="alpha", y="beta", metric="welfare")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "alpha (parameter value)"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.1", "0.2"]
    assert "mean over replicates" in fig.axes[1].get_ylabel()
    assert "12 runs" in next(t.get_text() for t in fig.texts if t.get_gid() == P.SOURCE_GID)
    fig.canvas.draw()
    fig2, ax2 = plt.subplots()
    sweep = _sweep_table()
    sweep = sweep[~((sweep.alpha == 0.2) & (sweep.beta == 3))]
    assert P.plot_heatmap(sweep, ax2, x="alpha", y="beta", metric="welfare") is fig2
    fig2.canvas.draw()


def test_plot_heatmap_real_runs(real_runs):
    sweep = real_runs.assign(alpha=real_runs["seed"] * 0.5, beta="x")
    fig = P.plot_heatmap(sweep, x="alpha", y="beta")
    fig.canvas.draw()
