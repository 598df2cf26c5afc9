package io.layerfs.provider;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.NotDirectoryException;
import java.nio.file.ProviderMismatchException;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;

/**
 * A watch service of one layerfs file system: it reports the changes made through that file
 * system (this JVM's writes to the container), as inotify reports a directory's changes to the
 * JDK's Linux watch service; events are delivered when the change is made, with no polling. A
 * key watches the directory it was registered on, by its file key: renamed, it is still watched;
 * removed, its key is cancelled and queued.
 *
 * <p>Thread-safe: the file system signals from the threads that change it; keys queue here.
 */
final class LayerWatchService implements WatchService {
  private final LayerFileSystem fs;
  private final LinkedBlockingDeque<WatchKey> ready = new LinkedBlockingDeque<>();
  /** The valid keys by the file key of their directory. */
  private final Map<Long, LayerWatchKey> keys = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /** Put in the queue on close, to wake every waiting taker. */
  private static final WatchKey CLOSE = new LayerWatchKey(null, null, 0, Set.of());

  LayerWatchService(LayerFileSystem fs) {
    this.fs = fs;
  }

  /** Registers {@code dir} (or changes the events of its key), as {@code Path.register} does. */
  WatchKey register(LayerPath dir, WatchEvent.Kind<?>[] events, WatchEvent.Modifier... modifiers)
      throws IOException {
    if (dir.getFileSystem() != fs) {
      throw new ProviderMismatchException("the watch service is of another layerfs file system");
    }
    Set<WatchEvent.Kind<?>> kinds = new HashSet<>();
    for (WatchEvent.Kind<?> kind : events) {
      if (kind == StandardWatchEventKinds.ENTRY_CREATE
          || kind == StandardWatchEventKinds.ENTRY_DELETE
          || kind == StandardWatchEventKinds.ENTRY_MODIFY) {
        kinds.add(kind);
      } else if (kind != StandardWatchEventKinds.OVERFLOW) {
        throw new UnsupportedOperationException(kind.name());
      }
    }
    if (kinds.isEmpty()) {
      throw new IllegalArgumentException("No events to register");
    }
    for (WatchEvent.Modifier modifier : modifiers) {
      throw new UnsupportedOperationException("Modifier not supported: " + modifier);
    }
    ensureOpen();
    io.layerfs.core.Node node = fs.lookup(dir, true);
    if (node.type() != io.layerfs.core.EntryType.DIRECTORY) {
      throw new NotDirectoryException(dir.toString());
    }
    LayerWatchKey key = keys.compute(node.fileKey(), (k, old) -> {
      if (old != null && old.isValid()) {
        old.kinds(kinds);
        return old;
      }
      return new LayerWatchKey(this, dir, k, kinds);
    });
    fs.watching(this);
    return key;
  }

  /** A change of {@code name} in the directory whose file key is {@code dirKey}. */
  void signal(long dirKey, String name, WatchEvent.Kind<java.nio.file.Path> kind) {
    LayerWatchKey key = keys.get(dirKey);
    if (key != null) {
      key.signal(kind, fs.getPath(name));
    }
  }

  /** The directory whose file key is {@code dirKey} was removed. */
  void gone(long dirKey) {
    LayerWatchKey key = keys.get(dirKey);
    if (key != null) {
      key.gone();
    }
  }

  boolean hasKeys() {
    return !keys.isEmpty();
  }

  /** Called by a key that has events and was ready. */
  void enqueue(LayerWatchKey key) {
    ready.offer(key);
  }

  void cancelled(LayerWatchKey key) {
    keys.remove(key.dirKey(), key);
  }

  @Override
  public WatchKey poll() {
    ensureOpen();
    return checked(ready.poll());
  }

  @Override
  public WatchKey poll(long timeout, TimeUnit unit) throws InterruptedException {
    ensureOpen();
    return checked(ready.poll(timeout, unit));
  }

  @Override
  public WatchKey take() throws InterruptedException {
    ensureOpen();
    return checked(ready.take());
  }

  private WatchKey checked(WatchKey key) {
    if (key == CLOSE) {
      ready.offer(CLOSE); // for the next waiter
      throw new ClosedWatchServiceException();
    }
    return key;
  }

  private void ensureOpen() {
    if (closed) {
      throw new ClosedWatchServiceException();
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    List<LayerWatchKey> all = new ArrayList<>(keys.values());
    for (LayerWatchKey key : all) {
      key.cancel();
    }
    fs.stopWatching(this);
    ready.clear();
    ready.offer(CLOSE);
  }
}
