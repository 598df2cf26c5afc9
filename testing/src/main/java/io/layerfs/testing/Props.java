package io.layerfs.testing;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.BiPredicate;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.quicktheories.QuickTheory;
import org.quicktheories.api.AsString;
import org.quicktheories.api.Function3;
import org.quicktheories.api.Function4;
import org.quicktheories.api.Function5;
import org.quicktheories.api.Pair;
import org.quicktheories.api.TriConsumer;
import org.quicktheories.api.Tuple3;
import org.quicktheories.core.ExceptionReporter;
import org.quicktheories.core.Gen;
import org.quicktheories.core.RandomnessSource;
import org.quicktheories.core.Reporter;
import org.quicktheories.dsl.TheoryBuilder;
import org.quicktheories.generators.Generate;

/**
 * QuickTheories as the property tests use it. {@link #qt()} checks {@code tries} examples drawn
 * from a seed: a fixed default where CI must be repeatable, else a new one each run, and {@code
 * -Dlayerfs.qt.seed=N} over either; {@code -Dlayerfs.qt.tries=N} checks N examples instead, for
 * a longer run of the property chosen with {@code -Dtest}. A failure names its seed and the
 * command that re-runs it.
 *
 * <p>The generators keep what jqwik, which these tests used before, did by default, so the
 * properties see the values they saw then: edge cases (see {@link Arb}), integers biased towards
 * 0 and collections mostly small (nine times in ten at most min + max(10, √tries) elements, one
 * time in fifty at most the greatest size).
 */
public final class Props {
  public static final String SEED_PROPERTY = "layerfs.qt.seed";
  public static final String TRIES_PROPERTY = "layerfs.qt.tries";
  /** QuickTheories retries a draw an assumption rejects; jqwik gave up far later than its 10. */
  private static final int GENERATE_ATTEMPTS = 100;
  /** Cheap properties shrink this long; slow ones set fewer, about jqwik's 10 s bound. */
  private static final int SHRINK_CYCLES = 10_000;

  private final int tries;
  private final Long defaultSeed;

  private Props(int tries, Long defaultSeed) {
    this.tries = Integer.getInteger(TRIES_PROPERTY, tries);
    this.defaultSeed = defaultSeed;
  }

  /** {@code tries} examples, from a new seed each run. */
  public static Props tries(int tries) {
    return new Props(tries, null);
  }

  /** The same with a fixed default seed, so every run checks the same examples. */
  public Props seed(long seed) {
    return new Props(tries, seed);
  }

  /** The theory to check: call it in the test method itself, so a failure can name it. */
  public Theory qt() {
    String given = System.getProperty(SEED_PROPERTY, "").trim();
    long seed = !given.isEmpty() ? Long.parseLong(given)
        : defaultSeed != null ? defaultSeed : ThreadLocalRandom.current().nextLong();
    String test = StackWalker.getInstance().walk(s -> s
        .filter(f -> !f.getClassName().equals(Props.class.getName()))
        .findFirst()
        .map(f -> f.getClassName().substring(f.getClassName().lastIndexOf('.') + 1) + "#"
            + f.getMethodName())
        .orElse("?"));
    return new Theory(QuickTheory.qt()
        .withFixedSeed(seed)
        .withExamples(tries)
        .withShrinkCycles(SHRINK_CYCLES)
        .withGenerateAttempts(GENERATE_ATTEMPTS)
        .withReporter(new Rerun(test, seed)));
  }

  /**
   * QuickTheory's forAll, with two things jqwik did: the parameters' edge cases are combined and
   * mixed in (as an {@link Arb}'s are), and the property runs exactly {@code tries} times. For the
   * latter each example draws one number more than its values need, so no two share all their
   * draws: QuickTheories skips an example that repeats another's draws without running it.
   */
  public final class Theory {
    private final QuickTheory qt;

    private Theory(QuickTheory qt) {
      this.qt = qt;
    }

    public Theory withShrinkCycles(int cycles) {
      return new Theory(qt.withShrinkCycles(cycles));
    }

    public <A> TheoryBuilder<A> forAll(Gen<A> a) {
      return qt.forAll(parameters(List.of(a), l -> cast(l.get(0)), a::asString));
    }

    public <A, B> Theory2<A, B> forAll(Gen<A> a, Gen<B> b) {
      return new Theory2<>(qt.forAll(parameters(List.of(a, b),
          l -> Pair.of(cast(l.get(0)), cast(l.get(1))),
          p -> "(" + a.asString(p._1) + ", " + b.asString(p._2) + ")")));
    }

