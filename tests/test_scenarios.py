"""Scenario files: the shipped scenarios, ``extends``, the schema's metadata and the reference page.

Everything here runs in-process; the command line is tested in ``test_cli.py``.
"""

from __future__ import annotations

import math
import re
import tomllib
import typing
from pathlib import Path

import pytest
from conftest import REQUIRED_SCENARIOS

from simulation import scenarios
from simulation.model import SovereigntyModel
from simulation.scenarios import PROJECT_SCENARIOS, SECTIONS, Scenario, ScenarioError

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "scenario-reference.md"
FILES = sorted(PROJECT_SCENARIOS.glob("*.toml"))
EXTENDING = [f for f in FILES if "extends" in tomllib.loads(f.read_text(encoding="utf-8"))]
KINDS = {"lever", "uncertainty", "setting"}
# The event a shock of each kind leaves in the event table when it fires.
SHOCK_EVENTS = {
    "attack_wave": "shock_attack_wave",
    "export_controls": "shock_export_controls",
    "adequacy": "adequacy_",
    "patron_offer": "patron_offer",
}


@pytest.fixture(autouse=True)
def _no_user_scenarios(monkeypatch):
    """Look names up in the project's scenarios/ only, whatever the environment says."""
    monkeypatch.delenv("SOVSIM_SCENARIOS", raising=False)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def plain(value):
    """Return ``value`` with tuples as lists, recursively (TOML has only arrays)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def flatten(value, prefix: str = "") -> dict[str, object]:
    """Return ``{"payoffs.flow": [...], ...}``: tables flattened, arrays as leaves."""
    if isinstance(value, dict):
        out: dict[str, object] = {}
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}{k}."))
        return out
    return {prefix[:-1]: plain(value)}


def opening_comment(path: Path) -> list[str]:
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    return lines


# --- the shipped scenarios -----------------------------------------------------------------------


def test_the_required_scenarios_exist():
    names = {f.stem for f in FILES}
    assert len(FILES) >= 8
    assert set(REQUIRED_SCENARIOS) <= names, f"missing: {sorted(set(REQUIRED_SCENARIOS) - names)}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_scenario_opens_with_question_look_for_and_sources(path):
    header = opening_comment(path)
    assert header, f"{path.name}: no opening comment"
    text = "\n".join(header)
    assert "Look for:" in text, f"{path.name}: the opening comment has no 'Look for:'"
    assert "Sources:" in text, f"{path.name}: the opening comment has no 'Sources:'"
    question = text[: text.index("Look for:")]
    assert question.index("?") < text.index("Look for:") < text.index("Sources:")
    assert header[0].startswith("Question:")
    # `sovsim scenarios list` shows the question, read from the same comment.
    listed = {name: q for name, _, q in scenarios.list_scenarios()}
    assert listed[path.stem].endswith("?")
    assert "Look for" not in listed[path.stem] and "Sources" not in listed[path.stem]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_scenario_validates_round_trips_and_runs(path):
    scenario, found = scenarios.load(path)
    assert scenario.name == path.stem
    assert scenarios.load(path.stem) == (scenario, PROJECT_SCENARIOS / path.name)
    assert found == path
    # The resolved TOML (what `sovsim run` writes as scenario.toml) reads back to the same scenario.
    again = scenarios.validate(tomllib.loads(scenario.to_toml()), "round trip")
    assert again == scenario
    assert "extends" not in tomllib.loads(scenario.to_toml())

    kwargs = scenario.model_kwargs(seed=scenario.run.seeds[0])
    assert kwargs["rng"] == scenario.run.seeds[0]
    # Move the scheduled shocks to step 1 so that three steps exercise them too.
    if kwargs["shocks"]:
        kwargs["shocks"] = [dict(s, step=1) for s in kwargs["shocks"]]
    model = SovereigntyModel(**kwargs)
    for _ in range(3):
        model.step()
    table = model.model_dataframe()
    assert table.step.tolist() == [0, 1, 2, 3]
    assert table.fragmentation.between(0, 1).all()
    events = model.event_dataframe().event.astype(str)
    for shock in scenario.shocks:
        expected = SHOCK_EVENTS[shock["kind"]]
        assert events.str.startswith(expected).any(), f"{shock['kind']} shock left no event"


def test_scenarios_differ_from_each_other():
    dumps = {
        f.stem: scenarios.load(f)[0].model_dump(exclude={"name", "description"}) for f in FILES
    }
    names = list(dumps)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert dumps[a] != dumps[b], f"{a} and {b} set the same world"


@pytest.mark.parametrize("path", EXTENDING, ids=lambda p: p.stem)
def test_extending_scenarios_change_only_what_they_set(path):
    own = tomllib.loads(path.read_text(encoding="utf-8"))
    parent, _ = scenarios.load(path.parent / own.pop("extends"))
    child, _ = scenarios.load(path)
    set_keys = flatten(own)
    before = flatten(parent.model_dump(mode="json"))
    after = flatten(child.model_dump(mode="json"))
    changed = {k for k in after if after[k] != before.get(k)}
    assert changed <= set(set_keys) | {"name", "description"}, changed - set(set_keys)
    for key, value in set_keys.items():
        assert after[key] == value, key


# --- extends -------------------------------------------------------------------------------------

BASE = """\
name = "base"
description = "the base"

