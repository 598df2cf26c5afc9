package io.layerfs.testing;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Builds images into an OCI image layout directory from a small fluent description: layers of tar
 * entries, then config, manifest and an index.json tag. Used by the tests of every module, the
 * {@code demo} command and the benchmarks.
 *
 * <pre>{@code
 * ContentStore store = ContentStore.open(dir);
 * Built built = ImageBuilder.create(store.root())
 *     .layer(LayerCompression.GZIP)
 *         .dir("/etc")
 *         .file("/etc/hosts", "127.0.0.1 localhost\n")
 *         .symlink("/etc/localtime", "/usr/share/zoneinfo/UTC")
 *     .layer(LayerCompression.ZSTD)
 *         .whiteout("/etc/hosts")
 *         .add(Entry.file("/etc/shadow", new byte[0]).mode(0600).owner(0, 42))
 *     .build("demo:1");
 * Image image = Image.resolve(store, built.manifestDigest());
 * }</pre>
 *
 * <h2>Independent of layerfs core</h2>
 *
 * This module depends on the JDK, Commons Compress (tar), zstd-jni and Jackson only, never on
 * core: core's own tests use it, and Maven allows no cycle. That also makes it a better oracle. It
 * writes tars, JSON and the layout from the OCI specs, sharing no code with the reader under test,
 * so a bug in core's model cannot hide itself by being on both sides of a test.
 *
 * <h2>With a ContentStore open on the same layout</h2>
 *
 * Core's {@code ContentStore} keeps nothing of the layout in memory: it reads index.json anew on
 * every call (tags, resolve, tag) and replaces it by an atomic rename. So build with the store's
 * {@code root()} and use the store right after; there is nothing to reopen or refresh. The builder
 * rewrites index.json under the same file lock, {@code layerfs/index.lock}, so a tag from another
 * process cannot be lost. Two things it does not take part in:
 *
 * <ul>
 *   <li>core's in-JVM lock: do not tag or untag through a ContentStore of this JVM from another
 *       thread while a build into the same layout runs (the JDK allows one file lock per file and
 *       process; core's lock call would fail on the builder's). Builders among themselves are
 *       serialized.
 *   <li>ingest leases: a gc running during a build can take its blobs before the tag lands. If a
 *       gc may run meanwhile, hold {@code store.lease()} around {@code build()}.
 * </ul>
 *
 * <h2>Entries</h2>
 *
 * Entries are written in the order given, so a test can put an opaque marker after its siblings,
 * a whiteout next to an entry of the same name, or a hard link before its target. Paths are
 * written relative, as Docker does ({@code /etc/hosts} becomes {@code etc/hosts}, directories get
 * a trailing {@code /}); {@link Entry#rawName()} writes a name byte for byte instead ({@code ./a},
 * {@code a/../b}, {@code ../../etc/passwd}) for hostile-input tests.
 *
 * <p>Tars are POSIX (PAX headers for long names, big numbers and non-ASCII names) with 512-byte
 * records. Output is deterministic: no field defaults to the clock, the user name or the host, so
 * the same description gives the same digests on every run (mtimes and the config's {@code
 * created} default to the epoch).
 *
 * <p>Not thread-safe; one builder per image.
 */
public final class ImageBuilder {
  private static final int BUFFER = 1 << 16;

  private final OciLayout layout;
  private final List<LayerSpec> layers = new ArrayList<>();
  private String os = "linux";
  private String architecture = "amd64";
  private Instant created = Instant.EPOCH;
  private boolean docker;
  private ObjectNode runtime = OciLayout.JSON.createObjectNode();

  private ImageBuilder(Path layout) {
    this.layout = new OciLayout(Objects.requireNonNull(layout, "layout"));
  }

  /**
   * A builder writing into the OCI layout {@code layout} (a ContentStore's {@code root()}). A
   * missing or empty directory becomes a layout on {@link #build}.
   */
  public static ImageBuilder create(Path layout) {
    return new ImageBuilder(layout);
  }

