#!/usr/bin/env bash
# Notifications benchmark: workflow flows/s with notifications (mail through a real SMTP server, a signed webhook) and
# the SIEM stream (rsyslog over TLS, HEC and _bulk test receivers, production poll interval) on, against the same flows
# with both off, each in a broker of its own started by this script, one after the other; and, with them on, request
# created to approver notified (SMTP) at a fixed 200 flows/s. Writes docs/benchmarks/notify.md and notify.figures.tsv
# (contract: deploy/bench/README.md).
# Settings: BENCH_FLOWS (default 4000), BENCH_CLIENTS (default 128), BENCH_RATE (default 200), BENCH_PACED_FLOWS
# (default 4000), BENCH_WARMUP (default 2500); BENCH_ON_BROKER_SETTINGS: more broker settings for the "on" run only,
# "name=value;name=value".
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/bin/prerequisites.sh
run() { # MODE RULE_CHANNELS BROKER_SETTINGS
  # builds the reactor modules it needs in place (verify with -am); installs nothing in ~/.m2
  mvn -B -ntp -Dstyle.color=never -pl broker-api -am verify -Dtest=NotifyBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
    -Dtest.excludedGroups=none -Dgroups=benchmark -Dsiem.production-timing=true -Dbench.mode="$1" \
    -Dbench.notify.rule-channels="$2" -Dbench.broker-settings="$3" -Dbench.flows="${BENCH_FLOWS:-4000}" \
    -Dbench.clients="${BENCH_CLIENTS:-128}" -Dbench.rate="${BENCH_RATE:-200}" \
    -Dbench.paced-flows="${BENCH_PACED_FLOWS:-4000}" -Dbench.warmup="${BENCH_WARMUP:-2500}" \
    -Dbench.output="$PWD/docs/benchmarks/notify.md"
}
run off " " ""
run on "*: email hooks" "${BENCH_ON_BROKER_SETTINGS:-}"
echo "figures written to docs/benchmarks/notify.md and notify.figures.tsv (deploy/bench/all.sh collects them)"
