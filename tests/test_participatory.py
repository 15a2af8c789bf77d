"""Participatory mode: the session layer without a browser, then the Solara app in Chromium.

The session tests build rooms on the baseline scenario (55 states, seed 1) and check what a
participant or facilitator does against the model's own recorded tables. The browser test serves
``simulation.participatory`` with ``solara run`` and drives it from three browser contexts.
"""

from __future__ import annotations

import threading

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from conftest import ARTIFACTS, solara_server

from simulation import participatory as pm
from simulation import scenarios
from simulation.model import SovereigntyModel
from simulation.participatory import (
    OTHERS,
    ROOM_ALPHABET,
    ROOM_CODE_LENGTH,
    Room,
    Rooms,
    SessionError,
    debrief_tables,
    default_steps_per_round,
    plot_debrief,
)

BASELINE, _ = scenarios.load("baseline")


def initial_policy(code: str) -> dict[str, str]:
    """Return a baseline state's starting policy, from a fresh model with the room's seed."""
    model = SovereigntyModel(**BASELINE.model_kwargs(BASELINE.run.seeds[0]))
    row = model.policy_table().set_index("iso3").loc[code]
    return {
        "5g": row["align_5g"],
        "semiconductors": row["align_semiconductors"],
        "ai": row["align_ai"],
        "localization": row["localization"],
    }


def policy_of(room: Room, code: str) -> dict[str, str]:
    return room.state_view(code)["policy"]


@pytest.fixture
def rooms() -> Rooms:
    return Rooms()


# --- codes and steps per round ---------------------------------------------------------------------


def test_room_codes_are_short_unambiguous_letters(rooms):
    codes = {rooms.create(BASELINE).code for _ in range(5)}
    assert len(codes) == 5
    for code in codes:
        assert len(code) == ROOM_CODE_LENGTH
        assert set(code) <= set(ROOM_ALPHABET)
    assert not set(ROOM_ALPHABET) & set("B8G6I1LO0QS5Z2")


def test_room_codes_are_found_as_typed_and_unknown_codes_are_refused(rooms):
    room = rooms.create(BASELINE)
    typed = " " + room.code[:2].lower() + "-" + room.code[2:].lower() + " "
    assert rooms.get(typed) is room
    with pytest.raises(SessionError, match=r"room code 'XXXXX': no such session"):
        rooms.get("xxxxx")
    with pytest.raises(SessionError, match="no such session"):
        rooms.join("XXXXX", "DEU")


def test_steps_per_round_give_each_state_one_revision_on_average():
    assert default_steps_per_round(0.2) == 5
    assert default_steps_per_round(0.3) == 3  # 3.33 rounds to 3
    assert default_steps_per_round(0.15) == 7  # 6.67 rounds to 7
    assert default_steps_per_round(1.0) == 1
    assert default_steps_per_round(0.0) == 1
    room = Room("TEST", BASELINE)
    assert room.steps_per_round == 5  # baseline revision_rate 0.2
    with pytest.raises(ValueError, match="steps_per_round 0"):
        Room("TEST", BASELINE, steps_per_round=0)


def test_a_room_uses_the_scenario_and_its_first_seed():
    room = Room("TEST", BASELINE)
    assert room.seed == 1
    fresh = SovereigntyModel(**BASELINE.model_kwargs(1))
    pd.testing.assert_frame_equal(room.model.policy_table(), fresh.policy_table())
    assert Room("TEST", BASELINE, seed=7).seed == 7


def test_the_registry_holds_at_most_max_rooms():
    rooms = Rooms(max_rooms=1)
    first = rooms.create(BASELINE)
    with pytest.raises(SessionError, match="already holds 1 sessions"):
        rooms.create(BASELINE)
    rooms.close(first.code, first.facilitator_token)
    assert len(rooms) == 0 and first.ended
    rooms.create(BASELINE)


def test_a_bad_scenario_name_is_a_scenario_error(rooms):
    with pytest.raises(scenarios.ScenarioError, match="no such scenario"):
        rooms.create("no-such-scenario")


