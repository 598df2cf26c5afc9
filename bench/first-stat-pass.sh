#!/usr/bin/env bash
# Issue 15's second figure: one pass of stat over every path of the Debian test image in a fresh
# JVM, open included, on layerfs (a read-only view of the image in its OCI layout) and on the host
# file system (the same image unpacked by umoci); as a control, the JDK's zipfs over the same
# tree zipped. Prints a Markdown table of the medians of RUNS fresh JVMs each, run alternately so
# that other work on the machine weighs on all alike.
#
#   bash bench/first-stat-pass.sh [RUNS]          (default 15)
#   BENCH_JAR=other/benchmarks.jar bash bench/first-stat-pass.sh   another build's jar
#   BASE_JAR=other/benchmarks.jar bash bench/first-stat-pass.sh    adds a row for another build
#                                         (an older version, say), run alternately with the others
#
# The passes run on a reader's class path: layerfs-provider's jar and its runtime dependencies
# as Maven gives them to a program that depends on it to read images (no optional dependency of
# core; provider/target/reader-classpath.txt, written by the provider's build), plus the bench
# module's own jar for the FirstStatPass class. A row "uber jar" runs layerfs from
# benchmarks.jar as well, which also bundles JMH and Jimfs (a competitor in the JMH benchmarks)
# with Guava: the JDK's search for installed providers then loads Jimfs's too. BASE_JAR is run
# the same way (an uber jar).
#
# A row "a container" reopens a container made on the image (by a first, unmeasured pass) in
# each fresh JVM, as a program reopens layerfs://NAME: its reads go through the overlay. A row
# "a container with a volume" does the same for a container made with a named volume mounted at
# /mnt/volume: its paths go through the mount table first.
#
# A further row runs layerfs with an application class data sharing archive, made by one
# training pass with -XX:ArchiveClassesAtExit, as a program may ship one (the host's and zipfs'
# classes are in the JDK's own archive already).
#
# Needs root, umoci, debootstrap (it/scripts/debian-layout.sh builds the image, cached), zip
# (installed when missing) and bench/target/benchmarks.jar (built when missing). The page cache is
# warm for all (a run before the measured ones): this compares the file systems' code paths, not
# the disk. A zip cannot hold the image's 8 device nodes, so the zipfs pass has 8 paths fewer.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-15}
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
jar=${BENCH_JAR:-$PWD/bench/target/benchmarks.jar}
reader=${READER_CLASSPATH:-$PWD/provider/target/reader-classpath.txt}
if [[ ! -f $jar || ! -f $reader ]]; then
  mvn -B -q package -pl bench -am -DskipTests >&2
fi
# the provider's jar stands for its classes folder; the bench jar beside benchmarks.jar adds
# FirstStatPass alone (no service files, no other library)
bench_thin=$(ls "$(dirname "$jar")"/layerfs-bench-*.jar | grep -v -e sources -e tests | head -1)
cp=$(tr ':' '\n' <"$reader" | grep -v '/classes$' | paste -sd: -):$bench_thin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bash it/scripts/debian-layout.sh "$work/layout" >&2
umoci unpack --image "$work/layout:bookworm" "$work/bundle" >/dev/null
command -v zip >/dev/null || apt-get install -y -q zip >&2
(cd "$work/bundle/rootfs" && zip -q -r -y "$work/rootfs.zip" .) # -y: links stay links
pass() { java -cp "$cp" io.layerfs.bench.FirstStatPass "$@"; }
pass host "$work/bundle/rootfs" >/dev/null
pass layerfs "$work/layout" bookworm >/dev/null # builds the layer index once
pass container "$work/layout" bookworm first-pass >/dev/null # makes the container once
volume=type=volume,source=first-pass,target=/mnt/volume
pass container "$work/layout" bookworm first-pass-mounted "$volume" >/dev/null
java -XX:ArchiveClassesAtExit="$work/app.jsa" -cp "$cp" io.layerfs.bench.FirstStatPass layerfs \
  "$work/layout" bookworm >/dev/null 2>&1
