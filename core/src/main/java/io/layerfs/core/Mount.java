package io.layerfs.core;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One mount of a container, parsed from a {@code docker run --mount} spec: a named volume, a bind
 * mount of a host directory or file, or a tmpfs. {@link #parse} splits a spec into fields as
 * Docker does, as one line of CSV ({@code type=bind,"source=/a,b",target=/x} for a path with a
 * comma), accepts Docker's keys and aliases and refuses what Docker refuses (and what layerfs
 * cannot do) with an {@link IllegalArgumentException} naming the spec and the problem; {@link
 * #spec()} writes the canonical form that {@code container.json} keeps.
 *
 * @param type what is mounted
 * @param source the volume's name, the bind mount's absolute host path, or null for a tmpfs
 * @param target the absolute, cleaned path inside the container (never {@code /})
 * @param readOnly every write is refused, as on a read-only mount
 * @param noCopy a volume is not filled from the image's content at the target
 * @param propagation the bind propagation given (recorded and shown; one mount namespace has
 *     nothing to propagate to), or null
 * @param tmpfsSize a tmpfs's size limit in bytes, 0 for the default (half the JVM's heap limit)
 * @param tmpfsMode a tmpfs root's mode ({@code 01777} unless given)
 */
public record Mount(Type type, String source, String target, boolean readOnly, boolean noCopy,
    String propagation, long tmpfsSize, int tmpfsMode) {

  /** The kinds of mount, with Docker's names. */
  public enum Type {
    VOLUME, BIND, TMPFS;

    /** The name in a spec and in {@code docker inspect}: volume, bind, tmpfs. */
    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Compiled on first use: a container without volumes parses no name. */
  private static final class VolumeName {
    static final Pattern PATTERN = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]*");
  }

  private static final Set<String> PROPAGATIONS =
      Set.of("private", "rprivate", "shared", "rshared", "slave", "rslave");
  private static final int DEFAULT_TMPFS_MODE = 01777;

  /** A tmpfs mount's block size: a page, as Linux's tmpfs reports it. */
  public static final int TMPFS_BLOCK_SIZE = 4096;

  public Mount {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(target, "target");
  }

  /**
   * Parses one spec, e.g. {@code type=bind,source=/srv/site,target=/usr/share/nginx/html,ro}.
   *
   * @throws IllegalArgumentException naming the spec and the problem
   */
  public static Mount parse(String spec) {
    return parse(spec, null);
  }

  /**
   * As {@link #parse}, with a bind source that starts with {@code .} ({@code ./site}, {@code
   * ../app.conf}) taken relative to {@code workingDirectory} and made absolute, as the docker CLI
   * (23 and later) takes it; null takes none.
   *
   * @throws IllegalArgumentException naming the spec and the problem
   */
  public static Mount parse(String spec, Path workingDirectory) {
    if (spec == null || spec.isBlank()) {
      throw new IllegalArgumentException("empty mount spec");
    }
    Map<String, String> fields = new LinkedHashMap<>();
    for (Field field : fields(spec)) {
      String text = field.text();
      int eq = text.indexOf('=');
      String key = (eq < 0 ? text : text.substring(0, eq)).trim().toLowerCase(Locale.ROOT);
      String value = eq < 0 ? null : text.substring(eq + 1);
      // an unquoted value is trimmed, a quoted one kept as written (a path may end in a space)
      value = value == null || field.quoted() ? value : value.trim();
      key = switch (key) {
        case "src" -> "source";
        case "dst", "destination" -> "target";
        case "ro" -> "readonly";
        default -> key;
      };
      if (key.isEmpty()) {
        throw bad(spec, "an empty field");
      }
      if (fields.containsKey(key)) {
        throw bad(spec, "'" + key + "' is given twice");
      }
      fields.put(key, value);
    }
    Type type = type(spec, fields.getOrDefault("type", "volume"));
    String target = null;
    String source = null;
    boolean readOnly = false;
    boolean noCopy = false;
    String propagation = null;
    long size = 0;
    int mode = DEFAULT_TMPFS_MODE;
    for (Map.Entry<String, String> e : fields.entrySet()) {
      String key = e.getKey();
      String value = e.getValue();
      switch (key) {
        case "type" -> { }
        case "source" -> source = value(spec, key, value);
        case "target" -> target = value(spec, key, value);
        case "readonly" -> readOnly = bool(spec, key, value);
        case "volume-nocopy" -> {
          only(spec, key, type, Type.VOLUME);
          noCopy = bool(spec, key, value);
        }
        case "bind-propagation" -> {
          only(spec, key, type, Type.BIND);
          propagation = value(spec, key, value);
          if (!PROPAGATIONS.contains(propagation)) {
            throw bad(spec, "bind-propagation '" + propagation + "' is none of "
                + String.join(", ", new java.util.TreeSet<>(PROPAGATIONS)));
          }
        }
        case "tmpfs-size" -> {
          only(spec, key, type, Type.TMPFS);
          size = bytes(spec, value(spec, key, value));
        }
        case "tmpfs-mode" -> {
          only(spec, key, type, Type.TMPFS);
          mode = octal(spec, value(spec, key, value));
        }
        default -> throw bad(spec, "unknown option '" + key + "' (known: type, source, src, "
            + "target, dst, destination, readonly, ro, volume-nocopy, bind-propagation, "
            + "tmpfs-size, tmpfs-mode)");
      }
    }
    if (target == null) {
      throw bad(spec, "no target (target=/path in the container)");
    }
    target = cleanTarget(spec, target);
    switch (type) {
      case VOLUME -> {
        if (source == null) {
          throw bad(spec, "a volume needs a source naming it (anonymous volumes are not "
              + "supported)");
        }
        if (source.length() > 255 || !VolumeName.PATTERN.matcher(source).matches()) {
          throw bad(spec, "volume name '" + source + "' must match [a-zA-Z0-9][a-zA-Z0-9_.-]*");
        }
      }
      case BIND -> {
        if (source == null) {
          throw bad(spec, "a bind mount needs a source (source=/abs/host/dir)");
        }
        if (source.startsWith(".") && workingDirectory != null) {
          source = workingDirectory.toAbsolutePath().resolve(source).normalize().toString();
        }
        if (!source.startsWith("/")) {
          throw bad(spec, "bind source '" + source + "' is not an absolute path"
              + (workingDirectory == null ? "" : " (nor one that starts with ./ or ../)"));
        }
        if (source.indexOf('\0') >= 0) {
          throw bad(spec, "bind source contains a NUL character");
        }
      }
      case TMPFS -> {
        if (source != null) {
          throw bad(spec, "a tmpfs takes no source");
        }
        if (readOnly) {
          throw bad(spec, "a read-only tmpfs could only ever be empty");
        }
      }
    }
    return new Mount(type, source, target, readOnly, noCopy, propagation, size, mode);
  }

  /**
   * Parses several specs, refusing two with the same target.
   *
   * @throws IllegalArgumentException naming the spec and the problem
   */
  public static List<Mount> parseAll(List<String> specs) {
    List<Mount> mounts = new ArrayList<>();
    Set<String> targets = new HashSet<>();
    for (String spec : specs) {
      Mount m = parse(spec);
      if (!targets.add(m.target())) {
        throw bad(spec, "duplicate mount point " + m.target());
      }
      mounts.add(m);
    }
    return List.copyOf(mounts);
  }

  /**
   * The canonical spec: keys in one order, defaults left out, a source or target with a comma or
   * quote quoted ({@link #quote}); {@link #parse} reads it back.
   */
  public String spec() {
    StringBuilder b = new StringBuilder("type=").append(type.id());
    if (source != null) {
      b.append(',').append(quote("source=" + source));
    }
    b.append(',').append(quote("target=" + target));
    if (readOnly) {
      b.append(",readonly");
    }
    if (noCopy) {
      b.append(",volume-nocopy");
    }
    if (propagation != null) {
      b.append(",bind-propagation=").append(propagation);
    }
    if (tmpfsSize > 0) {
      b.append(",tmpfs-size=").append(tmpfsSize);
    }
    if (type == Type.TMPFS && tmpfsMode != DEFAULT_TMPFS_MODE) {
      b.append(",tmpfs-mode=").append(Integer.toOctalString(tmpfsMode));
    }
    return b.toString();
  }

  /** Docker's {@code Mode} of {@code docker inspect}: "z" for volumes, "" otherwise. */
  public String inspectMode() {
    return type == Type.VOLUME ? "z" : "";
  }

  /** Docker's {@code Propagation}: the given one, "rprivate" for binds by default, else "". */
  public String inspectPropagation() {
    return type != Type.BIND ? "" : propagation != null ? propagation : "rprivate";
  }

  @Override
  public String toString() {
    return spec();
  }

  /**
   * {@code field} (such as {@code source=/srv/a,b}) as one field of a spec: as it is, or, when it
   * has a comma, a quote, a line break or white space at an end, in double quotes with its quotes
   * doubled, as Go's CSV writer (and so Docker) quotes it.
   */
  public static String quote(String field) {
    boolean plain = field.strip().equals(field);
    for (int i = 0; plain && i < field.length(); i++) { // a loop: a lambda is spun on first use
      char c = field.charAt(i);
      plain = c != ',' && c != '"' && c != '\n' && c != '\r';
    }
    return plain ? field : '"' + field.replace("\"", "\"\"") + '"';
  }

  /** A field of a spec, and whether it was quoted. */
  private record Field(String text, boolean quoted) {}

  /**
   * The fields of {@code spec}, split as Docker splits a {@code --mount} value, with Go's CSV
   * reader: at commas, except inside a field that begins with a double quote and ends with the
   * next one alone ({@code ""} inside is one quote). A quote elsewhere in a field, text after a
   * closing quote, a quote never closed and a line break outside quotes are refused, naming the
   * column (1-based, in the spec without its leading white space).
   */
  private static List<Field> fields(String spec) {
    String s = spec.strip();
    List<Field> fields = new ArrayList<>();
    int i = 0;
    while (true) {
      if (i < s.length() && s.charAt(i) == '"') {
        int open = i;
        StringBuilder text = new StringBuilder();
        i++;
        while (true) {
          int close = s.indexOf('"', i);
          if (close < 0) {
            throw bad(spec, "unterminated quote: the field opened by the '\"' at column "
                + (open + 1) + " has no closing '\"'");
          }
          text.append(s, i, close);
          i = close + 1;
          if (i < s.length() && s.charAt(i) == '"') {
            text.append('"');
            i++;
          } else {
            break;
          }
        }
        fields.add(new Field(text.toString(), true));
        if (i < s.length() && s.charAt(i) != ',') {
          throw bad(spec, "'" + s.charAt(i) + "' at column " + (i + 1) + " follows a "
              + "closing quote: a quoted field ends at a comma (write \"\" for a quote in it)");
        }
      } else {
        int start = i;
        while (i < s.length() && s.charAt(i) != ',') {
          char c = s.charAt(i);
          if (c == '"') {
            throw bad(spec, "'\"' at column " + (i + 1) + " inside an unquoted field: quote "
                + "the whole field, as \"source=/a,b\" (and write \"\" for a quote in it)");
          }
          if (c == '\n' || c == '\r') {
            throw bad(spec, "a line break at column " + (i + 1) + " outside quotes (one spec "
                + "a line)");
          }
          i++;
        }
        fields.add(new Field(s.substring(start, i), false));
      }
      if (i >= s.length()) {
        return fields;
      }
      i++; // the comma
    }
  }

  private static Type type(String spec, String value) {
    if (value == null) {
      throw bad(spec, "'type' needs a value");
    }
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "volume" -> Type.VOLUME;
      case "bind" -> Type.BIND;
      case "tmpfs" -> Type.TMPFS;
      default -> throw bad(spec, "unknown type '" + value + "' (known: volume, bind, tmpfs)");
    };
  }

  private static String value(String spec, String key, String value) {
    if (value == null || value.isEmpty()) {
      throw bad(spec, "'" + key + "' needs a value");
    }
    return value;
  }

  private static boolean bool(String spec, String key, String value) {
    if (value == null) {
      return true;
    }
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "true", "1" -> true;
      case "false", "0" -> false;
      default -> throw bad(spec, "'" + key + "' is '" + value + "', not true, false, 1 or 0");
    };
  }

  private static void only(String spec, String key, Type type, Type allowed) {
    if (type != allowed) {
      throw bad(spec, "option '" + key + "' is for type=" + allowed.id() + ", not "
          + type.id());
    }
  }

  /** Docker's RAMInBytes: a number with an optional b, k, m, g or t suffix (binary units). */
  private static long bytes(String spec, String value) {
    String v = value.toLowerCase(Locale.ROOT);
    if (v.endsWith("ib")) {
      v = v.substring(0, v.length() - 2);
    } else if (v.endsWith("b") && v.length() > 1 && !Character.isDigit(v.charAt(v.length() - 2))) {
      v = v.substring(0, v.length() - 1);
    }
    int shift = 0;
    if (!v.isEmpty()) {
      char unit = v.charAt(v.length() - 1);
      shift = switch (unit) {
        case 'b' -> 0;
        case 'k' -> 10;
        case 'm' -> 20;
        case 'g' -> 30;
        case 't' -> 40;
        default -> -1;
      };
      if (shift >= 0) {
        v = v.substring(0, v.length() - 1);
      } else {
        shift = 0;
      }
    }
    long n;
    try {
      n = Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw bad(spec, "tmpfs-size '" + value + "' is not a size such as 65536, 64k, 64m or 1g");
    }
    if (n <= 0 || n > (Long.MAX_VALUE >> shift)) {
      throw bad(spec, "tmpfs-size '" + value + "' is not a positive size that fits 64 bits");
    }
    return n << shift;
  }

  private static int octal(String spec, String value) {
    try {
      int mode = Integer.parseInt(value, 8);
      if (mode >= 0 && mode <= 07777) {
        return mode;
      }
    } catch (NumberFormatException e) {
      // refused below
    }
    throw bad(spec, "tmpfs-mode '" + value + "' is not an octal mode such as 1777 or 700");
  }

  /** The target as Docker cleans it: absolute, no empty, "." or ".." names, not the root. */
  private static String cleanTarget(String spec, String target) {
    if (!target.startsWith("/")) {
      throw bad(spec, "target '" + target + "' is not an absolute path");
    }
    if (target.indexOf('\0') >= 0) {
      throw bad(spec, "target contains a NUL character");
    }
    List<String> names = new ArrayList<>();
    for (String name : target.split("/")) {
      if (name.isEmpty() || name.equals(".")) {
        continue;
      }
      if (name.equals("..")) {
        if (!names.isEmpty()) {
          names.remove(names.size() - 1);
        }
        continue;
      }
      names.add(name);
    }
    if (names.isEmpty()) {
      throw bad(spec, "target '" + target + "' is the root: a mount cannot hide the whole "
          + "container");
    }
    return "/" + String.join("/", names);
  }

  private static IllegalArgumentException bad(String spec, String problem) {
    return new IllegalArgumentException("invalid mount spec '" + spec + "': " + problem);
  }
}
