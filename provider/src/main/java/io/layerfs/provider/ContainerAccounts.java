package io.layerfs.provider;

import io.layerfs.core.Node;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.HashMap;
import java.util.Map;

/**
 * The names of a file system's users and groups, from its own {@code /etc/passwd} and {@code
 * /etc/group} (what {@code ls -l} shows inside {@code docker exec}), never the host's. A table is
 * read again when its file's identity, time or size changed, so a container that writes its own
 * {@code /etc/passwd} sees the new names at once. A missing or unreadable file gives no names:
 * ids are then shown as numbers, as the JDK shows ids without an entry.
 */
final class ContainerAccounts {
  /** Account files larger than this are not read: an image could make them huge. */
  private static final int MAX_FILE = 4 << 20;

  private final LayerFileSystem fs;
  private final Source users = new Source("/etc/passwd");
  private final Source groups = new Source("/etc/group");

  ContainerAccounts(LayerFileSystem fs) {
    this.fs = fs;
  }

  /** The name of user {@code uid}, or null. */
  String userName(int uid) {
    return users.table().names().get(uid);
  }

  /** The name of group {@code gid}, or null. */
  String groupName(int gid) {
    return groups.table().names().get(gid);
  }

  /** The id of the user named {@code name}, or -1. */
  int uid(String name) {
    return users.table().ids().getOrDefault(name, -1);
  }

  /** The id of the group named {@code name}, or -1. */
  int gid(String name) {
    return groups.table().ids().getOrDefault(name, -1);
  }

  /** One parsed file: id to first name, name to id. */
  private record Table(String version, Map<Integer, String> names, Map<String, Integer> ids) {
    static final Table EMPTY = new Table("", Map.of(), Map.of());
  }

  /** One account file and its last parsed table. */
  private final class Source {
    private final String path;
    private volatile Table table = Table.EMPTY;

    Source(String path) {
      this.path = path;
    }

    Table table() {
      String version;
      try {
        Node node = fs.find((LayerPath) fs.getPath(path), true);
        version = node == null ? "" : node.fileKey() + "/" + node.mtimeNanos() + "/" + node.size();
      } catch (IOException | RuntimeException e) {
        return Table.EMPTY;
      }
      Table current = table;
      if (current.version().equals(version)) {
        return current;
      }
      Table parsed = version.isEmpty() ? Table.EMPTY : parse(version);
      table = parsed;
      return parsed;
    }

    private Table parse(String version) {
      byte[] bytes;
      try (InputStream in = Files.newInputStream(fs.getPath(path))) {
        bytes = in.readNBytes(MAX_FILE + 1);
      } catch (IOException | RuntimeException e) {
        return Table.EMPTY;
      }
      if (bytes.length > MAX_FILE) {
        return new Table(version, Map.of(), Map.of());
      }
      Map<Integer, String> names = new HashMap<>();
      Map<String, Integer> ids = new HashMap<>();
      // name:password:id:... in both files; comments and malformed lines are skipped
      for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
        String[] f = line.split(":", 4);
        if (f.length < 3 || f[0].isEmpty() || f[0].startsWith("#")) {
          continue;
        }
        int id;
        try {
          id = Integer.parseInt(f[2].trim());
        } catch (NumberFormatException e) {
          continue;
        }
        if (id < 0) {
          continue;
        }
        names.putIfAbsent(id, f[0]);
        ids.putIfAbsent(f[0], id);
      }
      return new Table(version, Map.copyOf(names), Map.copyOf(ids));
    }
  }

  /**
   * The file system's lookup of users and groups: names in its own {@code /etc/passwd} and
   * {@code /etc/group}, then decimal ids.
   */
  static UserPrincipalLookupService lookupService(LayerFileSystem fs) {
    return new UserPrincipalLookupService() {
      @Override
      public UserPrincipal lookupPrincipalByName(String name) throws IOException {
        ContainerAccounts a = fs.accounts();
        int uid = a.uid(name);
        uid = uid >= 0 ? uid : parseId(name);
        return new LayerPrincipal.User(uid, a.userName(uid));
      }

      @Override
      public GroupPrincipal lookupPrincipalByGroupName(String group) throws IOException {
        ContainerAccounts a = fs.accounts();
        int gid = a.gid(group);
        gid = gid >= 0 ? gid : parseId(group);
        return new LayerPrincipal.Group(gid, a.groupName(gid));
      }
    };
  }

  private static int parseId(String name) throws UserPrincipalNotFoundException {
    java.util.Objects.requireNonNull(name, "name");
    try {
      int id = Integer.parseInt(name);
      if (id >= 0) {
        return id;
      }
    } catch (NumberFormatException e) {
      // fall through: not a numeric id
    }
    throw new UserPrincipalNotFoundException(name);
  }
}
