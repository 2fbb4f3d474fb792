#!/usr/bin/env bash
# Access-request workflow benchmark: full request/approve flows per second and approve latency through
# the real broker, Keycloak and PostgreSQL on this machine, against as many token-only calls (GET /api/v1/me) in the
# same run. Writes docs/benchmarks/workflow.md and workflow.figures.tsv (contract: deploy/bench/README.md).
# Settings: BENCH_FLOWS (default 4000), BENCH_CLIENTS (default 128).
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/bin/prerequisites.sh
mvn -B -ntp -Dstyle.color=never -pl broker-api -am install -DskipTests -q
mvn -B -ntp -Dstyle.color=never -pl broker-api test -Dtest=WorkflowBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
  -Dtest.excludedGroups=none -Dgroups=benchmark -Dbench.flows="${BENCH_FLOWS:-4000}" -Dbench.clients="${BENCH_CLIENTS:-128}" \
  -Dbench.output="$PWD/docs/benchmarks/workflow.md"
echo "figures written to docs/benchmarks/workflow.md and workflow.figures.tsv (deploy/bench/all.sh collects them)"
