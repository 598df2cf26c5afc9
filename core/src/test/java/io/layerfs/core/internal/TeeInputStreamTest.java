package io.layerfs.core.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.layerfs.testing.Props;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

class TeeInputStreamTest {

  /** Whatever mix of read, skip and drain the consumer uses, the copy sees every byte once. */
  @Test
  void copySeesEveryByte() {
    Props p = Props.tries(200);
    Gen<List<Integer>> stepLists = p.lists(p.ints(0, 700), 0, 20);
    p.qt().forAll(p.byteArrays(0, 5000), stepLists).checkAssert(Props.io((data, steps) -> {
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
    }));
  }

  @Test
  void skipReturnsWhatItSkipped() {
    Props p = Props.tries(50);
    p.qt().forAll(p.byteArrays(0, 3000), p.ints(0, 5000)).checkAssert(Props.io((data, n) -> {
      ByteArrayOutputStream copy = new ByteArrayOutputStream();
      TeeInputStream tee = new TeeInputStream(new ByteArrayInputStream(data), copy);
      assertEquals(Math.min(n, data.length), tee.skip(n));
      assertEquals(Math.min(n, data.length), copy.size());
      assertFalse(tee.markSupported());
    }));
  }
}
