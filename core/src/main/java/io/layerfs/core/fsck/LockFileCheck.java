package io.layerfs.core.fsck;

import io.layerfs.core.FsckReport.Kind;
import io.layerfs.core.container.ContainerDirectory;
import io.layerfs.core.container.ContainerLock;
import io.layerfs.core.container.VolumeLock;
import io.layerfs.core.content.ViewHold;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks the lock files layerfs takes: the store's ({@code index.lock}, {@code gc.lock}, {@code
 * volumes.lock}), each container's {@code lock}, and the folder of view holds. One that is there
 * but is no regular file (a directory, say) keeps every process from taking the lock, so what it
 * guards fails (naming it); a missing one is fine, since it is made on first use. A repair
 * removes an empty directory in a lock file's place (nothing is lost: the lock file is made
 * again); anything else is reported for the user to look at.
 */
final class LockFileCheck implements Check {
  @Override
  public void run(FsckRun run) throws IOException {
    List<Path> files = new ArrayList<>(run.store().lockFiles());
    files.add(VolumeLock.file(run.store()));
    run.progress().start("check lock files", files.size() + run.containers().size());
    for (Path file : files) {
      check(run, file, Kind.LOCK_FILE, run.store().root().relativize(file).toString(),
          "the store's ");
      run.progress().advance(1);
    }
    checkViewsFolder(run, ViewHold.folder(run.store()));
    for (ContainerDirectory.Root root : run.containers()) {
      Path file = ContainerLock.file(root.json().getParent());
      check(run, file, Kind.DAMAGED_CONTAINER, root.name(),
          "container " + root.name() + " cannot be opened for writing: its ");
      run.progress().advance(1);
    }
    run.progress().done();
  }

  private static void check(FsckRun run, Path file, Kind kind, String object, String prefix)
      throws IOException {
    if (!Files.exists(file) || Files.isRegularFile(file)) {
      return; // made on first use; a dangling link is followed and made so too
    }
    String what = prefix + "lock file " + file + " is "
        + (Files.isDirectory(file) ? "a directory" : "no regular file")
        + ", so no process can take the lock";
    if (run.repair() && Files.isDirectory(file) && isEmpty(file)) {
      Files.delete(file);
      run.repaired(kind, object, what + "; removed the empty directory (the lock file is made "
          + "again on first use)");
      return;
    }
    run.problem(kind, object, what + (Files.isDirectory(file)
        ? "; it is not empty, so it is left for you to look at and remove" : ""));
  }

  /**
   * The folder of the views' holds ({@code layerfs/views}), which every read-only view of an
   * image makes a file in: something else in its place keeps every view from opening. An empty
   * file there is removed by a repair (the folder is made again on first use).
   */
  private static void checkViewsFolder(FsckRun run, Path folder) throws IOException {
    if (!Files.exists(folder, LinkOption.NOFOLLOW_LINKS)
        || Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    String object = run.store().root().relativize(folder).toString();
    String what = "the store's folder of view holds " + folder + " is no directory, so no "
        + "read-only view of an image opens";
    if (run.repair() && Files.isRegularFile(folder, LinkOption.NOFOLLOW_LINKS)
        && Files.size(folder) == 0) {
      Files.delete(folder);
      run.repaired(Kind.LOCK_FILE, object, what + "; removed the empty file (the folder is made "
          + "again on first use)");
      return;
    }
    run.problem(Kind.LOCK_FILE, object, what + "; it is left for you to look at and remove");
  }

  private static boolean isEmpty(Path dir) throws IOException {
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      return !entries.iterator().hasNext();
    }
  }
}
