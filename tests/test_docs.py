"""Keep docs/ODD.md in step with the code.

Checks that the parameter tables of ODD.md name every ``PayoffParams`` field, every ``CyberParams``
field and every ``SovereigntyModel`` keyword exactly once, with the code's default value; that every
model reporter key is documented (per-bloc shares by their pattern), including the cyber layer's
``cyber.summary`` keys; that the world-derivation constants in the constants table match the code;
and, for the cyber layer, that every shock kind and field (with its allowed values), every
validation message quoted, every event name, response and event-table column, and the order of the
foreign-policy phase match ``simulation/cyber.py`` and ``SovereigntyModel._foreign_policy``.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import math
import re
from functools import cache
from pathlib import Path

import pytest

from simulation import agents, cyber, metrics, world
from simulation.cyber import CyberParams
from simulation.model import SovereigntyModel
from simulation.payoffs import PayoffParams

ODD = Path(__file__).resolve().parents[1] / "docs" / "ODD.md"
NAME_CELL = re.compile(r"^`([A-Za-z_][A-Za-z0-9_]*)`$")
CODE_SPAN = re.compile(r"`([^`]+)`")
SHARE_PATTERNS = ("share_{option}_{domain}", "gdp_share_{option}_{domain}")


# --- parsing -------------------------------------------------------------------------------------


@cache
def odd_text() -> str:
    return ODD.read_text(encoding="utf-8")


def split_row(line: str) -> list[str]:
    """Split a Markdown table row on unescaped pipes; strip the outer pipes and whitespace."""
    body = line.strip()
    assert body.startswith("|") and body.endswith("|"), f"malformed table row: {line!r}"
    cells = re.split(r"(?<!\\)\|", body[1:-1])
    return [c.strip() for c in cells]


@cache
def tables() -> tuple[tuple[tuple[str, ...], tuple[tuple[str, ...], ...]], ...]:
    """Return every Markdown table as (header cells, body rows); check each row's width."""
    lines = odd_text().splitlines()
    out = []
    i = 0
    while i < len(lines):
        if (
            lines[i].lstrip().startswith("|")
            and i + 1 < len(lines)
            and re.fullmatch(r"\s*\|(\s*:?-+:?\s*\|)+\s*", lines[i + 1])
        ):
            header = tuple(split_row(lines[i]))
            rows = []
            i += 2
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                row = tuple(split_row(lines[i]))
                assert len(row) == len(header), (
                    f"ODD.md table row has {len(row)} cells, header {header} has {len(header)}: "
                    f"{lines[i]!r}"
                )
                rows.append(row)
                i += 1
            out.append((header, tuple(rows)))
        else:
            i += 1
    return tuple(out)


def keyed_rows(first: str, value_col: str) -> dict[str, dict[str, str]]:
    """Rows of all tables whose header starts with ``first`` and has ``value_col``, by name.

    Only rows whose first cell is a single backticked identifier count; a name may appear once.
    """
    out: dict[str, dict[str, str]] = {}
    found = False
    for header, rows in tables():
        if header[0] != first or value_col not in header:
            continue
        found = True
        for row in rows:
            m = NAME_CELL.match(row[0])
            if not m:
                continue
            name = m.group(1)
            assert name not in out, f"{name!r} appears twice in the ODD.md {first!r} tables"
            out[name] = dict(zip(header, row, strict=True))
    assert found, f"ODD.md has no table with columns {first!r} and {value_col!r}"
    return out


def parameter_rows() -> dict[str, dict[str, str]]:
    return keyed_rows("Parameter", "Default")


def literal(cell: str, where: str) -> object:
    """Return the single backticked Python literal in ``cell``."""
    spans = CODE_SPAN.findall(cell)
    assert len(spans) == 1, f"{where}: expected exactly one `literal` in {cell!r}"
    try:
        return ast.literal_eval(spans[0])
    except (ValueError, SyntaxError) as exc:
        raise AssertionError(f"{where}: {spans[0]!r} is not a Python literal") from exc


