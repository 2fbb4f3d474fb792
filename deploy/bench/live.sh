#!/usr/bin/env bash
# Live view and ending one session, on two broker replicas: delay from the user's terminal showing output to the
# auditor's browser showing it (baseline: typed to shown in the user's own terminal), and an admin's end request to
# the session closed (baseline: a grant revoked to its session closed). Writes docs/benchmarks/live.md and
# live.figures.tsv (contract: deploy/bench/README.md). Settings: BENCH_ROUNDS (default 50), BENCH_ENDS (default 10).
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/bin/prerequisites.sh
mvn -B -ntp -Dstyle.color=never -pl deploy -am install -DskipTests -q
mvn -B -ntp -Dstyle.color=never -pl deploy test -Dtest=LiveViewBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
  -Dtest.excludedGroups=none -Dgroups=benchmark -Dbench.rounds="${BENCH_ROUNDS:-50}" -Dbench.ends="${BENCH_ENDS:-10}" \
  -Dbench.output="$PWD/docs/benchmarks/live.md"
echo "figures written to docs/benchmarks/live.md and live.figures.tsv (deploy/bench/all.sh collects them)"
