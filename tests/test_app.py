"""The workshop app: its pure helpers, the ``sovsim app`` command, and the page in Chromium.

The helpers and the command are tested without a browser. The browser tests (marked ``browser``)
serve ``simulation.app`` with Solara once for the module and drive headless Chromium through
Playwright; screenshots go to ``tests/artifacts/``.
"""

from __future__ import annotations

import dataclasses
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

import pandas as pd
import pytest
from conftest import ARTIFACTS, EVENT_KINDS, solara_server

from simulation import app, assets, cli, cyber, plotting
from simulation.parameters import PARAMETERS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


# --- sliders -------------------------------------------------------------------------------------


def test_levers_are_the_lever_parameters():
    expected = {name for name, info in PARAMETERS.items() if info.kind == "lever"}
    assert set(app.LEVERS) == expected
    assert "export_controls" in app.LEVERS and "temperature" not in app.LEVERS


def test_slider_of_a_bounded_lever():
    spec = app.slider_spec("export_controls")
    assert spec.label == "Export controls (share)"
    assert spec.description == (
        "strictness of US export controls on frontier chips (0 none, 1 full denial)"
    )
    assert (spec.low, spec.high, spec.step, spec.value, spec.integer) == (
        0.0,
        1.0,
        0.01,
        0.5,
        False,
    )
    assert app.slider_spec("export_controls", 0.9, written=1.0).value == 0.9


def test_slider_of_an_unbounded_lever():
    # sharing_cost >= 0, default 0.6: up to 4 x 0.6 = 2.4, rounded up to 2.5; step 2.5/100 -> 0.01
    spec = app.slider_spec("sharing_cost")
    assert (spec.low, spec.high, spec.step, spec.value) == (0.0, 2.5, 0.01, 0.6)
    # a scenario that writes 2.0: twice that, 4.0
    assert app.slider_spec("sharing_cost", written=2.0).high == 4.0
    assert app.slider_spec("sharing_cost", written=2.0).value == 2.0
    # coalition_cost default 0.08: 4 x 0.08 = 0.32 < 1, so the slider goes to 1
    assert app.slider_spec("coalition_cost").high == 1.0


def test_slider_of_a_whole_number_lever():
    spec = app.slider_spec("patron_targets")  # integer >= 0, default 1: at least 10
    assert (spec.low, spec.high, spec.step, spec.value, spec.integer) == (0.0, 10.0, 1.0, 1, True)
    spec = app.slider_spec("inducement_duration")  # integer >= 1, default 10: 4 x 10
    assert (spec.low, spec.high, spec.value) == (1.0, 40.0, 10)


def test_every_slider_holds_its_default_and_scenario_values():
    for name in app.LEVERS:
        spec = app.slider_spec(name)
        assert spec.low <= app.lever_default(name) <= spec.high, name
        assert spec.description and "$" not in spec.description and "`" not in spec.description
        assert spec.unit in spec.label
    for scenario in app.scenario_names():
        setup = app.scenario_setup(scenario)
        for name, value in setup.levers.items():
            spec = app.slider_spec(name, written=value)
            assert spec.low <= value <= spec.high, (scenario, name)


def test_slider_of_an_unknown_name_is_refused():
    with pytest.raises(ValueError, match="temperature: not a lever; allowed export_controls"):
        app.slider_spec("temperature")


def test_plain_text_drops_markdown():
    assert app.plain_text("$x$: strictness of controls") == "strictness of controls"
    assert app.plain_text("$\\tau$, logit noise") == "tau, logit noise"
    assert app.plain_text('`"observed"` or `"random"`') == '"observed" or "random"'


def test_snap_to_step():
    assert app.snap_to_step(0.5700000000000001, app.slider_spec("export_controls")) == 0.57
    assert app.snap_to_step(2.9999999, app.slider_spec("patron_targets")) == 3
    assert isinstance(app.snap_to_step(2.9999999, app.slider_spec("patron_targets")), int)


# --- scenarios and models ------------------------------------------------------------------------


