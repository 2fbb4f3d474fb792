#!/usr/bin/env bash
# SIEM stream benchmark: from an audit row committed to each SIEM sink having it (Debian's rsyslog over TLS, a Splunk
# HEC and an OpenSearch _bulk test receiver), p99, with the workflow paced at 200 flows/s (WorkflowBenchmark's flow),
# against the create call's round trip in the same run; then the sinks-down test with a 60 s outage under load.
# Writes docs/benchmarks/siem.md and siem.figures.tsv (contract: deploy/bench/README.md).
# Settings: BENCH_RATE (flows/s, default 200), BENCH_SECONDS (default 60), BENCH_WARMUP_SECONDS (default 30),
# BENCH_CLIENTS (default 256), BENCH_OUTAGE_SECONDS (default 60; 0 skips the outage test).
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/bin/prerequisites.sh
# builds the reactor modules it needs in place (verify with -am); installs nothing in ~/.m2
mvn -B -ntp -Dstyle.color=never -pl broker-api -am verify -Dtest=SiemBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
  -Dtest.excludedGroups=none -Dgroups=benchmark -Dsiem.production-timing=true \
  -Dbench.rate="${BENCH_RATE:-200}" -Dbench.seconds="${BENCH_SECONDS:-60}" \
  -Dbench.warmup-seconds="${BENCH_WARMUP_SECONDS:-30}" -Dbench.clients="${BENCH_CLIENTS:-256}" \
  -Dbench.output="$PWD/docs/benchmarks/siem.md"
if [ "${BENCH_OUTAGE_SECONDS:-60}" != 0 ]; then
  # every row arrives, in order, without a gap, after all three sinks were down this long while flows went on
  mvn -B -ntp -Dstyle.color=never -pl broker-api -am verify -Dtest='SiemStreamTest#sinksDown*' \
    -Dsurefire.failIfNoSpecifiedTests=false -Dsiem.outage-seconds="${BENCH_OUTAGE_SECONDS:-60}"
  printf '\nSinks down for %s s under load (SiemStreamTest#sinksDownUnder...): every row arrived afterwards at' \
    "${BENCH_OUTAGE_SECONDS:-60}" >> docs/benchmarks/siem.md
  printf ' every sink, in order, without a gap.\n' >> docs/benchmarks/siem.md
fi
echo "figures written to docs/benchmarks/siem.md and siem.figures.tsv (deploy/bench/all.sh collects them)"
