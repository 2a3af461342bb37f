"""Command line: rerun any experiment of the book at either scale, through the same results cache.

    python -m lib list                                   experiments, their points per profile, cached
    python -m lib run NAME [--profile full] [--jobs N] [--device cpu|cuda|cuda:N] [--set KEY=VALUE ...]
                           [--scheduler tcp://HOST:8786]
    python -m lib run all [--profile full] [--jobs N] [--device ...]   every experiment's missing points
    python -m lib show NAME [--profile full] [--set KEY=VALUE ...] [--format text|csv]   print the tidy
                                                         table (from the cache)
    python -m lib figure NAME [--profile full] [--out FILE.png]     a §7 figure (fig3a, fig3b, fig5, fig3c): compute
                                                         what is missing, write the PNG, print paper / ours

`run` shows a progress bar over the sweep's points with an ETA; points already cached are skipped, so
an interrupted run resumes. `--set KEY=VALUE` replaces one field of the experiment's settings
(`lib.settings_for(NAME)` lists them; VALUE is read as JSON, else taken as a string: `--set seeds=3`,
`--set ms=[50,500]`); an unknown field or a bad value is refused before any point is computed. `--scheduler` (or
$DASK_SCHEDULER_ADDRESS) sends the missing points to a Dask cluster whose workers share the results
cache. The book's notebooks call the same `lib.run`, so a build in the same profile reuses every point
computed here. Exit codes: 0 success, 1 `show` of points not computed yet or an unreachable Dask
scheduler, 2 bad usage (unknown experiment, bad option or value, an unusable cache directory or `--out`
path: one line on stderr, no traceback), 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from lib.cache import CacheError
from lib.sweep import (
    PROFILES,
    REGISTRY,
    SchedulerUnreachable,
    cached_points,
    check_device,
    check_options,
    current_profile,
    get,
    precompute,
    run,
)

PROG = "python -m lib"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Run the book's experiments.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{list,run,show,figure}")
    sub.add_parser(
        "list", help="list the experiments, their points per profile and how many are cached"
    )
    where = argparse.ArgumentParser(add_help=False)  # which points: run, show and figure
    where.add_argument(
        "--profile",
        choices=PROFILES,
        default=None,
        help="quick (seconds) or full (paper scale); default $BOOK_PROFILE or full",
    )
    where.add_argument(
        "--set",
        dest="overrides",
        action="append",
        type=_override,
        default=[],
        metavar="KEY=VALUE",
        help="replace field KEY of the experiment's settings by VALUE (JSON, else a string); repeatable",
    )
    where.add_argument(
        "--device",
        type=_device,
        default=None,
        help="cpu, cuda or cuda:N; default: cuda when present",
    )
    how = argparse.ArgumentParser(add_help=False)  # how to compute them: run and figure
    how.add_argument(
        "--jobs", type=_positive_int, default=1, help="points computed in parallel processes"
    )
    how.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="a Dask scheduler (tcp://HOST:8786) to compute the points on; default $DASK_SCHEDULER_ADDRESS",
    )
    sub.add_parser(
        "run",
        parents=[where, how],
        help="compute (or read from the cache) every point of an experiment",
    )
    show_cmd = sub.add_parser(
        "show", parents=[where], help="print an experiment's table from the cache"
    )
    fig_cmd = sub.add_parser(
        "figure",
        parents=[where, how],
        help="a §7 figure beside the paper's values: PNG and side-by-side table",
    )
    for cmd in (sub.choices["run"], show_cmd):
        cmd.add_argument(
            "name",
            help="experiment name (see `python -m lib list`)"
            + (
                ", or all: every experiment (no --set, no --scheduler)"
                if cmd is sub.choices["run"]
                else ""
            ),
        )
    show_cmd.add_argument(
        "--format",
        choices=("text", "csv"),
        default="text",
        help="text (a pandas table, default) or csv (every row and column)",
    )
    fig_cmd.add_argument("name", help="fig3a, fig3b, fig5 or fig3c")
    fig_cmd.add_argument(
        "--out", default=None, help="PNG path (default NAME-PROFILE.png in the current directory)"
    )
    return parser


def _override(text: str) -> tuple[str, Any]:
    """KEY=VALUE with VALUE parsed as JSON, else kept as a string."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"must be KEY=VALUE, got {text!r}")
    try:
        return key.strip(), json.loads(value)
    except ValueError:
        return key.strip(), value


def _device(text: str) -> str:
    try:
        return check_device(text, here=False)  # a GPU is looked for by `check_options`
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


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
    with pd.option_context(
        "display.width",
        160,
        "display.max_columns",
        30,
        "display.max_colwidth",
        40,
        "display.max_rows",
        200,
    ):
        print(df)