def test_scenario_setup_is_the_scenario_as_written():
    setup = app.scenario_setup("tech-cold-war")
    # scenarios/tech-cold-war.toml: seeds from baseline (1..5); export_controls 1.0,
    # patron_targets 3, inducement 0.1, pressure 0.15; the rest baseline defaults
    assert setup.seed == 1
    assert setup.levers["export_controls"] == 1.0
    assert setup.levers["patron_targets"] == 3
    assert setup.levers["inducement"] == 0.1
    assert setup.levers["pressure"] == 0.15
    assert setup.levers["sharing_cost"] == 0.6
    assert app.scenario_setup("tech-cold-war", seed=9).seed == 9


def test_initial_setup_reads_the_environment():
    assert app.initial_setup({}).scenario == "baseline"
    assert app.initial_setup({app.SCENARIO_ENV: "cyber-crisis"}).scenario == "cyber-crisis"
    assert app.initial_setup({app.SCENARIO_ENV: ""}).scenario == "baseline"
    assert cli.APP_SCENARIO_ENV == app.SCENARIO_ENV


def test_model_kwargs_apply_the_levers():
    setup = app.Setup("baseline", 7, {"export_controls": 0.9, "patron_targets": 2})
    kwargs = app.model_kwargs(setup)
    assert kwargs["export_controls"] == 0.9
    assert kwargs["patron_targets"] == 2
    assert kwargs["rng"] == 7
    assert kwargs["collect_agents"] is False
    assert kwargs["max_steps"] == 100  # baseline's run.steps
    model = app.build_model(setup)
    assert model.params.export_controls == 0.9
    assert model.cyber_params.patron_targets == 2
    values = app.lever_values(model)
    assert values["export_controls"] == 0.9 and values["patron_targets"] == 2
    assert values["sharing_cost"] == 0.6  # untouched: the default


def test_model_kwargs_refuse_a_non_lever():
    with pytest.raises(ValueError, match="temperature: not a lever"):
        app.model_kwargs(app.Setup("baseline", 1, {"temperature": 0.5}))


def test_the_same_setup_gives_the_same_run():
    setup = app.scenario_setup("baseline")
    a, b = app.Session(setup), app.Session(setup)
    for _ in range(3):
        sa, sb = a.step(), b.step()
    assert sa.metrics == sb.metrics
    pd.testing.assert_frame_equal(sa.events, sb.events)


def test_pending_changes():
    current = app.Setup("baseline", 1, {"export_controls": 0.5, "patron_targets": 1})
    assert app.pending_changes(current, current) == []
    chosen = app.Setup("tech-cold-war", 3, {"export_controls": 0.9, "patron_targets": 1})
    assert app.pending_changes(current, chosen) == [
        "scenario baseline → tech-cold-war",
        "seed 1 → 3",
        "export controls 0.5 → 0.9",
    ]


# --- sentences -----------------------------------------------------------------------------------

NAMES = {"CHN": "China", "NLD": "Netherlands", "IND": "India", "BRA": "Brazil"}


def event(**fields):
    row = {
        "step": 3,
        "event": "",
        "source": "",
        "target": "",
        "sector": "",
        "attributed": None,
        "response": "",
        "damage": 0.0,
    }
    return {**row, **fields}


def test_describe_an_attributed_attack():
    row = event(
        event="attack",
        source="CHN",
        target="NLD",
        sector="health",
        attributed=True,
        response="sanctions",
        damage=0.02,
    )
    assert app.describe_event(row, NAMES) == (
        "Step 3: A state-sponsored attack from China hit the health sector of Netherlands "
        "(attributed to China; Netherlands imposed sanctions); damage 0.020 utility units."
    )


