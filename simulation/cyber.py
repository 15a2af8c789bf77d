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
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from simulation.parameters import check_value
from simulation.payoffs import Conditions, one_hot
from simulation.world import BLOCS, DOMAINS, ECOSYSTEMS, LOCALIZATION, World, share_matrix

SECTORS: tuple[str, ...] = ("energy", "finance", "health")
"""Critical sectors that attacks hit."""

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

    def conditions(self) -> Conditions:
        """Return the payoff conditions this state implies."""
        return Conditions(
            hostility=self.hostility,
            threat=self.threat,
            subsidy=self.subsidy,
            pressure=self.pressure,
        )


# --- initial state -------------------------------------------------------------------------------


def bloc_exposure(align: np.ndarray, p_domain_weight: np.ndarray) -> np.ndarray:
    """Return ``(N, 3)``: the weighted share of each bloc's technology in each state's stack."""
    weights = np.repeat(np.asarray(p_domain_weight), [len(ECOSYSTEMS[d]) for d in DOMAINS])
    return one_hot(align) @ (weights[:, None] * share_matrix().T)


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
    m, w = world.groups, world.group_weight
    ties = (m[rows] * m[cols]) @ w
    overlap = (align[rows] == align[cols]).sum(axis=-1) / align.shape[1]
    trust = 1.0 - 0.5 * np.abs(hostility[rows, :2] - hostility[cols, :2]).sum(axis=-1)
    return (
        cp.sharing_ties * ties
        + cp.sharing_ecosystem * overlap
        + cp.sharing_trust * trust
        - cp.sharing_cost
    )


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
    weight``.
    """
    exposure = bloc_exposure(align, domain_weight)[:, :2]  # the attacking blocs: us, cn
    weak = 1.0 - cp.capacity_shield * world.capacity
    sw = np.asarray(cp.sector_weights)
    outsider = ~world.camp[:, :2]
    base = cp.state_attack_rate * cs.hostility[:, :2] * (cp.exposure_floor + exposure) * outsider
    state = (base * weak[:, None])[:, :, None] * sw
    for wave in cs.waves:
        if wave.until > step:
            state[:, wave.bloc, wave.sector] *= np.where(wave.targets, wave.intensity, 1.0)
    criminal = cp.criminal_attack_rate * weak[:, None] * sw[None, :]
    return state, criminal


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
    state_rate, criminal_rate = attack_rates(world, cs, align, cp, domain_weight, step)
    state_n = rng.poisson(state_rate)
    criminal_n = rng.poisson(criminal_rate)
    if state_n.any() or criminal_n.any():
        per_incident = damage_per_incident(world, cs, cp)
        attribute_p = attribution_probability(world, cs, cp)
    hurt = np.zeros(world.n)
    events: list[dict] = []
    stats = {f"incidents_{s}": 0.0 for s in SECTORS} | {f"damage_{s}": 0.0 for s in SECTORS}
    stats |= {"state_incidents": 0.0, "attributed": 0.0}
    g5_hybrid = ECOSYSTEMS["5g"].index("hybrid")
    for i, b, s in zip(*np.nonzero(state_n), strict=True):
        bloc = ATTACKER_BLOCS[b]
        k = BLOCS.index(bloc)
        source = _attacker(world, k, rng)
        for _ in range(state_n[i, b, s]):
            dmg = float(per_incident[i, s])
            hurt[i] += dmg
            attributed = bool(rng.random() < attribute_p[i])
            stats[f"incidents_{SECTORS[s]}"] += 1
            stats[f"damage_{SECTORS[s]}"] += dmg
            stats["state_incidents"] += 1
            if attributed:
                stats["attributed"] += 1
                cs.hostility[i, k] = min(1.0, cs.hostility[i, k] + cp.hostility_shock)
                # partners outside the attacker's camp share the attribution
                partners = np.flatnonzero(cs.sharing[i] & ~world.camp[:, k])
                cs.hostility[partners, k] = np.minimum(
                    1.0, cs.hostility[partners, k] + cp.partner_spillover * cp.hostility_shock
                )
                if dmg >= cp.vendor_ban_damage and ECOSYSTEMS["5g"][align[i, 0]] == bloc:
                    align[i, 0] = g5_hybrid
                    response = "vendor_ban"
                elif cs.hostility[i, k] >= cp.sanction_hostility:
                    response = "sanctions"
                else:
                    response = "public_blame"
            else:
                others = ~world.camp[i, :2]
                cs.hostility[i, :2] = np.where(
                    others,
                    np.minimum(1.0, cs.hostility[i, :2] + cp.distrust_shock),
                    cs.hostility[i, :2],
                )
                response = "distrust"
            events.append(
                _event(
                    step,
                    "attack",
                    str(world.iso3[source]),
                    str(world.iso3[i]),
                    SECTORS[s],
                    attributed,
                    response,
                    dmg,
                )
            )
    for i, s in zip(*np.nonzero(criminal_n), strict=True):
        for _ in range(criminal_n[i, s]):
            dmg = float(per_incident[i, s])
            hurt[i] += dmg
            stats[f"incidents_{SECTORS[s]}"] += 1
            stats[f"damage_{SECTORS[s]}"] += dmg
            attributed = bool(rng.random() < attribute_p[i])
            events.append(
                _event(
                    step,
                    "crime",
                    "criminal",
                    str(world.iso3[i]),
                    SECTORS[s],
                    attributed,
                    "prosecution" if attributed else "",
                    dmg,
                )
            )
    cs.threat = cs.threat * cp.threat_decay + cp.threat_weight * hurt
    cs.hostility += cp.hostility_recovery * (cs.baseline_hostility - cs.hostility)
    cs.step_stats = stats
    return events


def _attacker(world: World, bloc: int, rng: np.random.Generator) -> int:
    """Return a member of ``bloc`` (affinity >= 0.5) drawn in proportion to affinity x capacity."""
    weight = np.where(world.camp[:, bloc], world.affinity[:, bloc] * world.capacity, 0.0)
    return int(rng.choice(world.n, p=weight / weight.sum()))


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
    reviewers = np.flatnonzero(rng.random(world.n) < cp.sharing_revision)
    if len(reviewers) == 0:
        return events
    rows, cols = np.nonzero(cs.sharing[reviewers])
    rows = reviewers[rows]
    ends = sharing_value(world, cs.hostility, align, rows, cols, cp) < 0
    weight = (world.groups[reviewers] * world.group_weight) @ world.groups.T + 0.01
    weight[np.arange(len(reviewers)), reviewers] = 0.0
    cumulative = np.cumsum(weight, axis=1)
    draws = rng.random(len(reviewers)) * cumulative[:, -1]
    candidates = (cumulative <= draws[:, None]).sum(axis=1)
    starts = ~cs.sharing[reviewers, candidates] & (
        sharing_value(world, cs.hostility, align, reviewers, candidates, cp) > 0
    )
    for i, j in zip(rows[ends], cols[ends], strict=True):
        if cs.sharing[i, j]:
            cs.sharing[i, j] = cs.sharing[j, i] = False
            events.append(_event(step, "sharing_end", str(world.iso3[i]), str(world.iso3[j])))
    for i, j in zip(reviewers[starts], candidates[starts], strict=True):
        if not cs.sharing[i, j]:
            cs.sharing[i, j] = cs.sharing[j, i] = True
            events.append(_event(step, "sharing_start", str(world.iso3[i]), str(world.iso3[j])))
    return events


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
    aff = world.affinity
    gain = cp.coalition_cooperation * (2.0 - world.capacity)
    budapest = (
        gain * cs.budapest.sum() / n
        + cp.coalition_patron * (aff[:, 0] - aff[:, 1])
        - cp.coalition_sovereignty_cost * world.data_pref
        - cp.coalition_cost
    )
    un = (
        gain * cs.un_track.sum() / n
        + cp.coalition_patron * (aff[:, 1] - aff[:, 0])
        - cp.coalition_sovereignty_cost * (1 - cp.un_track_sovereignty_discount) * world.data_pref
        - cp.coalition_cost
    )
    return budapest, un


def revise_coalitions(
    world: World, cs: CyberState, cp: CyberParams, rng: np.random.Generator, step: int
) -> list[dict]:
    """Let a share ``coalition_revision`` of states join or leave each coalition by its value.

    A non-member joins when the value exceeds ``coalition_margin``; a member leaves when it falls
    below ``-coalition_margin``.
    """
    events: list[dict] = []
    reviewers = rng.random(world.n) < cp.coalition_revision
    b_val, u_val = coalition_values(world, cs, cp)
    for name, member, value in (("budapest", cs.budapest, b_val), ("un_track", cs.un_track, u_val)):
        join = reviewers & ~member & (value > cp.coalition_margin)
        leave = reviewers & member & (value < -cp.coalition_margin)
        member[join] = True
        member[leave] = False
        for i in np.flatnonzero(join):
            events.append(_event(step, "coalition_join", str(world.iso3[i]), name))
        for i in np.flatnonzero(leave):
            events.append(_event(step, "coalition_exit", str(world.iso3[i]), name))
    return events


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
    events: list[dict] = []
    dep = eu_dependence(world)
    draws = rng.random((2, world.n))
    adopt = ~cs.gdpr_style & (draws[0] < cp.brussels_rate * dep)
    cs.gdpr_style |= adopt
    barred = (loc == LOCALIZATION.index("strict")) | (
        align[:, DOMAINS.index("ai")] == ECOSYSTEMS["ai"].index("cn")
    )
    grant = (
        cs.gdpr_style & ~cs.adequate & ~world.eea & ~barred & (draws[1] < cp.adequacy_rate * dep)
    )
    revoke = cs.adequate & ~world.eea & barred
    cs.adequate |= grant
    cs.adequate &= ~revoke
    for i in np.flatnonzero(adopt):
        events.append(_event(step, "gdpr_adoption", "EU", str(world.iso3[i])))
    for i in np.flatnonzero(grant):
        events.append(_event(step, "adequacy_granted", "EU", str(world.iso3[i])))
    for i in np.flatnonzero(revoke):
        events.append(_event(step, "adequacy_revoked", "EU", str(world.iso3[i])))
    return events


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
    events: list[dict] = []
    expired = cs.subsidy_until <= step
    cs.subsidy[expired] = 0.0
    swing = world.swing
    for bloc in ATTACKER_BLOCS:
        k = BLOCS.index(bloc)
        rival = BLOCS.index("cn" if bloc == "us" else "us")
        uses = align[:, 0] == ECOSYSTEMS["5g"].index(bloc)
        eligible = (
            swing & ~uses & (cs.subsidy[:, k] == 0) & (np.arange(world.n) != world.patrons[bloc])
        )
        order = world.by_size
        targets = order[eligible[order]][: cp.patron_targets]  # the largest eligible
        if cp.inducement > 0:
            for i in targets:
                cs.subsidy[i, k] = cp.inducement
                cs.subsidy_until[i, k] = step + cp.inducement_duration
                events.append(
                    _event(
                        step,
                        "patron_offer",
                        bloc,
                        str(world.iso3[i]),
                        response=f"{cp.inducement:g}",
                    )
                )
        clients = world.camp[:, k]
        pressured = (
            clients & (align[:, 0] == ECOSYSTEMS["5g"].index(BLOCS[rival])) & (cp.pressure > 0)
        )
        newly = pressured & (cs.pressure[:, rival] == 0)
        cs.pressure[:, rival] = np.where(pressured, cp.pressure, 0.0)
        for i in np.flatnonzero(newly):
            events.append(_event(step, "patron_pressure", bloc, str(world.iso3[i])))
    return events


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
    us_side, cn_side = world.camp[:, 0], world.camp[:, 1]
    out = {f"incidents_{s}": st.get(f"incidents_{s}", 0.0) for s in SECTORS}
    out |= {f"damage_{s}": st.get(f"damage_{s}", 0.0) for s in SECTORS}
    out |= {
        "incidents": sum(out[f"incidents_{s}"] for s in SECTORS),
        "attribution_rate": st.get("attributed", 0.0) / state_inc if state_inc else 0.0,
        "sharing_density": float(cs.sharing.sum()) / (n * (n - 1)) if n > 1 else 0.0,
        "budapest_members": float(cs.budapest.sum()),
        "un_track_members": float(cs.un_track.sum()),
        "coalition_overlap": float((cs.budapest & cs.un_track).sum()),
        "gdpr_style_share": float(cs.gdpr_style.mean()),
        "adequacy_pairs": float(adequacy_pairs(world.eea, cs.adequate)),
        "hostility_us_side_to_cn": float(cs.hostility[us_side, 1].mean()) if us_side.any() else 0.0,
        "hostility_cn_side_to_us": float(cs.hostility[cn_side, 0].mean()) if cn_side.any() else 0.0,
        "mean_threat": float(cs.threat.mean()),
    }
    return out
