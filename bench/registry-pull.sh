#!/usr/bin/env bash
# Times a pull of the Debian test images from a local registry: `layerfs pull` (3 layers at
# once, and one at a time; through the launcher and as `java -jar`) against `skopeo copy
# docker://... oci:DIR`, each into an empty store or layout, round-robin, RUNS rounds; then the
# library in a warm JVM. Prints a Markdown table per image of the median and the best wall-clock
# time and the ratio to skopeo's median (issue 12's goal: at most 1.0x, less with parallel
# layers).
#
#   bash bench/registry-pull.sh LAYOUT [RUNS]     (default 7 runs)
#
# LAYOUT is the OCI layout it/scripts/debian-layout.sh writes; the images are its tags
# bookworm-changed (two gzip layers, 95 MB, nearly all in one) and bookworm-split (the same tree
# in 4 layers of about 24 MB), or those named by TAGS (space-separated). The script pushes them
# with skopeo into the registry named by LAYERFS_TEST_REGISTRY, so run it through
# it/scripts/with-tools.sh, which starts one:
#
#   bash it/scripts/with-tools.sh bash bench/registry-pull.sh /tmp/debian-layout
#
# The CLI rows are whole command runs (the JVM's startup and class loading are in layerfs' time),
# with the median CPU time (user + system, the command and its children) beside the wall-clock
# time: on a machine others load, wall times drift, CPU times much less.
# the launcher cli/target/layerfs (its class data sharing archive, its JVM flags) and `java
# -jar`. The last rows pull in one warm JVM (bench/RegistryPullTimer.java), as a program using
# the library does. All verify every blob's digest and write to the same file system. Builds the
# CLI and its launcher when missing; LAYERFS_JAR and LAYERFS_LAUNCHER name others.
# LAYERFS_BASELINE_LAUNCHER names the launcher of another build (a clone of main, say) to time
# in the same rounds, two rows more: on a busy machine, runs far apart in time do not compare.
# Two last CLI rows show what each tool pays apart from the layer bytes: `skopeo inspect` (its
# startup and a manifest request) and a layerfs pull of an image its store already holds (the
# JVM's startup, the client's, and a manifest request).
#
# LAYERFS_BENCH_TLS=1: over TLS, as every registry off the machine speaks it: the script starts a
# docker-registry of its own that speaks TLS only, with a certificate of an authority it makes
# with openssl, which layerfs (--cert-dir) and skopeo (--src-cert-dir) are given.
set -euo pipefail
cd "$(dirname "$0")/.."
layout=${1:?usage: bench/registry-pull.sh LAYOUT [RUNS]}
runs=${2:-7}
jar=${LAYERFS_JAR:-$PWD/cli/target/layerfs.jar}
launcher=${LAYERFS_LAUNCHER:-$(dirname "$jar")/layerfs}
if [[ ! -f $jar || ! -x $launcher ]]; then
  mvn -B -q package -pl cli -am -DskipTests >&2
fi
work=$(mktemp -d "${TMPDIR:-/var/tmp}/layerfs-pull-bench.XXXXXX")
tls_pid=
trap 'status=$?; ((status == 0)) || cat "$work/stderr" >&2 2>/dev/null
  [[ -z $tls_pid ]] || kill "$tls_pid" 2>/dev/null; rm -rf "$work"' EXIT
if [[ -n ${LAYERFS_BENCH_TLS:-} ]]; then
  tls=$work/tls
  mkdir -p "$tls/certs" "$tls/storage"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tls/ca.key" -out "$tls/certs/ca.crt" \
    -days 2 -subj "/CN=layerfs bench CA" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout "$tls/registry.key" -out "$tls/registry.csr" \
    -subj /CN=127.0.0.1 2>/dev/null
  echo "subjectAltName=IP:127.0.0.1" >"$tls/san.ext"
  openssl x509 -req -in "$tls/registry.csr" -CA "$tls/certs/ca.crt" -CAkey "$tls/ca.key" \
    -CAcreateserial -days 2 -extfile "$tls/san.ext" -out "$tls/registry.crt" 2>/dev/null
  printf 'version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\nstorage:\n'\
'  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:0\n  tls:\n'\
'    certificate: %s\n    key: %s\n' "$tls/storage" "$tls/registry.crt" "$tls/registry.key" \
    >"$tls/config.yml"
  : >"$tls/registry.log"
  /usr/bin/docker-registry serve "$tls/config.yml" >"$tls/registry.log" 2>&1 &
  tls_pid=$!
  for ((i = 0; i < 100; i++)); do
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$tls/registry.log")
    [[ -z $port ]] || break
    sleep 0.1
  done
  registry=127.0.0.1:${port:?the TLS registry did not start: $(cat "$tls/registry.log")}
  layerfs_tls=(--cert-dir "$tls/certs") src_tls=(--src-cert-dir "$tls/certs")
  dest_tls=(--dest-cert-dir "$tls/certs") inspect_tls=(--cert-dir "$tls/certs")
  timer_tls=("$tls/certs")
else
  registry=${LAYERFS_TEST_REGISTRY:?run through it/scripts/with-tools.sh, which starts one}
  layerfs_tls=(--tls-verify=false) src_tls=(--src-tls-verify=false)
  dest_tls=(--dest-tls-verify=false) inspect_tls=(--tls-verify=false) timer_tls=()