    public <A, B, C> Theory3<A, B, C> forAll(Gen<A> a, Gen<B> b, Gen<C> c) {
      return new Theory3<>(qt.forAll(parameters(List.of(a, b, c),
          l -> Tuple3.of(cast(l.get(0)), cast(l.get(1)), cast(l.get(2))),
          t -> "(" + a.asString(t._1) + ", " + b.asString(t._2) + ", " + c.asString(t._3)
              + ")")));
    }

    /** All parameters in one, so that their edge cases can be combined as jqwik did. */
    private <T> Gen<T> parameters(List<Gen<?>> gens, Function<List<Object>, T> make,
        AsString<T> describe) {
      // drawn first, so that the first examples (each draw least, smallest, greatest) differ too
      Gen<Long> nonce = Generate.longRange(Long.MIN_VALUE, Long.MAX_VALUE);
      Gen<T> values = in -> {
        List<Object> l = new ArrayList<>();
        gens.forEach(g -> l.add(g.generate(in)));
        return make.apply(l);
      };
      List<T> edgeCases = combinations(gens, tries, Integer.MAX_VALUE).stream().map(make)
          .toList();
      Gen<T> all = mix(values.describedAs(describe), edgeCases);
      Gen<T> distinct = in -> {
        nonce.generate(in);
        return all.generate(in);
      };
      return distinct.describedAs(describe);
    }
  }
  /** QuickTheories' {@code TheoryBuilder2}, over the combined parameters. */
  public static final class Theory2<A, B> {
    private final TheoryBuilder<Pair<A, B>> theory;

    private Theory2(TheoryBuilder<Pair<A, B>> theory) {
      this.theory = theory;
    }

    Theory2<A, B> assuming(BiPredicate<A, B> assumption) {
      return new Theory2<>(theory.assuming(p -> assumption.test(p._1, p._2)));
    }

    public void checkAssert(BiConsumer<A, B> property) {
      theory.checkAssert(p -> property.accept(p._1, p._2));
    }
  }

  /** QuickTheories' {@code TheoryBuilder3}, over the combined parameters. */
  public static final class Theory3<A, B, C> {
    private final TheoryBuilder<Tuple3<A, B, C>> theory;

    private Theory3(TheoryBuilder<Tuple3<A, B, C>> theory) {
      this.theory = theory;
    }

    public void checkAssert(TriConsumer<A, B, C> property) {
      theory.checkAssert(t -> property.accept(t._1, t._2, t._3));
    }
  }

  // ------------------------------------------------------------------------------ edge cases

  /**
   * A generator that knows its edge cases, as a jqwik arbitrary did, and mixes them in at jqwik's
   * rate: one draw in clamp(tries / edge cases, 5, 20). Integers have 0, ±1, ±2, both ends and
   * their neighbours; a pick its first and last value; a collection or string the empty one and
   * each element edge case alone (at a fixed size: that many of it). {@link #combine}, {@link
   * #map}, {@link #oneOf}, {@link #frequency}, {@link #filter} and {@link #lists} make theirs of
   * their parts' as jqwik did: all combinations, first ones first, at most max(tries, 10).
   */
  public static final class Arb<T> implements Gen<T> {
    /** The values without this generator's own edge cases (its parts may mix theirs in). */
    private final Gen<T> values;
    private final Gen<T> mixed;
    private final IntFunction<List<T>> edgeCases;

    private Arb(Gen<T> values, Gen<T> mixed, IntFunction<List<T>> edgeCases) {
      this.values = values;
      this.mixed = mixed;
      this.edgeCases = edgeCases;
    }

    @Override
    public T generate(RandomnessSource in) {
      return mixed.generate(in);
    }

    @Override
    public String asString(T t) {
      return values.asString(t);
    }

    /** The first {@code max} edge cases. */
    public List<T> edgeCases(int max) {
      return max <= 0 ? List.of() : edgeCases.apply(max);
    }
  }

  /** {@code values} with edge cases: {@code edgeCases.apply(n)} gives the first n of them. */
  public <T> Arb<T> arb(Gen<T> values, IntFunction<List<T>> edgeCases) {
    return new Arb<>(values, mix(values, edgeCases.apply(Math.max(tries, 10))), edgeCases);
  }

