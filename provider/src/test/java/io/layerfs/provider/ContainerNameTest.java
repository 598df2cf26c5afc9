package io.layerfs.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The container name check (a loop) accepts exactly what Docker's rule, as a regex, accepts. */
class ContainerNameTest {
  private static final Pattern DOCKER = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]*");
  private static final String ALPHABET = "aZ09_.-/ :é\0";

  @Test
  void agreesWithTheRegexOnEveryShortName() {
    // every name of up to three characters over an alphabet of each kind of character
    int n = ALPHABET.length();
    int checked = 0;
    for (int len = 0; len <= 3; len++) {
      int count = (int) Math.pow(n, len);
      for (int code = 0; code < count; code++) {
        StringBuilder name = new StringBuilder();
        for (int i = 0, c = code; i < len; i++, c /= n) {
          name.append(ALPHABET.charAt(c % n));
        }
        String s = name.toString();
        assertEquals(DOCKER.matcher(s).matches(), LayerFileSystemProvider.isContainerName(s), s);
        checked++;
      }
    }
    assertEquals(1 + 12 + 144 + 1728, checked);
  }

  @Test
  void examples() {
    assertTrue(LayerFileSystemProvider.isContainerName("web-1.test_x"));
    assertFalse(LayerFileSystemProvider.isContainerName("-web"));
    assertFalse(LayerFileSystemProvider.isContainerName(""));
    assertFalse(LayerFileSystemProvider.isContainerName("a/b"));
  }
}
