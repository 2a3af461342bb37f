#!/usr/bin/env bash
# The GPU check in one call (8.5 minutes at most): versions, the GPU test suite, every experiment's
# full profile on CUDA from an empty results cache (timed, with the slowest experiments), and the bench.
#
#   bash scripts/gpu_check.sh                 # on a machine with a GPU, from the repository root
#   bash scripts/gpu_check.sh --cpu-smoke     # the same stages on the CPU, quick profile, short limits
#
# Logs go to $OUT (default /tmp/out): versions.log, pytest_gpu.log, run_all.log, slowest.txt, bench.log,
# and summary.txt (each stage's exit status and seconds). A stage that fails or runs past its limit is
# logged and the next one still runs. Runs with the python on PATH ($PYTHON to override), PYTHONPATH=.
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/out}
PYTHON=${PYTHON:-$(command -v python || command -v python3)}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONPATH=.
export MAXPOOL_CACHE_DIR="$OUT/cache"  # an empty results cache: every point is computed
rm -rf "$MAXPOOL_CACHE_DIR"

# limits (seconds) that keep the whole under 8.5 minutes on the GPU (490 s of stages)
DEVICE=cuda PROFILE=full BENCH=(--device cuda) T_TESTS=150 T_RUN=230 T_BENCH=70
if [ "${1:-}" = "--cpu-smoke" ]; then
    DEVICE=cpu PROFILE=quick BENCH=(--device cpu --quick) T_TESTS=120 T_RUN=30 T_BENCH=120
fi

stage() {  # stage NAME LIMIT_SECONDS LOG COMMAND...: run, log, record status and seconds, never abort
    local name=$1 limit=$2 log=$3
    shift 3
    local start=$SECONDS
    echo "== $name (limit ${limit}s): $*" | tee -a "$OUT/summary.txt"
    timeout --kill-after=10 "$limit" "$@" >"$OUT/$log" 2>&1
    local rc=$?
    local note=""
    [ $rc -eq 124 ] || [ $rc -eq 137 ] && note=" (timed out)"
    echo "   $name: exit $rc$note, $((SECONDS - start)) s" | tee -a "$OUT/summary.txt"
    tail -n 5 "$OUT/$log" | sed 's/^/   | /'
}

: >"$OUT/summary.txt"
stage versions 30 versions.log bash -c "nvidia-smi || true; $PYTHON -c 'import sys, torch; print(sys.version); \
print(\"torch\", torch.__version__, \"cuda\", torch.version.cuda, \"available\", torch.cuda.is_available()); \
print(torch.cuda.get_device_name(0) if torch.cuda.is_available() else \"no GPU\")'; nproc"

# the GPU suite without the book's plugins (no nbval or jupytext needed): the ini's addopts and the root
# conftest (which collects the notebooks) are left out; the markers still come from pyproject.toml
if [ "$DEVICE" = cuda ]; then
    stage pytest_gpu "$T_TESTS" pytest_gpu.log "$PYTHON" -m pytest -o addopts="" --noconftest -p no:cacheprovider \
        -m gpu -q --maxfail=5 -rs --durations=10 tests/test_gpu.py
else  # no GPU: the suite must skip cleanly
    stage pytest_gpu "$T_TESTS" pytest_gpu.log "$PYTHON" -m pytest -o addopts="" --noconftest -p no:cacheprovider \
        -m gpu -q -rs tests/test_gpu.py
fi

stage run_all "$T_RUN" run_all.log "$PYTHON" -m lib run all --profile "$PROFILE" --device "$DEVICE"

# per experiment: the seconds its points took (stored with each point in the cache), slowest first
stage slowest 30 slowest.txt "$PYTHON" - "$PROFILE" "$DEVICE" <<'EOF'
import sys

from lib.cache import ResultsCache
from lib.sweep import catalogue, get, point_config

profile, device = sys.argv[1], sys.argv[2]
cache, rows = ResultsCache(), []
for name in sorted(catalogue()):
    exp = get(name)
    hits = [cache.get(point_config(exp, profile, p, device)) for p in exp.points(profile)]
    seconds = sum(float(h[1].get("seconds", 0.0)) for h in hits if h is not None)
    rows.append((seconds, name, sum(h is not None for h in hits), len(hits)))
rows.sort(reverse=True)
print(f"{'experiment':<24} {'seconds':>8}  points cached")
for seconds, name, done, total in rows:
    print(f"{name:<24} {seconds:8.1f}  {done}/{total}")
print(f"{'total':<24} {sum(r[0] for r in rows):8.1f}  {sum(r[2] for r in rows)}/{sum(r[3] for r in rows)}")
EOF
cat "$OUT/slowest.txt"

stage bench "$T_BENCH" bench.log "$PYTHON" -m lib.bench "${BENCH[@]}"
cat "$OUT/bench.log" | tail -n 40
echo "== done; logs in $OUT" | tee -a "$OUT/summary.txt"
