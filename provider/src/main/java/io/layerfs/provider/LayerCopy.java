package io.layerfs.provider;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_DELETE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;

import io.layerfs.core.EntryType;
import io.layerfs.core.FileHandle;
import io.layerfs.core.Node;
import io.layerfs.core.internal.NotADirectory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.CopyOption;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Set;

/**
 * {@code Files.copy} between layerfs paths, and {@code Files.move} between two layerfs file
 * systems, with the default provider's rules: a directory is copied empty, a symbolic link is
 * copied as a link with {@code NOFOLLOW_LINKS}, {@code COPY_ATTRIBUTES} copies mode, owner and
 * times, and an existing target is replaced only with {@code REPLACE_EXISTING}.
 */
final class LayerCopy {
  private static final Set<OpenOption> READ = Set.of(StandardOpenOption.READ);
  private static final Set<OpenOption> CREATE_NEW =
      Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW);

  private LayerCopy() {}

  static void copy(LayerPath source, LayerPath target, CopyOption... options) throws IOException {
    boolean replace = false;
    boolean attributes = false;
    boolean follow = true;
    for (CopyOption option : options) {
      if (option == StandardCopyOption.REPLACE_EXISTING) {
        replace = true;
      } else if (option == StandardCopyOption.COPY_ATTRIBUTES) {
        attributes = true;
      } else if (option == LinkOption.NOFOLLOW_LINKS) {
        follow = false;
      } else if (option == null) {
        throw new NullPointerException();
      } else {
        throw new UnsupportedOperationException("Unsupported copy option: " + option);
      }
    }
    target.fs().writable(target);
    Node node = sourceNode(source, follow);
    Node existing = existing(target);
    if (existing != null) {
      // as the JDK: the target is not followed, and a copy onto itself does nothing
      if (source.fs() == target.fs() && existing.fileKey() == node.fileKey()) {
        return;
      }
      if (!replace) {
        throw new FileAlreadyExistsException(target.toString());
      }
      target.fs().change(target, (c, p) -> c.delete(p), ENTRY_DELETE);
    }
    switch (node.type()) {
      case DIRECTORY -> target.fs().change(target,
          (c, p) -> c.createDirectory(p, node.mode() & 01777 & ~LayerAttributes.UMASK),
          ENTRY_CREATE);
      case SYMLINK -> target.fs().change(target,
          (c, p) -> c.createSymbolicLink(p, node.linkTarget()), ENTRY_CREATE);
      case FILE -> {
        copyData(source, target, node);
        target.fs().changed(target, ENTRY_CREATE);
        if (node.size() > 0) {
          target.fs().changed(target, ENTRY_MODIFY); // the JDK's copy writes what it created
        }
      }
      default -> throw new IOException(source + ": copying " + node.type().name().toLowerCase()
          + " nodes is not supported");
    }
    if (attributes) {
      copyAttributes(node, userXattrs(source, follow, node), target);
    }
  }

  /** Refuses what {@code rename(2)} cannot honour, as the default provider does. */
  static void checkMoveOptions(CopyOption... options) {
    for (CopyOption option : options) {
      if (option == null) {
        throw new NullPointerException();
      }
      if (option != StandardCopyOption.ATOMIC_MOVE && option != StandardCopyOption.REPLACE_EXISTING
          && option != LinkOption.NOFOLLOW_LINKS) {
        throw new UnsupportedOperationException("Unsupported copy option: " + option);
      }
    }
  }

  /** Across two layerfs file systems a move is a copy and a delete, as between providers. */
  static void moveAcross(LayerPath source, LayerPath target, CopyOption... options)
      throws IOException {
    boolean replace = false;
    for (CopyOption option : options) {
      if (option == StandardCopyOption.ATOMIC_MOVE) {
        throw new AtomicMoveNotSupportedException(source.toString(), target.toString(),
            "source and target are in different layerfs file systems");
      }
      replace |= option == StandardCopyOption.REPLACE_EXISTING;
    }
    source.fs().writable(source);
    CopyOption[] copy = replace
        ? new CopyOption[] {StandardCopyOption.REPLACE_EXISTING,
            StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS}
        : new CopyOption[] {StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS};
    Node node = sourceNode(source, false);
    if (node.type() == EntryType.DIRECTORY && !source.fs().list(source).isEmpty()) {
      throw new java.nio.file.DirectoryNotEmptyException(source.toString());
    }
    copy(source, target, copy);
    source.fs().change(source, (c, p) -> c.delete(p), ENTRY_DELETE);
  }

  /** The source of a copy or move: the JDK reads its attributes first ({@link NotADirectory}). */
  private static Node sourceNode(LayerPath source, boolean follow) throws IOException {
    try {
      return source.fs().lookup(source, follow);
    } catch (java.nio.file.FileSystemException e) {
      throw NotADirectory.whenRead(e);
    }
  }

  private static Node existing(LayerPath path) throws IOException {
    try {
      return path.fs().lookup(path, false);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  private static void copyData(LayerPath source, LayerPath target, Node node) throws IOException {
    // open(2) keeps the set-id and sticky bits of the mode it is given, less the umask
    int mode = node.mode() & 07777 & ~LayerAttributes.UMASK;
    try (FileHandle in = source.fs().open(source, READ, 0);
        FileHandle out = target.fs().open(target, CREATE_NEW, mode)) {
      ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
      long position = 0;
      while (true) {
        buffer.clear();
        int n = in.read(buffer, position);
        if (n < 0) {
          break;
        }
        buffer.flip();
        long at = position;
        while (buffer.hasRemaining()) {
          at += out.write(buffer, at);
        }
        position += n;
      }
    }
  }

  /**
   * What the JDK copies beyond the POSIX attributes (Linux's copyNonPosixAttributes): the
   * {@code user.} attributes of a file or directory, read from its mount where it is in one.
   */
  private static Map<String, byte[]> userXattrs(LayerPath source, boolean follow, Node node)
      throws IOException {
    Map<String, byte[]> user = new java.util.TreeMap<>();
    if (node.type() == EntryType.FILE || node.type() == EntryType.DIRECTORY) {
      Map<String, byte[]> all;
      try {
        all = source.fs().xattrs(source, follow);
      } catch (java.nio.file.NoSuchFileException e) {
        // a directory reached through the link the copy replaced: the JDK reads these last and
        // copies none it cannot reach (the mode, owner and times it read first)
        return user;
      }
      all.forEach((name, value) -> {
        if (name.startsWith("user.")) {
          user.put(name, value);
        }
      });
    }
    return user;
  }

  private static void copyAttributes(Node node, Map<String, byte[]> xattrs, LayerPath target)
      throws IOException {
    boolean link = node.type() == EntryType.SYMLINK;
    target.fs().change(target, (c, p) -> {
      c.setOwner(p, !link, node.uid(), node.gid());
      if (!link) {
        c.setMode(p, true, node.mode() & 07777);
        for (var xattr : xattrs.entrySet()) {
          c.setXattr(p, true, xattr.getKey(), xattr.getValue());
        }
      }
      c.setTimes(p, !link, node.mtimeNanos(), node.atimeNanos());
    }, ENTRY_MODIFY);
  }
}
