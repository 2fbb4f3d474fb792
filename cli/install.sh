#!/bin/sh
# Installs the portcullis command for this user: the jar under ~/.local/lib/portcullis/ and the launcher as
# ~/.local/bin/portcullis (PREFIX=/usr/local cli/install.sh for everyone). Run after building: mvn -pl cli package.
set -eu
cd "$(dirname "$0")"
prefix=${PREFIX:-$HOME/.local}
[ -f target/portcullis.jar ] || { echo "build the command first: mvn -pl cli -am package" >&2; exit 1; }
mkdir -p "$prefix/bin" "$prefix/lib/portcullis"
if cmp -s target/portcullis.jar "$prefix/lib/portcullis/portcullis.jar" && cmp -s bin/portcullis "$prefix/bin/portcullis"; then
  exit 0 # already this build: keep its class-data archive
fi
cp target/portcullis.jar "$prefix/lib/portcullis/portcullis.jar.new"
mv -f "$prefix/lib/portcullis/portcullis.jar.new" "$prefix/lib/portcullis/portcullis.jar"
rm -f "$prefix/lib/portcullis/portcullis.jsa"
cp bin/portcullis "$prefix/bin/portcullis.new" && chmod 755 "$prefix/bin/portcullis.new"
mv -f "$prefix/bin/portcullis.new" "$prefix/bin/portcullis"
echo "installed $prefix/bin/portcullis"
case ":$PATH:" in *":$prefix/bin:"*) ;; *) echo "add $prefix/bin to your PATH to run it as portcullis" ;; esac