  public <T> Arb<T> arb(Gen<T> values, List<T> edgeCases) {
    return arb(values, max -> first(edgeCases, max));
  }

  /** {@code values} with {@code edgeCases} mixed in; shrinking leads towards the first. */
  private <T> Gen<T> mix(Gen<T> values, List<T> edgeCases) {
    if (edgeCases.isEmpty()) {
      return values;
    }
    int ratio = Math.min(Math.max(tries / edgeCases.size(), 5), 20);
    return Generate.frequency(Pair.of(1, Generate.pick(edgeCases)), Pair.of(ratio - 1, values))
        .describedAs(values::asString);
  }

  private static <T> List<T> first(List<T> list, int max) {
    return list.size() <= max ? list : list.subList(0, Math.max(max, 0));
  }

  @SuppressWarnings("unchecked")
  private static <T> T cast(Object o) {
    return (T) o;
  }

  private static <T> Gen<T> valuesOf(Gen<T> gen) {
    return gen instanceof Arb<T> arb ? arb.values : gen;
  }

  private static <T> List<T> edgeCasesOf(Gen<T> gen, int max) {
    return gen instanceof Arb<T> arb ? arb.edgeCases(max) : List.of();
  }

  /**
   * jqwik's combined edge cases: each part's first ones, fewer for later parts, all combinations
   * with the last part's changing fastest; none if a part has none.
   */
  private static List<List<Object>> combinations(List<Gen<?>> parts, int budget, int max) {
    List<List<?>> edgeCases = new ArrayList<>();
    int remaining = budget;
    for (Gen<?> part : parts) {
      List<?> e = edgeCasesOf(part, remaining);
      if (e.isEmpty()) {
        return List.of();
      }
      edgeCases.add(e);
      remaining = (int) Math.max(1, Math.ceil(remaining / (double) e.size()));
    }
    List<List<Object>> combinations = new ArrayList<>();
    int[] at = new int[parts.size()];
    while (combinations.size() < max) {
      List<Object> combination = new ArrayList<>();
      for (int i = 0; i < at.length; i++) {
        combination.add(edgeCases.get(i).get(at[i]));
      }
      combinations.add(combination);
      int i = at.length - 1;
      while (i >= 0 && ++at[i] == edgeCases.get(i).size()) {
        at[i--] = 0;
      }
      if (i < 0) {
        break;
      }
    }
    return combinations;
  }

  // ------------------------------------------------------------------------------ generators

  /** One of {@code values}, as jqwik's {@code Arbitraries.of}. */
  public <T> Arb<T> choose(List<T> values) {
    List<T> edgeCases = values.size() == 1 ? values
        : List.of(values.get(0), values.get(values.size() - 1));
    return arb(Generate.pick(values), edgeCases);
  }

  @SafeVarargs
  public final <T> Arb<T> choose(T... values) {
    List<T> list = new ArrayList<>();
    for (T v : values) {
      list.add(v);
    }
    return choose(list);
  }

  public Arb<Boolean> booleans() {
    return choose(true, false);
  }

  /** Always {@code value}, as jqwik's {@code Arbitraries.just}. */
  public <T> Arb<T> constant(T value) {
    return arb(Generate.constant(value), Collections.singletonList(value));
  }

  public Arb<Integer> ints(int min, int max) {
    return arb(biased(min, max).map(Long::intValue),
        integralEdgeCases(min, max).stream().map(Long::intValue).toList());
  }

  public Arb<Long> longs(long min, long max) {
    return arb(biased(min, max), integralEdgeCases(min, max));
  }

  public Arb<Long> longs() {
    return longs(Long.MIN_VALUE, Long.MAX_VALUE);
  }

  public Arb<Byte> bytes() {
    return arb(biased(Byte.MIN_VALUE, Byte.MAX_VALUE).map(Long::byteValue),
        integralEdgeCases(Byte.MIN_VALUE, Byte.MAX_VALUE).stream().map(Long::byteValue)
            .toList());
  }

  /** jqwik's integral edge cases: the shrink target, -2..2, min, min + 1, max, max - 1. */
  private static List<Long> integralEdgeCases(long min, long max) {
    return Stream.of(shrinkTarget(min, max), -2L, -1L, 0L, 2L, 1L, min, min + 1, max, max - 1)
        .filter(v -> v >= min && v <= max)
        .distinct()
        .toList();
  }

  private static long shrinkTarget(long min, long max) {
    return min > 0 ? min : max < 0 ? max : 0;
  }

