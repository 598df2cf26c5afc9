package io.layerfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.image.Images;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Damages each kind of file a store keeps, the ways an operations team meets damage (one byte
 * flipped, zeroed, truncated, deleted, swapped for another), and asserts the only outcomes layerfs
 * allows: the damage heals (every path reads exactly as before), or the open or read is refused
 * with an {@link IOException} naming what is damaged, and the refusal deletes nothing. Never
 * wrong bytes, never a silent loss.
 *
 * <p>The store holds umoci's {@code base} image and a container written in two sessions: the
 * first closed (its writes compacted into {@code meta.snap}), the second killed by {@link
 * CrashingWriter} (its writes only in {@code meta.log}). A container data file's bytes carry no
 * checksum (as on a host file system), so only its absence or truncation is detected.
 */
final class FaultInjectionIT {
  private static final String TAG = UmociImages.BASE;
  private static final String CONTAINER = "c";
  private static final String README = "/usr/share/doc/readme";
  private static final String ADDED = "/etc/added";
  private static final Duration LIMIT = Duration.ofSeconds(60);

  @TempDir static Path shared;

  /** The layout as umoci made it, never opened by layerfs. */
  private static Path layoutOnly;
  /** The layout after use: uncompressed layers, indexes and the container. */
  private static Path used;
  private static Map<String, String> imageTree;
  private static Map<String, String> containerTree;
  private static Map<String, String> containerTreeBeforeLastOp;
  private static byte[] readme;
  private static Image image;
  private static Image otherImage;

  /** What a case reads after the damage. */
  enum View {
    /** A read-only view of the image, in a store layerfs has used. */
    IMAGE,
    /** The container, opened read-write. */
    CONTAINER,
    /** A read-only view of the image, in a layout layerfs never opened. */
    FRESH_IMAGE
  }

  /** What layerfs must make of the damage. */
  enum Outcome {
    /** Every path reads as before the damage. */
    HEALED,
    /** An IOException naming the damaged object; nothing deleted. */
    REFUSED,
    /** A torn last log record: the container shows the state before its operation. */
    TORN
  }

  /** One damaged file, the view that reads it, and what must come of it. */
  record Case(String name, View view, Function<Path, List<Path>> targets, Damage damage,
      Outcome outcome, Function<Path, String> named) {
    @Override
    public String toString() {
      return name;
    }
  }

  interface Damage {
    void apply(Path file) throws IOException;
  }

