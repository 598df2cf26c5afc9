package io.layerfs.core.fsck;

import io.layerfs.core.Digest;
import io.layerfs.core.FsckReport.Kind;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.container.ContainerDirectory;
import io.layerfs.core.container.ContainerRecord;
import io.layerfs.core.image.Images;
import io.layerfs.core.oci.OciIndex;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

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
    checkHolds(run);
    run.progress().done();
  }

  /**
   * Every container's image must be held in index.json (see {@code OciIndex}), and no hold may
   * outlive its container. A container being created, or whose folder is still there, keeps its
   * hold: creation writes the hold before the record.
   */
  private static void checkHolds(FsckRun run) throws IOException {
    Map<String, Digest> holds;
    try {
      holds = run.store().readIndex().holds();
    } catch (IOException e) {
      return; // the image check reports an index.json that does not read
    }
    Path containers = ContainerDirectory.containers(run.store());
    for (ContainerDirectory.Root root : run.containers()) {
      Digest manifest = root.record().manifest();
      if (!run.store().contains(manifest) || heldOrUnreadable(run, root.name(), manifest)) {
        continue; // held, or missing or damaged: the blob check says so, and nothing can hold it
      }
      String problem = "index.json does not hold its image " + manifest
          + ", so umoci gc would delete it";
      if (run.repair()) {
        run.store().hold(root.name(), manifest);
        run.repaired(Kind.IMAGE_HOLD, root.name(), problem + "; added an entry annotated "
            + OciIndex.CONTAINER + "=" + root.name());
      } else {
        run.problem(Kind.IMAGE_HOLD, root.name(), problem);
      }
    }
    for (Map.Entry<String, Digest> hold : holds.entrySet()) {
      String name = hold.getKey();
      if (isName(name) && Files.exists(containers.resolve(name))) {
        continue;
      }
      String problem = "index.json holds an image (" + hold.getValue() + ") for container "
          + name + ", which does not exist";
      List<ContainerDirectory.Removal> cut = ContainerDirectory.removals(run.store()).stream()
          .filter(r -> r.name().equals(name)).toList();
      if (!cut.isEmpty()) {
        problem += ": its removal was cut short (" + cut.get(0).dir() + " is left), which "
            + "`layerfs gc` or `layerfs fsck --repair` finishes";
      }
      if (run.repair()) {
        run.store().release(name);
        for (ContainerDirectory.Removal r : cut) {
          ContainerDirectory.finish(run.store(), r);
        }
        run.repaired(Kind.IMAGE_HOLD, name, problem + "; removed the entry"
            + (cut.isEmpty() ? "" : " and the folder"));
      } else {
        run.problem(Kind.IMAGE_HOLD, name, problem);
      }
    }
  }

  /** Whether index.json holds {@code manifest}; true when the manifest does not read whole. */
  private static boolean heldOrUnreadable(FsckRun run, String container, Digest manifest) {
    try {
      return run.store().holds(container, manifest);
    } catch (IOException e) {
      return true; // a damaged manifest: the blob check reports it; a hold would name it anyway
    }
  }

  private static boolean isName(String name) {
    try {
      ContainerDirectory.checkName(name);
      return true;
    } catch (IllegalArgumentException e) {
      return false; // not a container's name (a hold another tool made): no such container
    }
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
