"""Participatory mode, like NetLogo's HubNet: people steer some states, agents steer the rest.

A facilitator opens a **room** (a session); participants join from their browsers with the room's
code, each takes one state and sets its policy every round: an ecosystem per technology domain,
a data-localization level, membership of the Budapest Convention and of the UN-track coalition.
All other states are the model's agents. The facilitator advances rounds, injects events (attack
waves, export controls, adequacy offers) and ends with a debrief: who gained and lost security and
trade, and how fragmented the internet became.

The module has two layers:

* a pure-Python, thread-safe **session layer** with no UI: :class:`Room` (one model, its seats and
  a log), :class:`Rooms` (the registry: create, look up by code, join), the debrief tables
  (:func:`debrief_tables`, a pure function of the model's recorded tables) and its figure
  (:func:`plot_debrief`);
* the **Solara UI** (:func:`Page`), served by ``solara run simulation.participatory`` (what
  ``sovsim app --participatory`` runs). The registry :data:`ROOMS` lives in the server process
  and is shared by every browser connection, which is what makes a shared session work; each
  connection holds only its own role, room code and token, on the server side (Solara renders on
  the server, so a token never reaches the browser).

**A round** is ``steps_per_round`` model steps (default ``round(1 / revision_rate)``, 5 with the
default revision rate of 0.2). At the start of a round the submitted choices are applied with
:meth:`~simulation.model.SovereigntyModel.set_policy` (``hold=True``: the participant's state
keeps them, the decision rule and the cyber layer's vendor bans and coalition revisions do not
override them), then the model steps. So within one round every agent state gets, on average, one
chance to revise its policy, as each participant gets one decision. Injected events are scheduled
for the first step of the next round.

Room codes and tokens are access secrets, not science: they come from :mod:`secrets`. The model's
randomness comes only from its seed (the scenario's first seed unless given).
"""

from __future__ import annotations

import html
import os
import secrets
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import solara
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from simulation import scenarios
from simulation.agents import resolve_overrides
from simulation.model import PAYOFFS, POLICY, SovereigntyModel
from simulation.plotting import (
    BLOC_LABELS,
    DOMAIN_LABELS,
    OKABE_ITO,
    source_line,
)
from simulation.world import DOMAINS, ECOSYSTEMS, LOCALIZATION

ROOM_ALPHABET = "ACDEFHJKMNPRTUVWXY"
"""Letters of room codes: upper case only, none easily read as a digit or as another letter
(no B/8, G/6, I/1/L, O/0/Q, S/5, Z/2)."""

ROOM_CODE_LENGTH = 5
"""Letters per room code: 18^5, about 1.9 million codes."""

MAX_ROOMS = 100
"""Most rooms one server holds at a time (each holds a model); close rooms to free places."""

COALITIONS: dict[str, str] = {
    "budapest": "Budapest Convention",
    "un_track": "UN-track coalition",
}
"""Coalitions a participant can join or leave, with their labels."""

CHOICE_KEYS: tuple[str, ...] = (*DOMAINS, "localization")
"""Keys of a participant's choices: one per technology domain, and the localization level."""

METRICS: tuple[str, ...] = (
    "fragmentation",
    "fragmentation_technical",
    "fragmentation_data",
    "digital_trade",
)
"""Model metrics the debrief compares at the start and now (how fragmented the internet became)."""

SEAT_POLICY_LABELS: tuple[str, ...] = ("5G", "semiconductors", "AI", "localization")
"""Column labels of the policy in the facilitator's seat table (the model's ``POLICY`` order)."""

OTHERS = "others"
"""The ``who`` of the debrief row that summarises the agent states (the mean over them)."""


class SessionError(ValueError):
    """A session problem the user can fix (unknown room code, state taken, session ended)."""


def default_steps_per_round(revision_rate: float) -> int:
    """Return the model steps of one round: ``round(1 / revision_rate)``, at least 1.

    With that many steps each agent state gets, on average, one chance to revise its policy per
    round, as each participant gets one decision.

    Parameters
    ----------
    revision_rate : float
        Share of states that revise each step, in [0, 1].

    Returns
    -------
    int
        Steps per round; 1 if ``revision_rate`` is 0.
    """
    if revision_rate <= 0:
        return 1
    return max(1, round(1.0 / revision_rate))


def new_room_code() -> str:
    """Return a random room code of :data:`ROOM_CODE_LENGTH` letters from :data:`ROOM_ALPHABET`."""
    return "".join(secrets.choice(ROOM_ALPHABET) for _ in range(ROOM_CODE_LENGTH))


def normalize_code(code: str) -> str:
    """Return a room code as typed, cleaned: spaces and dashes removed, upper case."""
    return "".join(ch for ch in str(code).upper() if ch not in " -\t")


@dataclass
class Seat:
    """A participant's seat: the state, the secret token, and the choices waiting for the next round."""

    state: str
    token: str
    joined_round: int
    choices: dict[str, str] | None = None
    coalitions: dict[str, bool] | None = None
    submitted_round: int | None = None
    applied_round: int | None = None