fi

names=("skopeo copy docker:// oci:" "launcher: layerfs pull (--parallel 3)"
  "launcher: layerfs pull --parallel 1" "java -jar layerfs.jar pull (--parallel 3)"
  "java -jar layerfs.jar pull --parallel 1")
baseline=${LAYERFS_BASELINE_LAUNCHER:-}
if [[ -n $baseline ]]; then
  names+=("baseline launcher: layerfs pull (--parallel 3)"
    "baseline launcher: layerfs pull --parallel 1")
fi
# the fixed cost of each tool, apart from the layer bytes: its startup and the manifest request
names[7]="skopeo inspect docker:// (startup and one manifest request)"
names[8]="launcher: layerfs pull of an image the store holds (startup and one manifest request)"
order=("${!names[@]}")
run() {
  local i=$1 n=$2 dest=$work/run-$1-$2 start end
  local cli=(--store "$dest" pull "${layerfs_tls[@]}")
  # layerfs' progress lines go to a file; set -e stops the script on a failed pull, which
  # prints its error in the trap below
  sync
  start=$(date +%s%N)
  # bash's time keyword: user and system seconds of the command and its children, into $work/cpu
  {
    time case $i in
      0) skopeo copy -q "${src_tls[@]}" "docker://$ref" "oci:$dest:$tag" >/dev/null ;;
      1) "$launcher" "${cli[@]}" "$ref" >/dev/null 2>"$work/stderr" ;;
      2) "$launcher" "${cli[@]}" --parallel 1 "$ref" >/dev/null 2>"$work/stderr" ;;
      3) java -jar "$jar" "${cli[@]}" "$ref" >/dev/null 2>"$work/stderr" ;;
      4) java -jar "$jar" "${cli[@]}" --parallel 1 "$ref" >/dev/null 2>"$work/stderr" ;;
      5) "$baseline" "${cli[@]}" "$ref" >/dev/null 2>"$work/stderr" ;;
      6) "$baseline" "${cli[@]}" --parallel 1 "$ref" >/dev/null 2>"$work/stderr" ;;
      7) skopeo inspect --raw "${inspect_tls[@]}" "docker://$ref" >/dev/null ;;
      8) "$launcher" --store "$work/held" pull "${layerfs_tls[@]}" "$ref" >/dev/null \
        2>"$work/stderr" ;;
    esac
  } 2>"$work/cpu"
  end=$(date +%s%N)
  rm -rf "$dest"
  echo $(((end - start) / 1000000))
}
TIMEFORMAT='%3U %3S'
# the CPU time of the last run, in ms
cpu() { awk '{printf "%d", ($1 + $2) * 1000}' "$work/cpu"; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
best() { printf '%s\n' "$@" | sort -n | head -n1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

for tag in ${TAGS:-bookworm-changed bookworm-split}; do
  ref=$registry/bench/debian:$tag
  skopeo copy -q "${dest_tls[@]}" "oci:$layout:$tag" "docker://$ref" >&2
  declare -A times=() cpus=()
  rm -rf "$work/held"
  "$launcher" --store "$work/held" pull "${layerfs_tls[@]}" "$ref" >/dev/null 2>"$work/stderr"
  # one warm-up round: the registry's and the kernel's caches
  for i in "${order[@]}"; do run "$i" warm >/dev/null; done
  for ((n = 0; n < runs; n++)); do
    for i in "${order[@]}"; do
      times[$i]+="$(run "$i" "$n") "
      cpus[$i]+="$(cpu) "
    done
  done
  # shellcheck disable=SC2086
  base=$(median ${times[0]})
  sizes=$(skopeo inspect --raw "${inspect_tls[@]}" "docker://$ref" | python3 -c \
    'import json, sys; print(", ".join(str(l["size"]) for l in json.load(sys.stdin)["layers"]))' \
    || true)
  echo
  echo "Pull of $ref ($(date -u +%F), $runs runs each, round-robin after a warm-up round;"
  echo "layer bytes: ${sizes:-?}; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)):"
  echo
  echo "| command | median | best | × skopeo (median) | CPU time (median) |"
  echo "|---|--:|--:|--:|--:|"
  for i in "${order[@]}"; do
    # shellcheck disable=SC2086
    m=$(median ${times[$i]})
    # shellcheck disable=SC2086
    printf '| %s | %d ms | %d ms | %s× | %d ms |\n' "${names[$i]}" "$m" "$(best ${times[$i]})" \
      "$(ratio "$m" "$base")" "$(median ${cpus[$i]})"
  done
  # the library in a warm JVM (after 3 unmeasured pulls), as a long-running program pulls
  for p in 3 1; do
    read -r m b < <(java -cp "$jar" bench/RegistryPullTimer.java "$ref" "$runs" "$p" "$work" \
      "${timer_tls[@]}")
    printf '| Store.pull in a warm JVM, parallelism %d | %d ms | %d ms | %s× | – |\n' "$p" "$m" \
      "$b" "$(ratio "$m" "$base")"
  done
  unset times cpus
done
