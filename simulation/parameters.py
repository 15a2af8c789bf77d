"""Parameter metadata: meaning, unit, range, kind and source of every parameter.

This table is the single source for the scenario schema (:mod:`simulation.scenarios`), the
scenario reference page and the parameter tables of ``docs/ODD.md``; defaults live in the code
(:class:`~simulation.payoffs.PayoffParams`, :class:`~simulation.cyber.CyberParams`,
:class:`~simulation.model.SovereigntyModel`).

*kind*: ``lever`` (a policy choice), ``uncertainty`` (an exogenous assumption) or ``setting``
(how a run is done).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Parameter:
    """Metadata of one parameter; ``low``/``high`` bound numbers (element-wise for tuples)."""

    kind: str
    meaning: str
    unit: str
    range: str
    source: str
    low: float | None = None
    high: float | None = None


def check_value(name: str, value: object) -> None:
    """Raise ``ValueError("name: ...; allowed ...")`` unless ``value`` is finite and within range.

    Tuples (and tuples of tuples) are checked element by element.
    """
    info = PARAMETERS[name]
    items = _flatten(value)
    for v in items:
        if (
            isinstance(v, bool)
            or not isinstance(v, int | float)
            or v != v
            or v in (float("inf"), float("-inf"))
        ):
            raise ValueError(f"{name}: {value!r} is not a finite number; allowed {info.range}")
        if (info.low is not None and v < info.low) or (info.high is not None and v > info.high):
            raise ValueError(f"{name}: {value!r} is out of range; allowed {info.range}")
        if info.range.startswith("integer") and not float(v).is_integer():
            raise ValueError(f"{name}: {value!r} is not a whole number; allowed {info.range}")


def _flatten(value: object) -> list[object]:
    if isinstance(value, tuple | list):
        return [v for item in value for v in _flatten(item)]
    try:
        import numpy as np

        if isinstance(value, np.generic):
            return [value.item()]
    except ImportError:  # pragma: no cover
        pass
    return [value]


PARAMETERS: dict[str, Parameter] = {
    "world": Parameter(
        kind="setting",
        meaning='`"default"` (the 55 sourced states) or `"synthetic"` (a seeded generated world); the model also takes a prebuilt `World`',
        unit="–",
        range='`"default"`, `"synthetic"`',
        source="the sourced dataset (simulation/data/SOURCES.md)",
    ),
    "n_states": Parameter(
        kind="setting",
        meaning="size of a synthetic world",
        unit="states",
        range="10 to 10000 (tested and benchmarked; the model accepts 2 to 100000)",
        source="assumption: large enough for bloc statistics, fast",
        low=10,
        high=10000,
    ),
    "world_seed": Parameter(
        kind="setting",
        meaning="seed of the synthetic world's generator",
        unit="–",
        range="integer >= 0",
        source="convention",
        low=0,
    ),
    "initial_policy": Parameter(
        kind="uncertainty",
        meaning='starting profile: `"observed"`, `"neutral"`, `"random"` (Section 5.3)',
        unit="–",
        range='`"observed"`, `"neutral"`, `"random"`',
        source="start from the data",
    ),
    "decision_rule": Parameter(
        kind="uncertainty",
        meaning='`"logit"`, `"best"` or `"imitate"` (Section 7.9)',
        unit="–",
        range='`"logit"`, `"best"`, `"imitate"`',
        source="quantal response allows for mistakes and unmodelled motives",
    ),
    "temperature": Parameter(
        kind="uncertainty",
        meaning="$\\tau$, logit noise",
        unit="utility units",
        range="0 to 1e6 (0 = best response)",
        source="assumption: noise of the order of one switching cost",
        low=0.0,
        high=1000000.0,
    ),
    "revision_rate": Parameter(
        kind="uncertainty",
        meaning="probability that a state revises in a step",
        unit="probability per step",
        range="0 to 1",
        source="assumption: inertia, states revise on average every 5 steps",
        low=0.0,
        high=1.0,
    ),
    "switching_cost": Parameter(
        kind="uncertainty",
        meaning="$\\sigma$, cost per changed domain or level",
        unit="utility units",
        range="0 to 1e6",
        source="assumption: small against payoff differences",
        low=0.0,
        high=1000000.0,
    ),
    "imitation_scale": Parameter(
        kind="uncertainty",
        meaning="$\\Delta$, utility gain at which an imitator copies for sure",
        unit="utility units",
        range="1e-12 to 1e6",
        source="assumption",
        low=1e-12,
        high=1000000.0,
    ),
    "patience": Parameter(
        kind="setting",
        meaning="steps without change after which the run stops",
        unit="steps",
        range="integer >= 1",
        source="convention",
        low=1,
    ),
    "max_steps": Parameter(
        kind="setting",
        meaning="step limit",
        unit="steps",
        range="integer >= 0",
        source="convention",
        low=0,
    ),
    "collect_agents": Parameter(
        kind="setting",
        meaning="record agent variables every step",
        unit="–",
        range="`true`/`false`",
        source="turn off for large batches",
    ),
    "domain_weight": Parameter(
        kind="uncertainty",
        meaning="weight of 5G, semiconductors, AI in $C_{ij}$ and the partner term ($w_d$ after normalising)",
        unit="relative weight",
        range="each >= 0, sum > 0",
        source="assumption: the network layer carries all exchange and weighs most; AI governance is the least settled and weighs least",
        low=0.0,
    ),
    "cross_bloc_compat": Parameter(
        kind="uncertainty",
        meaning="$K_d[us,cn]$: compatibility of the US and Chinese blocs",
        unit="share",
        range="0 to 1",
        source="calibrated: the best point with a non-zero value in the grid search of `simulation.calibration.fit` against OECD & WTO (2025) (Section 11)",
        low=0.0,
        high=1.0,
    ),
    "hybrid_compat": Parameter(
        kind="uncertainty",
        meaning="$K_d[\\text{hybrid},k]$: compatibility of the hybrid option with any other",
        unit="share",
        range="0 to 1",
        source="calibrated as `cross_bloc_compat`; a hedge keeps most but not all compatibility",
        low=0.0,
        high=1.0,
    ),
    "eu_us_ai_compat": Parameter(
        kind="uncertainty",
        meaning="$K_{ai}[eu,us]$",
        unit="share",
        range="0 to 1",
        source="assumption: the EU regime is closer to the US one than to China's",
        low=0.0,
        high=1.0,
    ),
    "eu_cn_ai_compat": Parameter(
        kind="uncertainty",
        meaning="$K_{ai}[eu,cn]$",
        unit="share",
        range="0 to 1",
        source="assumption (see `eu_us_ai_compat`)",
        low=0.0,
        high=1.0,
    ),
    "flow": Parameter(
        kind="uncertainty",
        meaning="$\\varphi_l$: share of exchange a state's data rules let through, for open, conditional, sectoral, strict",
        unit="share",
        range="each 0 to 1, non-increasing",
        source="open = 1 by convention; the other three calibrated as `cross_bloc_compat` (Section 11)",
        low=0.0,
        high=1.0,
    ),
    "adequacy_flow": Parameter(
        kind="uncertainty",
        meaning="$\\varphi^A$: permission of a `conditional` state inside an adequacy pair",
        unit="share",
        range="0 to 1",
        source="assumption: an EU adequacy decision lets personal data flow as within the EEA (`SOURCES.md`, S-ADQ)",
        low=0.0,
        high=1.0,
    ),
    "weight_trade": Parameter(
        kind="uncertainty",
        meaning="$\\omega_T$, weight of trade in utility",
        unit="utility units per unit trade",
        range=">= 0",
        source="assumption: equal weights",
        low=0.0,
    ),
    "weight_security": Parameter(
        kind="uncertainty",
        meaning="$\\omega_S$, weight of security",
        unit="dimensionless",
        range=">= 0",
        source="assumption: equal weights",
        low=0.0,
    ),
    "weight_economy": Parameter(
        kind="uncertainty",
        meaning="$\\omega_E$, weight of economy",
        unit="dimensionless",
        range=">= 0",
        source="assumption: equal weights",
        low=0.0,
    ),
    "weight_sovereignty": Parameter(
        kind="uncertainty",
        meaning="$\\omega_V$, weight of sovereignty",
        unit="dimensionless",
        range=">= 0",
        source="assumption: equal weights",
        low=0.0,
    ),
    "vendor_risk": Parameter(
        kind="uncertainty",
        meaning="$\\rho_d$: security loss per unit hostility from a hostile bloc's stack, per domain",
        unit="utility units",
        range="each >= 0",
        source="assumption: network equipment the largest exposure, as in the Huawei/5G debates (Christie et al. 2023; EU 5G Toolbox)",
        low=0.0,
    ),
    "capacity_mitigation": Parameter(
        kind="uncertainty",
        meaning="$\\mu$: share of exposure removed at capacity 1 (GCI 100)",
        unit="share",
        range="0 to 1",
        source="assumption: capacity mitigates, never removes, exposure",
        low=0.0,
        high=1.0,
    ),
    "partner_value": Parameter(
        kind="uncertainty",
        meaning="$\\beta_{\\mathrm{partner}}$: value of full compatibility with all security partners, summed over domains",
        unit="utility units",
        range=">= 0",
        source="assumption; mechanism from landscape theory (Axelrod & Bennett 1993)",
        low=0.0,
    ),
    "patron_value": Parameter(
        kind="uncertainty",
        meaning="$\\beta_{\\mathrm{patron}}$: value per domain of a stack from a bloc one has full affinity with",
        unit="utility units",
        range=">= 0",
        source="assumption; mechanism from patron–client theory (Christie et al. 2023)",
        low=0.0,
    ),
    "localization_security": Parameter(
        kind="uncertainty",
        meaning="$\\lambda_S$: security value of strict localization ($c=1$)",
        unit="utility units",
        range=">= 0",
        source="assumption",
        low=0.0,
    ),
    "vendor_cost": Parameter(
        kind="uncertainty",
        meaning="$v_{d,k}$: cost of each bloc option per domain, in `ECOSYSTEMS` order without `hybrid` (5G us, cn; semiconductors us, cn; AI us, cn, eu)",
        unit="utility units",
        range=">= 0; 2, 2, 3 values",
        source="assumption: price premium of US-bloc 5G equipment, of China-bloc chips, compliance cost of the EU AI regime",
        low=0.0,
    ),
    "hybrid_cost": Parameter(
        kind="uncertainty",
        meaning="$v_h$: dual-stack cost added to the mean bloc cost of `hybrid`",
        unit="utility units",
        range=">= 0",
        source="assumption",
        low=0.0,
    ),
    "export_controls": Parameter(
        kind="lever",
        meaning="$x$: strictness of US export controls on frontier chips (0 none, 1 full denial)",
        unit="share",
        range="0 to 1",
        source="assumption; motivated by the US BIS controls of 7 Oct 2022 (`rivalries.csv`)",
        low=0.0,
        high=1.0,
    ),
    "frontier_value": Parameter(
        kind="uncertainty",
        meaning="$F$: value of full frontier-chip access",
        unit="utility units",
        range=">= 0",
        source="assumption",
        low=0.0,
    ),
    "industry_weight": Parameter(
        kind="uncertainty",
        meaning="$\\gamma$: value per unit domestic capacity of aligning with one's industry's bloc",
        unit="utility units",
        range=">= 0",
        source="assumption",
        low=0.0,
    ),
    "localization_protection": Parameter(
        kind="uncertainty",
        meaning="$\\lambda_P$: protection strict localization gives domestic tech firms, per unit of the largest tech capacity",
        unit="utility units",
        range=">= 0",
        source="assumption",
        low=0.0,
    ),
    "innovation_loss": Parameter(
        kind="uncertainty",
        meaning="$\\lambda_I$: cross-border innovation lost under strict localization",
        unit="utility units",
        range=">= 0",
        source="assumption; sign as in ITIF (2021: localization goes with lower productivity) and ECIPE (2014: GDP losses); magnitude not calibrated",
        low=0.0,
    ),
    "state_attack_rate": Parameter(
        kind="uncertainty",
        meaning="$r_S$: expected state-sponsored incidents per step from one bloc on a fully hostile outsider without capacity, per unit of $(\\epsilon + E_{ib})$, summed over sectors when `sector_weights` sum to 1 (Section 7.12)",
        unit="incidents per step",
        range=">= 0",
        source="assumption: state-sponsored incidents are rare events",
        low=0.0,
    ),
    "exposure_floor": Parameter(
        kind="uncertainty",
        meaning="$\\epsilon$: exposure a state has to a bloc's attacks even with none of its technology",
        unit="share",
        range=">= 0",
        source="assumption: attacks do not need vendor access, but a bloc's stack makes them easier",
        low=0.0,
    ),
    "capacity_shield": Parameter(
        kind="uncertainty",
        meaning="$\\chi$: share of incidents (state-sponsored and criminal) prevented at capacity 1 (GCI 100)",
        unit="share",
        range="0 to 1",
        source="assumption: capacity (ITU GCI 2024) lowers, never removes, incidence",
        low=0.0,
        high=1.0,
    ),
    "criminal_attack_rate": Parameter(
        kind="uncertainty",
        meaning="$r_C$: expected criminal incidents per step on a state without capacity, summed over sectors",
        unit="incidents per step",
        range=">= 0",
        source="assumption: a background of incidents independent of geopolitics",
        low=0.0,
    ),
    "sector_weights": Parameter(
        kind="uncertainty",
        meaning="$\\nu_s$: share of incidents in energy, finance, health",
        unit="shares",
        range="each 0 to 1",
        source="assumption: finance the most frequent target, health the least",
        low=0.0,
        high=1.0,
    ),
    "sector_damage": Parameter(
        kind="uncertainty",
        meaning="$\\delta_s$: damage per incident in energy, finance, health before defence",
        unit="damage units",
        range="each >= 0",
        source="assumption: energy incidents the most damaging; the scale is set relative to `vendor_ban_damage` and `threat_weight`",
        low=0.0,
    ),
    "capacity_defense": Parameter(
        kind="uncertainty",
        meaning="$\\mu_D$: share of damage removed at capacity 1",
        unit="share",
        range="0 to 1",
        source="assumption",
        low=0.0,
        high=1.0,
    ),
    "cooperation_defense": Parameter(
        kind="uncertainty",
        meaning="$\\mu_C$: share of damage removed at full defensive cooperation ($\\mathrm{coop}_i = 1$)",
        unit="share",
        range="0 to 1",
        source="assumption: partners and coalitions help less than own capacity",
        low=0.0,
        high=1.0,
    ),
    "attribution_base": Parameter(
        kind="uncertainty",
        meaning="$a_0$: attribution probability of a state with no capacity, partners or coalition",
        unit="probability",
        range="0 to 1",
        source="assumption; mechanism after Edwards et al. (2017)",
        low=0.0,
        high=1.0,
    ),
    "attribution_capacity": Parameter(
        kind="uncertainty",
        meaning="$a_\\kappa$: added attribution probability at capacity 1",
        unit="probability",
        range="0 to 1",
        source="assumption; own knowledge as attribution capability (Edwards et al. 2017)",
        low=0.0,
        high=1.0,
    ),
    "attribution_sharing": Parameter(
        kind="uncertainty",
        meaning="$a_L$: added attribution probability with 5 or more partners of capacity 1",
        unit="probability",
        range="0 to 1",
        source="assumption; capability from what partners share (Edwards et al. 2017)",
        low=0.0,
        high=1.0,
    ),
    "attribution_coalition": Parameter(
        kind="uncertainty",
        meaning="$a_C$: added attribution probability per unit size share of the largest coalition the state is in",
        unit="probability",
        range="0 to 1",
        source="assumption: evidence-sharing provisions of the conventions",
        low=0.0,
        high=1.0,
    ),
    "hostility_shock": Parameter(
        kind="uncertainty",
        meaning="$k_h$: rise in the victim's hostility toward the attacking bloc after an attributed attack",
        unit="hostility (share)",
        range="0 to 1",
        source="assumption",
        low=0.0,
        high=1.0,
    ),
    "partner_spillover": Parameter(
        kind="uncertainty",
        meaning="$k_p$: share of `hostility_shock` that reaches each sharing partner of the victim",
        unit="share",
        range="0 to 1",
        source="assumption: partners learn of the attribution",
        low=0.0,
        high=1.0,
    ),
    "distrust_shock": Parameter(
        kind="uncertainty",
        meaning="$k_u$: rise in hostility toward every attacker bloc whose camp the victim is not in, after an unattributed attack",
        unit="hostility (share)",
        range="0 to 1",
        source="assumption: small, diffuse suspicion",
        low=0.0,
        high=1.0,
    ),
    "hostility_recovery": Parameter(
        kind="uncertainty",
        meaning="$\\rho_h$: share of the gap to the baseline hostility closed per step",
        unit="per step",
        range="0 to 1",
        source="assumption: half-life of about 34 steps",
        low=0.0,
        high=1.0,
    ),
    "threat_weight": Parameter(
        kind="uncertainty",
        meaning="$w_z$: threat per unit of damage suffered in a step",
        unit="threat per damage unit",
        range=">= 0",
        source="assumption: one energy incident on a state without defences (damage 0.06) raises threat by 1.2, i.e. more than doubles the security value of localization",
        low=0.0,
    ),
    "threat_decay": Parameter(
        kind="uncertainty",
        meaning="$\\phi$: share of threat kept from one step to the next",
        unit="per step",
        range="0 to 1",
        source="assumption: threat memory of about 10 steps",
        low=0.0,
        high=1.0,
    ),
    "vendor_ban_damage": Parameter(
        kind="uncertainty",
        meaning="damage of an attributed incident at or above which a victim that runs the attacker's 5G bans its vendors",
        unit="damage units",
        range=">= 0",
        source="assumption; with the default damages energy and finance incidents on weakly defended states reach it, health incidents only without any defence",
        low=0.0,
    ),
    "sanction_hostility": Parameter(
        kind="uncertainty",
        meaning="hostility toward the attacker at or above which the response is sanctions rather than public blame",
        unit="hostility (share)",
        range="0 to 1",
        source="assumption",
        low=0.0,
        high=1.0,
    ),
    "sharing_revision": Parameter(
        kind="uncertainty",
        meaning="probability per step that a state reviews its partnerships",
        unit="probability per step",
        range="0 to 1",
        source="assumption: partnerships change more slowly than policy is revised (`revision_rate` 0.2)",
        low=0.0,
        high=1.0,
    ),
    "sharing_ties": Parameter(
        kind="uncertainty",
        meaning="$c_T$: sharing value per unit of security-tie strength $T_{ij}$",
        unit="value per tie unit",
        range=">= 0",
        source="assumption: allies share first (e.g. Five Eyes, NATO)",
        low=0.0,
    ),
    "sharing_ecosystem": Parameter(
        kind="uncertainty",
        meaning="$c_E$: sharing value of using the same option in all three domains",
        unit="sharing-value units",
        range=">= 0",
        source="assumption: a common stack makes shared threat data usable",
        low=0.0,
    ),
    "sharing_trust": Parameter(
        kind="uncertainty",
        meaning="$c_H$: sharing value of identical hostility toward the US and Chinese blocs",
        unit="sharing-value units",
        range=">= 0",
        source="assumption",
        low=0.0,
    ),
    "sharing_cost": Parameter(
        kind="lever",
        meaning="$c_0$: cost of a partnership (sharing values are compared with 0 only)",
        unit="sharing-value units",
        range=">= 0",
        source="assumption; with the defaults, pairs without ties share only if overlap + trust $> 7/6$, i.e. when ecosystems and threat perceptions are close",
        low=0.0,
    ),
    "coalition_revision": Parameter(
        kind="uncertainty",
        meaning="probability per step that a state reviews its coalition memberships",
        unit="probability per step",
        range="0 to 1",
        source="assumption: treaty membership changes slowly",
        low=0.0,
        high=1.0,
    ),
    "coalition_cooperation": Parameter(
        kind="uncertainty",
        meaning="$c_{co}$: value of a coalition containing every state, for a state of capacity 1 (doubled at capacity 0)",
        unit="coalition-value units",
        range=">= 0",
        source="assumption; size-dependent value as in standard-setting alliances (Axelrod et al. 1995)",
        low=0.0,
    ),
    "coalition_patron": Parameter(
        kind="uncertainty",
        meaning="$c_{pa}$: value per unit affinity difference toward the coalition's side (Budapest: US, UN track: China)",
        unit="coalition-value units",
        range=">= 0",
        source="assumption",
        low=0.0,
    ),
    "coalition_sovereignty_cost": Parameter(
        kind="uncertainty",
        meaning="$c_{sv}$: cost of membership per unit preference for data control",
        unit="coalition-value units",
        range=">= 0",
        source="assumption: cross-border evidence access cuts into data control",
        low=0.0,
    ),
    "coalition_cost": Parameter(
        kind="lever",
        meaning="$c_c$: fixed cost of membership",
        unit="coalition-value units",
        range=">= 0",
        source="assumption",
        low=0.0,
    ),
    "un_track_sovereignty_discount": Parameter(
        kind="uncertainty",
        meaning="$\\delta_U$: share of the sovereignty cost the UN track removes",
        unit="share",
        range="0 to 1",
        source="assumption: the UN track is the sovereignty-first alternative",
        low=0.0,
        high=1.0,
    ),
    "coalition_margin": Parameter(
        kind="uncertainty",
        meaning="$m$: value a non-member needs to join; members leave below $-m$",
        unit="coalition-value units",
        range=">= 0",
        source="assumption: hysteresis against flip-flopping",
        low=0.0,
    ),
    "brussels_rate": Parameter(
        kind="lever",
        meaning="$\\beta_B$: probability per step of adopting GDPR-style rules at full EU dependence",
        unit="probability per step",
        range="0 to 1",
        source="assumption; mechanism from Bradford (2012/2020); Greenleaf's count (about 5.4 new laws a year since 2020) is not used because a step has no calendar length",
        low=0.0,
        high=1.0,
    ),
    "adequacy_rate": Parameter(
        kind="lever",
        meaning="$\\beta_A$: probability per step of an adequacy grant at full EU dependence, for a state with GDPR-style rules",
        unit="probability per step",
        range="0 to 1",
        source="assumption: adequacy is rarer and slower than adopting rules",
        low=0.0,
        high=1.0,
    ),
    "patron_targets": Parameter(
        kind="lever",
        meaning="number of swing states each patron makes a new offer to per step",
        unit="states per step",
        range="integer >= 0",
        source="assumption",
        low=0,
    ),
    "inducement": Parameter(
        kind="lever",
        meaning="amount of a patron's offer, per unit of its bloc's stack share in each domain (economy)",
        unit="utility units",
        range=">= 0",
        source="assumption: of the order of a vendor cost (Section 8.1)",
        low=0.0,
    ),
    "inducement_duration": Parameter(
        kind="lever",
        meaning="steps an offer lasts",
        unit="steps",
        range="integer >= 1",
        source="assumption",
        low=1,
    ),
    "pressure": Parameter(
        kind="lever",
        meaning="security cost a patron attaches, per unit of the rival bloc's stack share in each domain, for its clients on the rival's 5G",
        unit="utility units",
        range=">= 0",
        source="assumption; mechanism from patron–client theory (Christie et al. 2023)",
        low=0.0,
    ),
    "initial_overrides": Parameter(
        kind="setting",
        meaning='starting options for chosen states, e.g. IND = {5g = "us", localization = "open"}',
        unit="–",
        range="state codes of the world; domains 5g, semiconductors, ai or localization; their options",
        source="scenario design",
    ),
    "cyber_layer": Parameter(
        kind="setting",
        meaning="run the cyber foreign-policy layer (Sections 2.1, 3.1, 7.12–7.23)",
        unit="–",
        range="`true`/`false`",
        source="the layer is part of the model; `False` gives the core alone with the same core draws (Section 7.20)",
    ),
    "shocks": Parameter(
        kind="setting",
        meaning="scheduled shocks (Section 7.21)",
        unit="–",
        range="list of tables",
        source="none: shocks are scenario inputs",
    ),
    "steps": Parameter(
        kind="setting",
        meaning="steps to run (also the step limit)",
        unit="steps",
        range="1 to 100000",
        source="convention",
        low=1,
        high=100000,
    ),
    "seeds": Parameter(
        kind="setting",
        meaning="seeds of the replicate runs",
        unit="–",
        range="non-empty list of integers >= 0",
        source="convention",
        low=0,
    ),
    "format": Parameter(
        kind="setting",
        meaning="file format of the tables a run writes",
        unit="–",
        range="`parquet`, `csv`",
        source="Parquet: an open, typed, compressed columnar format",
    ),
}


# --- the parameter tables of docs/ODD.md ------------------------------------------------------------

TABLE_GROUPS = ("payoffs", "model", "cyber")
"""The generated tables: PayoffParams fields, SovereigntyModel keywords, CyberParams fields."""


def defaults(group: str) -> dict[str, object]:
    """Return ``{name: default}`` of a table group, read from the code."""
    import dataclasses
    import inspect

    if group == "payoffs":
        from simulation.payoffs import PayoffParams

        return {f.name: f.default for f in dataclasses.fields(PayoffParams)}
    if group == "cyber":
        from simulation.cyber import CyberParams

        return {f.name: f.default for f in dataclasses.fields(CyberParams)}
    from simulation.model import SovereigntyModel

    sig = inspect.signature(SovereigntyModel.__init__).parameters
    return {k: p.default for k, p in sig.items() if k not in ("self", "rng", "params")}


def markdown_table(group: str) -> str:
    """Return the Markdown parameter table of ``group`` (see :data:`TABLE_GROUPS`)."""
    lines = [
        "| Parameter | Kind | Meaning | Unit | Range | Default | Source / justification |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, default in defaults(group).items():
        p = PARAMETERS[name]
        cells = [f"`{name}`", p.kind, p.meaning, p.unit, p.range, f"`{default!r}`", p.source]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def update_odd(path: str = "docs/ODD.md", check: bool = False) -> bool:
    """Rewrite the generated tables between ``<!-- parameters:GROUP -->`` markers in ``path``.

    Returns whether the file was (or, with ``check``, would be) changed.
    """
    import re
    from pathlib import Path

    file = Path(path)
    text = file.read_text(encoding="utf-8")
    new = text
    for group in TABLE_GROUPS:
        begin, end = f"<!-- parameters:{group} -->", f"<!-- /parameters:{group} -->"
        pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
        if not pattern.search(new):
            raise ValueError(f"{path}: no {begin} ... {end} markers")
        new = pattern.sub(lambda _m, g=group, b=begin, e=end: f"{b}\n{markdown_table(g)}\n{e}", new)
    if new != text and not check:
        file.write_text(new, encoding="utf-8")
    return new != text