base=${BASE_JAR:-}
host=() layer=() open=() walk=() before=() zipfs=() cds=() uber=() container=() copen=()
mounted=() mopen=()
for ((i = 0; i < runs; i++)); do
  host+=("$(pass host "$work/bundle/rootfs" | awk '{print $4}')")
  read -r total opened < <(pass layerfs "$work/layout" bookworm | awk '{print $4, $6}')
  layer+=("$total") open+=("$opened") walk+=("$((total - opened))")
  zipfs+=("$(pass zipfs "$work/rootfs.zip" | awk '{print $4}')")
  read -r total opened < <(pass container "$work/layout" bookworm first-pass \
    | awk '{print $4, $6}')
  container+=("$total") copen+=("$opened")
  read -r total opened < <(pass container "$work/layout" bookworm first-pass-mounted "$volume" \
    | awk '{print $4, $6}')
  mounted+=("$total") mopen+=("$opened")
  uber+=("$(java -cp "$jar" io.layerfs.bench.FirstStatPass layerfs "$work/layout" bookworm \
    | awk '{print $4}')")
  cds+=("$(java -XX:SharedArchiveFile="$work/app.jsa" -cp "$cp" io.layerfs.bench.FirstStatPass \
    layerfs "$work/layout" bookworm | awk '{print $4}')")
  if [[ -n $base ]]; then
    before+=("$(java -cp "$base" io.layerfs.bench.FirstStatPass layerfs "$work/layout" bookworm \
      | awk '{print $4}')")
  fi
done
paths=$(pass host "$work/bundle/rootfs" | awk '{print $2}')
zpaths=$(pass zipfs "$work/rootfs.zip" | awk '{print $2}')
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
h=$(median "${host[@]}")
l=$(median "${layer[@]}")
echo "| first stat pass, $paths paths, fresh JVM | median | × host |"
echo "|---|--:|--:|"
echo "| host file system (umoci unpack) | $h ms | 1.0× |"
awk -v l="$l" -v h="$h" 'BEGIN {printf "| layerfs (open included), a reader'"'"'s class path | %d ms | %.1f× |\n", l, l / h}'
echo "| of which open / walk and stat (medians of each) |" \
  "$(median "${open[@]}") ms / $(median "${walk[@]}") ms | |"
awk -v c="$(median "${container[@]}")" -v o="$(median "${copen[@]}")" -v h="$h" \
  'BEGIN {printf "| layerfs, a container on the image (open %d ms included) | %d ms | %.1f× |\n",
    o, c, c / h}'
awk -v c="$(median "${mounted[@]}")" -v o="$(median "${mopen[@]}")" -v h="$h" \
  'BEGIN {printf "| layerfs, a container with a volume (open %d ms included) | %d ms | %.1f× |\n",
    o, c, c / h}'
awk -v u="$(median "${uber[@]}")" -v h="$h" \
  'BEGIN {printf "| layerfs, the uber jar (JMH, Jimfs and Guava too) | %d ms | %.1f× |\n", u, u / h}'
awk -v z="$(median "${zipfs[@]}")" -v h="$h" -v n="$zpaths" \
  'BEGIN {printf "| control: the JDK'"'"'s zipfs, the tree zipped (%d paths) | %d ms | %.1f× |\n", n, z, z / h}'
awk -v c="$(median "${cds[@]}")" -v h="$h" \
  'BEGIN {printf "| layerfs with an application class data sharing archive | %d ms | %.1f× |\n", c, c / h}'
if [[ -n $base ]]; then
  b=$(median "${before[@]}")
  awk -v b="$b" -v h="$h" \
    'BEGIN {printf "| layerfs, BASE_JAR (an uber jar, open included) | %d ms | %.1f× |\n", b, b / h}'
fi
echo
echo "Median of $runs fresh JVMs each, $(date -u +%Y-%m-%d), $(nproc) cores," \
  "$(java -version 2>&1 | head -1), load average $load_start at the start and" \
  "$(cut -d' ' -f1-3 /proc/loadavg) at the end."