  /** Writes Docker schema 2 media types instead of OCI (no zstd layers then). */
  public ImageBuilder dockerFormat() {
    this.docker = true;
    return this;
  }

  /** The config's platform; linux/amd64 by default. */
  public ImageBuilder platform(String os, String architecture) {
    this.os = Objects.requireNonNull(os, "os");
    this.architecture = Objects.requireNonNull(architecture, "architecture");
    return this;
  }

  /** The config's {@code created} time (and its history entries'); the epoch by default. */
  public ImageBuilder created(Instant created) {
    this.created = Objects.requireNonNull(created, "created");
    return this;
  }

  /**
   * The config's own {@code config} object (Env, Cmd, Entrypoint, WorkingDir, ...), what a
   * container made from the image runs with; empty by default.
   */
  public ImageBuilder runtimeConfig(ObjectNode config) {
    this.runtime = Objects.requireNonNull(config, "config").deepCopy();
    return this;
  }

  /** Starts a new gzip layer; following entries go into it. */
  public ImageBuilder layer() {
    return layer(LayerCompression.GZIP);
  }

  /** Starts a new layer compressed as given; following entries go into it. */
  public ImageBuilder layer(LayerCompression compression) {
    layers.add(new LayerSpec(Objects.requireNonNull(compression, "compression")));
    return this;
  }

  /** Adds an entry to the current layer (starting a gzip layer if there is none yet). */
  public ImageBuilder add(Entry entry) {
    if (layers.isEmpty()) {
      layer();
    }
    layers.get(layers.size() - 1).entries.add(entry.copy());
    return this;
  }

  public ImageBuilder dir(String path) {
    return add(Entry.dir(path));
  }

  public ImageBuilder dir(String path, int mode) {
    return add(Entry.dir(path).mode(mode));
  }

  public ImageBuilder file(String path, byte[] data) {
    return add(Entry.file(path, data));
  }

  /** A file holding {@code text} in UTF-8. */
  public ImageBuilder file(String path, String text) {
    return add(Entry.file(path, text.getBytes(StandardCharsets.UTF_8)));
  }

  public ImageBuilder file(String path, byte[] data, int mode) {
    return add(Entry.file(path, data).mode(mode));
  }

  public ImageBuilder symlink(String path, String target) {
    return add(Entry.symlink(path, target));
  }

  public ImageBuilder hardlink(String path, String target) {
    return add(Entry.hardlink(path, target));
  }

  public ImageBuilder charDevice(String path, int major, int minor) {
    return add(Entry.charDevice(path, major, minor));
  }

  public ImageBuilder blockDevice(String path, int major, int minor) {
    return add(Entry.blockDevice(path, major, minor));
  }

  public ImageBuilder fifo(String path) {
    return add(Entry.fifo(path));
  }

  /** Hides {@code path} of lower layers: writes {@code dir/.wh.name}. */
  public ImageBuilder whiteout(String path) {
    return add(Entry.whiteout(path));
  }

  /** Hides all lower children of {@code dir}: writes {@code dir/.wh..wh..opq}. */
  public ImageBuilder opaque(String dir) {
    return add(Entry.opaque(dir));
  }

  /** Writes the image without tagging it; find it by {@link Built#manifestDigest()}. */
  public Built build() throws IOException {
    return build(null);
  }

