package io.layerfs.provider;

import io.layerfs.core.Layer;
import io.layerfs.core.Node;
import io.layerfs.core.internal.NotADirectory;
import java.io.IOException;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.DosFileAttributeView;
import java.nio.file.attribute.DosFileAttributes;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileOwnerAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The attribute views of a layerfs path: {@code basic}, {@code posix}, {@code unix}, {@code owner},
 * {@code user}, {@code dos} and {@code layer}, by class and by the JDK's "view:name,name" strings.
 *
 * <p>The names and value types of the {@code unix} view are those of the JDK's own Linux view
 * ({@code mode}, {@code ino}, {@code dev}, {@code rdev}, {@code nlink}, {@code uid}, {@code gid},
 * {@code ctime}), so code written against the default file system reads them unchanged.
 */
final class LayerAttributeViews {
  static final Set<String> SUPPORTED =
      Set.of("basic", "posix", "unix", "owner", "user", "dos", "layer");

  private static final List<String> BASIC = List.of("lastModifiedTime", "lastAccessTime",
      "creationTime", "size", "isRegularFile", "isDirectory", "isSymbolicLink", "isOther",
      "fileKey");
  private static final List<String> POSIX = List.of("permissions", "owner", "group");
  private static final List<String> UNIX =
      List.of("mode", "ino", "dev", "rdev", "nlink", "uid", "gid", "ctime");
  private static final List<String> DOS = List.of("readonly", "hidden", "system", "archive");
  private static final List<String> LAYER = List.of("index", "diffId", "digest", "mediaType");

  /** Reads the attributes of one path: the lookup a view does when asked. */
  interface Source {
    /**
     * The attributes, with the errors of reading attributes ({@link
     * io.layerfs.core.internal.NotADirectory}).
     */
    LayerFileAttributes read() throws IOException;

    /** The node, with the errors of opening the file (as reading extended attributes does). */
    Node node() throws IOException;

    /** The file's extended attributes, read from its mount's file system where it is in one. */
    Map<String, byte[]> xattrs() throws IOException;

    /**
     * One extended attribute by full name, null where the file has none; a mount's file system
     * that keeps none says "Operation not supported".
     */
    byte[] xattr(String name) throws IOException;

    List<Layer> layers();
  }

  private LayerAttributeViews() {}

  /**
   * What the views of {@code p} read through; {@code asRead}: a path through a file as reading
   * attributes reports it on this JDK ({@link NotADirectory#whenRead}), else "Not a directory".
   * Here rather than in the provider, which would load {@link Source} when it is verified.
   */
  static Source source(LayerPath p, boolean asRead, boolean follow) {
    return new Source() {
      @Override
      public LayerFileAttributes read() throws IOException {
        try {
          return new LayerFileAttributes(p.fs().lookup(p, follow), p.fs().accounts());
        } catch (java.nio.file.FileSystemException e) {
          throw asRead ? NotADirectory.whenRead(e) : e;
        }
      }

      @Override
      public Node node() throws IOException {
        return p.fs().lookup(p, follow);
      }

      @Override
      public Map<String, byte[]> xattrs() throws IOException {
        return p.fs().xattrs(p, follow);
      }

      @Override
      public byte[] xattr(String name) throws IOException {
        return p.fs().xattr(p, follow, name);
      }

      @Override
      public List<Layer> layers() {
        return p.fs().layers();
      }

      @Override
      public String toString() {
        return p.toString();
      }
    };
  }

  @SuppressWarnings("unchecked")
  static <V extends FileAttributeView> V view(
      Class<V> type, Source source, LayerPath path, boolean follow) {
    if (type == BasicFileAttributeView.class) {
      return (V) new Posix(source, "basic", path, follow);
    }
    if (type == PosixFileAttributeView.class) {
      return (V) new Posix(source, "posix", path, follow);
    }
    if (type == FileOwnerAttributeView.class) {
      return (V) new Posix(source, "owner", path, follow);
    }
    if (type == UserDefinedFileAttributeView.class) {
      return (V) new LayerUserAttributeView(source, path, follow);
    }
    if (type == DosFileAttributeView.class) {
      return (V) new LayerDosAttributeView(source, path, follow);
    }
    if (type == LayerFileAttributeView.class) {
      return (V) (LayerFileAttributeView) () -> origin(source);
    }
    return null;
  }

  static LayerFileAttributeView.Origin origin(Source source) throws IOException {
    int index = source.read().node().layer();
    if (index < 0) {
      return LayerFileAttributeView.Origin.UPPER;
    }
    Layer layer = source.layers().get(index);
    return new LayerFileAttributeView.Origin(index, layer.diffId(), layer.digest(),
        layer.mediaType());
  }