@dataclass(frozen=True)
class Debrief:
    """The end-of-session tables.

    Attributes
    ----------
    states : DataFrame
        One row per participant state and one for all agent states together (``who`` is
        :data:`OTHERS`, values are means over them): ``who, name, kind, n_states,
        security_start, security_now, security_change, trade_start, trade_now, trade_change``.
    internet : DataFrame
        One row per metric of :data:`METRICS`: ``metric, start, now, change``.
    rounds, steps : int
        Rounds played and model steps taken.
    """

    states: pd.DataFrame
    internet: pd.DataFrame
    rounds: int
    steps: int


def debrief_tables(
    agents: pd.DataFrame,
    model: pd.DataFrame,
    participants: list[str],
    names: Mapping[str, str] | None = None,
    rounds: int = 0,
) -> Debrief:
    """Return the debrief from a model's recorded tables: start (first step) against now (last).

    Parameters
    ----------
    agents : DataFrame
        :meth:`~simulation.model.SovereigntyModel.agent_dataframe` (``step, iso3, security,
        trade``, ...).
    model : DataFrame
        :meth:`~simulation.model.SovereigntyModel.model_dataframe` (``step`` and :data:`METRICS`).
    participants : list of str
        The participants' state codes, in the order of the table.
    names : mapping, optional
        State names by code.
    rounds : int
        Rounds played (reported as is).

    Returns
    -------
    Debrief
        The per-state table and the internet-wide table.
    """
    names = dict(names or {})
    if agents.empty:
        raise ValueError("the debrief needs the agents' table (collect_agents=True)")
    first, last = agents["step"].min(), agents["step"].max()
    start = agents[agents["step"] == first].set_index("iso3")
    now = agents[agents["step"] == last].set_index("iso3")
    unknown = [c for c in participants if c not in start.index]
    if unknown:
        raise ValueError(f"participant state {unknown[0]!r} is not in the agents' table")
    rows = []
    for code in participants:
        rows.append(
            {
                "who": code,
                "name": names.get(code, code),
                "kind": "participant",
                "n_states": 1,
                **{f"{k}_start": float(start.at[code, k]) for k in ("security", "trade")},
                **{f"{k}_now": float(now.at[code, k]) for k in ("security", "trade")},
            }
        )
    others = [c for c in start.index if c not in set(participants)]
    if others:
        rows.append(
            {
                "who": OTHERS,
                "name": f"agent states (mean of {len(others)})",
                "kind": "agents",
                "n_states": len(others),
                **{f"{k}_start": float(start.loc[others, k].mean()) for k in ("security", "trade")},
                **{f"{k}_now": float(now.loc[others, k].mean()) for k in ("security", "trade")},
            }
        )
    columns = ["who", "name", "kind", "n_states"]
    for k in ("security", "trade"):
        columns += [f"{k}_start", f"{k}_now", f"{k}_change"]
    states = pd.DataFrame(rows, columns=[c for c in columns if not c.endswith("_change")])
    for k in ("security", "trade"):
        states[f"{k}_change"] = states[f"{k}_now"] - states[f"{k}_start"]
    states = states[columns]
    first_row = model.loc[model["step"].idxmin()]
    last_row = model.loc[model["step"].idxmax()]
    internet = pd.DataFrame(
        {
            "metric": list(METRICS),
            "start": [float(first_row[m]) for m in METRICS],
            "now": [float(last_row[m]) for m in METRICS],
        }
    )
    internet["change"] = internet["now"] - internet["start"]
    return Debrief(states, internet, int(rounds), int(last))


