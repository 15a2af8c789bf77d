"""The Mesa model: who does what, in which order. The science lives in payoffs and metrics.

Story::

    from simulation import SovereigntyModel

    model = SovereigntyModel(rng=42)          # the 55-state default world, observed policies
    model.run(100)                            # 100 steps, or fewer if it converges first
    model.model_dataframe()                   # one row per step: fragmentation, bloc shares, ...
    model.agent_dataframe()                   # one row per state and step: policy and payoffs

Each step:

1. foreign policy (the cyber layer, :meth:`SovereigntyModel._foreign_policy`): scheduled shocks,
   patron diplomacy, cyberattacks with attribution and responses, intelligence-sharing and
   coalition revisions, the spread of GDPR-style rules and adequacy decisions; these change the
   conditions (hostility, threat, inducements, pressure, adequacy) under which payoffs are valued;
2. each state revises its policy with probability ``revision_rate`` (drawn from the model's
   ``rng``): it sees the utility of its 144 options against the current profile, minus switching
   costs, and chooses by the decision rule (states revise simultaneously);
3. the new profile is evaluated (payoffs of every state) and the metrics are computed;
4. the DataCollector records model and agent variables;
5. the model stops (``running = False``) when no state has changed policy for ``patience`` steps, or
   at ``max_steps``.
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import replace
from typing import Any

import mesa
import numpy as np
import pandas as pd

from simulation import cyber, metrics, payoffs
from simulation.agents import (
    DECISION_RULES,
    INITIAL_POLICIES,
    StateAgent,
    apply_overrides,
    initial_policies,
    logit_weights,
    resolve_overrides,
)
from simulation.parameters import check_value
from simulation.world import (
    DOMAINS,
    ECOSYSTEMS,
    LOCALIZATION,
    World,
    default_world,
    synthetic_world,
)

POLICY = ("align_5g", "align_semiconductors", "align_ai", "localization")
PAYOFFS = payoffs.COMPONENTS
AGENT_REPORTERS = {"policy": "policy", "payoffs": "payoffs"}
"""Agent reporters: two tuples per state and step (one call each keeps collection fast);
:meth:`SovereigntyModel.agent_dataframe` spreads them into ``POLICY`` and ``PAYOFFS`` columns."""


class Collector(mesa.DataCollector):
    """Mesa's DataCollector, filled in one pass from the model's metrics and arrays.

    The reporters are declared as usual (one model reporter per metric, the agent reporters
    :data:`AGENT_REPORTERS`), and the tables and ``get_*_dataframe`` methods are Mesa's. Mesa's
    ``collect`` calls each reporter and deep-copies its value, about a tenth of a millisecond a
    step for 55 states; every value here is an immutable float or array, so :meth:`collect`
    appends the model's values directly (``changed`` and :attr:`SovereigntyModel.metrics`) and,
    for the agents, keeps the step's policy arrays and payoff table in :attr:`agent_steps`. Mesa's
    per-agent records (a policy and a payoff tuple per state and step) are made from those when
    :meth:`get_agent_vars_dataframe` is called; :meth:`SovereigntyModel.agent_dataframe` reads the
    arrays directly.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.agent_steps: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []
        """Per collected step: ``(step, align, loc, payoff table)``, copies of the model's."""
        self._agent_ids: list[int] = []
        self._records_made = 0  # entries of agent_steps already turned into Mesa's records

    def collect(self, model: SovereigntyModel) -> None:
        """Record the model variables and, if agent reporters are set, every state's."""
        self._collection_steps.append(model.time)
        model_vars = self.model_vars
        model_vars["changed"].append(model.changed)
        for key, value in model.metrics.items():
            model_vars[key].append(value)
        if self.agent_reporters:
            if not self._agent_ids:
                self._agent_ids = [agent.unique_id for agent in model.states]
            # evaluation tables are never changed in place: keeping the reference is a copy
            self.agent_steps.append(
                (model.time, model.align.copy(), model.loc.copy(), model.evaluation.table)
            )

    def get_agent_vars_dataframe(self) -> pd.DataFrame:
        """Return Mesa's agent table (index ``Step, AgentID``; ``policy`` and ``payoffs`` tuples)."""
        for step, align, loc, table in self.agent_steps[self._records_made :]:
            self._agent_records[step] = [
                (step, agent_id, policy, tuple(values))
                for agent_id, policy, values in zip(
                    self._agent_ids, _policy_names(align, loc), table.T.tolist(), strict=True
                )
            ]
        self._records_made = len(self.agent_steps)
        return super().get_agent_vars_dataframe()


