import matplotlib

matplotlib.use("Agg")

import importlib.util
import re
import warnings
from pathlib import Path
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import tomli_w
from matplotlib.colors import to_hex

from simulation import SovereigntyModel, analysis, batch, metrics, payoffs
from simulation import plotting as P
from simulation.cyber import SECTORS
from simulation.world import ECOSYSTEMS, LOCALIZATION, default_world, read_states

ROOT = Path(__file__).resolve().parents[1]


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


# --- shared for the figures below ----------------------------------------------------------------


@pytest.fixture
def strict_warnings():
    """Turn every warning into an error while a figure is built and drawn."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def _agents(rows: list[tuple]) -> pd.DataFrame:
    """Agents table from (scenario, seed, step, iso3, 5g, semiconductors, ai, localization)."""
    columns = ["scenario", "seed", "step", "iso3", *MAP_POLICY]
    return pd.DataFrame(rows, columns=columns)


MAP_POLICY = ["align_5g", "align_semiconductors", "align_ai", "localization"]


@pytest.fixture(scope="module")
def small_run():
    """A short real run of the default world with agents and events (cyber layer on)."""
    model = SovereigntyModel(
        rng=4,
        shocks=[
            {
                "step": 2,
                "kind": "attack_wave",
                "sector": "finance",
                "bloc": "cn",
                "intensity": 20,
                "duration": 2,
            }
        ],
    ).run(6)
    agents = model.agent_dataframe()
    events = model.event_dataframe()
    for df in (agents, events):
        df.insert(0, "seed", 4)
        df.insert(0, "scenario", "baseline")
    return SimpleNamespace(model=model, agents=agents, events=events)


# --- 5. world map --------------------------------------------------------------------------------


def _load_tile_script():
    spec = importlib.util.spec_from_file_location(
        "make_tile_grid", ROOT / "scripts" / "make_tile_grid.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tile_grid_covers_the_default_world_once_and_keeps_geography():
    grid = P.tile_grid()
    states = read_states()
    assert list(grid.columns) == ["iso3", "row", "col"]
    assert sorted(grid.iso3) == sorted(states.iso3) and len(grid) == 55
    assert not grid.duplicated(["row", "col"]).any()
    assert grid.row.min() == 0 and grid.col.min() == 0
    merged = grid.merge(states[["iso3", "capital_lat", "capital_lon"]], on="iso3")
    # north is up and west is left: rank correlation of the tiles with the capitals
    assert merged["col"].corr(merged["capital_lon"], method="spearman") > 0.9
    assert merged["row"].corr(-merged["capital_lat"], method="spearman") > 0.9
    where = grid.set_index("iso3")
    assert where.loc["USA", "col"] < where.loc["DEU", "col"] < where.loc["CHN", "col"]
    assert where.loc["NOR", "row"] < where.loc["ZAF", "row"]
    assert where.loc["ESP", "col"] < where.loc["FRA", "col"] + 1  # the hand correction holds


def test_tile_grid_csv_is_what_the_script_writes():
    script = _load_tile_script()
    expected = script.tile_grid(read_states()).reset_index(drop=True)
    pd.testing.assert_frame_equal(P.tile_grid(), expected, check_dtype=False)
    assert script.squeeze(np.array([3, 4, 9, 12, 13])).tolist() == [0, 1, 3, 5, 6]
    # spreading separates two points closer than the gap, along the line joining them
    spread = script.spread(np.array([[0.0, 0.0], [0.5, 0.0]]))
    assert spread[1, 0] - spread[0, 0] == pytest.approx(script.MIN_GAP, abs=1e-5)
    assert spread[:, 1].tolist() == [0.0, 0.0]


def test_coordinate_grid_by_hand():
    lat = np.array([10.0, 50.0, 30.0, -20.0, 50.0])
    lon = np.array([0.0, 20.0, -10.0, 5.0, -30.0])
    # 5 states: ceil(sqrt(10)) = 4 columns; north band 1, 4, 2, 0 ordered west to east 4, 2, 0, 1
    cells = P.coordinate_grid(lat, lon)
    assert cells.tolist() == [[0, 2], [0, 3], [0, 1], [1, 0], [0, 0]]


def test_world_map_data_by_hand():
    rows = []
    for seed in (1, 2):
        for step in (0, 1):
            tag = "us" if step == 0 else "cn"
            rows += [
                ("s", seed, step, "CHN", "cn", "cn", "cn", "strict"),
                ("s", seed, step, "USA", "us", "us", "eu", "open"),
                (
                    "s",
                    seed,
                    step,
                    "DEU",
                    tag,
                    "hybrid",
                    "eu",
                    "conditional" if seed == 1 else "sectoral",
                ),
            ]
    agents = _agents(rows)
    out = P.world_map_data(agents)
    assert list(out.columns) == ["iso3", "row", "col", *MAP_POLICY]
    # tiles from tile_grid.csv: DEU (2, 7), USA (3, 1), CHN (3, 13), sorted by row then column
    assert out[["iso3", "row", "col"]].values.tolist() == [
        ["DEU", 2, 7],
        ["USA", 3, 1],
        ["CHN", 3, 13],
    ]
    assert out.attrs == {"layout": "tile grid", "step": 1, "seed": 1}
    assert out.set_index("iso3").loc["DEU", MAP_POLICY].tolist() == [
        "cn",
        "hybrid",
        "eu",
        "conditional",
    ]
    early = P.world_map_data(agents, step=0, seed=2).set_index("iso3")
    assert early.loc["DEU", MAP_POLICY].tolist() == ["us", "hybrid", "eu", "sectoral"]
    assert early.attrs["seed"] == 2 and early.attrs["step"] == 0


def test_world_map_data_rejects_bad_selections():
    agents = _agents([("a", 1, 0, "USA", "us", "us", "us", "open")])
    with pytest.raises(ValueError, match="seed 5 is not in the agents table"):
        P.world_map_data(agents, seed=5)
    with pytest.raises(ValueError, match="step 3 is not in the agents table"):
        P.world_map_data(agents, step=3)
    two = pd.concat([agents, agents.assign(scenario="b")])
    with pytest.raises(ValueError, match="several scenarios"):
        P.world_map_data(two)
    with pytest.raises(ValueError, match="missing columns"):
        P.world_map_data(agents.drop(columns="align_ai"))
    with pytest.raises(ValueError, match="appears twice"):
        P.world_map_data(pd.concat([agents, agents]))
    runs = pd.concat([agents.assign(run_id=0), agents.assign(run_id=1)])
    with pytest.raises(ValueError, match="2 runs"):
        P.world_map_data(runs)


def test_world_map_data_without_geography_orders_by_bloc():
    rows = [
        ("x", 0, 0, "S0", "cn", "us", "us", "open"),
        ("x", 0, 0, "S1", "us", "cn", "us", "open"),
        ("x", 0, 0, "S2", "us", "us", "eu", "open"),
        ("x", 0, 0, "S3", "hybrid", "us", "us", "open"),
    ]
    out = P.world_map_data(_agents(rows))
    # keys (5G, semiconductors, AI) option indices: S2 (0,0,2) < S1 (0,1,0) < S0 (1,0,0) < S3 (2,0,0)
    # in a 2 x 2 grid, row-major
    assert out[["iso3", "row", "col"]].values.tolist() == [
        ["S2", 0, 0],
        ["S1", 0, 1],
        ["S0", 1, 0],
        ["S3", 1, 1],
    ]
    assert out.attrs["layout"] == "bloc order"


def test_world_map_data_of_a_synthetic_world_uses_its_coordinates():
    model = SovereigntyModel(world="synthetic", n_states=12, world_seed=3, rng=1).run(1)
    agents = model.agent_dataframe()
    out = P.world_map_data(agents, world=model.world)
    assert out.attrs["layout"] == "coordinates"
    table = model.world.table
    cells = P.coordinate_grid(table.capital_lat.to_numpy(), table.capital_lon.to_numpy())
    expected = dict(zip(table.iso3, map(tuple, cells.tolist()), strict=True))
    assert {r.iso3: (r.row, r.col) for r in out.itertuples()} == expected
    assert P.world_map_data(agents).attrs["layout"] == "bloc order"


def test_relative_luminance_and_text_colour_by_hand():
    assert P.relative_luminance("white") == pytest.approx(1.0)
    assert P.relative_luminance("black") == pytest.approx(0.0)
    # #0072B2: G 0x72 -> 0.168, B 0xB2 -> 0.445 linear; 0.7152 * 0.168 + 0.0722 * 0.445 = 0.152
    assert P.relative_luminance("#0072B2") == pytest.approx(0.152, abs=1e-3)
    # black and white contrast equally at L = sqrt(0.0525) - 0.05 = 0.1791;
    # grey 0x77 has L = 0.1845 (black text), grey 0x75 has L = 0.1778 (white text)
    assert P.text_color_for("#777777") == "black"
    assert P.text_color_for("#757575") == "white"
    assert P.text_color_for(P.BLOC_COLORS["us"]) == "white"
    assert P.text_color_for(P.LOCALIZATION_COLORS["strict"]) == "white"
    assert P.text_color_for(P.LOCALIZATION_COLORS["conditional"]) == "black"


def test_plot_world_map_renders_four_layers(small_run, strict_warnings):
    fig = P.plot_world_map(small_run.agents)
    fig.canvas.draw()
    assert [a.get_title().split("\n")[0] for a in fig.axes] == [
        "5G networks",
        "Semiconductor supply chains",
        "AI governance",
        "Data localization",
    ]
    data = P.world_map_data(small_run.agents)
    for ax, layer in zip(fig.axes, P.MAP_LAYERS, strict=True):
        (tiles,) = ax.collections
        column = layer if layer == "localization" else f"align_{layer}"
        palette = P.LOCALIZATION_COLORS if layer == "localization" else P.BLOC_COLORS
        assert [to_hex(c) for c in tiles.get_facecolors()] == [
            palette[v].lower() for v in data[column]
        ]
        labels = {t.get_text(): t.get_color() for t in ax.texts}
        assert set(labels) == set(data["iso3"])
        fills = dict(zip(data["iso3"], data[column], strict=True))
        assert all(labels[c] == P.text_color_for(palette[fills[c]]) for c in labels)
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        if layer == "localization":
            assert legend == ["Open", "Conditional", "Sectoral", "Strict"]
        else:
            assert legend == [P.BLOC_LABELS[o] for o in ECOSYSTEMS[layer]]
    source = next(t.get_text() for t in fig.texts if t.get_gid() == P.SOURCE_GID)
    assert "step 6, seed 4" in source and "tile-grid cartogram" in source


def test_plot_world_map_one_layer_into_ax_and_errors(small_run, strict_warnings):
    fig, ax = plt.subplots()
    assert P.plot_world_map(small_run.agents, ax, layer="localization", step=0) is fig
    fig.canvas.draw()
    assert ax.get_title() == "Data localization"
    with pytest.raises(ValueError, match="one layer at a time"):
        P.plot_world_map(small_run.agents, ax)
    with pytest.raises(ValueError, match="layer 'cloud'"):
        P.plot_world_map(small_run.agents, layer="cloud")


def test_plot_world_map_synthetic_world_says_tiles_are_not_geographic(strict_warnings):
    model = SovereigntyModel(world="synthetic", n_states=30, world_seed=1, rng=2).run(2)
    fig = P.plot_world_map(model.agent_dataframe(), world=model.world)
    fig.canvas.draw()
    assert all("tiles not geographic" in ax.get_title() for ax in fig.axes)
    source = next(t.get_text() for t in fig.texts if t.get_gid() == P.SOURCE_GID)
    assert "not real geography" in source


# --- 6. interoperability network -----------------------------------------------------------------


def test_majority_bloc_by_hand():
    align = np.array([[0, 2, 2], [0, 1, 0], [1, 2, 3], [1, 1, 2]])
    # (us, hybrid, eu) mixed; (us, cn, us) us; (cn, hybrid, hybrid) hybrid; (cn, cn, eu) cn
    assert P.majority_bloc(align).tolist() == ["mixed", "us", "hybrid", "cn"]


def test_network_data_by_hand(tiny3):
    world, align, loc, params = tiny3
    # weights w = (.5, .25, .25); flows strict .2, conditional .8, open 1
    # C01 = .5 (us-us) + .25 * .6 (hybrid-cn) + .25 * .5 (eu-us) = .775, f01 = .16, I01 = .124
    # C02 = .5 * .2 + .25 * 1 + .25 * .6 = .5, f02 = .2, I02 = .1
    # C12 = .5 * .2 + .25 * .6 + .25 * .6 = .4, f12 = .8, I12 = .32
    # W = G * I: W01 = .3 * .124 = .0372, W02 = .1 * .1 = .01, W12 = .1 * .32 = .032
    nodes, edges = P.network_data(world, (align, loc), params, keep=1)
    assert edges[["source", "target"]].values.tolist() == [["T00", "T01"], ["T01", "T02"]]
    np.testing.assert_allclose(edges["gravity"], [0.3, 0.1])
    np.testing.assert_allclose(edges["interoperability"], [0.124, 0.32])
    np.testing.assert_allclose(edges["weight"], [0.0372, 0.032])
    assert list(nodes.columns) == ["iso3", "gdp", "group", "strength", "degree", "x", "y"]
    np.testing.assert_allclose(nodes["strength"], [0.0472, 0.0692, 0.042])
    assert nodes["group"].tolist() == ["mixed", "us", "hybrid"]
    assert nodes["degree"].tolist() == [1, 2, 1]
    # the node strength is the realised exchange the payoffs and metrics compute
    ev = payoffs.evaluate(world, align, loc, params)
    np.testing.assert_allclose(nodes["strength"], metrics.realised_exchange(ev))
    nodes2, edges2 = P.network_data(world, (align, loc), params, keep=2, color_by="ai")
    assert len(edges2) == 3 and edges2["weight"].iloc[-1] == pytest.approx(0.01)
    assert nodes2["group"].tolist() == ["eu", "us", "hybrid"]
    again, _ = P.network_data(world, (align, loc), params, keep=2, color_by="ai")
    pd.testing.assert_frame_equal(nodes2, again)  # the layout is deterministic


def test_network_data_from_agents_matches_profile_arrays(small_run):
    model = small_run.model
    from_table, edges_t = P.network_data(model.world, small_run.agents, model.params)
    from_arrays, edges_a = P.network_data(model.world, (model.align, model.loc), model.params)
    pd.testing.assert_frame_equal(from_table, from_arrays, check_like=False, check_exact=False)
    pd.testing.assert_frame_equal(edges_t, edges_a)
    assert from_table.attrs["step"] == 6 and from_table.attrs["seed"] == 4
    # every state keeps at least its strongest partner, and no edge appears twice
    assert (from_table["degree"] >= 1).all()
    pairs = {frozenset(p) for p in edges_t[["source", "target"]].values.tolist()}
    assert len(pairs) == len(edges_t)
    assert edges_t["weight"].is_monotonic_decreasing


def test_network_data_rejects_bad_input(tiny3, small_run):
    world, align, loc, params = tiny3
    with pytest.raises(ValueError, match="color_by 'loc'"):
        P.network_data(world, (align, loc), params, color_by="loc")
    with pytest.raises(ValueError, match="keep 0"):
        P.network_data(world, (align, loc), params, keep=0)
    with pytest.raises(ValueError, match="profile arrays"):
        P.network_data(world, (align[:2], loc[:2]), params)
    with pytest.raises(ValueError, match="does not match the world"):
        P.network_data(world, small_run.agents, params)


def test_plot_network_renders(small_run, strict_warnings):
    fig = P.plot_network(small_run.agents, color_by="5g")
    fig.canvas.draw()
    ax = fig.axes[0]
    nodes, edges = P.network_data(default_world(), small_run.agents, color_by="5g")
    lines, dots = ax.collections
    assert len(lines.get_segments()) == len(edges)
    assert [to_hex(c) for c in dots.get_facecolors()] == [
        P.BLOC_COLORS[g].lower() for g in nodes["group"]
    ]
    widths = lines.get_linewidths()
    assert max(widths) == pytest.approx(4.0) and min(widths) >= 0.3
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "GDP 1,000 bn US$" in legend
    assert "5G networks" in ax.get_title()


def test_plot_network_into_ax(tiny3, strict_warnings):
    world, align, loc, params = tiny3
    fig, ax = plt.subplots()
    assert P.plot_network((align, loc), ax, world=world, params=params, keep=1) is fig
    fig.canvas.draw()
    assert sorted(t.get_text() for t in ax.texts) == ["T00", "T01", "T02"]


# --- 7. sensitivity and scenario discovery -------------------------------------------------------


def _write_experiment(folder: Path, name: str, design: dict, seed: int) -> Path:
    data = {
        "name": name,
        "scenarios": ["baseline"],
        "replicates": 1,
        "seed": seed,
        "steps": 2,
        "design": design,
        "parameters": {
            "payoffs.export_controls": {"low": 0.0, "high": 1.0},
            "payoffs.cross_bloc_compat": {"low": 0.0, "high": 0.5},
        },
    }
    path = folder / f"{name}.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def sobol_store(tmp_path_factory):
    """A tiny Sobol batch: 4 base samples x (2 + 2) = 16 runs of 2 steps."""
    root = tmp_path_factory.mktemp("sobol")
    exp = _write_experiment(
        root, "sobol", {"method": "sobol", "samples": 4, "second_order": False}, 5
    )
    assert batch.run_batch(exp, root / "store").done == 16
    return root / "store"


@pytest.fixture(scope="module")
def lhs_store(tmp_path_factory):
    """A tiny Latin-hypercube batch: 12 runs of 2 steps."""
    root = tmp_path_factory.mktemp("lhs")
    exp = _write_experiment(root, "lhs", {"method": "lhs", "samples": 12}, 7)
    assert batch.run_batch(exp, root / "store").done == 12
    return root / "store"


def test_sensitivity_data_by_hand():
    indices = pd.DataFrame(
        {
            "parameter": ["a", "b", "c"],
            "S1": [0.1, 0.5, 0.2],
            "S1_conf": [0.01, 0.05, 0.02],
            "ST": [0.2, 0.7, 0.2],
            "ST_conf": [0.02, 0.1, 0.03],
        }
    )
    out = P.sensitivity_data(indices)
    assert list(out.columns) == ["parameter", "index", "value", "conf", "low", "high"]
    # ordered by ST descending, ties (a and c at 0.2) in input order
    assert out["parameter"].tolist() == ["b", "b", "a", "a", "c", "c"]
    assert out["index"].tolist() == ["S1", "ST"] * 3
    np.testing.assert_allclose(out["value"], [0.5, 0.7, 0.1, 0.2, 0.2, 0.2])
    np.testing.assert_allclose(out["low"], [0.45, 0.6, 0.09, 0.18, 0.18, 0.17])
    np.testing.assert_allclose(out["high"], [0.55, 0.8, 0.11, 0.22, 0.22, 0.23])
    with pytest.raises(ValueError, match="missing columns"):
        P.sensitivity_data(indices.drop(columns="ST_conf"))


def test_plot_sobol_on_a_real_batch(sobol_store, strict_warnings):
    indices = analysis.sobol_indices(sobol_store, "fragmentation")
    data = P.sensitivity_data(indices)
    st = indices.set_index("parameter")["ST"]
    assert data[data["index"] == "ST"]["value"].tolist() == sorted(st, reverse=True)
    fig = P.plot_sobol(indices, metric="fragmentation")
    fig.canvas.draw()
    ax = fig.axes[0]
    params = list(pd.unique(data["parameter"]))
    assert [t.get_text() for t in ax.get_yticklabels()] == params
    bars = [p.get_width() for p in ax.patches]
    expected = [
        data[(data["parameter"] == p) & (data["index"] == k)]["value"].item()
        for k in ("S1", "ST")
        for p in params
    ]
    np.testing.assert_allclose(bars, expected)
    assert ax.get_title().startswith("Sensitivity of Fragmentation")


def _hand_box():
    init = pd.DataFrame({"x": [0.0, 1.0], "y": [10.0, 20.0], "cat": [{"a", "b"}, {"a", "b"}]})
    box = pd.DataFrame({"x": [0.2, 1.0], "y": [10.0, 20.0], "cat": [{"a"}, {"a"}]})
    trajectory = pd.DataFrame(
        {"coverage": [1.0, 0.8], "density": [0.5, 0.9], "mass": [1.0, 0.4], "res_dim": [0, 2]}
    )
    return SimpleNamespace(box_lims=[init, box], peeling_trajectory=trajectory, _cur_box=1)


def test_prim_data_by_hand():
    out = P.prim_data(_hand_box())
    assert out.to_dict("records") == [
        {"parameter": "x", "low": 0.2, "high": 1.0, "min": 0.0, "max": 1.0, "restricted": True},
        {
            "parameter": "y",
            "low": 10.0,
            "high": 20.0,
            "min": 10.0,
            "max": 20.0,
            "restricted": False,
        },
    ]
    assert out.attrs == {
        "box": 1,
        "coverage": 0.8,
        "density": 0.9,
        "mass": 0.4,
        "res_dim": 2,
        "categories": {"cat": ["a"]},
    }
    first = P.prim_data(_hand_box(), i=0)
    assert not first["restricted"].any() and first.attrs["coverage"] == 1.0
    with pytest.raises(ValueError, match="box 2: allowed 0 to 1"):
        P.prim_data(_hand_box(), i=2)


def test_plot_prim_on_a_real_batch(lhs_store):
    _, outcomes = analysis.ema_data(lhs_store, "fragmentation")
    threshold = float(np.median(outcomes["fragmentation"]))
    box = analysis.prim_box(lhs_store, "fragmentation", threshold)  # imports the EMA Workbench
    warnings.simplefilter("error")  # from here on; pytest restores the filters after the test
    data = P.prim_data(box)
    current = box.box_lims[box._cur_box]
    for row in data.itertuples():
        assert (row.low, row.high) == tuple(current[row.parameter])
        assert (row.min, row.max) == tuple(box.box_lims[0][row.parameter])
    assert data.attrs["coverage"] == pytest.approx(box.coverage)
    assert data.attrs["density"] == pytest.approx(box.density)
    fig = P.plot_prim(box, metric=f"fragmentation > {threshold:.3f}")
    fig.canvas.draw()
    ax = fig.axes[0]
    assert f"coverage {box.coverage:.2f}, density {box.density:.2f}" in ax.get_title()
    # one grey full-range bar and one box bar per parameter, the box bar scaled to the range
    full, inner = ax.patches[: len(data)], ax.patches[len(data) :]
    assert all(p.get_width() == pytest.approx(1.0) for p in full)
    for p, row in zip(inner, data.itertuples(), strict=True):
        assert p.get_x() == pytest.approx((row.low - row.min) / (row.max - row.min))
        assert p.get_width() == pytest.approx((row.high - row.low) / (row.max - row.min))
    fig2, ax2 = plt.subplots()
    assert P.plot_prim(P.prim_data(_hand_box()), ax2) is fig2
    fig2.canvas.draw()
    source = next(t.get_text() for t in fig2.texts if t.get_gid() == P.SOURCE_GID)
    assert "cat in {a}" in source


# --- 8. event timeline ---------------------------------------------------------------------------


def _events() -> pd.DataFrame:
    columns = ["scenario", "seed", "step", "event", "source", "target", "sector", "attributed"]
    rows = [
        ("s", 1, 1, "attack", "CHN", "USA", "energy", True),
        ("s", 1, 1, "attack", "CHN", "DEU", "energy", False),
        ("s", 1, 1, "crime", "criminal", "DEU", "finance", True),
        ("s", 1, 2, "attack", "USA", "CHN", "health", True),
        ("s", 1, 2, "sharing_start", "USA", "GBR", "", None),
        ("s", 1, 3, "coalition_join", "IND", "budapest", "", None),
        ("s", 1, 3, "coalition_exit", "BRA", "un_track", "", None),
        ("s", 1, 3, "shock_attack_wave", "cn", "all", "energy", None),
        ("s", 2, 1, "attack", "CHN", "JPN", "finance", False),
    ]
    return pd.DataFrame(rows, columns=columns)


def test_event_timeline_data_by_hand():
    out = P.event_timeline_data(_events(), last_step=4)
    assert list(out.columns) == ["step", "kind", "count"]
    wide = out.pivot(index="kind", columns="step", values="count")
    expected = {
        "attack_energy": [2, 0, 0, 0],
        "attack_finance": [0, 0, 0, 0],
        "attack_health": [0, 1, 0, 0],
        "attributed": [1, 1, 0, 0],
        "crime": [1, 0, 0, 0],
        "coalition_join": [0, 0, 1, 0],
        "coalition_exit": [0, 0, 1, 0],
        "shock": [0, 0, 1, 0],
    }
    assert {k: wide.loc[k].tolist() for k in expected} == expected
    assert list(pd.unique(out["kind"])) == list(P.TIMELINE_KINDS)
    assert out.attrs["seed"] == 1
    second = P.event_timeline_data(_events(), seed=2)
    assert second["step"].unique().tolist() == [1]
    assert second.set_index("kind")["count"].to_dict()["attack_finance"] == 1
    assert P.event_timeline_data(_events()).step.max() == 3  # the last event's step


def test_event_timeline_data_of_no_events_and_errors():
    empty = _events().iloc[:0]
    out = P.event_timeline_data(empty, last_step=3)
    assert out["step"].unique().tolist() == [1, 2, 3] and (out["count"] == 0).all()
    with pytest.raises(ValueError, match="seed 9"):
        P.event_timeline_data(_events(), seed=9)
    with pytest.raises(ValueError, match="missing columns"):
        P.event_timeline_data(_events().drop(columns="sector"))


def test_event_timeline_counts_a_real_run(small_run):
    events = small_run.events
    out = P.event_timeline_data(events, last_step=6)
    totals = out.groupby("kind")["count"].sum()
    attacks = events[events.event == "attack"]
    assert totals[[f"attack_{s}" for s in SECTORS]].sum() == len(attacks)
    assert totals["attributed"] == int(attacks["attributed"].sum())
    assert totals["crime"] == (events.event == "crime").sum()
    assert totals["shock"] == 1
    # the model's own per-step incident counts agree with the event table
    model = small_run.model.model_dataframe().set_index("step")
    per_step = out[out.kind.isin([f"attack_{s}" for s in SECTORS] + ["crime"])]
    incidents = per_step.groupby("step")["count"].sum()
    np.testing.assert_array_equal(incidents.to_numpy(), model.loc[1:6, "incidents"].to_numpy())


def test_plot_event_timeline_renders(small_run, strict_warnings):
    fig = P.plot_event_timeline(small_run.events, last_step=6)
    fig.canvas.draw()
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [v for k, v in P.TIMELINE_KINDS.items() if k != "shock"]
    data = P.event_timeline_data(small_run.events, last_step=6)
    for row, kind in enumerate(k for k in P.TIMELINE_KINDS if k != "shock"):
        d = data[(data.kind == kind) & (data["count"] > 0)]
        dots = ax.collections[row]
        np.testing.assert_allclose(dots.get_sizes() if len(d) else [], P.DOT_AREA * d["count"])
    shock_lines = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert len(shock_lines) == 1 and shock_lines[0].get_xdata()[0] == 2
    assert ax.get_xlim() == (0.5, 6.5)
    fig2, ax2 = plt.subplots()
    assert P.plot_event_timeline(_events(), ax2, seed=2) is fig2
    fig2.canvas.draw()


# --- docs/plotting.md ----------------------------------------------------------------------------


def test_plotting_guide_examples_run(tmp_path, monkeypatch):
    """The Python blocks of docs/plotting.md run in order, in one namespace, as written."""
    text = (ROOT / "docs" / "plotting.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert len(blocks) >= 8
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for k, block in enumerate(blocks):
        exec(compile(block, f"docs/plotting.md block {k}", "exec"), namespace)
    assert (tmp_path / "timeseries.png").stat().st_size > 0
    documented = set(re.findall(r"`(\w+_data|plot_\w+)`", text))
    public = {n for n in dir(P) if n.startswith("plot_") or n.endswith("_data")}
    assert public <= documented, f"figures missing from docs/plotting.md: {public - documented}"