def plot_debrief(states: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Draw the change in security and in trade per participant state (and for the agents).

    Parameters
    ----------
    states : DataFrame
        :attr:`Debrief.states` (``who, security_change, trade_change``).
    ax : Axes, optional
        Axes to draw into; a new figure if not given.

    Returns
    -------
    Figure
        The figure holding the grouped bar chart.
    """
    if ax is None:
        width = max(4.5, 0.9 * len(states) + 2.0)
        fig, ax = plt.subplots(figsize=(width, 3.4), layout="constrained")
        fig.get_layout_engine().set(rect=(0, 0.05, 1, 0.95))  # room for the source line
    else:
        fig = ax.get_figure()
    x = np.arange(len(states))
    bars = (
        ("security_change", "Security change (utility units)", OKABE_ITO["blue"]),
        ("trade_change", "Trade change (share of potential)", OKABE_ITO["orange"]),
    )
    for k, (column, label, color) in enumerate(bars):
        ax.bar(x + (k - 0.5) * 0.4, states[column], width=0.4, color=color, label=label)
    ax.axhline(0, color="0.3", linewidth=0.8)
    ax.set_xticks(x, [str(w) for w in states["who"]])
    ax.set_ylabel("Change since the start")
    ax.set_title("Who gained and lost security and trade", fontsize=10)
    ax.legend(fontsize=7, loc="best")
    ax.grid(axis="y", alpha=0.3)
    source_line(fig, note="participatory session; others = mean of the agent states")
    return fig


def plot_session(model: pd.DataFrame, steps_per_round: int, ax: Axes | None = None) -> Figure:
    """Draw fragmentation and its technical and data-flow parts over a session's model steps.

    Parameters
    ----------
    model : DataFrame
        The model's recorded table (``step`` and :data:`METRICS`), one row per step.
    steps_per_round : int
        Model steps per round; a dotted line marks the end of each round.
    ax : Axes, optional
        Axes to draw into; a new figure if not given.

    Returns
    -------
    Figure
        The figure holding the line chart.
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 2.8), layout="constrained")
        fig.get_layout_engine().set(rect=(0, 0.05, 1, 0.95))  # room for the source line
    else:
        fig = ax.get_figure()
    lines = (
        ("fragmentation", "total", OKABE_ITO["black"], "-"),
        ("fragmentation_technical", "incompatible ecosystems alone", OKABE_ITO["blue"], "--"),
        ("fragmentation_data", "data-flow restrictions alone", OKABE_ITO["orange"], ":"),
    )
    for column, label, color, style in lines:
        ax.plot(model["step"], model[column], color=color, linestyle=style, label=label)
    last = int(model["step"].max())
    for end in range(steps_per_round, last + 1, steps_per_round):
        ax.axvline(end, color="0.6", linewidth=0.8, linestyle=":")
    ax.set_xlabel(f"Model step (a round is {steps_per_round} steps)")
    ax.set_ylabel("Share of exchange lost")
    ax.set_title("Fragmentation", fontsize=10)
    ax.legend(fontsize=7, loc="best")
    ax.grid(alpha=0.3)
    source_line(fig, note="participatory session")
    return fig