[run]
steps = 7
seeds = [1, 2]

[decisions]
temperature = 0.5

[payoffs]
export_controls = 0.2
hybrid_cost = 0.03

[initial_overrides.USA]
5g = "us"

[[shocks]]
step = 2
kind = "export_controls"
level = 0.3

[[shocks]]
step = 4
kind = "adequacy"
state = "BRA"
action = "grant"
"""


def test_extends_merges_tables_key_by_key_and_replaces_lists(tmp_path):
    write(tmp_path / "base.toml", BASE)
    write(
        tmp_path / "child.toml",
        'extends = "base.toml"\n\n[payoffs]\nexport_controls = 0.9\n\n'
        '[initial_overrides.USA]\nai = "eu"\n\n[initial_overrides.CHN]\n5g = "cn"\n\n'
        '[[shocks]]\nstep = 1\nkind = "export_controls"\nlevel = 1.0\n',
    )
    base, _ = scenarios.load(tmp_path / "base.toml")
    child, _ = scenarios.load(tmp_path / "child.toml")
    # What the child sets wins; what it does not set is inherited, key by key.
    assert child.payoffs.export_controls == 0.9
    assert child.payoffs.hybrid_cost == base.payoffs.hybrid_cost == 0.03
    assert child.run == base.run
    assert child.decisions == base.decisions
    assert child.initial_overrides == {"USA": {"5g": "us", "ai": "eu"}, "CHN": {"5g": "cn"}}
    # Lists are replaced, not appended to.
    assert child.shocks == [{"step": 1, "kind": "export_controls", "level": 1.0}]
    # name and description are not inherited: the name defaults to the file's stem.
    assert child.name == "child"
    assert child.description == ""
    raw = scenarios.resolve_raw(tmp_path / "child.toml")
    assert "extends" not in raw and "name" not in raw and "description" not in raw


def test_a_chain_of_two_extends(tmp_path):
    write(tmp_path / "base.toml", BASE)
    write(tmp_path / "child.toml", 'extends = "base.toml"\n[payoffs]\nexport_controls = 0.9\n')
    # The parent may be named without its suffix.
    write(
        tmp_path / "grandchild.toml",
        'extends = "child"\nname = "gc"\ndescription = "third"\n[run]\nseeds = [9]\n'
        "[payoffs]\nhybrid_cost = 0.07\n",
    )
    gc, path = scenarios.load(tmp_path / "grandchild.toml")
    assert path == tmp_path / "grandchild.toml"
    assert (gc.name, gc.description) == ("gc", "third")
    assert gc.run.steps == 7 and gc.run.seeds == [9]
    assert gc.payoffs.export_controls == 0.9
    assert gc.payoffs.hybrid_cost == 0.07
    assert gc.decisions.temperature == 0.5
    assert len(gc.shocks) == 2


def test_extends_a_file_in_another_folder(tmp_path):
    (tmp_path / "lib").mkdir()
    write(tmp_path / "lib" / "base.toml", BASE)
    write(tmp_path / "mine.toml", 'extends = "lib/base.toml"\n[run]\nsteps = 3\n')
    mine, _ = scenarios.load(tmp_path / "mine.toml")
    assert mine.run.steps == 3 and mine.run.seeds == [1, 2]


def test_project_scenarios_extend_the_baseline():
    baseline, _ = scenarios.load("baseline")
    tcw, _ = scenarios.load("tech-cold-war")
    assert tcw.run == baseline.run and tcw.world == baseline.world
    assert tcw.payoffs.export_controls == 1.0
    assert tcw.payoffs.weight_trade == baseline.payoffs.weight_trade
    assert tcw.description != baseline.description


def test_circular_extends_is_an_error_naming_the_cycle(tmp_path):
    write(tmp_path / "a.toml", 'extends = "b.toml"\n')
    write(tmp_path / "b.toml", 'extends = "a.toml"\n')
    with pytest.raises(ScenarioError) as info:
        scenarios.load(tmp_path / "a.toml")
    message = str(info.value)
    assert "circular" in message
    assert "a.toml -> b.toml -> a.toml" in message
    assert "\n" not in message


def test_a_scenario_extending_itself_is_an_error(tmp_path):
    write(tmp_path / "a.toml", 'extends = "a.toml"\n')
    with pytest.raises(ScenarioError, match=r"circular \(a\.toml -> a\.toml\)"):
        scenarios.load(tmp_path / "a.toml")


def test_a_missing_parent_is_an_error(tmp_path):
    write(tmp_path / "a.toml", 'extends = "nowhere.toml"\n')
    with pytest.raises(ScenarioError) as info:
        scenarios.load(tmp_path / "a.toml")
    message = str(info.value)
    assert message.startswith(str(tmp_path / "a.toml"))
    assert "extends" in message and "nowhere.toml" in message and "not found" in message


@pytest.mark.parametrize("value", ["3", '""', '["base.toml"]'])
def test_extends_must_name_a_file(tmp_path, value):
    write(tmp_path / "a.toml", f"extends = {value}\n")
    with pytest.raises(ScenarioError, match="extends: expected a file name"):
        scenarios.load(tmp_path / "a.toml")


# --- finding scenarios ---------------------------------------------------------------------------


def test_an_unknown_name_suggests_the_nearest():
    with pytest.raises(ScenarioError, match=r"no such scenario \(did you mean 'baseline'\?\)"):
        scenarios.load("baselin")


def test_names_are_looked_up_in_the_user_folders_first(tmp_path, monkeypatch):
    user = tmp_path / "mine"
    user.mkdir()
    write(user / "baseline.toml", 'description = "my own baseline"\n')
    write(user / "extra.toml", "# Question: is this mine?\n# Look for: x\n# Sources: y\n")
    monkeypatch.setenv("SOVSIM_SCENARIOS", str(user))
    assert scenarios.load("baseline")[0].description == "my own baseline"
    listed = {name: (path, q) for name, path, q in scenarios.list_scenarios()}
    assert listed["baseline"][0] == user / "baseline.toml"
    assert listed["extra"][1] == "is this mine?"
    assert set(REQUIRED_SCENARIOS) <= set(listed)

    monkeypatch.delenv("SOVSIM_SCENARIOS")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "scenarios").mkdir()
    write(tmp_path / "scenarios" / "local.toml", "[run]\nsteps = 2\n")
    assert scenarios.load("local")[0].run.steps == 2


def test_list_scenarios_gives_every_project_scenario_with_its_question():
    listed = scenarios.list_scenarios()
    assert [name for name, _, _ in listed] == sorted(f.stem for f in FILES)
    for name, path, question in listed:
        assert path == PROJECT_SCENARIOS / f"{name}.toml"
        assert len(question) > 20 and question.endswith("?")


# --- validation in-process -----------------------------------------------------------------------


def test_synthetic_worlds_use_their_own_state_codes():
    raw = {"name": "x", "world": {"kind": "synthetic", "n_states": 20}}
    ok = scenarios.validate({**raw, "initial_overrides": {"S00019": {"ai": "eu"}}})
    assert ok.initial_overrides == {"S00019": {"ai": "eu"}}
    with pytest.raises(ScenarioError, match=r"initial_overrides\.USA: unknown state code"):
        scenarios.validate({**raw, "initial_overrides": {"USA": {"ai": "eu"}}})


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"payoffs": {"flow": [0.1, 0.5, 0.9, 1.0]}}, "payoffs.flow"),
        ({"payoffs": {"domain_weight": [0.0, 0.0, 0.0]}}, "payoffs.domain_weight"),
        ({"payoffs": {"vendor_cost": [[0.1], [0.1], [0.1]]}}, "payoffs.vendor_cost"),
        ({"cyber": {"vendor_ban_damage": -1.0}}, "cyber.vendor_ban_damage"),
    ],
    ids=["flow-increasing", "domain-weight-zero", "vendor-cost-lengths", "negative-damage"],
)
def test_documented_constraints_are_checked(raw, key):
    """What the reference page documents (non-increasing, sum > 0, 2, 2, 3 values, >= 0) is checked.

    Otherwise `sovsim validate` calls the file ok and the model rejects it later with a traceback.
    """
    with pytest.raises(ScenarioError, match=re.escape(key)):
        scenarios.validate({"name": "x", **raw}, "f.toml")


def test_error_messages_name_the_file_and_are_one_line():
    for raw in ({"payoffs": {"export_controls": 2.0}}, {"wrld": {}}, {"shocks": [{"step": 1}]}):
        with pytest.raises(ScenarioError) as info:
            scenarios.validate({"name": "x", **raw}, "some/file.toml")
        assert str(info.value).startswith("some/file.toml: ")
        assert "\n" not in str(info.value)


def test_the_allowed_range_in_a_message_belongs_to_the_key():
    """`world.seed = -1` must not be answered with the allowed values of `world.kind`."""
    with pytest.raises(ScenarioError) as info:
        scenarios.validate({"name": "x", "world": {"seed": -1}}, "f.toml")
    message = str(info.value)
    assert "world.seed" in message
    assert "synthetic" not in message, message


# --- schema metadata and the reference page ------------------------------------------------------


def all_fields():
    for section, model in SECTIONS.items():
        for key, field in model.model_fields.items():
            yield f"{section}.{key}", field


def test_every_field_has_unit_range_kind_and_source():
    seen = 0
    for name, field in all_fields():
        extra = field.json_schema_extra or {}
        assert extra.get("kind") in KINDS, f"{name}: kind {extra.get('kind')!r}"
        for meta in ("unit", "range", "source"):
            assert isinstance(extra.get(meta), str) and extra[meta].strip(), f"{name}: no {meta}"
        assert field.description and field.description.strip(), f"{name}: no meaning"
        seen += 1
    assert seen >= 60


def test_there_are_levers_and_uncertainties():
    kinds = [(f.json_schema_extra or {}).get("kind") for _, f in all_fields()]
    assert kinds.count("lever") >= 3
    assert kinds.count("uncertainty") >= 3
    levers = {n for n, f in all_fields() if (f.json_schema_extra or {}).get("kind") == "lever"}
    assert "payoffs.export_controls" in levers


def test_the_reference_documents_every_key():
    page = scenarios.reference_markdown()
    for section, model in SECTIONS.items():
        body = page.split(f"## `[{section}]`", 1)[1].split("\n## ", 1)[0]
        for key in model.model_fields:
            assert f"| `{key}` |" in body, f"[{section}] {key} missing from the reference"
    for key in set(Scenario.model_fields) - set(SECTIONS):
        assert f"`{key}`" in page or f"`[[{key}]]`" in page or f"`[{key}." in page, key
    for kind in ("attack_wave", "export_controls", "patron_offer", "adequacy"):
        assert f"| `{kind}` |" in page


def test_the_reference_page_is_generated():
    """docs/scenario-reference.md is exactly `sovsim scenarios reference` (so it cannot drift)."""
    assert REFERENCE.read_text(encoding="utf-8") == scenarios.reference_markdown(), (
        "docs/scenario-reference.md is out of date: "
        "run `sovsim scenarios reference > docs/scenario-reference.md`"
    )


def _schema_bounds(field) -> tuple[float, float]:
    """Return the (low, high) bounds the schema enforces on a number or on each element."""
    low, high = -math.inf, math.inf
    stack = [*field.metadata, field.annotation]
    while stack:
        item = stack.pop()
        for attr in ("ge", "gt"):
            if getattr(item, attr, None) is not None:
                low = max(low, float(getattr(item, attr)))
        for attr in ("le", "lt"):
            if getattr(item, attr, None) is not None:
                high = min(high, float(getattr(item, attr)))
        if hasattr(item, "metadata") and isinstance(item.metadata, list):
            stack.extend(item.metadata)
        stack.extend(a for a in typing.get_args(item) if a is not Ellipsis)
    return low, high


def _documented_bounds(text: str) -> tuple[float, float] | None:
    """Return the interval a documented range states, or None if it is not a numeric range."""
    t = text.replace("$", "").replace("\\ge", ">=")
    number = r"(-?\d+(?:\.\d+)?(?:e-?\d+)?)"
    if m := re.search(rf"\[{number},\s*{number}\]", t):
        return float(m[1]), float(m[2])
    if m := re.match(rf"\s*{number} to {number}", t):
        return float(m[1]), float(m[2])
    if m := re.search(rf">=\s*{number}", t):
        return float(m[1]), math.inf
    return None


def test_documented_ranges_agree_with_validation():
    """The range on the reference page (and in error messages) is the range the validator enforces.

    E.g. `payoffs.weight_trade = 12` is rejected with "allowed >= 0": the message contradicts
    itself, and the reference page documents values the validator refuses.
    """
    mismatches = []
    for name, field in all_fields():
        documented = _documented_bounds((field.json_schema_extra or {}).get("range", ""))
        if documented is None:
            continue
        enforced = _schema_bounds(field)
        if not all(
            math.isclose(a, b, abs_tol=1e-9) for a, b in zip(documented, enforced, strict=True)
        ):
            mismatches.append(f"{name}: documented {documented}, enforced {enforced}")
    assert not mismatches, f"{len(mismatches)} ranges disagree:\n" + "\n".join(mismatches)
