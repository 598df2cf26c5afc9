package io.layerfs.provider;

import io.layerfs.core.EntryType;
import io.layerfs.core.Node;
import io.layerfs.core.internal.PathErrors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@code user} view: the {@code user.*} extended attributes (from the layers' PAX {@code
 * SCHILY.xattr.user.*} records, or set in the container), named without the {@code user.} prefix
 * as the JDK's Linux view names them.
 */
final class LayerUserAttributeView implements UserDefinedFileAttributeView {
  private static final String PREFIX = "user.";
  private static final int XATTR_NAME_MAX = 255;
  private static final int XATTR_SIZE_MAX = 65536;
  // the JDK's words for a failed call, before the attribute's name and the error's
  private static final String SIZE = "Unable to get size of extended attribute";
  private static final String READ = "Error reading extended attribute";
  static final String WRITE = "Error writing extended attribute";
  static final String DELETE = "Unable to delete extended attribute";
  private static final String INVALID = "Invalid argument";

  private final LayerAttributeViews.Source source;
  private final LayerPath path;
  private final boolean follow;

  LayerUserAttributeView(LayerAttributeViews.Source source, LayerPath path, boolean follow) {
    this.source = source;
    this.path = path;
    this.follow = follow;
  }

  @Override
  public String name() {
    return "user";
  }

  @Override
  public List<String> list() throws IOException {
    List<String> names = new ArrayList<>();
    for (String key : xattrs().keySet()) {
      if (key.startsWith(PREFIX)) {
        names.add(key.substring(PREFIX.length()));
      }
    }
    return names;
  }

  @Override
  public int size(String name) throws IOException {
    java.util.Objects.requireNonNull(name, "'name' is null");
    return value(name, SIZE).length;
  }

  @Override
  public int read(String name, ByteBuffer dst) throws IOException {
    java.util.Objects.requireNonNull(name, "'name' is null");
    if (dst.isReadOnly()) {
      throw new IllegalArgumentException("Read-only buffer");
    }
    byte[] value = value(name, READ);
    if (dst.remaining() < value.length) {
      // getxattr(2)'s ERANGE, as the JDK words it
      throw failed(source.toString(), READ, name, "Insufficient space in buffer");
    }
    dst.put(value);
    return value.length;
  }

  /**
   * The value of one attribute, as {@code Files.readAttributes} reads it (its size first); the
   * error of a missing one is Linux's ENODATA.
   */
  byte[] value(String name) throws IOException {
    return value(name, SIZE);
  }

  /**
   * The value of one attribute, or null where the file has none of that name; where a mount's
   * file system keeps no such attributes, its "Operation not supported", naming no call (as the
   * JDK's {@code dos} view reports it).
   */
  byte[] valueOrNull(String name) throws IOException {
    return keepsXattrs() ? source.xattr(PREFIX + name) : null;
  }

  private byte[] value(String name, String call) throws IOException {
    checkName(name);
    boolean kept = keepsXattrs();
    if (name.isEmpty()) {
      throw failed(source.toString(), call, name, INVALID);
    }
    byte[] value;
    try {
      value = kept ? source.xattr(PREFIX + name) : null;
    } catch (FileSystemException e) {
      throw failed(e, call, name);
    }
    if (value == null) {
      throw failed(source.toString(), call, name, "No data available");
    }
    return value;
  }

  @Override
  public int write(String name, ByteBuffer src) throws IOException {
    java.util.Objects.requireNonNull(name, "'name' is null");
    checkName(name);
    if (src.remaining() > XATTR_SIZE_MAX) {
      // setxattr(2) says E2BIG, whatever the file system
      throw failed(source.toString(), WRITE, name, "Argument list too long");
    }
    checkWritable();
    checkNotEmpty(name, WRITE);
    byte[] value = new byte[src.remaining()];
    src.get(value);
    LayerAttributes.setXattr(path, follow, name, value);
    return value.length;
  }

  @Override
  public void delete(String name) throws IOException {
    java.util.Objects.requireNonNull(name, "'name' is null");
    checkName(name);
    checkWritable();
    checkNotEmpty(name, DELETE);
    LayerAttributes.removeXattr(path, follow, name);
  }

  /**
   * {@code e} worded as the JDK's view words an error of the {@code call} itself, once the file
   * was reached (ENODATA, EROFS, EPERM, ENOSPC, ...); {@code e} as it is when the file could not
   * be reached (no such file, a link in a loop or not to be followed, not a directory).
   */
  static FileSystemException failed(FileSystemException e, String call, String name) {
    String reason = e.getReason();
    if (e.getClass() != FileSystemException.class || reason == null
        || reason.equals("Not a directory") || reason.equals("File name too long")
        || reason.equals(PathErrors.TOO_MANY_LINKS)
        || reason.startsWith(call + " '")) { // a mount's host view worded it already
      return e;
    }
    FileSystemException worded = failed(e.getFile(), call, name, reason);
    worded.initCause(e);
    return worded;
  }

  private static FileSystemException failed(String file, String call, String name,
      String reason) {
    return new FileSystemException(file, null, call + " '" + name + "': " + reason);
  }

  /** The JDK's own check of a name: with its prefix, at most 255 bytes (XATTR_NAME_MAX). */
  private void checkName(String name) throws FileSystemException {
    String full = PREFIX + name;
    if (full.length() > XATTR_NAME_MAX / 3
        && full.getBytes(StandardCharsets.UTF_8).length > XATTR_NAME_MAX) {
      throw new FileSystemException(source.toString(), null, "'" + full + "' is too big");
    }
  }

  /** The bare prefix names no attribute: Linux's EINVAL, once the file is reached. */
  private void checkNotEmpty(String name, String call) throws IOException {
    if (name.isEmpty()) {
      xattrs();
      throw failed(source.toString(), call, name, INVALID);
    }
  }

  private Map<String, byte[]> xattrs() throws IOException {
    return keepsXattrs() ? source.xattrs() : Map.of();
  }

  /** Linux keeps {@code user.} attributes on regular files and directories only. */
  private boolean keepsXattrs() throws IOException {
    EntryType type = typeOf(source.node());
    return type == EntryType.FILE || type == EntryType.DIRECTORY;
  }

  /** A link not followed is refused here; another special file by its tree (EPERM). */
  private void checkWritable() throws IOException {
    if (!follow) {
      typeOf(source.node());
    }
  }

  /** A link not followed: the JDK's own view opens it with O_NOFOLLOW, and says so. */
  private EntryType typeOf(Node node) throws FileSystemException {
    if (node.type() == EntryType.SYMLINK) {
      throw PathErrors.tooManyLinks(source.toString());
    }
    return node.type();
  }
}
