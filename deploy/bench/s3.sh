#!/usr/bin/env bash
# Recordings on S3 (S3Proxy on loopback, started by local-servers), figures in docs/benchmarks/ (each page with its
# .figures.tsv; contract: deploy/bench/README.md):
#  s3.md              bulk throughput, base64 text, through the bastion recording to S3, against OpenSSH ProxyJump
#                     on the same machine in one run, aes128-gcm@openssh.com forced on every hop of both paths
#                     (bastion.sh's BastionBenchmark with -Dbench.recordings=s3)
#  s3-concurrency.md  1,000 recorded sessions open at once on one bastion process (1 GiB heap) recording to S3
#                     (bastion.sh's ConcurrentSessionsBenchmark with -Dbench.recordings=s3)
#  s3-store.md        session end to signed manifest stored in S3, p99 of BENCH_SESSIONS sessions (the filesystem
#                     store in the same run as baseline), and a seek to 50 min of a 1 GiB one-hour recording on S3
#                     (RecordingSeekBenchmark's recording and reads; reading from the start as baseline)
# Settings: BENCH_BYTES (default 1073741824), BENCH_ROUNDS (3), BENCH_SESSIONS (1000), BENCH_SEEK_BYTES (1073741824).
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/bin/prerequisites.sh
mvn -B -ntp -Dstyle.color=never -pl ssh-bastion -am test -Dtest='BastionBenchmark' \
  -Dsurefire.failIfNoSpecifiedTests=false -Dtest.excludedGroups=none -Dgroups=benchmark -Dbench.recordings=s3 \
  -Dbench.payloads=base64 -Dbench.corpus=false -Dbench.setups=1 \
  -Dbench.bytes="${BENCH_BYTES:-1073741824}" -Dbench.rounds="${BENCH_ROUNDS:-3}" \
  -Dbench.output="$PWD/docs/benchmarks/s3.md"
mvn -B -ntp -Dstyle.color=never -pl ssh-bastion -am test -Dtest='ConcurrentSessionsBenchmark' \
  -Dsurefire.failIfNoSpecifiedTests=false -Dtest.excludedGroups=none -Dgroups=benchmark -Dbench.recordings=s3 \
  -Dbench.sessions="${BENCH_SESSIONS:-1000}" -Dbench.output.concurrency="$PWD/docs/benchmarks/s3-concurrency.md"
mvn -B -ntp -Dstyle.color=never -pl recording-s3 -am test -Dtest='S3RecordingBenchmark' \
  -Dsurefire.failIfNoSpecifiedTests=false -Dtest.excludedGroups=none -Dgroups=benchmark \
  -Dbench.sessions="${BENCH_SESSIONS:-1000}" -Dbench.seek.bytes="${BENCH_SEEK_BYTES:-1073741824}" \
  -Dbench.output.s3store="$PWD/docs/benchmarks/s3-store.md"
echo "figures written to docs/benchmarks/s3.md, s3-concurrency.md, s3-store.md and their .figures.tsv (deploy/bench/all.sh collects them)"
