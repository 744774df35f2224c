#!/usr/bin/env bash
# The full comparison from scratch, in one command:
#   0. a smoke run (every implementation checked once),
#   1. the pytest-benchmark suite -> results.json (and a saved run for --benchmark-compare),
#   2. the issue #3 speed targets, interleaved -> targets.json,
#   3. docs/bench_table.md and docs/bench_chart.png from both.
#
#   bash benchmarks/run_all.sh                          # sizes 2^10 .. 2^22
#   bash benchmarks/run_all.sh -m "bigmem or not slow"  # adds 2^26 (long: tens of minutes)
#   bash benchmarks/run_all.sh --quick                  # tiny sizes: checks the flow only
#
# Other arguments go to pytest.  Output folder: $BENCH_OUT (default .benchmarks/run-DATE);
# report folder: $BENCH_DOCS (default docs).  Needs: pip install -e ".[bench]" (and
# ".[peers]" for PyTorch, numexpr and JAX).
set -euo pipefail
cd "$(dirname "$0")/.."

out="${BENCH_OUT:-.benchmarks/run-$(date +%Y%m%d-%H%M%S)}"
docs="${BENCH_DOCS:-docs}"
pytest_args=()
targets_args=()
if [[ "${1:-}" == "--quick" ]]; then
    shift
    pytest_args+=(--bench-sizes=10,16 --bench-time=0.01 --bench-min-rounds=2)
    targets_args+=(--quick --rounds=3)
fi
mkdir -p "$out"

# 0. smoke run (benchmarks disabled): checks every implementation against the reference and
#    compiles every kernel, so a broken peer fails in seconds, not after the long run
python -m pytest benchmarks -q -x -p no:randomly

python -m pytest benchmarks -q -p no:randomly \
    --benchmark-enable --benchmark-only \
    --benchmark-json="$out/results.json" --benchmark-save=run_all \
    --benchmark-columns=median,iqr,rounds,iterations \
    "${pytest_args[@]}" "$@"

python benchmarks/targets.py --json "$out/targets.json" "${targets_args[@]}"

python benchmarks/report.py "$out/results.json" --targets "$out/targets.json" --out-dir "$docs"
echo "results in $out; report in $docs/bench_table.md and $docs/bench_chart.png"