  /**
   * Writes layers, config and manifest, and tags the manifest as {@code tag} in index.json
   * (moving the tag if it existed). Blobs first, tag last.
   *
   * @param tag an OCI ref.name such as {@code "1"} or {@code "demo:1"}, or null for no tag
   * @throws IllegalArgumentException before anything is written, for an invalid tag or a zstd
   *     layer in Docker format
   */
  public Built build(String tag) throws IOException {
    if (tag != null) {
      OciLayout.checkRefName(tag);
    }
    List<String> layerTypes = new ArrayList<>();
    for (LayerSpec spec : layers) {
      layerTypes.add(spec.compression.mediaType(docker));
    }
    layout.ensure();

    ArrayNode layerDescriptors = OciLayout.JSON.createArrayNode();
    ArrayNode diffIds = OciLayout.JSON.createArrayNode();
    ArrayNode history = OciLayout.JSON.createArrayNode();
    List<String> layerDigests = new ArrayList<>();
    List<String> diffIdList = new ArrayList<>();
    String time = DateTimeFormatter.ISO_INSTANT.format(created);
    for (int i = 0; i < layers.size(); i++) {
      WrittenLayer written = writeLayer(layers.get(i));
      layerDescriptors.add(OciLayout.descriptor(layerTypes.get(i), written.digest, written.size));
      diffIds.add(written.diffId);
      layerDigests.add(written.digest);
      diffIdList.add(written.diffId);
      ObjectNode h = history.addObject();
      h.put("created", time);
      h.put("created_by", "layerfs ImageBuilder layer " + (i + 1));
    }

    ObjectNode config = OciLayout.JSON.createObjectNode();
    config.put("created", time);
    config.put("architecture", architecture);
    config.put("os", os);
    config.set("config", runtime.deepCopy());
    ObjectNode rootfs = config.putObject("rootfs");
    rootfs.put("type", "layers");
    rootfs.set("diff_ids", diffIds);
    config.set("history", history);
    byte[] configJson = OciLayout.toBytes(config);
    String configDigest = layout.write(configJson);

    ObjectNode manifest = OciLayout.JSON.createObjectNode();
    manifest.put("schemaVersion", 2);
    String manifestType = docker ? OciLayout.DOCKER_MANIFEST : OciLayout.OCI_MANIFEST;
    manifest.put("mediaType", manifestType);
    String configType = docker ? OciLayout.DOCKER_CONFIG : OciLayout.OCI_CONFIG;
    manifest.set("config", OciLayout.descriptor(configType, configDigest, configJson.length));
    manifest.set("layers", layerDescriptors);
    byte[] manifestJson = OciLayout.toBytes(manifest);
    String manifestDigest = layout.write(manifestJson);

    if (tag != null) {
      layout.tag(tag, OciLayout.descriptor(manifestType, manifestDigest, manifestJson.length));
    }
    return new Built(manifestDigest, configDigest, layerDigests, diffIdList);
  }