class Room:
    """One participatory session: a model, seats for participants, a round counter and a log.

    Every public method holds the room's lock, so browser connections (threads) can call them at
    the same time. Methods that change the room raise ``PermissionError`` for a wrong token and
    :class:`SessionError` for a problem the user can fix.

    Parameters
    ----------
    code : str
        The room code participants type.
    scenario : Scenario
        The scenario the model is built from (:func:`simulation.scenarios.load`).
    seed : int, optional
        The model's seed; the scenario's first seed if not given.
    steps_per_round : int, optional
        Model steps per round; :func:`default_steps_per_round` of the scenario's revision rate
        if not given.
    """

    def __init__(
        self,
        code: str,
        scenario: scenarios.Scenario,
        seed: int | None = None,
        steps_per_round: int | None = None,
    ) -> None:
        self.code = code
        self.facilitator_token = secrets.token_urlsafe(16)
        self.scenario = scenario
        self.seed = int(scenario.run.seeds[0] if seed is None else seed)
        kwargs = scenario.model_kwargs(self.seed)
        kwargs["collect_agents"] = True  # the debrief reads the agents' table
        self.model = SovereigntyModel(**kwargs)
        if steps_per_round is None:
            steps_per_round = default_steps_per_round(self.model.revision_rate)
        if isinstance(steps_per_round, bool) or int(steps_per_round) != steps_per_round:
            raise ValueError(f"steps_per_round {steps_per_round!r}: allowed a whole number >= 1")
        if steps_per_round < 1:
            raise ValueError(f"steps_per_round {steps_per_round!r}: allowed a whole number >= 1")
        self.steps_per_round = int(steps_per_round)
        self.round = 0
        self.ended = False
        self.seats: dict[str, Seat] = {}
        self.log: list[dict[str, Any]] = []
        self.version = 0
        self.created = time.time()
        self._cond = threading.Condition(threading.RLock())
        table = self.model.world.table
        codes = self.model.world.iso3.tolist()
        self.names: dict[str, str] = (
            dict(zip(codes, table["name"].astype(str), strict=True))
            if "name" in table.columns
            else {c: c for c in codes}
        )

    # -- helpers ---------------------------------------------------------------------------------
    @property
    def states(self) -> list[str]:
        """Return the state codes of the room's world, in the world's order."""
        return self.model.world.iso3.tolist()

    def _changed(self) -> None:
        self.version += 1
        self._cond.notify_all()

    def _record(self, actor: str, action: str, detail: str = "") -> None:
        self.log.append(
            {
                "round": self.round,
                "step": int(self.model.steps),
                "actor": actor,
                "action": action,
                "detail": detail,
            }
        )

    def _check_facilitator(self, token: str) -> None:
        if not secrets.compare_digest(str(token), self.facilitator_token):
            raise PermissionError(f"room {self.code}: only the facilitator can do this")

    def _check_open(self) -> None:
        if self.ended:
            raise SessionError(f"room {self.code}: the session has ended")

    def seat_of(self, token: str) -> str:
        """Return the state code of a participant's token; ``PermissionError`` if unknown."""
        with self._cond:
            for code, seat in self.seats.items():
                if secrets.compare_digest(str(token), seat.token):
                    return code
        raise PermissionError(f"room {self.code}: unknown participant token")

    def wait_for_change(self, version: int, timeout: float) -> int:
        """Wait until the room's version differs from ``version`` or ``timeout`` s pass; return it."""
        with self._cond:
            self._cond.wait_for(lambda: self.version != version, timeout=timeout)
            return self.version

    # -- participants ----------------------------------------------------------------------------
    def free_states(self) -> list[str]:
        """Return the state codes nobody has taken yet, in the world's order."""
        with self._cond:
            return [c for c in self.states if c not in self.seats]

    def join(self, state: str) -> str:
        """Take a state; return the participant's secret token.

        Raises
        ------
        SessionError
            Unknown state code, state already taken, or session ended.
        """
        with self._cond:
            self._check_open()
            state = str(state).strip().upper()
            if state not in self.names:
                raise SessionError(
                    f"room {self.code}: state {state!r} is not in this world; "
                    f"allowed {', '.join(self.states[:8])}, ..."
                )
            if state in self.seats:
                raise SessionError(f"room {self.code}: {state} is already taken; pick another")
            token = secrets.token_urlsafe(16)
            self.seats[state] = Seat(state, token, self.round)
            self._record(state, "joined", self.names[state])
            self._changed()
            return token

    def submit(
        self,
        token: str,
        choices: Mapping[str, str],
        coalitions: Mapping[str, bool] | None = None,
        state: str | None = None,
    ) -> str:
        """Submit a participant's policy for the next round; return the state it applies to.

        Parameters
        ----------
        token : str
            The participant's token (from :meth:`join`).
        choices : mapping
            Options by domain and ``localization`` (see :data:`CHOICE_KEYS`); keys not given keep
            the current option. A later submission in the same round replaces an earlier one.
        coalitions : mapping, optional
            ``budapest`` and ``un_track`` membership (``True``/``False``).
        state : str, optional
            The state the participant means; it must be their own.

        Raises
        ------
        PermissionError
            Unknown token, or ``state`` is not the token's state.
        SessionError
            Bad choices (the message names the key and what is allowed) or session ended.
        """
        with self._cond:
            own = self.seat_of(token)
            if state is not None and str(state).strip().upper() != own:
                raise PermissionError(
                    f"room {self.code}: this participant holds {own} and cannot change {state}"
                )
            self._check_open()
            choices = dict(choices)
            try:
                resolve_overrides({own: choices}, self.states, "choices")
            except ValueError as exc:
                raise SessionError(str(exc)) from None
            coalitions = dict(coalitions or {})
            for key, value in coalitions.items():
                if key not in COALITIONS:
                    raise SessionError(
                        f"coalitions.{key}: unknown; allowed {', '.join(COALITIONS)}"
                    )
                if not isinstance(value, bool | np.bool_):
                    raise SessionError(f"coalitions.{key}: {value!r}; allowed true or false")
            if coalitions and self.model.cyber is None:
                raise SessionError("coalitions: this scenario runs without the cyber layer")
            seat = self.seats[own]
            seat.choices = choices
            seat.coalitions = {k: bool(v) for k, v in coalitions.items()}
            seat.submitted_round = self.round
            self._record(own, "submitted", _describe_choices(choices, seat.coalitions))
            self._changed()
            return own

    # -- the facilitator -------------------------------------------------------------------------
    def advance(self, facilitator_token: str) -> int:
        """Apply every submitted policy (held), run one round of model steps; return the round.

        Raises
        ------
        PermissionError
            Not the facilitator's token.
        SessionError
            The session has ended.
        """
        with self._cond:
            self._check_facilitator(facilitator_token)
            self._check_open()
            for code, seat in self.seats.items():
                if seat.choices is None:
                    continue
                self.model.set_policy(code, seat.choices, seat.coalitions or None, hold=True)
                self._record(code, "applied", _describe_choices(seat.choices, seat.coalitions))
                seat.applied_round = self.round + 1
                seat.choices = seat.coalitions = None
            for _ in range(self.steps_per_round):
                self.model.step()
            self.round += 1
            frag = self.model.metrics["fragmentation"]
            self._record("facilitator", "advanced", f"round {self.round}, fragmentation {frag:.3f}")
            self._changed()
            return self.round

    def inject(self, facilitator_token: str, kind: str, **params: Any) -> None:
        """Schedule an event for the first step of the next round (see :meth:`SovereigntyModel.inject`).

        Raises
        ------
        PermissionError
            Not the facilitator's token.
        SessionError
            A bad event (the message names the key and what is allowed) or session ended.
        """
        with self._cond:
            self._check_facilitator(facilitator_token)
            self._check_open()
            try:
                self.model.inject(kind, **params)
            except ValueError as exc:
                raise SessionError(str(exc).removeprefix("shocks[0].")) from None
            detail = ", ".join(f"{k}={v}" for k, v in params.items())
            self._record("facilitator", f"injected {kind}", detail)
            self._changed()

    def end(self, facilitator_token: str) -> Debrief:
        """End the session (no more submissions or rounds) and return the debrief."""
        with self._cond:
            self._check_facilitator(facilitator_token)
            if not self.ended:
                self.ended = True
                self._record("facilitator", "ended", f"after round {self.round}")
                self._changed()
            return self.debrief()

    # -- views -----------------------------------------------------------------------------------
    def debrief(self) -> Debrief:
        """Return the debrief tables (see :func:`debrief_tables`) for the session so far."""
        with self._cond:
            return debrief_tables(
                self.model.agent_dataframe(),
                self.model.model_dataframe(),
                list(self.seats),
                self.names,
                self.round,
            )

    def state_view(self, state: str) -> dict[str, Any]:
        """Return a state's current policy, coalitions and payoffs, and its seat's status."""
        with self._cond:
            i = self.states.index(state)
            agent = self.model.states[i]
            cs = self.model.cyber
            seat = self.seats.get(state)
            return {
                "state": state,
                "name": self.names[state],
                "policy": dict(zip(CHOICE_KEYS, agent.policy, strict=True)),
                "coalitions": {
                    k: (None if cs is None else bool(getattr(cs, k)[i])) for k in COALITIONS
                },
                "payoffs": dict(zip(PAYOFFS, agent.payoffs, strict=True)),
                "pending": None if seat is None or seat.choices is None else dict(seat.choices),
                "applied_round": None if seat is None else seat.applied_round,
                "round": self.round,
                "ended": self.ended,
            }

    def seat_table(self) -> pd.DataFrame:
        """Return one row per seat: state, submitted for the next round, current policy, payoffs.

        Columns: ``state, name, submitted, 5G, semiconductors, AI, localization``, the coalitions
        (``yes``/``no``, ``n/a`` without the cyber layer), ``security, trade``.
        """
        with self._cond:
            table = self.model.policy_table().set_index("iso3")
            rows = []
            for code, seat in self.seats.items():
                view = self.state_view(code)
                rows.append(
                    {
                        "state": code,
                        "name": self.names[code],
                        "submitted": "yes" if seat.choices is not None else "no",
                        **{
                            label: table.at[code, k]
                            for k, label in zip(POLICY, SEAT_POLICY_LABELS, strict=True)
                        },
                        **{
                            COALITIONS[k]: "n/a" if v is None else ("yes" if v else "no")
                            for k, v in view["coalitions"].items()
                        },
                        "security": round(float(table.at[code, "security"]), 4),
                        "trade": round(float(table.at[code, "trade"]), 4),
                    }
                )
            return pd.DataFrame(rows)

    def model_table(self) -> pd.DataFrame:
        """Return the model's recorded table with ``scenario`` and ``seed`` columns (for plots)."""
        with self._cond:
            df = self.model.model_dataframe()
        df.insert(0, "seed", self.seed)
        df.insert(0, "scenario", self.scenario.name)
        return df

    def log_table(self) -> pd.DataFrame:
        """Return the session log: ``round, step, actor, action, detail``, one row per entry."""
        with self._cond:
            return pd.DataFrame(self.log, columns=["round", "step", "actor", "action", "detail"])


