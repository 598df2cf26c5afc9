package io.layerfs.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The writing side of an OCI image layout, written from the image-layout spec rather than from
 * layerfs core: {@code oci-layout}, {@code index.json} and {@code blobs/sha256/<hex>}.
 *
 * <p>Two conventions are layerfs' own, so that a layout written here behind a live {@code
 * ContentStore} (same or another process) stays consistent: temp files go to {@code
 * layerfs/tmp/} (gc removes old ones left by a crash), and index.json is rewritten under a file
 * lock on {@code layerfs/index.lock}, the lock core takes for its own index.json edits. Every file
 * is written to a temp file, fsynced and renamed into place, so readers see the old or the new
 * file, never a torn one.
 */
final class OciLayout {
  static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
  static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar";
  static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
  static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
  static final String DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar";
  static final String REF_NAME = "org.opencontainers.image.ref.name";

  private static final String OCI_LAYOUT = "oci-layout";
  private static final String INDEX_JSON = "index.json";
  private static final String STATE_DIR = "layerfs";
  private static final byte[] OCI_LAYOUT_JSON =
      "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.US_ASCII);
  // what a directory may hold for a layout to be created in it: nothing, or a half-made layout
  // oci-layout too: another writer may finish the layout between our check and our listing
  private static final Set<String> LAYOUT_PARTS =
      Set.of("blobs", INDEX_JSON, STATE_DIR, OCI_LAYOUT);
  // OCI ref.name grammar (image-layout annotations): components joined by '/'
  private static final Pattern REF_NAME_GRAMMAR =
      Pattern.compile(
          "[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*"
              + "(?:/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*");
  private static final long LOCK_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(60);
  private static final long LOCK_POLL_MILLIS = 5;
  private static final int BUFFER = 1 << 16;
  // one index.json writer per layout in this JVM: a second FileLock on the file would overlap
  private static final ConcurrentMap<Path, Object> MONITORS = new ConcurrentHashMap<>();

  static final ObjectMapper JSON = new ObjectMapper();

  private final Path root;

  OciLayout(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  Path root() {
    return root;
  }

  static void checkRefName(String name) {
    if (name == null || name.length() > 255 || !REF_NAME_GRAMMAR.matcher(name).matches()) {
      throw new IllegalArgumentException("invalid tag (OCI ref.name): " + name);
    }
  }

  /** A descriptor as the spec orders its fields. */
  static ObjectNode descriptor(String mediaType, String digest, long size) {
    ObjectNode node = JSON.createObjectNode();
    node.put("mediaType", mediaType);
    node.put("digest", digest);
    node.put("size", size);
    return node;
  }

  /** Compact UTF-8 JSON; object fields keep their insertion order, so output is deterministic. */
  static byte[] toBytes(JsonNode node) {
    try {
      return JSON.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a tree of plain nodes always serializes", e);
    }
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  static String digestString(MessageDigest sha256) {
    return "sha256:" + HexFormat.of().formatHex(sha256.digest());
  }

  /**
   * Makes {@code root} a layout if it is not one: creates the directory, {@code blobs/sha256},
   * an empty {@code index.json} and, last (its presence marks a complete layout), {@code
   * oci-layout}.
   *
   * @throws IOException if {@code root} holds other files but no {@code oci-layout}, or its
   *     layout version is not 1.x
   */
  void ensure() throws IOException {
    Path layout = root.resolve(OCI_LAYOUT);
    if (Files.isRegularFile(layout)) {
      JsonNode version = parse(Files.readAllBytes(layout), layout).get("imageLayoutVersion");
      if (version == null || !version.isTextual() || !version.textValue().startsWith("1.")) {
        throw new IOException("unsupported OCI image layout version " + version + " in " + layout);
      }
      if (Files.isRegularFile(root.resolve(INDEX_JSON))) {
        return;
      }
    } else if (Files.isDirectory(root) && !onlyLayoutParts(root)) {
      throw new IOException("not an OCI image layout (no oci-layout file): " + root);
    }
    Files.createDirectories(root.resolve("blobs").resolve("sha256"));
    // under the lock: another writer may be creating the layout, or already tagging in it
    withIndexLock(
        () -> {
          if (!Files.exists(root.resolve(INDEX_JSON))) {
            replace(root.resolve(INDEX_JSON), toBytes(emptyIndex()));
          }
          if (!Files.exists(layout)) {
            replace(layout, OCI_LAYOUT_JSON);
          }
        });
  }

  /** Stores {@code data} as a blob and returns its digest. */
  String write(byte[] data) throws IOException {
    try (Blob blob = newBlob()) {
      blob.write(data);
      return blob.commit();
    }
  }

  /** Starts a blob; the caller commits it, or closes it to throw it away. */
  Blob newBlob() throws IOException {
    return new Blob(newTempFile());
  }

  /**
   * Tags {@code target} as {@code name} in index.json: removes every entry carrying the name
   * (the tag moves, as {@code umoci tag} does), appends one. Other entries and fields stay as
   * read, whoever wrote them.
   */
  void tag(String name, ObjectNode target) throws IOException {
    checkRefName(name);
    withIndexLock(
        () -> {
          Path path = root.resolve(INDEX_JSON);
          ObjectNode index =
              Files.exists(path) ? parse(Files.readAllBytes(path), path) : emptyIndex();
          JsonNode version = index.get("schemaVersion");
          if (version == null || !version.isInt() || version.intValue() != 2) {
            throw new IOException("unsupported schemaVersion in " + path + ": " + version);
          }
          JsonNode old = index.get("manifests");
          if (old != null && !old.isNull() && !old.isArray()) {
            throw new IOException("field 'manifests' in " + path + " is not an array");
          }
          // absent or null (umoci init writes null) starts a new array
          ArrayNode manifests = old instanceof ArrayNode a ? a : index.putArray("manifests");
          for (int i = manifests.size() - 1; i >= 0; i--) {
            JsonNode ref = manifests.get(i).path("annotations").get(REF_NAME);
            if (ref != null && ref.isTextual() && ref.textValue().equals(name)) {
              manifests.remove(i);
            }
          }
          ObjectNode entry = target.deepCopy();
          entry.putObject("annotations").put(REF_NAME, name);
          manifests.add(entry);
          replace(path, toBytes(index));
        });
  }

  private static ObjectNode emptyIndex() {
    ObjectNode index = JSON.createObjectNode();
    index.put("schemaVersion", 2);
    index.put("mediaType", OCI_INDEX);
    index.putArray("manifests");
    return index;
  }

  private static ObjectNode parse(byte[] json, Path what) throws IOException {
    JsonNode node;
    try {
      node = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IOException("malformed JSON in " + what + ": " + e.getOriginalMessage(), e);
    }
    if (!(node instanceof ObjectNode object)) {
      throw new IOException("expected a JSON object in " + what);
    }
    return object;
  }

  private static boolean onlyLayoutParts(Path dir) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.allMatch(p -> LAYOUT_PARTS.contains(p.getFileName().toString()));
    }
  }

