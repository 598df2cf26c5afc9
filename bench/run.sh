#!/usr/bin/env bash
# Runs the layerfs JMH benchmarks and writes bench/results/latest.md (and latest.json).
#
#   bench/run.sh                          all benchmarks, short iterations
#   bench/run.sh ReadBenchmark -p impl=layerfs,default
#   bench/run.sh 'Metadata|Read' -p impl=default,zipfs,jimfs   (OpenBenchmark knows only
#                                         layerfs and zipfs: leave it out when restricting impl)
#   bench/run.sh ScaleBenchmark -p entries=10000
#   bench/run.sh ScaleBenchmark -p entries=1000,10000,100000 -p layers=1,10,50
#   bench/run.sh 'Scale|Ingest'           only the benchmarks with targets for layerfs alone
#   bench/run.sh --smoke                  every benchmark once, very short; exits non-zero on any
#                                         error (for CI); writes nothing to bench/results.
#                                         It runs ScaleBenchmark with entries=10000 and
#                                         layers=1 only (the bigger and many-layer images are
#                                         not built) and IngestBenchmark
#                                         with a 16 MiB layer, CopyUpBenchmark with size=1MiB
#                                         only and ChmodBenchmark with files=1000, unless the
#                                         arguments give -p entries=..., mib=..., size=... or
#                                         files=... or layers=... themselves
#   bench/run.sh LowerDirBenchmark -i 5   delete and rename of a lower directory tree
#   bench/run.sh 'Write|CopyUp|Chmod|LowerDir|Commit'  the write benchmarks (issue 3's targets
#                                         and issue 5's delete and rename of lower directories
#                                         and commit of a changed tree)
#   bench/run.sh CommitBenchmark -wi 3 -i 10   commit of a changed tree
#   bench/run.sh --clean                  deletes the cached benchmark trees first
#
# Arguments other than --smoke and --clean go to JMH unchanged: a regex of benchmarks and
# options. The short defaults (-f 1 -wi 2 -w 1s -i 3 -r 1s; smoke: -f 0 -wi 0 -i 1 -r 100ms) and
# -foe true apply only where the arguments don't set that option themselves.
#
# When the run includes ScaleBenchmark, HeapPerEntry then measures the heap an open file system
# keeps per entry for the same sizes, in a JVM of its own; the report shows it with the targets.
# Benchmarks that measure figures beside their scores (ChmodBenchmark and CopyUpBenchmark: bytes
# written to the container) append them to figures.tsv (system property layerfs.bench.figures),
# which the report shows with the targets too.
#
# Environment:
#   BENCH_JAR            the benchmarks jar (default bench/target/benchmarks.jar, built when
#                        missing or older than the sources)
#   BENCH_SUFFIX         build with -Dlayerfs.suffix=$BENCH_SUFFIX, i.e. into target$BENCH_SUFFIX
#                        folders (for a tree shared by several builders); the default jar is then
#                        bench/target$BENCH_SUFFIX/benchmarks.jar
#   BENCH_RESULTS        where latest.json and latest.md go (default bench/results)
#   BENCH_NOTE           a line added to the report (e.g. "machine busy with builds")
#   LAYERFS_BENCH_DIR    cache of the benchmark trees, about 3 GB (1.7 GB of them
#                        ScaleBenchmark's three 1,000,000-entry images), plus 1.2 GB for
#                        CopyUpBenchmark's lower files (the full copy's target takes up to
#                        1 GiB more while it runs) (default: $TMPDIR/layerfs-bench or
#                        /tmp/layerfs-bench)
#   LAYERFS_BENCH_LAYOUT, LAYERFS_BENCH_IMAGE
#                        benchmark an existing OCI layout and image (tag or digest) instead of
#                        the generated tree
#   BENCH_HEAP           0 skips HeapPerEntry
#   JAVA                 the java command (default: java)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
java_cmd="${JAVA:-java}"
suffix="${BENCH_SUFFIX:-}"
jar="${BENCH_JAR:-$here/target$suffix/benchmarks.jar}"
results="${BENCH_RESULTS:-$here/results}"

smoke=false
clean=false
jmh_args=()
for arg in "$@"; do
  case "$arg" in
    --smoke) smoke=true ;;
    --clean) clean=true ;;
    *) jmh_args+=("$arg") ;;
  esac
done

cache="${LAYERFS_BENCH_DIR:-${TMPDIR:-/tmp}/layerfs-bench}"
sysprops=("-Dlayerfs.bench.dir=$cache")
[[ -n "${LAYERFS_BENCH_LAYOUT:-}" ]] && sysprops+=("-Dlayerfs.bench.layout=$LAYERFS_BENCH_LAYOUT")
[[ -n "${LAYERFS_BENCH_IMAGE:-}" ]] && sysprops+=("-Dlayerfs.bench.image=$LAYERFS_BENCH_IMAGE")

if $clean; then
  echo "run.sh: deleting $cache"
  rm -rf -- "$cache"
fi