def same(doc: object, code: object) -> bool:
    """Compare a documented default with the code's, strictly by kind, exactly by value."""
    if isinstance(code, bool) or isinstance(doc, bool):
        return type(doc) is type(code) and doc == code
    if isinstance(code, str) or isinstance(doc, str):
        return isinstance(doc, str) and isinstance(code, str) and doc == code
    if isinstance(code, tuple | list):
        return (
            isinstance(doc, tuple | list)
            and len(doc) == len(code)
            and all(same(d, c) for d, c in zip(doc, code, strict=True))
        )
    if isinstance(code, int | float):
        return isinstance(doc, int | float) and math.isclose(doc, code, rel_tol=1e-12, abs_tol=0.0)
    return doc == code


# --- what the code has ---------------------------------------------------------------------------


def payoff_defaults() -> dict[str, object]:
    return {f.name: f.default for f in dataclasses.fields(PayoffParams)}


def cyber_defaults() -> dict[str, object]:
    return {f.name: f.default for f in dataclasses.fields(CyberParams)}


def model_defaults() -> dict[str, object]:
    sig = inspect.signature(SovereigntyModel.__init__)
    return {
        name: p.default
        for name, p in sig.parameters.items()
        if name not in ("self", "rng")
        and p.kind not in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
    }


@cache
def core_model() -> SovereigntyModel:
    return SovereigntyModel(rng=0, collect_agents=False, cyber_layer=False)


@cache
def layer_model() -> SovereigntyModel:
    return SovereigntyModel(rng=0, collect_agents=False, cyber_layer=True)


@cache
def core_keys() -> tuple[str, ...]:
    model = core_model()
    keys = tuple(model.metrics)
    assert keys == tuple(metrics.summary(model.world, model.evaluation, model.params))
    return keys


@cache
def cyber_keys() -> tuple[str, ...]:
    model = layer_model()
    keys = tuple(cyber.summary(model.view, model.cyber))
    assert not set(keys) & set(core_keys()), "cyber.summary keys collide with metrics.summary keys"
    return keys


@cache
def reporter_keys() -> tuple[str, ...]:
    """Every key the model reports: the core's metrics, then the cyber layer's."""
    keys = tuple(layer_model().metrics)
    assert keys == core_keys() + cyber_keys(), (
        "model.metrics is not metrics.summary + cyber.summary"
    )
    return keys


def share_keys() -> set[str]:
    out = set()
    for pattern in SHARE_PATTERNS:
        for domain, options in world.ECOSYSTEMS.items():
            for option in options:
                out.add(pattern.format(option=option, domain=domain))
    return out


# --- tests ---------------------------------------------------------------------------------------


def test_odd_exists_and_names_the_protocol() -> None:
    text = odd_text()
    assert "Grimm et al. (2020)" in text
    for section in (
        "Purpose and patterns",
        "Entities, state variables and scales",
        "Process overview and scheduling",
        "Design concepts",
        "Initialization",
        "Input data",
        "Submodels",
        "Implementation notes",
        "What is assumed rather than sourced",
        "Calibration",
    ):
        assert re.search(rf"^##+ .*{re.escape(section)}", text, re.M), (
            f"missing section {section!r}"
        )


def test_every_payoff_param_has_a_table_row() -> None:
    rows = parameter_rows()
    missing = sorted(set(payoff_defaults()) - set(rows))
    assert not missing, f"PayoffParams fields missing from ODD.md parameter tables: {missing}"


def test_every_model_keyword_has_a_table_row() -> None:
    rows = parameter_rows()
    assert model_defaults(), "no SovereigntyModel keywords found"
    missing = sorted(set(model_defaults()) - set(rows))
    assert not missing, f"SovereigntyModel keywords missing from ODD.md parameter tables: {missing}"


def test_every_cyber_param_has_a_table_row() -> None:
    rows = parameter_rows()
    missing = sorted(set(cyber_defaults()) - set(rows))
    assert not missing, f"CyberParams fields missing from ODD.md parameter tables: {missing}"