def _describe_choices(choices: Mapping[str, str], coalitions: Mapping[str, bool] | None) -> str:
    parts = [f"{k}={v}" for k, v in choices.items()]
    parts += [f"{k}={'yes' if v else 'no'}" for k, v in (coalitions or {}).items()]
    return ", ".join(parts)


class Rooms:
    """The registry of rooms in one server process: create, look up by code, join, close."""

    def __init__(self, max_rooms: int = MAX_ROOMS) -> None:
        self._rooms: dict[str, Room] = {}
        self._lock = threading.Lock()
        self.max_rooms = max_rooms

    def __len__(self) -> int:
        with self._lock:
            return len(self._rooms)

    def create(
        self,
        scenario: str | scenarios.Scenario = "baseline",
        seed: int | None = None,
        steps_per_round: int | None = None,
    ) -> Room:
        """Open a room for a scenario (a name, a file or a :class:`Scenario`); return it.

        Raises
        ------
        ScenarioError
            The scenario cannot be found or is invalid.
        SessionError
            The server already holds :data:`MAX_ROOMS` rooms.
        """
        if not isinstance(scenario, scenarios.Scenario):
            scenario, _ = scenarios.load(scenario)
        with self._lock:
            if len(self._rooms) >= self.max_rooms:
                raise SessionError(
                    f"this server already holds {self.max_rooms} sessions; close one first"
                )
            code = new_room_code()
            while code in self._rooms:
                code = new_room_code()
            room = Room(code, scenario, seed=seed, steps_per_round=steps_per_round)
            self._rooms[code] = room
            return room

    def get(self, code: str) -> Room:
        """Return the room with this code (as typed: case and spaces do not matter).

        Raises
        ------
        SessionError
            No room has this code.
        """
        clean = normalize_code(code)
        with self._lock:
            room = self._rooms.get(clean)
        if room is None:
            raise SessionError(
                f"room code {clean or code!r}: no such session; check the code on the "
                "facilitator's screen"
            )
        return room

    def join(self, code: str, state: str) -> str:
        """Take ``state`` in the room with this code; return the participant's token."""
        return self.get(code).join(state)

    def close(self, code: str, facilitator_token: str) -> None:
        """Remove a room (the facilitator's token is needed)."""
        room = self.get(code)
        room._check_facilitator(facilitator_token)
        with self._lock:
            self._rooms.pop(room.code, None)
        with room._cond:
            room.ended = True
            room._changed()


