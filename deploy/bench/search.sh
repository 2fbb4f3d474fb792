#!/usr/bin/env bash
# Search benchmark: a corpus of BENCH_SESSIONS recorded sessions holding BENCH_EVENTS index entries, written through
# the bastion's recorder and indexed by its index feed into a broker process; search p95 through the API against a
# plain ILIKE scan, event recorded to searchable p99 against one entry posted straight to the broker, and the index
# size per GiB of recordings. Writes docs/benchmarks/search.md and search.figures.tsv (contract:
# deploy/bench/README.md). Settings: BENCH_SESSIONS (default 10000), BENCH_EVENTS (default 5000000), BENCH_WORKERS
# (corpus writers, default 4), BENCH_BACKLOG (entries a feed may hold before the writers wait, default 20000).
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/bin/prerequisites.sh
mvn -B -ntp -Dstyle.color=never -pl deploy -am install -DskipTests -q
mvn -B -ntp -Dstyle.color=never -pl deploy test -Dtest=SearchBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
  -Dtest.excludedGroups=none -Dgroups=benchmark -Dbench.sessions="${BENCH_SESSIONS:-10000}" \
  -Dbench.events="${BENCH_EVENTS:-5000000}" -Dbench.workers="${BENCH_WORKERS:-4}" \
  -Dbench.backlog="${BENCH_BACKLOG:-20000}" -Dbench.output="$PWD/docs/benchmarks/search.md"
echo "figures written to docs/benchmarks/search.md and search.figures.tsv (deploy/bench/all.sh collects them)"
