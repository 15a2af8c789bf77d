"""Scenario files: a world and a question in a small TOML file, checked before anything runs.

A scenario sets the world, the initial policies and decision rule, payoff and cyber-layer
parameters, a schedule of shocks, the run length and seeds, and the outputs. A file may say
``extends = "baseline.toml"`` and change only what differs: tables merge key by key, anything else
(numbers, strings, lists such as ``shocks``) is replaced. The schema is :class:`Scenario` (pydantic);
every field carries its unit, range, default, source and whether it is a **lever** (a policy
choice) or an **uncertainty** (an exogenous assumption) or a run **setting**.
``docs/scenario-reference.md`` is generated from it (:func:`reference_markdown`).

Every problem with a file raises :class:`ScenarioError`, whose message is one line naming the file,
the key and what is allowed.
"""

from __future__ import annotations

import dataclasses
import difflib
import inspect
import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import tomli_w
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, create_model

from simulation import cyber, payoffs
from simulation.agents import DECISION_RULES, INITIAL_POLICIES, resolve_overrides
from simulation.model import SovereigntyModel
from simulation.parameters import PARAMETERS
from simulation.world import read_states

PROJECT_SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


class ScenarioError(ValueError):
    """A scenario file problem, reported in one line: ``file: key: what is allowed``."""


# --- the schema ------------------------------------------------------------------------------------

_STRICT = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True, strict=True)


def _as_tuple(value: Any) -> Any:
    """Let TOML arrays (lists) stand for tuples, nested ones too, before strict validation."""
    if isinstance(value, list):
        return tuple(_as_tuple(v) for v in value)
    return value


def _field(name: str, default: Any, **kwargs: Any) -> Any:
    """Return a pydantic ``Field`` for parameter ``name`` with its documented metadata."""
    info = PARAMETERS[name]
    extra = {
        "parameter": name,
        "kind": info.kind,
        "unit": info.unit,
        "range": info.range,
        "source": info.source,
    }
    return Field(default, description=info.meaning, json_schema_extra=extra, **kwargs)


def _annotation(name: str, default: Any) -> Any:
    """Return the type of parameter ``name``: strict scalars bounded by its range, tuples element-wise."""
    info = PARAMETERS[name]
    bounds = {}
    if info.low is not None:
        bounds["ge"] = info.low
    if info.high is not None:
        bounds["le"] = info.high
    if isinstance(default, bool):
        return bool
    if isinstance(default, int):
        return Annotated[int, Field(**bounds)]
    number = Annotated[float, Field(**bounds)]
    if isinstance(default, tuple) and default and isinstance(default[0], tuple):
        inner = tuple[tuple(tuple[tuple(number for _ in row)] for row in default)]
        return Annotated[inner, BeforeValidator(_as_tuple)]
    if isinstance(default, tuple):
        return Annotated[tuple[tuple(number for _ in default)], BeforeValidator(_as_tuple)]
    return number


def _section_model(
    name: str,
    fields: dict[str, tuple[str, Any]],
    doc: str,
    extra_fields: dict[str, Any] | None = None,
) -> type[BaseModel]:
    """Return a strict pydantic model with one field per ``key: (parameter name, default)``."""
    spec = dict(extra_fields or {})
    for key, (param, default) in fields.items():
        spec[key] = (_annotation(param, default), _field(param, default))
    model = create_model(name, __config__=_STRICT, __doc__=doc, **spec)
    return model


def _defaults(cls: Any) -> dict[str, tuple[str, Any]]:
    return {f.name: (f.name, f.default) for f in dataclasses.fields(cls)}


_MODEL_DEFAULTS = {
    name: p.default for name, p in inspect.signature(SovereigntyModel.__init__).parameters.items()
}