# --- joining ----------------------------------------------------------------------------------------


def test_two_participants_join_and_a_taken_state_is_refused(rooms):
    room = rooms.create(BASELINE)
    a = rooms.join(room.code, "DEU")
    b = rooms.join(room.code.lower(), "ind")
    assert a != b
    assert room.seat_of(a) == "DEU" and room.seat_of(b) == "IND"
    assert "DEU" not in room.free_states() and "IND" not in room.free_states()
    assert len(room.free_states()) == 53
    with pytest.raises(SessionError, match="DEU is already taken"):
        rooms.join(room.code, "DEU")
    with pytest.raises(SessionError, match="'XYZ' is not in this world"):
        rooms.join(room.code, "XYZ")
    assert list(room.log_table()["action"]) == ["joined", "joined"]


def test_only_one_of_many_simultaneous_joins_gets_a_state(rooms):
    room = rooms.create(BASELINE)
    results: list[str] = []
    barrier = threading.Barrier(8)

    def attempt() -> None:
        barrier.wait()
        try:
            results.append(room.join("BRA"))
        except SessionError:
            results.append("refused")

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("refused") == 7
    assert len(room.seats) == 1


# --- ownership ---------------------------------------------------------------------------------------


def test_a_participant_cannot_change_another_state(rooms):
    room = rooms.create(BASELINE)
    a = rooms.join(room.code, "DEU")
    rooms.join(room.code, "IND")
    with pytest.raises(PermissionError, match="holds DEU and cannot change IND"):
        room.submit(a, {"5g": "cn"}, state="IND")
    with pytest.raises(PermissionError, match="unknown participant token"):
        room.submit("forged-token", {"5g": "cn"})
    with pytest.raises(PermissionError, match="only the facilitator"):
        room.advance(a)
    with pytest.raises(PermissionError, match="only the facilitator"):
        room.inject(a, "export_controls", level=1.0)
    with pytest.raises(PermissionError, match="only the facilitator"):
        room.end(a)
    assert room.seats["IND"].choices is None and room.seats["DEU"].choices is None
    assert room.round == 0 and room.model.steps == 0
    room.advance(room.facilitator_token)
    assert room.model.held == {}  # nothing was applied, so no state is held
    assert room.seats["IND"].applied_round is None


def test_bad_choices_are_refused_with_the_key_and_what_is_allowed(rooms):
    room = rooms.create(BASELINE)
    a = rooms.join(room.code, "DEU")
    with pytest.raises(
        SessionError, match=r"choices\.DEU\.5g: unknown option 'eu'; allowed us, cn"
    ):
        room.submit(a, {"5g": "eu"})
    with pytest.raises(SessionError, match=r"choices\.DEU\.6g: unknown domain"):
        room.submit(a, {"6g": "us"})
    with pytest.raises(SessionError, match=r"coalitions\.nato: unknown; allowed budapest"):
        room.submit(a, {}, {"nato": True})
    with pytest.raises(SessionError, match=r"coalitions\.budapest: 'yes'; allowed true or false"):
        room.submit(a, {}, {"budapest": "yes"})
    assert room.seats["DEU"].choices is None


def test_coalitions_need_the_cyber_layer(rooms):
    raw = scenarios.resolve_raw(scenarios.find("baseline"))
    raw["name"] = "no-cyber"
    raw["cyber"] = {"enabled": False}
    room = rooms.create(scenarios.validate(raw))
    a = rooms.join(room.code, "DEU")
    with pytest.raises(SessionError, match="without the cyber layer"):
        room.submit(a, {"5g": "cn"}, {"budapest": False})
    room.submit(a, {"5g": "cn"})
    room.advance(room.facilitator_token)
    assert policy_of(room, "DEU")["5g"] == "cn"
    assert room.state_view("DEU")["coalitions"] == {"budapest": None, "un_track": None}


# --- rounds -----------------------------------------------------------------------------------------


