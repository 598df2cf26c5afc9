package io.layerfs.core.rootfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.testing.Props;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class InflatePipelineTest {

  /** The reader and the copy both see every byte once, in order, however it reads and skips. */
  @Test
  void readerAndCopySeeEveryByte() {
    Props p = Props.tries(30);
    p.qt()
        .withShrinkCycles(500) // about 20 ms each
        .forAll(p.ints(0, 3 * InflatePipeline.CHUNK + 77), p.ints(1, 100_000))
        .checkAssert(Props.io((size, step) -> {
          byte[] data = new byte[size];
          new Random(size).nextBytes(data);
          ByteArrayOutputStream copy = new ByteArrayOutputStream();
          ByteArrayOutputStream seen = new ByteArrayOutputStream();
          try (InflatePipeline pipe =
              InflatePipeline.start(() -> new ByteArrayInputStream(data), copy)) {
            InputStream in = pipe.stream();
            byte[] buffer = new byte[step];
            for (int n; (n = in.read(buffer, 0, buffer.length)) >= 0; ) {
              seen.write(buffer, 0, n);
            }
          }
          assertArrayEquals(data, seen.toByteArray());
          assertArrayEquals(data, copy.toByteArray());
        }));
  }

  @Test
  void producerFailureReachesTheReaderAsIs() {
    IOException corrupt = new IOException("corrupt gzip");
    InputStream failing = new SequenceInputStream(
        new ByteArrayInputStream(new byte[InflatePipeline.CHUNK + 10]),
        new InputStream() {
          @Override
          public int read() throws IOException {
            throw corrupt;
          }
        });
    IOException thrown = assertThrows(IOException.class, () -> {
      try (InflatePipeline pipe =
          InflatePipeline.start(() -> failing, OutputStream.nullOutputStream())) {
        pipe.stream().transferTo(OutputStream.nullOutputStream());
      }
    });
    assertSame(corrupt, thrown);
  }

  /** A reader that gives up early must not leave the producer blocked on a full queue. */
  @Test
  void closeStopsAProducerThatIsAhead() {
    AtomicBoolean sourceClosed = new AtomicBoolean();
    assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
      InflatePipeline pipe = InflatePipeline.start(() -> new InputStream() {
        @Override
        public int read() {
          return 0;
        }

        @Override
        public int read(byte[] b, int off, int len) {
          return len; // endless
        }

        @Override
        public void close() {
          sourceClosed.set(true);
        }
      }, OutputStream.nullOutputStream());
      pipe.stream().read(new byte[10]);
      pipe.close();
    });
    // close waits for the producer, which closes its source on the way out
    assertTrue(sourceClosed.get());
  }
}
