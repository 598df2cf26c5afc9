package io.layerfs.core.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class TeeInputStreamTest {

  /** Whatever mix of read, skip and drain the consumer uses, the copy sees every byte once. */
  @Property(tries = 200)
  void copySeesEveryByte(
      @ForAll @Size(max = 5000) byte[] data,
      @ForAll @Size(max = 20) java.util.List<@IntRange(min = 0, max = 700) Integer> steps)
      throws IOException {
    ByteArrayOutputStream copy = new ByteArrayOutputStream();
    TeeInputStream tee = new TeeInputStream(new ByteArrayInputStream(data), copy);
    int i = 0;
    for (int step : steps) {
      switch (i++ % 3) {
        case 0 -> tee.skip(step);
        case 1 -> tee.read(new byte[step + 1], 0, step + 1);
        default -> tee.read();
      }
    }
    tee.close(); // must not close the source: the rest is still drained into the copy
    tee.drain();
    assertArrayEquals(data, copy.toByteArray());
  }

  @Property(tries = 50)
  void skipReturnsWhatItSkipped(
      @ForAll @Size(max = 3000) byte[] data, @ForAll @IntRange(max = 5000) int n)
      throws IOException {
    ByteArrayOutputStream copy = new ByteArrayOutputStream();
    TeeInputStream tee = new TeeInputStream(new ByteArrayInputStream(data), copy);
    assertEquals(Math.min(n, data.length), tee.skip(n));
    assertEquals(Math.min(n, data.length), copy.size());
    assertFalse(tee.markSupported());
  }
}