def test_a_round_applies_both_policies_and_steps_the_model(rooms):
    room = rooms.create(BASELINE)
    a = rooms.join(room.code, "DEU")
    b = rooms.join(room.code, "IND")
    assert initial_policy("DEU")["5g"] != "cn" and initial_policy("DEU")["localization"] != "strict"
    assert initial_policy("IND")["ai"] != "eu"
    i_deu, i_ind = (room.states.index(c) for c in ("DEU", "IND"))
    assert room.model.cyber.budapest[i_deu] and room.model.cyber.un_track[i_ind]  # both leave

    room.submit(a, {"5g": "cn", "localization": "strict"}, {"budapest": False})
    room.submit(b, {"5g": "us", "ai": "eu"}, {"un_track": False})
    # submitted, not applied: the model has not changed yet
    assert policy_of(room, "DEU") == initial_policy("DEU")
    assert room.seat_table().set_index("state")["submitted"].to_dict() == {
        "DEU": "yes",
        "IND": "yes",
    }

    assert room.advance(room.facilitator_token) == 1
    assert room.round == 1 and room.model.steps == room.steps_per_round == 5
    deu, ind = policy_of(room, "DEU"), policy_of(room, "IND")
    assert deu["5g"] == "cn" and deu["localization"] == "strict"
    assert deu["semiconductors"] == initial_policy("DEU")["semiconductors"]
    assert ind["5g"] == "us" and ind["ai"] == "eu"
    assert not room.model.cyber.budapest[i_deu] and not room.model.cyber.un_track[i_ind]
    assert room.seats["DEU"].applied_round == room.seats["IND"].applied_round == 1
    assert room.seat_table()["submitted"].tolist() == ["no", "no"]
    # the recorded agents' table has the policy at every step of the round
    agents = room.model.agent_dataframe()
    rows = agents[(agents["iso3"] == "DEU") & (agents["step"] >= 1)]
    assert len(rows) == 5 and (rows["align_5g"] == "cn").all()
    assert (rows["localization"] == "strict").all()
    # the policies are held: they survive further rounds while agent states revise
    before = room.model.policy_table().set_index("iso3")
    room.advance(room.facilitator_token)
    room.advance(room.facilitator_token)
    after = room.model.policy_table().set_index("iso3")
    assert policy_of(room, "DEU") == deu and policy_of(room, "IND") == ind
    others = [c for c in room.states if c not in ("DEU", "IND")]
    assert (before.loc[others, "align_5g"] != after.loc[others, "align_5g"]).any() or (
        before.loc[others, "localization"] != after.loc[others, "localization"]
    ).any()
    assert not room.model.cyber.budapest[i_deu] and not room.model.cyber.un_track[i_ind]
    log = room.log_table()
    assert log["action"].tolist().count("applied") == 2
    assert log["action"].tolist().count("advanced") == 3


def test_a_later_submission_in_the_same_round_replaces_the_earlier(rooms):
    room = rooms.create(BASELINE)
    a = rooms.join(room.code, "DEU")
    room.submit(a, {"5g": "cn"})
    room.submit(a, {"5g": "hybrid"})
    room.advance(room.facilitator_token)
    assert policy_of(room, "DEU")["5g"] == "hybrid"


def test_rooms_are_isolated_from_one_another(rooms):
    one, two = rooms.create(BASELINE), rooms.create(BASELINE)
    assert one.model is not two.model
    a1 = rooms.join(one.code, "DEU")
    a2 = rooms.join(two.code, "DEU")  # the same state in another room is free
    one.submit(a1, {"5g": "cn"})
    two.submit(a2, {"5g": "hybrid"})
    with pytest.raises(PermissionError, match="unknown participant token"):
        two.submit(a1, {"5g": "cn"})
    with pytest.raises(PermissionError, match="only the facilitator"):
        two.advance(one.facilitator_token)
    one.advance(one.facilitator_token)
    assert policy_of(one, "DEU")["5g"] == "cn"
    assert policy_of(two, "DEU") == initial_policy("DEU")  # room two has not advanced
    assert two.round == 0 and two.model.steps == 0
    two.advance(two.facilitator_token)
    assert policy_of(two, "DEU")["5g"] == "hybrid"
    assert policy_of(one, "DEU")["5g"] == "cn"


