#!/usr/bin/env bash
# Installs what Portcullis needs from Debian's packages when it is missing, and checks Java and Maven.
# Used by ./quickstart.sh and ./test.sh; safe to run again (it installs nothing that is already there).
set -euo pipefail

say() { printf '%s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# A JDK 17 or newer (not just a JRE: Maven compiles), and Maven. Maven uses JAVA_HOME when it is set, so that one
# is checked too; the quickstart runs on the java found on PATH.
jdk_hint="install a JDK 17 (apt-get install openjdk-17-jdk-headless) or point JAVA_HOME at one"
check_java() { # $1: a java binary, $2: where it came from
  local major
  major=$("$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n1)
  [ -n "$major" ] || die "cannot tell the Java version of $1 ($2): '$1 -version' fails; $jdk_hint"
  [ "${major%%.*}" -ge 17 ] 2>/dev/null || die "Java $major found at $1 ($2); Portcullis needs Java 17 or newer: $jdk_hint"
}
command -v java >/dev/null 2>&1 || die "no java on PATH: $jdk_hint"
check_java "$(command -v java)" "on PATH"
if [ -n "${JAVA_HOME:-}" ]; then
  [ -x "$JAVA_HOME/bin/java" ] || die "JAVA_HOME=$JAVA_HOME has no bin/java; unset it or $jdk_hint"
  check_java "$JAVA_HOME/bin/java" "JAVA_HOME"
  [ -x "$JAVA_HOME/bin/javac" ] || die "JAVA_HOME=$JAVA_HOME is a Java runtime without a compiler (no bin/javac); $jdk_hint"
else
  command -v javac >/dev/null 2>&1 || die "java is on PATH but javac is not: a Java runtime (JRE) cannot build Portcullis; $jdk_hint"
fi
command -v mvn >/dev/null 2>&1 || die "no mvn on PATH: install Maven 3.8+ (apt-get install maven)"

# Disk: the build, Maven's repository and the Keycloak distribution take about 1 GiB here (the quickstart checks
# its own PORTCULLIS_HOME before it starts anything).
free_kib=$(df -Pk . 2>/dev/null | awk 'NR==2 {print $4}')
[ -z "$free_kib" ] || [ "$free_kib" -ge 1048576 ] || \
  die "only $((free_kib / 1024)) MiB free on the disk of $PWD; building Portcullis needs about 1 GiB (Maven's repository, Keycloak): free some space"

# Debian packages: binary that must exist -> package that provides it.
want=()
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
[ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ] || want+=(postgresql)
command -v psql >/dev/null 2>&1 || want+=(postgresql-client)
# pg_trgm (PostgreSQL contrib): the broker's search index (migration V15 creates the extension).
[ -n "$pg_bin" ] && ls /usr/share/postgresql/*/extension/pg_trgm.control >/dev/null 2>&1 || want+=(postgresql-contrib)
command -v runuser >/dev/null 2>&1 || want+=(util-linux)
command -v unzip >/dev/null 2>&1 || want+=(unzip)
command -v curl >/dev/null 2>&1 || want+=(curl)
command -v pkill >/dev/null 2>&1 || want+=(procps)
command -v asciinema >/dev/null 2>&1 || want+=(asciinema)
command -v script >/dev/null 2>&1 || want+=(bsdutils)
# openssl: the evidence bundle's VERIFY.md checks Ed25519 signatures with it (EvidenceBundleTest runs those steps).
command -v openssl >/dev/null 2>&1 || want+=(openssl)
command -v setsid >/dev/null 2>&1 || want+=(util-linux)
# pgbench and pgbouncer: the PostgreSQL proxy's benchmark baseline (session-mode pooler that records nothing).
command -v pgbench >/dev/null 2>&1 || want+=(postgresql-client)
[ -x /usr/sbin/pgbouncer ] || want+=(pgbouncer)
# Debian's Chromium: the browser the web UI's end-to-end tests drive with Playwright (no browser download).
[ -x /usr/bin/chromium ] || want+=(chromium)
# npm (with Debian's Node.js): web-frontend's build installs asciinema-player from the npm registry with `npm ci`.
command -v npm >/dev/null 2>&1 || want+=(npm)
# OpenSSH: sshd is the SSH target of tests, benchmarks and the quickstart's demo target (local-servers LocalSshd);
# ssh, sftp, scp and ssh-keygen are the clients the tests drive.
[ -x /usr/sbin/sshd ] || want+=(openssh-server)
# rsyslog with its GnuTLS driver: the syslog-over-TLS receiver of the SIEM stream's tests (local-servers LocalRsyslog;
# Debian's system logger itself only listens on the local socket); openssl makes their throwaway certificates.
[ -x /usr/sbin/rsyslogd ] || want+=(rsyslog)
ls /usr/lib/*/rsyslog/lmnsd_gtls.so >/dev/null 2>&1 || want+=(rsyslog-gnutls)
command -v openssl >/dev/null 2>&1 || want+=(openssl)
for tool in ssh sftp scp ssh-keygen; do
  command -v "$tool" >/dev/null 2>&1 || { want+=(openssh-client); break; }
done

if [ ${#want[@]} -gt 0 ]; then
  say "installing from Debian's packages: ${want[*]}"
  if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    die "missing packages (${want[*]}) and no root rights: install them with apt-get and run again"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >/dev/null || die "apt-get update failed"
  # Debian's postgresql and openssh-server packages start their system services (a cluster on 5432, an sshd on
  # 0.0.0.0:22, which lets anyone on the network try passwords); Portcullis runs its own on free loopback ports and
  # needs neither. A policy-rc.d that answers 101 ("action forbidden") keeps the packages from starting them.
  policy=/usr/sbin/policy-rc.d
  made_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# portcullis prerequisites.sh: no service starts while it installs packages\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod 755 "$policy"
    made_policy=yes
  fi
  $sudo apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null || {
    [ -z "$made_policy" ] || $sudo rm -f "$policy"; die "apt-get install ${want[*]} failed"; }
  [ -z "$made_policy" ] || $sudo rm -f "$policy"
  # and off at boot too, in case an init system started them regardless
  for pkg in "${want[@]}"; do
    case "$pkg" in openssh-server) units="ssh.socket ssh.service";; postgresql) units="postgresql.service";; *) continue;; esac
    for unit in $units; do
      if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
        $sudo systemctl disable --now "$unit" >/dev/null 2>&1 || true
      fi
    done
    if command -v update-rc.d >/dev/null 2>&1; then
      case "$pkg" in openssh-server) svc=ssh;; *) svc=postgresql;; esac
      $sudo service "$svc" stop >/dev/null 2>&1 || true
      $sudo update-rc.d "$svc" disable >/dev/null 2>&1 || true
    fi
  done
fi

# As root, LocalSshd runs sshd as root but only lets in this unprivileged account, never root.
if [ "$(id -u)" -eq 0 ]; then
  if ! id -u portcullis-target >/dev/null 2>&1; then
    say "creating the local account portcullis-target (the login of the local SSH target)"
    useradd --create-home --shell /bin/bash portcullis-target || die "useradd portcullis-target failed"
  fi
  # useradd leaves the password field "!" (locked); sshd without PAM refuses locked accounts even for
  # public keys. "*" keeps every password login impossible without the lock.
  case "$(getent shadow portcullis-target | cut -d: -f2)" in
    '!'*) usermod -p '*' portcullis-target || die "usermod -p '*' portcullis-target failed" ;;
  esac
fi
exit 0
