package io.layerfs.core.fsck;

import io.layerfs.core.FsckReport.Kind;
import io.layerfs.core.container.ContainerDirectory;
import io.layerfs.core.container.ContainerLock;
import io.layerfs.core.overlay.ContainerCheck;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

/**
 * Checks each container's own files: its metadata log and snapshot (a torn last record is
 * fine, anything else is named with its byte offset) and that every data file holds the bytes
 * the log says. A repair, under the container's lock, cuts a corrupt log at its first bad record
 * after keeping the original beside it; lost data files cannot be repaired.
 */
final class ContainerFilesCheck implements Check {
  @Override
  public void run(FsckRun run) throws IOException {
    List<ContainerDirectory.Root> containers = run.containers();
    run.progress().start("check container files", containers.size());
    for (ContainerDirectory.Root root : containers) {
      check(run, root);
      run.progress().advance(1);
    }
    run.progress().done();
  }

  private static void check(FsckRun run, ContainerDirectory.Root root) throws IOException {
    Path dir = root.json().getParent();
    // a record that does not read is reported by the container check; its files are checked
    // without an id to hold them to
    UUID id = root.record() == null ? null : root.record().id();
    List<String> problems = ContainerCheck.check(dir, id);
    if (problems.isEmpty()) {
      return;
    }
    String what = String.join("; ", problems);
    if (!run.repair()) {
      run.problem(Kind.DAMAGED_CONTAINER, root.name(), what);
      return;
    }
    List<String> report;
    try (ContainerLock lock = ContainerLock.acquire(dir, root.name())) {
      report = ContainerCheck.repair(dir, id);
    } catch (IOException e) {
      run.problem(Kind.DAMAGED_CONTAINER, root.name(), what + "; not repaired: "
          + e.getMessage());
      return;
    }
    boolean whole = report.stream().noneMatch(line -> line.startsWith("not repaired"));
    if (whole) {
      run.repaired(Kind.DAMAGED_CONTAINER, root.name(), String.join("; ", report));
    } else {
      run.problem(Kind.DAMAGED_CONTAINER, root.name(), String.join("; ", report));
    }
  }
}
