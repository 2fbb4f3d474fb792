#!/usr/bin/env bash
# PostgreSQL proxy benchmark, figures in docs/benchmarks/postgres.md and postgres.figures.tsv (contract: deploy/bench/README.md):
# pgbench -S through the recording database proxy against Debian's pgbouncer in session mode, in one run, client TLS
# required by both: new connections (-C), steady state with the simple and with the extended query protocol.
# Settings: BENCH_SECONDS (default 20 per run), BENCH_CLIENTS (8), BENCH_CONNECT_CLIENTS (4, for -C), BENCH_ROUNDS (2),
# BENCH_SCALE (10).
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/bin/prerequisites.sh
mvn -B -ntp -Dstyle.color=never -pl ssh-bastion -am install -DskipTests -q
mvn -B -ntp -Dstyle.color=never -pl ssh-bastion test -Dtest='DatabaseProxyBenchmark' \
  -Dsurefire.failIfNoSpecifiedTests=false -Dtest.excludedGroups=none -Dgroups=benchmark \
  -Dbench.seconds="${BENCH_SECONDS:-20}" -Dbench.clients="${BENCH_CLIENTS:-8}" \
  -Dbench.connectClients="${BENCH_CONNECT_CLIENTS:-4}" -Dbench.rounds="${BENCH_ROUNDS:-2}" \
  -Dbench.scale="${BENCH_SCALE:-10}" -Dbench.output="$PWD/docs/benchmarks/postgres.md"
echo "figures written to docs/benchmarks/postgres.md and postgres.figures.tsv (deploy/bench/all.sh collects them)"
