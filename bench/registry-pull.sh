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
# Both sides are whole command runs (the JVM's startup is in layerfs' time), both verify every
# blob's digest, and both write to the same file system. Builds the CLI when the jar is missing.
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
size=$(skopeo inspect --tls-verify=false "docker://$ref" | grep -o '"Size": *[0-9]*' \
  | awk '{s+=$2} END {print s}' || true)
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
