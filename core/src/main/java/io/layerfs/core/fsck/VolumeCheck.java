package io.layerfs.core.fsck;

import io.layerfs.core.FsckReport.Kind;
import io.layerfs.core.container.Volumes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reports the volumes whose fill from an image was cut short: their fill mark is there. The
 * volume lock is not taken (a container filling a volume may wait for an ingest lease, which a
 * repair holds back), so a fill under way in another process shows too, and the message says
 * so. No repair: filling needs the container's view of the image, and the next container that
 * fills the volume empties it and starts over.
 */
final class VolumeCheck implements Check {
  @Override
  public void run(FsckRun run) throws IOException {
    run.progress().start("check volumes", -1);
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