def test_describe_other_events():
    cases = {
        "Step 3: Criminals hit the finance sector of India (unattributed); damage 0.010 utility "
        "units.": event(
            event="crime", source="criminal", target="IND", sector="finance", damage=0.01
        ),
        "Step 3: India and Brazil began sharing intelligence.": event(
            event="sharing_start", source="IND", target="BRA"
        ),
        "Step 3: Brazil joined the Budapest Convention.": event(
            event="coalition_join", source="BRA", target="budapest"
        ),
        "Step 3: Brazil left the UN-track coalition.": event(
            event="coalition_exit", source="BRA", target="un_track"
        ),
        "Step 3: The EU granted India an adequacy decision (free data flows with the EEA).": event(
            event="adequacy_granted", source="EU", target="IND"
        ),
        "Step 3: The China-led bloc made Brazil an offer worth 0.05 utility units to use its "
        "technology.": event(event="patron_offer", source="cn", target="BRA", response="0.05"),
        "Step 3: An attack wave by the China-led bloc on the energy sector of all states began "
        "(x40 for 15 steps).": event(
            event="shock_attack_wave",
            source="cn",
            target="all",
            sector="energy",
            response="x40 for 15 steps",
        ),
        "Step 3: The US set export controls on frontier chips to 0.9.": event(
            event="shock_export_controls", source="us", response="0.9"
        ),
    }
    for expected, row in cases.items():
        assert app.describe_event(row, NAMES) == expected


def test_every_event_of_a_run_reads_as_a_sentence_with_names():
    session = app.Session(app.scenario_setup("cyber-crisis"))
    model = session.model
    model.run(30)
    events = model.event_dataframe()
    assert {"attack", "crime", "shock_attack_wave", "patron_offer"} <= set(events.event)
    names = app.state_names(model)
    codes = set(names)
    for row in events.to_dict("records"):
        text = app.describe_event(row, names)
        assert text.startswith(f"Step {row['step']}: ") and text.endswith(".")
        # no raw kind (the fallback would start with it): every kind has its sentence
        assert not re.match(rf"Step \d+: {re.escape(row['event'])}\b", text, flags=re.I)
        assert "_" not in text
        for code in (row["source"], row["target"]):
            if code in codes:
                assert names[code] in text and f" {code} " not in text


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_every_event_kind_has_its_sentence(kind):
    row = event(event=kind, source="IND", target="BRA", sector="energy", response="0.1")
    text = app.describe_event(row, NAMES)
    assert not re.match(rf"Step 3: {re.escape(kind)}\b", text, flags=re.I)
    assert "_" not in text and text.endswith(".")
    # and an unknown kind still gives a line rather than an error
    unknown = app.describe_event(event(event="new_kind", source="IND"), NAMES)
    assert unknown == "Step 3: New_kind India."


def test_event_feed_is_newest_first():
    events = pd.DataFrame(
        [
            event(step=1, event="gdpr_adoption", source="EU", target="IND"),
            event(step=2, event="sharing_start", source="IND", target="BRA"),
            event(step=2, event="sharing_end", source="CHN", target="BRA"),
        ]
    )
    feed = app.event_feed(events, NAMES)
    assert feed == [
        "Step 2: China and Brazil stopped sharing intelligence.",
        "Step 2: India and Brazil began sharing intelligence.",
        "Step 1: India adopted GDPR-style data-protection rules.",
    ]
    assert app.event_feed(events, NAMES, n=1) == feed[:1]
    assert app.event_feed(events.iloc[:0], NAMES) == []


def test_describe_shock():
    shock = cyber.Shock(
        4,
        "attack_wave",
        {"sector": "energy", "bloc": "cn", "intensity": 20.0, "duration": 5, "targets": "all"},
    )
    assert app.describe_shock(shock) == (
        "step 4: an attack wave by the China-led bloc on the energy sector of all states, "
        "attack rate x20 for 5 steps"
    )
    shock = cyber.Shock(2, "adequacy", {"state": "IND", "action": "grant"})
    assert app.describe_shock(shock, NAMES) == "step 2: the EU grants adequacy for India"


# --- the session: what the buttons do ------------------------------------------------------------


def test_session_steps_and_injects():
    session = app.Session(app.scenario_setup("baseline"))
    snap = session.snapshot()
    assert snap.step == 0 and snap.running and snap.pending == []
    snap = session.step(2)
    assert snap.step == 2 and list(snap.series["step"]) == [0, 1, 2]
    snap = session.inject("attack_wave", sector="finance", bloc="us", intensity=10.0, duration=3)
    assert snap.pending == [
        "step 3: an attack wave by the US-led bloc on the finance sector of all states, "
        "attack rate x10 for 3 steps"
    ]
    snap = session.inject("export_controls", level=0.9)
    assert snap.levers["export_controls"] == 0.5  # not yet: it happens at the next step
    snap = session.step()
    assert snap.pending == []
    assert snap.levers["export_controls"] == 0.9
    feed = app.event_feed(snap.events, snap.names)
    assert (
        "Step 3: An attack wave by the US-led bloc on the finance sector of all states began "
        "(x10 for 3 steps)."
    ) in feed
    assert "Step 3: The US set export controls on frontier chips to 0.9." in feed


