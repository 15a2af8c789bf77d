"""The ``sovsim`` command line.

``sovsim run`` runs one model (the default 55-state world unless told otherwise) and prints a
readable summary; ``--out DIR`` also writes the tidy tables as CSV.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

EXIT_BAD_INPUT = 2

EXAMPLES = """examples:
  sovsim run                                  the default world, 100 steps, seed 42
  sovsim run --steps 200 --seed 7             a longer run with another seed
  sovsim run --world synthetic --n-states 1000 --steps 20
  sovsim run --set export_controls=1.0 --out results/controls
  sovsim run --json                           a machine-readable summary
"""


class BadInput(Exception):
    """An input problem to report in one line with exit status 2."""


def _parse_set(items: list[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise BadInput(f"--set {item!r}: expected KEY=VALUE, e.g. export_controls=0.8")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        if isinstance(value, list):
            value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
        out[key] = value
    return out


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``sovsim``."""
    parser = argparse.ArgumentParser(
        prog="sovsim",
        description="Agent-based simulation of digital sovereignty and internet fragmentation.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser(
        "run",
        help="run one model and print a summary",
        description="Run one model and print a summary of fragmentation, blocs and payoffs.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("--steps", type=int, default=100, help="number of steps (default 100)")
    run.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    run.add_argument("--world", choices=["default", "synthetic"], default="default")
    run.add_argument("--n-states", type=int, default=200, help="synthetic world size")
    run.add_argument("--world-seed", type=int, default=0, help="synthetic world seed")
    run.add_argument(
        "--initial-policy", choices=["observed", "neutral", "random"], default="observed"
    )
    run.add_argument("--decision-rule", choices=["logit", "best", "imitate"], default="logit")
    run.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a model or payoff parameter, e.g. --set export_controls=0.9 (repeatable)",
    )
    run.add_argument("--out", type=Path, help="write model.csv and agents.csv into this folder")
    run.add_argument("--force", action="store_true", help="replace a non-empty --out folder")
    run.add_argument("--json", action="store_true", help="print the summary as JSON")
    run.add_argument("--quiet", action="store_true", help="print nothing on success")
    return parser


def summarize(model) -> dict:
    """Return the run summary: key metrics at the first and last step and final bloc shares."""
    df = model.model_dataframe()
    first, last = df.iloc[0], df.iloc[-1]
    keys = (
        "fragmentation",
        "fragmentation_technical",
        "fragmentation_data",
        "modularity",
        "mean_localization",
        "mean_trade",
        "mean_security",
        "welfare",
        "security_connectivity_balance",
    )
    shares = {
        k[len("gdp_share_") :]: float(last[k]) for k in df.columns if k.startswith("gdp_share_")
    }
    return {
        "states": int(model.world.n),
        "steps": int(model.steps),
        "converged": bool(not model.running and model.steps < model.max_steps),
        "metrics": {k: {"start": float(first[k]), "end": float(last[k])} for k in keys},
        "gdp_shares_end": shares,
    }


def _print_summary(summary: dict, seconds: float) -> None:
    print(
        f"sovsim: {summary['states']} states, {summary['steps']} steps "
        f"({'converged' if summary['converged'] else 'step limit'}), {seconds:.2f} s"
    )
    print(f"{'metric':32s}{'start':>9s}{'end':>9s}")
    for k, v in summary["metrics"].items():
        print(f"{k:32s}{v['start']:9.3f}{v['end']:9.3f}")
    print("\nGDP share by ecosystem at the end:")
    by_domain: dict[str, list[str]] = {}
    for key, value in summary["gdp_shares_end"].items():
        option, domain = key.split("_", 1)
        by_domain.setdefault(domain, []).append(f"{option} {value:5.1%}")
    for domain, parts in by_domain.items():
        print(f"  {domain:16s}" + "  ".join(parts))


def _write_tables(model, out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise BadInput(f"--out {out}: is a file; allowed: a new or empty folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise BadInput(f"--out {out}: folder is not empty; use --force to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        model.model_dataframe().to_csv(tmp / "model.csv", index=False)
        model.agent_dataframe().to_csv(tmp / "agents.csv", index=False)
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def cmd_run(args: argparse.Namespace) -> int:
    """Run one model; print the summary; optionally write the tables."""
    from simulation.model import SovereigntyModel

    if args.steps < 0:
        raise BadInput(f"--steps {args.steps}: allowed 0 or more")
    params = _parse_set(args.set)
    params.setdefault("max_steps", max(args.steps, 1))
    try:
        model = SovereigntyModel(
            world=args.world,
            n_states=args.n_states,
            world_seed=args.world_seed,
            initial_policy=args.initial_policy,
            decision_rule=args.decision_rule,
            rng=args.seed,
            **params,
        )
    except (TypeError, ValueError) as exc:
        raise BadInput(f"--set: {exc}") from exc
    start = time.perf_counter()
    model.run(args.steps)
    seconds = time.perf_counter() - start
    if args.out is not None:
        _write_tables(model, args.out, args.force)
    summary = summarize(model)
    if args.json:
        print(json.dumps({**summary, "seconds": seconds}, indent=2))
    elif not args.quiet:
        _print_summary(summary, seconds)
        if args.out is not None:
            print(f"\ntables written to {args.out}/ (model.csv, agents.csv)")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sovsim`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return cmd_run(args)
    except BadInput as exc:
        if args.debug:
            raise
        print(f"sovsim: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
