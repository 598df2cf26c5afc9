package io.layerfs.core.fsck;

import io.layerfs.core.FsckReport.Kind;
import io.layerfs.core.Mount;
import io.layerfs.core.container.ContainerDirectory;
import io.layerfs.core.container.Volumes;
import io.layerfs.core.mount.VolumeCounters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Reports the volumes a container mounts that are gone (their data directory missing or no
 * directory: a container starting would create an empty one, or fail), and the volumes whose
 * fill from an image was cut short: their fill mark is there. The
 * volume lock is not taken (a container filling a volume may wait for an ingest lease, which a
 * repair holds back), so a fill under way in another process shows too, and the message says
 * so. No repair: filling needs the container's view of the image, and the next container that
 * fills the volume empties it and starts over.
 *
 * <p>It also reports a volume whose counter of directory changes says changes are under way that
 * only dead processes can have left (a process killed mid-change; no live process holds the
 * counter's lock): every read of that volume checks each directory until the count is reset,
 * which a repair does (the next container that opens the volume alone would do it too).
 */
final class VolumeCheck implements Check {
  @Override
  public void run(FsckRun run) throws IOException {
    run.progress().start("check volumes", -1);
    Map<String, Set<String>> mountedBy = new TreeMap<>();
    for (ContainerDirectory.Root root : ContainerDirectory.roots(run.store())) {
      if (root.record() == null) {
        continue; // the container check reports it
      }
      for (Mount m : Mount.parseAll(root.record().mounts())) {
        if (m.type() == Mount.Type.VOLUME) {
          mountedBy.computeIfAbsent(m.source(), k -> new TreeSet<>()).add(root.name());
        }
      }
    }
    mountedBy.forEach((name, containers) -> {
      try {
        Path data = Volumes.path(run.store(), name);
        if (!Files.isDirectory(data, LinkOption.NOFOLLOW_LINKS)) {
          run.problem(Kind.MISSING_VOLUME, name, "mounted by container(s) "
              + String.join(", ", containers) + ", but " + data + (Files.exists(data,
                  LinkOption.NOFOLLOW_LINKS) ? " is not a directory" : " is missing")
              + ": what was written to it is lost");
        }
      } catch (IOException e) {
        run.problem(Kind.MISSING_VOLUME, name, "mounted by container(s) "
            + String.join(", ", containers) + ": " + e.getMessage());
      }
    });
    for (String name : Volumes.list(run.store())) {
      Path mark = Volumes.fillMark(run.store(), name);
      if (Files.exists(mark)) {
        run.problem(Kind.PARTIAL_VOLUME, name, "its fill from an image was cut short, or is "
            + "under way in another process (" + mark + "): it holds part of the image's files, "
            + "and the next container that fills it empties it and starts over");
      }
      Path counter = Volumes.generationFile(run.store(), name);
      long left = VolumeCounters.abandonedChanges(counter, run.repair());
      if (left != 0) {
        String what = "its count of directory changes under way (" + counter + ") is " + left
            + ", left by a process that died mid-change, so every read of it checks each "
            + "directory";
        if (run.repair()) {
          run.repaired(Kind.ABANDONED_VOLUME_CHANGE, name, what + "; reset to 0");
        } else {
          run.problem(Kind.ABANDONED_VOLUME_CHANGE, name, what + " until a repair resets it (or a "
              + "writable container opens it while no other process uses it)");
        }
      }
    }
    run.progress().done();
  }
}