def test_session_refuses_a_bad_event_and_keeps_going():
    session = app.Session(app.scenario_setup("baseline"))
    with pytest.raises(ValueError, match="sector: 'water' unknown; allowed energy, finance"):
        session.inject("attack_wave", sector="water", bloc="cn", intensity=5.0)
    assert session.snapshot().pending == []
    assert session.step().step == 1


def test_adequacy_offer_candidates_and_grant():
    session = app.Session(app.scenario_setup("baseline"))
    snap = session.snapshot()
    model = session.model
    for code in snap.adequacy_candidates:
        i = list(model.world.iso3).index(code)
        assert not model.world.eea[i] and not model.cyber.adequate[i]
    assert "DEU" not in snap.adequacy_candidates  # EEA: under the GDPR itself
    code = snap.adequacy_candidates[0]
    snap = session.inject("adequacy", state=code, action="grant")
    assert snap.pending == [f"step 1: the EU grants adequacy for {snap.names[code]}"]
    feed = app.event_feed(session.step().events, snap.names, n=100)
    assert (
        f"Step 1: The EU granted {snap.names[code]} an adequacy decision (free data flows "
        "with the EEA)." in feed
    )


def test_reset_builds_a_new_model_and_keeps_the_old_on_error():
    session = app.Session(app.scenario_setup("baseline"))
    session.step(3)
    chosen = app.Setup("baseline", 2, {"export_controls": 0.8})
    before = session.snapshot()
    snap = session.reset(chosen)
    assert snap.step == 0 and snap.levers["export_controls"] == 0.8 and snap.setup == chosen
    assert (before.generation, snap.generation) == (0, 1)  # the play loop drops stale steps
    with pytest.raises(ValueError):
        session.reset(app.Setup("baseline", 2, {"export_controls": 2.0}))
    assert session.snapshot().levers["export_controls"] == 0.8


def test_monitors_and_status():
    session = app.Session(app.scenario_setup("baseline"))
    snap = session.step()
    assert app.monitors(snap) == [
        ("Scenario", "baseline, seed 1"),
        ("Step", "1 of 100"),
        ("Status", "running"),
        *((plotting.metric_label(m), f"{session.model.metrics[m]:.3f}") for m in app.LIVE_METRICS),
    ]
    assert ("Lever in the model: export controls", "0.5") in app.lever_monitors(snap)
    done = dataclasses.replace(snap, running=False, step=100)
    assert app.status_text(done).startswith("finished: step limit 100 reached")
    calm = dataclasses.replace(snap, running=False, step=40)
    assert app.status_text(calm) == "converged: no state changed policy for 10 steps"


def test_figures():
    session = app.Session(app.scenario_setup("baseline"))
    snap = session.step(3)
    live = app.live_figure(snap.series)
    titles = [ax.get_title(loc="left") for ax in live.axes]
    assert titles == [plotting.metric_label(m) for m in app.LIVE_METRICS]
    line = live.axes[0].lines[0]
    assert list(line.get_xdata()) == [0, 1, 2, 3]
    assert list(line.get_ydata()) == pytest.approx(list(snap.series["fragmentation"]))
    for layer in app.MAP_LAYERS:
        fig = app.map_figure(snap.policies, layer, snap.world)
        labels = {t.get_text() for ax in fig.axes for t in ax.texts}
        assert set(snap.states) <= labels, layer


# --- the command ---------------------------------------------------------------------------------


