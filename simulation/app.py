"""The workshop app: one facilitator steers a sovsim model in the browser (``sovsim app``).

``sovsim app`` serves :data:`page` with Solara (``solara run simulation.app``). A facilitator picks
a scenario, sets the policy levers with sliders that say what they mean, presses **Reset** to build
the model, then **Step** or **Play**; the page shows the world map per technology domain, live
plots of fragmentation, mean security and mean trade, text monitors, and an event feed in plain
sentences, newest first. Buttons inject events for the next step through
:meth:`~simulation.model.SovereigntyModel.inject`: an attack wave on a sector, export controls, an
EU adequacy offer, a patron's offer.

Each browser tab gets its own model. As in Mesa's SolaraViz, slider and scenario changes apply on
**Reset** (the page lists what is pending). The page is built from Solara components and Mesa's
model API; Mesa's own ``ModelController`` is not used because on reset it passes a ``scenario=``
keyword to models that take ``**kwargs``, which :class:`~simulation.model.SovereigntyModel`
rightly rejects.

The app only orchestrates and displays: the pure functions here turn parameter metadata into
slider specifications, scenarios and slider values into model arguments, and model state into a
:class:`Snapshot` of what the page shows and into readable sentences; every number comes from the
model, :mod:`simulation.scenarios` or :mod:`simulation.plotting`.
"""

from __future__ import annotations

import math
import os
import re
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import solara
from matplotlib.figure import Figure

from simulation import assets, cyber, payoffs, plotting, scenarios
from simulation.model import SovereigntyModel
from simulation.parameters import PARAMETERS
from simulation.world import DOMAINS, World

SCENARIO_ENV = "SOVSIM_SCENARIO"
"""Environment variable that names the scenario the app starts with (set by ``sovsim app``)."""

DEFAULT_SCENARIO = "baseline"
"""Scenario the app starts with when :data:`SCENARIO_ENV` is not set."""

LIVE_METRICS: tuple[str, ...] = ("fragmentation", "mean_security", "mean_trade")
"""Model metrics drawn in the live plots and shown as monitors."""

FEED_LENGTH = 12
"""Events shown in the feed (the newest)."""

MAP_LAYERS: tuple[str, ...] = plotting.MAP_LAYERS
"""Layers of the world map: one per technology domain, and data localization."""

LAYER_LABELS: dict[str, str] = {
    "5g": "5G",
    "semiconductors": "Semiconductors",
    "ai": "AI",
    "localization": "Localization",
}
"""Name of each map layer on the page."""

LEVERS: tuple[str, ...] = tuple(
    name
    for name, info in PARAMETERS.items()
    if info.kind == "lever" and name in payoffs.PayoffParams.names() + cyber.CyberParams.names()
)
"""The policy levers (parameter kind ``lever``) that the sliders set."""

_PAYOFF_DEFAULTS = payoffs.PayoffParams()
_CYBER_DEFAULTS = cyber.CyberParams()

PARTY_NAMES: dict[str, str] = {
    "us": "the US-led bloc",
    "cn": "the China-led bloc",
    "eu": "the EU",
    "EU": "the EU",
    "criminal": "criminals",
}
"""How event sources and targets that are not states read in a sentence."""

COALITION_NAMES: dict[str, str] = {
    "budapest": "the Budapest Convention",
    "un_track": "the UN-track coalition",
}

RESPONSES: dict[str, str] = {
    "vendor_ban": "banned the attacker bloc's vendors from its 5G network",
    "sanctions": "imposed sanctions",
    "public_blame": "blamed the attacker publicly",
    "distrust": "grew more distrustful of rival blocs",
    "prosecution": "prosecuted",
}
"""How a victim's response to an attack reads in a sentence."""


# --- sliders -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SliderSpec:
    """A self-explaining slider for one lever: label with unit, a one-line meaning, a range."""

    name: str
    label: str
    description: str
    unit: str
    low: float
    high: float
    step: float
    value: float
    integer: bool


