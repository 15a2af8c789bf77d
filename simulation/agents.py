"""States as Mesa agents: initial policies and the decision rules by which they revise them.

A state's *policy* is one option per technology domain (``us``, ``cn``, for AI also ``eu``, or
``hybrid``) and a data-localization level; 3 x 3 x 4 x 4 = 144 policies in all. A revising state
knows the utility each of the 144 would give it, the others' policies held fixed
(:func:`simulation.payoffs.option_values`), minus the cost of switching from its current policy,
and chooses by one of three rules:

``logit``
    quantal (logit) best response: policy ``k`` with probability
    ``exp(v_k / tau) / sum exp(v / tau)``;
    ``tau -> 0`` is best response, large ``tau`` near-random choice (McKelvey & Palfrey 1995).
``best``
    plain best response: the best policy, ties broken at random.
``imitate``
    imitation of more successful similar states: the state samples a peer with probability
    proportional to ``exp(-|affinity_i - affinity_j|_1 / 0.25)`` and copies the peer's policy with
    probability ``(U_peer - U_own - switching cost) / imitation_scale``, clipped to [0, 1]
    (proportional imitation, Schlag 1998).
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

import mesa
import numba
import numpy as np

from simulation.payoffs import COMPONENTS, POLICIES
from simulation.world import DOMAINS, ECOSYSTEMS, LOCALIZATION, World

if TYPE_CHECKING:
    from simulation.model import SovereigntyModel

DECISION_RULES = ("logit", "best", "imitate")
INITIAL_POLICIES = ("observed", "neutral", "random")
SIMILARITY_SCALE = 0.25
_POLICY_ROWS = [tuple(row) for row in POLICIES.tolist()]


def initial_policies(
    world: World, kind: str, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Return the starting ``(align, loc)`` profile.

    ``observed``
        from the data: 5G from Huawei restrictions (ban -> US bloc, partial -> hybrid, none ->
        China's bloc for SCO members and China, hybrid otherwise); semiconductors and AI from
        security ties (affinity >= 0.5 with one patron and above the other -> that bloc, EU and EEA
        members -> EU AI regime, otherwise hybrid); localization from the data-localization
        category (strict and broad -> strict, sectoral -> sectoral, imputed -> conditional).
    ``neutral``
        every state hybrid in every domain with open data flows.
    ``random``
        every option drawn uniformly from the model's ``rng``.
    """
    n = world.n
    if kind == "neutral":
        align = np.array([[ECOSYSTEMS[d].index("hybrid") for d in DOMAINS]] * n, dtype=np.int64)
        return align, np.zeros(n, dtype=np.int64)
    if kind == "random":
        align = np.column_stack([rng.integers(0, len(ECOSYSTEMS[d]), n) for d in DOMAINS])
        return align.astype(np.int64), rng.integers(0, len(LOCALIZATION), n).astype(np.int64)
    if kind != "observed":
        raise ValueError(f"initial_policy {kind!r}: allowed {', '.join(INITIAL_POLICIES)}")
    t = world.table
    us_aff, cn_aff = world.affinity[:, 0], world.affinity[:, 1]
    leans_us = (us_aff >= 0.5) & (us_aff > cn_aff)
    leans_cn = (cn_aff >= 0.5) & (cn_aff > us_aff)
    huawei = t["restricts_huawei_5g"].astype(str).to_numpy()
    sco = t["sco"].to_numpy() == 1
    is_cn = np.arange(n) == world.patrons["cn"]
    g5 = np.select(
        [is_cn, huawei == "1", huawei == "partial", sco & (huawei == "0")],
        [1, 0, 2, 1],
        default=2,
    )
    semi = np.select([leans_us, leans_cn], [0, 1], default=2)
    eu = world.eea
    ai = np.select([eu, leans_cn, leans_us], [2, 1, 0], default=3)
    category = t["data_localization"].fillna("conditional").astype(str).to_numpy()
    level = {"open": 0, "conditional": 1, "sectoral": 2, "broad": 3, "strict": 3}
    loc = np.array([level[c] for c in category], dtype=np.int64)
    return np.column_stack([g5, semi, ai]).astype(np.int64), loc


def resolve_overrides(
    overrides: dict[str, dict[str, str]] | None, codes: list[str], label: str = "initial_overrides"
) -> list[tuple[int, str, int]]:
    """Check starting-option overrides against the world's state codes; return the assignments.

    ``overrides`` is like ``{"IND": {"5g": "us", "localization": "open"}}``: keys are domains
    (``5g``, ``semiconductors``, ``ai``) or ``localization``, values options of that domain or
    localization levels. Returns ``(state row, key, option index)`` triples; raises
    ``ValueError`` naming the state, the key and what is allowed (prefixed by ``label``).
    """
    rows = {code: i for i, code in enumerate(codes)}
    out = []
    for code, choice in (overrides or {}).items():
        if code not in rows:
            hint = difflib.get_close_matches(str(code), codes, n=1)
            extra = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise ValueError(f"{label}.{code}: unknown state code{extra}")
        if not isinstance(choice, dict):
            raise ValueError(f"{label}.{code}: expected a table of domain = option")
        for key, option in choice.items():
            allowed = LOCALIZATION if key == "localization" else ECOSYSTEMS.get(key)
            if allowed is None:
                keys = (*DOMAINS, "localization")
                raise ValueError(f"{label}.{code}.{key}: unknown domain; allowed {', '.join(keys)}")
            if option not in allowed:
                raise ValueError(
                    f"{label}.{code}.{key}: unknown option {option!r}; allowed {', '.join(allowed)}"
                )
            out.append((rows[code], key, allowed.index(option)))
    return out


