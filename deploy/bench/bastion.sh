#!/usr/bin/env bash
# SSH bastion benchmarks, figures in docs/benchmarks/ (each page with its .figures.tsv; contract: deploy/bench/README.md):
#  bastion.md              bulk throughput (zeros, random bytes, base64 text), recording size / raw bytes (those and a
#                          terminal corpus) and session set-up through the recording bastion, against OpenSSH ProxyJump
#                          on the same machine in one run, aes128-gcm@openssh.com forced on every hop of both paths
#  bastion-concurrency.md  1,000 recorded sessions open at once on one bastion process with a 1 GiB heap
#  bastion-seek.md         seeking to the 50-minute mark of a 1 GiB one-hour recording (BENCH_SEEK_BYTES)
# Settings: BENCH_BYTES (default 1073741824), BENCH_ROUNDS (3), BENCH_SETUPS (20), BENCH_SESSIONS (1000).
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/bin/prerequisites.sh
mvn -B -ntp -Dstyle.color=never -pl ssh-bastion -am install -DskipTests -q
mvn -B -ntp -Dstyle.color=never -pl ssh-bastion test -Dtest='BastionBenchmark,ConcurrentSessionsBenchmark' \
  -Dsurefire.failIfNoSpecifiedTests=false -Dtest.excludedGroups=none -Dgroups=benchmark \
  -Dbench.bytes="${BENCH_BYTES:-1073741824}" -Dbench.rounds="${BENCH_ROUNDS:-3}" -Dbench.setups="${BENCH_SETUPS:-20}" \
  -Dbench.sessions="${BENCH_SESSIONS:-1000}" \
  -Dbench.output="$PWD/docs/benchmarks/bastion.md" -Dbench.output.concurrency="$PWD/docs/benchmarks/bastion-concurrency.md"
mvn -B -ntp -Dstyle.color=never -pl recording-store test -Dtest='RecordingSeekBenchmark' \
  -Dsurefire.failIfNoSpecifiedTests=false -Dtest.excludedGroups=none -Dgroups=benchmark \
  -Dbench.seek.bytes="${BENCH_SEEK_BYTES:-1073741824}" -Dbench.output.seek="$PWD/docs/benchmarks/bastion-seek.md"
echo "figures written to docs/benchmarks/bastion.md, bastion-concurrency.md and their .figures.tsv (deploy/bench/all.sh collects them)"