def test_no_stale_parameter_rows() -> None:
    known = set(payoff_defaults()) | set(cyber_defaults()) | set(model_defaults())
    stale = sorted(set(parameter_rows()) - known)
    assert not stale, f"ODD.md documents parameters the code does not have: {stale}"


def test_payoff_params_and_keywords_do_not_collide() -> None:
    assert not set(payoff_defaults()) & set(model_defaults())
    assert not set(cyber_defaults()) & set(model_defaults())
    assert not set(cyber_defaults()) & set(payoff_defaults())


def test_rng_is_documented_as_the_randomness_source() -> None:
    assert "rng" not in parameter_rows(), "rng has no default; the brief keeps it out of the table"
    assert re.search(r"`rng`.{0,200}?only\s+source\s+of\s+randomness", odd_text(), re.S)


@pytest.mark.parametrize("name", sorted(payoff_defaults()))
def test_payoff_default_matches_code(name: str) -> None:
    rows = parameter_rows()
    assert name in rows, f"{name} has no row in the ODD.md parameter tables"
    row = rows[name]
    doc = literal(row["Default"], f"ODD.md default of {name}")
    code = payoff_defaults()[name]
    assert same(doc, code), f"{name}: ODD.md says {doc!r}, PayoffParams says {code!r}"


@pytest.mark.parametrize("name", sorted(cyber_defaults()))
def test_cyber_default_matches_code(name: str) -> None:
    rows = parameter_rows()
    assert name in rows, f"{name} has no row in the ODD.md parameter tables"
    doc = literal(rows[name]["Default"], f"ODD.md default of {name}")
    code = cyber_defaults()[name]
    assert same(doc, code), f"{name}: ODD.md says {doc!r}, CyberParams says {code!r}"


def test_cyber_params_are_in_their_own_table() -> None:
    """The CyberParams rows sit together in one table, and that table holds nothing else."""
    found = [
        {NAME_CELL.match(r[0]).group(1) for r in body if NAME_CELL.match(r[0])}
        for header, body in tables()
        if header[0] == "Parameter" and "Default" in header
    ]
    holding = [names for names in found if names & set(cyber_defaults())]
    assert len(holding) == 1, "the CyberParams rows are spread over several tables"
    assert holding[0] == set(cyber_defaults()), (
        f"the CyberParams table also lists {sorted(holding[0] - set(cyber_defaults()))}"
    )


def test_cyber_sources_say_assumption_or_cite() -> None:
    for name in cyber_defaults():
        cell = parameter_rows()[name]["Source / justification"]
        assert re.search(r"assumption|\((?:19|20)\d\d", cell), (
            f"ODD.md row {name}: the source column must say 'assumption' or cite a source"
        )


@pytest.mark.parametrize("name", sorted(model_defaults()))
def test_model_default_matches_code(name: str) -> None:
    rows = parameter_rows()
    assert name in rows, f"{name} has no row in the ODD.md parameter tables"
    row = rows[name]
    doc = literal(row["Default"], f"ODD.md default of {name}")
    code = model_defaults()[name]
    assert same(doc, code), f"{name}: ODD.md says {doc!r}, SovereigntyModel says {code!r}"


def test_parameter_rows_are_complete() -> None:
    for name, row in parameter_rows().items():
        for col in ("Meaning", "Unit", "Range", "Source / justification"):
            assert row.get(col, "").strip(), f"ODD.md row {name}: empty {col!r}"


def test_same_is_strict() -> None:
    assert same((0.4, 0.35), (0.4, 0.35))
    assert same(1, 1.0)
    assert not same(True, 1)
    assert not same("0.5", 0.5)
    assert not same((0.4,), (0.4, 0.35))
    assert not same(((0.05, 0.0),), ((0.05, 0.01),))


def test_every_non_share_metric_key_is_documented() -> None:
    rows = keyed_rows("Key", "Definition")
    plain = [k for k in reporter_keys() if k not in share_keys()]
    missing = [k for k in plain if k not in rows]
    assert not missing, f"metric keys missing from the ODD.md reporter table: {missing}"