  /** {@code Files.readAttributes(path, "view:a,b")}. */
  static Map<String, Object> read(String attributes, Source source) throws IOException {
    int colon = attributes.indexOf(':');
    String view = colon < 0 ? "basic" : attributes.substring(0, colon);
    String names = colon < 0 ? attributes : attributes.substring(colon + 1);
    if (view.isEmpty()) {
      throw new IllegalArgumentException(attributes); // the JDK's word for no view name
    }
    if (view.equals("user")) {
      return readUser(names, new LayerUserAttributeView(source, null, true));
    }
    List<String> known = switch (view) {
      case "basic" -> BASIC;
      case "posix" -> concat(BASIC, POSIX);
      case "unix" -> concat(concat(BASIC, POSIX), UNIX);
      case "owner" -> List.of("owner");
      case "dos" -> concat(BASIC, DOS);
      case "layer" -> LAYER;
      default -> throw new UnsupportedOperationException("View '" + view + "' not available");
    };
    List<String> wanted;
    if (names.equals("*")) {
      wanted = known;
    } else {
      wanted = List.of(names.split(","));
      for (String name : wanted) {
        if (!name.equals("*") && !known.contains(name)) {
          throw new IllegalArgumentException("'" + name + "' not recognized");
        }
      }
      if (wanted.contains("*")) {
        wanted = known;
      }
    }
    if (view.equals("dos")) {
      DosFileAttributes dos = new LayerDosAttributeView(source, null, true).readAttributes();
      Map<String, Object> map = new LinkedHashMap<>();
      for (String name : wanted) {
        map.put(name, value(dos, name));
      }
      return map;
    }
    LayerFileAttributes attrs = source.read();
    LayerFileAttributeView.Origin origin = view.equals("layer") ? origin(source) : null;
    Map<String, Object> map = new LinkedHashMap<>();
    try {
      for (String name : wanted) {
        map.put(name, origin != null ? value(origin, name) : value(attrs, name));
      }
    } catch (java.io.UncheckedIOException e) {
      // a lazy view's link count opens its whole tree, which may fail (the registry gone)
      throw e.getCause();
    }
    return map;
  }

  /** {@code user:name,name} or {@code user:*}: values as byte arrays, as the JDK gives them. */
  private static Map<String, Object> readUser(String names, LayerUserAttributeView view)
      throws IOException {
    Map<String, Object> map = new LinkedHashMap<>();
    List<String> wanted = names.equals("*") ? view.list() : List.of(names.split(","));
    for (String name : wanted) {
      if (name.equals("*")) {
        for (String each : view.list()) {
          map.put(each, view.value(each));
        }
      } else {
        map.put(name, view.value(name));
      }
    }
    return map;
  }

  private static Object value(LayerFileAttributeView.Origin origin, String name) {
    return switch (name) {
      case "index" -> origin.index();
      case "diffId" -> origin.diffId() == null ? null : origin.diffId().toString();
      case "digest" -> origin.digest() == null ? null : origin.digest().toString();
      default -> origin.mediaType();
    };
  }

  private static Object value(DosFileAttributes a, String name) {
    return switch (name) {
      case "readonly" -> a.isReadOnly();
      case "hidden" -> a.isHidden();
      case "system" -> a.isSystem();
      case "archive" -> a.isArchive();
      default -> basicValue(a, name);
    };
  }

  private static Object value(LayerFileAttributes a, String name) {
    return switch (name) {
      case "permissions" -> a.permissions();
      case "owner" -> a.owner();
      case "group" -> a.group();
      case "mode" -> a.unixMode();
      case "ino" -> a.node().fileKey();
      case "dev" -> a.node().device();
      case "rdev" -> a.rdev();
      case "nlink" -> a.node().linkCount();
      case "uid" -> a.node().uid();
      case "gid" -> a.node().gid();
      case "ctime" -> a.changeTime();
      default -> basicValue(a, name);
    };
  }

  private static Object basicValue(BasicFileAttributes a, String name) {
    return switch (name) {
      case "lastModifiedTime" -> a.lastModifiedTime();
      case "lastAccessTime" -> a.lastAccessTime();
      case "creationTime" -> a.creationTime();
      case "size" -> a.size();
      case "isRegularFile" -> a.isRegularFile();
      case "isDirectory" -> a.isDirectory();
      case "isSymbolicLink" -> a.isSymbolicLink();
      case "isOther" -> a.isOther();
      case "fileKey" -> a.fileKey();
      default -> throw new IllegalArgumentException("'" + name + "' not recognized");
    };
  }

  private static List<String> concat(List<String> a, List<String> b) {
    var all = new java.util.ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  /** One object serves the basic, owner and posix views: all read the same lookup. */
  private record Posix(Source source, String name, LayerPath path, boolean follow)
      implements PosixFileAttributeView {
    @Override
    public PosixFileAttributes readAttributes() throws IOException {
      return source.read();
    }

    @Override
    public UserPrincipal getOwner() throws IOException {
      return source.read().owner();
    }

    /**
     * As the JDK's Linux view: null leaves a time as it is; Linux has no settable birth time.
     * Both null is no change, accepted as the JDK accepts it: on a read-only file system too.
     */
    @Override
    public void setTimes(FileTime lastModifiedTime, FileTime lastAccessTime, FileTime createTime)
        throws IOException {
      LayerAttributes.setTimes(path, follow, lastModifiedTime, lastAccessTime);
    }

    @Override
    public void setPermissions(Set<PosixFilePermission> perms) throws IOException {
      LayerAttributes.setMode(path, follow, LayerAttributes.bits(perms));
    }

    @Override
    public void setOwner(UserPrincipal owner) throws IOException {
      LayerAttributes.setOwner(path, follow, LayerAttributes.id(owner), -1);
    }

    @Override
    public void setGroup(GroupPrincipal group) throws IOException {
      LayerAttributes.setOwner(path, follow, -1, LayerAttributes.id(group));
    }
  }
}
