"""The ``sovsim`` command line.

``sovsim run [SCENARIO]`` runs a scenario (the baseline by default) into an output folder and prints
a readable summary; ``sovsim scenarios list|show|reference`` and ``sovsim validate FILE...`` help
write scenario files. Every input problem is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130

EXAMPLES = """examples:
  sovsim run                                   the baseline scenario into results/baseline/
  sovsim run tech-cold-war --out results/tcw   a named scenario into a chosen folder
  sovsim run scenarios/my.toml --seeds 1 2 3   a scenario file, three replicates
  sovsim run --set payoffs.export_controls=0.9 --steps 50 --force
  sovsim run --json --quiet                    a machine-readable summary only
  sovsim scenarios list                        the named scenarios and their questions
  sovsim scenarios show cyber-crisis           a scenario fully resolved (extends applied)
  sovsim validate scenarios/*.toml             check files without running them
  sovsim batch export-controls --workers 2     an experiment from scenarios/experiments/
  sovsim plot results/baseline --out fig.svg   a figure of a run folder or a batch store
  sovsim report results/baseline               a self-contained HTML report to share
  sovsim app                                   the workshop app in the browser
"""

BATCH_EXAMPLES = """examples:
  sovsim batch export-controls                       scenarios/experiments/export-controls.toml
  sovsim batch export-controls --workers 2           on two local worker processes
  sovsim batch sobol-fragmentation --dask local      on a local Dask cluster
  sovsim batch sobol-fragmentation --dask tcp://scheduler:8786 --store /shared/results/sobol
  sovsim batch export-controls --retry-failed        rerun the runs that failed
"""

PLOT_EXAMPLES = """examples:
  sovsim plot results/baseline                       the default figure: results/baseline/figures/timeseries.png
  sovsim plot results/baseline --kind bloc_shares --out blocs.svg
  sovsim plot results/baseline --kind timeseries --metric mean_localization --out loc.pdf
  sovsim plot results/batches/export-controls --kind heatmap --metric mean_security
  sovsim plot results/batches/export-controls --kind bloc_shares --scenario tech-cold-war
  sovsim plot results/baseline --kind world_map --seed 2 --step 10 --out map.png
  sovsim plot results/batches/uncertainty-lhs --kind prim --metric fragmentation --threshold 0.45
"""

REPORT_EXAMPLES = """examples:
  sovsim report results/baseline                     one HTML page: results/baseline/report.html
  sovsim report results/batches/export-controls --out ec-report.html
  sovsim report results/baseline --force             replace an existing report
"""

FIGURE_KINDS = (
    "timeseries",
    "bloc_shares",
    "tradeoff",
    "heatmap",
    "world_map",
    "network",
    "event_timeline",
    "sobol",
    "prim",
)
"""The kinds of ``sovsim plot`` (the names of :data:`simulation.report.FIGURES`, kept here so that
``sovsim --help`` need not import matplotlib; a test keeps the two the same)."""


APP_EXAMPLES = """examples:
  sovsim app --prepare-assets           once, with internet: the page's scripts, for offline use
  sovsim app                            the baseline scenario at http://127.0.0.1:8765/
  sovsim app --scenario tech-cold-war   start with another scenario
  sovsim app --host 0.0.0.0             open it to the classroom network (no password!)
  sovsim app --participatory            each participant steers a state
"""

APP_SCENARIO_ENV = "SOVSIM_SCENARIO"
"""Environment variable through which the app learns its scenario (``simulation.app.SCENARIO_ENV``;
not imported from there, so that ``sovsim`` need not import Solara)."""

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
"""Hosts that serve the app to this computer only."""


class BadInput(Exception):
    """An input problem to report in one line with exit status 2."""


# --- parser --------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``sovsim``."""
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="sovsim",
        description="Agent-based simulation of digital sovereignty and internet fragmentation.",
        epilog=EXAMPLES,
        formatter_class=fmt,
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument("--version", action="version", version=f"sovsim {_version('sovsim')}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="run a scenario and write its results",
        description=(
            "Run a scenario (by name or file; the baseline by default) for each of its seeds and "
            "write tidy model, agent and event tables (Parquet, or CSV), the resolved scenario and "
            "run metadata into an output folder, then print a summary. The folder is written under "
            "a temporary name and renamed when complete, so a failed or interrupted run leaves "
            "nothing half-written."
        ),
        epilog=EXAMPLES,
        formatter_class=fmt,
    )
    run.add_argument("scenario", nargs="?", default="baseline", help="scenario name or .toml file")
    run.add_argument("--out", type=Path, help="output folder (default: results/SCENARIO)")
    run.add_argument("--force", action="store_true", help="replace a non-empty output folder")
    run.add_argument("--steps", type=int, help="override run.steps")
    run.add_argument("--seeds", type=int, nargs="+", help="override run.seeds")
    run.add_argument("--csv", action="store_true", help="write CSV instead of Parquet")
    run.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override a scenario value, e.g. --set payoffs.export_controls=0.9 (repeatable)",
    )
    run.add_argument("--quiet", action="store_true", help="print nothing on success")
    run.add_argument("--json", action="store_true", help="print the summary as JSON")

    scen = sub.add_parser(
        "scenarios", help="list, show or document scenarios", formatter_class=fmt, epilog=EXAMPLES
    )
    ssub = scen.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions = {
        "list": "the named scenarios and the question each asks",
        "show": "a scenario fully resolved, as TOML",
        "reference": "print the scenario file reference (Markdown)",
    }
    for action, text in actions.items():
        parser_ = ssub.add_parser(action, help=text, epilog=EXAMPLES, formatter_class=fmt)
        if action == "show":
            parser_.add_argument("name", help="scenario name or .toml file")

    val = sub.add_parser(
        "validate",
        help="check scenario files without running them",
        formatter_class=fmt,
        epilog=EXAMPLES,
    )
    val.add_argument("files", nargs="+", help="scenario files or names")

    batch = sub.add_parser(
        "batch",
        help="run an experiment: scenarios x design x replicates",
        description=(
            "Run every run of an experiment (scenarios x parameter design x replicates) into a "
            "store folder, on local worker processes or a Dask cluster. Results are written as runs "
            "finish; running the same command again after an interruption runs only what is "
            "missing."
        ),
        epilog=BATCH_EXAMPLES,
        formatter_class=fmt,
    )
    batch.add_argument(
        "experiment", help="experiment .toml file or name under scenarios/experiments"
    )
    batch.add_argument("--store", type=Path, help="results folder (default: results/batches/NAME)")
    batch.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="local worker processes (default: all cores)",
    )
    batch.add_argument(
        "--dask", metavar="ADDRESS", help="a Dask scheduler address, or 'local' for a local cluster"
    )
    batch.add_argument("--retry-failed", action="store_true", help="run failed runs again")
    batch.add_argument(
        "--force", action="store_true", help="discard a store that holds another experiment"
    )
    batch.add_argument("--quiet", action="store_true", help="print nothing on success")
    batch.add_argument("--json", action="store_true", help="print the summary as JSON")

    plot = sub.add_parser(
        "plot",
        help="draw a figure of a run folder or a batch store",
        description=(
            "Draw one figure of RESULTS (a folder written by 'sovsim run' or a store written by "
            "'sovsim batch') as PNG, SVG or PDF, chosen by the suffix of --out. Without --kind, a "
            "run gets its outcomes over time and a batch its design's main figure (Sobol indices, "
            "or the heatmap of a grid). Kinds that need a batch design apply only to batches that "
            "have it; an unknown or inapplicable kind lists those available."
        ),
        epilog=PLOT_EXAMPLES,
        formatter_class=fmt,
    )
    plot.add_argument("results", type=Path, help="run folder or batch store")
    plot.add_argument(
        "--kind", help=f"figure kind: {', '.join(FIGURE_KINDS)} (default: depends on RESULTS)"
    )
    plot.add_argument(
        "--out", type=Path, help="file .png, .svg or .pdf (default: RESULTS/figures/KIND.png)"
    )
    plot.add_argument("--metric", help="model column to draw, e.g. fragmentation, mean_security")
    plot.add_argument("--seed", type=int, help="seed (run) or run id (batch) of a per-run figure")
    plot.add_argument("--step", type=int, help="step of a per-step figure (default: the last)")
    plot.add_argument("--scenario", help="scenario of a batch to draw")
    plot.add_argument(
        "--threshold",
        type=float,
        help="prim: runs ending with METRIC above it are the cases of interest (default: the "
        "75%% quantile)",
    )
    plot.add_argument("--dpi", type=int, default=150, help="resolution (default: 150)")
    plot.add_argument("--force", action="store_true", help="replace an existing file")
    plot.add_argument("--quiet", action="store_true", help="print nothing on success")

    report = sub.add_parser(
        "report",
        help="write a self-contained HTML report of a run folder or a batch store",
        description=(
            "Write one HTML page about RESULTS that needs nothing else to open (figures embedded, "
            "no external links): the scenario or experiment and its resolved TOML, the run "
            "metadata, key results (median and 90%% interval across runs) and every figure that "
            "applies, each with a caption on how to read it."
        ),
        epilog=REPORT_EXAMPLES,
        formatter_class=fmt,
    )
    report.add_argument("results", type=Path, help="run folder or batch store")
    report.add_argument("--out", type=Path, help="file .html (default: RESULTS/report.html)")
    report.add_argument("--dpi", type=int, default=100, help="figure resolution (default: 100)")
    report.add_argument("--force", action="store_true", help="replace an existing file")
    report.add_argument("--quiet", action="store_true", help="print nothing on success")

    app = sub.add_parser(
        "app",
        help="serve the workshop browser app",
        description=(
            "Serve the workshop app in the browser: pick a scenario, set the levers, step or play "
            "the model, watch the world map, live plots and event feed, inject events. It serves "
            "on 127.0.0.1 (this computer only) unless --host says otherwise. It needs Solara's "
            "page scripts on disk, so that it works without internet: prepare them once with "
            "--prepare-assets."
        ),
        epilog=APP_EXAMPLES,
        formatter_class=fmt,
    )
    app.add_argument("--scenario", default="baseline", help="scenario name or .toml file")
    app.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to serve on (default 127.0.0.1; 0.0.0.0 opens it to the network)",
    )
    app.add_argument("--port", type=int, default=8765, help="port (default: 8765)")
    app.add_argument(
        "--participatory", action="store_true", help="participatory mode: one state each"
    )
    app.add_argument(
        "--prepare-assets",
        action="store_true",
        help="download the page's scripts from npm for offline use, then exit",
    )
    app.add_argument(
        "--force", action="store_true", help="with --prepare-assets: download them all again"
    )
    return parser


# --- helpers -------------------------------------------------------------------------------------


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _git_revision() -> str:
    root = Path(__file__).resolve().parents[1]
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if out.returncode != 0:
        return "unknown"
    dirty = subprocess.run(
        [
            "git",
            "--no-optional-locks",
            "-C",
            str(root),
            "status",
            "--porcelain",
            "--untracked-files=no",
        ],
        capture_output=True,
        text=True,
        timeout=5,
    ).stdout.strip()
    return out.stdout.strip() + ("+dirty" if dirty else "")


def _parse_value(text: str) -> Any:
    import tomllib

    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _apply_sets(raw: dict[str, Any], items: list[str]) -> None:
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise BadInput(
                f"--set {item!r}: expected SECTION.KEY=VALUE, e.g. payoffs.export_controls=0.8"
            )
        parts = key.split(".")
        target = raw
        for part in parts[:-1]:
            if not isinstance(target.setdefault(part, {}), dict):
                raise BadInput(f"--set {item!r}: {part} is not a table")
            target = target[part]
        target[parts[-1]] = _parse_value(value)


def _check_out(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise BadInput(f"--out {out}: is a file; allowed: a new or empty folder")
    for parent in out.parents:
        if parent.exists() and not parent.is_dir():
            raise BadInput(f"--out {out}: {parent} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise BadInput(f"--out {out}: folder is not empty; use --force to replace it")


def _write_table(df: Any, path: Path, fmt: str) -> Path:
    if fmt == "csv":
        target = path.with_suffix(".csv")
        df.to_csv(target, index=False)
    else:
        target = path.with_suffix(".parquet")
        df.to_parquet(target, index=False)
    return target


# --- commands ------------------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    """Run a scenario for each seed; write the tables atomically; print the summary."""
    import pandas as pd
    from tqdm import tqdm

    from simulation import scenarios
    from simulation.model import SovereigntyModel

    path = scenarios.find(args.scenario)
    raw = scenarios.resolve_raw(path)
    raw.setdefault("name", path.stem)
    _apply_sets(raw, args.set)
    if args.steps is not None:
        raw.setdefault("run", {})["steps"] = args.steps
    if args.seeds is not None:
        raw.setdefault("run", {})["seeds"] = args.seeds
    if args.csv:
        raw.setdefault("output", {})["format"] = "csv"
    origin = (
        f"{path} (with command-line overrides)" if (args.set or args.steps or args.seeds) else path
    )
    scenario = scenarios.validate(raw, origin)
    out = args.out if args.out is not None else Path("results") / scenario.name
    _check_out(out, args.force)

    started = datetime.now(UTC)
    clock = time.perf_counter()
    steps, seeds = scenario.run.steps, scenario.run.seeds
    frames: dict[str, list[Any]] = {"model": [], "agents": [], "events": []}
    show_bar = not (args.quiet or args.json) and sys.stderr.isatty()
    with tqdm(
        total=steps * len(seeds), disable=not show_bar, unit="step", desc=scenario.name
    ) as bar:
        for seed in seeds:
            try:
                model = SovereigntyModel(**scenario.model_kwargs(seed))
            except (TypeError, ValueError) as exc:  # the schema should have caught it
                raise BadInput(f"{origin}: {exc}") from exc
            while model.running and model.steps < steps:
                model.step()
                bar.update(1)
            bar.update(steps - model.steps)
            for key, df in (
                ("model", model.model_dataframe()),
                ("agents", model.agent_dataframe()),
                ("events", model.event_dataframe()),
            ):
                df.insert(0, "seed", seed)
                df.insert(0, "scenario", scenario.name)
                frames[key].append(df)
    tables = {k: pd.concat(v, ignore_index=True) for k, v in frames.items()}
    seconds = time.perf_counter() - clock

    metadata = {
        "scenario": scenario.name,
        "scenario_file": str(path),
        "scenario_sha256": hashlib.sha256(scenario.to_toml().encode()).hexdigest(),
        "seeds": seeds,
        "steps": steps,
        "started_utc": started.isoformat(timespec="seconds"),
        "wall_seconds": round(seconds, 3),
        "command": ["sovsim", *args.argv],
        "git_revision": _git_revision(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": {
            d: _version(d) for d in ("sovsim", "mesa", "numpy", "pandas", "pyarrow", "pydantic")
        },
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)
    try:
        for key, df in tables.items():
            _write_table(df, tmp / key, scenario.output.format)
        (tmp / "scenario.toml").write_text(scenario.to_toml(), encoding="utf-8")
        (tmp / "metadata.json").write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
        _check_out(out, args.force)
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise

    summary = summarize(tables["model"], tables["events"])
    summary.update({"scenario": scenario.name, "seeds": seeds, "out": str(out), "seconds": seconds})
    if args.json:
        print(json.dumps(summary, indent=2))
    elif not args.quiet:
        _print_summary(summary)
    return 0


SUMMARY_METRICS = (
    "fragmentation",
    "fragmentation_technical",
    "fragmentation_data",
    "modularity",
    "mean_localization",
    "mean_trade",
    "mean_security",
    "welfare",
    "security_connectivity_balance",
)


def summarize(model: Any, events: Any) -> dict[str, Any]:
    """Return the run summary of a scenario's tables.

    Key metrics at the first and last step (mean over seeds), bloc GDP shares at the end, and
    cyber-layer totals.
    """
    first = model[model.step == 0]
    last = model.loc[model.groupby("seed").step.idxmax()]
    metrics = {
        k: {"start": float(first[k].mean()), "end": float(last[k].mean())} for k in SUMMARY_METRICS
    }
    shares = {
        c[len("gdp_share_") :]: float(last[c].mean())
        for c in model.columns
        if c.startswith("gdp_share_")
    }
    out: dict[str, Any] = {
        "steps": int(last.step.max()),
        "metrics": metrics,
        "gdp_shares_end": shares,
    }
    if "incidents" in model.columns:
        attacks = events[events.event == "attack"]
        n_seeds = max(1, model.seed.nunique())
        out["cyber"] = {
            "incidents_per_run": float(model.incidents.sum() / n_seeds),
            "state_attacks_per_run": float(len(attacks) / n_seeds),
            "attribution_rate": float(attacks.attributed.mean()) if len(attacks) else 0.0,
            "vendor_bans_per_run": float((attacks.response == "vendor_ban").sum() / n_seeds),
            "budapest_members_end": float(last.budapest_members.mean()),
            "adequacy_pairs_end": float(last.adequacy_pairs.mean()),
        }
    return out


def _print_summary(s: dict[str, Any]) -> None:
    print(
        f"sovsim: scenario {s['scenario']}, seeds {s['seeds']}, {s['steps']} steps, {s['seconds']:.2f} s"
    )
    print(f"\n{'metric (mean over seeds)':32s}{'start':>9s}{'end':>9s}")
    for k, v in s["metrics"].items():
        print(f"{k:32s}{v['start']:9.3f}{v['end']:9.3f}")
    print("\nGDP share by ecosystem at the end:")
    by_domain: dict[str, list[str]] = {}
    for key, value in s["gdp_shares_end"].items():
        option, domain = key.split("_", 1)
        by_domain.setdefault(domain, []).append(f"{option} {value:5.1%}")
    for domain, parts in by_domain.items():
        print(f"  {domain:16s}" + "  ".join(parts))
    if "cyber" in s:
        c = s["cyber"]
        print(
            f"\nCyber: {c['incidents_per_run']:.0f} incidents per run, {c['state_attacks_per_run']:.0f} "
            f"state-sponsored ({c['attribution_rate']:.0%} attributed, {c['vendor_bans_per_run']:.1f} "
            f"vendor bans); Budapest members at the end {c['budapest_members_end']:.0f}; adequacy "
            f"pairs {c['adequacy_pairs_end']:.0f}"
        )
    print(f"\nResults in {s['out']}/ (model, agents, events, scenario.toml, metadata.json)")


def cmd_batch(args: argparse.Namespace) -> int:
    """Run an experiment into a store; print what was done."""
    from simulation import batch

    if args.workers < 1:
        raise BadInput(f"--workers {args.workers}: allowed 1 or more")
    exp, _ = batch.load_experiment(args.experiment)
    store = args.store if args.store is not None else Path("results") / "batches" / exp.name
    executor, closers = None, []
    if args.dask:
        from distributed import Client, LocalCluster

        if args.dask == "local":
            cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True)
            closers.append(cluster.close)
            client = Client(cluster)
        else:
            client = Client(args.dask)
        closers.insert(0, client.close)
        executor = client.get_executor(pure=False)
    show_bar = not (args.quiet or args.json) and sys.stderr.isatty()
    try:
        summary = batch.run_batch(
            args.experiment,
            store,
            workers=args.workers,
            executor=executor,
            retry_failed=args.retry_failed,
            force=args.force,
            progress=show_bar,
        )
    finally:
        for close in closers:
            close()
    result = {
        "experiment": exp.name,
        "store": str(summary.store),
        "runs": summary.total,
        "done": summary.done,
        "failed": summary.failed,
        "skipped": summary.skipped,
        "wall_seconds": round(summary.seconds, 3),
        "interrupted": summary.interrupted,
        "errors": summary.errors[:20],
    }
    if args.json:
        print(json.dumps(result, indent=2))
    elif not args.quiet or summary.failed or summary.interrupted:
        print(
            f"sovsim batch {exp.name}: {summary.done} runs done, {summary.failed} failed, "
            f"{summary.skipped} already complete (of {summary.total}) in {summary.seconds:.1f} s; "
            f"results in {summary.store}/"
        )
        for line in summary.errors[:5]:
            print(f"  failed: {line}")
        if summary.failed:
            print("  rerun them with --retry-failed; tracebacks are in failed/")
        if summary.interrupted:
            print("  interrupted: run the same command again to finish the missing runs")
    if summary.interrupted:
        return EXIT_INTERRUPTED
    return 1 if summary.failed else 0


def _headless_matplotlib() -> None:
    """Use the Agg backend unless pyplot is already in use (then leave the caller's choice)."""
    if "matplotlib.pyplot" not in sys.modules:
        import matplotlib

        matplotlib.use("Agg")


def cmd_plot(args: argparse.Namespace) -> int:
    """Draw one figure of a run folder or batch store; write it atomically."""
    _headless_matplotlib()
    import matplotlib.pyplot as plt

    from simulation import report

    try:
        results = report.load_results(args.results)
        kind = args.kind or report.default_kind(results)
        options = report.FigureOptions(
            metric=args.metric,
            seed=args.seed,
            step=args.step,
            scenario=args.scenario,
            threshold=args.threshold,
        )
        report.check_options(results, kind, options)
        out = args.out if args.out is not None else args.results / "figures" / f"{kind}.png"
        report.check_target(out, args.force)
        report.check_dpi(args.dpi)
        fig = report.draw_figure(results, kind, options)
        try:
            report.save_figure(fig, out, dpi=args.dpi, force=args.force)
        finally:
            plt.close(fig)
    except report.ResultsError as exc:
        raise BadInput(str(exc)) from None
    if not args.quiet:
        print(f"sovsim plot: {kind} of {results.kind} {results.name} written to {out}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Write the self-contained HTML report of a run folder or batch store."""
    _headless_matplotlib()
    from simulation import report

    try:
        results = report.load_results(args.results)
        out = args.out if args.out is not None else args.results / "report.html"
        report.write_report(results, out, force=args.force, dpi=args.dpi)
    except report.ResultsError as exc:
        raise BadInput(str(exc)) from None
    if not args.quiet:
        print(f"sovsim report: {results.kind} {results.name} written to {out}")
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    """List, show or document scenarios."""
    from simulation import scenarios

    if args.action == "list":
        found = scenarios.list_scenarios()
        width = max((len(n) for n, _, _ in found), default=4)
        for name, _, question in found:
            print(f"{name:{width}s}  {question}")
        return 0
    if args.action == "show":
        scenario, path = scenarios.load(args.name)
        print(f"# {scenario.name}: resolved from {path}\n{scenario.to_toml()}", end="")
        return 0
    print(scenarios.reference_markdown(), end="")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Check scenario files; print one line per file; exit 2 if any is invalid."""
    from simulation import scenarios

    bad = 0
    for name in args.files:
        try:
            scenario, path = scenarios.load(name)
        except scenarios.ScenarioError as exc:
            print(f"sovsim: error: {exc}", file=sys.stderr)
            bad += 1
            continue
        print(f"ok: {path} ({scenario.name})")
    return EXIT_BAD_INPUT if bad else 0


def app_host_warning(host: str) -> str | None:
    """Return the warning to print when the app is served beyond this computer, else ``None``.

    Parameters
    ----------
    host : str
        The ``--host`` of ``sovsim app``.

    Returns
    -------
    str or None
        One line saying that anyone on the network can open and steer the app, for any host but
        :data:`LOCAL_HOSTS`.
    """
    if host in LOCAL_HOSTS:
        return None
    return (
        f"sovsim app: warning: --host {host} lets anyone who can reach this computer on the network "
        "open the app and steer the model; there is no password or other authentication, so use "
        "it only on a trusted classroom network"
    )


def _check_port(host: str, port: int) -> None:
    import socket

    if not 1 <= port <= 65535:
        raise BadInput(f"--port {port}: allowed 1 to 65535")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise BadInput(
                f"--host {host} --port {port}: cannot serve there ({exc.strerror}); "
                "choose another port with --port or an address of this computer with --host"
            ) from None


def cmd_app(args: argparse.Namespace) -> int:
    """Prepare the app's offline assets, or serve the workshop app with Solara until Ctrl-C."""
    import importlib.util
    import socket

    from simulation import assets, scenarios

    if args.prepare_assets:
        try:
            done = assets.prepare(force=args.force, log=lambda line: print(f"sovsim app: {line}"))
        except RuntimeError as exc:
            print(f"sovsim: error: {exc}", file=sys.stderr)
            return 1
        print(
            f"sovsim app: offline assets ready in {assets.cache_dir()} "
            f"({len(done)} package(s) downloaded); start the app with `uv run sovsim app`"
        )
        return 0
    if assets.missing():
        raise BadInput(f"the app's offline assets are missing: run `{assets.PREPARE_COMMAND}`")
    target = "simulation.participatory" if args.participatory else "simulation.app"
    if importlib.util.find_spec(target) is None:
        raise BadInput(f"--participatory: {target} is not part of this installation")
    scenario, _ = scenarios.load(args.scenario)
    _check_port(args.host, args.port)
    warning = app_host_warning(args.host)
    if warning:
        print(warning, file=sys.stderr)
    shown = socket.gethostname() if args.host in ("0.0.0.0", "::") else args.host
    shown = f"[{shown}]" if ":" in shown else shown
    print(
        f"sovsim app: serving scenario {scenario.name} at http://{shown}:{args.port}/ "
        "(Ctrl-C stops it)",
        flush=True,
    )
    env = {
        **os.environ,
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
        APP_SCENARIO_ENV: args.scenario,
    }
    command = [
        *(sys.executable, "-m", "solara", "run", target),
        *("--host", args.host, "--port", str(args.port), "--no-open", "--production"),
    ]
    try:
        return subprocess.run(command, env=env, check=False).returncode
    except KeyboardInterrupt:
        print("sovsim app: stopped", file=sys.stderr)
        return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sovsim`` command."""
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    args.argv = argv
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    from simulation.batch import BatchError
    from simulation.scenarios import ScenarioError

    commands = {
        "run": cmd_run,
        "batch": cmd_batch,
        "scenarios": cmd_scenarios,
        "validate": cmd_validate,
        "plot": cmd_plot,
        "report": cmd_report,
        "app": cmd_app,
    }
    try:
        return commands[args.command](args)
    except (BadInput, ScenarioError, BatchError) as exc:
        if args.debug:
            raise
        print(f"sovsim: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("sovsim: interrupted; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        sys.exit(main())
