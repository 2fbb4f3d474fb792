#!/usr/bin/env bash
# Runs every benchmark script in deploy/bench/ (each *.sh but this one, in name order), then collects the figures
# they leave in docs/benchmarks/ into one report, docs/benchmarks.md: each figure against its baseline from the same
# run, the target, met or not, and the machine. The contract the scripts follow is in deploy/bench/README.md.
#   deploy/bench/all.sh                      run every benchmark (long: tens of minutes), then collect
#   deploy/bench/all.sh --collect-only       collect the figures already in docs/benchmarks/ again; runs nothing
#   BENCH_ONLY="workflow grant-end" deploy/bench/all.sh   run only these scripts (the report still covers all)
# A script that fails does not stop the others; the report marks its figures stale, and all.sh exits 1.
# Settings: BENCH_FIGURES_DIR (docs/benchmarks), BENCH_REPORT (docs/benchmarks.md), and each script's own.
set -euo pipefail
cd "$(dirname "$0")/../.."
collect_only=false
case "${1:-}" in
  --collect-only) collect_only=true ;;
  "") ;;
  *) echo "usage: $0 [--collect-only]" >&2; exit 2 ;;
esac
figures_dir="${BENCH_FIGURES_DIR:-docs/benchmarks}"
report="${BENCH_REPORT:-docs/benchmarks.md}"

scripts=()
for f in deploy/bench/*.sh; do
  name=$(basename "$f" .sh)
  [ "$name" = all ] || scripts+=("$name")
done
[ ${#scripts[@]} -gt 0 ] || { echo "no benchmark scripts in deploy/bench" >&2; exit 1; }

for only in ${BENCH_ONLY:-}; do
  [ -f "deploy/bench/$only.sh" ] && [ "$only" != all ] || { echo "BENCH_ONLY names $only, which is no script in deploy/bench" >&2; exit 2; }
done

failed=()
ran=()
since=$(date -u +%Y-%m-%dT%H:%M:%SZ)
if ! $collect_only; then
  for name in "${scripts[@]}"; do
    if [ -n "${BENCH_ONLY:-}" ] && ! [[ " $BENCH_ONLY " == *" $name "* ]]; then
      echo "== $name: skipped (BENCH_ONLY)"; continue
    fi
    echo "== $name: deploy/bench/$name.sh ($(date -u +%H:%M:%S) UTC)"
    ran+=("$name")
    if ! "deploy/bench/$name.sh"; then
      echo "== $name: FAILED" >&2
      failed+=("$name")
    fi
  done
fi

# The collector needs nothing but a JDK (source launcher), so --collect-only works before any build. Figures of a
# script that ran now but are older than this run are marked stale, like those of a script that failed.
(IFS=,; java deploy/src/main/java/dev/portcullis/deploy/bench/BenchmarkReport.java \
  --figures "$figures_dir" --out "$report" --scripts "${scripts[*]}" --failed "${failed[*]:-}" --ran "${ran[*]:-}" --since "$since")
[ ${#failed[@]} -eq 0 ] || { echo "failed: ${failed[*]}" >&2; exit 1; }
