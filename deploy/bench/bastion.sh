#!/usr/bin/env bash
# SSH bastion benchmark: bulk throughput and session set-up through the recording bastion, against direct OpenSSH and
# OpenSSH ProxyJump on the same machine in one run. Writes docs/benchmarks/bastion.md.
# Settings: BENCH_BYTES (default 1073741824), BENCH_ROUNDS (3), BENCH_SETUPS (20).
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/bin/prerequisites.sh
mvn -B -ntp -Dstyle.color=never -pl ssh-bastion -am install -DskipTests -q
mvn -B -ntp -Dstyle.color=never -pl ssh-bastion test -Dtest=BastionBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
  -Dtest.excludedGroups=none -Dgroups=benchmark -Dbench.bytes="${BENCH_BYTES:-1073741824}" \
  -Dbench.rounds="${BENCH_ROUNDS:-3}" -Dbench.setups="${BENCH_SETUPS:-20}" \
  -Dbench.output="$PWD/docs/benchmarks/bastion.md"
echo "figures written to docs/benchmarks/bastion.md"
