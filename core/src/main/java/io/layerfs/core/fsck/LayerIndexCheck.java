package io.layerfs.core.fsck;

import io.layerfs.core.Digest;
import io.layerfs.core.FsckReport.Kind;
import io.layerfs.core.Layer;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks every layer in use that has its uncompressed blob: the blob hashes to the DiffID, the
 * layer index loads and belongs to it, and every file's chunks match their checksums ({@code
 * LayerStore.verify}). A repair rebuilds blob and index from an intact compressed blob; an
 * uncompressed layer's blob is its only copy and cannot be rebuilt.
 */
final class LayerIndexCheck implements Check {
  @Override
  public void run(FsckRun run) throws IOException {
    // a blob the blob check found corrupt (and a repair removed) is not reported again
    List<Layer> layers = run.layers().stream()
        .filter(l -> !run.reported(l.diffId().toString()))
        .filter(l -> run.store().contains(l.diffId()))
        .toList();
    run.progress().start("check layers", layers.size());
    Set<Digest> seen = new HashSet<>();
    for (Layer layer : layers) {
      if (seen.add(layer.diffId())) {
        check(run, layer);
      }
      run.progress().advance(1);
    }
    run.progress().done();
  }

  private static void check(FsckRun run, Layer layer) throws IOException {
    List<String> problems = run.layerStore().verify(layer);
    if (problems.isEmpty()) {
      return;
    }
    String object = layer.diffId().toString();
    String what = String.join("; ", problems);
    if (!run.repair()) {
      run.problem(Kind.DAMAGED_LAYER, object, what);
      return;
    }
    try {
      run.layerStore().rebuild(layer);
    } catch (IOException e) {
      run.problem(Kind.DAMAGED_LAYER, object, what + "; not rebuilt: " + e.getMessage());
      return;
    }
    List<String> after = run.layerStore().verify(layer);
    if (after.isEmpty()) {
      run.repaired(Kind.DAMAGED_LAYER, object,
          what + "; rebuilt from its compressed blob " + layer.digest());
    } else {
      run.problem(Kind.DAMAGED_LAYER, object, what + "; still after a rebuild: "
          + String.join("; ", after));
    }
  }
}