def _policy_names(align: np.ndarray, loc: np.ndarray) -> list[tuple[str, ...]]:
    """Return each state's policy as option names: ``(5G, semiconductors, AI, localization)``."""
    names = [ECOSYSTEMS[d] for d in DOMAINS]
    return [
        (names[0][a], names[1][b], names[2][c], LOCALIZATION[level])
        for a, b, c, level in zip(*align.T.tolist(), loc.tolist(), strict=True)
    ]


def _check_choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} {value!r}: allowed {', '.join(allowed)}")


class SovereigntyModel(mesa.Model):
    """States choosing technology blocs and data localization; the internet fragments or not.

    Parameters
    ----------
    world : {"default", "synthetic"} or World
        The 55-state default world, a synthetic one (``n_states``, ``world_seed``), or a prebuilt
        :class:`~simulation.world.World`.
    n_states, world_seed : int
        Size and seed of a synthetic world.
    initial_policy : {"observed", "neutral", "random"}
        Starting profile (see :func:`simulation.agents.initial_policies`).
    initial_overrides : dict or None
        Starting options for chosen states, e.g. ``{"IND": {"5g": "us", "localization": "open"}}``.
    decision_rule : {"logit", "best", "imitate"}
        How revising states choose (see :mod:`simulation.agents`).
    temperature : float
        Logit temperature, in utility units.
    revision_rate : float
        Share of states that revise each step, in [0, 1].
    switching_cost : float
        Cost of changing one domain's ecosystem or the localization level, in utility units.
    imitation_scale : float
        Utility difference at which an imitating state copies a better peer for sure.
    patience : int
        Steps without any policy change after which the model stops.
    max_steps : int
        Step limit.
    collect_agents : bool
        Record agent variables every step (turn off for large batches).
    cyber_layer : bool
        Run the cyber foreign-policy layer (:mod:`simulation.cyber`): attacks, attribution,
        intelligence sharing, norm coalitions, regulatory diffusion, patron diplomacy.
    shocks : list of dict or None
        Scheduled events, e.g. ``[{"step": 10, "kind": "attack_wave", "sector": "energy",
        "bloc": "cn", "intensity": 5, "duration": 3}]`` (see :data:`simulation.cyber.SHOCK_KINDS`).
    rng : int, numpy Generator or None
        The only source of randomness (Mesa's ``Model(rng=...)``).
    **params
        Any field of :class:`~simulation.payoffs.PayoffParams` (e.g. ``export_controls=0.9``) or
        of :class:`~simulation.cyber.CyberParams` (e.g. ``state_attack_rate=0.1``).
    """

    def __init__(
        self,
        world: str | World = "default",
        n_states: int = 200,
        world_seed: int = 0,
        initial_policy: str = "observed",
        initial_overrides: dict[str, dict[str, str]] | None = None,
        decision_rule: str = "logit",
        temperature: float = 0.02,
        revision_rate: float = 0.2,
        switching_cost: float = 0.02,
        imitation_scale: float = 0.1,
        patience: int = 10,
        max_steps: int = 200,
        collect_agents: bool = True,
        cyber_layer: bool = True,
        shocks: Any = None,
        rng: Any = None,
        **params: Any,
    ) -> None:
        known = payoffs.PayoffParams.names() + cyber.CyberParams.names()
        unknown = sorted(set(params) - set(known))
        if unknown:
            hint = difflib.get_close_matches(unknown[0], known, n=1)
            extra = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise TypeError(f"SovereigntyModel got an unknown parameter {unknown[0]!r}{extra}")
        _check_choice("initial_policy", initial_policy, INITIAL_POLICIES)
        _check_choice("decision_rule", decision_rule, DECISION_RULES)
        check_value("temperature", temperature)
        check_value("revision_rate", revision_rate)
        check_value("switching_cost", switching_cost)
        check_value("imitation_scale", imitation_scale)
        check_value("patience", patience)
        check_value("max_steps", max_steps)
        super().__init__(rng=rng)
        self.world = _build_world(world, n_states, world_seed)
        self.params = payoffs.PayoffParams(
            **{k: v for k, v in params.items() if k in payoffs.PayoffParams.names()}
        )
        self.cyber_params = cyber.CyberParams(
            **{k: v for k, v in params.items() if k in cyber.CyberParams.names()}
        )
        self.shocks = cyber.validate_shocks(shocks, self.world)
        needs_layer = [s.kind for s in self.shocks if s.kind != "export_controls"]
        if needs_layer and not cyber_layer:
            raise ValueError(f"shocks: {needs_layer[0]} needs the cyber layer (cyber_layer=True)")
        self.decision_rule = decision_rule
        self.temperature = float(temperature)
        self.revision_rate = float(revision_rate)
        self.switching_cost = float(switching_cost)
        self.imitation_scale = float(imitation_scale)
        self.patience = int(patience)
        self.max_steps = int(max_steps)
        self.stable_steps = 0
        self.changed = 0
        self.held: dict[int, dict[str, Any]] = {}

        self.align, self.loc = initial_policies(self.world, initial_policy, self.rng)
        apply_overrides(self.world, self.align, self.loc, initial_overrides)
        self.events: list[dict] = []
        self.cyber: cyber.CyberState | None = None
        self.view = self.world
        if cyber_layer:
            # The layer draws from a child stream of the model's seed sequence, so the core's
            # draws are the same whether or not the layer runs.
            self.cyber_rng = np.random.default_rng(self.rng.bit_generator.seed_seq.spawn(1)[0])
            self.cyber = cyber.initial_state(self.world, self.align, self.cyber_params)
            self.view = replace(self.world, adequate=self.cyber.adequate)
        self._update_terms()
        self.next_align, self.next_loc = self.align.copy(), self.loc.copy()
        self.states: list[StateAgent] = list(
            StateAgent.create_agents(self, self.world.n, list(range(self.world.n)))
        )
        self._evaluate()
        self.datacollector = Collector(
            model_reporters={
                "changed": "changed",
                **{k: (lambda m, k=k: m.metrics[k]) for k in self.metrics},
            },
            agent_reporters=AGENT_REPORTERS if collect_agents else None,
        )
        self.datacollector.collect(self)
        self.running = self.max_steps > 0

    def _update_terms(self) -> None:
        cond = None if self.cyber is None else self.cyber.conditions()
        self.terms = payoffs.terms(self.view, self.params, cond)

    def _evaluate(self) -> None:
        self.evaluation = payoffs.evaluate(self.view, self.align, self.loc, self.params, self.terms)
        self.metrics = metrics.summary(self.view, self.evaluation, self.params)
        if self.cyber is not None:
            self.metrics.update(cyber.summary(self.view, self.cyber))

    def step(self) -> None:
        """Advance one period: foreign policy, revise, evaluate, collect, check convergence."""
        start_align, start_loc = self.align.copy(), self.loc.copy()
        if self.cyber is not None:
            self._foreign_policy()
        else:  # without the layer only export-control shocks apply
            for shock in self.shocks:
                if shock.step == self.steps:
                    self.params = replace(self.params, export_controls=shock.params["level"])
                    self.events += cyber.apply_shock(self.world, None, shock, self.steps)[0]
                    self._update_terms()
                    self.evaluation = replace(self.evaluation, terms=self.terms)
        revising = np.flatnonzero(self.rng.random(self.world.n) < self.revision_rate)
        if self.held:
            revising = revising[~np.isin(revising, list(self.held))]
        if len(revising):
            if self.decision_rule != "imitate":
                values = payoffs.option_values(
                    self.view, self.evaluation, revising, self.params, self.switching_cost
                ).reshape(len(revising), -1)
                if self.decision_rule == "logit" and self.temperature > 0:
                    values = logit_weights(values, self.temperature)
                for row, i in enumerate(revising):
                    self.states[i].options = values[row]
            mesa.agent.AgentSet([self.states[i] for i in revising], random=self.random).shuffle_do(
                "revise"
            )
        moved = np.flatnonzero(
            (self.next_align != start_align).any(axis=1) | (self.next_loc != start_loc)
        )
        self.changed = len(moved)
        self.align[:], self.loc[:] = self.next_align, self.next_loc
        for i in moved:
            self.states[i].sync_policy()
        self._evaluate()
        self.datacollector.collect(self)
        self.stable_steps = 0 if self.changed else self.stable_steps + 1
        if self.stable_steps >= self.patience or self.steps >= self.max_steps:
            self.running = False

    def _foreign_policy(self) -> None:
        """Run the cyber layer's mechanisms for this step (see :mod:`simulation.cyber`)."""
        cs, cp, rng, step, view = (
            self.cyber,
            self.cyber_params,
            self.cyber_rng,
            self.steps,
            self.view,
        )
        g5_before, adequate_before = self.align[:, 0].copy(), cs.adequate.copy()
        events = self.events
        for shock in self.shocks:
            if shock.step == step:
                new_events, controls = cyber.apply_shock(view, cs, shock, step)
                events += new_events
                if controls is not None:
                    self.params = replace(self.params, export_controls=controls)
        events += cyber.patron_diplomacy(view, cs, self.align, cp, step)
        events += cyber.attacks(view, cs, self.align, cp, self.params.interop_weights, rng, step)
        events += cyber.revise_sharing(view, cs, self.align, cp, rng, step)
        events += cyber.revise_coalitions(view, cs, cp, rng, step)
        events += cyber.diffuse_rules(view, cs, self.align, self.loc, cp, rng, step)
        self._reapply_holds()
        self._update_terms()
        banned = np.flatnonzero(self.align[:, 0] != g5_before)  # vendor bans
        for i in banned:
            self.states[i].sync_policy()
        self.next_align[:] = self.align
        pairs_changed = bool((cs.adequate != adequate_before).any())
        if len(banned) or pairs_changed or self.decision_rule == "imitate":
            self.evaluation = payoffs.evaluate(view, self.align, self.loc, self.params, self.terms)
        else:  # same profile and adequacy pairs: only the terms changed
            self.evaluation = replace(self.evaluation, terms=self.terms)

    # -- steering (workshop app, participatory mode) ---------------------------------------------
    def set_policy(
        self,
        code: str,
        choices: dict[str, str],
        coalitions: dict[str, bool] | None = None,
        hold: bool = True,
    ) -> None:
        """Set a state's policy now, as a participant or facilitator does, and re-evaluate.

        Parameters
        ----------
        code : str
            The state's ISO3 code.
        choices : dict
            Options by domain and ``localization``, e.g. ``{"5g": "us", "localization": "open"}``;
            keys not given keep their current option.
        coalitions : dict, optional
            Membership of ``budapest`` and ``un_track`` (needs the cyber layer).
        hold : bool
            Keep this policy until released (:meth:`release`): the state no longer revises by
            the decision rule, and the cyber layer's vendor bans and coalition revisions do not
            override it.

        Raises
        ------
        ValueError
            Unknown state, domain, option or coalition (the message says what is allowed).
        """
        assignments = resolve_overrides({code: choices}, self.world.iso3.tolist(), "policy")
        coalitions = dict(coalitions or {})
        unknown = sorted(set(coalitions) - {"budapest", "un_track"})
        if unknown:
            raise ValueError(f"coalitions.{unknown[0]}: unknown; allowed budapest, un_track")
        if coalitions and self.cyber is None:
            raise ValueError("coalitions: membership needs the cyber layer (cyber_layer=True)")
        i = int(np.flatnonzero(self.world.iso3 == code)[0])
        options = {key: option for _, key, option in assignments}
        if hold:
            held = self.held.setdefault(i, {"options": {}, "coalitions": {}})
            held["options"].update(options)
            held["coalitions"].update(coalitions)
        self._impose(i, options, coalitions)
        self.next_align[i], self.next_loc[i] = self.align[i], self.loc[i]
        self.states[i].sync_policy()
        self._evaluate()

    def release(self, code: str) -> None:
        """Let a held state (see :meth:`set_policy`) revise by the decision rule again."""
        self.held.pop(int(np.flatnonzero(self.world.iso3 == code)[0]), None)

    def _impose(self, i: int, options: dict[str, int], coalitions: dict[str, bool]) -> None:
        for key, option in options.items():
            if key == "localization":
                self.loc[i] = option
            else:
                self.align[i, DOMAINS.index(key)] = option
        for name, member in coalitions.items():
            getattr(self.cyber, name)[i] = bool(member)

    def _reapply_holds(self) -> None:
        """Restore held states' policies after the cyber layer's mechanisms changed them."""
        for i, held in self.held.items():
            self._impose(i, held["options"], held["coalitions"])

    def inject(self, kind: str, **params: Any) -> None:
        """Schedule an event for the next step, e.g. ``inject("attack_wave", sector="energy", ...)``.

        The event is checked like a scenario's shocks (:func:`simulation.cyber.validate_shocks`);
        a bad one raises ``ValueError`` naming the key and what is allowed.
        """
        (shock,) = cyber.validate_shocks(
            [{"step": self.steps + 1, "kind": kind, **params}], self.world
        )
        if shock.kind != "export_controls" and self.cyber is None:
            raise ValueError(f"{kind}: needs the cyber layer (cyber_layer=True)")
        self.shocks.append(shock)

    def run(self, steps: int | None = None) -> SovereigntyModel:
        """Step until converged, at ``max_steps``, or after ``steps`` more steps; return self."""
        done = 0
        while self.running and (steps is None or done < steps):
            self.step()
            done += 1
        return self

    # -- results ---------------------------------------------------------------------------------
    def model_dataframe(self) -> pd.DataFrame:
        """Return model variables, one row per collected step, with a ``step`` column first."""
        df = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        df.insert(0, "step", np.arange(len(df)))
        return df

    def agent_dataframe(self) -> pd.DataFrame:
        """Return agent variables, one row per state and step.

        Columns: ``step, iso3, align_5g, align_semiconductors, align_ai, localization, trade,
        security, economy, sovereignty, utility``. Empty if ``collect_agents`` is off.
        """
        columns = ["step", "iso3", *POLICY, *PAYOFFS]
        recorded = self.datacollector.agent_steps
        if not recorded:
            return pd.DataFrame(columns=columns)
        n = self.world.n
        steps, align, loc, tables = zip(*recorded, strict=True)
        align, loc = np.concatenate(align), np.concatenate(loc)
        payoff = np.concatenate(tables, axis=1)
        options = [
            np.array(ECOSYSTEMS[d], dtype=object)[align[:, k]] for k, d in enumerate(DOMAINS)
        ]
        return pd.DataFrame(
            {
                "step": np.repeat(np.asarray(steps, dtype=np.int64), n),
                "iso3": np.tile(np.array([s.iso3 for s in self.states], dtype=object), len(steps)),
                **dict(zip(POLICY[:3], options, strict=True)),
                "localization": np.array(LOCALIZATION, dtype=object)[loc],
                **dict(zip(PAYOFFS, payoff, strict=True)),
            },
            columns=columns,
        )

    def event_dataframe(self) -> pd.DataFrame:
        """Return the event table: one row per event (attacks, responses, joins, shocks, ...).

        Columns: ``step, event, source, target, sector, attributed, response, damage``.
        """
        return pd.DataFrame(self.events, columns=list(cyber.EVENT_COLUMNS))

    def policy_table(self) -> pd.DataFrame:
        """Return the current policy and payoffs of every state, one row each."""
        rows = [(s.iso3, *s.policy, *s.payoffs) for s in self.states]
        return pd.DataFrame(rows, columns=["iso3", *POLICY, *PAYOFFS])


def _build_world(world: str | World, n_states: int, world_seed: int) -> World:
    if isinstance(world, World):
        return world
    if world == "default":
        return _default_world()
    if world == "synthetic":
        return synthetic_world(int(n_states), int(world_seed))
    raise ValueError(f"world {world!r}: allowed 'default', 'synthetic' or a World")


@functools.cache
def _default_world() -> World:
    """Return the default world, built once per process (it is never modified)."""
    return default_world()
