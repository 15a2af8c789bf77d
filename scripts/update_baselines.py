"""Rewrite the regression baseline after an intended change of model behaviour.

    uv run python scripts/update_baselines.py

The baseline (tests/baselines/baseline_scenario.csv) holds the model variables of the baseline
scenario, seeds 1 and 2, 30 steps each. tests/test_regression.py compares a fresh run with it;
commit the new file together with the change that explains it.
"""

from pathlib import Path

from simulation.regression import baseline_table

PATH = Path(__file__).resolve().parents[1] / "tests" / "baselines" / "baseline_scenario.csv"


def main() -> None:
    """Run the baseline configuration and write its table."""
    table = baseline_table()
    table.to_csv(PATH, index=False, float_format="%.12g")
    print(f"wrote {PATH} ({len(table)} rows, {len(table.columns)} columns)")


if __name__ == "__main__":
    main()
