package io.layerfs.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the env map's String values for paths are read. */
class LayerEnvTest {
  @TempDir Path dir;

  @Test
  void aFileUriStringIsThePathItNamesAsPathOfUriReadsIt() {
    Path store = dir.resolve("my store");
    for (String uri : new String[] {store.toUri().toString(), "file:" + store.toUri().getRawPath(),
        "FILE://" + store.toUri().getRawPath()}) {
      assertEquals(store, LayerEnv.parse(Map.of("store", uri)).store(), uri);
      assertEquals(store, LayerEnv.parse(Map.of("store", dir.toString(), "certDir", uri))
          .certDir(), uri);
    }
    // a plain path stays one, relative to the working directory, colons and all
    assertEquals(Path.of("a:b").toAbsolutePath(),
        LayerEnv.parse(Map.of("store", "a:b")).store());
    assertEquals(store, LayerEnv.parse(Map.of("store", store.toString())).store());
  }

  @Test
  void anotherSchemeOrABadFileUriIsRefusedNamingTheKey() {
    assertEquals("env key 'store' is a path or a file: URI, not http://example.com/store"
        + " (scheme http)", refused("store", "http://example.com/store"));
    assertEquals("env key 'signedBy' is a path or a file: URI, not layerfs://web/key.gpg"
        + " (scheme layerfs)", refused("signedBy", "layerfs://web/key.gpg"));
    assertEquals("env key 'store': file://host/store is no file URI of a local path"
        + " (file:///PATH, as Path.toUri() writes one): URI has an authority component",
        refused("store", "file://host/store"));
    assertEquals("env key 'store': file:store is no file URI of a local path"
        + " (file:///PATH, as Path.toUri() writes one): URI is not hierarchical",
        refused("store", "file:store"));
  }

  private static String refused(String key, String value) {
    return assertThrows(IllegalArgumentException.class,
        () -> LayerEnv.parse(Map.of(key, value))).getMessage();
  }
}