  /**
   * jqwik's default distribution of integers ("biased"): the range cut into parts that grow
   * geometrically away from the shrink target, one part picked evenly, a value in it evenly.
   */
  private static Gen<Long> biased(long min, long max) {
    long target = shrinkTarget(min, max);
    BigInteger to = BigInteger.valueOf(target);
    List<BigInteger> points = new ArrayList<>();
    if (target != min) {
      points.addAll(partitionPoints(BigInteger.valueOf(min), to, -1));
    }
    if (target != max) {
      points.addAll(partitionPoints(BigInteger.valueOf(max), to, 1));
    }
    if (target != min && target != max && !points.isEmpty()) {
      points.add(to);
    }
    Collections.sort(points);
    List<long[]> parts = new ArrayList<>();
    long lower = min;
    for (BigInteger point : points) {
      long upper = point.longValueExact();
      if (upper <= lower) {
        continue;
      }
      if (upper >= max) {
        break;
      }
      parts.add(new long[] {lower, upper - 1});
      lower = upper;
    }
    parts.add(new long[] {lower, max});
    int home = 0;
    while (parts.get(home)[1] < target) {
      home++;
    }
    Gen<Integer> part = Generate.range(0, parts.size() - 1, home);
    return in -> {
      long[] range = parts.get(part.generate(in));
      long nearest = Math.max(range[0], Math.min(range[1], target));
      return Generate.longRange(range[0], range[1], nearest).generate(in);
    };
  }

  private static List<BigInteger> partitionPoints(BigInteger from, BigInteger to, int step) {
    List<BigInteger> points = new ArrayList<>();
    BigInteger point = from;
    while (true) {
      BigInteger range = to.subtract(point).abs();
      if (range.compareTo(BigInteger.valueOf(20)) <= 0) {
        return points;
      }
      int decimals = range.bitLength() / 10 * 3;
      long ratio = Math.max((long) Math.pow(decimals / 5.0, 10), 3);
      BigInteger distance = range.divide(BigInteger.valueOf(ratio));
      if (distance.signum() == 0) {
        return points;
      }
      point = to.add(distance.multiply(BigInteger.valueOf(step)));
      points.add(point);
    }
  }

  /** Characters of {@code alphabet}, as jqwik's {@code withChars}: edge cases its ends. */
  public Arb<Character> chars(String alphabet) {
    return choose(alphabet.chars().mapToObj(c -> (char) c).toList());
  }

  /**
   * Characters of the ranges {@code bounds} gives in pairs ("AZaz" for jqwik's {@code alpha()}),
   * all equally likely; edge cases each range's ends, and a space where a range has one.
   */
  public Arb<Character> charRanges(String bounds) {
    List<Character> all = new ArrayList<>();
    List<Character> edgeCases = new ArrayList<>();
    for (int i = 0; i < bounds.length(); i += 2) {
      char lo = bounds.charAt(i);
      char hi = bounds.charAt(i + 1);
      IntStream.rangeClosed(lo, hi).forEach(c -> all.add((char) c));
      Stream.of(lo, hi, ' ').filter(c -> c >= lo && c <= hi).forEach(edgeCases::add);
    }
    return arb(Generate.pick(all), edgeCases);
  }

  /** jqwik's default characters: U+0000 to U+FFFF but surrogates, noncharacters, private use. */
  public Arb<Character> anyChar() {
    // U+0000..U+D7FF, then U+F900..U+FDCF, then U+FDF0..U+FFFD
    int first = 0xD800;
    int second = first + 0xFDD0 - 0xF900;
    int all = second + 0xFFFE - 0xFDF0;
    Gen<Character> chars = Generate.range(0, all - 1).map(i -> (char) (i < first ? i
        : i < second ? 0xF900 + i - first : 0xFDF0 + i - second));
    return arb(chars, List.of('\0', ' '));
  }

  /** A collection size drawn as jqwik draws them (see the class comment). */
  public Gen<Integer> sizes(int min, int max) {
    int small = (int) Math.max(Math.round(Math.sqrt(tries)), 10);
    if (max - min <= small) {
      return Generate.range(min, max, min);
    }
    int cutoff = min + small;
    double most = Math.min(0.02, 10.0 / tries);
    double above = (1 - most) * (0.1 + most);
    return Generate.frequency(
        Pair.of((int) Math.round(10_000 * (1 - most - above)), Generate.range(min, cutoff, min)),
        Pair.of((int) Math.round(10_000 * above), Generate.range(cutoff + 1, max, cutoff + 1)),
        Pair.of((int) Math.round(10_000 * most), Generate.constant(max)));
  }

