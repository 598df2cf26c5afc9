package io.layerfs.core.lazy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.layerfs.core.Digest;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.estargz.FileRangedBlob;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link PartialBlob} once it is complete, when its readers switch to the stored blob. */
class PartialBlobTest {
  @TempDir Path tmp;

  /**
   * A reader whose chunk check fails forgets the chunk's range and ensures it again; once the
   * blob is stored and verified, that fetched into the store's read-only blob and failed with
   * {@code NonWritableChannelException} (seen when a read met the completion of a background
   * fetch). The verified bytes are read instead, with no request.
   */
  @Test
  void aStoredBlobIsNeverFetchedIntoAgain() throws IOException {
    byte[] bytes = new byte[200_000];
    new Random(5).nextBytes(bytes);
    Path file = Files.write(tmp.resolve("remote"), bytes);
    PartialBlob blob = PartialBlob.open(tmp.resolve("lazy"),
        new FileRangedBlob(file, Digest.sha256(bytes)), bytes.length);
    try {
      blob.complete(ContentStore.open(tmp.resolve("store")));
      long requests = blob.requests();
      blob.forget(1000, 2000);
      blob.ensure(1000, 2000);
      try (InputStream in = blob.open(1000, 1000)) {
        assertArrayEquals(Arrays.copyOfRange(bytes, 1000, 2000), in.readAllBytes());
      }
      assertEquals(requests, blob.requests(), "requests after the blob was stored");
    } finally {
      blob.close();
    }
  }
}
