package io.layerfs.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Layer's hand-written equals and hashCode agree with a record's: all four components count. */
class LayerTest {
  private static final String GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
  private static final String TAR = "application/vnd.oci.image.layer.v1.tar";

  private static Digest digest(String s) {
    return Digest.sha256(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void layersAreEqualExactlyWhenEveryComponentIs() {
    Layer layer = new Layer(GZIP, digest("blob"), 10, digest("tar"));
    Layer same = new Layer(GZIP, digest("blob"), 10, digest("tar"));
    assertEquals(layer, same);
    assertEquals(layer.hashCode(), same.hashCode());
    assertEquals(List.of(layer), List.of(same));
    for (Layer other : List.of(new Layer(TAR, digest("blob"), 10, digest("tar")),
        new Layer(GZIP, digest("other"), 10, digest("tar")),
        new Layer(GZIP, digest("blob"), 11, digest("tar")),
        new Layer(GZIP, digest("blob"), 10, digest("other")))) {
      assertNotEquals(layer, other, other.toString());
      assertNotEquals(other, layer, other.toString());
    }
    assertNotEquals(layer, null);
    assertNotEquals(layer, (Object) digest("blob"));
  }
}
