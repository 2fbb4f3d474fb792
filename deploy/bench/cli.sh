#!/usr/bin/env bash
# Start-up of the portcullis command: wall time of `portcullis status`, warm (class-data archive written, a valid
# token), against a broker process on loopback, with `java -version` in the same run as the baseline. Writes
# docs/benchmarks/cli.md and cli.figures.tsv (contract: deploy/bench/README.md). Settings: BENCH_RUNS (default 20).
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/bin/prerequisites.sh
# builds what the benchmark runs (the broker, the command's jar) in the reactor; installs nothing in ~/.m2
mvn -B -ntp -Dstyle.color=never -q -pl deploy -am verify -Dtest=CliStartupBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
  -Dtest.excludedGroups=none -Dgroups=benchmark -Dbench.runs="${BENCH_RUNS:-20}" \
  -Dbench.output="$PWD/docs/benchmarks/cli.md"
echo "figures written to docs/benchmarks/cli.md and cli.figures.tsv (deploy/bench/all.sh collects them)"
