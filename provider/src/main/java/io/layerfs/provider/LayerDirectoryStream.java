package io.layerfs.provider;

import io.layerfs.core.EntryType;
import io.layerfs.core.FileTree;
import io.layerfs.core.Node;
import io.layerfs.core.internal.PathErrors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.ClosedDirectoryStreamException;
import java.nio.file.ClosedFileSystemException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileOwnerAttributeView;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * A directory's entries, and operations relative to it ({@link
 * SecureDirectoryStream}, which Guava's {@code MoreFiles.deleteRecursively} and others ask for).
 * Children are resolved against the path the caller gave, as the JDK's own streams do. The
 * relative operations resolve names in the directory that was opened, found by its real path
 * (no link in it) when the stream is first used so (a plain listing, as {@code Files.walk}
 * makes, pays no lookup for it): before each one the path is looked up again and must still be a
 * directory reached without a symbolic link, else the operation fails, so a directory swapped
 * for a link between calls is never followed. Nothing in layerfs reaches a host file, so the
 * host-side race SecureDirectoryStream guards against cannot happen here; a directory renamed
 * away and replaced by another directory is not noticed (the check and the operation are two
 * steps). Its attribute views are the JDK's three ({@link SecureAttributeView}), found anew on
 * each call, so they fail once the stream is closed.
 */
final class LayerDirectoryStream implements SecureDirectoryStream<Path> {
  private final Path dir;
  private final LayerPath opened;
  // @GuardedBy("this"); null until a relative operation needs it
  private LayerPath real;
  // @GuardedBy("this") until the iterator is obtained, then the iterator's
  private List<String> names;
  /**
   * The listing the children's paths find themselves from ({@link LayerFileSystem#listing}): the
   * one made at open while it is current as iteration starts, else the one made then; null
   * until then when none was given at open.
   */
  private FileTree.Listing listing;
  private final Filter<? super Path> filter;
  private boolean iterated;
  private volatile boolean closed;

  /**
   * A stream of {@code names} in {@code dir} ({@code opened} as a layerfs path), whose real path
   * is {@code realOrNull} when known; {@code listingOrNull}: the listing {@code names} came
   * from, if any (without one the directory is listed again as iteration starts).
   */
  LayerDirectoryStream(Path dir, LayerPath opened, LayerPath realOrNull, List<String> names,
      FileTree.Listing listingOrNull, Filter<? super Path> filter) {
    this.dir = dir;
    this.opened = opened;
    this.real = realOrNull;
    this.names = names;
    this.listing = listingOrNull;
    this.filter = filter;
  }

