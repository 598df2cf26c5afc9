package io.layerfs.provider.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;
import org.junit.jupiter.api.io.TempDir;

/**
 * Java 22's {@code FileChannel.map(MapMode, long, long, Arena)}, which Lucene's {@code
 * MMapDirectory} calls on Java 21 and later, on a layerfs channel as on the host's: the same bytes
 * for an image file, a container's own file and one copied up, the same errors, and the mapping
 * gone once the arena is closed. Called through reflection, since
 * the tests compile for Java 17; CI runs this on the newest JDK the machine has
 * ({@code it/scripts/newer-jdk.sh}).
 */
@EnabledForJreRange(min = JRE.JAVA_22)
class LayerFsArenaMapTest {
  @TempDir Path store;
  @TempDir Path host;

  @Test
  void mapsIntoAnArenaAsTheHostDoes() throws Exception {
    FixtureImages.build(store);
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://arena"),
        Map.of("store", store, "image", FixtureImages.TAG))) {
      Path image = fs.getPath("/data/100000.bin");
      Path own = fs.getPath("/own.bin");
      byte[] mine = new byte[70_000];
      new java.util.Random(7).nextBytes(mine);
      Files.write(own, mine);
      Path copied = fs.getPath("/data/4096.bin");
      try (FileChannel ch = FileChannel.open(copied, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 100);
      }
      for (Path p : new Path[] {image, own, copied}) {
        Path onHost = host.resolve(p.getFileName().toString());
        Files.copy(p, onHost);
        long size = Files.size(p);
        for (long[] range : new long[][] {{17, size - 17}, {0, 0}, {0, size + 1},
            {0, Integer.MAX_VALUE + 1L}}) {
          assertEquals(mapped(onHost, range[0], range[1]), mapped(p, range[0], range[1]),
              p + " " + Arrays.toString(range));
        }
      }
    }
  }

  /**
   * The bytes of [pos, pos + size) of {@code file} mapped into an arena, and whether the segment
   * is alive once the arena is closed; or what the map threw.
   */
  private static String mapped(Path file, long pos, long size) throws Exception {
    Class<?> arenas = Class.forName("java.lang.foreign.Arena");
    Class<?> segments = Class.forName("java.lang.foreign.MemorySegment");
    Object segment;
    String bytes;
    try (AutoCloseable arena = (AutoCloseable) arenas.getMethod("ofConfined").invoke(null);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      try {
        segment = FileChannel.class.getMethod("map", FileChannel.MapMode.class, long.class,
            long.class, arenas).invoke(ch, FileChannel.MapMode.READ_ONLY, pos, size, arena);
      } catch (InvocationTargetException e) {
        return e.getCause().getClass().getName() + ": " + e.getCause().getMessage();
      }
      ByteBuffer b = (ByteBuffer) segments.getMethod("asByteBuffer").invoke(segment);
      byte[] got = new byte[b.remaining()];
      b.get(got);
      bytes = Arrays.toString(got);
    }
    Object scope = segments.getMethod("scope").invoke(segment);
    boolean alive = (boolean) Class.forName("java.lang.foreign.MemorySegment$Scope")
        .getMethod("isAlive").invoke(scope);
    return bytes + (alive ? " alive" : " unmapped") + " after the arena closed";
  }
}
