package io.layerfs.core.overlay;

import io.layerfs.core.EntryType;
import io.layerfs.core.internal.PathNames;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Checks a container's upper layer on disk without opening it for writing, for {@code layerfs
 * fsck}: the log and the snapshot (corruption with its byte offset, generations that do not
 * match, a file the other requires missing), and each file's data file against its logged state
 * (missing or short, named by its path inside the container). {@link #repair} cuts a corrupt
 * log at its first bad record after keeping the original.
 */
public final class ContainerCheck {
  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private ContainerCheck() {}

  /**
   * Every problem of the container in {@code containerDir} ({@code layerfs/containers/NAME}),
   * one sentence each naming the file (and byte offset or path inside the container); empty when
   * it opens and reads whole. Reads only: safe while the container is open elsewhere, though a
   * writer's changes in flight may then show as problems.
   */
  public static List<String> check(Path containerDir) throws IOException {
    return check(containerDir, null);
  }

  /**
   * {@link #check(Path)} for the container whose record carries {@code idOrNull}: a metadata file
   * carrying another id is another container's (null: the record has none, or did not read).
   */
  public static List<String> check(Path containerDir, UUID idOrNull) throws IOException {
    MetaLog.State state = MetaLog.scan(containerDir, idOrNull);
    List<String> problems = new ArrayList<>(state.problems);
    UpperLayer upper;
    try {
      // what the intact part says: a corrupt log's records up to the bad one
      upper = UpperLayer.replayed(containerDir, state);
    } catch (IOException e) {
      problems.add(e.getMessage());
      return problems;
    }
    if (upper.root() != null) {
      checkDataFiles(containerDir, upper, problems);
    }
    return problems;
  }

  /**
   * Repairs what can be repaired without guessing: a log corrupt at byte offset P is copied to
   * {@code meta.log.damaged-<UTC time>} and cut at P, so the records from P on (and the changes
   * they held) are dropped. The caller holds the container's lock (it is not open for writing).
   *
   * @return what was done, then every problem {@link #check} still finds
   */
  public static List<String> repair(Path containerDir) throws IOException {
    return repair(containerDir, null);
  }

  /** {@link #repair(Path)} for the container whose record carries {@code idOrNull}. */
  public static List<String> repair(Path containerDir, UUID idOrNull) throws IOException {
    List<String> report = new ArrayList<>();
    MetaLog.State state = MetaLog.scan(containerDir, idOrNull);
    if (state.corruptAt >= 0) {
      Path log = containerDir.resolve(MetaLog.LOG);
      Path aside = containerDir.resolve(MetaLog.LOG + ".damaged-" + STAMP.format(Instant.now()));
      Files.copy(log, aside, StandardCopyOption.COPY_ATTRIBUTES);
      try (FileChannel c = FileChannel.open(aside, StandardOpenOption.WRITE)) {
        c.force(true);
      }
      long size = Files.size(log);
      try (FileChannel c = FileChannel.open(log, StandardOpenOption.WRITE)) {
        c.truncate(state.corruptAt);
        c.force(true);
      }
      report.add("repaired: cut " + log + " at byte offset " + state.corruptAt + ", dropping "
          + (size - state.corruptAt) + " bytes of records; the original is " + aside);
    }
    for (String p : check(containerDir, idOrNull)) {
      report.add("not repaired: " + p);
    }
    return report;
  }

  private static void checkDataFiles(Path dir, UpperLayer upper, List<String> problems)
      throws IOException {
    Set<Long> seen = new HashSet<>();
    ArrayDeque<Map.Entry<String, UpperDir>> todo = new ArrayDeque<>();
    todo.add(Map.entry("/", upper.root()));
    while (!todo.isEmpty()) {
      Map.Entry<String, UpperDir> d = todo.poll();
      for (Map.Entry<String, UpperEntry> e : d.getValue().sortedChildren().entrySet()) {
        String path = PathNames.child(d.getKey(), e.getKey());
        if (e.getValue() instanceof UpperDir sub) {
          todo.add(Map.entry(path, sub));
        } else if (e.getValue() instanceof UpperFile f && f.type == EntryType.FILE
            && seen.add(f.id)) {
          String problem = checkData(dir, upper, f);
          if (problem != null) {
            problems.add("container " + upper.name() + ": " + path + ": " + problem);
          }
        }
      }
    }
  }

  /** What is wrong with a file's data file, or null. */
  private static String checkData(Path dir, UpperLayer upper, UpperFile f) throws IOException {
    long need = f.dataLength();
    Path data = upper.dataPath(f.id);
    long len;
    try {
      if (Files.exists(data) && !Files.isRegularFile(data)) {
        // a directory's size is its own, never the file's bytes
        return "data file " + dir.relativize(data) + " is " + (Files.isDirectory(data)
            ? "a directory" : "no regular file") + ", but the logged state holds " + need
            + " bytes in it";
      }
      len = Files.size(data);
    } catch (NoSuchFileException e) {
      return need == 0 ? null : "data file " + dir.relativize(data) + " is missing, but the "
          + "logged state holds " + need + " bytes in it";
    }
    return len >= need ? null : "data file " + dir.relativize(data) + " is " + len + " bytes, "
        + "shorter than the " + need + " bytes the logged state holds in it";
  }
}
