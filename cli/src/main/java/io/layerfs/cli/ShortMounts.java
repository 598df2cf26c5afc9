package io.layerfs.cli;

import io.layerfs.core.Mount;
import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Docker's short mount forms as {@code --mount} specs: {@code -v NAME:/path[:OPTS]} (a volume),
 * {@code -v /host/path:/path[:OPTS]} (a bind mount of a directory or file, also {@code ./path}
 * or {@code ../path} relative to the working directory, as Docker 23 and later take it; a
 * missing source is made a directory, as Docker makes it, see {@link #makeMissingSources}) and
 * {@code --tmpfs /path[:size=64m,mode=1777]}. The container records the specs these give, so
 * {@code inspect} shows them as if given with {@code --mount} (a path with a comma quoted, as a
 * {@code --mount} spec needs it).
 */
final class ShortMounts {
  private static final List<String> PROPAGATION =
      List.of("private", "rprivate", "shared", "rshared", "slave", "rslave");

  private static final Path WORKING_DIRECTORY = Path.of("").toAbsolutePath();

  private ShortMounts() {}

  /** The {@code --mount} spec of {@code -v SPEC}. */
  static String volume(String spec) {
    String[] parts = spec.split(":", -1);
    if (parts.length == 1) {
      throw bad("-v", spec, "a volume needs a source naming it, as SOURCE:/path (anonymous "
          + "volumes are not supported)");
    }
    if (parts.length > 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
      throw bad("-v", spec, "expected SOURCE:/path[:OPTIONS]");
    }
    // as the docker CLI since 23: a source that starts with . is a host path, made absolute
    boolean bind = parts[0].startsWith("/") || parts[0].startsWith(".");
    String source = bind ? WORKING_DIRECTORY.resolve(parts[0]).normalize().toString() : parts[0];
    StringBuilder mount = new StringBuilder(bind ? "type=bind" : "type=volume")
        .append(',').append(Mount.quote("source=" + source))
        .append(',').append(Mount.quote("target=" + parts[1]));
    if (parts.length == 3) {
      for (String option : parts[2].split(",", -1)) {
        if (option.equals("ro")) {
          mount.append(",readonly");
        } else if (option.equals("nocopy") && !bind) {
          mount.append(",volume-nocopy");
        } else if (PROPAGATION.contains(option) && bind) {
          mount.append(",bind-propagation=").append(option);
        } else if (!option.equals("rw")) {
          throw bad("-v", spec, "unknown option '" + option + "' (known: ro, rw, "
              + (bind ? String.join(", ", PROPAGATION) : "nocopy") + ")");
        }
      }
    }
    return mount.toString();
  }

  /** The {@code --mount} spec of {@code --tmpfs SPEC}. */
  static String tmpfs(String spec) {
    int colon = spec.indexOf(':');
    String target = colon < 0 ? spec : spec.substring(0, colon);
    StringBuilder mount = new StringBuilder("type=tmpfs,").append(Mount.quote("target=" + target));
    if (colon >= 0) {
      for (String option : spec.substring(colon + 1).split(",", -1)) {
        if (option.startsWith("size=")) {
          mount.append(",tmpfs-size=").append(option.substring(5));
        } else if (option.startsWith("mode=")) {
          mount.append(",tmpfs-mode=").append(option.substring(5));
        } else if (!option.equals("rw")) {
          throw bad("--tmpfs", spec, "unknown option '" + option + "' (known: size=, mode=, rw)");
        }
      }
    }
    return mount.toString();
  }

  /**
   * {@code mounts}, then those of {@code volumes} and {@code tmpfs}, all as --mount specs; a bind
   * source of {@code mounts} that starts with {@code .} made absolute, as the docker CLI does.
   */
  static List<String> all(List<String> mounts, List<String> volumes, List<String> tmpfs) {
    List<String> all = new ArrayList<>();
    mounts.forEach(m -> all.add(Mount.parse(m, WORKING_DIRECTORY).spec()));
    volumes.forEach(v -> all.add(volume(v)));
    tmpfs.forEach(t -> all.add(tmpfs(t)));
    return all;
  }

  /**
   * Makes the host directories of the {@code -v} bind mounts of {@code volumes} that do not
   * exist, as Docker makes them (always directories, with their missing parents; {@code --mount
   * type=bind} refuses a missing source instead). Returns what was made, for {@link
   * #removeMade} after a create that failed.
   */
  static List<Made> makeMissingSources(List<String> volumes) throws IOException {
    List<Made> made = new ArrayList<>();
    for (String v : volumes) {
      Mount m = Mount.parse(volume(v));
      Path source = Path.of(m.source());
      Path first = m.type() == Mount.Type.BIND ? Stores.firstMissing(source) : null;
      if (first != null) {
        made.add(new Made(first, source));
        try {
          Files.createDirectories(source);
        } catch (IOException e) {
          removeMade(made, e); // this source's parents made before the failure too
          throw new IOException("cannot make the bind source " + source + " of -v '" + v
              + "': " + e.getMessage(), e);
        }
      }
    }
    return made;
  }

  /**
   * Removes the directories {@link #makeMissingSources} made, from each source up to the first
   * one it made, as long as they are empty: what another program put there stays.
   */
  static void removeMade(List<Made> made, Exception failure) {
    for (Made m : made) {
      for (Path p = m.source(); p != null && p.startsWith(m.first()); p = p.getParent()) {
        try {
          Files.deleteIfExists(p);
        } catch (DirectoryNotEmptyException e) {
          break;
        } catch (IOException e) {
          failure.addSuppressed(e);
          break;
        }
      }
    }
  }

  /** A bind source made: {@code source} and the first of its parents that was missing. */
  record Made(Path first, Path source) {}

  private static IllegalArgumentException bad(String option, String spec, String why) {
    return new IllegalArgumentException("invalid " + option + " '" + spec + "': " + why);
  }
}