def test_missing_assets_exit_2_with_the_command_to_run(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SOLARA_ASSETS_PROXY_CACHE_DIR", str(tmp_path))
    assert cli.main(["app"]) == 2
    captured = capsys.readouterr()
    assert one_line(captured.err) == (
        "sovsim: error: the app's offline assets are missing: run "
        "`uv run sovsim app --prepare-assets`"
    )
    assert captured.out == ""


def test_serving_the_module_without_assets_says_what_to_run(tmp_path):
    # `solara run simulation.app` without `sovsim app`: the server log says what is missing
    done = subprocess.run(
        [sys.executable, "-c", "import simulation.app"],
        capture_output=True,
        text=True,
        env={**os.environ, "SOLARA_ASSETS_PROXY_CACHE_DIR": str(tmp_path)},
        cwd=ROOT,
        check=True,
    )
    line = one_line(done.stderr)
    assert line.startswith("sovsim app: Solara's offline assets are missing (")
    assert line.endswith("; run `uv run sovsim app --prepare-assets`")


def test_prepare_assets_with_a_full_cache_downloads_nothing(tmp_path, monkeypatch, capsys):
    for package in assets.PACKAGES:
        (tmp_path / package).mkdir(parents=True)
        (tmp_path / package / "package.json").write_text("{}")
    monkeypatch.setenv("SOLARA_ASSETS_PROXY_CACHE_DIR", str(tmp_path))
    assert cli.main(["app", "--prepare-assets"]) == 0
    out = capsys.readouterr().out
    assert one_line(out) == (
        f"sovsim app: offline assets ready in {tmp_path} (0 package(s) downloaded); "
        "start the app with `uv run sovsim app`"
    )


def test_host_warning():
    assert cli.app_host_warning("127.0.0.1") is None
    assert cli.app_host_warning("localhost") is None
    warning = cli.app_host_warning("0.0.0.0")
    assert warning.startswith("sovsim app: warning: --host 0.0.0.0 lets anyone ")
    assert "no password" in warning and "\n" not in warning
    assert cli.app_host_warning("192.168.1.20") is not None


needs_assets = pytest.mark.skipif(
    bool(assets.missing()), reason=f"offline assets missing: run `{assets.PREPARE_COMMAND}`"
)


@needs_assets
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--scenario", "nope"], "sovsim: error: nope: no such scenario"),
        (["--port", "70000"], "sovsim: error: --port 70000: allowed 1 to 65535"),
    ],
)
def test_bad_app_input_exits_2(argv, message, capsys):
    assert cli.main(["app", *argv]) == 2
    assert one_line(capsys.readouterr().err).startswith(message)


@needs_assets
def test_busy_port_exits_2(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert cli.main(["app", "--port", str(port)]) == 2
    err = one_line(capsys.readouterr().err)
    assert err.startswith(f"sovsim: error: --host 127.0.0.1 --port {port}: cannot serve there (")


@needs_assets
@pytest.mark.slow
def test_sovsim_app_serves_the_page():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulation.cli", "app", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    try:
        line = proc.stdout.readline()
        assert line == (
            f"sovsim app: serving scenario baseline at http://127.0.0.1:{port}/ (Ctrl-C stops it)\n"
        )
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, proc.stderr.read()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "the app did not answer within 90 s"
                time.sleep(0.5)
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=20)


# --- in the browser ------------------------------------------------------------------------------

BROWSER_SCENARIO = "cyber-crisis"


@pytest.fixture(scope="module")
def app_url():
    """Serve the app once for this module, starting with the cyber-crisis scenario."""
    with solara_server("simulation.app", env={app.SCENARIO_ENV: BROWSER_SCENARIO}) as url:
        yield url


def monitor(page, label):
    return page.locator(f".{app.MONITOR_CLASS}", has_text=re.compile(f"^{re.escape(label)}: "))


def step_number(page) -> int:
    text = monitor(page, "Step").inner_text()
    return int(re.match(r"Step: (\d+) of", text).group(1))


def open_app(page, url):
    failed = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.set_viewport_size({"width": 1500, "height": 1100})
    page.goto(url)
    monitor(page, "Step").wait_for(timeout=60_000)
    return failed


def screenshot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"app-{name}.png"), full_page=True)


