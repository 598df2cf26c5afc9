#!/usr/bin/env bash
# Run by the build (cli/pom.xml, phase package, after the shade plugin): writes the launcher
# TARGET/layerfs and its class data sharing archive TARGET/layerfs.jsa, made by JAVA from the
# classes that a training run (io.layerfs.cli.CdsTraining) of the demo, the read-only commands and
# a pull from a registry on loopback (plain HTTP, and TLS with a key keytool makes here) loads.
# The archive is an optimisation: when it cannot be made (a JVM without CDS, a read-only or full
# disk), the launcher runs without it and the build goes on.
#
#   make-launcher.sh JAVA TARGET
set -u
java=$1
target=$(cd "$2" && pwd -P)
here=$(cd "$(dirname "$0")" && pwd -P)
cp "$here/layerfs" "$target/layerfs" && chmod 755 "$target/layerfs" || exit 1
rm -f "$target/layerfs.jsa" "$target/layerfs.jsa.for" "$target/layerfs.classlist"
# A static archive (-Xshare:dump from the list of classes the training loaded), not a dynamic one
# (-XX:ArchiveClassesAtExit): Java 17's dynamic archives leave out classes compiled for Java 5,
# which picocli's are, and picocli is a third of a short command's classes. The archive records
# the jar's path as the launcher gives it: it is only used for the jar it was made with.
log=$target/layerfs.jsa.log
# a key for the training's pull over TLS (an RSA one, as most registries have), made by the
# JDK's keytool; without it the training pulls in plain HTTP only
tls=$target/cds-tls
rm -rf "$tls"
mkdir -p "$tls"
keytool=$(dirname "$java")/keytool
training=()
if "$keytool" -genkeypair -alias training -keyalg RSA -keysize 2048 -dname CN=127.0.0.1 \
    -ext SAN=ip:127.0.0.1 -validity 3650 -storetype PKCS12 -keystore "$tls/training.p12" \
    -storepass layerfs-training -keypass layerfs-training >"$log" 2>&1 \
    && "$keytool" -exportcert -rfc -alias training -keystore "$tls/training.p12" \
      -storepass layerfs-training -file "$tls/ca.crt" >>"$log" 2>&1; then
  training=("$tls")
fi
# the training opens the HTTP client's internals as the launcher does for a pull, so that the
# classes of stopping the client (HttpClientShutdown) are archived too
if "$java" -XX:DumpLoadedClassList="$target/layerfs.classlist" \
    --add-opens=java.net.http/jdk.internal.net.http=ALL-UNNAMED \
    -cp "$target/layerfs.jar" io.layerfs.cli.CdsTraining "${training[@]}" >>"$log" 2>&1 \
    && "$java" -Xshare:dump -XX:SharedClassListFile="$target/layerfs.classlist" \
      -XX:SharedArchiveFile="$target/layerfs.jsa" -cp "$target/layerfs.jar" >>"$log" 2>&1 \
    && [ -s "$target/layerfs.jsa" ]; then
  # what the launcher checks before it gives the archive: a mismatch would turn off all class
  # data sharing, the JDK's own archive too
  printf '%s\n%s\n' "$(readlink -f "$java")" "$target/layerfs.jar" >"$target/layerfs.jsa.for"
  echo "layerfs: wrote $target/layerfs and its class data sharing archive layerfs.jsa"
else
  rm -f "$target/layerfs.jsa"
  echo "layerfs: wrote $target/layerfs; no class data sharing archive" \
    "(see $log): the launcher runs without it"
fi
exit 0
