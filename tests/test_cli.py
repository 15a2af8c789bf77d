"""The ``sovsim`` command line: runs, outputs, scenario commands, help, bad input, interruptions.

The real command is started in a subprocess only where its exit status, stdout and stderr as a
process matter (a run end to end, the scenario commands, help, a few bad inputs, ``--debug``).
Starting Python and importing Mesa takes seconds, so those subprocesses are started together, in a
thread pool, by the module fixture ``real``, as soon as the first test asks for it; the in-process
tests run meanwhile, and the subprocess tests at the end of the file collect the results.
Everything else calls :func:`simulation.cli.main` in-process.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tomllib
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from conftest import REQUIRED_SCENARIOS

from simulation import cli, scenarios
from simulation.model import SovereigntyModel
from simulation.scenarios import PROJECT_SCENARIOS, RunSection

TABLES = ("model", "agents", "events")
OUTPUTS = {"model.parquet", "agents.parquet", "events.parquet", "scenario.toml", "metadata.json"}
TINY = ["--steps", "3", "--seeds", "1"]
SOVSIM = Path(sys.executable).with_name("sovsim")
BASELINE = (PROJECT_SCENARIOS / "baseline.toml").as_posix()


# --- helpers -------------------------------------------------------------------------------------


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "simulation.cli", *args]


def env() -> dict[str, str]:
    out = dict(os.environ)
    out.pop("SOVSIM_SCENARIOS", None)
    out["COLUMNS"] = "100"
    return out


def call(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=env(), capture_output=True, text=True, timeout=300)


def snapshot(root: Path) -> dict[str, tuple[int, str]]:
    """Return every path under ``root`` with its mtime and content hash (folders: ``dir``)."""
    out = {}
    for p in sorted(root.rglob("*")):
        digest = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        out[str(p.relative_to(root))] = (p.stat().st_mtime_ns, digest)
    return out


def one_line(err: str) -> str:
    assert err.endswith("\n") and err.count("\n") == 1, f"expected one line on stderr, got {err!r}"
    return err.rstrip("\n")


def read(folder: Path, name: str) -> pd.DataFrame:
    path = folder / name
    return pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)


@pytest.fixture(autouse=True)
def _no_user_scenarios(monkeypatch):
    monkeypatch.delenv("SOVSIM_SCENARIOS", raising=False)


# --- the subprocess jobs -------------------------------------------------------------------------


def job_run_again_and_force(tmp: Path) -> dict:
    """Run the baseline; run again into the same folder (refused); then --force --json."""
    out = tmp / "out"
    first = call(
        command("run", "baseline", "--out", str(out), "--steps", "3", "--seeds", "1", "2"), tmp
    )
    if first.returncode != 0:
        return {"first": first}
    written = sorted(p.name for p in out.iterdir())
    tables = {name: read(out, f"{name}.parquet") for name in TABLES}
    metadata = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    scenario_toml = (out / "scenario.toml").read_text(encoding="utf-8")
    before = snapshot(tmp)
    again = call(command("run", "baseline", "--out", str(out), *TINY), tmp)
    after = snapshot(tmp)
    forced = call(
        command(
            "run", "baseline", "--out", str(out), *TINY[:2], "--seeds", "7", "--force", "--json"
        ),
        tmp,
    )
    return {
        "out": out,
        "first": first,
        "written": written,
        "tables": tables,
        "metadata": metadata,
        "scenario_toml": scenario_toml,
        "again": again,
        "unchanged": before == after,
        "forced": forced,
        "forced_files": sorted(p.name for p in out.iterdir()),
        "forced_model": read(out, "model.parquet"),
        "tmp_entries": sorted(p.name for p in tmp.iterdir()),
    }


def job_csv_quiet(tmp: Path) -> dict:
    out = tmp / "nested" / "csv"
    done = call(
        command("run", "hedging-middle-powers", "--out", str(out), *TINY, "--csv", "--quiet"), tmp
    )
    return {"done": done, "out": out, "files": sorted(p.name for p in out.iterdir())}


def job_list(tmp: Path):
    # The installed console script, to prove it works too.
    argv = [str(SOVSIM)] if SOVSIM.exists() else command()
    return call([*argv, "scenarios", "list"], tmp)


def job_bad_section_key(tmp: Path) -> dict:
    text = f'extends = "{BASELINE}"\n[payoffs]\nexport_control = 0.9\n'
    (tmp / "bad.toml").write_text(text, encoding="utf-8")
    done = call(command("run", "bad.toml", "--out", "out", *TINY), tmp)
    return {"done": done, "entries": sorted(p.name for p in tmp.iterdir())}


def job_invalid_toml(tmp: Path) -> dict:
    (tmp / "broken.toml").write_text('name = "x"\n[payoffs\nflow = 1\n', encoding="utf-8")
    done = call(command("run", "broken.toml", "--out", "out", *TINY), tmp)
    return {"done": done, "entries": sorted(p.name for p in tmp.iterdir())}


def job_out_is_a_file(tmp: Path) -> dict:
    (tmp / "out").write_text("keep me\n", encoding="utf-8")
    before = snapshot(tmp)
    done = call(command("run", "baseline", "--out", "out", *TINY), tmp)
    return {"done": done, "unchanged": before == snapshot(tmp)}


def job_debug(tmp: Path):
    (tmp / "bad.toml").write_text("wrld = 1\n", encoding="utf-8")
    return call(command("--debug", "run", "bad.toml", "--out", "out", *TINY), tmp)


JOBS = {
    # The longest first: three runs one after the other.
    "run_again_and_force": job_run_again_and_force,
    "csv_quiet": job_csv_quiet,
    "list": job_list,
    "show": lambda tmp: call(command("scenarios", "show", "tech-cold-war"), tmp),
    "validate": lambda tmp: call(
        command("validate", *map(str, sorted(PROJECT_SCENARIOS.glob("*.toml")))), tmp
    ),
    "help": lambda tmp: call(command("--help"), tmp),
    "bad_section_key": job_bad_section_key,
    "invalid_toml": job_invalid_toml,
    "out_is_a_file": job_out_is_a_file,
    "debug": job_debug,
}


@pytest.fixture(scope="module")
def real(tmp_path_factory) -> dict[str, Future]:
    """Start every subprocess job at once; each test waits for the ones it checks."""
    pool = ThreadPoolExecutor(max_workers=4)
    futures = {}
    for name, job in JOBS.items():
        folder = tmp_path_factory.mktemp(name)
        futures[name] = pool.submit(job, folder)
    yield futures
    pool.shutdown(wait=True)


def first_run(real) -> dict:
    """Return the results of the run / run again / --force job; fail if the first run failed."""
    r = real["run_again_and_force"].result()
    assert r["first"].returncode == 0, r["first"].stderr
    return r


def test_subprocess_jobs_start(real):
    """Asked for first so that the subprocesses run while the in-process tests do."""
    assert set(real) == set(JOBS)


# --- in-process: bad input -----------------------------------------------------------------------

HEAD = f'extends = "{BASELINE}"\n'
WAVE = (
    '[[shocks]]\nstep = 1\nkind = "attack_wave"\nsector = "energy"\nbloc = "cn"\nintensity = 2.0\n'
)

# id, files to write ({name: text or bytes}), scenario argument, extra arguments, expected parts of
# the message (besides the file name, which every row checks when it is given).
BAD = [
    ("unknown-key", {"s.toml": HEAD + 'descripton = "x"\n'}, "s.toml", [],
     ["descripton: unknown key", "did you mean 'description'", "allowed name, description"]),
    ("unknown-key-in-section", {"s.toml": HEAD + "[payoffs]\nexport_control = 0.9\n"}, "s.toml", [],
     ["payoffs.export_control: unknown key", "did you mean 'export_controls'", "allowed "]),
    ("unknown-section", {"s.toml": HEAD + "[payoff]\nexport_controls = 0.9\n"}, "s.toml", [],
     ["payoff: unknown key", "did you mean 'payoffs'"]),
    ("string-for-number", {"s.toml": HEAD + '[payoffs]\nexport_controls = "high"\n'}, "s.toml", [],
     ["payoffs.export_controls", "'high'", "allowed 0 to 1"]),
    ("numeric-string-for-number", {"s.toml": HEAD + '[payoffs]\nexport_controls = "0.9"\n'},
     "s.toml", [], ["payoffs.export_controls", "'0.9'", "allowed"]),
    ("boolean-for-number", {"s.toml": HEAD + "[payoffs]\nexport_controls = true\n"}, "s.toml", [],
     ["payoffs.export_controls", "True", "allowed"]),
    ("string-for-boolean", {"s.toml": HEAD + '[cyber]\nenabled = "no"\n'}, "s.toml", [],
     ["cyber.enabled", "'no'"]),
    ("out-of-range", {"s.toml": HEAD + "[payoffs]\nexport_controls = 1.5\n"}, "s.toml", [],
     ["payoffs.export_controls: 1.5 is out of range", "allowed 0 to 1"]),
    ("nan", {"s.toml": HEAD + "[payoffs]\nexport_controls = nan\n"}, "s.toml", [],
     ["payoffs.export_controls: nan is not a finite number", "allowed"]),
    ("nan-in-a-list", {"s.toml": HEAD + "[payoffs]\nflow = [1.0, nan, 0.5, 0.2]\n"}, "s.toml", [],
     ["payoffs.flow.1: nan is not a finite number", "allowed"]),
    ("inf", {"s.toml": HEAD + "[cyber]\nthreat_weight = inf\n"}, "s.toml", [],
     ["cyber.threat_weight: inf is not a finite number", "allowed"]),
    ("inf-in-a-shock", {"s.toml": HEAD + WAVE.replace("2.0", "inf")}, "s.toml", [],
     ["shocks[0].intensity", "allowed a number from 0.0 to 1000.0"]),
    ("shock-without-cyber-layer", {"s.toml": HEAD + "[cyber]\nenabled = false\n" + WAVE}, "s.toml",
     [], ["shocks[0].kind: 'attack_wave' needs the cyber layer", "allowed without it"]),
    ("negative-seed", {"s.toml": HEAD}, "s.toml", ["--seeds", "1", "-2"],
     ["run.seeds.1: -2 is out of range", "allowed"]),
    ("bad-name", {"s.toml": HEAD + 'name = "My Run"\n'}, "s.toml", [],
     ["name: 'My Run'", "allowed lower-case letters"]),
    ("unknown-state-in-overrides", {"s.toml": HEAD + '[initial_overrides.USX]\n5g = "us"\n'},
     "s.toml", [], ["initial_overrides.USX: unknown state code", "did you mean 'USA'"]),
    ("unknown-ecosystem-in-overrides", {"s.toml": HEAD + '[initial_overrides.USA]\n5g = "eu"\n'},
     "s.toml", [], ["initial_overrides.USA.5g: unknown option 'eu'", "allowed us, cn, hybrid"]),
    ("unknown-domain-in-overrides", {"s.toml": HEAD + '[initial_overrides.USA]\n6g = "us"\n'},
     "s.toml", [], ["initial_overrides.USA.6g: unknown domain", "allowed 5g, semiconductors, ai"]),
    ("unknown-state-in-shock-targets", {"s.toml": HEAD + WAVE + 'targets = ["DEU", "USX"]\n'},
     "s.toml", [], ["shocks[0].targets: unknown state code 'USX'", "did you mean 'USA'"]),
    ("unknown-shock-kind", {"s.toml": HEAD + '[[shocks]]\nstep = 1\nkind = "atack_wave"\n'},
     "s.toml", [], ["shocks[0].kind: 'atack_wave' unknown", "did you mean 'attack_wave'",
                    "allowed attack_wave, export_controls, patron_offer, adequacy"]),
    ("unknown-shock-sector", {"s.toml": HEAD + WAVE.replace("energy", "water")}, "s.toml", [],
     ["shocks[0].sector: 'water' unknown", "allowed energy, finance, health"]),
    ("unknown-shock-key", {"s.toml": HEAD + WAVE + "strength = 3\n"}, "s.toml", [],
     ["shocks[0].strength: unknown key for attack_wave", "allowed sector, bloc"]),
    ("invalid-toml", {"s.toml": 'name = "x"\n[payoffs\nflow = 1\n'}, "s.toml", [],
     ["invalid TOML", "line 2", "column"]),
    ("missing-file", {}, "missing.toml", [], ["missing.toml: no such file"]),
    ("folder-for-a-file", {"folder.toml/": ""}, "folder.toml", [],
     ["folder.toml: is a folder; expected a .toml file"]),
    ("not-utf8", {"s.toml": b'name = "caf\xe9"\n'}, "s.toml", [],
     ["s.toml: not UTF-8 text", "0xe9", "save it as UTF-8"]),
    ("circular-extends", {"a.toml": 'extends = "b.toml"\n', "b.toml": 'extends = "a.toml"\n'},
     "a.toml", [], ["extends: circular (a.toml -> b.toml -> a.toml)"]),
    ("self-extends", {"a.toml": 'extends = "a.toml"\n'}, "a.toml", [],
     ["extends: circular (a.toml -> a.toml)"]),
    ("missing-extends-target", {"s.toml": 'extends = "nowhere.toml"\n'}, "s.toml", [],
     ["s.toml: extends: 'nowhere.toml' not found"]),
    ("unknown-scenario-name", {}, "baselin", [],
     ["baselin: no such scenario (did you mean 'baseline'?)", "sovsim scenarios list"]),
    ("bad-set-syntax", {}, "baseline", ["--set", "payoffs.export_controls"],
     ["--set 'payoffs.export_controls': expected SECTION.KEY=VALUE"]),
    ("set-into-a-value", {}, "baseline", ["--set", "name.x=1"],
     ["--set 'name.x=1'", "not a table"]),
    ("set-unknown-key", {}, "baseline", ["--set", "payoffs.export_control=0.5"],
     ["baseline.toml (with command-line overrides): payoffs.export_control: unknown key",
      "did you mean 'export_controls'"]),
    ("set-out-of-range", {}, "baseline", ["--set", "decisions.revision_rate=2"],
     ["decisions.revision_rate: 2 is out of range", "allowed 0 to 1"]),
    ("steps-zero", {}, "baseline", ["--steps", "0"],
     ["run.steps: 0 is out of range", "allowed 1 to 100000"]),
    ("out-is-a-file", {"res/out": "keep me\n"}, "baseline", [],
     ["--out", "res/out: is a file", "allowed: a new or empty folder"]),
    ("out-under-a-file", {"res/file": "keep me\n"}, "baseline", ["--out", "{tmp}/res/file/out"],
     ["--out", "res/file"]),
    ("world-seed-negative", {"s.toml": HEAD + "[world]\nseed = -1\n"}, "s.toml", [],
     ["world.seed: -1 is out of range", "allowed integer"]),
    ("negative-damage", {"s.toml": HEAD + "[cyber]\nvendor_ban_damage = -1.0\n"}, "s.toml", [],
     ["cyber.vendor_ban_damage", "allowed"]),
    ("ragged-vendor-cost", {"s.toml": HEAD + "[payoffs]\nvendor_cost = [[0.1], [0.1], [0.1]]\n"},
     "s.toml", [], ["payoffs.vendor_cost", "allowed"]),
]  # fmt: skip


def setup_files(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        if name.endswith("/"):
            path.mkdir(parents=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


@pytest.mark.parametrize(
    ("files", "scenario", "extra", "expected"), [r[1:] for r in BAD], ids=[r[0] for r in BAD]
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    tmp_path, monkeypatch, capsys, files, scenario, extra, expected
):
    monkeypatch.chdir(tmp_path)
    setup_files(tmp_path, files)
    extra = [e.replace("{tmp}", str(tmp_path)) for e in extra]
    out_args = [] if "--out" in extra else ["--out", str(tmp_path / "res" / "out")]
    arg = str(tmp_path / scenario) if scenario.endswith(".toml") else scenario
    before = snapshot(tmp_path)
    try:
        status = cli.main(["run", arg, *out_args, *TINY, *extra])
    except Exception as exc:  # the real command would print a traceback and exit 1
        pytest.fail(f"uncaught {type(exc).__name__} (traceback, exit 1): {exc}")
    captured = capsys.readouterr()
    assert status == 2, f"exit status {status}: the bad input was accepted; stderr {captured.err!r}"
    message = one_line(captured.err)
    assert "Traceback" not in captured.err
    assert message.startswith("sovsim: error: ")
    if scenario.endswith(".toml"):
        assert scenario in message, f"the file is not named: {message}"
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"
    assert "synthetic" not in message or "world.kind" in message, message
    assert captured.out == ""
    # Nothing written: no output folder, no temporary folder, nothing changed.
    assert snapshot(tmp_path) == before


def test_the_bad_input_table_covers_enough_kinds():
    assert len(BAD) >= 15


def test_validate_reports_each_bad_file_and_passes_the_good(tmp_path, capsys):
    good = PROJECT_SCENARIOS / "baseline.toml"
    (tmp_path / "bad.toml").write_text("[run]\nsteps = -1\n", encoding="utf-8")
    status = cli.main(
        ["validate", str(good), str(tmp_path / "bad.toml"), str(tmp_path / "no.toml")]
    )
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == f"ok: {good} (baseline)\n"
    lines = captured.err.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(
        f"sovsim: error: {tmp_path / 'bad.toml'}: run.steps: -1 is out of range"
    )
    assert lines[1] == f"sovsim: error: {tmp_path / 'no.toml'}: no such file"


def test_debug_re_raises_the_error(tmp_path):
    (tmp_path / "s.toml").write_text("wrld = 1\n", encoding="utf-8")
    with pytest.raises(scenarios.ScenarioError, match="wrld: unknown key"):
        cli.main(["--debug", "run", str(tmp_path / "s.toml"), "--out", str(tmp_path / "o"), *TINY])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


# --- in-process: interruptions -------------------------------------------------------------------


def interrupt_step_after(monkeypatch, n: int) -> None:
    original = SovereigntyModel.step
    calls = {"n": 0}

    def step(self):
        calls["n"] += 1
        if calls["n"] > n:
            raise KeyboardInterrupt
        return original(self)

    monkeypatch.setattr(SovereigntyModel, "step", step)


def test_an_interrupted_run_leaves_nothing(tmp_path, monkeypatch, capsys):
    interrupt_step_after(monkeypatch, 4)  # in the second seed's run
    out = tmp_path / "res" / "out"
    status = cli.main(["run", "baseline", "--out", str(out), "--steps", "3", "--seeds", "1", "2"])
    captured = capsys.readouterr()
    assert status == 130
    assert one_line(captured.err) == "sovsim: interrupted; nothing was written"
    assert captured.out == ""
    assert not out.exists()
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


def test_an_interruption_while_writing_removes_the_temporary_folder(tmp_path, monkeypatch, capsys):
    original = cli._write_table
    seen = []

    def write_table(df, path, fmt):
        seen.append(path.parent)
        if len(seen) == 2:
            assert path.parent.name.startswith(".out.tmp-") and path.parent.is_dir()
            raise KeyboardInterrupt
        return original(df, path, fmt)

    monkeypatch.setattr(cli, "_write_table", write_table)
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("earlier results\n", encoding="utf-8")
    before = snapshot(tmp_path)
    status = cli.main(["run", "baseline", "--out", str(out), *TINY, "--force"])
    captured = capsys.readouterr()
    assert status == 130
    assert one_line(captured.err) == "sovsim: interrupted; nothing was written"
    assert len(seen) == 2 and not seen[0].exists()
    # The earlier results are untouched and no temporary folder is left next to them.
    assert snapshot(tmp_path) == before


# --- in-process: run options and help -----------------------------------------------------------------


def test_run_into_the_default_folder_with_sets(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    status = cli.main(
        ["run", "tech-cold-war", *TINY, "--set", "payoffs.export_controls=0.25", "--set",
         "cyber.enabled=false", "--set", 'decisions.decision_rule="best"', "--json"]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert status == 0, captured.err
    summary = json.loads(captured.out)
    out = tmp_path / "results" / "tech-cold-war"
    assert summary["out"] == str(Path("results") / "tech-cold-war")
    assert "cyber" not in summary  # the cyber layer is off
    assert {p.name for p in out.iterdir()} == OUTPUTS
    written, _ = scenarios.load(out / "scenario.toml")
    assert written.payoffs.export_controls == 0.25
    assert written.cyber.enabled is False
    assert written.decisions.decision_rule == "best"
    assert written.run == RunSection(steps=3, seeds=[1])
    assert [p.name for p in out.parent.iterdir()] == ["tech-cold-war"]


def test_an_empty_out_folder_is_used_without_force(tmp_path, capsys):
    out = tmp_path / "empty"
    out.mkdir()
    assert cli.main(["run", "baseline", "--out", str(out), *TINY, "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    assert {p.name for p in out.iterdir()} == OUTPUTS


def test_scenarios_reference_prints_the_reference(capsys):
    assert cli.main(["scenarios", "reference"]) == 0
    assert capsys.readouterr().out == scenarios.reference_markdown()


@pytest.mark.parametrize(
    "argv",
    [[], ["run"], ["scenarios"], ["validate"], ["scenarios", "list"], ["scenarios", "show"],
     ["scenarios", "reference"]],
    ids=lambda a: " ".join(a) or "sovsim",
)  # fmt: skip
def test_help_exits_0_and_shows_examples(argv, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main([*argv, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: sovsim {' '.join(argv)}".rstrip())
    assert "examples:" in out and "sovsim run" in out


def test_no_command_prints_help_and_exits_2(capsys):
    assert cli.main([]) == 2
    assert "usage: sovsim" in capsys.readouterr().out


# --- the real command ----------------------------------------------------------------------------


def test_run_writes_the_tidy_tables_scenario_and_metadata(real):
    r = first_run(real)
    first = r["first"]
    assert set(r["written"]) == OUTPUTS
    # No temporary folder next to the output.
    assert r["tmp_entries"] == ["out"]
    # The printed summary.
    assert "sovsim: scenario baseline, seeds [1, 2], 3 steps" in first.stdout
    assert "fragmentation" in first.stdout and "Results in" in first.stdout
    assert "Traceback" not in first.stderr

    model = r["tables"]["model"]
    assert list(model.columns[:3]) == ["scenario", "seed", "step"]
    assert (model.scenario == "baseline").all()
    pairs = list(zip(model.seed, model.step, strict=True))
    assert sorted(pairs) == [(s, t) for s in (1, 2) for t in range(4)]
    for name in ("agents", "events"):
        table = r["tables"][name]
        assert list(table.columns[:3]) == ["scenario", "seed", "step"], name
    agents = r["tables"]["agents"]
    assert set(agents.seed) == {1, 2} and set(agents.step) == {0, 1, 2, 3}
    assert not agents.duplicated(["seed", "step", "iso3"]).any()

    # The table is what the model gives for that seed.
    scenario, _ = scenarios.load("baseline")
    model_1 = SovereigntyModel(**scenario.model_kwargs(1))
    for _ in range(3):
        model_1.step()
    expected = model_1.model_dataframe()
    got = model[model.seed == 1].drop(columns=["scenario", "seed"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_run_metadata(real):
    r = first_run(real)
    meta = r["metadata"]
    assert meta["scenario"] == "baseline"
    assert meta["seeds"] == [1, 2] and meta["steps"] == 3
    assert meta["scenario_file"] == str(PROJECT_SCENARIOS / "baseline.toml")
    for package in ("sovsim", "mesa", "numpy", "pandas", "pyarrow", "pydantic"):
        assert re.match(r"\d+\.\d+", meta["packages"][package]), package
    assert re.fullmatch(r"[0-9a-f]{40}(\+dirty)?|unknown", meta["git_revision"])
    if (PROJECT_SCENARIOS.parent / ".git").exists():
        assert meta["git_revision"] != "unknown"
    assert re.fullmatch(r"[0-9a-f]{64}", meta["scenario_sha256"])
    assert meta["wall_seconds"] >= 0 and meta["python"] and meta["started_utc"]
    assert meta["command"][0] == "sovsim" and "--seeds" in meta["command"]


def test_the_written_scenario_round_trips(real, tmp_path):
    r = first_run(real)
    path = tmp_path / "scenario.toml"
    path.write_text(r["scenario_toml"], encoding="utf-8")
    written, _ = scenarios.load(path)
    baseline, _ = scenarios.load("baseline")
    assert written == baseline.model_copy(update={"run": RunSection(steps=3, seeds=[1, 2])})
    digest = hashlib.sha256(written.to_toml().encode()).hexdigest()
    assert digest == r["metadata"]["scenario_sha256"]
    model = SovereigntyModel(**written.model_kwargs(written.run.seeds[0]))
    for _ in range(3):
        model.step()
    assert model.steps == 3


def test_running_into_a_non_empty_folder_fails_and_touches_nothing(real):
    r = first_run(real)
    again = r["again"]
    assert again.returncode == 2
    message = one_line(again.stderr)
    assert (
        message
        == f"sovsim: error: --out {r['out']}: folder is not empty; use --force to replace it"
    )
    assert again.stdout == ""
    assert r["unchanged"], "the existing results were modified"


def test_force_replaces_and_json_prints_the_summary(real):
    r = first_run(real)
    forced = r["forced"]
    assert forced.returncode == 0, forced.stderr
    summary = json.loads(forced.stdout)
    assert summary["scenario"] == "baseline" and summary["seeds"] == [7]
    assert summary["steps"] == 3 and summary["out"] == str(r["out"])
    assert set(summary["metrics"]) == set(cli.SUMMARY_METRICS)
    for value in summary["metrics"].values():
        assert set(value) == {"start", "end"}
    assert summary["gdp_shares_end"] and "cyber" in summary
    assert set(r["forced_files"]) == OUTPUTS
    assert set(r["forced_model"].seed) == {7}
    assert forced.stderr == ""


def test_csv_and_quiet(real):
    r = real["csv_quiet"].result()
    done = r["done"]
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert r["files"] == sorted(
        ["agents.csv", "events.csv", "metadata.json", "model.csv", "scenario.toml"]
    )
    model = read(r["out"], "model.csv")
    assert list(model.columns[:3]) == ["scenario", "seed", "step"]
    assert model.step.tolist() == [0, 1, 2, 3]
    written, _ = scenarios.load(r["out"] / "scenario.toml")
    assert written.output.format == "csv"
    assert written.name == "hedging-middle-powers"


def test_scenarios_list_shows_every_scenario(real):
    done = real["list"].result()
    assert done.returncode == 0, done.stderr
    names = [line.split()[0] for line in done.stdout.splitlines()]
    assert set(REQUIRED_SCENARIOS) <= set(names)
    for line in done.stdout.splitlines():
        assert line.rstrip().endswith("?"), line


def test_scenarios_show_prints_the_resolved_toml(real):
    done = real["show"].result()
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# tech-cold-war: resolved from ")
    shown = tomllib.loads(done.stdout)
    baseline = tomllib.loads((PROJECT_SCENARIOS / "baseline.toml").read_text(encoding="utf-8"))
    assert "extends" not in shown
    assert shown["name"] == "tech-cold-war"
    # Inherited from the baseline ...
    assert shown["run"] == baseline["run"]
    assert shown["world"]["kind"] == baseline["world"]["kind"]
    assert shown["decisions"]["initial_policy"] == baseline["decisions"]["initial_policy"]
    # ... the scenario's own values ...
    assert shown["payoffs"]["export_controls"] == 1.0
    assert shown["cyber"]["patron_targets"] == 3
    assert shown["shocks"] == [{"step": 10, "kind": "export_controls", "level": 1.0}]
    # ... and everything else at its default.
    assert shown["payoffs"]["weight_trade"] == scenarios.PayoffsSection().weight_trade
    assert scenarios.validate(shown) == scenarios.load("tech-cold-war")[0]


def test_validate_accepts_every_scenario_file(real):
    done = real["validate"].result()
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    files = sorted(PROJECT_SCENARIOS.glob("*.toml"))
    assert lines == [f"ok: {f} ({f.stem})" for f in files]
    assert done.stderr == ""


def test_top_level_help(real):
    done = real["help"].result()
    assert done.returncode == 0
    assert done.stdout.startswith("usage: sovsim")
    assert "examples:" in done.stdout
    for name in ("run", "scenarios", "validate", "batch", "plot", "app"):
        assert re.search(rf"^\s+{name}\s", done.stdout, flags=re.MULTILINE), name


@pytest.mark.parametrize(
    ("job", "parts"),
    [
        (
            "bad_section_key",
            ["bad.toml", "payoffs.export_control: unknown key", "did you mean 'export_controls'"],
        ),
        ("invalid_toml", ["broken.toml: invalid TOML", "line 2", "column"]),
    ],
)
def test_bad_input_in_the_real_command(real, job, parts):
    r = real[job].result()
    done = r["done"]
    assert done.returncode == 2
    message = one_line(done.stderr)
    assert "Traceback" not in done.stderr and done.stdout == ""
    for part in parts:
        assert part in message
    # Only the scenario file is there: no out folder, no temporary folder.
    assert len(r["entries"]) == 1


def test_out_pointing_at_a_file_in_the_real_command(real):
    r = real["out_is_a_file"].result()
    done = r["done"]
    assert done.returncode == 2
    assert (
        one_line(done.stderr)
        == "sovsim: error: --out out: is a file; allowed: a new or empty folder"
    )
    assert r["unchanged"]


def test_debug_shows_the_traceback(real):
    done = real["debug"].result()
    assert done.returncode == 1
    assert "Traceback (most recent call last)" in done.stderr
    assert "ScenarioError" in done.stderr and "wrld: unknown key" in done.stderr
