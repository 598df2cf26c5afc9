package io.layerfs.provider;

import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.Watchable;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One watched directory of a {@link LayerWatchService}: ready until it has an event, then
 * signalled (queued once) until {@link #reset}. Repeated events of one kind for one name are
 * counted in one event, as the JDK counts them; past 512 pending events the rest become one
 * {@code OVERFLOW}.
 */
final class LayerWatchKey implements WatchKey {
  private static final int MAX_EVENTS = 512;

  private final LayerWatchService service;
  private final LayerPath dir;
  private final String realPath;
  private volatile Set<WatchEvent.Kind<?>> kinds;
  // @GuardedBy("this")
  private List<Event<?>> events = new ArrayList<>();
  private boolean signalled;
  private volatile boolean valid = true;

  LayerWatchKey(LayerWatchService service, LayerPath dir, String realPath,
      Set<WatchEvent.Kind<?>> kinds) {
    this.service = service;
    this.dir = dir;
    this.realPath = realPath;
    this.kinds = Set.copyOf(kinds);
  }

  String realPath() {
    return realPath;
  }

  void kinds(Set<WatchEvent.Kind<?>> kinds) {
    this.kinds = Set.copyOf(kinds);
  }

  void signal(WatchEvent.Kind<Path> kind, Path name) {
    if (!valid || !kinds.contains(kind)) {
      return;
    }
    boolean enqueue;
    synchronized (this) {
      Event<?> last = events.isEmpty() ? null : events.get(events.size() - 1);
      if (last != null && last.kind == kind && name.equals(last.context)) {
        last.count++;
      } else if (last != null && last.kind == StandardWatchEventKinds.OVERFLOW) {
        last.count++;
      } else if (events.size() >= MAX_EVENTS) {
        events.add(new Event<>(StandardWatchEventKinds.OVERFLOW, null));
      } else {
        events.add(new Event<>(kind, name));
      }
      enqueue = !signalled;
      signalled = true;
    }
    if (enqueue) {
      service.enqueue(this);
    }
  }

  @Override
  public boolean isValid() {
    return valid;
  }

  @Override
  public synchronized List<WatchEvent<?>> pollEvents() {
    List<WatchEvent<?>> result = List.copyOf(events);
    events = new ArrayList<>();
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
    }
  }

  @Override
  public Watchable watchable() {
    return dir;
  }

  private static final class Event<T> implements WatchEvent<T> {
    private final WatchEvent.Kind<T> kind;
    private final T context;
    private volatile int count = 1;

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