def test_share_keys_are_documented_by_pattern() -> None:
    text = odd_text()
    for pattern in SHARE_PATTERNS:
        assert f"`{pattern}`" in text, f"ODD.md does not document the pattern {pattern}"
    keys = set(reporter_keys())
    produced = {k for k in keys if re.fullmatch(r"(gdp_)?share_.+", k)}
    assert produced == share_keys(), (
        "the documented share patterns do not expand to the share keys summary produces: "
        f"undocumented {sorted(produced - share_keys())}, absent {sorted(share_keys() - produced)}"
    )


def test_every_cyber_metric_key_is_documented() -> None:
    rows = keyed_rows("Key", "Definition")
    assert cyber_keys(), "cyber.summary returned no keys"
    missing = [k for k in cyber_keys() if k not in rows]
    assert not missing, f"cyber.summary keys missing from the ODD.md reporter tables: {missing}"


def test_cyber_metrics_only_with_the_layer() -> None:
    assert tuple(core_model().metrics) == core_keys()
    columns = [c for c in layer_model().model_dataframe().columns if c != "step"]
    assert columns == ["changed", *reporter_keys()]


def test_no_stale_metric_rows() -> None:
    rows = keyed_rows("Key", "Definition")
    keys = set(reporter_keys()) | {"changed"}
    stale = sorted(set(rows) - keys)
    assert not stale, f"ODD.md reporter table lists keys the model does not report: {stale}"
    patterns = [
        header_row[0] for header, body in tables() if header[0] == "Key" for header_row in body
    ]
    for pattern in SHARE_PATTERNS:
        assert f"`{pattern}`" in patterns, f"pattern {pattern} needs its own reporter-table row"


def test_model_reporters_match_the_documented_keys() -> None:
    model = SovereigntyModel(rng=0, collect_agents=True)
    columns = [c for c in model.model_dataframe().columns if c != "step"]
    rows = keyed_rows("Key", "Definition")
    for col in columns:
        assert col in rows or col in share_keys(), f"model reporter {col!r} not documented"
    text = odd_text()
    for col in model.agent_dataframe().columns:
        assert f"`{col}`" in text, f"agent reporter {col!r} not mentioned in ODD.md"


def test_choice_names_are_documented() -> None:
    text = odd_text()
    for name in (*agents.DECISION_RULES, *agents.INITIAL_POLICIES, *world.LOCALIZATION):
        assert f"`{name}`" in text, f"{name!r} not mentioned in ODD.md"
    for domain, options in world.ECOSYSTEMS.items():
        assert f"`{domain}`" in text
        for option in options:
            assert f"`{option}`" in text


def test_imputation_rules_are_documented() -> None:
    header = next(
        (h for h, _ in tables() if h[:2] == ("column(s)", "rule for missing cells")), None
    )
    assert header is not None, "ODD.md has no imputation table"
    rows = {r[0].strip("`") for h, body in tables() if h == header for r in body}
    missing = sorted(set(world.IMPUTATION_RULES) - rows)
    assert not missing, f"IMPUTATION_RULES keys missing from the ODD.md imputation table: {missing}"


def code_constants() -> dict[str, object]:
    out: dict[str, object] = {f'GROUPS["{g}"]': w for g, w in world.GROUPS.items()}
    out.update(
        {
            "TIE_SATURATION": world.TIE_SATURATION,
            "RIVALRY_PENALTY": world.RIVALRY_PENALTY,
            "BASE_DISTRUST": world.BASE_DISTRUST,
            "_MIN_DISTANCE_KM": world._MIN_DISTANCE_KM,
            "_EARTH_RADIUS_KM": world._EARTH_RADIUS_KM,
            "SIMILARITY_SCALE": agents.SIMILARITY_SCALE,
        }
    )
    elasticity = {
        inspect.signature(fn).parameters["distance_elasticity"].default
        for fn in (world.default_world, world.synthetic_world, world.World.from_table)
    }
    assert len(elasticity) == 1, f"distance_elasticity defaults differ: {elasticity}"
    out["distance_elasticity"] = elasticity.pop()
    return out