def test_injected_events_happen_in_the_first_step_of_the_next_round(rooms):
    room = rooms.create(BASELINE)
    token = room.facilitator_token
    room.advance(token)  # steps 1..5
    room.inject(token, "attack_wave", sector="finance", bloc="cn", intensity=40.0, duration=5)
    room.inject(token, "export_controls", level=0.9)
    assert room.model.params.export_controls == 0.5  # nothing happens before the round
    room.advance(token)  # steps 6..10
    events = room.model.event_dataframe()
    wave = events[events["event"] == "shock_attack_wave"]
    assert wave[["step", "source", "target", "sector"]].values.tolist() == [
        [6, "cn", "all", "finance"]
    ]
    assert wave["response"].tolist() == ["x40 for 5 steps"]
    controls = events[events["event"] == "shock_export_controls"]
    assert controls["step"].tolist() == [6]
    assert room.model.params.export_controls == 0.9
    with pytest.raises(SessionError, match=r"^sector: 'water' unknown; allowed energy"):
        room.inject(token, "attack_wave", sector="water", bloc="cn", intensity=5.0)
    with pytest.raises(SessionError, match=r"^state: unknown state code .XYZ.$"):
        room.inject(token, "adequacy", state="XYZ", action="grant")


def test_an_adequacy_offer_grants_adequacy_next_round(rooms):
    room = rooms.create(BASELINE)
    token = room.facilitator_token
    i = room.states.index("IND")
    assert not room.model.cyber.adequate[i]
    room.inject(token, "adequacy", state="IND", action="grant")
    room.advance(token)
    events = room.model.event_dataframe()
    granted = events[events["event"] == "adequacy_granted"]
    assert ["EU", "IND", 1] in granted[["source", "target", "step"]].values.tolist()


def test_an_ended_session_takes_no_more_submissions_or_rounds(rooms):
    room = rooms.create(BASELINE)
    a = rooms.join(room.code, "DEU")
    room.advance(room.facilitator_token)
    debrief = room.end(room.facilitator_token)
    assert room.ended and debrief.rounds == 1 and debrief.steps == 5
    with pytest.raises(SessionError, match="the session has ended"):
        room.submit(a, {"5g": "cn"})
    with pytest.raises(SessionError, match="the session has ended"):
        room.advance(room.facilitator_token)
    with pytest.raises(SessionError, match="the session has ended"):
        rooms.join(room.code, "IND")


# --- debrief -----------------------------------------------------------------------------------------


