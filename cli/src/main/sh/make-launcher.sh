#!/usr/bin/env bash
# Run by the build (cli/pom.xml, phase package, after the shade plugin): writes the launcher
# TARGET/layerfs and its class data sharing archive TARGET/layerfs.jsa, made by JAVA with a
# training run (io.layerfs.cli.CdsTraining) of the demo and the read-only commands. The archive
# is an optimisation: when it cannot be made (a JVM without CDS, a read-only or full disk), the
# launcher runs without it and the build goes on.
#
#   make-launcher.sh JAVA TARGET
set -u
java=$1
target=$(cd "$2" && pwd -P)
here=$(cd "$(dirname "$0")" && pwd -P)
cp "$here/layerfs" "$target/layerfs" && chmod 755 "$target/layerfs" || exit 1
rm -f "$target/layerfs.jsa"
# The same path as the launcher gives: the archive is only used for the jar it was made with.
if "$java" -XX:ArchiveClassesAtExit="$target/layerfs.jsa" -Xlog:cds=off -Xlog:cds+dynamic=off \
    -cp "$target/layerfs.jar" io.layerfs.cli.CdsTraining >"$target/layerfs.jsa.log" 2>&1 \
    && [ -s "$target/layerfs.jsa" ]; then
  echo "layerfs: wrote $target/layerfs and its class data sharing archive layerfs.jsa"
else
  rm -f "$target/layerfs.jsa"
  echo "layerfs: wrote $target/layerfs; no class data sharing archive" \
    "(see $target/layerfs.jsa.log): the launcher runs without it"
fi
exit 0