ROOMS = Rooms()
"""The rooms of this server process, shared by every browser connection."""


# --- the Solara UI ---------------------------------------------------------------------------------

SCENARIO_ENV = "SOVSIM_SCENARIO"
"""Environment variable naming the scenario new rooms use (``sovsim app --participatory`` sets it)."""

CSS = """
.sovsim-room-code { font-size: 64px; font-weight: 700; letter-spacing: 0.25em;
  font-family: monospace; line-height: 1.1; }
.sovsim-round { font-size: 24px; font-weight: 600; }
table.sovsim-table { border-collapse: collapse; font-size: 14px; }
table.sovsim-table th, table.sovsim-table td { border-bottom: 1px solid #ddd; padding: 3px 8px;
  text-align: left; }
"""


def option_label(key: str, option: str) -> str:
    """Return the readable label of an option: a bloc's name, or a localization level."""
    if key == "localization":
        return option.capitalize()
    return BLOC_LABELS.get(option, option)


def _html_table(df: pd.DataFrame, css_class: str) -> str:
    """Return a DataFrame as an HTML table (cells escaped) with the given CSS classes."""
    return df.to_html(index=False, escape=True, classes=f"sovsim-table {css_class}", border=0)


def use_room_version(room: Room | None) -> int | None:
    """Re-render the calling component whenever the room changes (from any connection)."""

    def poll(cancel: threading.Event) -> Iterator[int]:
        seen = -1
        while room is not None and not cancel.is_set():
            version = room.wait_for_change(seen, timeout=1.0)
            if version != seen:
                seen = version
                yield version

    result = solara.use_thread(
        poll, dependencies=[None if room is None else room.code], intrusive_cancel=False
    )
    return result.value


@solara.component
def Landing(
    on_open: Any,
    on_join: Any,
    error: str,
) -> None:
    """Show the start view: open a session as facilitator, or join one with a room code."""
    code = solara.use_reactive("")
    scenario = os.environ.get(SCENARIO_ENV) or "baseline"
    solara.Markdown("# sovsim: participatory session")
    solara.Markdown(
        "States choose technology blocs and data localization; the internet fragments or not. "
        "A facilitator opens a session; participants each take a state and set its policy "
        "every round. The remaining states are the model's agents."
    )
    if error:
        solara.Error(error, classes=["sovsim-error"])
    with solara.Row(gap="24px", style="flex-wrap: wrap"):
        with solara.Card("Facilitator", style="min-width: 320px"):
            solara.Text(f"Scenario: {scenario}")
            solara.Button(
                "Open a session (facilitator)",
                on_click=lambda: on_open(scenario),
                color="primary",
            )
        with solara.Card("Participant", style="min-width: 320px"):
            solara.InputText("Room code", value=code, continuous_update=True)
            solara.Button(
                "Join with a room code", on_click=lambda: on_join(code.value), color="primary"
            )


@solara.component
def PickState(room: Room, on_pick: Any, error: str) -> None:
    """Let a participant take one of the free states of a room."""
    use_room_version(room)
    free = room.free_states()
    labels = {f"{c} — {room.names[c]}": c for c in free}
    choice = solara.use_reactive(None)
    solara.Markdown(f"## Room {room.code}: pick your state")
    if error:
        solara.Error(error, classes=["sovsim-error"])
    if room.ended:
        solara.Warning("This session has ended.")
        return
    solara.Select("Your state", values=list(labels), value=choice)
    solara.Button(
        "Take this state",
        on_click=lambda: on_pick(labels.get(choice.value or "", "")),
        disabled=not choice.value,
        color="primary",
    )


@solara.component
def ToggleChoice(key: str, options: tuple[str, ...], picks: Any) -> None:
    """Show one row of option buttons for a domain or localization, bound to ``picks[key]``."""
    solara.ToggleButtonsSingle(
        value=picks.value[key],
        on_value=lambda v: picks.set({**picks.value, key: v}),
        classes=[f"sovsim-pick-{key}"],
        children=[solara.Button(option_label(key, o), value=o) for o in options],
    )


