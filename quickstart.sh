#!/usr/bin/env bash
# Starts the whole Portcullis stack on this machine with embedded defaults and the demo realm:
# PostgreSQL (a cluster of its own under .portcullis/), Keycloak (distribution from Maven Central),
# the broker, the bastion (SSH and PostgreSQL), a demo SSH target (OpenSSH) and a demo database. Prints what to do next. Idempotent: running it again reports what already runs.
#   ./quickstart.sh          start (or show what runs, and start again whatever part is down)
#   ./quickstart.sh stop     stop everything it started
#   ./quickstart.sh status   show what runs; exits 3 when a part is down
# Settings (environment): PORTCULLIS_HTTP_PORT (8080), PORTCULLIS_KEYCLOAK_PORT (8180),
# PORTCULLIS_BASTION_PORT (2022), PORTCULLIS_DEMO_SSH_PORT (2222), PORTCULLIS_DB_PORT (6432),
# PORTCULLIS_HOME (./.portcullis), PORTCULLIS_POLICY_FILE (deploy/policies/policies.yaml),
# PORTCULLIS_BASTION_HEALTH_PORT (9464).
set -euo pipefail
cd "$(dirname "$0")"
action="${1:-start}"
case "$action" in start|stop|status) ;; *) echo "usage: $0 [start|stop|status]" >&2; exit 2;; esac

if [ "$action" = start ]; then
  deploy/bin/prerequisites.sh
  jar=deploy/target/deploy-0.1.0-SNAPSHOT.jar
  if [ ! -f "$jar" ] || [ ! -f broker-api/target/quarkus-app/quarkus-run.jar ] || [ ! -f cli/target/portcullis.jar ] || \
     [ -n "$(find approval-workflow bastion-contract recording-store recording-s3 local-servers ssh-ed25519 ssh-bastion broker-api web-frontend deploy cli -newer "$jar" -name '*.java' -o -newer "$jar" -name '*.properties' -o -newer "$jar" -name 'pom.xml' 2>/dev/null | head -n1)" ]; then
    echo "building Portcullis (first time: a few minutes while Maven fetches dependencies)..."
    mvn -B -ntp -q -Dstyle.color=never -DskipTests install
  fi
  # the portcullis command the printed story uses, where the user's shell finds it (PREFIX: elsewhere)
  cli/install.sh
fi
if [ ! -f deploy/target/deploy-0.1.0-SNAPSHOT.jar ]; then
  echo "Portcullis was never built here, so nothing runs."
  if [ "$action" = status ]; then exit 3; else exit 0; fi
fi
exec java -cp "deploy/target/deploy-0.1.0-SNAPSHOT.jar:deploy/target/lib/*" dev.portcullis.deploy.Quickstart "$action"
