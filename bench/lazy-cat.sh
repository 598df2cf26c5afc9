#!/usr/bin/env bash
# Times one file read from a registry image without pulling it, from the command line:
# `layerfs cat --lazy REF PATH` against `layerfs pull REF` then `layerfs cat` of the pulled image,
# and `skopeo copy docker://... oci:DIR` (the download alone), each into an empty store or layout,
# round-robin, RUNS rounds after a warm-up round; prints a Markdown table of medians, the ratio
# of the full pull and read to the lazy read (issue 12: under a fifth, so at least 5x). The
# bytes a lazy read fetches are counted by it/.../LazyRegistryIT, which reads through a proxy.
#
#   bash it/scripts/with-tools.sh bash bench/lazy-cat.sh LAYOUT [RUNS] [PATH]
#
# LAYOUT is the OCI layout it/scripts/debian-layout.sh writes; its tag `bookworm` (one plain
# gzip layer written by umoci) is pushed with skopeo into the registry with-tools.sh starts.
# PATH defaults to /etc/os-release. Uses the launcher cli/target/layerfs (built when missing;
# LAYERFS_LAUNCHER names another).
set -euo pipefail
cd "$(dirname "$0")/.."
layout=${1:?usage: bench/lazy-cat.sh LAYOUT [RUNS] [PATH]}
runs=${2:-7}
file=${3:-/etc/os-release}
registry=${LAYERFS_TEST_REGISTRY:?run through it/scripts/with-tools.sh, which starts a registry}
launcher=${LAYERFS_LAUNCHER:-$PWD/cli/target/layerfs}
if [[ ! -x $launcher ]]; then
  mvn -B -q package -pl cli -am -DskipTests >&2
fi
work=$(mktemp -d "${TMPDIR:-/var/tmp}/layerfs-lazy-cat.XXXXXX")
trap 'status=$?; ((status == 0)) || cat "$work/stderr" >&2 2>/dev/null; rm -rf "$work"' EXIT
ref=$registry/bench/debian:bookworm
skopeo copy -q --dest-tls-verify=false "oci:$layout:bookworm" "docker://$ref" >&2

names=("layerfs cat --lazy" "layerfs pull, then layerfs cat" "skopeo copy docker:// oci: (no read)")
run() {
  local i=$1 dest=$work/store start end
  sync
  start=$(date +%s%N)
  case $i in
    0) "$launcher" --store "$dest" cat --lazy --tls-verify=false "$ref" "$file" \
      >"$work/out" 2>"$work/stderr" ;;
    1) "$launcher" --store "$dest" pull --tls-verify=false "$ref" >/dev/null 2>"$work/stderr"
      "$launcher" --store "$dest" cat "$ref" "$file" >"$work/out" 2>"$work/stderr" ;;
    2) skopeo copy -q --src-tls-verify=false "docker://$ref" "oci:$dest:bookworm" >/dev/null ;;
  esac
  end=$(date +%s%N)
  rm -rf "$dest"
  echo $(((end - start) / 1000000))
}
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", a / b}'; }

for i in 0 1 2; do run "$i" >/dev/null; done
declare -A times=()
for ((n = 0; n < runs; n++)); do
  for i in 0 1 2; do times[$i]+="$(run "$i") "; done
done
size=$(skopeo inspect --raw --tls-verify=false "docker://$ref" | python3 -c \
  'import json, sys; print(sum(l["size"] for l in json.load(sys.stdin)["layers"]))')
# shellcheck disable=SC2086
lazy=$(median ${times[0]})
echo
echo "$file of $ref ($(date -u +%F), $runs runs each, round-robin after a warm-up round; layers"
echo "$size bytes; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)):"
echo
echo "| command | median | × the lazy read |"
echo "|---|--:|--:|"
for i in 0 1 2; do
  # shellcheck disable=SC2086
  m=$(median ${times[$i]})
  printf '| %s | %d ms | %s× |\n' "${names[$i]}" "$m" "$(ratio "$m" "$lazy")"
done
