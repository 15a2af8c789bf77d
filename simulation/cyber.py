"""Cyber foreign policy: attacks, attribution, intelligence sharing, norm coalitions, diffusion.

The core gives states blocs and localization; this layer gives them a foreign policy. Its state is
a :class:`CyberState` (hostility, perceived threat, the intelligence-sharing network, coalition
memberships, GDPR-style rules and adequacy decisions, patron inducements and pressure), and each
mechanism is a function that takes that state, the world, the current profile, the parameters and
a random generator, updates the state and returns the events it produced. The model calls them in
the order of :meth:`simulation.model.SovereigntyModel._foreign_policy`; ``docs/ODD.md`` gives
every formula.

Events are dicts with the columns of :data:`EVENT_COLUMNS`; the model collects them into a tidy
event table.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any

import numba
import numpy as np

from simulation.parameters import check_value
from simulation.payoffs import COLUMN_STARTS, Conditions, one_hot
from simulation.world import (
    BLOCS,
    DOMAINS,
    ECOSYSTEMS,
    LOCALIZATION,
    World,
    share_matrix,
)

SECTORS: tuple[str, ...] = ("energy", "finance", "health")
"""Critical sectors that attacks hit."""

_INCIDENT_KEYS = tuple(f"incidents_{s}" for s in SECTORS)
_DAMAGE_KEYS = tuple(f"damage_{s}" for s in SECTORS)
_STRICT = LOCALIZATION.index("strict")
_AI, _AI_CN = DOMAINS.index("ai"), ECOSYSTEMS["ai"].index("cn")

ATTACKER_BLOCS: tuple[str, ...] = ("us", "cn")
"""Blocs whose members mount state-sponsored attacks (the EU regime has no attack role)."""

EVENT_COLUMNS: tuple[str, ...] = (
    "step",
    "event",
    "source",
    "target",
    "sector",
    "attributed",
    "response",
    "damage",
)
"""Columns of the event table."""

SHOCK_KINDS: dict[str, dict[str, Any]] = {
    "attack_wave": {
        "sector": SECTORS,
        "bloc": ATTACKER_BLOCS,
        "intensity": (0.0, 1000.0),
        "duration": (1, 10_000),
        "targets": "all or a list of state codes",
    },
    "export_controls": {"level": (0.0, 1.0)},
    "patron_offer": {
        "patron": ATTACKER_BLOCS,
        "targets": "a list of state codes",
        "amount": (0.0, 10.0),
        "duration": (1, 10_000),
    },
    "adequacy": {"state": "a state code", "action": ("grant", "revoke")},
}
"""Kinds of scheduled shock and their fields: allowed values or ``(low, high)`` ranges."""


@dataclass(frozen=True)
class CyberParams:
    """Parameters of the cyber layer; units, ranges and sources are in ``docs/ODD.md``."""

    state_attack_rate: float = 0.05
    exposure_floor: float = 0.2
    capacity_shield: float = 0.5
    criminal_attack_rate: float = 0.02
    sector_weights: tuple[float, float, float] = (0.35, 0.4, 0.25)
    sector_damage: tuple[float, float, float] = (0.06, 0.05, 0.04)
    capacity_defense: float = 0.6
    cooperation_defense: float = 0.3
    attribution_base: float = 0.1
    attribution_capacity: float = 0.3
    attribution_sharing: float = 0.3
    attribution_coalition: float = 0.4
    hostility_shock: float = 0.15
    partner_spillover: float = 0.3
    distrust_shock: float = 0.02
    hostility_recovery: float = 0.02
    threat_weight: float = 20.0
    threat_decay: float = 0.9
    vendor_ban_damage: float = 0.04
    sanction_hostility: float = 0.7
    sharing_revision: float = 0.1
    sharing_ties: float = 1.0
    sharing_ecosystem: float = 0.3
    sharing_trust: float = 0.3
    sharing_cost: float = 0.6
    coalition_revision: float = 0.05
    coalition_cooperation: float = 0.2
    coalition_patron: float = 0.3
    coalition_sovereignty_cost: float = 0.3
    coalition_cost: float = 0.08
    un_track_sovereignty_discount: float = 0.7
    coalition_margin: float = 0.02
    brussels_rate: float = 0.05
    adequacy_rate: float = 0.03
    patron_targets: int = 1
    inducement: float = 0.05
    inducement_duration: int = 10
    pressure: float = 0.05

    def __post_init__(self) -> None:
        """Check every value against its documented range; messages start with the name."""
        for name in ("sector_weights", "sector_damage"):
            value = getattr(self, name)
            if not isinstance(value, tuple) or len(value) != len(SECTORS):
                raise ValueError(
                    f"{name}: {value!r}; allowed {len(SECTORS)} numbers (energy, finance, health)"
                )
        for name in ("patron_targets", "inducement_duration"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise ValueError(f"{name}: {value!r}; allowed a whole number")
        for f in fields(self):
            check_value(f.name, getattr(self, f.name))

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Return the parameter names."""
        return tuple(f.name for f in fields(cls))


@dataclass
class Wave:
    """An active attack wave: state-sponsored attacks from ``bloc`` on ``sector`` multiplied."""

    sector: int
    bloc: int
    intensity: float
    until: int
    targets: np.ndarray


