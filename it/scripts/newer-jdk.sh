#!/usr/bin/env bash
# Runs the conformance suites (the provider's contract and differential tests, the container's
# oracle test), the CLI's tests (its messages are GNU's), the real NIO libraries (NioLibrariesIT:
# Lucene, Commons IO, Guava; NioLibrariesTreesIT: Commons IO and Guava in each of a container's
# trees) and Lucene's own conformance suites for its Directory and lock
# factory (Lucene*DirectoryIT, LuceneNativeLocksIT; not its index format suites) once more
# on the newest JDK under /usr/lib/jvm that is newer than the one on the PATH. Their
# expectations are the running JDK's own, and the JDK changes between releases: Java 25 reports
# a path through a file as missing where it reads attributes, and from Java 21 on Lucene maps
# files with FileChannel.map(..., Arena), which Java 17 does not have; from Java 22 on, reads
# inside volumes and bind mounts take openat2 (ReadBeneathTest, skipped on Java 17), and in a JVM
# without native access they must not, nor make the JDK print its warning
# (LayerFsWithoutNativeAccessTest, one of the provider's contract tests). The kernel's own
# overlay and bind mounts are the oracle once more too (KernelOverlayIT, ReadOnlyMountIT,
# FileBindMountIT, XattrlessMountIT, SharedSourceMountIT; as root): from Java 21 on, a move
# asks a directory for writing first.
#
#   bash it/scripts/newer-jdk.sh            (CI runs it after the README's test command)
#
# Builds into target-jdkN folders, so the main build's are left alone. Without a newer JDK it
# says so and runs nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
feature() { "$1/bin/java" -XshowSettings:properties -version 2>&1 \
  | awk -F' = ' '/java.specification.version/ {print $2}'; }
current=$(feature "$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
best= best_feature=$current
for jdk in /usr/lib/jvm/*/; do
  jdk=${jdk%/}
  [[ -x $jdk/bin/javac ]] || continue
  f=$(feature "$jdk")
  if [[ $f =~ ^[0-9]+$ ]] && ((f > best_feature)); then
    best=$jdk best_feature=$f
  fi
done
if [[ -z $best ]]; then
  echo "newer-jdk: no JDK newer than Java $current under /usr/lib/jvm:" \
    "the conformance suites ran on Java $current only" >&2
  exit 0
fi
echo "newer-jdk: the conformance suites on Java $best_feature ($best)" >&2
its='NioLibrariesIT,NioLibrariesTreesIT,Lucene*DirectoryIT,LuceneNativeLocksIT'
its+=',KernelOverlayIT,ReadOnlyMountIT,FileBindMountIT,XattrlessMountIT,SharedSourceMountIT'
JAVA_HOME=$best PATH=$best/bin:$PATH mvn -B verify -pl testing,core,provider,it -am \
  -Dlayerfs.suffix="-jdk$best_feature" -Dlayerfs.launcher.skip=true \
  -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test="$its" \
  -Dtest='NotADirectoryTest,ContainerOracleTest,ReadBeneathTest,OpenDirsTest,io.layerfs.provider.contract.*Test,io.layerfs.cli.*Test'