WorldSection = _section_model(
    "WorldSection",
    {"n_states": ("n_states", _MODEL_DEFAULTS["n_states"]), "seed": ("world_seed", 0)},
    "Which world to simulate.",
    {"kind": (Literal["default", "synthetic"], _field("world", "default"))},
)
RunSection = _section_model(
    "RunSection",
    {"steps": ("steps", 100)},
    "How long and with which seeds.",
    {
        "seeds": (
            Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=1)],
            _field("seeds", [42]),
        )
    },
)
DecisionsSection = _section_model(
    "DecisionsSection",
    {
        name: (name, _MODEL_DEFAULTS[name])
        for name in (
            "temperature",
            "revision_rate",
            "switching_cost",
            "imitation_scale",
            "patience",
        )
    },
    "How states start and how they revise their policies.",
    {
        "initial_policy": (Literal[INITIAL_POLICIES], _field("initial_policy", "observed")),  # type: ignore[valid-type]
        "decision_rule": (Literal[DECISION_RULES], _field("decision_rule", "logit")),  # type: ignore[valid-type]
    },
)
OutputSection = _section_model(
    "OutputSection",
    {"collect_agents": ("collect_agents", True)},
    "What a run writes.",
    {"format": (Literal["parquet", "csv"], _field("format", "parquet"))},
)
PayoffsSection = _section_model(
    "PayoffsSection",
    _defaults(payoffs.PayoffParams),
    "Payoff parameters (:class:`~simulation.payoffs.PayoffParams`).",
)
CyberSection = _section_model(
    "CyberSection",
    _defaults(cyber.CyberParams),
    "The cyber foreign-policy layer (:class:`~simulation.cyber.CyberParams`).",
    {"enabled": (bool, _field("cyber_layer", True))},
)


class Scenario(BaseModel):
    """A named scenario: the world, the question's settings, the run and its outputs."""

    model_config = _STRICT
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
    description: str = ""
    world: WorldSection = WorldSection()
    run: RunSection = RunSection()
    decisions: DecisionsSection = DecisionsSection()
    initial_overrides: dict[str, dict[str, str]] = Field(default_factory=dict)
    payoffs: PayoffsSection = PayoffsSection()  # type: ignore[valid-type]
    cyber: CyberSection = CyberSection()  # type: ignore[valid-type]
    shocks: list[dict[str, Any]] = Field(default_factory=list)
    output: OutputSection = OutputSection()

    def model_kwargs(self, seed: int) -> dict[str, Any]:
        """Return the keyword arguments of :class:`~simulation.model.SovereigntyModel` for a seed."""
        cyber_params = self.cyber.model_dump()
        enabled = cyber_params.pop("enabled")
        return {
            "world": self.world.kind,
            "n_states": self.world.n_states,
            "world_seed": self.world.seed,
            **self.decisions.model_dump(),
            "initial_overrides": self.initial_overrides or None,
            "max_steps": self.run.steps,
            "collect_agents": self.output.collect_agents,
            "cyber_layer": enabled,
            "shocks": self.shocks or None,
            "rng": seed,
            **self.payoffs.model_dump(),
            **cyber_params,
        }

    def to_toml(self) -> str:
        """Return the fully resolved scenario as TOML (no ``extends``)."""
        return tomli_w.dumps(_tomlable(self.model_dump(mode="python")))


def _tomlable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _tomlable(v) for k, v in value.items() if v is not None}
    if isinstance(value, tuple | list):
        return [_tomlable(v) for v in value]
    return value


# --- reading files -------------------------------------------------------------------------------


def scenario_dirs() -> list[Path]:
    """Return where scenario names are looked up: ``$SOVSIM_SCENARIOS``, ``./scenarios``, the project's."""
    dirs = []
    if os.environ.get("SOVSIM_SCENARIOS"):
        dirs.append(Path(os.environ["SOVSIM_SCENARIOS"]))
    dirs += [Path.cwd() / "scenarios", PROJECT_SCENARIOS]
    out: list[Path] = []
    for d in dirs:
        if d.is_dir() and d.resolve() not in [o.resolve() for o in out]:
            out.append(d)
    return out


def find(name_or_path: str) -> Path:
    """Return the file of a scenario given by path or by name (``baseline``, ``tech-cold-war``)."""
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.exists() or os.sep in name_or_path:
        return p
    for d in scenario_dirs():
        candidate = d / f"{name_or_path}.toml"
        if candidate.is_file():
            return candidate
    names = [s.stem for d in scenario_dirs() for s in d.glob("*.toml")]
    hint = difflib.get_close_matches(name_or_path, names, n=1)
    extra = f" (did you mean {hint[0]!r}?)" if hint else ""
    raise ScenarioError(
        f"{name_or_path}: no such scenario{extra}; `sovsim scenarios list` shows them"
    )


def read_toml(path: Path) -> dict[str, Any]:
    """Return the table in a TOML file; raise :class:`ScenarioError` for every kind of bad file."""
    if not path.exists():
        raise ScenarioError(f"{path}: no such file")
    if path.is_dir():
        raise ScenarioError(f"{path}: is a folder; expected a .toml file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            f"{path}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); save it as UTF-8"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: invalid TOML: {exc}") from None


