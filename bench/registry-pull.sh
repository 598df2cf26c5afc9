#!/usr/bin/env bash
# Times a pull of the Debian test image from a local registry: `layerfs pull` (layers in
# parallel, and one at a time) against `skopeo copy docker://... oci:DIR`, each into an empty
# store or layout, round-robin, RUNS rounds; prints a Markdown table of the median and the best
# wall-clock time and the ratio to skopeo's median (issue 12's goal: at most 1.0x, less with
# parallel layers).
#
#   bash bench/registry-pull.sh LAYOUT [RUNS]     (default 7 runs)
#
# LAYOUT is the OCI layout it/scripts/debian-layout.sh writes (tag bookworm-changed: two gzip
# layers, about 40 MB). The script pushes it with skopeo into the registry named by
# LAYERFS_TEST_REGISTRY, so run it through it/scripts/with-tools.sh, which starts one:
#
#   bash it/scripts/with-tools.sh bash bench/registry-pull.sh /tmp/debian-layout
#
# The CLI rows are whole command runs (the JVM's startup and class loading are in layerfs' time);
# the last rows pull in one warm JVM (bench/RegistryPullTimer.java), as a program using the
# library does. All verify every blob's digest and write to the same file system. Builds the CLI
# when the jar is missing; LAYERFS_JAR names another one.
set -euo pipefail
cd "$(dirname "$0")/.."
layout=${1:?usage: bench/registry-pull.sh LAYOUT [RUNS]}
runs=${2:-7}
registry=${LAYERFS_TEST_REGISTRY:?run through it/scripts/with-tools.sh, which starts a registry}
jar=${LAYERFS_JAR:-$PWD/cli/target/layerfs.jar}
if [[ ! -f $jar ]]; then
  mvn -B -q package -pl cli -am -DskipTests -Dlayerfs.launcher.skip=true >&2
fi
tag=${IMAGE_TAG:-bookworm-changed}
ref=$registry/bench/debian:$tag
skopeo copy -q --dest-tls-verify=false "oci:$layout:$tag" "docker://$ref" >&2
work=$(mktemp -d "${TMPDIR:-/var/tmp}/layerfs-pull-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

names=("skopeo copy docker:// oci:" "layerfs pull (--parallel 3)" "layerfs pull --parallel 1")
declare -a times0 times1 times2
run() {
  local i=$1 n=$2 dest=$work/run-$1-$2 start end
  sync
  start=$(date +%s%N)
  case $i in
    0) skopeo copy -q --src-tls-verify=false "docker://$ref" "oci:$dest:$tag" >/dev/null ;;
    1) java -jar "$jar" --store "$dest" pull --tls-verify=false "$ref" >/dev/null ;;
    2) java -jar "$jar" --store "$dest" pull --tls-verify=false --parallel 1 "$ref" >/dev/null ;;
  esac
  end=$(date +%s%N)
  rm -rf "$dest"
  echo $(((end - start) / 1000000))
}
# one warm-up round: the registry's and the kernel's caches
for i in 0 1 2; do run "$i" warm >/dev/null; done
for ((n = 0; n < runs; n++)); do
  times0+=("$(run 0 "$n")")
  times1+=("$(run 1 "$n")")
  times2+=("$(run 2 "$n")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
best() { printf '%s\n' "$@" | sort -n | head -n1; }
base=$(median "${times0[@]}")
size=$(skopeo inspect --raw --tls-verify=false "docker://$ref" | python3 -c \
  'import json, sys; print(sum(l["size"] for l in json.load(sys.stdin)["layers"]))' || true)
echo "Pull of $ref ($(date -u +%F), $runs runs each, round-robin after a warm-up round;"
echo "layer bytes: ${size:-?}):"
echo
echo "| command | median | best | × skopeo (median) |"
echo "|---|--:|--:|--:|"
for i in 0 1 2; do
  eval "ts=(\"\${times$i[@]}\")"
  m=$(median "${ts[@]}")
  printf '| %s | %d ms | %d ms | %s× |\n' "${names[$i]}" "$m" "$(best "${ts[@]}")" \
    "$(awk -v a="$m" -v b="$base" 'BEGIN {printf "%.2f", a / b}')"
done
# the library in a warm JVM (after 3 unmeasured pulls), as a long-running program pulls
for p in 3 1; do
  read -r m b < <(java -cp "$jar" bench/RegistryPullTimer.java "$ref" "$runs" "$p" "$work")
  printf '| Store.pull in a warm JVM, parallelism %d | %d ms | %d ms | %s× |\n' "$p" "$m" "$b" \
    "$(awk -v a="$m" -v b="$base" 'BEGIN {printf "%.2f", a / b}')"
done
