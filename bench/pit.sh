#!/usr/bin/env bash
# Mutation testing (PIT) of the engine's classes, on demand: slow, never part of a CI run.
#
#   bench/pit.sh                    every class below, each against the tests that reach it
#   bench/pit.sh UpperFile          one class (its simple name, as listed below)
#   PIT_THREADS=1 bench/pit.sh ...  fewer threads (default 2)
#   PIT_OFFLINE=1 bench/pit.sh ...  mvn -o, once the plugin has been downloaded
#   PIT_SUFFIX=-pit2 bench/pit.sh . its own build folders (core/target-pit2), for a second run
#                                   beside the first
#
# Each class's report is in core/target-pit/pit-reports/CLASS/ (index.html, mutations.xml);
# the script prints one line per class: mutants, killed (killed or timed out), score.
set -euo pipefail
cd "$(dirname "$0")/.."

# class = the tests run against its mutants: narrow and quick ones (PIT runs every test that
# covers a mutant, and a slow test times out on a busy machine)
declare -A TESTS=(
  [UpperFile]='io.layerfs.core.container.UpperFileContractTest,io.layerfs.core.container.ContainerTest,io.layerfs.core.container.ContainerMetadataFormatTest,io.layerfs.core.overlay.MetaLogIntegrityTest,io.layerfs.core.overlay.UpperFileFullDiskTest,io.layerfs.core.overlay.UpperFileChunksTest,io.layerfs.core.overlay.UpperFileChannelTest,io.layerfs.core.overlay.UpperLayerTest'
  [UpperLayer]='io.layerfs.core.container.UpperFileContractTest,io.layerfs.core.container.ContainerTest,io.layerfs.core.container.ContainerIntegrityTest,io.layerfs.core.container.ContainerMetadataFormatTest,io.layerfs.core.overlay.*Test'
  [Overlay]='io.layerfs.core.container.ContainerTest,io.layerfs.core.container.UpperFileContractTest,io.layerfs.core.overlay.OverlayTest,io.layerfs.core.overlay.ContainerTreeTest,io.layerfs.core.overlay.UpperLayerTest'
  [ContainerTree]='io.layerfs.core.container.ContainerTest,io.layerfs.core.container.UpperFileContractTest,io.layerfs.core.overlay.ContainerTreeTest,io.layerfs.core.overlay.OverlayTest'
  [MergedTree]='io.layerfs.core.rootfs.MergedTree*Test'
  [LayerIndexBuilder]='io.layerfs.core.rootfs.TarIndexerTest,io.layerfs.core.rootfs.LayerIndexTest,io.layerfs.core.rootfs.LayerIndexFormatTest,io.layerfs.core.rootfs.LimitsTest,io.layerfs.core.rootfs.MergedTree*Test'
  [LayerIndex]='io.layerfs.core.rootfs.LayerIndexTest,io.layerfs.core.rootfs.LayerIndexFormatTest,io.layerfs.core.rootfs.TarIndexerTest,io.layerfs.core.rootfs.MergedTreeTest'
  [TarIndexer]='io.layerfs.core.rootfs.TarIndexerTest,io.layerfs.core.rootfs.LayerIndexFormatTest,io.layerfs.core.rootfs.LimitsTest,io.layerfs.core.rootfs.MergedTreeTest'
  [ContentStore]='io.layerfs.core.content.ContentStoreTest'
  [MetaLog]='io.layerfs.core.overlay.MetaLog*Test,io.layerfs.core.container.MetaLogReplayFuzzTest,io.layerfs.core.container.ContainerIntegrityTest,io.layerfs.core.overlay.UpperLayerTest'
)
declare -A PACKAGE=(
  [UpperFile]=overlay [UpperLayer]=overlay [Overlay]=overlay [ContainerTree]=overlay
  [MergedTree]=rootfs [LayerIndexBuilder]=rootfs [TarIndexer]=rootfs [ContentStore]=content
  [LayerIndex]=rootfs [MetaLog]=overlay
)

classes=("$@")
if [ ${#classes[@]} -eq 0 ]; then
  classes=(UpperFile MergedTree UpperLayer ContainerTree Overlay LayerIndexBuilder TarIndexer
    ContentStore LayerIndex MetaLog)
fi
offline=()
if [ "${PIT_OFFLINE:-}" = 1 ]; then
  offline=(-o)
fi

for c in "${classes[@]}"; do
  if [ -z "${TESTS[$c]:-}" ]; then
    echo "unknown class $c; known: ${!TESTS[*]}" >&2
    exit 2
  fi
  fqcn="io.layerfs.core.${PACKAGE[$c]}.$c"
  suffix="${PIT_SUFFIX:--pit}"
  mvn -B -q "${offline[@]}" -P pit -pl core -am verify -Dlayerfs.suffix="$suffix" \
    -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=none \
    -Dpit.classes="$fqcn" -Dpit.tests="${TESTS[$c]}" -Dpit.threads="${PIT_THREADS:-2}" \
    -DreportsDirectory="$PWD/core/target$suffix/pit-reports/$c" >&2
  xml="core/target$suffix/pit-reports/$c/mutations.xml"
  # only the class itself: PIT also mutates its nested classes
  total=$(grep -c "<mutatedClass>$fqcn\(\$[^<]*\)\?</mutatedClass>" "$xml" || true)
  killed=$(grep "<mutatedClass>$fqcn" "$xml" | grep -c "status='\(KILLED\|TIMED_OUT\)'" || true)
  echo "$c: $total mutants, $killed killed, $((total == 0 ? 0 : 100 * killed / total))%"
done
