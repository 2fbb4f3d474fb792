#!/usr/bin/env bash
# A lost bastion: a bastion process carrying a session is killed (SIGKILL); time until the broker marks the session
# ABORTED, against a clean session end to CLOSED in the same run. Writes docs/benchmarks/bastion-lost.md and
# bastion-lost.figures.tsv (contract: deploy/bench/README.md). Setting: BENCH_ROUNDS (default 3).
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/bin/prerequisites.sh
mvn -B -ntp -Dstyle.color=never -pl deploy -am install -DskipTests -q
mvn -B -ntp -Dstyle.color=never -pl deploy test -Dtest=BastionLostBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
  -Dtest.excludedGroups=none -Dgroups=benchmark -Dbench.rounds="${BENCH_ROUNDS:-3}" \
  -Dbench.output="$PWD/docs/benchmarks/bastion-lost.md"
echo "figures written to docs/benchmarks/bastion-lost.md and bastion-lost.figures.tsv (deploy/bench/all.sh collects them)"
