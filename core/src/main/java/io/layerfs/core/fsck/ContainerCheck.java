package io.layerfs.core.fsck;

import io.layerfs.core.FsckReport.Kind;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.container.ContainerDirectory;
import io.layerfs.core.container.ContainerRecord;
import io.layerfs.core.image.Images;
import java.io.IOException;

/**
 * Checks every container's {@code container.json} and that the blobs of its image, as the record
 * names them, are there and still resolve to that image. A container being created (only its
 * temp file) is not checked.
 */
final class ContainerCheck implements Check {
  @Override
  public void run(FsckRun run) throws IOException {
    run.progress().start("check containers", -1);
    for (ContainerDirectory.Root root : ContainerDirectory.roots(run.store())) {
      if (root.creating()) {
        continue;
      }
      ContainerRecord record = root.record();
      if (record == null) {
        run.problem(Kind.BROKEN_CONTAINER, root.name(), root.problem());
        continue;
      }
      run.container(root);
      check(run, root.name(), record);
    }
    run.progress().done();
  }

  private static void check(FsckRun run, String name, ContainerRecord record) {
    String of = " of container " + name;
    boolean whole = run.need(record.manifest(), -1, "manifest" + of);
    whole &= run.need(record.config(), -1, "config" + of);
    for (int i = 0; i < record.layers().size(); i++) {
      Layer layer = record.layers().get(i);
      whole &= run.need(layer.digest(), layer.size(), "layer " + (i + 1) + of);
      run.layer(layer);
    }
    try {
      if (!whole || run.readVerified(record.manifest()) == null
          || run.readVerified(record.config()) == null) {
        return; // the blob check names what is missing or corrupt
      }
      Image image = Images.resolve(run.store(), record.manifest().toString());
      if (!record.matches(image)) {
        run.problem(Kind.BROKEN_CONTAINER, name, "its image " + record.manifest()
            + " has another config or other layers than its container.json records");
      }
    } catch (IOException e) {
      run.problem(Kind.BROKEN_CONTAINER, name, "its image does not resolve: " + e.getMessage());
    }
  }
}