@solara.component
def ParticipantView(room: Room, token: str) -> None:
    """Show a participant's view: set their own state's policy, see its payoffs and the round."""
    use_room_version(room)
    own = room.seat_of(token)
    view = room.state_view(own)
    picks = solara.use_reactive(dict(view["policy"]))
    joins = solara.use_reactive({k: bool(v) for k, v in view["coalitions"].items()})
    message = solara.use_reactive("")
    error = solara.use_reactive("")

    def submit() -> None:
        try:
            choices = dict(picks.value)
            coalitions = dict(joins.value) if room.model.cyber is not None else None
            room.submit(token, choices, coalitions, state=own)
        except (SessionError, PermissionError) as exc:
            error.set(str(exc))
            message.set("")
            return
        error.set("")
        message.set(f"Submitted for round {room.round + 1}.")

    solara.Markdown(f"## You are {own} — {view['name']}")
    solara.Text(f"Room {room.code} · Round {view['round']}", classes=["sovsim-round"])
    if view["ended"]:
        solara.Warning("The facilitator has ended the session; see the debrief on their screen.")
        debrief = room.debrief()
        row = debrief.states[debrief.states["who"] == own]
        solara.HTML(unsafe_innerHTML=_html_table(row, "sovsim-own-debrief"))
    else:
        with solara.Card("Your policy for the next round"):
            for key in CHOICE_KEYS:
                options = LOCALIZATION if key == "localization" else ECOSYSTEMS[key]
                title = "Data localization" if key == "localization" else DOMAIN_LABELS[key]
                with solara.Column(gap="2px"):
                    solara.Text(title)
                    ToggleChoice(key, options, picks)
            if room.model.cyber is not None:
                for key, label in COALITIONS.items():
                    solara.Checkbox(
                        label=label,
                        value=joins.value[key],
                        on_value=lambda v, key=key: joins.set({**joins.value, key: v}),
                    )
            solara.Button("Submit for this round", on_click=submit, color="primary")
            if message.value:
                solara.Success(message.value, classes=["sovsim-submitted"])
            if error.value:
                solara.Error(error.value, classes=["sovsim-error"])
    current = pd.DataFrame(
        {
            "": [
                *(
                    "Data localization" if k == "localization" else DOMAIN_LABELS[k]
                    for k in CHOICE_KEYS
                ),
                *COALITIONS.values(),
            ],
            "now": [
                *(option_label(k, view["policy"][k]) for k in CHOICE_KEYS),
                *(
                    "n/a" if v is None else ("member" if v else "not a member")
                    for v in view["coalitions"].values()
                ),
            ],
        }
    )
    payoffs = pd.DataFrame(
        {"payoff": list(view["payoffs"]), "value": [round(v, 4) for v in view["payoffs"].values()]}
    )
    with solara.Row(gap="24px", style="flex-wrap: wrap"):
        with solara.Card("Your state now"):
            solara.HTML(unsafe_innerHTML=_html_table(current, "sovsim-current-policy"))
            if view["applied_round"]:
                solara.Text(
                    f"Your choices took effect in round {view['applied_round']}.",
                    classes=["sovsim-applied"],
                )
        with solara.Card("Your payoffs now"):
            solara.HTML(unsafe_innerHTML=_html_table(payoffs, "sovsim-payoffs"))


@solara.component
def DebriefView(room: Room) -> None:
    """Show the debrief: a table and bar chart per participant state, and the fragmentation."""
    version = use_room_version(room)
    debrief = room.debrief()

    def figure() -> Figure:
        fig = plot_debrief(debrief.states)
        plt.close(fig)
        return fig

    fig = solara.use_memo(figure, dependencies=[version, room.code])
    frag = debrief.internet.set_index("metric")
    start, now = frag.at["fragmentation", "start"], frag.at["fragmentation", "now"]
    rounds = f"{debrief.rounds} round" + ("" if debrief.rounds == 1 else "s")
    solara.Markdown(f"## Debrief after {rounds} ({debrief.steps} model steps)")
    solara.Text(
        f"Fragmentation: {start:.3f} at the start, {now:.3f} now ({now - start:+.3f}): "
        f"the share of potential digital exchange lost to incompatible ecosystems and data "
        f"restrictions.",
        classes=["sovsim-debrief-fragmentation"],
    )
    shown = debrief.states.copy()
    for column in shown.columns[4:]:
        shown[column] = shown[column].round(4)
    solara.HTML(unsafe_innerHTML=_html_table(shown, "sovsim-debrief"))
    solara.FigureMatplotlib(fig, format="png")
    internet = debrief.internet.copy()
    internet[["start", "now", "change"]] = internet[["start", "now", "change"]].round(4)
    solara.HTML(unsafe_innerHTML=_html_table(internet, "sovsim-debrief-internet"))


