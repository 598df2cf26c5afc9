package io.layerfs.core.registry;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What containers-registries.conf(5) says about where an image is pulled from, as skopeo and
 * podman read it: the {@code [[registry]]} table whose {@code prefix} is the longest match of a
 * reference, that registry's real {@code location}, its mirrors (tried first, as {@code
 * mirror-by-digest-only} and {@code pull-from-mirror} allow), and whether it is {@code blocked}
 * or {@code insecure}. The version 1 format's {@code [registries.insecure]} and {@code
 * [registries.block]} lists count as such tables. Short names and aliases are not read: a
 * reference without a registry is Docker Hub's, as Docker and skopeo's {@code docker://} take
 * it. Immutable.
 */
final class RegistriesConf {
  static final RegistriesConf NONE = new RegistriesConf(List.of());

  private static final Path SYSTEM_FILE = Path.of("/etc/containers/registries.conf");
  private static final Path SYSTEM_DIR = Path.of("/etc/containers/registries.conf.d");
  private static final String ENV = "CONTAINERS_REGISTRIES_CONF";
  /** The keys of registry tables: files without them are not parsed. */
  private static final List<String> REGISTRY_KEYS = List.of("registry", "registries");
  private static final String WILDCARD = "\\*(\\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)+";

  /** Which mirrors serve which pulls ({@code pull-from-mirror}). */
  enum PullFrom { ALL, DIGEST_ONLY, TAG_ONLY }

  /** A place a registry's images are at: {@code location} empty for a wildcard's own host. */
  record Endpoint(String location, boolean insecure, PullFrom pullFrom) {}

  /** One {@code [[registry]]} table, and the file it came from. */
  record Registry(String prefix, Endpoint primary, boolean blocked, boolean mirrorByDigestOnly,
      List<Endpoint> mirrors, Path file) {}

  /**
   * Where a pull of a reference may come from, in order: its repository there, and whether that
   * endpoint may be spoken to in plain HTTP or unverified TLS.
   */
  record Source(Reference reference, boolean insecure) {}

  private final List<Registry> registries;

  /**
   * The files containers/image reads: {@code givenOrNull}, else {@code
   * $CONTAINERS_REGISTRIES_CONF} (as podman reads it), else {@code
   * ~/.config/containers/registries.conf} if it exists, else {@code
   * /etc/containers/registries.conf}; then the drop-in {@code *.conf} files of {@code
   * /etc/containers/registries.conf.d} and {@code ~/.config/containers/registries.conf.d} in name
   * order (only the latter's when the user's own file is read), each replacing the tables of the
   * same prefix. A file given by name must exist; the default ones need not.
   */
  static RegistriesConf load(Path givenOrNull, Map<String, String> env, String home)
      throws IOException {
    return load(givenOrNull, env, home, SYSTEM_FILE, SYSTEM_DIR);
  }

  /** As {@link #load(Path, Map, String)} with another system file and directory (for tests). */
  static RegistriesConf load(Path givenOrNull, Map<String, String> env, String home,
      Path systemFile, Path systemDir) throws IOException {
    Path userFile = home == null || home.isEmpty() ? null
        : Path.of(home, ".config", "containers", "registries.conf");
    Path userDir = userFile == null ? null : userFile.resolveSibling("registries.conf.d");
    Path main;
    boolean named = true;
    List<Path> dirs = new ArrayList<>();
    String fromEnv = env.get(ENV);
    if (givenOrNull != null) {
      main = givenOrNull;
    } else if (fromEnv != null && !fromEnv.isEmpty()) {
      main = Path.of(fromEnv);
    } else if (userFile != null && Files.exists(userFile)) {
      main = userFile;
      named = false;
    } else {
      main = systemFile;
      named = false;
    }
    if (!main.equals(userFile)) {
      dirs.add(systemDir);
    }
    if (userDir != null) {
      dirs.add(userDir);
    }
    Map<String, Registry> byPrefix = new LinkedHashMap<>();
    merge(byPrefix, read(main, named, false));
    for (Path dir : dirs) {
      for (Path file : dropIns(dir)) {
        merge(byPrefix, read(file, true, true));
      }
    }
    return byPrefix.isEmpty() ? NONE : new RegistriesConf(byPrefix.values());
  }

  private RegistriesConf(java.util.Collection<Registry> registries) {
    List<Registry> sorted = new ArrayList<>(registries);
    if (sorted.size() > 1) {
      // containers/image sorts the tables by prefix: of two as long, '*.' comes first
      sorted.sort(java.util.Comparator.comparing(Registry::prefix));
    }
    this.registries = List.copyOf(sorted);
  }

  /** The tables of {@code text} alone (for tests). */
  static RegistriesConf parse(String text, Path file) throws IOException {
    return new RegistriesConf(parse(text.getBytes(StandardCharsets.UTF_8), file, false));
  }

  /**
   * The table whose prefix matches {@code reference}'s repository name (its tag or digest not
   * counted, as containers/image matches) and is the longest, or null; of equally long ones, the
   * first in prefix order.
   */
  Registry find(Reference reference) {
    String ref = reference.name();
    Registry best = null;
    int bestLength = -1;
    for (Registry r : registries) {
      // scored by the prefix's length, as containers/image scores it: a wildcard's is its own
      // ("*.example.com"), not that of the host it matched
      int length = matchLength(ref, r.prefix()) < 0 ? -1 : r.prefix().length();
      if (length > bestLength) {
        best = r;
        bestLength = length;
      }
    }
    return best;
  }

  /**
   * Where a pull of {@code reference} is tried, in order: the mirrors its table allows for it,
   * then its location (the reference itself when no table matches).
   *
   * @throws IOException when its table blocks it, or a rewritten reference does not parse
   */
  List<Source> pullSources(Reference reference) throws IOException {
    Registry r = find(reference);
    if (r == null) {
      return List.of(new Source(reference, false));
    }
    boolean digested = reference.digest() != null;
    List<Endpoint> endpoints = new ArrayList<>();
    for (Endpoint mirror : r.mirrors()) {
      boolean allowed = r.mirrorByDigestOnly() ? digested : switch (mirror.pullFrom()) {
        case ALL -> true;
        case DIGEST_ONLY -> digested;
        case TAG_ONLY -> !digested;
      };
      if (allowed) {
        endpoints.add(mirror);
      }
    }
    endpoints.add(r.primary());
    List<Source> sources = new ArrayList<>();
    for (Endpoint e : endpoints) {
      sources.add(new Source(rewrite(reference, r, e), e.insecure()));
    }
    return sources;
  }

  /**
   * Why {@code reference} may not be spoken to, or null: the table its repository falls under
   * sets {@code blocked = true}. As containers/image, this is asked of each place a pull goes
   * to (a mirror of a blocked registry serves; a mirror's own {@code blocked} counts for
   * nothing) and of a push's target.
   */
  String blocked(Reference reference) {
    Registry r = find(reference);
    if (r == null || !r.blocked()) {
      return null;
    }
    return "registry " + reference.endpoint() + ": " + reference.name() + " is blocked ("
        + r.file() + " sets blocked = true for the prefix '" + r.prefix() + "')";
  }

  /** Whether the table {@code reference} falls under sets {@code insecure = true}. */
  boolean insecure(Reference reference) {
    Registry r = find(reference);
    return r != null && r.primary().insecure();
  }

  private static Reference rewrite(Reference reference, Registry r, Endpoint e)
      throws IOException {
    if (e.location().isEmpty()) {
      return reference; // a wildcard's table without a location rewrites nothing
    }
    String ref = reference.name();
    String rewritten = e.location() + ref.substring(matchLength(ref, r.prefix()))
        + (reference.tag() != null ? ":" + reference.tag() : "")
        + (reference.digest() != null ? "@" + reference.digest() : "");
    try {
      return Reference.parse(rewritten);
    } catch (IllegalArgumentException ex) {
      throw new IOException(r.file() + ": the prefix '" + r.prefix() + "' with the location '"
          + e.location() + "' turns " + ref + " into " + rewritten + ", which is no reference: "
          + ex.getMessage(), ex);
    }
  }

  /**
   * How much of {@code ref} the prefix matches, -1 for none: all of it, or up to a {@code /},
   * {@code :} or {@code @}; a {@code *.domain} prefix matches the host's subdomains of it.
   */
  static int matchLength(String ref, String prefix) {
    if (prefix.startsWith("*.")) {
      String domain = prefix.substring(1);
      int host = ref.indexOf('/');
      String hostPart = host < 0 ? ref : ref.substring(0, host);
      int colon = hostPart.indexOf(':');
      String name = colon < 0 ? hostPart : hostPart.substring(0, colon);
      return name.endsWith(domain) && name.length() > domain.length() ? name.length() : -1;
    }
    if (!ref.startsWith(prefix)) {
      return -1;
    }
    if (ref.length() == prefix.length()) {
      return prefix.length();
    }
    char next = ref.charAt(prefix.length());
    return next == '/' || next == ':' || next == '@' ? prefix.length() : -1;
  }

  private static void merge(Map<String, Registry> byPrefix, List<Registry> later) {
    for (Registry r : later) {
      byPrefix.remove(r.prefix()); // a later file's table replaces one of the same prefix
      byPrefix.put(r.prefix(), r);
    }
  }

  private static List<Path> dropIns(Path dir) throws IOException {
    List<Path> files = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return files;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path p : entries) {
        if (p.getFileName().toString().endsWith(".conf") && Files.isRegularFile(p)) {
          files.add(p);
        }
      }
    }
    files.sort(null);
    return files;
  }

  private static List<Registry> read(Path file, boolean mustExist, boolean dropIn)
      throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      if (mustExist) {
        throw new NoSuchFileException(file.toString(), null, "registries configuration " + file
            + ": no such file (named by --registries-conf, env key registriesConf or"
            + " $CONTAINERS_REGISTRIES_CONF)");
      }
      return List.of();
    }
    return parse(bytes, file, dropIn);
  }

  private static List<Registry> parse(byte[] bytes, Path file, boolean dropIn)
      throws IOException {
    // most such files hold comments and short-name aliases only: no TOML parser for them
    if (!mayHoldRegistries(new String(bytes, StandardCharsets.UTF_8))) {
      return List.of();
    }
    JsonNode root;
    try {
      root = new TomlMapper().readTree(bytes);
    } catch (JacksonException e) {
      throw new IOException(file + ": not valid TOML: " + e.getOriginalMessage()
          + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")"), e);
    }
    if (root == null || !root.isObject()) {
      return List.of();
    }
    JsonNode v1 = root.get("registries");
    JsonNode v2 = root.get("registry");
    if (v1 != null && (v2 != null || root.has("unqualified-search-registries"))) {
      throw new IOException(file + ": mixes the version 1 format ([registries.*]) with version 2"
          + " ([[registry]], unqualified-search-registries), which containers/image refuses");
    }
    if (v1 != null) {
      if (dropIn) {
        throw new IOException(file + ": a drop-in file must be in the version 2 format"
            + " ([[registry]] tables), not [registries.*]");
      }
      return version1(v1, file);
    }
    if (v2 == null) {
      return List.of();
    }
    if (!v2.isArray()) {
      throw new IOException(file + ": 'registry' must be an array of tables ([[registry]])");
    }
    List<Registry> registries = new ArrayList<>();
    Map<String, Registry> byLocation = new LinkedHashMap<>();
    for (JsonNode table : v2) {
      Registry r = registry(table, file);
      Registry same = byLocation.putIfAbsent(r.primary().location().isEmpty() ? r.prefix()
          : r.primary().location(), r);
      if (same != null && (same.blocked() != r.blocked()
          || same.primary().insecure() != r.primary().insecure())) {
        throw new IOException(file + ": the registry '" + r.primary().location() + "' is"
            + " defined more than once with different 'insecure' or 'blocked' settings");
      }
      if (registries.stream().noneMatch(o -> o.prefix().equals(r.prefix()))) {
        registries.add(r); // containers/image keeps the first table of a prefix
      }
    }
    return registries;
  }

  /**
   * Whether {@code text} has a registry table's header, or a registry key before its first
   * table (an alias named {@code registry} in {@code [aliases]} is neither).
   */
  static boolean mayHoldRegistries(String text) {
    // by hand: on a pull's way in a fresh JVM, without a regular expression to compile
    boolean inTable = false;
    for (String line : text.lines().toList()) {
      String t = line.strip();
      if (t.startsWith("[")) {
        int start = 1;
        while (start < t.length() && (t.charAt(start) == '[' || t.charAt(start) == ' ')) {
          start++;
        }
        if (startsWithKey(t, start)) {
          return true;
        }
        inTable = true;
      } else if (!inTable && startsWithKey(t, 0)) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code t} has {@code registry} or {@code registries} at {@code at}, a whole key. */
  private static boolean startsWithKey(String t, int at) {
    int from = at < t.length() && t.charAt(at) == '"' ? at + 1 : at;
    for (String key : REGISTRY_KEYS) {
      int end = from + key.length();
      if (t.startsWith(key, from)
          && (end == t.length() || !Character.isLetterOrDigit(t.charAt(end)))) {
        return true;
      }
    }
    return false;
  }

  private static List<Registry> version1(JsonNode v1, Path file) throws IOException {
    Map<String, boolean[]> flags = new LinkedHashMap<>(); // location -> {insecure, blocked}
    for (String kind : List.of("insecure", "block")) {
      JsonNode list = v1.path(kind).get("registries");
      if (list == null) {
        continue;
      }
      if (!list.isArray()) {
        throw new IOException(file + ": registries." + kind + ".registries must be an array");
      }
      for (JsonNode entry : list) {
        String location = location(entry.isTextual() ? entry.asText() : null,
            "registries." + kind + ".registries", file);
        flags.computeIfAbsent(location, k -> new boolean[2])[kind.equals("insecure") ? 0 : 1] =
            true;
      }
    }
    List<Registry> registries = new ArrayList<>();
    for (Map.Entry<String, boolean[]> e : flags.entrySet()) {
      registries.add(new Registry(e.getKey(), new Endpoint(e.getKey(), e.getValue()[0],
          PullFrom.ALL), e.getValue()[1], false, List.of(), file));
    }
    return registries;
  }

  private static Registry registry(JsonNode table, Path file) throws IOException {
    if (!table.isObject()) {
      throw new IOException(file + ": an entry of [[registry]] is not a table");
    }
    String location = location(text(table, "location", file), "location", file);
    String prefix = text(table, "prefix", file);
    String where = file + ": [[registry]] "
        + (prefix != null ? "prefix '" + prefix + "'" : "location '" + location + "'");
    if (prefix == null || prefix.isEmpty()) {
      if (location.isEmpty()) {
        throw new IOException(file + ": a [[registry]] table sets neither prefix nor location");
      }
      prefix = location;
    } else {
      prefix = location(prefix, "prefix", file);
      if (prefix.contains("*") && !prefix.matches(WILDCARD)) {
        throw new IOException(where + ": a wildcard prefix must be '*.' and a domain, as"
            + " *.example.com");
      }
    }
    if (location.isEmpty() && !prefix.startsWith("*.")) {
      throw new IOException(where + ": no location, which only a wildcard prefix (*.example.com)"
          + " may leave out");
    }
    if (table.has("pull-from-mirror")) {
      throw new IOException(where + ": pull-from-mirror is a mirror's setting, not a registry's");
    }
    boolean byDigest = flag(table, "mirror-by-digest-only", where);
    List<Endpoint> mirrors = new ArrayList<>();
    JsonNode list = table.get("mirror");
    if (list != null) {
      if (!list.isArray()) {
        throw new IOException(where + ": 'mirror' must be an array of tables"
            + " ([[registry.mirror]])");
      }
      for (JsonNode m : list) {
        if (!m.isObject()) {
          throw new IOException(where + ": an entry of [[registry.mirror]] is not a table");
        }
        String mirrorLocation = location(text(m, "location", where), "mirror location", where);
        if (mirrorLocation.isEmpty()) {
          throw new IOException(where + ": a mirror has no location");
        }
        String pull = text(m, "pull-from-mirror", where);
        PullFrom from = pullFrom(pull, where, mirrorLocation);
        if (byDigest && pull != null && !pull.isEmpty()) {
          throw new IOException(where + ": mirror-by-digest-only and the pull-from-mirror of"
              + " the mirror '" + mirrorLocation + "' cannot both be set");
        }
        mirrors.add(new Endpoint(mirrorLocation, flag(m, "insecure", where), from));
      }
    }
    return new Registry(prefix, new Endpoint(location, flag(table, "insecure", where),
        PullFrom.ALL), flag(table, "blocked", where), byDigest, mirrors, file);
  }

  private static PullFrom pullFrom(String value, Object where, String mirror)
      throws IOException {
    if (value == null || value.isEmpty() || value.equals("all")) {
      return PullFrom.ALL;
    }
    return switch (value) {
      case "digest-only" -> PullFrom.DIGEST_ONLY;
      case "tag-only" -> PullFrom.TAG_ONLY;
      default -> throw new IOException(where + ": the mirror '" + mirror + "' has pull-from-mirror"
          + " '" + value + "'; expected all, digest-only or tag-only");
    };
  }

  /** A location or prefix: trailing slashes dropped, no URI scheme, lower-case-free checks. */
  private static String location(String value, String key, Object where) throws IOException {
    if (value == null) {
      return "";
    }
    String trimmed = value.replaceAll("/+$", "");
    String lower = trimmed.toLowerCase(Locale.ROOT);
    if (lower.startsWith("http://") || lower.startsWith("https://")) {
      throw new IOException(where + ": " + key + " '" + value + "' has a URI scheme; give"
          + " host[:port][/path] only");
    }
    return trimmed;
  }

  private static String text(JsonNode table, String key, Object where) throws IOException {
    JsonNode v = table.get(key);
    if (v == null) {
      return null;
    }
    if (!v.isTextual()) {
      throw new IOException(where + ": '" + key + "' must be a string, not " + v);
    }
    return v.asText();
  }

  private static boolean flag(JsonNode table, String key, Object where) throws IOException {
    JsonNode v = table.get(key);
    if (v == null) {
      return false;
    }
    if (!v.isBoolean()) {
      throw new IOException(where + ": '" + key + "' must be true or false, not " + v);
    }
    return v.asBoolean();
  }
}