@pytest.mark.browser
def test_app_loads_with_map_and_plots(app_url, page):
    from playwright.sync_api import expect

    failed = open_app(page, app_url)
    expect(monitor(page, "Scenario")).to_have_text(f"Scenario: {BROWSER_SCENARIO}, seed 1")
    expect(monitor(page, "Step")).to_have_text("Step: 0 of 100")
    expect(monitor(page, "Status")).to_have_text("Status: running")
    expect(page.get_by_text("World map")).to_be_visible()
    expect(page.get_by_text("Fragmentation, security and trade")).to_be_visible()
    images = page.locator("img")
    expect(images).to_have_count(2, timeout=30_000)
    for i in range(2):
        images.nth(i).scroll_into_view_if_needed()
        expect(images.nth(i)).to_be_visible()
        width = images.nth(i).evaluate("img => img.complete ? img.naturalWidth : 0")
        assert width > 300
    assert page.locator(".v-alert.error").count() == 0
    body = page.inner_text("body")
    assert "Traceback" not in body and "Error" not in body
    expect(page.get_by_text("Export controls (share): 0.5")).to_be_visible()
    expect(page.get_by_text("strictness of US export controls on frontier chips")).to_be_visible()
    screenshot(page, "loaded")
    assert failed == []


@pytest.mark.browser
def test_slider_changes_the_model_after_reset(app_url, page):
    from playwright.sync_api import expect

    open_app(page, app_url)
    lever = monitor(page, "Lever in the model: export controls")
    expect(lever).to_have_text("Lever in the model: export controls: 0.5")
    thumb = page.locator(".sovsim-lever-export_controls [role=slider]")
    thumb.focus()
    page.keyboard.press("End")  # the slider's maximum, 1
    expect(thumb).to_have_attribute("aria-valuenow", "1")
    expect(page.get_by_text("Press Reset to apply: export controls 0.5 → 1")).to_be_visible()
    expect(lever).to_have_text("Lever in the model: export controls: 0.5")  # not before Reset
    page.get_by_role("button", name="Reset").click()
    expect(lever).to_have_text("Lever in the model: export controls: 1", timeout=20_000)
    expect(page.get_by_text("Press Reset to apply")).to_have_count(0)
    expect(monitor(page, "Step")).to_have_text("Step: 0 of 100")
    screenshot(page, "slider-reset")


@pytest.mark.browser
def test_step_and_play_advance_the_model(app_url, page):
    from playwright.sync_api import expect

    open_app(page, app_url)
    page.get_by_role("button", name="Step").click()
    expect(monitor(page, "Step")).to_have_text("Step: 1 of 100", timeout=20_000)
    page.get_by_role("button", name="Play").click()
    expect(monitor(page, "Step")).to_have_text(
        re.compile(r"Step: ([3-9]|\d\d+) of 100"), timeout=40_000
    )
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("button", name="Play")).to_be_visible(timeout=10_000)
    page.wait_for_timeout(1500)  # a step under way when Pause was pressed may still land
    paused = step_number(page)
    page.wait_for_timeout(2000)
    assert step_number(page) == paused  # stays paused
    expect(page.locator(f".{app.EVENT_CLASS}").first).to_have_text(re.compile(r"^Step \d+: "))
    screenshot(page, "played")


@pytest.mark.browser
def test_injected_attack_wave_appears_in_the_feed(app_url, page):
    from playwright.sync_api import expect

    open_app(page, app_url)
    page.locator(".v-select", has_text="Sector").click()
    page.get_by_role("option", name="finance").click()
    page.get_by_role("button", name="Launch attack wave").click()
    pending = page.locator(".sovsim-pending")
    # the scenario's own attack waves (steps 10, 25, 40) are listed after the injected one
    expect(pending.first).to_have_text(
        "step 1: an attack wave by the China-led bloc on the finance sector of all states, "
        "attack rate x20 for 5 steps",
        timeout=20_000,
    )
    expect(pending).to_have_count(4)
    page.get_by_role("button", name="Step").click()
    expect(monitor(page, "Step")).to_have_text("Step: 1 of 100", timeout=20_000)
    feed = page.locator(f".{app.EVENT_CLASS}")
    expect(
        feed.filter(
            has_text="Step 1: An attack wave by the China-led bloc on the finance sector of all "
            "states began (x20 for 5 steps)."
        )
    ).to_have_count(1)
    expect(pending).to_have_count(3)
    expect(pending.first).to_have_text(re.compile(r"^step 10: an attack wave"))
    screenshot(page, "injected")