@solara.component
def FacilitatorView(room: Room, token: str) -> None:
    """Show the facilitator's view: room code, seats, next round, events, fragmentation."""
    version = use_room_version(room)
    error = solara.use_reactive("")
    sector = solara.use_reactive("energy")
    bloc = solara.use_reactive("cn")
    intensity = solara.use_reactive(40.0)
    level = solara.use_reactive(0.9)
    adequacy_state = solara.use_reactive(None)

    def act(fn: Any, *args: Any, **kwargs: Any) -> None:
        try:
            fn(token, *args, **kwargs)
        except (SessionError, PermissionError, ValueError) as exc:
            error.set(str(exc))
            return
        error.set("")

    def chart() -> Figure:
        fig = plot_session(room.model_table(), room.steps_per_round)
        plt.close(fig)
        return fig

    fig = solara.use_memo(chart, dependencies=[version, room.code])
    model_now = room.model.metrics["fragmentation"]
    start = float(room.model_table()["fragmentation"].iloc[0])
    solara.Markdown("Room code: participants open this page, choose *Join with a room code*")
    solara.HTML(unsafe_innerHTML=html.escape(room.code), classes=["sovsim-room-code"])
    solara.Text(
        f"Round {room.round} · scenario {room.scenario.name}, seed {room.seed} · "
        f"a round is {room.steps_per_round} model steps",
        classes=["sovsim-round"],
    )
    if error.value:
        solara.Error(error.value, classes=["sovsim-error"])
    if room.ended:
        DebriefView(room)
        return
    with solara.Row(gap="12px"):
        solara.Button("Next round", on_click=lambda: act(room.advance), color="primary")
        solara.Button("End and debrief", on_click=lambda: act(room.end), color="error")
    seats = room.seat_table()
    with solara.Card(f"Seats taken: {len(seats)}"):
        if seats.empty:
            solara.Text("Nobody has joined yet.")
        else:
            solara.HTML(unsafe_innerHTML=_html_table(seats, "sovsim-seats"))
    with solara.Row(gap="24px", style="flex-wrap: wrap"):
        with solara.Card("Fragmentation", style="min-width: 420px"):
            solara.Text(
                f"Fragmentation now {model_now:.3f} (start {start:.3f})",
                classes=["sovsim-fragmentation"],
            )
            solara.FigureMatplotlib(fig, format="png")
        with solara.Card("Events for the next round", style="min-width: 420px"):
            solara.Text("Attack wave: sector and attacking bloc")
            with solara.ToggleButtonsSingle(value=sector):
                for s in ("energy", "finance", "health"):
                    solara.Button(s, value=s)
            with solara.ToggleButtonsSingle(value=bloc):
                for b in ("cn", "us"):
                    solara.Button(BLOC_LABELS[b], value=b)
            solara.SliderFloat("Intensity (x attack rate)", value=intensity, min=1, max=100, step=1)
            solara.Button(
                "Launch attack wave",
                on_click=lambda: act(
                    room.inject,
                    "attack_wave",
                    sector=sector.value,
                    bloc=bloc.value,
                    intensity=float(intensity.value),
                    duration=room.steps_per_round,
                ),
            )
            solara.SliderFloat("Export-control level", value=level, min=0, max=1, step=0.05)
            solara.Button(
                "Impose export controls",
                on_click=lambda: act(room.inject, "export_controls", level=float(level.value)),
            )
            labels = {f"{c} — {room.names[c]}": c for c in room.states}
            solara.Select("State offered EU adequacy", values=list(labels), value=adequacy_state)
            solara.Button(
                "Offer adequacy",
                disabled=not adequacy_state.value,
                on_click=lambda: act(
                    room.inject,
                    "adequacy",
                    state=labels.get(adequacy_state.value or "", ""),
                    action="grant",
                ),
            )
    log = room.log_table().tail(12)
    with solara.Card("Session log (latest)"):
        solara.HTML(unsafe_innerHTML=_html_table(log, "sovsim-log"))


@solara.component
def Page() -> None:
    """Serve the participatory app: landing, facilitator and participant views (per connection)."""
    role = solara.use_reactive("")
    code = solara.use_reactive("")
    token = solara.use_reactive("")
    error = solara.use_reactive("")
    solara.Title("sovsim participatory")
    solara.Style(CSS)

    def open_room(scenario: str) -> None:
        try:
            room = ROOMS.create(scenario)
        except (SessionError, ValueError) as exc:
            error.set(str(exc))
            return
        error.set("")
        code.set(room.code)
        token.set(room.facilitator_token)
        role.set("facilitator")

    def join_room(typed: str) -> None:
        try:
            room = ROOMS.get(typed)
        except SessionError as exc:
            error.set(str(exc))
            return
        error.set("")
        code.set(room.code)
        role.set("participant")

    def take_state(state: str) -> None:
        try:
            token.set(ROOMS.join(code.value, state))
        except SessionError as exc:
            error.set(str(exc))
            return
        error.set("")

    def leave() -> None:
        role.set("")
        code.set("")
        token.set("")
        error.set("")

    room = None
    if role.value:
        try:
            room = ROOMS.get(code.value)
        except SessionError:
            room = None
    with solara.Column(style="padding: 16px; max-width: 1200px"):
        if role.value and room is None:
            solara.Warning(f"Room {code.value} is closed.")
            solara.Button("Back to the start", on_click=leave)
        elif role.value == "facilitator":
            FacilitatorView(room, token.value)
        elif role.value == "participant" and not token.value:
            PickState(room, take_state, error.value)
        elif role.value == "participant":
            ParticipantView(room, token.value)
        else:
            Landing(open_room, join_room, error.value)


page = Page
"""The module-level page ``solara run simulation.participatory`` serves (an alias of :func:`Page`)."""
