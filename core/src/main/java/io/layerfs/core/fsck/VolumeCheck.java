package io.layerfs.core.fsck;

import io.layerfs.core.FsckReport.Kind;
import io.layerfs.core.Mount;
import io.layerfs.core.container.ContainerDirectory;
import io.layerfs.core.container.Volumes;
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
    }
    run.progress().done();
  }
}
