#!/usr/bin/env bash
# Measures the CLI's startup: a Java hello world against each read-only command of layerfs in a
# fresh JVM, run as `java -jar cli/target/layerfs.jar` and through the launcher cli/target/layerfs
# (class data sharing archive, C1 only), on the demo's store. Prints a Markdown table
# (median wall-clock time of RUNS runs after 2 warm-ups, and the ratio to the hello world's median)
# to stdout, then the same for CPU time (user + system, all threads), which varies less when other
# work shares the machine; issue 15's goal is at most 4x the hello world per read-only command.
#
#   bash bench/cli-startup.sh [RUNS]        (default 20)
#   bash bench/cli-startup.sh > bench/results/cli-startup.md
#   BASE_JAR=other/layerfs.jar bash bench/cli-startup.sh   adds a column for another build's jar
#                                         (an older version, say), run with java -jar
#   BASE_LAUNCHER=other/layerfs bash bench/cli-startup.sh  adds a column for another build's
#                                         launcher (with its own archive, made where it lies)
#   CLI_JAR=J CLI_LAUNCHER=L bash bench/cli-startup.sh   measures jar J and launcher L instead
#
# The variants are run round-robin (one run of each, then the next round), so that other work on
# the machine weighs on all of them alike. Builds the CLI when cli/target/layerfs.jar is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
jar=${CLI_JAR:-$PWD/cli/target/layerfs.jar}
launcher=${CLI_LAUNCHER:-$PWD/cli/target/layerfs}
if [[ ! -f $jar || ! -x $launcher ]]; then
  mvn -B -q package -pl cli -am -DskipTests >&2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/hello"
cat >"$work/hello/Hello.java" <<'JAVA'
public class Hello {
  public static void main(String[] args) {
    System.out.println("hello");
  }
}
JAVA
javac -d "$work/hello" "$work/hello/Hello.java"
store=$work/store
java -jar "$jar" --store "$store" demo --keep >/dev/null

commands=("images" "ls demo:1 /" "cat demo:1 /etc/os-release" "ps" "diff demo" "inspect demo")
variants=("java -cp $work/hello Hello")
names=("hello world (\`java -cp . Hello\`)")
base=${BASE_JAR:-}
base_launcher=${BASE_LAUNCHER:-}
step=2
[[ -n $base ]] && step=$((step + 1))
[[ -n $base_launcher ]] && step=$((step + 1))
for c in "${commands[@]}"; do
  variants+=("java -jar $jar --store $store $c" "$launcher --store $store $c")
  names+=("\`$c\`" "\`$c\`")
  if [[ -n $base ]]; then
    variants+=("java -jar $base --store $store $c")
    names+=("\`$c\`")
  fi
  if [[ -n $base_launcher ]]; then
    variants+=("$base_launcher --store $store $c")
    names+=("\`$c\`")
  fi
done

# bash's `time` reports the command's wall time and its CPU time (user + system, all threads of
# the JVM); the CPU time varies less when other work shares the machine. Both in microseconds.
TIMEFORMAT='%3R %3U %3S'
us() { local s=${1/./}; echo $((10#$s * 1000)); }
declare -A times cpus
for ((round = -2; round < runs; round++)); do
  for i in "${!variants[@]}"; do
    measured=$({ time ${variants[$i]} >/dev/null 2>&3; } 3>&2 2>&1)
    read -r real user sys <<<"$measured"
    if ((round >= 0)); then
      times[$i]+="$(us "$real") "
      cpus[$i]+="$(($(us "$user") + $(us "$sys"))) "
    fi
  done
done

median_ms() {
  tr ' ' '\n' <<<"$1" | grep . | sort -n \
    | awk '{v[NR] = $1} END {m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
        printf "%.0f", m / 1000}'
}

head="| command | \`java -jar layerfs.jar\` | × hello |"
head+=" launcher \`cli/target/layerfs\` | × hello |"
rule="|---|--:|--:|--:|--:|"
blank=""
if [[ -n $base ]]; then
  head+=" BASE_JAR | × hello |"
  rule+="--:|--:|"
  blank+=" | |"
fi
if [[ -n $base_launcher ]]; then
  head+=" BASE_LAUNCHER | × hello |"
  rule+="--:|--:|"
  blank+=" | |"
fi
# one table: a row per command, medians of the samples in the array named $2, against hello's
table() {
  local -n samples=$2
  local h
  h=$(median_ms "${samples[0]}")
  echo "$1"
  echo "$rule"
  echo "| ${names[0]} | $h ms | 1.0× | | |$blank"
  for ((i = 1; i < ${#variants[@]}; i += step)); do
    row=("${names[$i]}")
    for ((k = i; k < i + step; k++)); do
      row+=("$(median_ms "${samples[$k]}")")
    done
    awk -v h="$h" -v n="${row[0]}" -v rest="${row[*]:1}" 'BEGIN {
      printf "| %s |", n
      c = split(rest, ms, " ")
      for (j = 1; j <= c; j++) printf " %d ms | %.1f× |", ms[j], ms[j] / h
      printf "\n"
    }'
  done
}
table "$head" times
echo
echo "CPU time (user + system, all threads), median of the same runs:"
echo
table "$(echo "${head//\`java -jar layerfs.jar\`/CPU, \`java -jar\`}" \
  | sed 's/launcher `cli\/target\/layerfs`/CPU, launcher/')" cpus
echo
echo "Median of $runs runs each (round-robin, after 2 warm-up rounds), $(date -u +%Y-%m-%d)," \
  "$(nproc) cores, $(java -version 2>&1 | head -1), load average $load_start at the start" \
  "and $(cut -d' ' -f1-3 /proc/loadavg) at the end."