  @BeforeAll
  static void prepare() throws Exception {
    UmociImages images = UmociImages.build(shared.resolve("images"));
    layoutOnly = shared.resolve("layout-only");
    copyTree(images.layout(), layoutOnly);
    used = shared.resolve("used");
    copyTree(images.layout(), used);

    ContentStore store = ContentStore.open(used);
    image = Images.resolve(store, TAG);
    otherImage = Images.resolve(store, UmociImages.LAYERED);
    try (FileSystem fs = LayerFs.open(used, TAG)) {
      imageTree = read(fs);
      readme = Files.readAllBytes(fs.getPath(README));
    }
    try (FileSystem fs = LayerFs.open(used, UmociImages.LAYERED)) {
      read(fs); // its top layer's index exists, to swap in for another's
    }
    // first session: closed, so compacted into meta.snap
    try (FileSystem fs = container(used, Map.of("image", TAG))) {
      Files.write(fs.getPath(ADDED), random(100_000, 1));
      try (FileChannel c = FileChannel.open(fs.getPath(README), StandardOpenOption.WRITE)) {
        c.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5}), 70_000);
      }
      Files.createDirectory(fs.getPath("/newdir"));
    }
    // second session: killed, so its records are only in meta.log
    Process p = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        CrashingWriter.class.getName(), used.toString(), CONTAINER)
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), "the crashing writer failed: " + out);
    try (FileSystem fs = container(used, Map.of("readOnly", true))) {
      containerTree = read(fs);
    }
    assertTrue(containerTree.containsKey("/newdir/sub"), "the killed session's last mkdir");
    assertFalse(containerTree.containsKey("/usr/share/doc/block"), "its last delete");
    containerTreeBeforeLastOp = new TreeMap<>(containerTree);
    containerTreeBeforeLastOp.put("/usr/share/doc/block", imageTree.get("/usr/share/doc/block"));
  }

  static Stream<Case> cases() {
    Function<Path, List<Path>> uncompressed = s -> List.of(blob(s, layer().diffId().hex()));
    Function<Path, List<Path>> compressed = s -> List.of(blob(s, layer().digest().hex()));
    Function<Path, List<Path>> both =
        s -> List.of(blob(s, layer().diffId().hex()), blob(s, layer().digest().hex()));
    Function<Path, List<Path>> index = s -> List.of(index(s, layer().diffId().hex()));
    Function<Path, List<Path>> manifest = s -> List.of(blob(s, image.manifestDigest().hex()));
    Function<Path, List<Path>> config = s -> List.of(blob(s, image.configDigest().hex()));
    Function<Path, List<Path>> indexJson = s -> List.of(s.resolve("index.json"));
    Function<Path, List<Path>> json = s -> List.of(containerDir(s).resolve("container.json"));
    Function<Path, List<Path>> log = s -> List.of(containerDir(s).resolve("meta.log"));
    Function<Path, List<Path>> snap = s -> List.of(containerDir(s).resolve("meta.snap"));
    Function<Path, List<Path>> addedData = s -> List.of(dataFileStarting(s, random(100_000, 1)));
    Function<Path, List<Path>> readmeData = s -> List.of(dataFileWith(s, 70_000,
        new byte[] {1, 2, 3, 4, 5}));
    Function<Path, String> diffId = s -> layer().diffId().hex();
    Function<Path, String> digest = s -> layer().digest().hex();
    Function<Path, String> none = s -> "";

    Damage flipInReadme = f -> flip(f, indexOf(f, Arrays.copyOf(readme, 4096)) + 1000);
    List<Case> all = new ArrayList<>();
    for (View v : List.of(View.IMAGE, View.CONTAINER)) {
      String p = v.name().toLowerCase() + ": ";
      all.add(new Case(p + "uncompressed layer, byte flipped in a file", v, uncompressed,
          flipInReadme, Outcome.HEALED, none));
      all.add(new Case(p + "uncompressed layer zeroed", v, uncompressed,
          FaultInjectionIT::zero, Outcome.HEALED, none));
      all.add(new Case(p + "uncompressed layer truncated", v, uncompressed,
          FaultInjectionIT::halve, Outcome.HEALED, none));
      all.add(new Case(p + "uncompressed layer deleted", v, uncompressed,
          Files::delete, Outcome.HEALED, none));
      all.add(new Case(p + "uncompressed and compressed layer damaged", v, both,
          f -> flip(f, f.getFileName().toString().equals(layer().diffId().hex())
              ? indexOf(f, Arrays.copyOf(readme, 4096)) + 1000 : Files.size(f) / 2),
          Outcome.REFUSED, diffId));
      all.add(new Case(p + "layer index byte flipped", v, index,
          f -> flip(f, Files.size(f) / 2), Outcome.HEALED, none));
      all.add(new Case(p + "layer index truncated", v, index,
          FaultInjectionIT::halve, Outcome.HEALED, none));
      all.add(new Case(p + "layer index zeroed", v, index,
          FaultInjectionIT::zero, Outcome.HEALED, none));
      all.add(new Case(p + "layer index deleted", v, index,
          Files::delete, Outcome.HEALED, none));
      all.add(new Case(p + "layer index of another layer", v, index,
          f -> Files.copy(index(used, top(otherImage).diffId().hex()), f,
              java.nio.file.StandardCopyOption.REPLACE_EXISTING), Outcome.HEALED, none));
      all.add(new Case(p + "manifest byte flipped", v, manifest,
          f -> flip(f, Files.size(f) / 2), Outcome.REFUSED,
          s -> image.manifestDigest().hex()));
      all.add(new Case(p + "config byte flipped", v, config,
          f -> flip(f, Files.size(f) / 2), Outcome.REFUSED, s -> image.configDigest().hex()));
    }
    View f = View.FRESH_IMAGE;
    all.add(new Case("fresh: compressed layer byte flipped", f, compressed,
        g -> flip(g, Files.size(g) / 2), Outcome.REFUSED, digest));
    all.add(new Case("fresh: compressed layer truncated", f, compressed,
        FaultInjectionIT::halve, Outcome.REFUSED, digest));
    all.add(new Case("fresh: compressed layer zeroed", f, compressed,
        FaultInjectionIT::zero, Outcome.REFUSED, digest));
    all.add(new Case("fresh: compressed layer deleted", f, compressed,
        Files::delete, Outcome.REFUSED, digest));
    all.add(new Case("fresh: index.json truncated", f, indexJson,
        FaultInjectionIT::halve, Outcome.REFUSED, s -> "index.json"));

    View c = View.CONTAINER;
    all.add(new Case("container.json truncated", c, json,
        FaultInjectionIT::halve, Outcome.REFUSED, s -> "container.json"));
    all.add(new Case("container.json zeroed", c, json,
        FaultInjectionIT::zero, Outcome.REFUSED, s -> "container.json"));
    all.add(new Case("container.json deleted", c, json,
        Files::delete, Outcome.REFUSED, s -> "container.json"));
    all.add(new Case("meta.log byte flipped in the middle", c, log,
        g -> flip(g, lastNonZero(g) / 2), Outcome.REFUSED, s -> "meta.log"));
    all.add(new Case("meta.log zeroed", c, log,
        FaultInjectionIT::zero, Outcome.REFUSED, s -> "meta.log"));
    all.add(new Case("meta.log deleted", c, log,
        Files::delete, Outcome.REFUSED, s -> "meta.log"));
    all.add(new Case("meta.log last record torn", c, log,
        g -> truncate(g, lastNonZero(g) - 3), Outcome.TORN, none));
    all.add(new Case("meta.snap byte flipped", c, snap,
        g -> flip(g, Files.size(g) / 2), Outcome.REFUSED, s -> "meta.snap"));
    all.add(new Case("meta.snap truncated", c, snap,
        FaultInjectionIT::halve, Outcome.REFUSED, s -> "meta.snap"));
    all.add(new Case("meta.snap deleted", c, snap,
        Files::delete, Outcome.REFUSED, s -> "meta.snap"));
    all.add(new Case("data file of a new file deleted", c, addedData,
        Files::delete, Outcome.REFUSED, s -> ADDED));
    all.add(new Case("data file of a new file truncated", c, addedData,
        FaultInjectionIT::halve, Outcome.REFUSED, s -> ADDED));
    all.add(new Case("data file of a copied-up file truncated", c, readmeData,
        g -> truncate(g, 0), Outcome.REFUSED, s -> README));
    return all.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void damageHealsOrIsRefused(Case k) throws Exception {
    Path store = shared.resolve("case-" + Integer.toHexString(k.name().hashCode()));
    copyTree(k.view() == View.FRESH_IMAGE ? layoutOnly : used, store);
    for (Path target : k.targets().apply(store)) {
      k.damage().apply(target);
    }
    Set<String> before = files(store);
    Map<String, String> expected = switch (k.outcome()) {
      case TORN -> containerTreeBeforeLastOp;
      default -> k.view() == View.CONTAINER ? containerTree : imageTree;
    };
    Object result = assertTimeoutPreemptively(LIMIT, () -> {
      try {
        return (Object) openAndRead(k.view(), store);
      } catch (IOException e) {
        return e;
      }
    }, () -> k + ": did not finish in " + LIMIT);
    if (result instanceof IOException e) {
      if (k.outcome() != Outcome.REFUSED) {
        throw new AssertionError(k + ": expected to heal, refused instead", e);
      }
      String message = messages(e);
      String name = k.named().apply(store);
      assertTrue(message.contains(name), () -> k + ": the error does not name " + name + ": "
          + message);
      Set<String> missing = new TreeSet<>(before);
      missing.removeAll(files(store));
      assertEquals(Set.of(), missing, k + ": a refusal deleted files");
      return;
    }
    @SuppressWarnings("unchecked")
    Map<String, String> actual = (Map<String, String>) result;
    if (k.outcome() == Outcome.REFUSED) {
      if (!actual.equals(expected)) {
        fail(k + ": wrong content served without an error: " + difference(expected, actual));
      }
      fail(k + ": expected a refusal, but every path read as before");
    }
    assertTrue(expected.equals(actual), () -> k + ": " + difference(expected, actual));
    // healed damage stays healed: a second open reads the same
    Map<String, String> again = openAndRead(k.view(), store);
    assertTrue(expected.equals(again), () -> k + " (second open): " + difference(expected, again));
  }

  /**
   * fsck on the same damage, before anything reads it: every damaged file is a problem (a
   * missing derived file and a torn last record are not damage), and a repair leaves a store
   * that checks clean wherever the read would have healed.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void fsckFindsTheDamageAndRepairsWhatHeals(Case k) throws Exception {
    Path store = shared.resolve("fsck-" + Integer.toHexString(k.name().hashCode()));
    copyTree(k.view() == View.FRESH_IMAGE ? layoutOnly : used, store);
    for (Path target : k.targets().apply(store)) {
      k.damage().apply(target);
    }
    boolean derivedGone = k.name().endsWith("layer deleted") && k.outcome() == Outcome.HEALED
        || k.name().endsWith("index deleted");
    io.layerfs.core.FsckReport found = fsck(store, false);
    if (k.outcome() == Outcome.TORN || derivedGone) {
      assertTrue(found.ok(), () -> k + ": " + found.problems());
      return;
    }
    assertFalse(found.ok(), k + ": fsck found nothing");
    if (k.outcome() == Outcome.HEALED) {
      io.layerfs.core.FsckReport repaired = fsck(store, true);
      assertTrue(repaired.ok(), () -> k + ": after repair " + repaired.problems());
      assertTrue(fsck(store, false).ok(), () -> k + ": a second check after repair");
      Map<String, String> expected = k.view() == View.CONTAINER ? containerTree : imageTree;
      Map<String, String> actual = openAndRead(k.view(), store);
      assertTrue(expected.equals(actual), () -> k + ": " + difference(expected, actual));
    }
  }

  private static io.layerfs.core.FsckReport fsck(Path store, boolean repair) throws IOException {
    try (io.layerfs.core.store.Store s = io.layerfs.core.store.Store.open(store)) {
      return s.fsck(repair, io.layerfs.core.Progress.NONE);
    }
  }

  @Test
  void cliCatFailsWithTheLayerNamedWhenNothingCanHeal() throws IOException {
    Path store = shared.resolve("cli");
    copyTree(used, store);
    flip(blob(store, layer().diffId().hex()), indexOf(blob(store, layer().diffId().hex()),
        Arrays.copyOf(readme, 4096)) + 1000);
    Files.delete(blob(store, layer().digest().hex()));
    LayerfsCli.Result r = LayerfsCli.runFailing(store, "cat", TAG, README);
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.stderr().contains(layer().diffId().hex()), r.toString());
    assertTrue(r.stdout().length() < 1000 + 64 * 1024, "served bytes past the damage: "
        + r.stdout().length());
  }

  // ------------------------------------------------------------------------------- reading

  private static Map<String, String> openAndRead(View view, Path store) throws IOException {
    return switch (view) {
      case IMAGE, FRESH_IMAGE -> {
        try (FileSystem fs = LayerFs.open(store, TAG)) {
          yield read(fs);
        }
      }
      case CONTAINER -> {
        try (FileSystem fs = container(store, Map.of())) {
          yield read(fs);
        }
      }
    };
  }

  private static FileSystem container(Path store, Map<String, Object> more) throws IOException {
    Map<String, Object> env = new TreeMap<>(more);
    env.put("store", store);
    return FileSystems.newFileSystem(URI.create("layerfs://" + CONTAINER), env);
  }

  /**
   * Every path of {@code fs}: its type, and for a file the SHA-256 of its bytes read twice, with
   * {@code readAllBytes} and with a {@code transferTo} loop (which must end).
   */
  private static Map<String, String> read(FileSystem fs) throws IOException {
    Map<String, String> tree = new TreeMap<>();
    Files.walkFileTree(fs.getPath("/"), new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
        tree.put(dir.toString(), "dir");
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        if (attrs.isSymbolicLink()) {
          tree.put(file.toString(), "link " + Files.readSymbolicLink(file));
        } else if (attrs.isRegularFile()) {
          byte[] bytes = Files.readAllBytes(file);
          String transferred = transferred(file, attrs.size());
          String sum = sha256(bytes);
          if (!sum.equals(transferred)) {
            throw new AssertionError(file + ": read and transferTo disagree");
          }
          tree.put(file.toString(), "file " + bytes.length + " " + sum);
        } else {
          tree.put(file.toString(), "other");
        }
        return FileVisitResult.CONTINUE;
      }
    });
    return tree;
  }

  private static String transferred(Path file, long size) throws IOException {
    MessageDigest md = sha256();
    try (FileChannel c = FileChannel.open(file)) {
      WritableByteChannel sink = new WritableByteChannel() {
        @Override
        public int write(ByteBuffer src) {
          int n = src.remaining();
          md.update(src);
          return n;
        }

        @Override
        public boolean isOpen() {
          return true;
        }

        @Override
        public void close() {}
      };
      long pos = 0;
      for (int rounds = 0; pos < size; rounds++) {
        long n = c.transferTo(pos, size - pos, sink);
        if (n <= 0 && rounds > 1000) {
          throw new AssertionError(file + ": transferTo makes no progress at " + pos);
        }
        pos += n;
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  // ------------------------------------------------------------------------------- targets

  private static Layer layer() {
    return image.layers().get(image.layers().size() - 1);
  }

  private static Layer top(Image i) {
    return i.layers().get(i.layers().size() - 1);
  }

  private static Path blob(Path store, String hex) {
    return store.resolve("blobs/sha256").resolve(hex);
  }

  private static Path index(Path store, String hex) {
    return store.resolve("layerfs/index/sha256").resolve(hex);
  }

  private static Path containerDir(Path store) {
    return store.resolve("layerfs/containers").resolve(CONTAINER);
  }

  /** The container data file whose bytes begin with {@code prefix}. */
  private static Path dataFileStarting(Path store, byte[] prefix) {
    return dataFile(store, bytes -> bytes.length >= prefix.length
        && Arrays.equals(Arrays.copyOf(bytes, prefix.length), prefix));
  }

  /** The container data file holding {@code expected} at {@code offset}. */
  private static Path dataFileWith(Path store, int offset, byte[] expected) {
    return dataFile(store, bytes -> bytes.length >= offset + expected.length
        && Arrays.equals(Arrays.copyOfRange(bytes, offset, offset + expected.length), expected));
  }

  private static Path dataFile(Path store, java.util.function.Predicate<byte[]> matches) {
    try (Stream<Path> s = Files.list(containerDir(store).resolve("data"))) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (matches.test(Files.readAllBytes(p))) {
          return p;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    throw new AssertionError("no such data file in " + containerDir(store));
  }

  // ------------------------------------------------------------------------------- damage

  private static void flip(Path f, long offset) throws IOException {
    try (FileChannel c = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      c.read(b, offset);
      b.put(0, (byte) (b.get(0) ^ 0x5a)).rewind();
      c.write(b, offset);
    }
  }

  private static void zero(Path f) throws IOException {
    Files.write(f, new byte[(int) Files.size(f)]);
  }

  private static void halve(Path f) throws IOException {
    truncate(f, Files.size(f) / 2);
  }

  private static void truncate(Path f, long size) throws IOException {
    try (FileChannel c = FileChannel.open(f, StandardOpenOption.WRITE)) {
      c.truncate(size);
    }
  }

  private static long indexOf(Path f, byte[] needle) throws IOException {
    byte[] hay = Files.readAllBytes(f);
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new AssertionError(f + " does not hold the bytes looked for");
  }

  private static long lastNonZero(Path f) throws IOException {
    byte[] all = Files.readAllBytes(f);
    int i = all.length - 1;
    while (i >= 0 && all[i] == 0) {
      i--;
    }
    if (i < 16) {
      throw new AssertionError(f + " holds no records");
    }
    return i;
  }

  // ------------------------------------------------------------------------------- helpers

  private static Set<String> files(Path store) throws IOException {
    Set<String> names = new TreeSet<>();
    try (Stream<Path> s = Files.walk(store)) {
      s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
          .map(p -> store.relativize(p).toString())
          .filter(n -> !n.endsWith("lock") && !n.contains(".tmp"))
          .forEach(names::add);
    }
    return names;
  }

  private static String messages(Throwable t) {
    StringBuilder sb = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      sb.append(c).append(" | ");
    }
    return sb.toString();
  }

  private static String difference(Map<String, String> expected, Map<String, String> actual) {
    List<String> out = new ArrayList<>();
    Set<String> keys = new TreeSet<>(expected.keySet());
    keys.addAll(actual.keySet());
    for (String k : keys) {
      if (!String.valueOf(expected.get(k)).equals(String.valueOf(actual.get(k)))) {
        out.add(k + ": expected " + expected.get(k) + ", actual " + actual.get(k));
      }
    }
    return out.size() > 10 ? out.subList(0, 10) + " and " + (out.size() - 10) + " more"
        : out.toString();
  }

  private static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  private static String sha256(byte[] b) {
    return HexFormat.of().formatHex(sha256().digest(b));
  }

  private static void copyTree(Path from, Path to) {
    Tools.run("cp", "-a", from.toString(), to.toString());
  }
}