@dataclass
class CyberState:
    """The cyber layer's state variables (arrays indexed by state).

    Attributes
    ----------
    baseline_hostility : numpy.ndarray
        ``(N, 3)`` hostility the state returns to without new attacks (the world's).
    hostility : numpy.ndarray
        ``(N, 3)`` current hostility toward each bloc.
    threat : numpy.ndarray
        ``(N,)`` perceived threat: decaying sum of damage suffered, times ``threat_weight``.
    sharing : numpy.ndarray
        ``(N, N)`` symmetric boolean intelligence-sharing partnerships.
    budapest, un_track : numpy.ndarray
        Membership of the Budapest Convention and of the rival UN-track coalition.
    gdpr_style : numpy.ndarray
        Has GDPR-style data-protection rules (a precondition of adequacy).
    adequate : numpy.ndarray
        Holds an EU adequacy decision (EEA members count as adequate).
    subsidy, subsidy_until : numpy.ndarray
        ``(N, 3)`` patron inducement per unit of that bloc's technology, and the step it ends.
    pressure : numpy.ndarray
        ``(N, 3)`` security cost a patron attaches to using a bloc's technology.
    waves : list of Wave
        Active attack waves.
    step_stats : dict
        Counts of the last step (incidents and damage per sector, attributions).
    cache : _Fixed or None
        What the mechanisms derive from the world and the parameters alone, kept between steps
        (see :func:`_fixed`); not a state variable.
    """

    baseline_hostility: np.ndarray
    hostility: np.ndarray
    threat: np.ndarray
    sharing: np.ndarray
    budapest: np.ndarray
    un_track: np.ndarray
    gdpr_style: np.ndarray
    adequate: np.ndarray
    subsidy: np.ndarray
    subsidy_until: np.ndarray
    pressure: np.ndarray
    waves: list[Wave] = field(default_factory=list)
    step_stats: dict[str, float] = field(default_factory=dict)
    cache: _Fixed | None = field(default=None, repr=False, compare=False)

    def conditions(self) -> Conditions:
        """Return the payoff conditions this state implies."""
        return Conditions(
            hostility=self.hostility,
            threat=self.threat,
            subsidy=self.subsidy,
            pressure=self.pressure,
        )


class _Fixed:
    """What the mechanisms derive from the world and the parameters alone, computed on first use.

    Neither changes within a run (the world's own cached properties assume as much), so a model
    computes these once instead of every step. :func:`_fixed` keeps one on the
    :class:`CyberState` and builds a new one when a mechanism is called with another world or
    other parameters. ``cp`` is ``None`` when only world quantities are needed.
    """

    def __init__(self, world: World, cp: CyberParams | None) -> None:
        self.world, self.cp = world, cp
        self._exposure: dict[tuple[str, bytes], np.ndarray] = {}
        self._attacker_p: dict[int, np.ndarray] = {}

    # -- from the world
    @functools.cached_property
    def codes(self) -> list[str]:
        """State codes as Python strings (event sources and targets)."""
        return self.world.iso3.tolist()

    @functools.cached_property
    def not_camp(self) -> np.ndarray:
        """``(N, 3)``: the state is outside the bloc's camp."""
        return ~self.world.camp

    @functools.cached_property
    def dependence(self) -> np.ndarray:
        """:func:`eu_dependence` of the world."""
        return eu_dependence(self.world)

    @functools.cached_property
    def courted(self) -> tuple[list[int], ...]:
        """Per attacking bloc: swing states other than the bloc's patron, largest GDP first."""
        w = self.world
        return tuple(
            [i for i in w.by_size.tolist() if w.swing[i] and i != w.patrons[bloc]]
            for bloc in ATTACKER_BLOCS
        )

    @functools.cached_property
    def courted_rows(self) -> np.ndarray:
        """:attr:`courted` as a ``(2, L)`` array padded with -1."""
        width = max(1, *(len(c) for c in self.courted))
        return np.array([c + [-1] * (width - len(c)) for c in self.courted], dtype=np.int64)

    def exposure_matrix(self, domain_weight: np.ndarray) -> np.ndarray:
        """Return :func:`_exposure_matrix` for these domain weights (kept per weights)."""
        key = (domain_weight.dtype.str, domain_weight.tobytes())
        matrix = self._exposure.get(key)
        if matrix is None:
            matrix = self._exposure[key] = _exposure_matrix(domain_weight)
        return matrix

    def attacker_p(self, bloc: int) -> np.ndarray:
        """Return the probability of each state being the attacker for ``bloc`` (see _attacker)."""
        p = self._attacker_p.get(bloc)
        if p is None:
            w = self.world
            weight = np.where(w.camp[:, bloc], w.affinity[:, bloc] * w.capacity, 0.0)
            p = self._attacker_p[bloc] = weight / weight.sum()
        return p

    # -- from the world and the parameters
    @functools.cached_property
    def weak(self) -> np.ndarray:
        """``(N, 1)``: share of attacks the capacity shield lets through, ``1 - shield capacity``."""
        return (1.0 - self.cp.capacity_shield * self.world.capacity)[:, None]

    @functools.cached_property
    def exposed(self) -> np.ndarray:
        """``(N, 2)``: outside the attacking bloc's camp (0/1) times ``1 - shield capacity``."""
        return self.not_camp[:, :2] * self.weak

    @functools.cached_property
    def sector_weights(self) -> np.ndarray:
        """Sector weights as an array."""
        return np.asarray(self.cp.sector_weights)

    @functools.cached_property
    def criminal_rates(self) -> np.ndarray:
        """``(N, 3)`` expected criminal incidents (read-only: they never change)."""
        rates = self.cp.criminal_attack_rate * self.weak * self.sector_weights[None, :]
        rates.flags.writeable = False
        return rates

    @functools.cached_property
    def sector_damage_list(self) -> list[float]:
        """Damage per incident by sector before relief, as Python floats."""
        return [float(x) for x in self.cp.sector_damage]

    @functools.cached_property
    def coalition_terms(self) -> tuple[np.ndarray, ...]:
        """Fixed terms of :func:`coalition_values`: gain, patron and sovereignty per coalition."""
        cp, w = self.cp, self.world
        aff = w.affinity
        return (
            cp.coalition_cooperation * (2.0 - w.capacity),
            cp.coalition_patron * (aff[:, 0] - aff[:, 1]),
            cp.coalition_sovereignty_cost * w.data_pref,
            cp.coalition_patron * (aff[:, 1] - aff[:, 0]),
            cp.coalition_sovereignty_cost * (1 - cp.un_track_sovereignty_discount) * w.data_pref,
        )

    @functools.cached_property
    def diffusion_p(self) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities of adopting GDPR-style rules and of an adequacy grant."""
        return self.cp.brussels_rate * self.dependence, self.cp.adequacy_rate * self.dependence

    @functools.cached_property
    def inducement_text(self) -> str:
        """The inducement as written in offer events."""
        return f"{self.cp.inducement:g}"


def _fixed(world: World, cs: CyberState, cp: CyberParams | None = None) -> _Fixed:
    """Return the state's :class:`_Fixed` for this world and these parameters (build if needed).

    ``cp=None`` asks for world quantities only and accepts whatever parameters the cache has.
    """
    fx = cs.cache
    if fx is None or fx.world is not world or (cp is not None and fx.cp is not cp):
        fx = cs.cache = _Fixed(world, cp if cp is not None or fx is None else fx.cp)
    return fx


# --- initial state -------------------------------------------------------------------------------


def bloc_exposure(align: np.ndarray, p_domain_weight: np.ndarray) -> np.ndarray:
    """Return ``(N, 3)``: the weighted share of each bloc's technology in each state's stack."""
    return one_hot(align) @ _exposure_matrix(p_domain_weight)


def _exposure_matrix(p_domain_weight: np.ndarray) -> np.ndarray:
    """Return ``(10 option columns, 3 blocs)``: domain weight times each bloc's share of the option."""
    weights = np.repeat(np.asarray(p_domain_weight), [len(ECOSYSTEMS[d]) for d in DOMAINS])
    return weights[:, None] * share_matrix().T