# builds the default jar when it is missing or a source or pom is newer than it
if [[ -z "${BENCH_JAR:-}" ]]; then
  stale=""
  if [[ -f "$jar" ]]; then
    stale="$(find "$root/pom.xml" "$root/core" "$root/provider" "$root/bench" \
      \( -name '*.java' -o -name pom.xml -o -path '*/META-INF/services/*' \) \
      -not -path '*/target*' -newer "$jar" -print -quit)"
  fi
  if [[ ! -f "$jar" || -n "$stale" ]]; then
    echo "run.sh: building $jar"
    build=(-q "-Dlayerfs.suffix=$suffix" -pl bench -am package -DskipTests)
    if ! (cd "$root" && { mvn -o "${build[@]}" || mvn "${build[@]}"; }); then
      if [[ -f "$jar" ]]; then
        echo "run.sh: WARNING: build failed; using the existing, older $jar" >&2
      else
        echo "run.sh: build failed and there is no $jar" >&2
        exit 1
      fi
    fi
  fi
fi
if [[ ! -f "$jar" ]]; then
  echo "run.sh: no benchmarks jar at $jar" >&2
  exit 1
fi

# adds "OPTION VALUE" unless the JMH arguments already set OPTION
has_option() {
  local a
  for a in "${jmh_args[@]+"${jmh_args[@]}"}"; do
    [[ "$a" == "$1" ]] && return 0
  done
  return 1
}
defaults=()
add_default() {
  has_option "$1" || defaults+=("$1" "$2")
}
# adds "-p NAME=VALUE" unless the JMH arguments already set parameter NAME
add_param_default() {
  local a
  for a in "${jmh_args[@]+"${jmh_args[@]}"}"; do
    [[ "$a" == "$1="* ]] && return 0
  done
  defaults+=(-p "$1=$2")
}
if $smoke; then
  # the 1,000,000-entry images take a minute and 500 MB each to build, the 50-layer ones
  # spread a scale image over 50 tars: not for a smoke run
  add_param_default entries 10000
  add_param_default layers 1
  add_param_default mib 16
  # the 1 GiB and 64 MiB lower files take seconds to build and to copy: not for a smoke run
  add_param_default size 1MiB
  add_param_default files 1000
  add_default -f 0
  add_default -wi 0
  add_default -i 1
  add_default -r 100ms
else
  add_default -f 1
  add_default -wi 2
  add_default -w 1s
  add_default -i 3
  add_default -r 1s
fi
add_default -foe true

if $smoke; then
  out_dir="$(mktemp -d)"
  trap 'rm -rf -- "$out_dir"' EXIT
else
  out_dir="$results"
  mkdir -p "$out_dir"
fi
json="$out_dir/latest.json"
figures_tsv="$out_dir/figures.tsv"
rm -f -- "$figures_tsv"
sysprops+=("-Dlayerfs.bench.figures=$figures_tsv")
load_before="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"

set +e
"$java_cmd" "${sysprops[@]+"${sysprops[@]}"}" -jar "$jar" \
  "${defaults[@]}" -rf json -rff "$json" "${jmh_args[@]+"${jmh_args[@]}"}"
status=$?
set -e
if [[ $status -ne 0 ]]; then
  echo "run.sh: JMH failed (exit $status)" >&2
  exit "$status"
fi
if [[ ! -s "$json" ]]; then
  echo "run.sh: JMH wrote no results (did the regex match no benchmark?)" >&2
  exit 1
fi

figures=()
if [[ "${BENCH_HEAP:-1}" != 0 ]] && grep -q '\.ScaleBenchmark\.' "$json"; then
  if ! "$java_cmd" "${sysprops[@]+"${sysprops[@]}"}" -cp "$jar" io.layerfs.bench.HeapPerEntry \
      --jmh "$json" --out "$out_dir/heap.tsv"; then
    echo "run.sh: HeapPerEntry failed" >&2
    exit 1
  fi
  figures=(--figures "$out_dir/heap.tsv")
fi
if [[ -s "$figures_tsv" ]]; then
  figures+=(--figures "$figures_tsv")
fi

"$java_cmd" -version > "$out_dir/java-version.txt" 2>&1
load_after="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
notes=(--note "load average (1, 5, 15 min) before: $load_before; after: $load_after")
[[ -n "${BENCH_NOTE:-}" ]] && notes+=(--note "$BENCH_NOTE")
[[ -n "${LAYERFS_BENCH_LAYOUT:-}" ]] && \
  notes+=(--note "tree: image ${LAYERFS_BENCH_IMAGE:-?} of an existing OCI layout")

if $smoke; then
  "$java_cmd" -cp "$jar" io.layerfs.bench.RatioReport "$json" "$out_dir/smoke.md" \
    --java-version "$out_dir/java-version.txt" "${notes[@]}" "${figures[@]+"${figures[@]}"}"
  echo "run.sh: smoke run passed: $(grep -c '"benchmark"' "$json") benchmark runs, no errors"
else
  "$java_cmd" -cp "$jar" io.layerfs.bench.RatioReport "$json" "$out_dir/latest.md" \
    --java-version "$out_dir/java-version.txt" "${notes[@]}" "${figures[@]+"${figures[@]}"}"
  rm -f "$out_dir/java-version.txt" "$out_dir/heap.tsv" "$figures_tsv"
  echo "run.sh: wrote $out_dir/latest.md"
  cat "$out_dir/latest.md"
fi
