package io.layerfs.provider;

import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;

import io.layerfs.core.FileTree;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileSystemException;
import java.nio.file.ProviderMismatchException;
import java.nio.file.attribute.DosFileAttributeView;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Attribute changes by name ({@code Files.setAttribute}) and initial attributes of new files,
 * with the names, value types and errors of the JDK's own Linux views.
 */
final class LayerAttributes {
  /** The umask a container's processes would have; the default provider's is usually this. */
  static final int UMASK = 022;

  private LayerAttributes() {}

  /**
   * The mode of a new file: {@code posix:permissions} from the attributes (or {@code base}),
   * less the umask, as open(2) and mkdir(2) apply it.
   */
  static int createMode(FileAttribute<?>[] attrs, int base) {
    int mode = base;
    for (FileAttribute<?> attr : attrs) {
      String name = attr.name();
      if (!name.equals("posix:permissions") && !name.equals("unix:permissions")) {
        throw new UnsupportedOperationException(
            "'" + name + "' not supported as initial attribute");
      }
      @SuppressWarnings("unchecked")
      Set<PosixFilePermission> perms = (Set<PosixFilePermission>) attr.value();
      mode = bits(perms);
    }
    return mode & ~UMASK;
  }

  static int bits(Set<PosixFilePermission> perms) {
    int mode = 0;
    for (PosixFilePermission perm : perms) {
      mode |= switch (perm) {
        case OWNER_READ -> 0400;
        case OWNER_WRITE -> 0200;
        case OWNER_EXECUTE -> 0100;
        case GROUP_READ -> 040;
        case GROUP_WRITE -> 020;
        case GROUP_EXECUTE -> 010;
        case OTHERS_READ -> 04;
        case OTHERS_WRITE -> 02;
        case OTHERS_EXECUTE -> 01;
      };
    }
    return mode;
  }

  /** {@code Files.setAttribute(path, "view:name", value)}. */
  static void set(LayerPath p, String attribute, Object value, boolean follow)
      throws IOException {
    int colon = attribute.indexOf(':');
    String view = colon < 0 ? "basic" : attribute.substring(0, colon);
    String name = colon < 0 ? attribute : attribute.substring(colon + 1);
    if (view.isEmpty()) {
      throw new IllegalArgumentException(attribute); // the JDK's word for no view name
    }
    switch (view) {
      case "basic", "posix", "unix", "owner" -> setStandard(p, view, name, value, follow);
      case "user" -> setXattr(p, follow, name, bytes(value));
      case "dos" -> setDos(p, name, value, follow);
      default -> throw new UnsupportedOperationException("View '" + view + "' not available");
    }
  }

  /** {@code dos:readonly} and the other flags, or a basic attribute through the dos view. */
  private static void setDos(LayerPath p, String name, Object value, boolean follow)
      throws IOException {
    DosFileAttributeView view = LayerAttributeViews.view(DosFileAttributeView.class,
        LayerAttributeViews.source(p, false, follow), p, follow);
    switch (name) {
      case "readonly" -> view.setReadOnly((Boolean) value);
      case "hidden" -> view.setHidden((Boolean) value);
      case "system" -> view.setSystem((Boolean) value);
      case "archive" -> view.setArchive((Boolean) value);
      default -> setStandard(p, "basic", name, value, follow);
    }
  }

