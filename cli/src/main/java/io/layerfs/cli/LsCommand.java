package io.layerfs.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code layerfs ls IMAGE [PATH]}: a directory of an image, like {@code ls -l}; {@code --format
 * json}, one object a line, shaped as docker's container path stat.
 */
final class LsCommand implements CliCommand {
  /** GNU ls's long-iso style; the zone is the local one, as ls and docker read TZ. */
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm");

  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new LsCommand(), "ls",
        "List a directory (or show one file) of a container or an image.");
    spec.addPositional(Specs.positional("0", "NAME|IMAGE[:PATH]",
        "A container, or an image's tag, ID or manifest digest; with ':PATH' (web:/etc, as cp"
            + " takes it), also the path.").build());
    spec.addPositional(Specs.optionalPositional("1", "PATH",
        "Absolute path in the image (default: /).").build());
    spec.addOption(Specs.flag(new String[] {"-l", "--long"},
        "Mode, owner, size, time and link target."));
    spec.addOption(FormatOption.spec());
    return spec;
  }

  @Override
  public int run(Invocation in) throws IOException {
    String first = in.positional(0);
    NamedPath named = NamedPath.of(in, first, in.positional(1), "/");
    String image = named.name();
    String path = named.path();
    boolean json = FormatOption.json(in);
    boolean longFormat = in.flag("--long") || json;
    PrintWriter out = in.out();
    try (FileSystem fs = Stores.openImage(in.store(), image)) {
      Path target = fs.getPath(path);
      List<Path> entries = new ArrayList<>();
      // as GNU ls: with -l a symbolic link given as the argument is shown, not followed
      // (and, as there, a trailing '/' follows it: 'ls -l /bin/' lists what /bin leads to)
      LinkOption[] follow = longFormat && !path.endsWith("/")
          ? new LinkOption[] {LinkOption.NOFOLLOW_LINKS} : new LinkOption[0];
      if (Files.isDirectory(target, follow)) {
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(target)) {
          dir.forEach(entries::add);
        }
      } else {
        try {
          Files.readAttributes(target, "basic:size", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
          throw Errors.missing(target, e); // lstat(2)'s ENOTDIR, as ls says it
        }
        entries.add(target);
      }
      if (json) {
        for (Path entry : entries) {
          Json.printLine(out, stat(entry, in.zone()));
        }
      } else if (longFormat) {
        List<String[]> rows = new ArrayList<>();
        for (Path entry : entries) {
          rows.add(describe(entry, in.zone()));
        }
        printAligned(out, rows);
      } else {
        entries.forEach(entry -> out.println(entry.getFileName()));
      }
    } catch (FileSystemException e) {
      throw Errors.in(image, e);
    }
    return 0;
  }

  /**
   * Prints {@code -l} rows with the owner, group and size columns as wide as their widest cell
   * (at least 5, 5 and 10), as ls -l aligns them: a group such as {@code shadow} or an id of
   * more digits does not push the rest of its line out of line.
   */
  private static void printAligned(PrintWriter out, List<String[]> rows) {
    int[] widths = {0, 5, 5, 10};
    for (String[] row : rows) {
      for (int i = 1; i < widths.length; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    String format = "%s %" + widths[1] + "s %" + widths[2] + "s %" + widths[3] + "s %s";
    for (String[] row : rows) {
      out.println(String.format(format, row[0], row[1], row[2], row[3], row[4]));
    }
  }

  /** The columns of one {@code -l} line: mode, owner, group, size, and time with name. */
  private static String[] describe(Path entry, ZoneId zone) throws IOException {
    PosixFileAttributes a =
        Files.readAttributes(entry, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    int mode = (Integer) Files.getAttribute(entry, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    char type = typeOf(mode);
    // a device shows its numbers where a file shows its size, as ls -l does
    String size = type == 'c' || type == 'b'
        ? deviceNumbers((Long) Files.getAttribute(entry, "unix:rdev", LinkOption.NOFOLLOW_LINKS))
        : String.valueOf(a.size());
    String rest = TIME.withZone(zone).format(a.lastModifiedTime().toInstant()) + " "
        + entry.getFileName();
    if (a.isSymbolicLink()) {
      rest += " -> " + Files.readSymbolicLink(entry);
    }
    return new String[] {type + permissions(mode),
        a.owner().getName(), a.group().getName(), size, rest};
  }

  /**
   * One line of {@code --format json}: docker's container path stat, what {@code docker cp}
   * reads of a path (its {@code X-Docker-Container-Path-Stat} header): {@code name}, {@code
   * size}, {@code mode} as Go's {@code os.FileMode} number, {@code mtime} in RFC 3339 (Go's
   * RFC3339Nano in the local zone, as the daemon encodes it) and {@code
   * linkTarget} (here the link as written, where docker gives the path it resolves to; empty for
   * what is no link); then layerfs' {@code type}, a word, for readers that do not decode Go's
   * mode bits.
   */
  private static ObjectNode stat(Path entry, ZoneId zone) throws IOException {
    PosixFileAttributes a =
        Files.readAttributes(entry, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    int mode = (Integer) Files.getAttribute(entry, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    Path name = entry.getFileName();
    ObjectNode o = Json.object();
    o.put("name", name == null ? "/" : name.toString());
    o.put("size", a.size());
    o.put("mode", goFileMode(mode));
    o.put("mtime", Human.rfc3339Nano(a.lastModifiedTime().toInstant(), zone));
    o.put("linkTarget", a.isSymbolicLink() ? Files.readSymbolicLink(entry).toString() : "");
    o.put("type", switch (typeOf(mode)) {
      case 'd' -> "directory";
      case 'l' -> "symlink";
      case 'c' -> "char-device";
      case 'b' -> "block-device";
      case 'p' -> "fifo";
      case 's' -> "socket";
      default -> "file";
    });
    return o;
  }

  /** A Unix {@code st_mode} as Go's {@code os.FileMode} encodes it: its own type and mode bits. */
  static long goFileMode(int mode) {
    long go = mode & 0777;
    go |= (mode & 04000) != 0 ? 1L << 23 : 0; // ModeSetuid
    go |= (mode & 02000) != 0 ? 1L << 22 : 0; // ModeSetgid
    go |= (mode & 01000) != 0 ? 1L << 20 : 0; // ModeSticky
    return go | switch (mode & 0170000) {
      case 0040000 -> 1L << 31; // ModeDir
      case 0120000 -> 1L << 27; // ModeSymlink
      case 0060000 -> 1L << 26; // ModeDevice
      case 0020000 -> (1L << 26) | (1L << 21); // ModeDevice | ModeCharDevice
      case 0010000 -> 1L << 25; // ModeNamedPipe
      case 0140000 -> 1L << 24; // ModeSocket
      default -> 0L;
    };
  }

  /**
   * The nine permission letters of ls -l for {@code mode}, with its set-user-ID, set-group-ID
   * and sticky bits as {@code s}/{@code S} and {@code t}/{@code T} in the execute places.
   */
  static String permissions(int mode) {
    char[] letters = new char[9];
    for (int i = 0; i < 9; i++) {
      letters[i] = (mode & (0400 >> i)) != 0 ? "rwx".charAt(i % 3) : '-';
    }
    special(letters, 2, (mode & 04000) != 0, 's');
    special(letters, 5, (mode & 02000) != 0, 's');
    special(letters, 8, (mode & 01000) != 0, 't');
    return new String(letters);
  }

  private static void special(char[] letters, int at, boolean set, char letter) {
    if (set) {
      letters[at] = letters[at] == 'x' ? letter : Character.toUpperCase(letter);
    }
  }

  /** The type letter of ls -l for the S_IFMT bits of {@code mode}. */
  static char typeOf(int mode) {
    return switch (mode & 0170000) {
      case 0140000 -> 's';
      case 0120000 -> 'l';
      case 0060000 -> 'b';
      case 0040000 -> 'd';
      case 0020000 -> 'c';
      case 0010000 -> 'p';
      case 0100000 -> '-';
      default -> '?';
    };
  }

  /** "MAJOR, MINOR" of a Linux dev_t, as ls -l prints a device's. */
  static String deviceNumbers(long rdev) {
    long major = ((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL);
    long minor = (rdev & 0xff) | ((rdev >>> 12) & ~0xffL);
    return major + ", " + minor;
  }
}