  public <T> Arb<List<T>> lists(Gen<T> elements, int min, int max) {
    Gen<Integer> sizes = sizes(min, max);
    Gen<List<T>> lists = in -> {
      int n = sizes.generate(in);
      List<T> list = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        list.add(elements.generate(in));
      }
      return list;
    };
    return arb(lists.describedAs(l -> l.stream().map(elements::asString)
        .collect(Collectors.joining(", ", "[", "]"))), n -> {
          List<List<T>> edgeCases = new ArrayList<>();
          if (min == 0) {
            edgeCases.add(new ArrayList<>());
          }
          if (min <= 1 && max >= 1) {
            edgeCasesOf(elements, n - edgeCases.size())
                .forEach(e -> edgeCases.add(new ArrayList<>(Collections.singletonList(e))));
          } else if (min == max) {
            edgeCasesOf(elements, n).forEach(e -> edgeCases.add(
                new ArrayList<>(Collections.nCopies(min, e))));
          }
          return first(edgeCases, n);
        });
  }

  public Arb<byte[]> byteArrays(int min, int max) {
    Arb<List<Byte>> lists = lists(bytes(), min, max);
    Function<List<Byte>, byte[]> toArray = l -> {
      byte[] b = new byte[l.size()];
      for (int i = 0; i < b.length; i++) {
        b[i] = l.get(i);
      }
      return b;
    };
    Arb<byte[]> arrays = map(lists, toArray);
    return arb(arrays.values.describedAs(Arrays::toString), arrays.edgeCases);
  }

  /**
   * Strings of {@code chars}, whose own edge cases are not mixed in (jqwik's are not); edge cases
   * each edge-case character alone, the empty string, at a fixed length that many of one.
   */
  public Arb<String> strings(Arb<Character> chars, int min, int max) {
    Gen<Integer> sizes = sizes(min, max);
    Gen<String> strings = in -> {
      int n = sizes.generate(in);
      StringBuilder s = new StringBuilder(n);
      for (int i = 0; i < n; i++) {
        s.append(chars.values.generate(in));
      }
      return s.toString();
    };
    return arb(strings, n -> {
      List<String> edgeCases = new ArrayList<>();
      if (min <= 1 && max >= 1) {
        chars.edgeCases(n).forEach(c -> edgeCases.add(String.valueOf(c)));
      }
      if (min == 0) {
        edgeCases.add("");
      }
      if (min > 1) {
        chars.edgeCases(n - edgeCases.size())
            .forEach(c -> edgeCases.add(String.valueOf(c).repeat(min)));
      }
      return first(edgeCases, n);
    });
  }

  /** jqwik's {@code strings().withChars(alphabet)}. */
  public Arb<String> strings(String alphabet, int min, int max) {
    return strings(chars(alphabet), min, max);
  }

  // ----------------------------------------------------------------------------- combinators

  public <T, R> Arb<R> map(Gen<T> gen, Function<? super T, ? extends R> f) {
    return arb(valuesOf(gen).map(f),
        n -> edgeCasesOf(gen, n).stream().map(e -> (R) f.apply(e)).toList());
  }

  /** jqwik's filter: QuickTheories draws again (up to 100 times) when a value fails it. */
  public <T> Arb<T> filter(Gen<T> gen, Predicate<T> keep) {
    return arb(valuesOf(gen).assuming(keep),
        n -> edgeCasesOf(gen, n).stream().filter(keep).toList());
  }

  public <A, B, R> Arb<R> combine(Gen<A> a, Gen<B> b, BiFunction<A, B, R> f) {
    return combine(List.of(a, b), l -> f.apply(cast(l.get(0)), cast(l.get(1))));
  }

  public <A, B, C, R> Arb<R> combine(Gen<A> a, Gen<B> b, Gen<C> c, Function3<A, B, C, R> f) {
    return combine(List.of(a, b, c),
        l -> f.apply(cast(l.get(0)), cast(l.get(1)), cast(l.get(2))));
  }

  public <A, B, C, D, R> Arb<R> combine(Gen<A> a, Gen<B> b, Gen<C> c, Gen<D> d,
      Function4<A, B, C, D, R> f) {
    return combine(List.of(a, b, c, d),
        l -> f.apply(cast(l.get(0)), cast(l.get(1)), cast(l.get(2)), cast(l.get(3))));
  }

  public <A, B, C, D, E, R> Arb<R> combine(Gen<A> a, Gen<B> b, Gen<C> c, Gen<D> d, Gen<E> e,
      Function5<A, B, C, D, E, R> f) {
    return combine(List.of(a, b, c, d, e), l -> f.apply(cast(l.get(0)), cast(l.get(1)),
        cast(l.get(2)), cast(l.get(3)), cast(l.get(4))));
  }

  /**
   * jqwik's {@code Combinators.combine}: the parts are drawn without their own edge cases (their
   * parts mix theirs in), the combinations of those are this one's.
   */
  public <R> Arb<R> combine(List<Gen<?>> parts, Function<List<Object>, R> f) {
    Gen<R> values = in -> {
      List<Object> l = new ArrayList<>();
      parts.forEach(p -> l.add(valuesOf(p).generate(in)));
      return f.apply(l);
    };
    return arb(values, n -> combinations(parts, n, n).stream().map(f).toList());
  }

  @SafeVarargs
  public final <T> Arb<T> oneOf(Gen<T>... alternatives) {
    List<Pair<Integer, ? extends Gen<T>>> weighted = new ArrayList<>();
    for (Gen<T> a : alternatives) {
      weighted.add(Pair.of(1, a));
    }
    return frequency(weighted);
  }

  /** jqwik's {@code frequencyOf}: the alternatives mix their edge cases in; these are all. */
  public <T> Arb<T> frequency(List<Pair<Integer, ? extends Gen<T>>> alternatives) {
    List<Pair<Integer, Gen<T>>> weighted = new ArrayList<>();
    alternatives.forEach(a -> weighted.add(Pair.of(a._1, a._2)));
    return arb(Generate.frequency(weighted), n -> weighted.stream()
        .flatMap(a -> edgeCasesOf(a._2, n).stream())
        .limit(n)
        .toList());
  }

  // ------------------------------------------------------------------------------ properties

  /** A property body that may throw, as the I/O ones do. */
  public interface Body<A> {
    void accept(A a) throws Exception;
  }

  public interface Body2<A, B> {
    void accept(A a, B b) throws Exception;
  }

  public static <A> Consumer<A> io(Body<A> body) {
    return a -> run(() -> body.accept(a));
  }

  public static <A, B> BiConsumer<A, B> io(Body2<A, B> body) {
    return (a, b) -> run(() -> body.accept(a, b));
  }

  private interface Run {
    void run() throws Exception;
  }

  private static void run(Run body) {
    try {
      body.run();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  /** QuickTheories' report (it ends "Seed was N"), and how to run that seed again. */
  private record Rerun(String test, long runSeed) implements Reporter {
    private static final Reporter QT = new ExceptionReporter();

    @Override
    public void falisification(long seed, int count, Object smallest, Throwable cause,
        List<Object> examples, AsString<Object> toString) {
      try {
        QT.falisification(seed, count, smallest, cause, distinct(examples, toString), toString);
      } catch (AssertionError e) {
        throw new AssertionError(e.getMessage() + hint(seed), cause);
      }
    }

    @Override
    public void falisification(long seed, int count, Object smallest, List<Object> examples,
        AsString<Object> toString) {
      try {
        QT.falisification(seed, count, smallest, distinct(examples, toString), toString);
      } catch (AssertionError e) {
        throw new AssertionError(e.getMessage() + hint(seed));
      }
    }

    @Override
    public void valuesExhausted(int completedExamples) {
      try {
        QT.valuesExhausted(completedExamples);
      } catch (IllegalStateException e) {
        throw new IllegalStateException(e.getMessage() + hint(runSeed));
      }
    }

    /** Shrinking the extra draw of {@link Theory} finds the same values again: once each. */
    private static List<Object> distinct(List<Object> examples, AsString<Object> toString) {
      Map<String, Object> byText = new LinkedHashMap<>();
      examples.forEach(e -> byText.putIfAbsent(toString.asString(e), e));
      return new ArrayList<>(byText.values());
    }

    private String hint(long seed) {
      return String.format("%nRe-run this seed: mvn -B verify -pl core,provider -am -Dtest=%s"
          + " -Dsurefire.failIfNoSpecifiedTests=false -D%s=%d%n", test, SEED_PROPERTY, seed);
    }
  }
}
