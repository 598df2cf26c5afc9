package io.layerfs.core.fsck;

import io.layerfs.core.Digest;
import io.layerfs.core.FsckReport.Kind;
import io.layerfs.core.lazy.LazyLayers;
import io.layerfs.core.registry.Reference;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Checks the bytes held of each lazily read layer against the CRC32C of each piece taken when it
 * was fetched ({@code LazyLayers.checkHeld}). Reads never serve such bytes (they fetch them
 * again), so this only says the disk damaged them; a repair drops them from the list of held
 * ranges, and the next read fetches them. Also checks that the layer's recorded origin reads and
 * names a registry reference (not repaired: a new pull or lazy attach writes a new one).
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
      String origin = originProblem(run, layer);
      if (origin != null) {
        run.problem(Kind.DAMAGED_LAZY_LAYER, layer.toString(), origin);
      }
      run.progress().advance(1);
    }
    run.progress().done();
  }

  /**
   * What is wrong with the layer's recorded origin (the registry reference another process
   * attaches it again from, on its first line), or null: one that does not read or parse keeps
   * the layer from being read in any other process. Nothing to repair: pulling the image whole
   * (or attaching it lazily again) makes a new one.
   */
  private static String originProblem(FsckRun run, Digest layer) {
    Path file = LazyLayers.originFile(run.store(), layer);
    String origin;
    try {
      origin = LazyLayers.origin(run.store(), layer);
    } catch (IOException e) {
      return "its recorded origin " + file + " does not read (" + e.getMessage() + ")";
    }
    if (origin == null) {
      return null; // none recorded: only the process that attached it reads it lazily
    }
    try {
      Reference.parse(origin.split("\n", 2)[0]);
      return null;
    } catch (IllegalArgumentException e) {
      return "its recorded origin " + file + " does not parse: " + e.getMessage();
    }
  }
}
