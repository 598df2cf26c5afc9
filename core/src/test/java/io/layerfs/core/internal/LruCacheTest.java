package io.layerfs.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.testing.Props;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LruCacheTest {
  /** Values are their own weights. */
  private static LruCache<String, Integer> cache(long max, List<String> evicted) {
    return new LruCache<>(max, (String k, Integer v) -> v, (k, v) -> evicted.add(k + "=" + v));
  }

  @Test
  void evictsTheLeastRecentlyUsedWhenOverweight() {
    List<String> evicted = new ArrayList<>();
    LruCache<String, Integer> c = cache(10, evicted);
    c.put("a", 4);
    c.put("b", 4);
    assertEquals(4, c.getIfPresent("a")); // a is now more recent than b
    c.put("c", 4);
    assertEquals(List.of("b=4"), evicted);
    assertNull(c.getIfPresent("b"));
    assertEquals(4, c.getIfPresent("a"));
    assertEquals(8, c.weight());
    assertEquals(2, c.size());
  }

  @Test
  void replacingReweighsAndDoesNotCountAsEviction() {
    List<String> evicted = new ArrayList<>();
    LruCache<String, Integer> c = cache(10, evicted);
    c.put("a", 2);
    c.put("a", 9);
    assertEquals(9, c.weight());
    assertEquals(List.of(), evicted);
    c.put("b", 2); // 11 > 10: a, the eldest, goes
    assertEquals(List.of("a=9"), evicted);
    assertEquals(2, c.weight());
  }

  @Test
  void anEntryHeavierThanTheBoundIsEvictedAtOnce() {
    List<String> evicted = new ArrayList<>();
    LruCache<String, Integer> c = cache(5, evicted);
    c.put("small", 1);
    c.put("huge", 6);
    assertEquals(List.of("small=1", "huge=6"), evicted);
    assertEquals(0, c.weight());
    assertEquals(0, c.size());
  }

  @Test
  void getComputesOnceWhenAbsentAndKeepsTheFirstValueStored() {
    LruCache<String, Integer> c = cache(100, new ArrayList<>());
    AtomicInteger calls = new AtomicInteger();
    assertEquals(3, c.get("k", k -> {
      calls.incrementAndGet();
      return 3;
    }));
    assertEquals(3, c.get("k", k -> {
      calls.incrementAndGet();
      return 7;
    }));
    assertEquals(1, calls.get());
    // a computation that stores the key itself (as a merged directory re-weighs) loses to it
    assertEquals(5, c.get("m", k -> {
      c.put("m", 5);
      return 6;
    }));
    assertEquals(5, c.getIfPresent("m"));
  }

  @Test
  void invalidateAllEmptiesWithoutTellingTheListener() {
    List<String> evicted = new ArrayList<>();
    LruCache<String, Integer> c = cache(100, evicted);
    c.put("a", 1);
    c.put("b", 2);
    c.invalidateAll();
    assertEquals(0, c.size());
    assertEquals(0, c.weight());
    assertNull(c.getIfPresent("a"));
    assertEquals(List.of(), evicted);
  }

  @Test
  void rejectsNegativeWeightsAndNulls() {
    LruCache<String, Integer> c = cache(100, new ArrayList<>());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> c.put("neg", -1));
    assertTrue(e.getMessage().contains("neg"), e.getMessage());
    assertEquals(0, c.size());
    assertThrows(NullPointerException.class, () -> c.put(null, 1));
    assertThrows(NullPointerException.class, () -> c.put("k", null));
    assertThrows(NullPointerException.class, () -> c.get("k", k -> null));
    assertThrows(IllegalArgumentException.class, () -> cache(-1, new ArrayList<>()));
  }

  @Test
  void theListenerMayUseTheCache() {
    List<LruCache<String, Integer>> self = new ArrayList<>();
    List<Integer> seen = new ArrayList<>();
    LruCache<String, Integer> c =
        new LruCache<>(3, (String k, Integer v) -> v, (k, v) -> seen.add(self.get(0).size()));
    self.add(c);
    c.put("a", 2);
    c.put("b", 2); // evicts a; the listener runs after the lock is released
    assertEquals(List.of(1), seen);
  }

  @Test
  void concurrentUseKeepsTheWeightExact() throws Exception {
    LruCache<Integer, Integer> c = new LruCache<>(500, (Integer k, Integer v) -> v);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int seed = t;
        done.add(pool.submit(() -> {
          start.await();
          for (int i = 0; i < 20_000; i++) {
            int k = (i * 31 + seed) % 300;
            if (i % 3 == 0) {
              c.put(k, 1 + k % 7);
            } else {
              c.get(k, key -> 1 + key % 7);
            }
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    long sum = 0;
    for (int k = 0; k < 300; k++) {
      Integer v = c.getIfPresent(k);
      if (v != null) {
        sum += v;
      }
    }
    assertEquals(sum, c.weight());
    assertTrue(c.weight() <= 500, "weight " + c.weight());
  }

  /** One step of the property: a put (value = weight) or a read of a key. */
  private record Op(boolean put, int key, int weight) {}

  @Test
  void behavesAsAnAccessOrderedMapTrimmedFromItsEldest() {
    Props p = Props.tries(200);
    Props.Arb<Op> ops = p.combine(p.booleans(), p.ints(0, 12), p.ints(0, 9), Op::new);
    p.qt()
        .forAll(p.ints(0, 30), p.lists(ops, 0, 60))
        .checkAssert(LruCacheTest::matchesModel);
  }

  private static void matchesModel(int max, List<Op> ops) {
    List<String> evicted = new ArrayList<>();
    LruCache<String, Integer> c = cache(max, evicted);
    LinkedHashMap<String, Integer> model = new LinkedHashMap<>(16, 0.75f, true);
    List<String> modelEvicted = new ArrayList<>();
    for (Op op : ops) {
      String k = "k" + op.key();
      if (op.put()) {
        c.put(k, op.weight());
        model.put(k, op.weight());
        long total = model.values().stream().mapToLong(Integer::longValue).sum();
        var it = model.entrySet().iterator();
        while (total > max) {
          Map.Entry<String, Integer> e = it.next();
          it.remove();
          total -= e.getValue();
          modelEvicted.add(e.getKey() + "=" + e.getValue());
        }
      } else {
        assertEquals(model.get(k), c.getIfPresent(k), k);
      }
      assertEquals(model.values().stream().mapToLong(Integer::longValue).sum(), c.weight());
      assertTrue(c.weight() <= max);
    }
    assertEquals(modelEvicted, evicted);
    assertEquals(model.size(), c.size());
  }
}
