package io.layerfs.core.image;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.Compression;
import io.layerfs.core.Digest;
import io.layerfs.core.content.BlobWriter;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.content.Lease;
import io.layerfs.core.internal.FileTrees;
import io.layerfs.core.oci.Descriptor;
import io.layerfs.core.oci.MediaTypes;
import io.layerfs.core.oci.OciJson;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
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
 * Builds images into a {@link ContentStore} from a small fluent description: layers of tar
 * entries, then config, manifest and an index.json tag. Used by tests, the demo and benchmarks.
 *
 * <pre>{@code
 * Image image = ImageBuilder.create(store)
 *     .layer(Compression.GZIP)
 *         .dir("/etc")
 *         .file("/etc/hosts", "127.0.0.1 localhost\n")
 *         .symlink("/etc/localtime", "/usr/share/zoneinfo/UTC")
 *     .layer(Compression.ZSTD)
 *         .whiteout("/etc/hosts")
 *         .add(Entry.file("/etc/shadow", new byte[0]).mode(0600).owner(0, 42))
 *     .build("demo:1");
 * }</pre>
 *
 * <p>Entries are written in the order given, so a test can put an opaque marker after its
 * siblings, a whiteout next to an entry of the same name, or a hard link before its target.
 * Paths are written relative, as Docker does ({@code /etc/hosts} becomes {@code etc/hosts},
 * directories get a trailing {@code /}); {@link Entry#rawName()} writes a name byte for byte
 * instead ({@code ./a}, {@code a/../b}, {@code ../../etc/passwd}) for hostile-input tests.
 *
 * <p>Tars are POSIX (PAX headers for long names, big numbers and non-ASCII names) with 512-byte
 * records. Output is deterministic: no field defaults to the clock, the user name or the host,
 * so the same description gives the same digests on every run (mtimes and the config's {@code
 * created} default to the epoch).
 *
 * <p>Not thread-safe; one builder per image.
 */
public final class ImageBuilder {
  private static final int BUFFER = 1 << 16;

  private final ContentStore store;
  private final List<LayerSpec> layers = new ArrayList<>();
  private String os = Image.DEFAULT_OS;
  private String architecture = Image.DEFAULT_ARCH;
  private Instant created = Instant.EPOCH;
  private boolean docker;

  private ImageBuilder(ContentStore store) {
    this.store = Objects.requireNonNull(store, "store");
  }

  /** A builder writing into {@code store}. */
  public static ImageBuilder create(ContentStore store) {
    return new ImageBuilder(store);
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

  /** Starts a new gzip layer; following entries go into it. */
  public ImageBuilder layer() {
    return layer(Compression.GZIP);
  }

  /** Starts a new layer compressed as given; following entries go into it. */
  public ImageBuilder layer(Compression compression) {
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

  /** Writes the image without tagging it; resolve it by {@link Image#manifestDigest()}. */
  public Image build() throws IOException {
    return build(null);
  }

  /**
   * Writes layers, config and manifest, and tags the manifest as {@code tag} in index.json
   * (moving the tag if it existed).
   *
   * @param tag an OCI ref.name such as {@code "1"} or {@code "demo:1"}, or null for no tag
   */
  public Image build(String tag) throws IOException {
    if (tag != null) {
      ContentStore.checkRefName(tag);
    }
    // blobs first, tag last: the lease keeps gc away in between
    try (Lease lease = store.lease()) {
      return write(tag);
    }
  }

  private Image write(String tag) throws IOException {
    ArrayNode layerDescriptors = OciJson.MAPPER.createArrayNode();
    ArrayNode diffIds = OciJson.MAPPER.createArrayNode();
    ArrayNode history = OciJson.MAPPER.createArrayNode();
    String time = DateTimeFormatter.ISO_INSTANT.format(created);
    for (int i = 0; i < layers.size(); i++) {
      LayerSpec spec = layers.get(i);
      String mediaType = MediaTypes.layerType(spec.compression, docker);
      WrittenLayer written = writeLayer(spec);
      layerDescriptors.add(new Descriptor(mediaType, written.digest, written.size).toJson());
      diffIds.add(written.diffId.toString());
      ObjectNode h = history.addObject();
      h.put("created", time);
      h.put("created_by", "layerfs ImageBuilder layer " + (i + 1));
    }

    ObjectNode config = OciJson.object();
    config.put("created", time);
    config.put("architecture", architecture);
    config.put("os", os);
    config.putObject("config");
    ObjectNode rootfs = config.putObject("rootfs");
    rootfs.put("type", "layers");
    rootfs.set("diff_ids", diffIds);
    config.set("history", history);
    byte[] configJson = OciJson.toBytes(config);
    Digest configDigest = store.write(configJson);

    ObjectNode manifest = OciJson.object();
    manifest.put("schemaVersion", 2);
    String manifestType = docker ? MediaTypes.DOCKER_MANIFEST : MediaTypes.OCI_MANIFEST;
    manifest.put("mediaType", manifestType);
    String configType = docker ? MediaTypes.DOCKER_CONFIG : MediaTypes.OCI_CONFIG;
    manifest.set(
        "config", new Descriptor(configType, configDigest, configJson.length).toJson());
    manifest.set("layers", layerDescriptors);
    byte[] manifestJson = OciJson.toBytes(manifest);
    Digest manifestDigest = store.write(manifestJson);

    if (tag != null) {
      Descriptor target = new Descriptor(manifestType, manifestDigest, manifestJson.length);
      store.updateIndex(index -> index.tag(tag, target));
    }
    return Image.resolve(store, manifestDigest.toString(), os, architecture);
  }

  /** An uncompressed tar of {@code entries}, written as a layer would be. */
  public static byte[] tar(List<Entry> entries) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    writeTar(entries, out);
    return out.toByteArray();
  }

  private record WrittenLayer(Digest digest, long size, Digest diffId) {}

  private WrittenLayer writeLayer(LayerSpec spec) throws IOException {
    try (BlobWriter blob = store.newWriter(null, -1)) {
      MessageDigest diff = Digest.newMessageDigest("sha256");
      // the compressor must finish (and so be closed) without closing the blob writer
      OutputStream shielded =
          new FilterOutputStream(blob) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
              out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
              flush();
            }
          };
      try (OutputStream tarOut =
          new DigestOutputStream(
              new BufferedOutputStream(spec.compression.compress(shielded), BUFFER), diff)) {
        writeTar(spec.entries, tarOut);
      }
      long size = blob.size();
      Digest digest = blob.commit(null, size);
      return new WrittenLayer(digest, size, Digest.of("sha256", diff.digest()));
    }
  }

  private static void writeTar(List<Entry> entries, OutputStream out) throws IOException {
    OutputStream shielded = FileTrees.shielded(out);
    try (TarArchiveOutputStream tar =
        new TarArchiveOutputStream(shielded, TarConstants.DEFAULT_RCDSIZE, "UTF-8")) {
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

  private static final class LayerSpec {
    final Compression compression;
    final List<Entry> entries = new ArrayList<>();

    LayerSpec(Compression compression) {
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
