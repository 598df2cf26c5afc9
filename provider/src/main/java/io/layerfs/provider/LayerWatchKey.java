package io.layerfs.provider;

import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.Watchable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One watched directory of a {@link LayerWatchService}, known by its file key so that it follows
 * the directory through renames, as an inotify watch follows its inode: ready until it has an
 * event, then signalled (queued once) until {@link #reset}. Pending events are counted and
 * dropped as the JDK's keys do: a repeat of the last event, or a modification of a name whose
 * last pending event is one, counts in that event; the 513th pending event replaces them all
 * with one {@code OVERFLOW}, which counts the rest.
 */
final class LayerWatchKey implements WatchKey {
  private static final int MAX_EVENTS = 512;

  private final LayerWatchService service;
  private final LayerPath dir;
  private final long dirKey;
  private volatile Set<WatchEvent.Kind<?>> kinds;
  // @GuardedBy("this")
  private List<WatchEvent<?>> events = new ArrayList<>();
  /** The pending modification of each name whose last pending event is one. */
  // @GuardedBy("this")
  private Map<Path, Event<?>> lastModifications = new HashMap<>();
  // @GuardedBy("this")
  private boolean signalled;
  private volatile boolean valid = true;
  /** The JDK's key of the host directory this one is (see {@link LayerWatchService}), or null. */
  private volatile WatchKey hostKey;

  LayerWatchKey(LayerWatchService service, LayerPath dir, long dirKey,
      Set<WatchEvent.Kind<?>> kinds) {
    this.service = service;
    this.dir = dir;
    this.dirKey = dirKey;
    this.kinds = Set.copyOf(kinds);
  }

  long dirKey() {
    return dirKey;
  }

  void kinds(Set<WatchEvent.Kind<?>> kinds) {
    this.kinds = Set.copyOf(kinds);
  }

  void hostKey(WatchKey key) {
    hostKey = key;
  }

  /** Whether the host reports this directory's changes (not the file system). */
  boolean onHost() {
    return hostKey != null;
  }

  /** The host's events of this directory, counted here as the file system's are. */
  @SuppressWarnings("unchecked")
  void forward(List<WatchEvent<?>> hostEvents) {
    if (!valid) {
      return;
    }
    boolean counted = false;
    synchronized (this) {
      for (WatchEvent<?> e : hostEvents) {
        if (e.kind() == StandardWatchEventKinds.OVERFLOW) {
          overflow(e.count());
          counted = true;
        } else if (kinds.contains(e.kind())) {
          Path name = dir.getFileSystem().getPath(e.context().toString());
          for (int i = 0; i < e.count(); i++) {
            add((WatchEvent.Kind<Path>) e.kind(), name);
          }
          counted = true;
        }
      }
    }
    if (counted) { // a key is queued only with an event, as the JDK's is
      queue();
    }
  }

  void signal(WatchEvent.Kind<Path> kind, Path name) {
    if (!valid || !kinds.contains(kind)) {
      return;
    }
    synchronized (this) {
      add(kind, name);
    }
    queue();
  }

  // @GuardedBy("this")
  private void add(WatchEvent.Kind<Path> kind, Path name) {
    boolean modify = kind == StandardWatchEventKinds.ENTRY_MODIFY;
    if (!events.isEmpty()) {
      Event<?> last = (Event<?>) events.get(events.size() - 1);
      if (last.kind == StandardWatchEventKinds.OVERFLOW
          || (last.kind == kind && name.equals(last.context))) {
        last.count++;
        return;
      }
      if (modify) {
        Event<?> pending = lastModifications.get(name);
        if (pending != null) {
          pending.count++;
          return;
        }
      } else {
        lastModifications.remove(name);
      }
      if (events.size() >= MAX_EVENTS) {
        overflow(1);
        return;
      }
    }
    Event<Path> event = new Event<>(kind, name);
    if (modify) {
      lastModifications.put(name, event);
    }
    events.add(event);
  }

  /** {@code count} events lost: one {@code OVERFLOW} replaces the pending ones, or counts them. */
  // @GuardedBy("this")
  private void overflow(int count) {
    Event<?> last = events.isEmpty() ? null : (Event<?>) events.get(events.size() - 1);
    if (last != null && last.kind == StandardWatchEventKinds.OVERFLOW) {
      last.count += count;
      return;
    }
    events = new ArrayList<>();
    lastModifications = new HashMap<>();
    Event<Object> event = new Event<>(StandardWatchEventKinds.OVERFLOW, null);
    event.count = count;
    events.add(event);
  }

  /** Queues this key unless it is queued already (signalled and not reset). */
  private void queue() {
    boolean enqueue;
    synchronized (this) {
      enqueue = !signalled;
      signalled = true;
    }
    if (enqueue) {
      service.enqueue(this);
    }
  }

  /**
   * The directory is gone: the key is cancelled and queued, as the JDK's key when inotify drops
   * the watch of a removed directory, so that a taker finds it and its {@link #reset} says so.
   */
  void gone() {
    if (valid) {
      cancel();
      queue();
    }
  }

  @Override
  public boolean isValid() {
    return valid;
  }

  @Override
  public synchronized List<WatchEvent<?>> pollEvents() {
    List<WatchEvent<?>> result = events; // the caller's to change, as the JDK's list
    events = new ArrayList<>();
    lastModifications = new HashMap<>();
    return result;
  }

  @Override
  public boolean reset() {
    if (!valid) {
      return false;
    }
    boolean enqueue;
    synchronized (this) {
      enqueue = signalled && !events.isEmpty();
      signalled = enqueue;
    }
    if (enqueue) {
      service.enqueue(this);
    }
    return true;
  }

  @Override
  public void cancel() {
    if (valid) {
      valid = false;
      service.cancelled(this);
      WatchKey onHost = hostKey;
      if (onHost != null) {
        onHost.cancel();
      }
    }
  }

  @Override
  public Watchable watchable() {
    return dir;
  }

  private static final class Event<T> implements WatchEvent<T> {
    private final WatchEvent.Kind<T> kind;
    private final T context;
    private volatile int count = 1; // counted under the key's lock

    Event(WatchEvent.Kind<T> kind, T context) {
      this.kind = kind;
      this.context = context;
    }

    @Override
    public Kind<T> kind() {
      return kind;
    }

    @Override
    public int count() {
      return count;
    }

    @Override
    public T context() {
      return context;
    }

    @Override
    public String toString() {
      return kind + " " + context + " x" + count;
    }
  }
}