def main(argv: list[str] | None = None) -> int:
    """The command line; every failure it can name is one line on stderr and an exit code (module
    docstring), never a traceback."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return _main(parser, args)
    except SchedulerUnreachable as exc:
        return _fail(str(exc), 1)
    except (ValueError, CacheError) as exc:
        return _fail(str(exc), 2)


def _fail(message: str, code: int) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return code


def _main(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.command == "list":
        _list()
        return 0
    profile = args.profile or current_profile()
    overrides = dict(args.overrides)
    if args.command == "run" and args.name == "all":
        return _run_all(parser, args, profile)
    if args.command == "figure":
        from lib.protocol import FIGURES

        if args.name not in FIGURES:
            parser.error(f"figure must be one of {', '.join(FIGURES)}, got {args.name!r}")
        args.out = _png_path(args.out or f"{args.name}-{profile}.png")
    try:
        get(args.name)
        if args.command != "show":
            check_options(args.jobs, args.device, args.scheduler)
        done, total = cached_points(args.name, profile, device=args.device, **overrides)
    except ValueError as exc:
        parser.error(str(exc))
    if args.command == "show":
        if done < total:
            print(
                f"{args.name} [{profile}]: {total - done} of {total} points not computed yet; "
                f"run `python -m lib run {args.name} --profile {profile}` (with the same --set and --device) first",
                file=sys.stderr,
            )
            return 1
        df = run(args.name, profile, device=args.device, **overrides)
        if args.format == "csv":
            df.to_csv(sys.stdout, index=False)
        else:
            _show(df)
        return 0
    try:
        df = run(
            args.name,
            profile,
            jobs=args.jobs,
            device=args.device,
            progress=True,
            scheduler=args.scheduler,
            **overrides,
        )
    except KeyboardInterrupt:
        done, total = cached_points(args.name, profile, device=args.device, **overrides)
        print(f"interrupted: {done} of {total} points are cached; rerun to resume", file=sys.stderr)
        return 130
    if args.command == "figure":
        return _figure(df, args.name, profile, args.out)
    a = df.attrs
    print(
        f"{args.name} [{profile}] on {a['device']}: {a['points']} points, {a['cached_points']} from the cache, "
        f"{a['seconds_computed']:.1f} s computing ({len(df)} rows; `python -m lib show {args.name} "
        f"--profile {profile}` prints them)"
    )
    return 0


def _run_all(parser: argparse.ArgumentParser, args: argparse.Namespace, profile: str) -> int:
    """`python -m lib run all`: every missing point of every experiment, `--jobs` at a time."""
    if args.overrides or args.scheduler:
        parser.error("run all takes no --set and no --scheduler (run one experiment for those)")
    try:
        _, device, _ = check_options(args.jobs, args.device, None)
        seconds = precompute(profile, jobs=args.jobs, device=device, progress=True)
    except ValueError as exc:
        parser.error(str(exc))
    except KeyboardInterrupt:
        print(
            "interrupted: every point finished so far is cached; rerun to resume", file=sys.stderr
        )
        return 130
    # a GPU's points are computed in this process
    processes = 1 if device.startswith("cuda") else args.jobs
    print(
        f"all experiments [{profile}] on {device}: {seconds:.1f} s computing in {processes} process(es)"
    )
    return 0


def _png_path(out: str) -> str:
    """The PNG path `figure` writes: `out`, with ".png" added when it has no suffix; ValueError, before
    any work, for a directory or a folder that does not exist."""
    path = Path(out)
    if path.is_dir():
        raise ValueError(f"--out must be a file path, but {path} is a directory")
    if path.suffix == "":
        path = path.with_name(path.name + ".png")
    if path.suffix.lower() != ".png":
        raise ValueError(f"--out must be a .png file path, got {out!r}")
    folder = path.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise ValueError(f"--out {out!r}: the folder {folder} does not exist or is not writable")
    return str(path)


def _figure(df: pd.DataFrame, name: str, profile: str, out: str) -> int:
    """`python -m lib figure NAME`: write the figure's PNG, print the table of the paper's values
    beside ours and the claim's verdict."""
    import matplotlib

    matplotlib.use("Agg")
    from lib import claims, plotting
    from lib.compare import side_by_side

    plotting.set_theme()
    fig = plotting.paper_figure(df, name, x="n" if name == "fig5" else "m")
    fig.savefig(out)
    claim = claims.paper_figure(df, name)
    with pd.option_context(
        "display.width", 160, "display.max_rows", 200, "display.float_format", "{:.3f}".format
    ):
        print(side_by_side(df, name).to_string(index=False))
    print(f"\n{claim.id} [{profile}]: {claim.verdict} ({claim.rule})\n{claim.ours}\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
