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
 * removed, its key is cancelled and queued. A directory of a bind mount or named volume, which
 * host processes and other containers change too, is watched on the host instead, through the
 * JDK's own watch service (inotify), whose events one daemon thread hands to its key here.
 *
 * <p>Thread-safe: the file system signals from the threads that change it; keys queue here.
 */
final class LayerWatchService implements WatchService {
  private final LayerFileSystem fs;
  private final LinkedBlockingDeque<WatchKey> ready = new LinkedBlockingDeque<>();
  /** The valid keys by the file key of their directory. */
  private final Map<Long, LayerWatchKey> keys = new ConcurrentHashMap<>();
  private volatile boolean closed;
  /** The JDK's watch service for host directories, made at the first one's key; or null. */
  // @GuardedBy("this")
  private WatchService host;
  /** The keys of host directories by the JDK's key of each. */
  private final Map<WatchKey, LayerWatchKey> hostKeys = new ConcurrentHashMap<>();

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
    java.nio.file.Path hostDir = fs.hostDirectory(dir);
    LayerWatchKey key = keys.compute(node.fileKey(), (k, old) -> {
      if (old != null && old.isValid()) {
        old.kinds(kinds);
        return old;
      }
      return new LayerWatchKey(this, dir, k, kinds);
    });
    if (hostDir != null) {
      synchronized (this) { // the forwarding thread finds the key once it has events
        // registered again, the JDK's key changes its events and stays the same key
        WatchKey hostKey;
        try {
          hostKey = hostDir.register(hostService(), kinds.toArray(new WatchEvent.Kind<?>[0]));
        } catch (IOException | RuntimeException e) {
          if (!key.onHost()) {
            key.cancel(); // made just now: no key without its host's (inotify's limit, say)
          }
          throw e;
        }
        hostKeys.put(hostKey, key);
        key.hostKey(hostKey);
      }
    }
    fs.watching(this);
    return key;
  }

  /** The JDK's watch service, and the thread that forwards its events, made once. */
  private synchronized WatchService hostService() throws IOException {
    ensureOpen();
    if (host == null) {
      WatchService service = java.nio.file.FileSystems.getDefault().newWatchService();
      Thread forwarder = new Thread(() -> forward(service), "layerfs-watch-" + fs.name());
      forwarder.setDaemon(true);
      forwarder.start();
      host = service;
    }
    return host;
  }

  /** Hands each host key's events to its key here, until the host's service is closed. */
  private void forward(WatchService service) {
    try {
      while (true) {
        WatchKey hostKey = service.take();
        LayerWatchKey key;
        synchronized (this) {
          key = hostKeys.get(hostKey);
        }
        List<WatchEvent<?>> events = hostKey.pollEvents();
        if (key != null) {
          key.forward(events);
        }
        if (!hostKey.reset()) {
          hostKeys.remove(hostKey);
          if (key != null) {
            key.gone(); // the directory was removed (or the key cancelled)
          }
        }
      }
    } catch (ClosedWatchServiceException | InterruptedException e) {
      // closed with this service
    }
  }

  /**
   * A change of {@code name} in the directory whose file key is {@code dirKey}, made through
   * the file system (a host directory's key hears of it from the host).
   */
  void signal(long dirKey, String name, WatchEvent.Kind<java.nio.file.Path> kind) {
    LayerWatchKey key = keys.get(dirKey);
    if (key != null && !key.onHost()) {
      key.signal(kind, fs.getPath(name));
    }
  }

  /** The directory whose file key is {@code dirKey} was removed through the file system. */
  void gone(long dirKey) {
    LayerWatchKey key = keys.get(dirKey);
    if (key != null && !key.onHost()) {
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
    if (key.onHost()) {
      hostKeys.values().remove(key);
    }
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
    synchronized (this) {
      if (host != null) {
        try {
          host.close(); // ends the forwarding thread
        } catch (IOException e) {
          // the JDK's close of an inotify descriptor; nothing to keep
        }
      }
    }
    ready.clear();
    ready.offer(CLOSE);
  }
}