def sharing_value(
    world: World,
    hostility: np.ndarray,
    align: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    cp: CyberParams,
) -> np.ndarray:
    """Return the value of an intelligence partnership for pairs ``(rows[k], cols[k])``.

    ``rows`` and ``cols`` may also broadcast to a block, e.g. ``(B, 1)`` and ``(1, N)``.

    ``ties T_ij + ecosystem overlap (share of domains on the same option) + trust
    (1 - mean |h_i - h_j| over the US and Chinese blocs) - cost``, each with its weight.
    """
    rows, cols = np.broadcast_arrays(np.asarray(rows), np.asarray(cols))
    out = _pair_values(
        np.ascontiguousarray(rows, dtype=np.int64).ravel(),
        np.ascontiguousarray(cols, dtype=np.int64).ravel(),
        world.groups,
        world.group_weight,
        np.ascontiguousarray(hostility, dtype=float),
        np.ascontiguousarray(align, dtype=np.int64),
        _sharing_weights(cp),
    )
    return out.reshape(rows.shape)


def _sharing_weights(cp: CyberParams) -> np.ndarray:
    return np.array([cp.sharing_ties, cp.sharing_ecosystem, cp.sharing_trust, cp.sharing_cost])


@numba.njit(cache=True)
def _pair_value(
    i, j, groups, group_weight, hostility, align, weights
):  # pragma: no cover - compiled; tested through sharing_value by hand
    ties = 0.0
    for g in range(groups.shape[1]):
        ties += groups[i, g] * groups[j, g] * group_weight[g]
    same = 0
    for d in range(align.shape[1]):
        same += align[i, d] == align[j, d]
    trust = 1.0 - 0.5 * (
        abs(hostility[i, 0] - hostility[j, 0]) + abs(hostility[i, 1] - hostility[j, 1])
    )
    return (
        weights[0] * ties + weights[1] * (same / align.shape[1]) + weights[2] * trust - weights[3]
    )


@numba.njit(cache=True)
def _pair_values(
    rows, cols, groups, group_weight, hostility, align, weights
):  # pragma: no cover - compiled; tested through sharing_value by hand
    out = np.empty(len(rows))
    for k in range(len(rows)):
        out[k] = _pair_value(rows[k], cols[k], groups, group_weight, hostility, align, weights)
    return out


def initial_state(world: World, align: np.ndarray, cp: CyberParams, block: int = 256) -> CyberState:
    """Return the layer's starting state.

    Partnerships: every pair whose sharing value is positive. Budapest membership from the data
    (imputed cells count as non-members); the UN-track coalition from SCO or BRICS membership (an
    assumption: the data set does not code UN convention signatures). GDPR-style rules: EEA members
    and holders of an adequacy decision.
    """
    n = world.n
    sharing = np.zeros((n, n), dtype=bool)
    everyone = np.arange(n)[None, :]
    for s in range(0, n, block):
        rows = np.arange(s, min(n, s + block))[:, None]
        sharing[s : s + len(rows)] = (
            sharing_value(world, world.hostility, align, rows, everyone, cp) > 0
        )
    sharing &= sharing.T
    np.fill_diagonal(sharing, False)
    t = world.table
    budapest = t["budapest_party"].fillna(0).to_numpy(dtype=float) == 1
    un_track = (t["sco"].to_numpy(dtype=float) == 1) | (
        t["brics"].fillna(0).to_numpy(dtype=float) == 1
    )
    return CyberState(
        baseline_hostility=world.hostility.copy(),
        hostility=world.hostility.copy(),
        threat=np.zeros(n),
        sharing=sharing,
        budapest=budapest,
        un_track=un_track,
        gdpr_style=world.adequate.copy(),
        adequate=world.adequate.copy(),
        subsidy=np.zeros((n, len(BLOCS))),
        subsidy_until=np.zeros((n, len(BLOCS)), dtype=np.int64),
        pressure=np.zeros((n, len(BLOCS))),
        cache=_Fixed(world, cp),
    )


def _event(
    step: int,
    event: str,
    source: str = "",
    target: str = "",
    sector: str = "",
    attributed: bool | None = None,
    response: str = "",
    damage: float = 0.0,
) -> dict:
    return {
        "step": step,
        "event": event,
        "source": source,
        "target": target,
        "sector": sector,
        "attributed": attributed,
        "response": response,
        "damage": damage,
    }


# --- attacks, attribution and response -----------------------------------------------------------