def plain_text(text: str) -> str:
    """Return parameter-table text without Markdown: a leading ``$symbol$:`` goes, code marks go.

    Parameters
    ----------
    text : str
        A ``meaning`` from :data:`simulation.parameters.PARAMETERS`.

    Returns
    -------
    str
        The text as a sentence fragment for the page, e.g. ``"$x$: strictness of ..."`` becomes
        ``"strictness of ..."``.
    """
    text = re.sub(r"^\$[^$]*\$\s*:\s*", "", text.strip())
    text = re.sub(r"\$([^$]*)\$", r"\1", text)
    return text.replace("`", "").replace("\\", "")


def lever_default(name: str) -> float:
    """Return the model's default value of a lever (from ``PayoffParams`` or ``CyberParams``)."""
    if name in payoffs.PayoffParams.names():
        return getattr(_PAYOFF_DEFAULTS, name)
    return getattr(_CYBER_DEFAULTS, name)


def _nice_step(span: float) -> float:
    """Return the power of ten at or below a hundredth of ``span`` (0.01 for a span of 1)."""
    return 10.0 ** math.floor(math.log10(span / 100)) if span > 0 else 0.01


def _upper(top: float, integer: bool) -> float:
    """Return ``top`` rounded up to a whole number, or to a half power of ten (2.4 -> 2.5)."""
    if integer:
        return float(math.ceil(top))
    unit = 10.0 ** math.floor(math.log10(top))
    return round(math.ceil(top / unit * 2 - 1e-9) / 2 * unit, 12)


def slider_spec(name: str, value: float | None = None, written: float | None = None) -> SliderSpec:
    """Return the slider of a lever, its range taken from the parameter table.

    A lever without an upper bound in the table (e.g. a cost ``>= 0``) gets a slider up to four
    times its default or twice the scenario's value, at least 1 (10 for whole numbers), rounded
    up; this is a display choice, not a model limit.

    Parameters
    ----------
    name : str
        A lever in :data:`LEVERS`.
    value : float, optional
        The slider's value; default the scenario's value, else the model's default.
    written : float, optional
        The value the scenario file gives the lever (default the model's default).

    Returns
    -------
    SliderSpec
    """
    if name not in LEVERS:
        raise ValueError(f"{name}: not a lever; allowed {', '.join(LEVERS)}")
    info = PARAMETERS[name]
    default = lever_default(name)
    written = default if written is None else written
    value = written if value is None else value
    integer = info.range.startswith("integer")
    low = float(info.low) if info.low is not None else 0.0
    if info.high is not None:
        high = float(info.high)
    else:
        high = _upper(max(4 * default, 2 * written, 10 if integer else 1), integer)
    step = 1.0 if integer else _nice_step(high - low)
    label = name.replace("_", " ").capitalize()
    return SliderSpec(
        name=name,
        label=f"{label} ({info.unit})",
        description=plain_text(info.meaning),
        unit=info.unit,
        low=low,
        high=high,
        step=step,
        value=int(value) if integer else float(value),
        integer=integer,
    )


def snap_to_step(value: float, spec: SliderSpec) -> float:
    """Return a slider's value rounded to its step (sliders report 0.5700000000000001)."""
    if spec.integer:
        return round(value)
    decimals = max(0, -math.floor(math.log10(spec.step)))
    return round(float(value), decimals)


# --- scenarios and models ------------------------------------------------------------------------


@dataclass(frozen=True)
class Setup:
    """What a model is built from: a scenario (name or file), a seed and lever values."""

    scenario: str
    seed: int
    levers: Mapping[str, float] = field(default_factory=dict)


def scenario_names() -> list[str]:
    """Return the names of the scenarios found (:func:`simulation.scenarios.list_scenarios`)."""
    return [name for name, _, _ in scenarios.list_scenarios()]


def scenario_question(name: str) -> str:
    """Return the question a named scenario asks (its opening comment), or ``""``."""
    return next((q for n, _, q in scenarios.list_scenarios() if n == name), "")


def scenario_setup(name: str, seed: int | None = None) -> Setup:
    """Return the setup of a scenario as written: its first seed and its lever values.

    Raises
    ------
    simulation.scenarios.ScenarioError
        If the scenario does not exist or is invalid (one line naming file and key).
    """
    scenario, _ = scenarios.load(name)
    seed = scenario.run.seeds[0] if seed is None else int(seed)
    kwargs = scenario.model_kwargs(seed)
    return Setup(name, seed, {k: kwargs[k] for k in LEVERS})


