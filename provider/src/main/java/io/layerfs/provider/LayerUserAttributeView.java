package io.layerfs.provider;

import io.layerfs.core.EntryType;
import io.layerfs.core.Node;
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
    return value(name).length;
  }

  @Override
  public int read(String name, ByteBuffer dst) throws IOException {
    java.util.Objects.requireNonNull(name, "'name' is null");
    byte[] value = value(name);
    if (dst.remaining() < value.length) {
      // what getxattr(2) says with a too-small buffer
      throw new FileSystemException(source.toString(), null, "Numerical result out of range");
    }
    dst.put(value);
    return value.length;
  }

  /** The value of one attribute; the error of a missing one is Linux's ENODATA. */
  byte[] value(String name) throws IOException {
    checkName(name);
    byte[] value = xattrs().get(PREFIX + name);
    if (value == null) {
      throw new FileSystemException(source.toString(), null, "No data available");
    }
    return value;
  }

  @Override
  public int write(String name, ByteBuffer src) throws IOException {
    java.util.Objects.requireNonNull(name, "'name' is null");
    checkName(name);
    if (src.remaining() > XATTR_SIZE_MAX) {
      // setxattr(2) says E2BIG, whatever the file system; the JDK's message
      throw new FileSystemException(source.toString(), null,
          "Error writing extended attribute '" + name + "': Argument list too long");
    }
    checkWritable();
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
    LayerAttributes.removeXattr(path, follow, name);
  }

  /** The JDK's own check of a name: with its prefix, at most 255 bytes (XATTR_NAME_MAX). */
  private void checkName(String name) throws FileSystemException {
    String full = PREFIX + name;
    if (full.length() > XATTR_NAME_MAX / 3
        && full.getBytes(StandardCharsets.UTF_8).length > XATTR_NAME_MAX) {
      throw new FileSystemException(source.toString(), null, "'" + full + "' is too big");
    }
  }

  /** Linux keeps {@code user.} attributes on regular files and directories only. */
  private Map<String, byte[]> xattrs() throws IOException {
    EntryType type = typeOf(source.node());
    return type == EntryType.FILE || type == EntryType.DIRECTORY ? source.xattrs() : Map.of();
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
      throw new FileSystemException(source.toString(), null,
          "Too many levels of symbolic links or unable to access attributes of symbolic link");
    }
    return node.type();
  }
}