  @Override
  public synchronized Iterator<Path> iterator() {
    if (closed) {
      throw new IllegalStateException("Directory stream is closed");
    }
    if (iterated) {
      throw new IllegalStateException("Iterator already obtained");
    }
    iterated = true;
    return new Iterator<>() {
      private int next;
      private Path pending;

      private boolean listed;

      @Override
      public boolean hasNext() {
        if (!listed) {
          listed = true;
          listAgain();
        }
        while (pending == null && !closed && next < names.size()) {
          String name = names.get(next++);
          Path child;
          if (dir instanceof LayerPath d) {
            LayerPath c = d.resolveName(name);
            if (listing != null && c != d) {
              c.markListed(listing, name);
            }
            child = c;
          } else {
            child = dir.resolve(name);
          }
          try {
            if (filter == null || filter.accept(child)) {
              pending = child;
            }
          } catch (IOException e) {
            throw new DirectoryIteratorException(e);
          } catch (UncheckedIOException e) {
            throw new DirectoryIteratorException(e.getCause());
          }
        }
        return pending != null;
      }

      @Override
      public Path next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        Path result = pending;
        pending = null;
        return result;
      }
    };
  }

  /**
   * A directory that may change is listed again as iteration starts, as Linux reads an open
   * directory's entries at the first {@code readdir}: what was deleted since the stream was
   * opened is not listed, what was created is. The listing at open stays only for its errors
   * (the JDK's stream fails there). A directory gone since is empty, as Linux reads a removed
   * directory.
   */
  private void listAgain() {
    try {
      if (listing != null && opened.fs().current(listing)) {
        return; // nothing changed since the stream was opened (an image view never changes)
      }
      FileTree.Listing again = opened.fs().listing(opened);
      names = again.names();
      listing = again;
    } catch (NoSuchFileException | NotDirectoryException | ClosedFileSystemException e) {
      names = List.of();
    } catch (IOException e) {
      throw new DirectoryIteratorException(e);
    }
  }

  @Override
  public void close() {
    closed = true;
  }

  // ------------------------------------------------------------------ relative operations

  @Override
  public SecureDirectoryStream<Path> newDirectoryStream(Path path, LinkOption... options)
      throws IOException {
    LayerPath target = entry(path);
    Node node;
    try {
      node = target.fs().lookup(target, !noFollow(options));
    } catch (FileSystemException e) {
      throw asGiven(e, target, path);
    }
    if (node.type() == EntryType.SYMLINK) {
      throw PathErrors.tooManyLinks(path.toString());
    }
    if (node.type() != EntryType.DIRECTORY) {
      throw new NotDirectoryException(path.toString());
    }
    LayerPath realChild = (LayerPath) target.getFileSystem().getPath(node.path());
    FileTree.Listing listing = target.fs().listingToOpen(realChild);
    return new LayerDirectoryStream(dir.resolve(path), realChild, realChild,
        listing == null ? List.of() : listing.names(), listing, null);
  }

  @Override
  public SeekableByteChannel newByteChannel(Path path, Set<? extends OpenOption> options,
      FileAttribute<?>... attrs) throws IOException {
    LayerPath target = entry(path);
    try {
      return target.getFileSystem().provider().newByteChannel(target, options, attrs);
    } catch (FileSystemException e) {
      throw asGiven(e, target, path);
    }
  }

  @Override
  public void deleteFile(Path path) throws IOException {
    LayerPath target = entry(path);
    try {
      if (target.fs().lookup(target, false).type() == EntryType.DIRECTORY) {
        // unlinkat(2) without AT_REMOVEDIR
        throw new FileSystemException(path.toString(), null, "Is a directory");
      }
      target.getFileSystem().provider().delete(target);
    } catch (FileSystemException e) {
      throw asGiven(e, target, path);
    }
  }

  @Override
  public void deleteDirectory(Path path) throws IOException {
    LayerPath target = entry(path);
    try {
      if (target.fs().lookup(target, false).type() != EntryType.DIRECTORY) {
        throw new FileSystemException(path.toString(), null, "Not a directory");
      }
      target.getFileSystem().provider().delete(target);
    } catch (FileSystemException e) {
      throw asGiven(e, target, path);
    }
  }

  @Override
  public void move(Path srcpath, SecureDirectoryStream<Path> targetdir, Path targetpath)
      throws IOException {
    if (!(java.util.Objects.requireNonNull(targetdir) instanceof LayerDirectoryStream other)) {
      throw new ProviderMismatchException("not a layerfs directory stream: " + targetdir);
    }
    LayerPath source = entry(srcpath);
    LayerPath target = other.entry(targetpath);
    // renameat(2): replaces a target of the same kind; its errors name both paths as given
    try {
      source.getFileSystem().provider().move(source, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileSystemException e) {
      String file = e.getFile();
      if (source.toString().equals(file) || target.toString().equals(file)) {
        throw PathErrors.named(e, srcpath.toString(), targetpath.toString());
      }
      throw e;
    }
  }

  /**
   * {@code e} naming {@code given} where it names {@code target}, the path {@code given}
   * resolved in the stream's directory: the JDK's stream names the path as it was given.
   */
  private static FileSystemException asGiven(FileSystemException e, LayerPath target,
      Path given) {
    return target.toString().equals(e.getFile()) ? PathErrors.named(e, given.toString()) : e;
  }

  /** {@link #asGiven(FileSystemException, LayerPath, Path)} where the target is yet to find. */
  private FileSystemException asGiven(FileSystemException e, Path given) {
    try {
      LayerPath p = LayerPath.check(given);
      return asGiven(e, p.isAbsolute() ? p : (LayerPath) real().resolve(p), given);
    } catch (IOException x) {
      return e; // the directory's own error came first
    }
  }

  @Override
  public <V extends FileAttributeView> V getFileAttributeView(Class<V> type) {
    String name = secureViewName(type);
    if (name == null) {
      return null;
    }
    return type.cast(new SecureAttributeView(name, () -> {
      if (closed) {
        throw new ClosedDirectoryStreamException();
      }
      LayerPath r = real();
      return r.getFileSystem().provider().getFileAttributeView(r, PosixFileAttributeView.class);
    }, e -> e));
  }

  @Override
  public <V extends FileAttributeView> V getFileAttributeView(Path path, Class<V> type,
      LinkOption... options) {
    String name = secureViewName(type);
    if (name == null) {
      return null;
    }
    return type.cast(new SecureAttributeView(name,
        () -> LayerFileSystemProvider.secureView(entry(path), PosixFileAttributeView.class,
            options), e -> asGiven(e, path)));
  }

  /**
   * The name of the view the JDK's secure stream gives for {@code type}: {@code basic}, or
   * {@code posix} (also for the owner view); null for any other, for which it gives none.
   */
  private static String secureViewName(Class<?> type) {
    if (type == BasicFileAttributeView.class) {
      return "basic";
    }
    return type == PosixFileAttributeView.class || type == FileOwnerAttributeView.class
        ? "posix" : null;
  }

  /**
   * {@code path} in the opened directory (an absolute path as it is), after checking that the
   * directory is still there under its real path, reached without a link.
   */
  private LayerPath entry(Path path) throws IOException {
    if (closed) {
      throw new ClosedDirectoryStreamException();
    }
    LayerPath p = LayerPath.check(path);
    if (p.fs() != opened.fs()) {
      throw new ProviderMismatchException("a path of another layerfs file system: " + path);
    }
    if (p.isAbsolute()) {
      return p;
    }
    LayerPath real = real();
    Node node = real.fs().find(real, true);
    if (node == null || node.type() != EntryType.DIRECTORY
        || !node.path().equals(real.toString())) {
      throw new FileSystemException(dir.toString(), null,
          "the directory was removed or replaced since the stream was opened");
    }
    return (LayerPath) real.resolve(p);
  }

  /** The directory's real path, looked up on first use. */
  private synchronized LayerPath real() throws IOException {
    if (real == null) {
      real = (LayerPath) opened.getFileSystem().getPath(opened.fs().lookup(opened, true).path());
    }
    return real;
  }

  private static boolean noFollow(LinkOption... options) {
    for (LinkOption o : options) {
      if (o == LinkOption.NOFOLLOW_LINKS) {
        return true;
      }
    }
    return false;
  }
}
