#!/usr/bin/env bash
# Grant-end benchmark: 1,000 grants ending within the same minute, delay from end time to the grant-ended
# event at a subscribed bastion, against grants released by hand in the same run. Writes docs/benchmarks/grant-end.md
# and grant-end.figures.tsv (contract: deploy/bench/README.md). Setting: BENCH_GRANTS (default 1000).
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/bin/prerequisites.sh
mvn -B -ntp -Dstyle.color=never -pl broker-api -am install -DskipTests -q
mvn -B -ntp -Dstyle.color=never -pl broker-api test -Dtest=GrantEndBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
  -Dtest.excludedGroups=none -Dgroups=benchmark -Dbench.grants="${BENCH_GRANTS:-1000}" \
  -Dbench.output="$PWD/docs/benchmarks/grant-end.md"
echo "figures written to docs/benchmarks/grant-end.md and grant-end.figures.tsv (deploy/bench/all.sh collects them)"