def attack_rates(
    world: World,
    cs: CyberState,
    align: np.ndarray,
    cp: CyberParams,
    domain_weight: np.ndarray,
    step: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Return expected incidents: state-sponsored ``(N, 2 blocs, 3 sectors)``, criminal ``(N, 3)``.

    State-sponsored, from bloc ``b`` on state ``i`` (not a member of ``b``):
    ``rate * hostility_ib * (floor + exposure_ib) * (1 - shield capacity_i) * sector weight``,
    times any active wave's intensity. Criminal: ``rate * (1 - shield capacity_i) * sector
    weight`` (read-only: it never changes).
    """
    fx = _fixed(world, cs, cp)
    state = _state_rates(
        np.asarray(align),
        COLUMN_STARTS,
        fx.exposure_matrix(np.asarray(domain_weight, dtype=float)),
        cs.hostility,
        fx.exposed,
        fx.sector_weights,
        cp.state_attack_rate,
        cp.exposure_floor,
    )
    for wave in cs.waves:
        if wave.until > step:
            state[:, wave.bloc, wave.sector] *= np.where(wave.targets, wave.intensity, 1.0)
    return state, fx.criminal_rates


@numba.njit(cache=True)
def _state_rates(
    align, starts, exposure_matrix, hostility, exposed, sector_weights, rate, floor
):  # pragma: no cover - compiled; tested through attack_rates by hand
    n, n_sectors = align.shape[0], sector_weights.shape[0]
    out = np.empty((n, 2, n_sectors))
    for i in range(n):
        for b in range(2):  # the attacking blocs: us, cn
            exposure = 0.0
            for d in range(align.shape[1]):
                exposure += exposure_matrix[align[i, d] + starts[d], b]
            # outsider * weak in one factor (exposed): multiplying by a 0/1 outsider is exact
            x = rate * hostility[i, b] * (floor + exposure) * exposed[i, b]
            for s in range(n_sectors):
                out[i, b, s] = x * sector_weights[s]
    return out


def attribution_probability(world: World, cs: CyberState, cp: CyberParams) -> np.ndarray:
    """Return each state's probability of attributing an attack, in [0, 1].

    ``base + a_cap capacity + a_share min(1, partners / 5) * mean partner capacity
    + a_coal * size share of the largest coalition the state belongs to`` (after Edwards et al.
    2017: attribution capability comes from own knowledge and from what partners share).
    """
    degree = cs.sharing.sum(axis=1)
    partner_cap = np.divide(
        cs.sharing @ world.capacity, degree, out=np.zeros(world.n), where=degree > 0
    )
    n = world.n
    coalition = np.maximum(cs.budapest * cs.budapest.sum() / n, cs.un_track * cs.un_track.sum() / n)
    p = (
        cp.attribution_base
        + cp.attribution_capacity * world.capacity
        + cp.attribution_sharing * np.minimum(1.0, degree / 5.0) * partner_cap
        + cp.attribution_coalition * coalition
    )
    return np.clip(p, 0.0, 1.0)


def cooperation(cs: CyberState) -> np.ndarray:
    """Return defensive cooperation in [0, 1] from partners (up to 5) and coalitions."""
    degree = cs.sharing.sum(axis=1)
    return np.clip(
        0.5 * np.minimum(1.0, degree / 5.0) + 0.25 * cs.budapest + 0.25 * cs.un_track, 0, 1
    )


def damage_per_incident(world: World, cs: CyberState, cp: CyberParams) -> np.ndarray:
    """Return ``(N, 3)`` damage per incident by sector, reduced by capacity and cooperation."""
    relief = (1.0 - cp.capacity_defense * world.capacity) * (
        1.0 - cp.cooperation_defense * cooperation(cs)
    )
    return relief[:, None] * np.asarray(cp.sector_damage)[None, :]


def attacks(
    world: World,
    cs: CyberState,
    align: np.ndarray,
    cp: CyberParams,
    domain_weight: np.ndarray,
    rng: np.random.Generator,
    step: int,
) -> list[dict]:
    """Draw this step's incidents, attribute them, and apply the victims' responses.

    An attributed state-sponsored attack raises the victim's hostility toward the attacker's bloc
    by ``hostility_shock`` (its intelligence partners outside the attacker's camp by
    ``partner_spillover`` of that) and triggers
    a response: a *vendor ban* (the victim drops the attacker's 5G ecosystem for the hybrid one)
    when the damage is at least ``vendor_ban_damage`` and the victim runs that ecosystem;
    *sanctions* when the victim's hostility reaches ``sanction_hostility``; otherwise *public
    blame*. An unattributed one raises the victim's hostility toward both blocs it is not affiliated
    with by ``distrust_shock``. Every incident's damage adds to the victim's threat. ``align`` is
    changed in place by vendor bans.
    """
    fx = _fixed(world, cs, cp)
    state_rate, criminal_rate = attack_rates(world, cs, align, cp, domain_weight, step)
    state_n = rng.poisson(state_rate)
    criminal_n = rng.poisson(criminal_rate)
    incidents = [0.0] * len(SECTORS)
    damage = [0.0] * len(SECTORS)
    state_incidents = attributed_count = 0.0
    events: list[dict] = []
    state_cells = [x.tolist() for x in state_n.nonzero()]  # (victim, bloc, sector) with incidents
    crime_cells = [x.tolist() for x in criminal_n.nonzero()]  # (victim, sector)
    if state_cells[0] or crime_cells[0]:
        # what each victim suffers per incident (times sector damage) and attributes, computed
        # for the victims only (start-of-step network and coalitions)
        victims: dict[int, tuple[float, float]] = {}
        hurt: dict[int, float] = {}  # damage suffered this step, by victim
        hostility, codes, not_camp = cs.hostility, fx.codes, fx.not_camp
        spillover = cp.partner_spillover * cp.hostility_shock
        g5 = ECOSYSTEMS["5g"]
        g5_hybrid = g5.index("hybrid")
        for i, b, s in zip(*state_cells, strict=True):
            bloc = ATTACKER_BLOCS[b]
            k = BLOCS.index(bloc)
            source = codes[_attacker(world, k, rng, fx)]
            for _ in range(state_n[i, b, s]):
                if i not in victims:
                    victims[i] = _victim(fx, cs, i)
                relief, attribute_p = victims[i]
                dmg = relief * fx.sector_damage_list[s]
                hurt[i] = hurt.get(i, 0.0) + dmg
                attributed = bool(rng.random() < attribute_p)
                incidents[s] += 1
                damage[s] += dmg
                state_incidents += 1
                if attributed:
                    attributed_count += 1
                    hostility[i, k] = min(1.0, hostility[i, k] + cp.hostility_shock)
                    # partners outside the attacker's camp share the attribution
                    partners = (cs.sharing[i] & not_camp[:, k]).nonzero()[0]
                    hostility[partners, k] = np.minimum(1.0, hostility[partners, k] + spillover)
                    if dmg >= cp.vendor_ban_damage and g5[align[i, 0]] == bloc:
                        align[i, 0] = g5_hybrid
                        response = "vendor_ban"
                    elif hostility[i, k] >= cp.sanction_hostility:
                        response = "sanctions"
                    else:
                        response = "public_blame"
                else:
                    for other in not_camp[i, :2].nonzero()[0]:  # blocs it is not affiliated with
                        hostility[i, other] = min(1.0, hostility[i, other] + cp.distrust_shock)
                    response = "distrust"
                events.append(
                    _event(step, "attack", source, codes[i], SECTORS[s], attributed, response, dmg)
                )
        for i, s in zip(*crime_cells, strict=True):
            for _ in range(criminal_n[i, s]):
                if i not in victims:
                    victims[i] = _victim(fx, cs, i)
                relief, attribute_p = victims[i]
                dmg = relief * fx.sector_damage_list[s]
                hurt[i] = hurt.get(i, 0.0) + dmg
                incidents[s] += 1
                damage[s] += dmg
                attributed = bool(rng.random() < attribute_p)
                events.append(
                    _event(
                        step,
                        "crime",
                        "criminal",
                        codes[i],
                        SECTORS[s],
                        attributed,
                        "prosecution" if attributed else "",
                        dmg,
                    )
                )
        threat = cs.threat * cp.threat_decay  # + threat_weight * damage (none for most states)
        for i, dmg in hurt.items():
            threat[i] += cp.threat_weight * dmg
        cs.threat = threat
    else:  # no damage: adding threat_weight * 0 would change nothing
        cs.threat = cs.threat * cp.threat_decay
    cs.hostility += cp.hostility_recovery * (cs.baseline_hostility - cs.hostility)
    cs.step_stats = dict(zip(_INCIDENT_KEYS, incidents, strict=True)) | dict(
        zip(_DAMAGE_KEYS, damage, strict=True)
    )
    cs.step_stats |= {"state_incidents": state_incidents, "attributed": attributed_count}
    return events


def _victim(fx: _Fixed, cs: CyberState, i: int) -> tuple[float, float]:
    """Return state ``i``'s relief (damage per incident over sector damage) and attribution p.

    The arithmetic of :func:`damage_per_incident` and :func:`attribution_probability` for one
    state, so the numbers are the same (to the last bits of a sum); a step has few victims, and
    scalars are cheaper than whole arrays.
    """
    cp, world = fx.cp, fx.world
    n, capacity = world.n, float(world.capacity[i])
    partners = cs.sharing[i]
    degree = int(np.count_nonzero(partners))
    partner_share = min(1.0, degree / 5.0)
    budapest, un_track = bool(cs.budapest[i]), bool(cs.un_track[i])
    # cooperation is at most .5 + .25 + .25: clipping to [0, 1] changes nothing
    cooperate = 0.5 * partner_share + 0.25 * budapest + 0.25 * un_track
    relief = (1.0 - cp.capacity_defense * capacity) * (1.0 - cp.cooperation_defense * cooperate)
    partner_cap = float(world.capacity[partners].sum()) / degree if degree > 0 else 0.0
    coalition = max(
        budapest * np.count_nonzero(cs.budapest) / n, un_track * np.count_nonzero(cs.un_track) / n
    )
    p = (
        cp.attribution_base
        + cp.attribution_capacity * capacity
        + cp.attribution_sharing * partner_share * partner_cap
        + cp.attribution_coalition * coalition
    )
    return relief, min(max(p, 0.0), 1.0)


def _attacker(world: World, bloc: int, rng: np.random.Generator, fx: _Fixed | None = None) -> int:
    """Return a member of ``bloc`` (affinity >= 0.5) drawn in proportion to affinity x capacity."""
    p = _Fixed(world, None).attacker_p(bloc) if fx is None else fx.attacker_p(bloc)
    return int(rng.choice(world.n, p=p))


# --- intelligence sharing ------------------------------------------------------------------------


def revise_sharing(
    world: World,
    cs: CyberState,
    align: np.ndarray,
    cp: CyberParams,
    rng: np.random.Generator,
    step: int,
) -> list[dict]:
    """Let a share ``sharing_revision`` of states review partnerships (start-of-step network).

    Each reviewing state drops every partnership whose value (:func:`sharing_value`) is negative
    and proposes one to a state drawn in proportion to ``0.01 + T_ij``; it forms if its value is
    positive.
    """
    events: list[dict] = []
    reviewers = (rng.random(world.n) < cp.sharing_revision).nonzero()[0]
    if len(reviewers) == 0:
        return events
    ends, starts = _revise_sharing(
        reviewers,
        rng.random(len(reviewers)),
        cs.sharing,
        world.groups,
        world.group_weight,
        cs.hostility,
        np.ascontiguousarray(align, dtype=np.int64),
        _sharing_weights(cp),
    )
    codes = _fixed(world, cs, cp).codes
    for i, j in ends.tolist():
        events.append(_event(step, "sharing_end", codes[i], codes[j]))
    for i, j in starts.tolist():
        events.append(_event(step, "sharing_start", codes[i], codes[j]))
    return events


@numba.njit(cache=True)
def _revise_sharing(
    reviewers, draws, sharing, groups, group_weight, hostility, align, weights
):  # pragma: no cover - compiled; tested through revise_sharing with scripted draws
    """Compiled body of :func:`revise_sharing`; returns the partnerships ended and started.

    Values are judged on the start-of-step network; ends are applied first, then starts, each
    pair once. A reviewer's proposal goes to state ``j`` with probability proportional to
    ``T_ij + 0.01`` (``draws`` are its uniform draws).
    """
    n, n_groups = sharing.shape[0], groups.shape[1]
    end_list, start_list = [], []
    weight = np.empty(n)
    for r in range(len(reviewers)):
        i = reviewers[r]
        for j in range(n):
            if sharing[i, j] and (
                _pair_value(i, j, groups, group_weight, hostility, align, weights) < 0
            ):
                end_list.append((i, j))
        total = 0.0
        for j in range(n):
            t = 0.0
            if j != i:
                for g in range(n_groups):
                    t += groups[i, g] * group_weight[g] * groups[j, g]
                t += 0.01
            total += t
            weight[j] = total  # cumulative
        target = draws[r] * total
        j = 0
        while j < n - 1 and weight[j] <= target:
            j += 1
        if not sharing[i, j] and (
            _pair_value(i, j, groups, group_weight, hostility, align, weights) > 0
        ):
            start_list.append((i, j))
    ends = np.empty((len(end_list), 2), dtype=np.int64)
    e = 0
    for i, j in end_list:
        if sharing[i, j]:
            sharing[i, j] = sharing[j, i] = False
            ends[e, 0], ends[e, 1] = i, j
            e += 1
    starts = np.empty((len(start_list), 2), dtype=np.int64)
    s = 0
    for i, j in start_list:
        if not sharing[i, j]:
            sharing[i, j] = sharing[j, i] = True
            starts[s, 0], starts[s, 1] = i, j
            s += 1
    return ends[:e], starts[:s]


# --- norm coalitions -----------------------------------------------------------------------------


def coalition_values(
    world: World, cs: CyberState, cp: CyberParams
) -> tuple[np.ndarray, np.ndarray]:
    """Return each state's net value of Budapest and of UN-track membership.

    ``cooperation * size share * (2 - capacity)`` (evidence sharing and capacity building help
    weak states most) ``+ patron * (affinity with the coalition's patron - with the rival)``
    ``- sovereignty cost * data preference`` (lower for the sovereignty-first UN track) ``- cost``.
    """
    n = world.n
    # gain = cooperation (2 - capacity); the patron and sovereignty terms are fixed
    gain, patron_b, sovereignty_b, patron_u, sovereignty_u = _fixed(world, cs, cp).coalition_terms
    budapest = (
        gain * np.count_nonzero(cs.budapest) / n + patron_b - sovereignty_b - cp.coalition_cost
    )
    un = gain * np.count_nonzero(cs.un_track) / n + patron_u - sovereignty_u - cp.coalition_cost
    return budapest, un


def revise_coalitions(
    world: World, cs: CyberState, cp: CyberParams, rng: np.random.Generator, step: int
) -> list[dict]:
    """Let a share ``coalition_revision`` of states join or leave each coalition by its value.

    A non-member joins when the value exceeds ``coalition_margin``; a member leaves when it falls
    below ``-coalition_margin``.
    """
    draws = rng.random(world.n)
    fx = _fixed(world, cs, cp)
    moves = _coalition_moves(
        draws < cp.coalition_revision,
        cs.budapest,
        cs.un_track,
        *fx.coalition_terms,
        cp.coalition_cost,
        cp.coalition_margin,
    )
    codes, events = fx.codes, []
    for coalition, leaves, i in moves.tolist():
        name = ("budapest", "un_track")[coalition]
        if leaves:
            events.append(_event(step, "coalition_exit", codes[i], name))
        else:
            events.append(_event(step, "coalition_join", codes[i], name))
    return events


@numba.njit(cache=True)
def _coalition_moves(
    reviews,
    budapest,
    un_track,
    gain,
    patron_b,
    sovereignty_b,
    patron_u,
    sovereignty_u,
    cost,
    margin,
):  # pragma: no cover - compiled; tested through revise_coalitions with scripted draws
    """Compiled body of :func:`revise_coalitions`: ``(coalition, leaves?, state)`` rows.

    Values use the coalition sizes at the start of the step; per coalition (Budapest, then the UN
    track) the joins come first, then the exits. Memberships change in place.
    """
    n = reviews.shape[0]
    out = np.empty((2 * n, 3), dtype=np.int64)
    e = 0
    sizes = (np.count_nonzero(budapest), np.count_nonzero(un_track))
    for coalition in range(2):
        member = budapest if coalition == 0 else un_track
        patron = patron_b if coalition == 0 else patron_u
        sovereignty = sovereignty_b if coalition == 0 else sovereignty_u
        start = e
        for leaves in (False, True):
            for i in range(n):
                if not reviews[i] or member[i] != leaves:
                    continue
                value = gain[i] * sizes[coalition] / n + patron[i] - sovereignty[i] - cost
                if (value < -margin) if leaves else (value > margin):
                    out[e, 0], out[e, 1], out[e, 2] = coalition, leaves, i
                    e += 1
        for r in range(start, e):
            member[out[r, 2]] = out[r, 1] == 0
    return out[:e]


# --- regulatory diffusion ------------------------------------------------------------------------


def eu_dependence(world: World) -> np.ndarray:
    """Return each state's share of potential digital exchange with EEA members."""
    potential = world.gravity.sum(axis=1)
    return np.divide(
        world.gravity @ world.eea.astype(float),
        potential,
        out=np.zeros(world.n),
        where=potential > 0,
    )


def diffuse_rules(
    world: World,
    cs: CyberState,
    align: np.ndarray,
    loc: np.ndarray,
    cp: CyberParams,
    rng: np.random.Generator,
    step: int,
) -> list[dict]:
    """Spread GDPR-style rules by trade dependence on the EU (Brussels effect); adequacy follows.

    Each step a state without GDPR-style rules adopts them with probability
    ``brussels_rate * eu_dependence``; a GDPR-style state outside the EEA without adequacy gets an
    adequacy decision with probability ``adequacy_rate * eu_dependence`` unless it is barred; it is
    barred, and an adequacy decision revoked, when
    the state moves to strict localization or to China's AI-governance regime (government access
    to data, as in the Court of Justice's Schrems rulings).
    """
    fx = _fixed(world, cs, cp)
    adopt_p, grant_p = fx.diffusion_p  # rate * eu_dependence
    changes = _diffuse(
        rng.random((2, world.n)),
        cs.gdpr_style,
        cs.adequate,
        world.eea,
        np.asarray(loc),
        np.asarray(align),
        adopt_p,
        grant_p,
    )
    codes, events = fx.codes, []
    for change, i in changes.tolist():
        if change == 0:
            events.append(_event(step, "gdpr_adoption", "EU", codes[i]))
        elif change == 1:
            events.append(_event(step, "adequacy_granted", "EU", codes[i]))
        else:
            events.append(_event(step, "adequacy_revoked", "EU", codes[i]))
    return events


@numba.njit(cache=True)
def _diffuse(
    draws, gdpr_style, adequate, eea, loc, align, adopt_p, grant_p
):  # pragma: no cover - compiled; tested through diffuse_rules with scripted draws
    """Compiled body of :func:`diffuse_rules`: ``(change, state)`` rows, adoptions first.

    ``change``: 0 adoption, 1 adequacy granted, 2 revoked; ``gdpr_style`` and ``adequate`` change
    in place.
    """
    n = loc.shape[0]
    out = np.empty((2 * n, 2), dtype=np.int64)
    grants, revokes = np.zeros(n, dtype=np.bool_), np.zeros(n, dtype=np.bool_)
    e = 0
    for i in range(n):
        if not gdpr_style[i] and draws[0, i] < adopt_p[i]:
            gdpr_style[i] = True
            out[e, 0], out[e, 1] = 0, i
            e += 1
    for i in range(n):
        barred = loc[i] == _STRICT or align[i, _AI] == _AI_CN
        if eea[i]:
            continue
        if gdpr_style[i] and not adequate[i] and not barred and draws[1, i] < grant_p[i]:
            grants[i] = True
        elif adequate[i] and barred:
            revokes[i] = True
    for change, chosen in ((1, grants), (2, revokes)):
        for i in range(n):
            if chosen[i]:
                adequate[i] = change == 1
                out[e, 0], out[e, 1] = change, i
                e += 1
    return out[:e]


def adequacy_pairs(eea: np.ndarray, adequate: np.ndarray) -> int:
    """Return the number of unordered state pairs covered by an adequacy arrangement."""
    e = int(eea.sum())
    return e * (e - 1) // 2 + e * int((adequate & ~eea).sum())


# --- patron diplomacy ----------------------------------------------------------------------------


def patron_diplomacy(
    world: World, cs: CyberState, align: np.ndarray, cp: CyberParams, step: int
) -> list[dict]:
    """Bloc leaders offer inducements to swing states and pressure their own clients.

    Inducements: each patron offers ``inducement`` (for ``inducement_duration`` steps) to the
    ``patron_targets`` largest swing states (US and China affinity within 0.5 of each other) that do
    not use its 5G ecosystem and hold no offer from it. Pressure: a patron attaches a security
    cost ``pressure`` to its clients' (affinity >= 0.5) use of the rival bloc's 5G ecosystem.
    """
    fx = _fixed(world, cs, cp)
    moves = _patron_moves(
        step,
        np.asarray(align),
        cs.subsidy,
        cs.subsidy_until,
        cs.pressure,
        fx.courted_rows,
        world.camp,
        cp.inducement,
        cp.inducement_duration,
        cp.patron_targets,
        cp.pressure,
    )
    codes, text = fx.codes, fx.inducement_text
    return [
        _event(step, "patron_pressure", ATTACKER_BLOCS[k], codes[i])
        if pressed
        else _event(step, "patron_offer", ATTACKER_BLOCS[k], codes[i], response=text)
        for pressed, k, i in moves.tolist()
    ]


@numba.njit(cache=True)
def _patron_moves(
    step,
    align,
    subsidy,
    subsidy_until,
    pressure,
    courted,
    camp,
    inducement,
    duration,
    targets,
    cost,
):  # pragma: no cover - compiled; tested through patron_diplomacy
    """Compiled body of :func:`patron_diplomacy`: ``(pressure?, bloc, state)`` rows in event order.

    Per attacking bloc ``k`` (US, then China; 5G option ``k`` is its ecosystem): offers to the
    first ``targets`` of ``courted[k]`` (padded with -1) not on its 5G and holding no offer from
    it, then pressure on its camp's users of the rival's 5G. Changes the arrays in place.
    """
    n = align.shape[0]
    for i in range(n):
        for k in range(subsidy.shape[1]):
            if subsidy_until[i, k] <= step:  # expired
                subsidy[i, k] = 0.0
    out = np.empty((2 * (targets + n), 3), dtype=np.int64)
    e = 0
    for k in range(2):
        rival = 1 - k
        if inducement > 0:
            found = 0
            for i in courted[k]:
                if i < 0 or found >= targets:
                    break
                if align[i, 0] != k and subsidy[i, k] == 0:
                    subsidy[i, k] = inducement
                    subsidy_until[i, k] = step + duration
                    out[e, 0], out[e, 1], out[e, 2] = 0, k, i
                    e += 1
                    found += 1
        for i in range(n):
            pressed = cost > 0 and camp[i, k] and align[i, 0] == rival
            if pressed and pressure[i, rival] == 0:
                out[e, 0], out[e, 1], out[e, 2] = 1, k, i
                e += 1
            pressure[i, rival] = cost if pressed else 0.0
    return out[:e]


# --- scheduled shocks ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Shock:
    """A scheduled event: at ``step``, apply ``kind`` with ``params`` (see :data:`SHOCK_KINDS`)."""

    step: int
    kind: str
    params: dict[str, Any]


def validate_shocks(specs: Any, world: World | Iterable[str]) -> list[Shock]:
    """Return shocks from dicts ``{"step": 5, "kind": "attack_wave", ...}``; raise ``ValueError``.

    ``world`` is the world (or just its state codes) the shocks refer to. The message names the
    shock (its position), the key and what is allowed.
    """
    if specs is None:
        return []
    if isinstance(specs, dict):
        specs = [specs]
    out = []
    codes = set(world.iso3.tolist() if isinstance(world, World) else world)
    for n, spec in enumerate(specs):
        where = f"shocks[{n}]"
        if isinstance(spec, Shock):
            spec = {"step": spec.step, "kind": spec.kind, **spec.params}
        if not isinstance(spec, dict):
            raise ValueError(
                f"{where}: expected a table with step and kind, got {type(spec).__name__}"
            )
        spec = dict(spec)
        kind = spec.pop("kind", None)
        if not isinstance(kind, str) or kind not in SHOCK_KINDS:
            hint = difflib.get_close_matches(str(kind), SHOCK_KINDS, n=1)
            extra = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise ValueError(
                f"{where}.kind: {kind!r} unknown{extra}; allowed {', '.join(SHOCK_KINDS)}"
            )
        step = spec.pop("step", None)
        if isinstance(step, bool) or not isinstance(step, int | np.integer) or step < 1:
            raise ValueError(
                f"{where}.step: {step!r}; allowed a whole number >= 1 (the first step)"
            )
        step = int(step)
        allowed = SHOCK_KINDS[kind]
        for key in spec:
            if key not in allowed:
                hint = difflib.get_close_matches(key, allowed, n=1)
                extra = f" (did you mean {hint[0]!r}?)" if hint else ""
                raise ValueError(
                    f"{where}.{key}: unknown key for {kind}{extra}; allowed {', '.join(allowed)}"
                )
        params = {}
        for key, rule in allowed.items():
            if key not in spec:
                if key in ("targets",) and kind == "attack_wave":
                    params[key] = "all"
                    continue
                if key == "duration":
                    params[key] = 1
                    continue
                raise ValueError(f"{where}.{key}: missing; required for {kind}")
            params[key] = _check_shock_value(where, key, spec[key], rule, codes)
        out.append(Shock(step, kind, params))
    return sorted(out, key=lambda s: s.step)


def _check_shock_value(where: str, key: str, value: Any, rule: Any, codes: set[str]) -> Any:
    if isinstance(rule, tuple) and len(rule) == 2 and all(isinstance(r, int | float) for r in rule):
        low, high = rule
        if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
            raise ValueError(f"{where}.{key}: {value!r}; allowed a number from {low} to {high}")
        if not low <= value <= high:
            raise ValueError(f"{where}.{key}: {value!r}; allowed {low} to {high}")
        if isinstance(low, int) and isinstance(high, int):
            if value != int(value):
                raise ValueError(
                    f"{where}.{key}: {value!r}; allowed a whole number from {low} to {high}"
                )
            return int(value)
        return float(value)
    if isinstance(rule, tuple):
        if value not in rule:
            hint = difflib.get_close_matches(str(value), rule, n=1)
            extra = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise ValueError(f"{where}.{key}: {value!r} unknown{extra}; allowed {', '.join(rule)}")
        return value
    if key == "state":
        if not isinstance(value, str) or value not in codes:
            raise ValueError(f"{where}.state: unknown state code {value!r}")
        return value
    if value == "all" and rule.startswith("all "):
        return value
    if not isinstance(value, list | tuple) or not value:
        raise ValueError(f"{where}.{key}: {value!r}; allowed {rule}")
    unknown = [v for v in value if not isinstance(v, str) or v not in codes]
    if unknown:
        hint = difflib.get_close_matches(str(unknown[0]), codes, n=1)
        extra = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise ValueError(f"{where}.{key}: unknown state code {unknown[0]!r}{extra}")
    return tuple(value)


def apply_shock(
    world: World, cs: CyberState | None, shock: Shock, step: int
) -> tuple[list[dict], float | None]:
    """Apply one shock; return its events and a new export-control level if it sets one.

    ``cs`` may be ``None`` (no cyber layer) for export-control shocks.
    """
    p = shock.params
    if shock.kind == "attack_wave":
        targets = (
            np.ones(world.n, dtype=bool)
            if p["targets"] == "all"
            else np.isin(world.iso3, p["targets"])
        )
        cs.waves.append(
            Wave(
                SECTORS.index(p["sector"]),
                ATTACKER_BLOCS.index(p["bloc"]),
                float(p["intensity"]),
                step + int(p["duration"]),
                targets,
            )
        )
        return [
            _event(
                step,
                "shock_attack_wave",
                p["bloc"],
                "all" if p["targets"] == "all" else ",".join(p["targets"]),
                p["sector"],
                response=f"x{p['intensity']:g} for {p['duration']} steps",
            )
        ], None
    if shock.kind == "export_controls":
        return [_event(step, "shock_export_controls", "us", response=f"{p['level']:g}")], float(
            p["level"]
        )
    if shock.kind == "patron_offer":
        k = BLOCS.index(p["patron"])
        idx = np.flatnonzero(np.isin(world.iso3, p["targets"]))
        cs.subsidy[idx, k] = p["amount"]
        cs.subsidy_until[idx, k] = step + int(p["duration"])
        return [
            _event(
                step, "patron_offer", p["patron"], str(world.iso3[i]), response=f"{p['amount']:g}"
            )
            for i in idx
        ], None
    i = int(np.flatnonzero(world.iso3 == p["state"])[0])
    if p["action"] == "grant":
        cs.gdpr_style[i] = cs.adequate[i] = True
        return [_event(step, "adequacy_granted", "EU", p["state"])], None
    if world.eea[i] or not cs.adequate[i]:
        return [], None  # EEA members keep the GDPR itself; nothing to revoke otherwise
    cs.adequate[i] = False
    return [_event(step, "adequacy_revoked", "EU", p["state"])], None


# --- metrics -------------------------------------------------------------------------------------


def summary(world: World, cs: CyberState) -> dict[str, float]:
    """Return the layer's per-step metrics (model reporters)."""
    n = world.n
    st = cs.step_stats
    state_inc = st.get("state_incidents", 0.0)
    out = {key: st.get(key, 0.0) for key in _INCIDENT_KEYS}
    out |= {key: st.get(key, 0.0) for key in _DAMAGE_KEYS}
    links, budapest, un_track, both, gdpr, adequate, to_cn, us_side, to_us, cn_side, threat = (
        _counts(
            cs.sharing,
            cs.budapest,
            cs.un_track,
            cs.gdpr_style,
            cs.adequate,
            world.eea,
            cs.hostility,
            world.camp,
            cs.threat,
        ).tolist()
    )
    out |= {
        "incidents": sum(out[key] for key in _INCIDENT_KEYS),
        "attribution_rate": st.get("attributed", 0.0) / state_inc if state_inc else 0.0,
        "sharing_density": links / (n * (n - 1)) if n > 1 else 0.0,
        "budapest_members": budapest,
        "un_track_members": un_track,
        "coalition_overlap": both,
        "gdpr_style_share": gdpr / n,
        "adequacy_pairs": float(adequate),
        "hostility_us_side_to_cn": to_cn / us_side if us_side else 0.0,
        "hostility_cn_side_to_us": to_us / cn_side if cn_side else 0.0,
        "mean_threat": threat / n,
    }
    return out


@numba.njit(cache=True)
def _counts(
    sharing, budapest, un_track, gdpr_style, adequate, eea, hostility, camp, threat
):  # pragma: no cover - compiled; tested through summary
    """Return the counts and sums behind :func:`summary` in one pass (in its unpacking order)."""
    n = sharing.shape[0]
    out = np.zeros(11)
    for i in range(n):
        for j in range(n):
            out[0] += sharing[i, j]
        out[1] += budapest[i]
        out[2] += un_track[i]
        out[3] += budapest[i] and un_track[i]
        out[4] += gdpr_style[i]
        if camp[i, 0]:  # the US side's hostility toward China's bloc
            out[6] += hostility[i, 1]
            out[7] += 1
        if camp[i, 1]:
            out[8] += hostility[i, 0]
            out[9] += 1
        out[10] += threat[i]
    members = 0
    for i in range(n):
        members += eea[i]
        out[5] += adequate[i] and not eea[i]
    out[5] = members * (members - 1) // 2 + members * out[5]  # adequacy_pairs
    return out
