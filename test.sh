#!/usr/bin/env bash
# Runs the whole Portcullis test suite on real components: PostgreSQL (throwaway clusters from the
# installed server binaries), Keycloak (the server distribution from Maven Central), and later OpenSSH
# and Chromium. Installs what is missing first. Extra arguments go to Maven (e.g. -pl broker-api).
set -euo pipefail
cd "$(dirname "$0")"
deploy/bin/prerequisites.sh
exec mvn -B -ntp -Dstyle.color=never verify "$@"
