#!/usr/bin/env bash
# Writes the Debian OCI image layout DebianRootfsIT tests to DIR, e.g. for the JMH benchmarks:
#
#   it/scripts/debian-layout.sh DIR
#
# Tags: bookworm (debootstrap --variant=minbase bookworm, one layer) and bookworm-changed (plus
# a layer deleting /usr/share/doc and /etc/motd, rewriting /etc/hostname, adding a file); for
# the registry pull benchmark also bookworm-split (the same tree in 4 layers of about 24 MB).
# DIR must not exist or be empty. Needs root, a JDK (javac), umoci and debootstrap (installed
# when missing: the script runs through it/scripts/with-tools.sh). The debootstrap tree is cached
# in ${XDG_CACHE_HOME:-~/.cache}/layerfs-it and shared with the integration test.
#
# It runs the test fixture itself (io.layerfs.it.DebianImage, JDK classes only), compiled with
# javac into a temporary directory, so the layout is exactly the one the test checks.
set -euo pipefail

if (($# != 1)); then
  echo "usage: $0 DIR" >&2
  exit 2
fi

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$HERE/../src/test/java/io/layerfs/it
CLASSES=$(mktemp -d "${TMPDIR:-/tmp}/layerfs-debian-classes.XXXXXX")
trap 'rm -rf "$CLASSES"' EXIT

javac --release 17 -nowarn -d "$CLASSES" \
  "$SRC/Tools.java" "$SRC/TreeComparison.java" "$SRC/DebianImage.java"
LC_ALL=C.UTF-8 bash "$HERE/with-tools.sh" java -cp "$CLASSES" io.layerfs.it.DebianImage "$1"
