"""A toy sweep for the crash-safety tests, run in a subprocess so that it can be killed:

    python tests/_toy_sweep.py CACHE_DIR LOG_FILE [JOBS]

It runs the experiment "toy_sweep" ($TOY_POINTS points, default 6; each sleeps $TOY_SLEEP seconds,
default 0.3) through `lib.sweep.run` with a ResultsCache at CACHE_DIR. Each computation appends
"<pid> <i> <time.time()>" to LOG_FILE when it starts, so a test knows exactly which points each
process computed, and when. The script prints the code version of `lib` as a first JSON line, waits
for the file $TOY_BARRIER if set, and on success prints the result's `value` column and
`cached_points` as a second one. Tests register the same experiment with `register()`.
"""

from __future__ import annotations

import json
import os
import sys
import time

import pandas as pd
from _toy_settings import ProfileSettings, by_profile

from lib import sweep
from lib.cache import ResultsCache, code_version

NAME, POINTS = "toy_sweep", int(os.environ.get("TOY_POINTS", "6"))


def value(i: int) -> float:
    """The toy result of point i (an inexact float, so the cache must store it bit for bit)."""
    return (i + 1) / 3


def grid(profile: str) -> list[dict]:
    return [{"i": i} for i in range(POINTS)]


def toy_sweep(*, i: int, device: str) -> pd.DataFrame:
    with open(os.environ["TOY_LOG"], "a") as fh:
        fh.write(f"{os.getpid()} {i} {time.time()}\n")
    time.sleep(float(os.environ.get("TOY_SLEEP", "0.3")))
    return pd.DataFrame({"value": [value(i)]})


def register() -> None:
    """Register the toy experiment (tests first swap `sweep.REGISTRY` for a copy)."""
    sweep.experiment(
        NAME,
        "crash-safety toy: sleeps, then returns (i + 1) / 3",
        by_profile(grid),
        settings=ProfileSettings,
    )(toy_sweep)


if __name__ == "__main__":
    cache_dir, os.environ["TOY_LOG"] = sys.argv[1], sys.argv[2]
    jobs = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    register()
    print(json.dumps({"code_version": code_version()}), flush=True)
    # optional: wait for this file, to start two runs together
    barrier = os.environ.get("TOY_BARRIER")
    while barrier and not os.path.exists(barrier):
        time.sleep(0.01)
    df = sweep.run(NAME, "quick", jobs=jobs, device="cpu", cache=ResultsCache(cache_dir))
    print(
        json.dumps(
            {"value": df["value"].tolist(), "cached_points": int(df.attrs["cached_points"])}
        ),
        flush=True,
    )
