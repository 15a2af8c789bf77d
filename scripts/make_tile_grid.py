"""Derive the tile-grid cartogram ``simulation/data/tile_grid.csv`` from the capitals' coordinates.

    uv run python scripts/make_tile_grid.py           # rewrite the CSV
    uv run python scripts/make_tile_grid.py --check   # exit 1 if the CSV differs from the rule

The world map (:func:`simulation.plotting.plot_world_map`) draws one square tile per state. The
tiles' places come from the capitals' latitude and longitude in ``simulation/data/states.csv``:

1. **project**: ``x = longitude / 16``, ``y = -latitude / 11`` (an equirectangular projection in
   which one tile spans 16 degrees of longitude and 11 of latitude; north is up);
2. **spread**: capitals closer than 1.05 tiles push each other apart along the line joining them
   (half the overlap each, all pairs at once, repeated until no pair overlaps), so that crowded
   Europe grows while empty oceans keep their size;
3. **snap**: each state gets one cell of the integer grid covering the spread points, the
   assignment that minimises the total squared distance between points and cells (the Hungarian
   method, :func:`scipy.optimize.linear_sum_assignment`), so no two states share a cell;
4. **squeeze**: runs of empty rows or columns shrink to a single empty one;
5. **hand corrections** (:data:`MOVES`): a few states are moved where the rule leaves a neighbour
   on the wrong side (each move is listed with its reason).

Rows count from the top (north), columns from the left (west). ``tests/test_plotting.py`` checks
that the committed CSV is what this script writes, covers every state once, and keeps the
east-west and north-south order of the capitals by rank correlation.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
STATES = ROOT / "simulation" / "data" / "states.csv"
OUT = ROOT / "simulation" / "data" / "tile_grid.csv"

DEGREES_PER_TILE = (16.0, 11.0)
"""Longitude and latitude spanned by one tile before spreading."""

MIN_GAP = 1.05
"""Distance (in tiles) below which two capitals push each other apart."""

MOVES: dict[str, tuple[int, int, str]] = {
    "ESP": (4, 5, "Madrid lies south-west of Paris; the rule put Spain east of France"),
    "CHE": (3, 6, "takes the place Spain leaves, between France and Czechia"),
    "ITA": (4, 6, "south of Switzerland and east of Spain"),
    "MYS": (7, 12, "Kuala Lumpur lies south of Bangkok, next to Singapore"),
}
"""Hand corrections: state code to ``(row, col, reason)``, applied after the rule."""


def project(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Return ``(N, 2)`` points ``(x, y)`` in tile units, north up."""
    return np.column_stack([lon / DEGREES_PER_TILE[0], -lat / DEGREES_PER_TILE[1]])


def spread(points: np.ndarray, gap: float = MIN_GAP, max_rounds: int = 10_000) -> np.ndarray:
    """Push points apart until every pair is at least ``gap`` apart (deterministic)."""
    p = np.array(points, dtype=float)
    for _ in range(max_rounds):
        diff = p[:, None, :] - p[None, :, :]
        dist = np.sqrt((diff**2).sum(axis=2))
        np.fill_diagonal(dist, np.inf)
        overlap = np.clip(gap - dist, 0.0, None)
        if overlap.max() < 1e-6:
            break
        unit = diff / np.where(np.isfinite(dist), dist, 1.0)[..., None]
        p += 0.5 * (unit * overlap[..., None]).sum(axis=1)
    return p


def snap(points: np.ndarray) -> np.ndarray:
    """Return ``(N, 2)`` integer cells ``(row, col)``, one per point, none shared."""
    from scipy.optimize import linear_sum_assignment

    p = points - points.min(axis=0)
    width, height = int(np.ceil(p[:, 0].max())) + 2, int(np.ceil(p[:, 1].max())) + 2
    cells = np.array([(c, r) for r in range(height) for c in range(width)], dtype=float)
    cost = ((p[:, None, :] - cells[None, :, :]) ** 2).sum(axis=2)
    rows, cols = linear_sum_assignment(cost)
    out = np.empty((len(p), 2), dtype=int)
    out[rows] = cells[cols][:, ::-1].astype(int)
    return out


def squeeze(values: np.ndarray) -> np.ndarray:
    """Renumber occupied coordinates from 0, leaving at most one empty step between them."""
    new, last, pos = {}, None, -1
    for v in sorted(set(values.tolist())):
        pos += 1 if last is None or v - last == 1 else 2
        new[v] = pos
        last = v
    return np.array([new[v] for v in values.tolist()])


def tile_grid(states: pd.DataFrame) -> pd.DataFrame:
    """Return ``iso3, row, col`` for every state of ``states`` (rule plus :data:`MOVES`)."""
    points = spread(project(states["capital_lat"].to_numpy(), states["capital_lon"].to_numpy()))
    cells = snap(points)
    grid = pd.DataFrame(
        {"iso3": states["iso3"], "row": squeeze(cells[:, 0]), "col": squeeze(cells[:, 1])}
    )
    for code, (row, col, _reason) in MOVES.items():
        grid.loc[grid["iso3"] == code, ["row", "col"]] = (row, col)
    if grid.duplicated(["row", "col"]).any():
        raise ValueError("two states share a tile; check MOVES")
    return grid.sort_values(["row", "col"]).reset_index(drop=True)


def render(grid: pd.DataFrame) -> str:
    """Return the grid as text, one line per row (for checking the layout by eye)."""
    lines = [["   "] * (grid["col"].max() + 1) for _ in range(grid["row"].max() + 1)]
    for code, row, col in grid.itertuples(index=False):
        lines[row][col] = code
    return "\n".join(" ".join(line).rstrip() for line in lines)


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` compare) the tile-grid CSV; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    grid = tile_grid(pd.read_csv(STATES))
    text = grid.to_csv(index=False, lineterminator="\n")
    if args.check:
        same = OUT.exists() and OUT.read_text(encoding="utf-8") == text
        print(f"{OUT}: {'up to date' if same else 'differs from the rule'}")
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    print(render(grid))
    print(f"wrote {OUT} ({len(grid)} states)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