  private Path newTempFile() throws IOException {
    Path dir = Files.createDirectories(root.resolve(STATE_DIR).resolve("tmp"));
    return dir.resolve("imagebuilder-" + UUID.randomUUID() + ".tmp");
  }

  /** Durably replaces {@code target} with {@code data}: temp file, fsync, rename, fsync dir. */
  private void replace(Path target, byte[] data) throws IOException {
    Path temp = newTempFile();
    try {
      try (FileChannel ch =
          FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        OutputStream out = Channels.newOutputStream(ch);
        out.write(data);
        ch.force(true);
      }
      move(temp, target);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("cannot rename " + from + " atomically to " + to, e);
    }
    try (FileChannel dir = FileChannel.open(to.getParent(), StandardOpenOption.READ)) {
      dir.force(true);
    }
  }

  private interface IoRunnable {
    void run() throws IOException;
  }

  /**
   * Runs {@code body} holding {@code layerfs/index.lock}, which excludes other processes (core's
   * ContentStore, other builders) and, through the monitor, other builders of this JVM. A
   * ContentStore of this JVM holding the lock shows as an overlapping lock: wait it out too.
   */
  private void withIndexLock(IoRunnable body) throws IOException {
    Path stateDir = Files.createDirectories(root.resolve(STATE_DIR));
    Path lockFile = stateDir.resolve("index.lock");
    // by real path: two spellings of one layout must share the monitor
    Object monitor = MONITORS.computeIfAbsent(stateDir.toRealPath(), k -> new Object());
    synchronized (monitor) {
      try (FileChannel ch =
          FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
        long deadline = System.nanoTime() + LOCK_TIMEOUT_NANOS;
        FileLock lock;
        while ((lock = tryLock(ch)) == null) {
          if (System.nanoTime() - deadline > 0) {
            throw new IOException("gave up after 60 s waiting for the lock " + lockFile);
          }
          try {
            Thread.sleep(LOCK_POLL_MILLIS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for the lock " + lockFile);
          }
        }
        try {
          body.run();
        } finally {
          lock.release();
        }
      }
    }
  }

  private static FileLock tryLock(FileChannel ch) throws IOException {
    try {
      return ch.tryLock();
    } catch (OverlappingFileLockException e) {
      return null; // held by a ContentStore of this JVM
    }
  }

  /**
   * One blob being written: bytes go to a temp file and SHA-256 at once; {@link #commit} fsyncs
   * and renames it to {@code blobs/sha256/<hex>} (or drops it if that blob exists), {@link #close}
   * without a commit throws it away.
   */
  final class Blob extends OutputStream {
    private final Path temp;
    private final FileChannel channel;
    private final OutputStream out;
    private final MessageDigest sha256 = sha256();
    private long size;
    private boolean done;

    private Blob(Path temp) throws IOException {
      this.temp = temp;
      this.channel =
          FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      this.out = new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER);
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (done) {
        throw new IOException("blob is committed or closed");
      }
      sha256.update(b, off, len);
      size += len;
      out.write(b, off, len);
    }

    /** Bytes written so far. */
    long size() {
      return size;
    }

    /** Publishes the blob; returns its digest. */
    String commit() throws IOException {
      if (done) {
        throw new IOException("blob is committed or closed");
      }
      done = true;
      try {
        out.flush();
        channel.force(true);
        channel.close();
        String digest = digestString(sha256);
        Path target = root.resolve("blobs").resolve("sha256").resolve(digest.substring(7));
        if (!Files.exists(target)) {
          Files.createDirectories(target.getParent());
          move(temp, target);
        }
        return digest;
      } finally {
        discard();
      }
    }

    @Override
    public void close() throws IOException {
      if (!done) {
        done = true;
        discard();
      }
    }

    private void discard() throws IOException {
      try {
        channel.close();
      } finally {
        Files.deleteIfExists(temp);
      }
    }
  }
}
