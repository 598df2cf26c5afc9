package io.layerfs.core.fsck;

import io.layerfs.core.Digest;
import io.layerfs.core.FsckReport.Kind;
import io.layerfs.core.lazy.LazyLayers;
import java.io.IOException;
import java.util.List;

/**
 * Checks the bytes held of each lazily read layer against the CRC32C of each piece taken when it
 * was fetched ({@code LazyLayers.checkHeld}). Reads never serve such bytes (they fetch them
 * again), so this only says the disk damaged them; a repair drops them from the list of held
 * ranges, and the next read fetches them.
 */
final class LazyCheck implements Check {
  @Override
  public void run(FsckRun run) throws IOException {
    List<Digest> layers = LazyLayers.partial(run.store());
    run.progress().start("check lazy layers", layers.size());
    for (Digest layer : layers) {
      List<String> problems = LazyLayers.checkHeld(run.store(), layer, run.repair());
      if (!problems.isEmpty()) {
        String what = String.join("; ", problems);
        if (run.repair()) {
          run.repaired(Kind.DAMAGED_LAZY_LAYER, layer.toString(),
              what + "; dropped, so they are fetched again");
        } else {
          run.problem(Kind.DAMAGED_LAZY_LAYER, layer.toString(), what);
        }
      }
      run.progress().advance(1);
    }
    run.progress().done();
  }
}