def apply_overrides(
    world: World, align: np.ndarray, loc: np.ndarray, overrides: dict[str, dict[str, str]] | None
) -> None:
    """Set chosen states' starting options in place (see :func:`resolve_overrides`)."""
    for i, key, option in resolve_overrides(overrides, world.iso3.tolist()):
        if key == "localization":
            loc[i] = option
        else:
            align[i, DOMAINS.index(key)] = option


def logit_weights(values: np.ndarray, temperature: float) -> np.ndarray:
    """Return cumulative logit weights ``cumsum(exp((v - max v) / temperature))`` (last axis).

    Drawing ``u`` uniform on ``[0, last)`` and taking the first index whose cumulative weight
    exceeds ``u`` picks policy ``k`` with probability ``softmax(values / temperature)_k``.
    """
    values = np.asarray(values, dtype=float)
    rows = np.ascontiguousarray(values.reshape(-1, values.shape[-1]))
    return _logit_weights(rows, float(temperature)).reshape(values.shape)


@numba.njit(cache=True)
def _logit_weights(values, temperature):  # pragma: no cover - compiled; tested via logit_weights
    out = np.empty_like(values)
    for r in range(values.shape[0]):
        top = values[r].max()
        total = 0.0
        for k in range(values.shape[1]):
            total += np.exp((values[r, k] - top) / temperature)
            out[r, k] = total
    return out


def draw_cumulative(cumulative: np.ndarray, rng: np.random.Generator) -> int:
    """Return an index drawn with probability proportional to the increments of ``cumulative``."""
    return int(cumulative.searchsorted(rng.random() * cumulative[-1], side="right"))


def logit_choice(values: np.ndarray, temperature: float, rng: np.random.Generator) -> int:
    """Return an index drawn with probability ``softmax(values / temperature)``."""
    if temperature <= 0:
        return best_choice(values, rng)
    return draw_cumulative(logit_weights(values, temperature), rng)


def best_choice(values: np.ndarray, rng: np.random.Generator) -> int:
    """Return the index of the largest value, ties (within 1e-12) broken uniformly at random."""
    best = np.flatnonzero(values >= values.max() - 1e-12)
    return int(best[0] if len(best) == 1 else rng.choice(best))


def imitation_peer(affinity: np.ndarray, i: int, rng: np.random.Generator) -> int:
    """Return a peer of state ``i`` drawn with probability decreasing in affinity distance."""
    dist = np.abs(affinity - affinity[i]).sum(axis=1)
    weight = np.exp(-dist / SIMILARITY_SCALE)
    weight[i] = 0.0
    return int(rng.choice(len(weight), p=weight / weight.sum()))


class StateAgent(mesa.Agent):
    """A state. The model keeps policies in arrays; the agent mirrors its row for reporting.

    Attributes
    ----------
    index : int
        Row of this state in the world's and the model's arrays.
    iso3 : str
        ISO 3166-1 alpha-3 code (``S00042`` in a synthetic world).
    policy : tuple of str
        Current ``(5G option, semiconductor option, AI option, localization level)``.
    payoffs : tuple of float
        Current ``(trade, security, economy, sovereignty, utility)``.
    options : numpy.ndarray or None
        While the state is revising: the net value of each of the 144 policies (utility minus
        switching cost), or for the logit rule their cumulative logit weights
        (:func:`logit_weights`).
    """

    model: SovereigntyModel

    def __init__(self, model: SovereigntyModel, index: int) -> None:
        super().__init__(model)
        self.index = index
        self.iso3 = str(model.world.iso3[index])
        self.options: np.ndarray | None = None
        self.sync_policy()

    @property
    def payoffs(self) -> tuple[float, ...]:
        """Current ``(trade, security, economy, sovereignty, utility)``, read from the model."""
        comps, i = self.model.evaluation.components, self.index
        return tuple(float(comps[k][i]) for k in COMPONENTS)

    def sync_policy(self) -> None:
        """Copy this state's policy from the model's arrays into the agent's attributes."""
        m, i = self.model, self.index
        options = (ECOSYSTEMS[d][k] for d, k in zip(DOMAINS, m.align[i].tolist(), strict=True))
        self.policy = (*options, LOCALIZATION[int(m.loc[i])])

    def revise(self) -> None:
        """Choose a policy by the model's decision rule and write it to the model's next profile.

        Expects :attr:`options` to be set by the model for the states revising this step (not
        used by imitation, which compares realised utilities).
        """
        m = self.model
        if m.decision_rule == "imitate":
            peer = imitation_peer(m.world.affinity, self.index, m.rng)
            utility = m.evaluation.components["utility"]
            moves = np.sum(m.align[peer] != m.align[self.index]) + (
                m.loc[peer] != m.loc[self.index]
            )
            gain = utility[peer] - utility[self.index] - m.switching_cost * moves
            if m.rng.random() < np.clip(gain / m.imitation_scale, 0.0, 1.0):
                m.next_align[self.index] = m.align[peer]
                m.next_loc[self.index] = m.loc[peer]
            return
        if m.decision_rule == "best" or m.temperature <= 0:
            choice = best_choice(self.options, m.rng)
        else:
            choice = draw_cumulative(self.options, m.rng)
        *alignment, level = _POLICY_ROWS[choice]
        m.next_align[self.index] = alignment
        m.next_loc[self.index] = level