def initial_setup(environ: Mapping[str, str] | None = None) -> Setup:
    """Return the setup the app starts with: the scenario in ``$SOVSIM_SCENARIO``, else baseline."""
    environ = os.environ if environ is None else environ
    return scenario_setup(environ.get(SCENARIO_ENV) or DEFAULT_SCENARIO)


def model_kwargs(setup: Setup) -> dict[str, Any]:
    """Return the keyword arguments of :class:`SovereigntyModel` for a setup.

    The scenario's arguments for the seed, with the lever values replaced. Agent variables are
    not collected (the app shows the current policies only).
    """
    unknown = sorted(set(setup.levers) - set(LEVERS))
    if unknown:
        raise ValueError(f"{unknown[0]}: not a lever; allowed {', '.join(LEVERS)}")
    scenario, _ = scenarios.load(setup.scenario)
    kwargs = scenario.model_kwargs(setup.seed)
    kwargs.update(setup.levers)
    kwargs["collect_agents"] = False
    return kwargs


def build_model(setup: Setup) -> SovereigntyModel:
    """Return a new model for a setup."""
    return SovereigntyModel(**model_kwargs(setup))


def lever_values(model: SovereigntyModel) -> dict[str, float]:
    """Return the value of each lever in a running model (read from its parameters)."""
    out = {}
    for name in LEVERS:
        source = model.params if name in payoffs.PayoffParams.names() else model.cyber_params
        out[name] = getattr(source, name)
    return out


def _fmt(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.3g}"


def pending_changes(current: Setup, chosen: Setup) -> list[str]:
    """Return what Reset would change, one readable line per change (empty if nothing)."""
    out = []
    if chosen.scenario != current.scenario:
        out.append(f"scenario {current.scenario} → {chosen.scenario}")
    if chosen.seed != current.seed:
        out.append(f"seed {current.seed} → {chosen.seed}")
    for name in LEVERS:
        old, new = current.levers.get(name), chosen.levers.get(name)
        if new is not None and old is not None and not math.isclose(old, new, abs_tol=1e-12):
            out.append(f"{name.replace('_', ' ')} {_fmt(old)} → {_fmt(new)}")
    return out


# --- what the page shows -------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Snapshot:
    """What the page shows of a model at one moment, copied so that drawing needs no lock.

    Compared by identity: each step gives a new snapshot.
    """

    setup: Setup
    step: int
    max_steps: int
    running: bool
    stable_steps: int
    patience: int
    metrics: dict[str, float]
    series: pd.DataFrame
    policies: pd.DataFrame
    events: pd.DataFrame
    levers: dict[str, float]
    pending: list[str]
    names: dict[str, str]
    adequacy_candidates: list[str]
    states: list[str]
    cyber_layer: bool
    world: World
    generation: int = 0


def state_names(model: SovereigntyModel) -> dict[str, str]:
    """Return each state's name by code (the code itself when the world has no names)."""
    table = model.world.table
    if "name" not in table.columns:
        return {c: c for c in model.world.iso3.tolist()}
    return dict(zip(table["iso3"].astype(str), table["name"].astype(str), strict=True))


def describe_shock(shock: cyber.Shock, names: Mapping[str, str] | None = None) -> str:
    """Return a scheduled shock as a sentence, e.g. for the list of injected events."""
    names = names or {}
    p = shock.params
    if shock.kind == "attack_wave":
        targets = "all states" if p["targets"] == "all" else _join(p["targets"], names)
        return (
            f"step {shock.step}: an attack wave by {PARTY_NAMES[p['bloc']]} on the {p['sector']} "
            f"sector of {targets}, attack rate x{_fmt(p['intensity'])} for {p['duration']} steps"
        )
    if shock.kind == "export_controls":
        return f"step {shock.step}: US export controls on frontier chips set to {_fmt(p['level'])}"
    if shock.kind == "patron_offer":
        return (
            f"step {shock.step}: {PARTY_NAMES[p['patron']]} offers {_join(p['targets'], names)} "
            f"{_fmt(p['amount'])} utility units for {p['duration']} steps"
        )
    verb = "grants" if p["action"] == "grant" else "revokes"
    return f"step {shock.step}: the EU {verb} adequacy for {_name(p['state'], names)}"