def constant_rows() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for header, rows in tables():
        if header[0] != "Constant" or "Value" not in header:
            continue
        for row in rows:
            m = re.fullmatch(r"`([^`]+)`", row[0])
            if m:
                assert m.group(1) not in out, f"constant {m.group(1)} appears twice in ODD.md"
                out[m.group(1)] = dict(zip(header, row, strict=True))
    assert out, "ODD.md has no world-derivation constants table"
    return out


@pytest.mark.parametrize("name", sorted(code_constants()))
def test_world_constant_matches_code(name: str) -> None:
    rows = constant_rows()
    assert name in rows, f"world constant {name} missing from the ODD.md constants table"
    doc = literal(rows[name]["Value"], f"ODD.md value of {name}")
    code = code_constants()[name]
    assert same(doc, code), f"{name}: ODD.md {doc!r}, code {code!r}"


def test_every_grouping_has_a_constant_row() -> None:
    rows = constant_rows()
    extra = sorted(k for k in rows if k.startswith("GROUPS[") and k not in code_constants())
    assert not extra, f"ODD.md lists groupings the code does not have: {extra}"


# --- cyber layer ---------------------------------------------------------------------------------


def rows_of(first: str) -> list[dict[str, str]]:
    """Body rows (as dicts) of every table whose first header cell is ``first``."""
    out = [
        dict(zip(header, row, strict=True))
        for header, body in tables()
        if header[0] == first
        for row in body
    ]
    assert out, f"ODD.md has no table whose first column is {first!r}"
    return out


def single_code(cell: str, where: str) -> str:
    m = NAME_CELL.match(cell.strip())
    assert m, f"{where}: expected one `identifier`, got {cell!r}"
    return m.group(1)


def test_cyber_sections_exist() -> None:
    text = odd_text()
    for section in (
        "State variables of the cyber layer",
        "The foreign-policy phase",
        "Initial state of the cyber layer",
        "Randomness of the layer",
        "Scheduled shocks",
        "Metrics of the cyber layer",
        "Event table",
        "Cyber-layer parameters",
    ):
        assert re.search(rf"^##+ .*{re.escape(section)}", text, re.M), (
            f"missing section {section!r}"
        )


def test_every_shock_kind_and_field_is_documented() -> None:
    documented: dict[tuple[str, str], dict[str, str]] = {}
    for row in rows_of("Kind"):
        kind = single_code(row["Kind"], "shock table, Kind")
        key = single_code(row["Field"], "shock table, Field")
        assert (kind, key) not in documented, f"shock field {kind}.{key} appears twice"
        documented[(kind, key)] = row
    code = {(kind, key) for kind, fields in cyber.SHOCK_KINDS.items() for key in fields}
    assert set(documented) == code, (
        f"shock table: missing {sorted(code - set(documented))}, "
        f"stale {sorted(set(documented) - code)}"
    )
    text = odd_text()
    for kind in cyber.SHOCK_KINDS:
        assert f"`{kind}`" in text


@pytest.mark.parametrize(
    ("kind", "key"), [(k, f) for k, fields in cyber.SHOCK_KINDS.items() for f in fields]
)
def test_shock_allowed_values_match_code(kind: str, key: str) -> None:
    rule = cyber.SHOCK_KINDS[kind][key]
    row = next(r for r in rows_of("Kind") if r["Kind"] == f"`{kind}`" and r["Field"] == f"`{key}`")
    if isinstance(rule, tuple):
        doc = literal(row["Allowed"], f"ODD.md allowed values of {kind}.{key}")
        assert same(doc, rule), f"{kind}.{key}: ODD.md says {doc!r}, SHOCK_KINDS says {rule!r}"


