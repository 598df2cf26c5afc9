package io.layerfs.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.layerfs.core.Digest;
import io.layerfs.core.Progress;
import io.layerfs.core.registry.RegistryOptions;
import io.layerfs.testing.ImageBuilder;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Store#imageOrPull} with names that are no registry reference: a digest or image ID the
 * store lacks is said to be missing, with the store's tags, and never pulled (as a reference it
 * would be Docker Hub's repository {@code sha256}).
 */
class ImageOrPullTest {
  @TempDir Path tmp;

  @Test
  void aDigestTheStoreLacksIsMissingNotPulled() throws IOException {
    ImageBuilder.create(tmp).build("app:1");
    String absent = Digest.sha256(new byte[] {7}).toString();
    // no registry is asked: the tlsVerify-off options would let a pull try plain HTTP anywhere
    RegistryOptions options = RegistryOptions.defaults().withTlsVerify(false);
    try (Store store = Store.open(tmp)) {
      for (String ref : new String[] {absent, "sha256:" + absent.substring(7, 19)}) {
        IOException e = assertThrows(IOException.class,
            () -> store.image(store.imageOrPull(ref, options, Progress.NONE)));
        assertEquals("no image '" + ref + "' in store " + tmp.toAbsolutePath().normalize()
            + "; tags: app:1", e.getMessage());
      }
    }
  }
}