  private static void setStandard(LayerPath p, String view, String name, Object value,
      boolean follow) throws IOException {
    boolean posix = view.equals("posix") || view.equals("unix");
    switch (name) {
      case "lastModifiedTime" -> setTimes(p, follow, (FileTime) value, null);
      case "lastAccessTime" -> setTimes(p, follow, null, (FileTime) value);
      case "creationTime" -> {
        // Linux has no settable birth time: the JDK sets no time, a change of nothing
      }
      case "permissions" -> {
        if (!posix) {
          throw notRecognized(view, name);
        }
        @SuppressWarnings("unchecked")
        Set<PosixFilePermission> perms = (Set<PosixFilePermission>) value;
        setMode(p, follow, bits(perms));
      }
      case "owner" -> {
        if (view.equals("basic")) {
          throw notRecognized(view, name);
        }
        setOwner(p, follow, id((UserPrincipal) value), -1);
      }
      case "group" -> {
        if (!posix) {
          throw notRecognized(view, name);
        }
        setOwner(p, follow, -1, id((java.nio.file.attribute.GroupPrincipal) value));
      }
      case "mode", "uid", "gid" -> {
        if (!view.equals("unix")) {
          throw notRecognized(view, name);
        }
        int v = (Integer) value;
        switch (name) {
          case "mode" -> setMode(p, follow, v & 07777);
          case "uid" -> setOwner(p, follow, v, -1);
          default -> setOwner(p, follow, -1, v);
        }
      }
      default -> throw notRecognized(view, name);
    }
  }

  /**
   * Sets the times given (null: left as it is). Neither given is no change, which the JDK's
   * Linux view returns from at once, without looking at the file: so here, read-only or not.
   */
  static void setTimes(LayerPath p, boolean follow, FileTime mtime, FileTime atime)
      throws IOException {
    if (mtime == null && atime == null) {
      return;
    }
    long m = mtime == null ? FileTree.TIME_UNCHANGED : nanos(mtime);
    long a = atime == null ? FileTree.TIME_UNCHANGED : nanos(atime);
    p.fs().change(p, (c, abs) -> c.setTimes(abs, follow, m, a), ENTRY_MODIFY);
  }

  /** {@code t} in nanoseconds, as {@code FileTime} saturates them, one above "unchanged". */
  private static long nanos(FileTime t) {
    return Math.max(t.to(TimeUnit.NANOSECONDS), FileTree.TIME_UNCHANGED + 1);
  }

  static void setMode(LayerPath p, boolean follow, int mode) throws IOException {
    p.fs().change(p, (c, abs) -> c.setMode(abs, follow, mode), ENTRY_MODIFY);
  }

  static void setOwner(LayerPath p, boolean follow, int uid, int gid) throws IOException {
    p.fs().change(p, (c, abs) -> c.setOwner(abs, follow, uid, gid), ENTRY_MODIFY);
  }

  static void setXattr(LayerPath p, boolean follow, String name, byte[] value)
      throws IOException {
    try {
      p.fs().change(p, (c, abs) -> c.setXattr(abs, follow, "user." + name, value), ENTRY_MODIFY);
    } catch (FileSystemException e) {
      throw LayerUserAttributeView.failed(e, LayerUserAttributeView.WRITE, name);
    }
  }

  static void removeXattr(LayerPath p, boolean follow, String name) throws IOException {
    try {
      p.fs().change(p, (c, abs) -> c.removeXattr(abs, follow, "user." + name), ENTRY_MODIFY);
    } catch (FileSystemException e) {
      throw LayerUserAttributeView.failed(e, LayerUserAttributeView.DELETE, name);
    }
  }

  static int id(UserPrincipal principal) {
    java.util.Objects.requireNonNull(principal, "'owner' is null");
    if (principal instanceof LayerPrincipal layer) {
      return layer.id();
    }
    throw new ProviderMismatchException("not a layerfs user or group: " + principal);
  }

  private static byte[] bytes(Object value) {
    if (value instanceof byte[] b) {
      return b.clone();
    }
    if (value instanceof ByteBuffer buffer) {
      byte[] b = new byte[buffer.remaining()];
      buffer.get(b);
      return b;
    }
    throw new ClassCastException("user attributes take byte[] or ByteBuffer values, not "
        + (value == null ? "null" : value.getClass().getName()));
  }

  private static IllegalArgumentException notRecognized(String view, String name) {
    return new IllegalArgumentException("'" + view + ":" + name + "' not recognized");
  }
}
