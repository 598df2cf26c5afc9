package io.layerfs.bench;

import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.image.Images;
import io.layerfs.core.rootfs.LayerIndex;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.LayerCompression;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The first open of a gzip layer against inflating the same blob with {@code java.util.zip}
 * alone (issue 2: layerfs at least 90% of the speed of inflating alone).
 *
 * <ul>
 *   <li>{@link #inflateOnly}: {@code GZIPInputStream} (64 KiB buffer) over the blob into a
 *       discarding buffer: the lower bound;
 *   <li>{@link #inflateAndHash}: the same plus SHA-256 of the output (diagnostic: what the
 *       DiffID check costs);
 *   <li>{@link #firstOpen}: {@code LayerStore.index} of the layer on a store without its
 *       uncompressed blob and index: inflate, hash the compressed and uncompressed bytes, write
 *       and fsync the uncompressed blob, index the tar, persist the index.
 * </ul>
 *
 * <p>Every invocation starts from the compressed blob alone (setup deletes the uncompressed blob
 * and the index, outside the measured time), so the mode is single-shot: each invocation is
 * timed on its own. The speed ratio of the target is {@code inflateOnly / firstOpen} (time per
 * op), which {@link RatioReport} prints. The page cache holds the compressed blob after the
 * first invocation, as it would after a pull. The trial's setup runs each body {@value
 * #WARM_ROUNDS} times before JMH's own warmup: a single shot on a cold JIT (run.sh's default
 * is two warmup iterations) measures the compiler more than the code.
 *
 * <p>The layer ({@value #SEED} seeded, {@code mib} MiB uncompressed, cached under the benchmark
 * directory) mixes what images hold: text and source files (compress about 4:1), binaries with
 * repeating structure (about 2:1), already compressed data (none), and zero-filled files, from
 * a few hundred bytes to a few MiB each.
 *
 * <p>Not final and public because JMH subclasses benchmark classes.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3)
@Measurement(iterations = 8)
@State(Scope.Benchmark)
public class IngestBenchmark {
  static final long SEED = 0x1a7e2f5L;
  private static final String TAG = "ingest";
  private static final int VERSION = 1;
  private static final int BUFFER = 1 << 16;
  private static final int WARM_ROUNDS = 6;

  /** Uncompressed size of the layer, in MiB ({@code --smoke} uses 16). */
  @Param({"96"})
  public int mib;

  private ContentStore content;
  private Layer layer;
  private Path blob;
  private LayerStore layers;
  private final byte[] sink = new byte[BUFFER];

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    Path base = Fixture.baseDir();
    Files.createDirectories(base);
    String name = String.format(Locale.ROOT, "ingest-v%d-%dmib", VERSION, mib);
    Path store = Fixture.once(base.resolve(name), tmp -> write(tmp, (long) mib << 20));
    content = ContentStore.open(store);
    layer = Images.resolve(content, TAG).layers().get(0);
    blob = content.blobPath(layer.digest());
    // single shots of a cold JIT measure the compiler: run every body a few times first,
    // whatever warmup iterations the command line asks for (run.sh's short default is 2)
    for (int i = 0; i < WARM_ROUNDS; i++) {
      inflateOnly();
      forget();
      try {
        firstOpen();
      } finally {
        closeStore();
      }
    }
  }

  /** Leaves only the compressed blob, as after a pull: the next index is a first open. */
  @Setup(Level.Invocation)
  public void forget() throws IOException {
    Files.deleteIfExists(content.blobPath(layer.diffId()));
    Trees.deleteRecursively(content.stateDir().resolve("index"));
    layers = new LayerStore(content);
  }

  @TearDown(Level.Invocation)
  public void closeStore() throws IOException {
    layers.close();
  }

  /** {@code java -jar bench/target/benchmarks.jar IngestBenchmark.inflateOnly}. */
  @Benchmark
  public long inflateOnly() throws IOException {
    long total = 0;
    try (InputStream in = new GZIPInputStream(Files.newInputStream(blob), BUFFER)) {
      for (int n; (n = in.read(sink, 0, BUFFER)) >= 0; ) {
        total += n;
      }
    }
    return total;
  }

  /** {@code java -jar bench/target/benchmarks.jar IngestBenchmark.inflateAndHash}. */
  @Benchmark
  public byte[] inflateAndHash() throws IOException, NoSuchAlgorithmException {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    try (InputStream in = new GZIPInputStream(Files.newInputStream(blob), BUFFER)) {
      for (int n; (n = in.read(sink, 0, BUFFER)) >= 0; ) {
        sha.update(sink, 0, n);
      }
    }
    return sha.digest();
  }

  /** {@code java -jar bench/target/benchmarks.jar IngestBenchmark.firstOpen}. */
  @Benchmark
  public LayerIndex firstOpen() throws IOException {
    return layers.index(layer);
  }

  /** Writes the image: one gzip layer of about {@code size} bytes of mixed files. */
  static void write(Path layout, long size) throws IOException {
    Random random = new Random(SEED);
    ImageBuilder builder = ImageBuilder.create(layout);
    builder.layer(LayerCompression.GZIP);
    long written = 0;
    for (int i = 0; written < size; i++) {
      String dir = String.format(Locale.ROOT, "/usr/share/d%03d", i / 50);
      if (i % 50 == 0) {
        builder.dir(dir);
      }
      // log-uniform sizes from 256 B to 4 MiB
      int length = (int) Math.min(size - written,
          Math.round(Math.pow(2, 8 + random.nextDouble() * 14)));
      int kind = random.nextInt(10);
      byte[] data = kind < 5 ? text(random, length)
          : kind < 8 ? binary(random, length)
          : kind < 9 ? noise(random, length)
          : new byte[length];
      builder.file(dir + String.format(Locale.ROOT, "/f%05d", i), data);
      written += length;
    }
    builder.build(TAG);
  }

  private static final String[] WORDS = (
      "the of and to in is that for it as with was on be by this are from or at an which "
      + "public static final class void return int long if else new import package private "
      + "String byte throws IOException null true false while for each path file layer image "
      + "index digest store open close read write buffer stream tar gzip entry directory")
      .split(" ");

  private static byte[] text(Random random, int length) {
    StringBuilder sb = new StringBuilder(length + 16);
    while (sb.length() < length) {
      sb.append(WORDS[random.nextInt(WORDS.length)]);
      int r = random.nextInt(12);
      sb.append(r == 0 ? "\n" : r == 1 ? "; " : r == 2 ? Integer.toString(random.nextInt(1000))
          : " ");
    }
    byte[] all = sb.toString().getBytes(StandardCharsets.US_ASCII);
    return java.util.Arrays.copyOf(all, length);
  }

  /** Repeating records with random fields: about as compressible as executables. */
  private static byte[] binary(Random random, int length) {
    byte[] data = new byte[length];
    byte[] record = new byte[64];
    random.nextBytes(record);
    for (int i = 0; i < length; i++) {
      if (i % 64 == 0 && random.nextInt(3) == 0) {
        record[random.nextInt(64)] = (byte) random.nextInt();
      }
      data[i] = (i & 7) < 3 ? (byte) random.nextInt() : record[i & 63];
    }
    return data;
  }

  private static byte[] noise(Random random, int length) {
    byte[] data = new byte[length];
    random.nextBytes(data);
    return data;
  }
}