def test_debrief_numbers_are_the_models_recorded_values(rooms):
    room = rooms.create(BASELINE)
    a = rooms.join(room.code, "DEU")
    b = rooms.join(room.code, "IND")
    room.submit(a, {"5g": "cn", "localization": "strict"})
    room.submit(b, {"ai": "eu"})
    room.advance(room.facilitator_token)
    room.advance(room.facilitator_token)
    debrief = room.debrief()
    assert debrief.rounds == 2 and debrief.steps == 10

    agents = room.model.agent_dataframe()
    start = agents[agents["step"] == 0].set_index("iso3")
    now = agents[agents["step"] == 10].set_index("iso3")
    table = debrief.states.set_index("who")
    assert list(table.index) == ["DEU", "IND", OTHERS]
    assert table.loc["DEU", "name"] == "Germany"
    for code in ("DEU", "IND"):
        for k in ("security", "trade"):
            assert table.loc[code, f"{k}_start"] == start.loc[code, k]
            assert table.loc[code, f"{k}_now"] == now.loc[code, k]
            assert table.loc[code, f"{k}_change"] == now.loc[code, k] - start.loc[code, k]
    # "now" is the model's current state, and the participants' security at the start is their
    # payoff before anyone chose anything
    current = room.model.policy_table().set_index("iso3")
    assert table.loc["DEU", "security_now"] == current.loc["DEU", "security"]
    fresh = SovereigntyModel(**BASELINE.model_kwargs(1)).policy_table().set_index("iso3")
    assert table.loc["DEU", "security_start"] == fresh.loc["DEU", "security"]
    others = [c for c in start.index if c not in ("DEU", "IND")]
    assert table.loc[OTHERS, "n_states"] == 53
    assert table.loc[OTHERS, "trade_now"] == pytest.approx(now.loc[others, "trade"].sum() / 53)
    assert table.loc[OTHERS, "security_start"] == pytest.approx(
        start.loc[others, "security"].sum() / 53
    )

    model = room.model.model_dataframe()
    internet = debrief.internet.set_index("metric")
    assert internet.loc["fragmentation", "start"] == model["fragmentation"].iloc[0]
    assert internet.loc["fragmentation", "now"] == model["fragmentation"].iloc[-1]
    assert internet.loc["fragmentation", "now"] == room.model.metrics["fragmentation"]
    assert internet.loc["digital_trade", "change"] == pytest.approx(
        model["digital_trade"].iloc[-1] - model["digital_trade"].iloc[0]
    )


def test_debrief_tables_on_a_hand_built_run():
    # three states over two recorded steps; A is the participant, B and C the agents
    agents = pd.DataFrame(
        {
            "step": [0, 0, 0, 3, 3, 3],
            "iso3": ["A", "B", "C", "A", "B", "C"],
            "security": [0.5, 0.2, 0.4, 0.3, 0.6, 0.4],
            "trade": [0.8, 0.5, 0.7, 0.9, 0.1, 0.3],
        }
    )
    model = pd.DataFrame(
        {
            "step": [0, 3],
            "fragmentation": [0.4, 0.55],
            "fragmentation_technical": [0.2, 0.25],
            "fragmentation_data": [0.3, 0.35],
            "digital_trade": [0.6, 0.45],
        }
    )
    d = debrief_tables(agents, model, ["A"], {"A": "Alpha"}, rounds=1)
    rows = d.states.set_index("who")
    assert rows.loc["A", "name"] == "Alpha"
    assert rows.loc["A", "security_change"] == pytest.approx(-0.2)  # 0.3 - 0.5
    assert rows.loc["A", "trade_change"] == pytest.approx(0.1)  # 0.9 - 0.8
    # others: security (0.2 + 0.4) / 2 = 0.3 -> (0.6 + 0.4) / 2 = 0.5; trade 0.6 -> 0.2
    assert rows.loc[OTHERS, "security_start"] == pytest.approx(0.3)
    assert rows.loc[OTHERS, "security_now"] == pytest.approx(0.5)
    assert rows.loc[OTHERS, "trade_change"] == pytest.approx(-0.4)
    assert rows.loc[OTHERS, "n_states"] == 2
    frag = d.internet.set_index("metric")
    assert frag.loc["fragmentation", "change"] == pytest.approx(0.15)
    assert frag.loc["digital_trade", "change"] == pytest.approx(-0.15)
    assert (d.rounds, d.steps) == (1, 3)
    with pytest.raises(ValueError, match="participant state 'Z' is not in the agents' table"):
        debrief_tables(agents, model, ["Z"])
    with pytest.raises(ValueError, match="collect_agents=True"):
        debrief_tables(agents.iloc[0:0], model, ["A"])


