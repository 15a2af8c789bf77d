"""``sovsim plot`` and ``sovsim report``: loading results, the figure registry, files, the HTML page.

The module fixtures make real results once: a run folder (``sovsim run`` in-process, two seeds,
four steps), the same run as CSV, and three small batch stores (a one-parameter grid over two
scenarios, a two-parameter grid over one scenario, a Latin hypercube). Key-result numbers are
checked on hand-built tables. The browser tests open the report in headless Chromium.
"""

from __future__ import annotations

import base64
import dataclasses
import html
import json
import re
import shutil
import textwrap
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import tomli_w

from simulation import batch, cli, plotting, report
from simulation.report import FigureOptions, ResultsError

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
XC = "payoffs.export_controls"
CBC = "payoffs.cross_bloc_compat"
DPI = 40  # small figures keep the tests fast; the resolution is checked from the PNG header
MAGIC = {".png": b"\x89PNG\r\n\x1a\n", ".pdf": b"%PDF-"}


# --- helpers -------------------------------------------------------------------------------------


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == MAGIC[".png"]
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def assert_file_type(path: Path) -> None:
    data = path.read_bytes()
    if path.suffix == ".svg":
        text = data.decode("utf-8")
        assert text.startswith("<?xml") and "<svg" in text and text.rstrip().endswith("</svg>")
    else:
        assert data.startswith(MAGIC[path.suffix]), (path, data[:10])
        if path.suffix == ".pdf":
            assert data.rstrip().endswith(b"%%EOF")


def one_line(err: str) -> str:
    assert err.endswith("\n") and err.count("\n") == 1, f"expected one line on stderr, got {err!r}"
    return err.rstrip("\n")


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write_experiment(folder: Path, name: str, **fields) -> Path:
    data = {"name": name, "scenarios": ["baseline"], "replicates": 1, "seed": 3, "steps": 3}
    data.update(fields)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def make_store(root: Path, name: str, **fields) -> Path:
    store = root / name
    summary = batch.run_batch(write_experiment(root / "exp", name, **fields), store, workers=1)
    assert summary.failed == 0 and summary.done == summary.total
    return store


