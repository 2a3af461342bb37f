"""Command line: rerun any experiment of the book at either scale, through the same results cache.

    python -m lib list                                   experiments, their points per profile, cached
    python -m lib run NAME [--profile full] [--jobs N] [--device cpu|cuda]
    python -m lib show NAME [--profile full]             print the tidy table (from the cache)

`run` shows a progress bar over the sweep's points with an ETA; points already cached are skipped, so
an interrupted run resumes. The book's notebooks call the same `lib.run`, so a build in the same profile
reuses every point computed here. Exit codes: 0 success, 1 `show` of points not computed yet, 2 bad
usage (unknown experiment, bad option), 130 interrupted.
"""
from __future__ import annotations

import argparse
import sys

import pandas as pd
import torch

from lib.sweep import PROFILES, REGISTRY, cached_points, current_profile, get, run


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lib", description="Run the book's experiments.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{list,run,show}")
    sub.add_parser("list", help="list the experiments, their points per profile and how many are cached")
    for name, help_ in (("run", "compute (or read from the cache) every point of an experiment"),
                        ("show", "print an experiment's table from the cache")):
        cmd = sub.add_parser(name, help=help_)
        cmd.add_argument("name", help="experiment name (see `python -m lib list`)")
        cmd.add_argument("--profile", choices=PROFILES, default=None,
                         help="quick (seconds) or full (paper scale); default $BOOK_PROFILE or full")
    run_cmd = sub.choices["run"]
    run_cmd.add_argument("--jobs", type=_positive_int, default=1, help="points computed in parallel processes")
    run_cmd.add_argument("--device", choices=("cpu", "cuda"), default=None, help="default: cuda when present")
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"must be an integer in [1, 64], got {value}")
    return value


def _list() -> None:
    import lib.experiments  # noqa: F401  (registers every experiment)

    for name in sorted(REGISTRY):
        counts = []
        for profile in PROFILES:
            done, total = cached_points(name, profile)
            counts.append(f"{profile}: {done}/{total} cached")
        print(f"{name:<24} {REGISTRY[name].summary}\n{'':<24} ({'; '.join(counts)})")


def _show(df: pd.DataFrame) -> None:
    with pd.option_context("display.width", 160, "display.max_columns", 30, "display.max_colwidth", 40,
                           "display.max_rows", 200):
        print(df)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "list":
        _list()
        return 0
    profile = args.profile or current_profile()
    try:
        get(args.name)
    except ValueError as exc:
        parser.error(str(exc))
    if args.command == "show":
        done, total = cached_points(args.name, profile)
        if done < total:
            print(f"{args.name} [{profile}]: {total - done} of {total} points not computed yet; "
                  f"run `python -m lib run {args.name} --profile {profile}` first", file=sys.stderr)
            return 1
        _show(run(args.name, profile))
        return 0
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda was asked for, but torch sees no GPU; use --device cpu")
    try:
        df = run(args.name, profile, jobs=args.jobs, device=args.device, progress=True)
    except KeyboardInterrupt:
        done, total = cached_points(args.name, profile)
        print(f"interrupted: {done} of {total} points are cached; rerun to resume", file=sys.stderr)
        return 130
    a = df.attrs
    print(f"{args.name} [{profile}] on {a['device']}: {a['points']} points, {a['cached_points']} from the cache, "
          f"{a['seconds_computed']:.1f} s computing ({len(df)} rows; `python -m lib show {args.name} "
          f"--profile {profile}` prints them)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
