package io.layerfs.provider;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * A directory's entries as of opening: the image never changes under it. Children are resolved
 * against the path the caller gave, as the JDK's own streams do.
 */
final class LayerDirectoryStream implements DirectoryStream<Path> {
  private final Path dir;
  private final List<String> names;
  private final Filter<? super Path> filter;
  private boolean iterated;
  private volatile boolean closed;

  LayerDirectoryStream(Path dir, List<String> names, Filter<? super Path> filter) {
    this.dir = dir;
    this.names = names;
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

      @Override
      public boolean hasNext() {
        while (pending == null && !closed && next < names.size()) {
          Path child = dir.resolve(names.get(next++));
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

  @Override
  public void close() {
    closed = true;
  }
}
