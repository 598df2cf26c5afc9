package io.layerfs.core.internal;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.ToLongBiFunction;

/**
 * A map bounded by the total weight of its values that evicts the least recently used entries
 * first, for the caches a file system fills while it opens and walks an image (a store's layer
 * indexes, a tree's merged directories). Those see one insertion per layer or directory and are
 * read only on a miss of the structures in front of them, so one lock over a {@link
 * LinkedHashMap} serves them. Caffeine, which they used, costs a fresh JVM a thread pool, the
 * JDK's logging and a few hundred classes before the first directory is listed.
 *
 * <p>Weights are taken when an entry is put. The eviction listener runs after the lock is
 * released, for entries evicted for size only (not for replaced or invalidated ones). Thread-safe.
 */
public final class LruCache<K, V> {
  private final long maxWeight;
  private final ToLongBiFunction<? super K, ? super V> weigher;
  private final BiConsumer<? super K, ? super V> onEvict; // null: no listener
  // @GuardedBy("this"); access order: the eldest is the least recently used
  private final LinkedHashMap<K, Weighed<V>> map = new LinkedHashMap<>(16, 0.75f, true);
  // @GuardedBy("this")
  private long weight;

  private record Weighed<V>(V value, long weight) {}

  /**
   * A cache of at most {@code maxWeight} in the units of {@code weigher}, which must give every
   * entry a weight of at least zero; {@code onEvict} (null for none) hears of entries evicted
   * for size.
   */
  public LruCache(long maxWeight, ToLongBiFunction<? super K, ? super V> weigher,
      BiConsumer<? super K, ? super V> onEvict) {
    if (maxWeight < 0) {
      throw new IllegalArgumentException("negative maximum weight: " + maxWeight);
    }
    this.maxWeight = maxWeight;
    this.weigher = Objects.requireNonNull(weigher, "weigher");
    this.onEvict = onEvict;
  }

  /**
   * A cache without an eviction listener (none rather than an empty one: this cache is made while
   * a fresh JVM opens an image, where each class loaded costs a few tenths of a millisecond).
   */
  public LruCache(long maxWeight, ToLongBiFunction<? super K, ? super V> weigher) {
    this(maxWeight, weigher, null);
  }

  /** The value of {@code key}, or null; makes it the most recently used. */
  public V getIfPresent(K key) {
    Weighed<V> w;
    synchronized (this) {
      w = map.get(key);
    }
    return w == null ? null : w.value();
  }

  /**
   * The value of {@code key}, computed by {@code compute} (outside the lock, so it may use this
   * cache) when absent. Threads racing on one key may each compute it; all get the value stored
   * first.
   */
  public V get(K key, Function<? super K, ? extends V> compute) {
    V present = getIfPresent(key);
    if (present != null) {
      return present;
    }
    V made = Objects.requireNonNull(compute.apply(key), "computed value");
    return putIfAbsent(key, made);
  }

  /** Stores {@code value} under {@code key} (weighed now), replacing any value there. */
  public void put(K key, V value) {
    store(key, value, true);
  }

  /**
   * Stores {@code value} under {@code key} unless a value is there; returns the value stored
   * ({@link #get} without a function, for callers that compute the value themselves).
   */
  public V putIfAbsent(K key, V value) {
    return store(key, value, false);
  }

  /** Stores the value, or with {@code replace} false keeps and returns the present one. */
  private V store(K key, V value, boolean replace) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    long w = weigher.applyAsLong(key, value);
    if (w < 0) {
      throw new IllegalArgumentException("negative weight " + w + " for " + key);
    }
    List<Map.Entry<K, V>> evicted;
    synchronized (this) {
      Weighed<V> old = map.get(key);
      if (old != null && !replace) {
        return old.value();
      }
      map.put(key, new Weighed<>(value, w));
      weight += w - (old == null ? 0 : old.weight());
      evicted = evictOverweight();
    }
    if (onEvict != null) {
      for (Map.Entry<K, V> e : evicted) {
        onEvict.accept(e.getKey(), e.getValue());
      }
    }
    return value;
  }

  // @GuardedBy("this")
  private List<Map.Entry<K, V>> evictOverweight() {
    if (weight <= maxWeight) {
      return List.of();
    }
    List<Map.Entry<K, V>> evicted = new ArrayList<>();
    Iterator<Map.Entry<K, Weighed<V>>> it = map.entrySet().iterator();
    while (weight > maxWeight && it.hasNext()) {
      Map.Entry<K, Weighed<V>> eldest = it.next();
      it.remove();
      weight -= eldest.getValue().weight();
      evicted.add(Map.entry(eldest.getKey(), eldest.getValue().value()));
    }
    return evicted;
  }

  /** Removes every entry, without telling the eviction listener. */
  public synchronized void invalidateAll() {
    map.clear();
    weight = 0;
  }

  /** The number of entries. */
  public synchronized int size() {
    return map.size();
  }

  /** The total weight of the entries. */
  public synchronized long weight() {
    return weight;
  }
}