def test_the_debrief_figure_draws_both_changes_per_row():
    states = pd.DataFrame(
        {
            "who": ["A", "B", OTHERS],
            "security_change": [-0.2, 0.1, 0.05],
            "trade_change": [0.3, -0.1, 0.0],
        }
    )
    fig = plot_debrief(states)
    (ax,) = fig.axes
    heights = [p.get_height() for p in ax.patches]
    assert heights == [-0.2, 0.1, 0.05, 0.3, -0.1, 0.0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["A", "B", OTHERS]
    plt.close(fig)
    fig2, ax2 = plt.subplots()
    assert plot_debrief(states, ax=ax2) is fig2
    plt.close(fig2)


def test_the_session_figure_marks_rounds_and_draws_the_recorded_fragmentation(rooms):
    room = rooms.create(BASELINE)
    room.advance(room.facilitator_token)
    room.advance(room.facilitator_token)
    model = room.model_table()
    fig = pm.plot_session(model, room.steps_per_round)
    ax = fig.axes[0]
    total = ax.get_lines()[0]
    assert list(total.get_xdata()) == list(range(11))
    assert list(total.get_ydata()) == model["fragmentation"].tolist()
    # round ends at steps 5 and 10: two vertical lines after the three series
    ends = [line.get_xdata()[0] for line in ax.get_lines()[3:]]
    assert ends == [5, 10]
    plt.close(fig)


def test_state_view_reports_the_models_payoffs(rooms):
    room = rooms.create(BASELINE)
    view = room.state_view("DEU")
    row = room.model.policy_table().set_index("iso3").loc["DEU"]
    assert view["payoffs"]["security"] == row["security"]
    assert view["payoffs"]["trade"] == row["trade"]
    assert view["policy"] == initial_policy("DEU")
    assert view["round"] == 0 and view["pending"] is None and not view["ended"]


# --- in a browser ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app_url():
    with solara_server("simulation.participatory", env={pm.SCENARIO_ENV: "baseline"}) as url:
        yield url


def _join(page, url: str, code: str, label: str) -> None:
    page.goto(url)
    page.get_by_label("Room code").fill(code)
    page.get_by_role("button", name="Join with a room code").click()
    page.get_by_text("pick your state").wait_for()
    page.locator(".v-select").filter(has_text="Your state").click()
    page.get_by_role("option", name=label).click()
    page.get_by_role("button", name="Take this state").click()


def _choose(page, key: str, label: str) -> None:
    page.locator(f".sovsim-pick-{key}").get_by_role("button", name=label, exact=True).click()


@pytest.mark.browser
def test_two_participants_and_a_facilitator_play_a_round(browser, app_url):
    ARTIFACTS.mkdir(exist_ok=True)
    assert initial_policy("CAN")["5g"] == "us" and initial_policy("CAN")["localization"] != "strict"
    assert initial_policy("GBR")["ai"] == "us" and initial_policy("GBR")["semiconductors"] == "us"
    contexts = [browser.new_context(viewport={"width": 1280, "height": 1000}) for _ in range(3)]
    try:
        fac, p1, p2 = (c.new_page() for c in contexts)
        for page in (fac, p1, p2):
            page.set_default_timeout(30_000)

        fac.goto(app_url)
        fac.get_by_role("button", name="Open a session (facilitator)").click()
        code = fac.locator(".sovsim-room-code").inner_text().strip()
        assert len(code) == ROOM_CODE_LENGTH and set(code) <= set(ROOM_ALPHABET)
        fac.screenshot(path=str(ARTIFACTS / "participatory-1-facilitator.png"), full_page=True)

        _join(p1, app_url, code, "CAN — Canada")
        p1.get_by_text("You are CAN — Canada").wait_for()
        _join(p2, app_url, code.lower(), "GBR — United Kingdom")
        p2.get_by_text("You are GBR — United Kingdom").wait_for()
        # a participant's page offers controls for their own state only
        assert p1.get_by_label("Your state").count() == 0
        assert p1.get_by_text("GBR").count() == 0

        _choose(p1, "5g", "China-led bloc")
        _choose(p1, "localization", "Strict")
        p1.get_by_role("button", name="Submit for this round").click()
        p1.locator(".sovsim-submitted").wait_for()
        _choose(p2, "semiconductors", "Hybrid hedge")
        _choose(p2, "ai", "EU rights-based regime")
        p2.locator("label", has_text="UN-track coalition").click()
        assert p2.get_by_label("UN-track coalition").is_checked()
        p2.get_by_role("button", name="Submit for this round").click()
        p2.locator(".sovsim-submitted").wait_for()
        p1.screenshot(path=str(ARTIFACTS / "participatory-2-participant-can.png"), full_page=True)
        p2.screenshot(path=str(ARTIFACTS / "participatory-3-participant-gbr.png"), full_page=True)

        # the facilitator sees both seats and both submissions, then advances
        seats = fac.locator("table.sovsim-seats")
        seats.get_by_text("United Kingdom").wait_for()
        fac.wait_for_function(
            "() => document.querySelectorAll('table.sovsim-seats tbody tr').length == 2"
            " && [...document.querySelectorAll('table.sovsim-seats tbody tr')]"
            ".every(r => r.cells[2].innerText.trim() == 'yes')"
        )
        fac.get_by_role("button", name="Next round").click()
        fac.locator(".sovsim-round", has_text="Round 1 ").wait_for()

        # both policies took effect: read from each participant's own view
        for page in (p1, p2):
            page.locator(".sovsim-round", has_text="Round 1").wait_for()
            page.locator(".sovsim-applied", has_text="round 1").wait_for()
        policy1 = p1.locator("table.sovsim-current-policy").inner_text()
        assert "China-led bloc" in policy1 and "Strict" in policy1
        policy2 = p2.locator("table.sovsim-current-policy").inner_text()
        assert "Hybrid hedge" in policy2 and "EU rights-based regime" in policy2
        rows = {
            r.split("\t")[0].strip(): r.split("\t")
            for r in fac.locator("table.sovsim-seats tbody").inner_text().splitlines()
        }
        assert rows["CAN"][3:7] == ["cn", "us", "us", "strict"]
        assert rows["GBR"][3:7] == ["us", "hybrid", "eu", initial_policy("GBR")["localization"]]
        assert rows["GBR"][8].strip() == "yes"  # UN-track coalition
        fac.screenshot(path=str(ARTIFACTS / "participatory-4-after-round.png"), full_page=True)
        p1.screenshot(path=str(ARTIFACTS / "participatory-5-can-after-round.png"), full_page=True)

        # the debrief
        fac.get_by_role("button", name="End and debrief").click()
        debrief = fac.locator("table.sovsim-debrief")
        debrief.wait_for()
        text = debrief.inner_text()
        assert "CAN" in text and "GBR" in text and OTHERS in text
        assert "Fragmentation:" in fac.locator(".sovsim-debrief-fragmentation").inner_text()
        p2.locator("table.sovsim-own-debrief").wait_for()
        fac.screenshot(path=str(ARTIFACTS / "participatory-6-debrief.png"), full_page=True)
    finally:
        for c in contexts:
            c.close()
    assert (ARTIFACTS / "participatory-6-debrief.png").stat().st_size > 10_000


# --- the facilitator's guide ---------------------------------------------------------------------------


def test_the_workshop_guide_names_the_apps_real_controls_and_numbers():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    guide = " ".join((root / "docs" / "workshop.md").read_text(encoding="utf-8").split())
    source = (root / "simulation" / "participatory.py").read_text(encoding="utf-8")
    labels = (
        "Open a session (facilitator)",
        "Join with a room code",
        "Take this state",
        "Submit for this round",
        "Next round",
        "End and debrief",
        "Launch attack wave",
        "Impose export controls",
        "Offer adequacy",
        "Your state",
        "Intensity",
    )
    for label in labels:
        assert f"*{label}*" in guide, label
        assert f'"{label}' in source, label
    assert f"**{default_steps_per_round(BASELINE.decisions.revision_rate)} model steps**" in guide
    assert f"up to {pm.MAX_ROOMS} sessions" in guide
    for command in (
        "uv run sovsim app --prepare-assets",
        "uv run sovsim app --participatory --host 0.0.0.0",
    ):
        assert command in guide
    assert (root / "notebooks").is_dir()