  /** An uncompressed tar of {@code entries}, written as a layer would be. */
  public static byte[] tar(List<Entry> entries) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    writeTar(entries, out);
    return out.toByteArray();
  }

  private record WrittenLayer(String digest, long size, String diffId) {}

  private WrittenLayer writeLayer(LayerSpec spec) throws IOException {
    try (OciLayout.Blob blob = layout.newBlob()) {
      MessageDigest diff = OciLayout.sha256();
      try (OutputStream tarOut =
          new DigestOutputStream(
              new BufferedOutputStream(spec.compression.compress(shielded(blob)), BUFFER),
              diff)) {
        writeTar(spec.entries, tarOut);
      }
      long size = blob.size();
      return new WrittenLayer(blob.commit(), size, OciLayout.digestString(diff));
    }
  }

  private static void writeTar(List<Entry> entries, OutputStream out) throws IOException {
    try (TarArchiveOutputStream tar =
        new TarArchiveOutputStream(shielded(out), TarConstants.DEFAULT_RCDSIZE, "UTF-8")) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      tar.setAddPaxHeadersForNonAsciiNames(true);
      for (Entry e : entries) {
        tar.putArchiveEntry(e.toTarEntry());
        if (e.kind == Kind.FILE) {
          tar.write(e.data);
        }
        tar.closeArchiveEntry();
      }
      tar.finish();
    }
  }

  /** {@code out} with a close that only flushes: a compressor or tar must finish into it. */
  private static OutputStream shielded(OutputStream out) {
    return new FilterOutputStream(out) {
      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
      }

      @Override
      public void close() throws IOException {
        flush();
      }
    };
  }

  private static final class LayerSpec {
    final LayerCompression compression;
    final List<Entry> entries = new ArrayList<>();

    LayerSpec(LayerCompression compression) {
      this.compression = compression;
    }
  }

  private enum Kind {
    FILE,
    DIRECTORY,
    SYMLINK,
    HARDLINK,
    CHAR_DEVICE,
    BLOCK_DEVICE,
    FIFO
  }

  /**
   * One tar entry: what it is, its path, and the header fields a test may want to set. Defaults:
   * mode 0644 (files, fifos), 0755 (directories), 0777 (symlinks), 0666 (devices); uid/gid 0;
   * empty user and group names; mtime at the epoch.
   *
   * <p>Mutable and fluent; {@link ImageBuilder#add} takes a copy.
   */
  public static final class Entry {
    private final Kind kind;
    private final String path;
    private byte[] data = new byte[0];
    private String linkTarget = "";
    private boolean raw;
    private int mode;
    private long uid;
    private long gid;
    private String userName = "";
    private String groupName = "";
    private Instant mtime = Instant.EPOCH;
    private int devMajor;
    private int devMinor;
    private final Map<String, String> pax = new LinkedHashMap<>();

    private Entry(Kind kind, String path, int mode) {
      this.kind = kind;
      this.path = Objects.requireNonNull(path, "path");
      this.mode = mode;
    }

    public static Entry file(String path, byte[] data) {
      Entry e = new Entry(Kind.FILE, path, 0644);
      e.data = data.clone();
      return e;
    }

    public static Entry dir(String path) {
      return new Entry(Kind.DIRECTORY, path, 0755);
    }

    /** A symbolic link; {@code target} is written as given (relative or absolute). */
    public static Entry symlink(String path, String target) {
      Entry e = new Entry(Kind.SYMLINK, path, 0777);
      e.linkTarget = Objects.requireNonNull(target, "target");
      return e;
    }

    /**
     * A hard link to an earlier entry; {@code target} is a path in the archive, made relative
     * like entry names unless {@link #rawName()} is set.
     */
    public static Entry hardlink(String path, String target) {
      Entry e = new Entry(Kind.HARDLINK, path, 0644);
      e.linkTarget = Objects.requireNonNull(target, "target");
      return e;
    }

    public static Entry charDevice(String path, int major, int minor) {
      Entry e = new Entry(Kind.CHAR_DEVICE, path, 0666);
      e.devMajor = major;
      e.devMinor = minor;
      return e;
    }

    public static Entry blockDevice(String path, int major, int minor) {
      Entry e = new Entry(Kind.BLOCK_DEVICE, path, 0666);
      e.devMajor = major;
      e.devMinor = minor;
      return e;
    }

    public static Entry fifo(String path) {
      return new Entry(Kind.FIFO, path, 0644);
    }

    /** The whiteout file {@code dir/.wh.name} hiding {@code path} in lower layers. */
    public static Entry whiteout(String path) {
      String trimmed = stripTrailingSlashes(path);
      int slash = trimmed.lastIndexOf('/');
      String name = trimmed.substring(slash + 1);
      if (name.isEmpty()) {
        throw new IllegalArgumentException("cannot white out the root: " + path);
      }
      return file(trimmed.substring(0, slash + 1) + ".wh." + name, new byte[0]);
    }

    /** The opaque marker {@code dir/.wh..wh..opq}: lower children of {@code dir} are hidden. */
    public static Entry opaque(String dir) {
      String trimmed = stripTrailingSlashes(dir);
      return file(trimmed + "/.wh..wh..opq", new byte[0]);
    }

    /** Permission bits as the tar header carries them (e.g. {@code 04755}). */
    public Entry mode(int mode) {
      this.mode = mode;
      return this;
    }

    public Entry owner(long uid, long gid) {
      this.uid = uid;
      this.gid = gid;
      return this;
    }

    public Entry names(String userName, String groupName) {
      this.userName = Objects.requireNonNull(userName, "userName");
      this.groupName = Objects.requireNonNull(groupName, "groupName");
      return this;
    }

    /**
     * Modification time. A sub-second part is written as a PAX {@code mtime} header, which
     * Commons Compress rounds to 100 ns; tests needing exact nanoseconds write raw PAX records.
     */
    public Entry mtime(Instant mtime) {
      this.mtime = Objects.requireNonNull(mtime, "mtime");
      return this;
    }

    /** An extended attribute, written as the PAX header {@code SCHILY.xattr.<name>}. */
    public Entry xattr(String name, String value) {
      return pax("SCHILY.xattr." + name, value);
    }

    /**
     * Any PAX extended header. Keys commons-compress interprets itself ({@code path}, {@code
     * size}, {@code mtime}, ...) set the corresponding field instead of being passed through.
     */
    public Entry pax(String key, String value) {
      pax.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /** Writes the path (and a hard link's target) exactly as given, without normalizing it. */
    public Entry rawName() {
      this.raw = true;
      return this;
    }

    Entry copy() {
      Entry e = new Entry(kind, path, mode);
      e.data = data;
      e.linkTarget = linkTarget;
      e.raw = raw;
      e.uid = uid;
      e.gid = gid;
      e.userName = userName;
      e.groupName = groupName;
      e.mtime = mtime;
      e.devMajor = devMajor;
      e.devMinor = devMinor;
      e.pax.putAll(pax);
      return e;
    }

    TarArchiveEntry toTarEntry() {
      String name = raw ? path : relative(path, kind == Kind.DIRECTORY);
      TarArchiveEntry t =
          switch (kind) {
            case FILE -> new TarArchiveEntry(name, TarConstants.LF_NORMAL, true);
            case DIRECTORY -> new TarArchiveEntry(name, TarConstants.LF_DIR, true);
            case SYMLINK -> new TarArchiveEntry(name, TarConstants.LF_SYMLINK, true);
            case HARDLINK -> new TarArchiveEntry(name, TarConstants.LF_LINK, true);
            case CHAR_DEVICE -> new TarArchiveEntry(name, TarConstants.LF_CHR, true);
            case BLOCK_DEVICE -> new TarArchiveEntry(name, TarConstants.LF_BLK, true);
            case FIFO -> new TarArchiveEntry(name, TarConstants.LF_FIFO, true);
          };
      t.setMode(mode);
      t.setUserId(uid);
      t.setGroupId(gid);
      t.setUserName(userName);
      t.setGroupName(groupName);
      t.setLastModifiedTime(FileTime.from(mtime));
      t.setSize(kind == Kind.FILE ? data.length : 0);
      if (kind == Kind.SYMLINK) {
        t.setLinkName(linkTarget);
      } else if (kind == Kind.HARDLINK) {
        t.setLinkName(raw ? linkTarget : relative(linkTarget, false));
      }
      if (kind == Kind.CHAR_DEVICE || kind == Kind.BLOCK_DEVICE) {
        t.setDevMajor(devMajor);
        t.setDevMinor(devMinor);
      }
      pax.forEach(t::addPaxHeader);
      return t;
    }

    private static String relative(String path, boolean directory) {
      int start = 0;
      while (start < path.length() && path.charAt(start) == '/') {
        start++;
      }
      String name = path.substring(start);
      if (directory) {
        name = stripTrailingSlashes(name);
        return name.isEmpty() ? "./" : name + "/";
      }
      if (name.isEmpty()) {
        throw new IllegalArgumentException("entry needs a name: '" + path + "'");
      }
      return name;
    }

    private static String stripTrailingSlashes(String path) {
      int end = path.length();
      while (end > 0 && path.charAt(end - 1) == '/') {
        end--;
      }
      return path.substring(0, end);
    }
  }
}