class Page(HTMLParser):
    """Collects the tags, attributes and text of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: dict[str, list[str]] = {}
        self._open: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in ("img", "meta", "br"):
            self._open.append(tag)

    def handle_endtag(self, tag):
        if tag in self._open:
            while self._open.pop() != tag:
                pass

    def handle_data(self, data):
        for tag in self._open:
            self.text.setdefault(tag, []).append(data)


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    return page


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(autouse=True)
def _no_user_scenarios(monkeypatch):
    monkeypatch.delenv("SOVSIM_SCENARIOS", raising=False)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """Real results: a run folder, the same run as CSV, and three batch stores."""
    root = tmp_path_factory.mktemp("results")
    run = root / "run"
    argv = ["run", "baseline", "--steps", "4", "--seeds", "1", "2", "--quiet"]
    assert cli.main([*argv, "--out", str(run)]) == 0
    csv = root / "run-csv"
    assert cli.main([*argv, "--csv", "--out", str(csv)]) == 0
    grid = make_store(
        root,
        "grid",
        scenarios=["baseline", "tech-cold-war"],
        replicates=2,
        parameters={XC: [0.0, 1.0]},
    )
    grid2 = make_store(root, "grid2", parameters={XC: [0.0, 1.0], CBC: [0.0, 0.5]})
    ranges = {XC: {"low": 0.0, "high": 1.0}, CBC: {"low": 0.0, "high": 0.5}}
    lhs = make_store(root, "lhs", design={"method": "lhs", "samples": 12}, parameters=ranges)
    # Saltelli without second order: 4 x (2 + 2) = 16 points
    sobol = make_store(
        root, "sobol", steps=2, design={"method": "sobol", "samples": 4}, parameters=ranges
    )
    return SimpleNamespace(
        root=root, run=run, csv=csv, grid=grid, grid2=grid2, lhs=lhs, sobol=sobol
    )


@pytest.fixture(scope="module")
def loaded(made):
    return {
        name: report.load_results(getattr(made, name))
        for name in ("run", "csv", "grid", "grid2", "lhs", "sobol")
    }


@pytest.fixture(scope="module")
def reports(made, tmp_path_factory):
    """The HTML reports of the run folder (default target, in a copy) and of the grid store."""
    out = tmp_path_factory.mktemp("reports")
    run = out / "run"
    shutil.copytree(made.run, run)
    paths = {"run": run / "report.html", "grid": out / "grid.html"}
    assert cli.main(["report", str(run), "--dpi", str(DPI), "--quiet"]) == 0
    argv = ["report", str(made.grid), "--out", str(paths["grid"]), "--dpi", str(DPI), "--quiet"]
    assert cli.main(argv) == 0
    return paths


# --- 1. loading ----------------------------------------------------------------------------------


def test_a_run_folder_loads_with_its_tables_scenario_and_metadata(made, loaded):
    r = loaded["run"]
    assert (r.kind, r.name, r.path, r.scenarios, r.n_runs) == (
        "run",
        "baseline",
        made.run,
        ["baseline"],
        2,
    )
    assert (r.run_key, r.method, r.parameters, r.design) == ("seed", None, (), None)
    for name in ("model", "agents", "events"):
        pd.testing.assert_frame_equal(
            getattr(r, name), pd.read_parquet(made.run / f"{name}.parquet")
        )
    assert r.source_text == (made.run / "scenario.toml").read_text(encoding="utf-8")
    assert r.source_file == "scenario.toml"
    assert r.metadata == json.loads((made.run / "metadata.json").read_text(encoding="utf-8"))
    assert r.metadata["seeds"] == [1, 2]
    assert sorted(r.agents.step.unique()) == [0, 1, 2, 3, 4]  # agents at every step


def test_a_csv_run_folder_loads_the_same_numbers(loaded):
    parquet, csv = loaded["run"], loaded["csv"]
    assert csv.kind == "run"
    # same scenario and seeds, so the same numbers; CSV round-trips floats to ~1e-15
    pd.testing.assert_frame_equal(csv.model, parquet.model, check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(
        csv.agents, parquet.agents, check_exact=False, rtol=1e-12, check_dtype=False
    )
    assert len(csv.events) == len(parquet.events)


def test_a_batch_store_loads_with_its_design_and_manifest(made, loaded):
    r = loaded["grid"]
    assert (r.kind, r.name, r.scenarios) == ("batch", "grid", ["baseline", "tech-cold-war"])
    assert (r.run_key, r.method, r.parameters, r.n_runs) == ("run_id", "grid", (XC,), 8)
    pd.testing.assert_frame_equal(r.model, batch.load_batch(made.grid))
    pd.testing.assert_frame_equal(r.design, pd.read_parquet(made.grid / "design.parquet"))
    assert r.source_text == (made.grid / "experiment.toml").read_text(encoding="utf-8")
    assert r.source_file == "experiment.toml"
    assert (r.metadata["runs_done"], r.metadata["runs_failed"], r.metadata["runs"]) == (8, 0, 8)
    seconds = sum(
        json.loads(p.read_text(encoding="utf-8"))["seconds"] for p in (made.grid / "done").iterdir()
    )
    assert r.metadata["run_seconds"] == pytest.approx(seconds, abs=1e-3)
    assert set(r.agents.step) == {3}  # a batch keeps the final agents only
    assert set(r.events.run_id) <= set(range(8)) and "event" in r.events.columns


def test_the_loader_refuses_what_is_not_results(made, tmp_path):
    cases = {
        tmp_path / "missing": "no such folder",
        made.run / "scenario.toml": "is a file",
        tmp_path: "neither a run folder (metadata.json) nor a batch store (manifest.json)",
    }
    for path, message in cases.items():
        with pytest.raises(ResultsError, match=re.escape(message)) as info:
            report.load_results(path)
        assert "\n" not in str(info.value) and str(path) in str(info.value)
    no_model = tmp_path / "no-model"
    no_model.mkdir()
    shutil.copy(made.run / "metadata.json", no_model)
    with pytest.raises(ResultsError, match=re.escape("without model.parquet or model.csv")):
        report.load_results(no_model)
    empty_store = tmp_path / "empty-store"
    (empty_store / "done").mkdir(parents=True)
    for name in ("manifest.json", "design.parquet", "experiment.toml"):
        shutil.copy(made.grid / name, empty_store)
    with pytest.raises(ResultsError, match="holds no complete run yet"):
        report.load_results(empty_store)


# --- 2. key results --------------------------------------------------------------------------------


def hand_model(finals: list[float], last_steps: list[int], **extra) -> pd.DataFrame:
    """One scenario, one run per final value; fragmentation 0.5 at step 0, then the final value.

    Every other summary metric is 0.25 throughout; GDP shares of 5G: us 0.6, cn 0.4.
    """
    rows = []
    for i, (final, last) in enumerate(zip(finals, last_steps, strict=True)):
        for step in range(last + 1):
            row = {"scenario": "s", "seed": i + 1, "step": step}
            row.update({m: 0.25 for m in cli.SUMMARY_METRICS})
            row["fragmentation"] = 0.5 if step == 0 else final
            row.update({"gdp_share_us_5g": 0.6, "gdp_share_cn_5g": 0.4})
            rows.append(row)
    model = pd.DataFrame(rows)
    for key, values in extra.items():
        model.insert(0, key, [values[s - 1] for s in model.seed])
    return model


def hand_results(model: pd.DataFrame, kind: str = "run") -> report.Results:
    return report.Results(
        kind=kind,
        path=Path("hand"),
        name="s",
        model=model,
        agents=pd.DataFrame(),
        events=pd.DataFrame(),
        source_text="",
        metadata={},
    )


def test_key_results_are_final_step_quantiles_across_runs():
    # finals 0.1 .. 0.5; run 5 stopped early at step 1 (its own last step counts)
    r = hand_results(hand_model([0.3, 0.1, 0.5, 0.2, 0.4], [2, 2, 2, 2, 1]))
    table = report.key_results(r)
    assert list(table.metric) == list(cli.SUMMARY_METRICS)
    row = table.set_index("metric").loc["fragmentation"]
    assert row.runs == 5 and row.scenario == "s"
    assert row.start_mean == pytest.approx(0.5)
    assert row.final_mean == pytest.approx(0.3)
    assert row.final_median == pytest.approx(0.3)
    # linear interpolation over the sorted 0.1..0.5: position 0.05 * 4 = 0.2 -> 0.1 + 0.2 * 0.1
    assert row.final_q05 == pytest.approx(0.12)
    assert row.final_q95 == pytest.approx(0.48)
    other = table.set_index("metric").loc["welfare"]
    assert (other.start_mean, other.final_median, other.final_q05) == pytest.approx((0.25,) * 3)
    blocs = report.bloc_table(r)
    assert blocs.to_dict("records") == [
        {"scenario": "s", "domain": "5g", "option": "us", "gdp_share": pytest.approx(0.6)},
        {"scenario": "s", "domain": "5g", "option": "cn", "gdp_share": pytest.approx(0.4)},
    ]
    assert report.cyber_table(r).empty  # no incidents column: the layer was off


def test_batch_runs_are_told_apart_by_run_id_not_seed():
    # four runs of two design points share two seeds (common random numbers)
    model = hand_model([0.1, 0.3, 0.5, 0.9], [2, 2, 2, 2], run_id=[0, 1, 2, 3])
    model["seed"] = model.run_id.map({0: 7, 1: 8, 2: 7, 3: 8})
    row = report.key_results(hand_results(model, "batch")).set_index("metric").loc["fragmentation"]
    assert row.runs == 4
    assert row.final_mean == pytest.approx(0.45)
    assert row.final_median == pytest.approx(0.4)
    assert row.final_q95 == pytest.approx(0.5 + 0.85 * 0.4)  # position 0.95 * 3 = 2.85


def test_key_results_of_a_real_run_agree_with_the_run_summary(loaded):
    r = loaded["run"]
    summary = cli.summarize(r.model, r.events)
    table = report.key_results(r).set_index("metric")
    last = r.model[r.model.step == r.model.step.max()]
    for metric, v in summary["metrics"].items():
        assert table.loc[metric, "start_mean"] == pytest.approx(v["start"])
        assert table.loc[metric, "final_mean"] == pytest.approx(v["end"])
        # two runs: the median is their mean, q05 and q95 lie 5% in from either end
        lo, hi = sorted(last[metric])
        assert table.loc[metric, "final_median"] == pytest.approx((lo + hi) / 2)
        assert table.loc[metric, "final_q05"] == pytest.approx(lo + 0.05 * (hi - lo))
        assert table.loc[metric, "final_q95"] == pytest.approx(lo + 0.95 * (hi - lo))
    blocs = report.bloc_table(r)
    got = {
        f"{o}_{d}": v for o, d, v in zip(blocs.option, blocs.domain, blocs.gdp_share, strict=True)
    }
    assert got == pytest.approx(summary["gdp_shares_end"])
    cyber = report.cyber_table(r)
    assert cyber.drop(columns="scenario").iloc[0].to_dict() == pytest.approx(summary["cyber"])


def test_key_results_of_a_batch_are_per_scenario(loaded):
    r = loaded["grid"]
    table = report.key_results(r)
    assert list(pd.unique(table.scenario)) == ["baseline", "tech-cold-war"]
    final = r.model.loc[r.model.groupby("run_id").step.idxmax()]
    for scenario, group in final.groupby("scenario"):
        row = table[(table.scenario == scenario) & (table.metric == "fragmentation")].iloc[0]
        assert row.runs == 4
        assert row.final_median == pytest.approx(float(np.median(group.fragmentation)))
        assert row.final_mean == pytest.approx(float(group.fragmentation.mean()))


# --- 3. the registry -------------------------------------------------------------------------------


def test_the_registry_names_plotting_functions_and_the_cli_lists_them():
    assert tuple(report.FIGURES) == cli.FIGURE_KINDS
    assert set(report.FIGURES) == {
        "timeseries",
        "bloc_shares",
        "tradeoff",
        "heatmap",
        "world_map",
        "network",
        "event_timeline",
        "sobol",
        "prim",
    }
    for name, kind in report.FIGURES.items():
        assert kind.name == name
        assert kind.function is getattr(plotting, f"plot_{name}")
        assert kind.applies_to and kind.applies_to <= {"run", "batch"}
        assert kind.caption and kind.title


def test_which_kinds_apply_to_which_results(loaded):
    everywhere = ["timeseries", "bloc_shares", "tradeoff", "world_map", "event_timeline"]
    assert set(report.applicable_kinds(loaded["run"])) == {*everywhere, "network"}
    assert set(report.applicable_kinds(loaded["grid"])) == {*everywhere, "heatmap"}
    assert set(report.applicable_kinds(loaded["grid2"])) == {*everywhere, "heatmap"}
    assert set(report.applicable_kinds(loaded["lhs"])) == {*everywhere, "prim"}
    assert set(report.applicable_kinds(loaded["sobol"])) == {*everywhere, "sobol", "prim"}
    reason = report.FIGURES["heatmap"].reason_not_applicable(loaded["lhs"])
    assert "needs a grid design" in reason and "lhs" in reason
    assert report.FIGURES["sobol"].reason_not_applicable(loaded["lhs"]) == (
        "needs a sobol design; this store has a lhs design"
    )
    assert "needs a sampled design (lhs or sobol)" in report.FIGURES["prim"].reason_not_applicable(
        loaded["grid"]
    )
    assert report.FIGURES["network"].reason_not_applicable(loaded["grid"]) == (
        "applies to run folders only"
    )
    assert report.FIGURES["heatmap"].reason_not_applicable(loaded["run"]) == (
        "applies to batch stores only"
    )


def test_default_kinds(loaded):
    assert report.default_kind(loaded["run"]) == "timeseries"
    assert report.default_kind(loaded["grid"]) == "heatmap"
    assert report.default_kind(loaded["lhs"]) == "prim"
    assert report.default_kind(loaded["sobol"]) == "sobol"


RENDER_ON = {"heatmap": "grid2", "sobol": "sobol", "prim": "lhs"}
"""Where each batch-only kind is rendered; the others render on the run folder (and all of them
on batches in the report tests)."""


@pytest.mark.parametrize("kind", list(report.FIGURES))
def test_every_kind_renders_to_png_svg_and_pdf(loaded, kind, tmp_path):
    results = loaded[RENDER_ON.get(kind, "run")]
    fig = report.draw_figure(results, kind)
    width, height = fig.get_size_inches()
    for suffix in (".png", ".svg", ".pdf"):
        out = report.save_figure(fig, tmp_path / f"{kind}{suffix}", dpi=DPI)
        assert out == tmp_path / f"{kind}{suffix}"
        assert_file_type(out)
    assert png_size((tmp_path / f"{kind}.png").read_bytes()) == (
        round(width * DPI),
        round(height * DPI),
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{kind}{s}" for s in (".png", ".svg", ".pdf")
    )  # no temporary files left behind


def test_metric_and_scenario_options_reach_the_figure(loaded):
    run, grid = loaded["run"], loaded["grid"]
    fig = report.draw_figure(run, "timeseries", FigureOptions(metric="mean_localization"))
    (ax,) = fig.axes
    assert ax.get_ylabel() == textwrap.fill(plotting.metric_label("mean_localization"), 30)
    fig = report.draw_figure(run, "tradeoff", FigureOptions(metric="welfare"))
    assert fig.axes[0].get_ylabel() == plotting.metric_label("welfare") + " at final step"
    fig = report.draw_figure(grid, "bloc_shares", FigureOptions(scenario="tech-cold-war"))
    (source,) = [t.get_text() for t in fig.texts if t.get_gid() == plotting.SOURCE_GID]
    assert "scenario tech-cold-war, 4 runs" in source
    # by default a several-scenario batch shows its first scenario's bloc shares
    fig = report.draw_figure(grid, "bloc_shares")
    (source,) = [t.get_text() for t in fig.texts if t.get_gid() == plotting.SOURCE_GID]
    assert "scenario baseline, 4 runs" in source


def test_heatmap_axes_follow_the_grid(loaded):
    # one parameter, two scenarios: scenarios on the vertical axis
    grid = loaded["grid"]
    fig = report.draw_figure(grid, "heatmap", FigureOptions(metric="mean_trade"))
    ax = fig.axes[0]
    assert ax.get_xlabel() == f"{XC} (parameter value)"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["baseline", "tech-cold-war"]
    final = grid.model.loc[grid.model.groupby("run_id").step.idxmax()]
    expected = final.groupby(["scenario", XC]).mean_trade.mean().unstack(XC).to_numpy()
    np.testing.assert_allclose(ax.images[0].get_array(), expected)
    # two parameters: first on x, second on y
    fig = report.draw_figure(loaded["grid2"], "heatmap")
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == (
        f"{XC} (parameter value)",
        f"{CBC} (parameter value)",
    )


def test_world_map_draws_the_chosen_seed_and_step(loaded):
    from matplotlib.colors import to_rgba

    r = loaded["run"]
    fig = report.draw_figure(r, "world_map", FigureOptions(seed=2, step=1))
    assert fig.get_suptitle() == "Policies at step 1, seed 2"
    expected = plotting.world_map_data(r.agents, step=1, seed=2)
    tiles = fig.axes[0].collections[0].get_facecolors()  # 5G panel, tiles in data order
    want = [to_rgba(plotting.BLOC_COLORS[o]) for o in expected["align_5g"]]
    np.testing.assert_allclose(tiles, want)
    # a batch names the run by its id
    fig = report.draw_figure(loaded["grid"], "world_map", FigureOptions(seed=5))
    assert fig.get_suptitle() == "Policies at step 3, batch run 5"


def test_network_and_event_timeline_use_the_chosen_run(loaded):
    r = loaded["run"]
    fig = report.draw_figure(r, "network", FigureOptions(seed=2, step=4))
    (source,) = [t.get_text() for t in fig.texts if t.get_gid() == plotting.SOURCE_GID]
    assert source.endswith("step 4, seed 2")
    assert len(fig.axes[0].collections[-1].get_offsets()) == 55  # one node per state
    for seed in (1, 2):
        fig = report.draw_figure(r, "event_timeline", FigureOptions(seed=seed))
        ev = r.events[r.events.seed == seed]
        attacks = int((ev.event == "attack").sum())
        attributed = int(((ev.event == "attack") & ev.attributed.eq(True)).sum())
        crime = int((ev.event == "crime").sum())
        assert (
            fig.axes[0]
            .get_title()
            .startswith(
                f"Cyber events: state attacks {attacks} (attributed {attributed}), "
                f"criminal incidents {crime},"
            )
        )


def test_sobol_bars_are_the_sobol_indices(loaded, made):
    from simulation import analysis

    fig = report.draw_figure(loaded["sobol"], "sobol", FigureOptions(metric="mean_trade"))
    indices = analysis.sobol_indices(made.sobol, "mean_trade")
    widths = sorted(p.get_width() for p in fig.axes[0].patches)
    np.testing.assert_allclose(widths, sorted([*indices.S1, *indices.ST]))


def test_prim_uses_the_upper_quartile_unless_given_a_threshold(loaded):
    lhs = loaded["lhs"]
    final = lhs.model.loc[lhs.model.groupby("run_id").step.idxmax()]
    q75 = float(np.quantile(final.fragmentation, 0.75))
    assert report.prim_threshold(lhs, "fragmentation") == pytest.approx(q75)
    fig = report.draw_figure(lhs, "prim")
    assert fig.axes[0].get_title().startswith(f"PRIM box for final fragmentation > {q75:.3g}\n")
    fig = report.draw_figure(lhs, "prim", FigureOptions(metric="mean_trade", threshold=0.0))
    assert fig.axes[0].get_title().startswith("PRIM box for final mean_trade > 0\n")


# --- 4. sovsim plot ---------------------------------------------------------------------------------


def test_plot_writes_the_default_figure_into_the_results(made, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(made.run, run)
    code, out, err = run_cli(capsys, "plot", str(run), "--dpi", str(DPI))
    target = run / "figures" / "timeseries.png"
    assert (code, err) == (0, "")
    assert out == f"sovsim plot: timeseries of run baseline written to {target}\n"
    assert_file_type(target)
    before = target.read_bytes()
    code, _, err = run_cli(capsys, "plot", str(run), "--dpi", str(DPI))
    assert code == 2 and "file exists; use --force" in one_line(err)
    assert target.read_bytes() == before
    code, out, _ = run_cli(capsys, "plot", str(run), "--force", "--dpi", str(2 * DPI), "--quiet")
    assert (code, out) == (0, "")
    assert png_size(target.read_bytes())[0] == 2 * png_size(before)[0]


def test_plot_of_a_batch_draws_its_design_figure_by_suffix(made, tmp_path, capsys):
    out = tmp_path / "deep" / "folder" / "ec.pdf"
    code, stdout, _ = run_cli(capsys, "plot", str(made.grid), "--out", str(out), "--dpi", "30")
    assert code == 0 and "heatmap of batch grid" in stdout
    assert_file_type(out)
    assert not (made.grid / "figures").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{missing}"], "no such folder; allowed: a run folder written by 'sovsim run'"),
        (["{run}/metadata.json"], "is a file; allowed"),
        (["{tmp}"], "neither a run folder (metadata.json) nor a batch store"),
        (
            ["{run}", "--kind", "pie"],
            "--kind pie: unknown figure kind; available for this run ({run}): timeseries, "
            "bloc_shares, tradeoff",
        ),
        (["{run}", "--kind", "heatmap"], "--kind heatmap: applies to batch stores only;"),
        (
            ["{lhs}", "--kind", "heatmap"],
            "--kind heatmap: needs a grid design; this store has a lhs",
        ),
        (
            ["{run}", "--out", "{tmp}/x.gif"],
            "unsupported file type '.gif'; allowed: .png, .svg, .pdf",
        ),
        (["{run}", "--out", "{tmp}/x"], "unsupported file type '(none)'"),
        (["{run}", "--metric", "nope"], "--metric nope: not a numeric model column; allowed e.g."),
        (["{run}", "--metric", "scenario"], "--metric scenario: not a numeric model column"),
        (["{grid}", "--scenario", "nope"], "--scenario nope: not in this batch"),
        (["{run}", "--kind", "timeseries", "--seed", "1"], "--seed: not used by --kind timeseries"),
        (["{run}", "--dpi", "0"], "--dpi 0: allowed 10 to 1200"),
        (
            ["{run}", "--kind", "world_map", "--seed", "9"],
            "--seed 9: not in these results; seeds: 1, 2",
        ),
        (
            ["{run}", "--kind", "world_map", "--step", "99"],
            "--step 99: not in the agents table; it has steps 0 to 4",
        ),
        (
            ["{grid}", "--kind", "world_map", "--step", "1"],
            "--step 1: not in the agents table; it has step 3 only (a batch keeps each run's",
        ),
        (["{grid}", "--kind", "network"], "--kind network: applies to run folders only"),
        (["{lhs}", "--kind", "sobol"], "--kind sobol: needs a sobol design; this store has a lhs"),
        (
            ["{lhs}", "--kind", "prim", "--threshold", "2"],
            "--threshold 2: {lhs}: no run has fragmentation above 2.0",
        ),
        (
            ["{run}", "--threshold", "0.5"],
            "--threshold: not used by --kind timeseries; it applies to prim",
        ),
    ],
)
def test_plot_bad_input_is_one_line_exit_2_and_writes_nothing(
    made, tmp_path, capsys, args, message
):
    names = {"missing": tmp_path / "missing", "tmp": tmp_path, "run": made.run}
    names.update(lhs=made.lhs, grid=made.grid)
    argv = ["plot", *(a.format(**names) for a in args)]
    code, out, err = run_cli(capsys, *argv)
    assert (code, out) == (2, "")
    line = one_line(err)
    assert line.startswith("sovsim: error: ")
    assert message.format(**names) in line
    assert list(tmp_path.iterdir()) == []
    for folder in (made.run, made.grid, made.lhs):
        assert not (folder / "figures").exists()


def test_a_failed_save_leaves_no_file(loaded, tmp_path, monkeypatch):
    fig = report.draw_figure(loaded["run"], "tradeoff")

    def broken(*args, **kwargs):
        Path(args[0]).write_bytes(b"half")  # a partial file, as a crash mid-write would leave
        raise OSError("disk full")

    monkeypatch.setattr(fig, "savefig", broken)
    with pytest.raises(OSError, match="disk full"):
        report.save_figure(fig, tmp_path / "t.png")
    assert list(tmp_path.iterdir()) == []


# --- 5. sovsim report --------------------------------------------------------------------------------


def test_the_report_embeds_every_figure_and_nothing_external(reports, loaded):
    for which, expected in (
        (
            "run",
            ["timeseries", "bloc_shares", "tradeoff", "world_map", "network", "event_timeline"],
        ),
        (
            "grid",
            # bloc shares once per scenario; the heatmap has the scenarios on an axis
            [
                "timeseries",
                "bloc_shares",
                "bloc_shares",
                "tradeoff",
                "heatmap",
                "world_map",
                "event_timeline",
            ],
        ),
    ):
        text = reports[which].read_text(encoding="utf-8")
        page = parse(text)
        figures = [a["data-kind"] for t, a in page.tags if t == "figure"]
        assert figures == expected
        images = [a for t, a in page.tags if t == "img"]
        assert len(images) == len(figures)
        for img in images:
            prefix = "data:image/png;base64,"
            assert img["src"].startswith(prefix)
            data = base64.b64decode(img["src"][len(prefix) :], validate=True)
            assert png_size(data) == (int(img["width"]), int(img["height"]))
            assert img["alt"]
        assert len([t for t, _ in page.tags if t == "figcaption"]) == len(figures)
        assert not re.search(r"https?://", text, flags=re.IGNORECASE)
        for tag, attrs in page.tags:
            assert tag not in ("link", "script", "iframe", "object", "embed"), tag
            for key in ("src", "href"):
                if key in attrs:
                    assert attrs[key].startswith(("data:", "#")), (tag, attrs[key])


def test_the_report_shows_scenario_metadata_and_key_results(reports, loaded, made):
    r = loaded["run"]
    page = parse(reports["run"].read_text(encoding="utf-8"))
    assert "".join(page.text["title"]) == "sovsim report: baseline"
    assert "".join(page.text["h1"]) == "sovsim report: baseline"
    assert "".join(page.text["pre"]) == r.source_text  # unescaped by the parser: exact text
    assert "".join(page.text["summary"]) == "scenario.toml (resolved, as run)"
    cells = page.text["td"]
    for value in (r.metadata["git_revision"], r.metadata["started_utc"], "1, 2"):
        assert value in cells
    assert f"{r.metadata['wall_seconds']:.2f} s" in cells
    assert any(c.startswith("sovsim 0.1.0, mesa 3.") for c in cells)
    row = report.key_results(r).set_index("metric").loc["fragmentation"]
    label = plotting.metric_label("fragmentation")
    i = cells.index(label)
    assert cells[i : i + 6] == [
        label,
        "2",
        f"{row.start_mean:.3f}",
        f"{row.final_mean:.3f}",
        f"{row.final_median:.3f}",
        f"{row.final_q05:.3f} – {row.final_q95:.3f}",
    ]
    batch_page = parse(reports["grid"].read_text(encoding="utf-8"))
    bcells = batch_page.text["td"]
    assert "8 complete, 0 failed, of 8" in bcells
    assert "not recorded in batch stores" in bcells
    assert [XC, "0.000, 1.000"] == bcells[bcells.index(XC) : bcells.index(XC) + 2]
    assert "".join(batch_page.text["pre"]) == (made.grid / "experiment.toml").read_text(
        encoding="utf-8"
    )


def test_text_from_results_is_escaped(loaded):
    evil = "<script>alert('x')</script> & <b>"
    r = dataclasses.replace(
        loaded["run"],
        name=evil,
        source_text=f'description = "{evil}"\n',
        metadata={**loaded["run"].metadata, "git_revision": evil},
    )
    text = report.build_report(r, kinds=[])
    assert "<script" not in text and "<b>" not in text
    assert html.escape(evil) in text
    page = parse(text)
    assert "".join(page.text["title"]) == f"sovsim report: {evil}"
    assert evil in page.text["td"]


def test_report_kinds_can_be_chosen_but_must_apply(loaded):
    text = report.build_report(loaded["run"], dpi=DPI, kinds=["tradeoff"])
    assert [a["data-kind"] for t, a in parse(text).tags if t == "figure"] == ["tradeoff"]
    with pytest.raises(ResultsError, match="--kind heatmap: applies to batch stores only"):
        report.build_report(loaded["run"], kinds=["heatmap"])


def test_report_refuses_to_overwrite_and_bad_suffixes(made, reports, tmp_path, capsys):
    before = reports["run"].read_bytes()
    code, out, err = run_cli(capsys, "report", str(reports["run"].parent))
    assert (code, out) == (2, "")
    assert "file exists; use --force to replace it" in one_line(err)
    assert reports["run"].read_bytes() == before
    code, _, err = run_cli(capsys, "report", str(made.run), "--out", str(tmp_path / "r.txt"))
    assert code == 2 and "unsupported file type '.txt'; allowed: .html, .htm" in one_line(err)
    code, _, err = run_cli(capsys, "report", str(tmp_path / "nowhere"))
    assert code == 2 and "no such folder" in one_line(err)
    assert list(tmp_path.iterdir()) == []


def test_report_default_target_and_force(made, tmp_path, capsys):
    # a run without agents or cyber layer: three figures, so that two reports stay quick
    run = tmp_path / "run"
    run.mkdir()
    model = pd.read_parquet(made.run / "model.parquet").drop(columns="incidents")
    model.to_parquet(run / "model.parquet")
    for name in ("scenario.toml", "metadata.json"):
        shutil.copy(made.run / name, run)
    code, out, _ = run_cli(capsys, "report", str(run), "--dpi", "20")
    assert (code, out) == (0, f"sovsim report: run baseline written to {run / 'report.html'}\n")
    first = (run / "report.html").read_text(encoding="utf-8")
    figures = [a["data-kind"] for t, a in parse(first).tags if t == "figure"]
    assert figures == ["timeseries", "bloc_shares", "tradeoff"]
    code, out, err = run_cli(capsys, "report", str(run), "--dpi", "20")
    assert (code, out) == (2, "") and "file exists; use --force" in one_line(err)
    assert (run / "report.html").read_text(encoding="utf-8") == first
    code, out, _ = run_cli(capsys, "report", str(run), "--dpi", "30", "--force", "--quiet")
    assert (code, out) == (0, "")
    second = (run / "report.html").read_text(encoding="utf-8")
    assert second != first and second.startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in run.iterdir()) == [
        "metadata.json",
        "model.parquet",
        "report.html",
        "scenario.toml",
    ]


# --- 6. in a browser -------------------------------------------------------------------------------


@pytest.mark.browser
def test_the_report_opens_in_headless_chromium_and_shows_its_figures(reports, browser):
    # ``browser`` is pytest-playwright's, launched as tests/conftest.py says (Debian's Chromium,
    # headless); one Playwright instance serves every browser test of the session
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for which, name in (("run", "baseline"), ("grid", "grid")):
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        requests: list[str] = []
        page.on("request", lambda req, seen=requests: seen.append(req.url))
        page.goto(reports[which].resolve().as_uri(), wait_until="load")
        assert page.title() == f"sovsim report: {name}"
        assert page.locator("#title").is_visible()
        assert page.locator("#name").inner_text() == name
        assert page.locator("#name").is_visible()
        images = page.evaluate(
            "Array.from(document.images).map(i => [i.complete, i.naturalWidth,"
            " i.naturalHeight, i.getBoundingClientRect().width])"
        )
        assert len(images) >= 3
        for complete, width, height, shown in images:
            assert complete and width > 0 and height > 0 and shown > 0
        # nothing but the file itself and its embedded data was requested
        assert all(u.startswith(("file:", "data:")) for u in requests), requests
        page.locator("details summary").first.click()
        assert page.locator("details pre").first.is_visible()
        page.screenshot(path=str(ARTIFACTS / f"report-{which}.png"), full_page=True)
        page.close()
    assert png_size((ARTIFACTS / "report-run.png").read_bytes())[0] == 1100