def test_documented_shock_defaults_match_code() -> None:
    """The 'If omitted' column: `required` unless validate_shocks fills the field in."""
    default = layer_model().world
    codes = default.iso3.tolist()
    examples = {
        "attack_wave": {"sector": "energy", "bloc": "cn", "intensity": 2.0},
        "export_controls": {"level": 0.5},
        "patron_offer": {"patron": "us", "targets": [codes[2]], "amount": 0.1},
        "adequacy": {"state": codes[2], "action": "grant"},
    }
    assert set(examples) == set(cyber.SHOCK_KINDS), "update the examples for new shock kinds"
    for row in rows_of("Kind"):
        kind, key = row["Kind"].strip("`"), row["Field"].strip("`")
        omitted = row["If omitted"].strip()
        spec = {"step": 1, "kind": kind, **{k: v for k, v in examples[kind].items() if k != key}}
        if omitted == "required":
            with pytest.raises(ValueError, match=re.escape(f"{key}: missing; required")):
                cyber.validate_shocks([spec], default)
        else:
            (shock,) = cyber.validate_shocks([spec], default)
            doc = literal(omitted, f"ODD.md default of shock field {kind}.{key}")
            assert same(doc, shock.params[key]), f"{kind}.{key}: default {shock.params[key]!r}"


def test_quoted_validation_messages_are_the_codes() -> None:
    rows = rows_of("Shock spec")
    model_world = core_model().world
    for row in rows:
        spec = literal(row["Shock spec"], "ODD.md shock spec")
        message = CODE_SPAN.fullmatch(row["Message"].strip())
        assert message, f"ODD.md message cell must be one code span: {row['Message']!r}"
        with pytest.raises(ValueError) as err:
            cyber.validate_shocks(spec, model_world)
        assert str(err.value) == message.group(1), (
            f"ODD.md quotes {message.group(1)!r}, the code says {str(err.value)!r}"
        )


def _event_calls() -> list[ast.Call]:
    tree = ast.parse(inspect.getsource(cyber))
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "_event"
    ]


@cache
def code_event_names() -> frozenset[str]:
    names = set()
    for call in _event_calls():
        arg = call.args[1] if len(call.args) > 1 else None
        assert isinstance(arg, ast.Constant) and isinstance(arg.value, str), (
            f"cyber.py line {call.lineno}: event name is not a string literal"
        )
        names.add(arg.value)
    return frozenset(names)


@cache
def code_responses() -> frozenset[str]:
    """String literals that can end up in the ``response`` column (f-strings excluded)."""
    tree = ast.parse(inspect.getsource(cyber))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "response" for t in node.targets
        ):
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                out.add(node.value.value)
    for call in _event_calls():
        arg = call.args[6] if len(call.args) > 6 else None
        arg = arg or next((k.value for k in call.keywords if k.arg == "response"), None)
        out |= _plain_strings(arg)
    return frozenset(out)


def _plain_strings(node: ast.AST | None) -> set[str]:
    """Non-empty string literals in ``node`` outside f-strings (whose parts are not names)."""
    if node is None or isinstance(node, ast.JoinedStr):
        return set()
    if isinstance(node, ast.Constant):
        return {node.value} if isinstance(node.value, str) and node.value else set()
    return set().union(*(_plain_strings(c) for c in ast.iter_child_nodes(node)))


BRIEF_EVENTS = {
    "attack", "crime", "sharing_start", "sharing_end", "coalition_join", "coalition_exit",
    "gdpr_adoption", "adequacy_granted", "adequacy_revoked", "patron_offer", "patron_pressure",
    "shock_attack_wave", "shock_export_controls",
}  # fmt: skip
RESPONSES = {"vendor_ban", "sanctions", "public_blame", "distrust", "prosecution"}


def test_event_extraction_finds_the_known_names() -> None:
    assert code_event_names() >= BRIEF_EVENTS
    assert code_responses() >= RESPONSES