def _merge(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def resolve_raw(path: Path, _chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Return the merged table of ``path`` and everything it extends (without ``extends``)."""
    path = Path(path)
    key = path.resolve()
    if key in _chain:
        cycle = " -> ".join(p.name for p in (*_chain, key))
        raise ScenarioError(f"{path}: extends: circular ({cycle})")
    data = read_toml(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str) or not parent:
        raise ScenarioError(f'{path}: extends: expected a file name such as "baseline.toml"')
    parent_path = path.parent / parent
    if not parent_path.suffix:
        parent_path = parent_path.with_suffix(".toml")
    if not parent_path.exists():
        raise ScenarioError(f"{path}: extends: {parent!r} not found next to it ({parent_path})")
    base = resolve_raw(parent_path, (*_chain, key))
    base.pop("name", None)
    base.pop("description", None)
    return _merge(base, data)


def load(name_or_path: str | Path) -> tuple[Scenario, Path]:
    """Return the validated scenario of a file or name, and the file it came from."""
    path = find(str(name_or_path))
    raw = resolve_raw(path)
    raw.setdefault("name", path.stem)
    return validate(raw, path), path


def validate(raw: dict[str, Any], path: Path | str = "<scenario>") -> Scenario:
    """Return the :class:`Scenario` for a merged table; raise :class:`ScenarioError` if invalid."""
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(f"{path}: {_describe(exc.errors()[0], raw)}") from None
    codes = _state_codes(scenario)
    if not scenario.cyber.enabled:
        for n, shock in enumerate(scenario.shocks):
            if shock.get("kind") != "export_controls":
                raise ScenarioError(
                    f"{path}: shocks[{n}].kind: {shock.get('kind')!r} needs the cyber layer "
                    "([cyber] enabled = true); allowed without it: 'export_controls'"
                )
    try:
        cyber.validate_shocks(scenario.shocks, codes)
        resolve_overrides(scenario.initial_overrides, codes)
    except ValueError as exc:
        raise ScenarioError(f"{path}: {exc}") from None
    # rules that span several keys (flows non-increasing, vendor_cost shape, ...)
    for section, cls in (("payoffs", payoffs.PayoffParams), ("cyber", cyber.CyberParams)):
        values = getattr(scenario, section).model_dump()
        values.pop("enabled", None)
        try:
            cls(**values)
        except ValueError as exc:
            raise ScenarioError(f"{path}: {section}.{exc}") from None
    return scenario


def _state_codes(s: Scenario) -> list[str]:
    if s.world.kind == "synthetic":
        return [f"S{i:05d}" for i in range(s.world.n_states)]
    return read_states()["iso3"].tolist()


def _field_at(loc: tuple[Any, ...]) -> tuple[type[BaseModel] | None, Any]:
    """Return the model that holds the key at ``loc`` and that key's pydantic field (or None)."""
    model: Any = Scenario
    parent, found = None, None
    for part in loc:
        fields = getattr(model, "model_fields", None)
        if not isinstance(part, str) or fields is None or part not in fields:
            break
        parent, found = model, fields[part]
        model = found.annotation
    return parent, found


def _describe(err: dict[str, Any], raw: dict[str, Any]) -> str:
    """Return one line for a pydantic error: the key, what was given and what is allowed."""
    loc = tuple(err["loc"])
    key = ".".join(str(p) for p in loc) or "(top level)"
    kind = err["type"]
    given = err.get("input")
    if kind == "extra_forbidden":
        container = _field_at(loc[:-1])[1] if len(loc) > 1 else None
        table = container.annotation if container is not None else Scenario
        known = list(getattr(table, "model_fields", {}))
        hint = difflib.get_close_matches(str(loc[-1]), known, n=1)
        extra = f" (did you mean {hint[0]!r}?)" if hint else ""
        return f"{key}: unknown key{extra}; allowed {', '.join(known)}"
    _, f = _field_at(loc)
    meta = (f.json_schema_extra or {}) if f is not None else {}
    allowed = ""
    if meta.get("range"):
        unit = meta.get("unit", "")
        allowed = f"; allowed {meta['range']}" + (f" ({unit})" if unit and unit != "–" else "")
    if kind == "missing":
        return f"{key}: missing{allowed or '; this key is required'}"
    if kind == "finite_number":
        return f"{key}: {given!r} is not a finite number{allowed}"
    if kind.startswith(("greater", "less")):
        return f"{key}: {given!r} is out of range{allowed}"
    if kind in ("literal_error", "enum"):
        return f"{key}: {given!r} is not allowed; {err['msg'].removeprefix('Input should be ')}"
    if kind == "string_pattern_mismatch":
        return f"{key}: {given!r}; allowed lower-case letters, digits, '-' and '_'"
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return f"{key}: {given!r} has the wrong type; {err['msg'].lower().removeprefix('input should be ')}{allowed}"
    return f"{key}: {err['msg'].lower()}, got {given!r}{allowed}"


# --- the reference page --------------------------------------------------------------------------

SECTIONS: dict[str, type[BaseModel]] = {
    "world": WorldSection,
    "run": RunSection,
    "decisions": DecisionsSection,
    "payoffs": PayoffsSection,
    "cyber": CyberSection,
    "output": OutputSection,
}


def reference_markdown() -> str:
    """Return ``docs/scenario-reference.md``: every scenario key with unit, range, default, source."""
    lines = [
        "# Scenario file reference",
        "",
        "<!-- Generated by `sovsim scenarios reference` from simulation/scenarios.py and",
        "     simulation/parameters.py. Do not edit by hand. -->",
        "",
        "A scenario is a TOML file under `scenarios/`. Top-level keys: `name` (lower-case letters, digits,",
        "`-`, `_`), `description`, `extends` (a file next to this one whose settings this one changes),",
        "the tables below, `[initial_overrides.ISO3]` (starting options for chosen states, e.g.",
        '`5g = "us"`, `localization = "open"`) and `[[shocks]]` (scheduled events).',
        "",
        "**Kind**: *lever* = a policy choice; *uncertainty* = an exogenous assumption; *setting* = how",
        "the run is done. Batch analyses sweep levers and sample uncertainties.",
        "",
    ]
    for section, model in SECTIONS.items():
        lines += [f"## `[{section}]`", "", (model.__doc__ or "").strip(), ""]
        lines += [
            "| key | kind | meaning | unit | range | default | source |",
            "|---|---|---|---|---|---|---|",
        ]
        for key, f in model.model_fields.items():
            extra = f.json_schema_extra or {}
            default = f.default if f.default is not None else ""
            if isinstance(default, tuple):
                default = list(default)
            cells = [
                f"`{key}`",
                str(extra.get("kind", "")),
                (f.description or "").replace("|", "\\|"),
                str(extra.get("unit", "")).replace("|", "\\|"),
                str(extra.get("range", "")).replace("|", "\\|"),
                f"`{_toml_value(default)}`",
                str(extra.get("source", "")).replace("|", "\\|"),
            ]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    lines += [
        "## `[[shocks]]`",
        "",
        "Each shock has `step` (a whole number >= 1: it happens at the start of that step) and `kind`:",
        "",
    ]
    lines += ["| kind | keys and allowed values |", "|---|---|"]
    for kind, keys in cyber.SHOCK_KINDS.items():
        parts = []
        for k, rule in keys.items():
            if (
                isinstance(rule, tuple)
                and len(rule) == 2
                and all(isinstance(r, int | float) for r in rule)
            ):
                parts.append(f"`{k}`: {rule[0]} to {rule[1]}")
            elif isinstance(rule, tuple):
                parts.append(f"`{k}`: " + ", ".join(f"`{r}`" for r in rule))
            else:
                parts.append(f"`{k}`: {rule}")
        lines.append(f"| `{kind}` | " + "; ".join(parts) + " |")
    lines.append("")
    return "\n".join(lines)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    return str(value)


def _question(text: str) -> str:
    """Return the question of a scenario file: its opening comment up to ``Look for:``."""
    parts = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        body = line.lstrip("#").strip()
        if body.lower().startswith(("look for", "sources")):
            break
        parts.append(body.removeprefix("Question:").strip())
    return " ".join(p for p in parts if p)


def list_scenarios() -> list[tuple[str, Path, str]]:
    """Return ``(name, file, question)`` for every scenario found, the question from its first comment."""
    out = []
    seen = set()
    for d in scenario_dirs():
        for path in sorted(d.glob("*.toml")):
            if path.stem in seen:
                continue
            seen.add(path.stem)
            question = _question(path.read_text(encoding="utf-8", errors="replace"))
            out.append((path.stem, path, question))
    return out