def _name(code: str, names: Mapping[str, str]) -> str:
    return PARTY_NAMES.get(code) or names.get(code, code)


def _join(codes: Sequence[str], names: Mapping[str, str]) -> str:
    return ", ".join(_name(c, names) for c in codes)


def describe_event(event: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """Return one row of the event table as a sentence that starts with its step.

    Parameters
    ----------
    event : mapping
        A row of :meth:`SovereigntyModel.event_dataframe` (``step, event, source, target,
        sector, attributed, response, damage``).
    names : mapping, optional
        State name by code; codes are used where a name is missing.

    Returns
    -------
    str
    """
    names = names or {}
    kind = event["event"]
    src, dst = _name(str(event["source"]), names), _name(str(event["target"]), names)
    sector, response = event.get("sector") or "", event.get("response") or ""
    damage = float(event.get("damage") or 0.0)
    text: str
    if kind == "attack":
        how = RESPONSES.get(response, response)
        if event.get("attributed"):
            after = f"attributed to {src}; {dst} {how}"
        else:
            after = f"not attributed; {dst} {how}"
        text = f"a state-sponsored attack from {src} hit the {sector} sector of {dst} ({after})"
    elif kind == "crime":
        after = "the perpetrators were prosecuted" if event.get("attributed") else "unattributed"
        text = f"criminals hit the {sector} sector of {dst} ({after})"
    elif kind == "sharing_start":
        text = f"{src} and {dst} began sharing intelligence"
    elif kind == "sharing_end":
        text = f"{src} and {dst} stopped sharing intelligence"
    elif kind in ("coalition_join", "coalition_exit"):
        verb = "joined" if kind == "coalition_join" else "left"
        text = f"{src} {verb} {COALITION_NAMES.get(str(event['target']), dst)}"
    elif kind == "gdpr_adoption":
        text = f"{dst} adopted GDPR-style data-protection rules"
    elif kind == "adequacy_granted":
        text = f"the EU granted {dst} an adequacy decision (free data flows with the EEA)"
    elif kind == "adequacy_revoked":
        text = f"the EU revoked the adequacy decision for {dst}"
    elif kind == "patron_offer":
        text = f"{src} made {dst} an offer worth {response} utility units to use its technology"
    elif kind == "patron_pressure":
        text = f"{src} put pressure on {dst}, its client on the rival bloc's 5G"
    elif kind == "shock_attack_wave":
        targets = "all states" if event["target"] == "all" else str(event["target"])
        text = f"an attack wave by {src} on the {sector} sector of {targets} began ({response})"
    elif kind == "shock_export_controls":
        text = f"the US set export controls on frontier chips to {response}"
    else:
        text = " ".join(str(x) for x in (kind, src, dst, sector, response) if x)
    if damage > 0:
        text += f"; damage {damage:.3f} utility units"
    return f"Step {int(event['step'])}: {text[0].upper()}{text[1:]}."


def event_feed(
    events: pd.DataFrame, names: Mapping[str, str] | None = None, n: int = FEED_LENGTH
) -> list[str]:
    """Return the newest ``n`` events as sentences, newest first.

    Within a step, events are listed in reverse table order too.
    """
    rows = events.iloc[::-1].head(n)
    return [describe_event(row, names) for row in rows.to_dict("records")]


def status_text(snap: Snapshot) -> str:
    """Return whether the model runs, and why it stopped if it did."""
    if snap.running:
        return "running"
    if snap.step >= snap.max_steps:
        return f"finished: step limit {snap.max_steps} reached (press Reset to start again)"
    return f"converged: no state changed policy for {snap.patience} steps"


def monitors(snap: Snapshot) -> list[tuple[str, str]]:
    """Return the text monitors as ``(label, value)`` pairs; the page shows ``label: value``."""
    out = [
        ("Scenario", f"{snap.setup.scenario}, seed {snap.setup.seed}"),
        ("Step", f"{snap.step} of {snap.max_steps}"),
        ("Status", status_text(snap)),
    ]
    out += [(plotting.metric_label(m), f"{snap.metrics[m]:.3f}") for m in LIVE_METRICS]
    return out


def lever_monitors(snap: Snapshot) -> list[tuple[str, str]]:
    """Return the levers of the running model as ``(label, value)`` pairs, e.g. to check a Reset."""
    return [
        (f"Lever in the model: {name.replace('_', ' ')}", _fmt(value))
        for name, value in snap.levers.items()
    ]


def take_snapshot(model: SovereigntyModel, setup: Setup, generation: int = 0) -> Snapshot:
    """Copy what the page shows from a model (call it while no step is running).

    ``generation`` counts the resets of the session the model belongs to.
    """
    frame = model.model_dataframe()
    series = frame[["step", *LIVE_METRICS]].assign(scenario=setup.scenario)
    policies = model.policy_table().assign(step=model.steps, seed=setup.seed)
    cs = model.cyber
    candidates = []
    if cs is not None:
        candidates = [
            str(code)
            for code, eea, adequate in zip(
                model.world.iso3, model.world.eea, cs.adequate, strict=True
            )
            if not eea and not adequate
        ]
    return Snapshot(
        setup=setup,
        step=int(model.steps),
        max_steps=int(model.max_steps),
        running=bool(model.running),
        stable_steps=int(model.stable_steps),
        patience=int(model.patience),
        metrics={m: float(model.metrics[m]) for m in LIVE_METRICS},
        series=series,
        policies=policies,
        events=model.event_dataframe().tail(FEED_LENGTH).reset_index(drop=True),
        levers=lever_values(model),
        pending=[
            describe_shock(s, state_names(model))
            for s in sorted(model.shocks, key=lambda s: s.step)
            if s.step > model.steps
        ],
        names=state_names(model),
        adequacy_candidates=candidates,
        states=[str(c) for c in model.world.iso3],
        cyber_layer=cs is not None,
        world=model.world,
        generation=generation,
    )


class Session:
    """One browser tab's model, the setup it was built from, and a lock around both.

    The play loop steps the model in a worker thread while the page may inject events; every use
    of the model goes through the lock and returns a fresh :class:`Snapshot`.
    """

    def __init__(self, setup: Setup) -> None:
        self.lock = threading.Lock()
        self.setup = setup
        self.model = build_model(setup)
        self.generation = 0

    def _snapshot(self) -> Snapshot:
        return take_snapshot(self.model, self.setup, self.generation)

    def snapshot(self) -> Snapshot:
        """Return the current snapshot."""
        with self.lock:
            return self._snapshot()

    def reset(self, setup: Setup) -> Snapshot:
        """Build a new model from ``setup`` (the old one stays if building fails)."""
        model = build_model(setup)
        with self.lock:
            self.model, self.setup = model, setup
            self.generation += 1
            return self._snapshot()

    def step(self, steps: int = 1) -> Snapshot:
        """Advance the model ``steps`` steps, or fewer if it stops running."""
        with self.lock:
            for _ in range(steps):
                if not self.model.running:
                    break
                self.model.step()
            return self._snapshot()

    def inject(self, kind: str, **params: Any) -> Snapshot:
        """Schedule an event for the next step (``ValueError`` if it is not valid)."""
        with self.lock:
            self.model.inject(kind, **params)
            return self._snapshot()


# --- figures -------------------------------------------------------------------------------------


def live_figure(series: pd.DataFrame) -> Figure:
    """Return the live plots: one panel per metric of :data:`LIVE_METRICS` over the steps so far.

    Drawn with :func:`simulation.plotting.plot_timeseries` (one run, so the bands collapse onto
    the line and the legend is left out).
    """
    fig = Figure(figsize=(6.5, 6.2), layout="constrained")
    fig.get_layout_engine().set(rect=(0, 0.035, 1, 0.965))  # room for the source line
    axes = fig.subplots(len(LIVE_METRICS), 1, sharex=True)
    for ax, metric in zip(axes, LIVE_METRICS, strict=True):
        plotting.plot_timeseries(series, ax=ax, metrics=metric)
        if ax.get_legend() is not None:
            ax.get_legend().remove()
        ax.set_ylabel("")
        ax.set_title(plotting.metric_label(metric), fontsize=9, loc="left")
        ax.set_xlim(0, max(1, int(series["step"].max())))
        if ax is not axes[-1]:
            ax.set_xlabel("")
    return fig


def map_figure(policies: pd.DataFrame, layer: str, world: World | None = None) -> Figure:
    """Return the world map of one layer (a domain or ``"localization"``) of the current policies.

    Drawn with :func:`simulation.plotting.plot_world_map` from a one-step agents table such as
    :attr:`Snapshot.policies`; ``world`` places the tiles of a synthetic world.
    """
    fig = Figure(figsize=(7.0, 4.6), layout="constrained")
    fig.get_layout_engine().set(rect=(0, 0.035, 1, 0.965))  # room for the source line
    plotting.plot_world_map(policies, ax=fig.subplots(), layer=layer, world=world)
    return fig


# --- the page ------------------------------------------------------------------------------------

if assets.missing():  # the page would stay blank in a browser without internet
    print(
        f"sovsim app: Solara's offline assets are missing ({', '.join(assets.missing())}); "
        f"run `{assets.PREPARE_COMMAND}`",
        file=sys.stderr,
    )

MONITOR_CLASS = "sovsim-monitor"
DPI = 80
"""Resolution of the map and plots on the page (lower redraws faster while playing)."""
EVENT_CLASS = "sovsim-event"
FEED_STYLE = {"display": "block", "font-size": "0.85em", "margin-bottom": "0.4em"}


@solara.component
def LeverSliders(chosen: solara.Reactive[Setup], scenario_levers: Mapping[str, float]) -> None:
    """Sliders for the levers, each with its unit, its meaning and the scenario's value."""
    for name in LEVERS:
        spec = slider_spec(name, chosen.value.levers.get(name), scenario_levers.get(name))

        def set_value(value: float, spec: SliderSpec = spec) -> None:
            levers = {**chosen.value.levers, spec.name: snap_to_step(value, spec)}
            chosen.set(Setup(chosen.value.scenario, chosen.value.seed, levers))

        with solara.Column(gap="0px", classes=[f"sovsim-lever-{name}"]):
            slider = solara.SliderInt if spec.integer else solara.SliderFloat
            slider(
                f"{spec.label}: {_fmt(spec.value)}",
                value=spec.value,
                min=spec.low,
                max=spec.high,
                step=spec.step,
                on_value=set_value,
                thumb_label=True,
            )
            written = scenario_levers.get(name)
            solara.Text(
                f"{spec.description}. Scenario value {_fmt(written)}."
                if written is not None
                else spec.description,
                style={"font-size": "0.8em", "color": "#555"},
            )


@solara.component
def InjectPanel(session: Session, snap: solara.Reactive[Snapshot]) -> None:
    """Buttons that schedule events for the next step, with their settings."""
    sector = solara.use_reactive(cyber.SECTORS[0])
    bloc = solara.use_reactive("cn")
    intensity = solara.use_reactive(20)
    duration = solara.use_reactive(5)
    level = solara.use_reactive(0.9)
    state = solara.use_reactive("")
    patron = solara.use_reactive("cn")
    offer_to = solara.use_reactive("")
    amount = solara.use_reactive(0.1)
    error = solara.use_reactive("")
    s = snap.value
    disabled = not s.running

    def inject(kind: str, **params: Any) -> None:
        try:
            snap.set(session.inject(kind, **params))
            error.set("")
        except ValueError as exc:
            error.set(str(exc))

    def label(code: str) -> str:
        return f"{s.names.get(code, code)} ({code})"

    candidates = s.adequacy_candidates
    adequacy_state = state.value if state.value in candidates else (candidates or [""])[0]
    target = offer_to.value if offer_to.value in s.states else s.states[0]

    with solara.Card("Inject an event"):
        solara.Text("An injected event happens at the next step.")
        if not s.cyber_layer:
            solara.Text("This scenario runs without the cyber layer: only export controls apply.")
        with solara.Row():
            solara.Select("Sector", values=list(cyber.SECTORS), value=sector)
            solara.Select("Attacking bloc", values=list(cyber.ATTACKER_BLOCS), value=bloc)
        solara.SliderInt(
            f"Intensity: attack rate x{intensity.value}",
            value=intensity,
            min=1,
            max=50,
            thumb_label=True,
        )
        solara.SliderInt(
            f"Duration: {duration.value} steps", value=duration, min=1, max=20, thumb_label=True
        )
        solara.Button(
            "Launch attack wave",
            color="error",
            disabled=disabled or not s.cyber_layer,
            on_click=lambda: inject(
                "attack_wave",
                sector=sector.value,
                bloc=bloc.value,
                intensity=float(intensity.value),
                duration=int(duration.value),
            ),
        )
        solara.SliderFloat(
            f"Export-control level (0 none, 1 full denial): {level.value:g}",
            value=level,
            min=0,
            max=1,
            step=0.05,
            thumb_label=True,
        )
        solara.Button(
            "Set export controls",
            color="primary",
            disabled=disabled,
            on_click=lambda: inject("export_controls", level=round(float(level.value), 4)),
        )
        solara.Select(
            "EU adequacy offer to",
            values=[label(c) for c in candidates],
            value=label(adequacy_state) if adequacy_state else None,
            on_value=lambda v: state.set(v.rsplit("(", 1)[-1].rstrip(")")),
        )
        solara.Button(
            "Offer adequacy",
            color="primary",
            disabled=disabled or not candidates or not s.cyber_layer,
            on_click=lambda: inject("adequacy", state=adequacy_state, action="grant"),
        )
        with solara.Row():
            solara.Select("Patron", values=list(cyber.ATTACKER_BLOCS), value=patron)
            solara.Select(
                "Offer to",
                values=[label(c) for c in s.states],
                value=label(target),
                on_value=lambda v: offer_to.set(v.rsplit("(", 1)[-1].rstrip(")")),
            )
        solara.SliderFloat(
            f"Offer amount: {amount.value:g} utility units",
            value=amount,
            min=0.0,
            max=0.5,
            step=0.01,
            thumb_label=True,
        )
        solara.Button(
            "Make patron offer",
            color="primary",
            disabled=disabled or not s.cyber_layer,
            on_click=lambda: inject(
                "patron_offer",
                patron=patron.value,
                targets=[target],
                amount=round(float(amount.value), 4),
                duration=int(duration.value),
            ),
        )
        if error.value:
            solara.Error(error.value)
        if s.pending:
            solara.Text("Scheduled events (the scenario's own and injected ones):")
            for line in s.pending:
                solara.Text(line, classes=["sovsim-pending"], style={"display": "block"})


@solara.component
def Page() -> None:
    """Show the workshop page: controls and levers in the sidebar; monitors, map, plots, feed."""
    first = solara.use_memo(initial_setup, [])
    session = solara.use_memo(lambda: Session(first), [])
    snap = solara.use_reactive(solara.use_memo(session.snapshot, []))
    chosen = solara.use_reactive(first)
    playing = solara.use_reactive(False)
    delay = solara.use_reactive(0.2)
    steps_per_update = solara.use_reactive(1)
    layer = solara.use_reactive(DOMAINS[0])
    error = solara.use_reactive("")
    names = solara.use_memo(scenario_names, [])
    if first.scenario not in names:
        names = [*names, first.scenario]
    s = snap.value
    scenario_levers = solara.use_memo(
        lambda: dict(scenario_setup(chosen.value.scenario).levers), [chosen.value.scenario]
    )

    def play_loop() -> None:
        while playing.value:
            time.sleep(delay.value)
            if not playing.value:
                break
            new = session.step(steps_per_update.value)
            if new.generation != session.generation:
                break  # reset while this step ran: the page shows the new model already
            snap.set(new)
            if not new.running:
                playing.set(False)

    solara.lab.use_task(play_loop, dependencies=[playing.value], prefer_threaded=True)

    def reset() -> None:
        playing.set(False)
        try:
            snap.set(session.reset(chosen.value))
            error.set("")
        except (ValueError, TypeError) as exc:
            error.set(f"cannot build the model: {exc}")

    def choose_scenario(name: str) -> None:
        try:
            chosen.set(scenario_setup(name))
            error.set("")
        except scenarios.ScenarioError as exc:
            error.set(str(exc))

    def set_seed(value: int) -> None:
        chosen.set(Setup(chosen.value.scenario, int(value), chosen.value.levers))

    solara.Title("sovsim workshop")
    with solara.AppBar():
        solara.AppBarTitle("sovsim: digital sovereignty workshop")

    with solara.Sidebar():
        with solara.Card("Controls"):
            with solara.Row():
                solara.Button("Reset", color="primary", on_click=reset)
                solara.Button(
                    "Pause" if playing.value else "Play",
                    color="primary",
                    disabled=not s.running,
                    on_click=lambda: playing.set(not playing.value),
                )
                solara.Button(
                    "Step",
                    color="primary",
                    disabled=playing.value or not s.running,
                    on_click=lambda: snap.set(session.step()),
                )
            solara.SliderFloat(
                f"Play: pause between updates: {delay.value:g} s",
                value=delay,
                min=0.0,
                max=2.0,
                step=0.1,
                thumb_label=True,
            )
            solara.SliderInt(
                f"Play: {steps_per_update.value} step(s) per update (more is faster)",
                value=steps_per_update,
                min=1,
                max=10,
                thumb_label=True,
            )
            if error.value:
                solara.Error(error.value)
            pending = pending_changes(s.setup, chosen.value)
            if pending:
                solara.Warning("Press Reset to apply: " + "; ".join(pending))
        with solara.Card("Scenario"):
            solara.Select(
                "Scenario", values=names, value=chosen.value.scenario, on_value=choose_scenario
            )
            question = scenario_question(chosen.value.scenario)
            if question:
                solara.Text(question, style={"font-size": "0.85em"})
            solara.InputInt("Seed", value=chosen.value.seed, on_value=set_seed)
        with solara.Card("Policy levers (apply on Reset)"):
            LeverSliders(chosen, scenario_levers)

    with solara.Row(style={"flex-wrap": "wrap", "column-gap": "2em", "row-gap": "0"}):
        for label, value in monitors(s):
            solara.Text(f"{label}: {value}", classes=[MONITOR_CLASS], style={"font-weight": "500"})
    with solara.Row(style={"flex-wrap": "wrap", "column-gap": "1.5em", "row-gap": "0"}):
        for label, value in lever_monitors(s):
            solara.Text(
                f"{label}: {value}",
                classes=[MONITOR_CLASS],
                style={"font-size": "0.8em", "color": "#555"},
            )
    with solara.Columns([3, 2]):
        with solara.Column():
            with solara.Card("World map"):
                solara.ToggleButtonsSingle(
                    value=layer,
                    children=[solara.Button(LAYER_LABELS[x], value=x) for x in MAP_LAYERS],
                )
                fig = solara.use_memo(
                    lambda: map_figure(s.policies, layer.value, s.world), [s, layer.value]
                )
                solara.FigureMatplotlib(fig, dependencies=[s, layer.value], format="png", dpi=DPI)
            with solara.Card("Fragmentation, security and trade"):
                live = solara.use_memo(lambda: live_figure(s.series), [s])
                solara.FigureMatplotlib(live, dependencies=[s], format="png", dpi=DPI)
        with solara.Column():
            with solara.Card("Event feed (newest first)"):
                feed = event_feed(s.events, s.names)
                if not feed:
                    solara.Text(
                        "No events yet: press Step or Play.",
                        classes=[EVENT_CLASS],
                        style=FEED_STYLE,
                    )
                for line in feed:
                    solara.Text(line, classes=[EVENT_CLASS], style=FEED_STYLE)
            InjectPanel(session, snap)


page = Page
"""What ``solara run simulation.app`` serves."""