def test_every_event_name_is_documented() -> None:
    documented = [single_code(r["Event"], "event table") for r in rows_of("Event")]
    assert len(documented) == len(set(documented)), "an event appears twice in the event table"
    missing = sorted(code_event_names() - set(documented))
    stale = sorted(set(documented) - code_event_names())
    assert not missing, f"events the code emits but ODD.md does not list: {missing}"
    assert not stale, f"events ODD.md lists but the code never emits: {stale}"


def test_every_response_is_documented() -> None:
    cells = " ".join(r["Response"] for r in rows_of("Event"))
    missing = sorted(r for r in code_responses() if f"`{r}`" not in cells)
    assert not missing, f"responses missing from the ODD.md event table: {missing}"


def test_event_columns_are_documented_in_order() -> None:
    documented = tuple(single_code(r["Column"], "event columns") for r in rows_of("Column"))
    assert documented == cyber.EVENT_COLUMNS, (
        f"ODD.md event columns {documented} != cyber.EVENT_COLUMNS {cyber.EVENT_COLUMNS}"
    )
    model = SovereigntyModel(rng=0, collect_agents=False)
    assert tuple(model.run(2).event_dataframe().columns) == cyber.EVENT_COLUMNS


def test_foreign_policy_order_is_documented() -> None:
    """Section 3.1 names the layer's calls in the order ``_foreign_policy`` makes them."""
    source = inspect.getsource(SovereigntyModel._foreign_policy)
    calls = re.findall(r"\b(cyber\.\w+|self\._update_terms)\(", source)
    calls = [c.replace("self.", "") for c in calls]
    assert calls[:1] == ["cyber.apply_shock"] and "_update_terms" in calls, calls
    text = odd_text()
    start = text.index("### 3.1 ")
    section = text[start : text.index("\n## ", start)]
    positions = []
    for call in calls:
        hit = section.find(f"`{call}")
        assert hit >= 0, f"Section 3.1 does not name `{call}`"
        positions.append(hit)
    assert positions == sorted(positions), (
        f"Section 3.1 lists the calls in another order than _foreign_policy: {calls}"
    )
    step = inspect.getsource(SovereigntyModel.step)
    assert step.index("_foreign_policy()") < step.index("self.rng.random"), (
        "the foreign-policy phase no longer runs before the revisers are drawn"
    )


def test_inert_layer_leaves_the_core_run_unchanged() -> None:
    """Section 7.20: the layer draws from its own stream, so an inert layer changes nothing."""
    inert = {
        "state_attack_rate": 0.0,
        "criminal_attack_rate": 0.0,
        "sharing_revision": 0.0,
        "coalition_revision": 0.0,
        "brussels_rate": 0.0,
        "adequacy_rate": 0.0,
        "inducement": 0.0,
        "pressure": 0.0,
    }
    core = SovereigntyModel(rng=11, collect_agents=False, cyber_layer=False).run(15)
    layered = SovereigntyModel(rng=11, collect_agents=False, cyber_layer=True, **inert).run(15)
    a, b = core.model_dataframe(), layered.model_dataframe()
    assert list(b.columns[: len(a.columns)]) == list(a.columns)
    assert a.equals(b[a.columns])
    assert (core.align == layered.align).all() and (core.loc == layered.loc).all()


def test_documented_initial_coalitions() -> None:
    """Section 5.4 and 10 quote the default world's initial coalition counts."""
    cs = layer_model().cyber
    iso3 = layer_model().world.iso3
    assert int(cs.budapest.sum()) == 31
    assert int(cs.un_track.sum()) == 13
    assert iso3[cs.budapest & cs.un_track].tolist() == ["BRA"]
    text = odd_text()
    assert "13 UN-track states" in text and "31 Budapest" in text and "(Brazil)" in text


def test_generated_parameter_tables_are_up_to_date() -> None:
    # the tables between <!-- parameters:GROUP --> markers come from simulation/parameters.py;
    # `uv run python scripts/update_docs.py` regenerates them
    from simulation.parameters import update_odd

    assert not update_odd(str(ODD), check=True), "run scripts/update_docs.py"
