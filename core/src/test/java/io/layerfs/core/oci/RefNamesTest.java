package io.layerfs.core.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.testing.Props;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Names of IPv6 registries stored as OCI ref.names: valid ones, read back as given; every other
 * name stored as it is.
 */
class RefNamesTest {
  // the OCI image-layout ref.name grammar
  private static final Pattern REF_NAME = Pattern.compile(
      "[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*"
          + "(?:/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*");

  @Test
  void ipv6NamesAreStoredAsRefNamesAndReadBackAsGiven() {
    assertEquals("ip6+x+x+1:5000/team/app:1", RefNames.toRefName("[::1]:5000/team/app:1"));
    assertEquals("ip6+2001+db8+x+1/app@sha256:ab",
        RefNames.toRefName("[2001:db8::1]/app@sha256:ab"));
    Props p = Props.tries(500);
    p.qt().forAll(p.longs()).checkAssert(seed -> {
      String name = randomIpv6Name(new Random(seed));
      String stored = RefNames.toRefName(name);
      assertTrue(REF_NAME.matcher(stored).matches(), name + " -> " + stored);
      assertEquals(name, RefNames.fromRefName(stored), stored);
    });
  }

  @Test
  void otherNamesAreStoredAsTheyAre() {
    for (String name : new String[] {"app:1", "host:5000/team/app:1", "localhost/a", "ip6",
        "ip6:1", "ip6-1/a:1", "[::1]", "[::1]:5000", "[zz]:5000/a:1", "a/[::1]:1"}) {
      assertEquals(name, RefNames.toRefName(name));
      assertEquals(name, RefNames.fromRefName(name));
    }
    assertEquals(null, RefNames.toRefName(null));
    assertEquals(null, RefNames.fromRefName(null));
    // a name an OCI layout brings that looks like a stored address reads as one; no Docker
    // host has a '+', so no name users give comes out of it
    assertEquals("[1]/a", RefNames.fromRefName("ip6+1/a"));
    assertFalse(RefNames.fromRefName("ip6+zz/a").startsWith("["));
  }

  /** {@code [ADDRESS][:PORT]/PATH[:TAG]}, the address from 1 to 8 groups with '::' anywhere. */
  private static String randomIpv6Name(Random r) {
    StringBuilder address = new StringBuilder();
    int groups = 1 + r.nextInt(8);
    int gap = r.nextInt(groups + 1) - 1; // -1: no '::'
    for (int i = 0; i < groups; i++) {
      if (i == gap) {
        address.append(i == 0 ? "::" : ":");
      } else if (i > 0) {
        address.append(':');
      }
      address.append(Integer.toHexString(r.nextInt(0x10000)));
      if (i == groups - 1 && gap == groups) {
        address.append("::");
      }
    }
    if (r.nextInt(8) == 0) {
      address.setLength(0);
      address.append(r.nextBoolean() ? "::" : "::1");
    }
    String upper = r.nextBoolean() ? address.toString().toUpperCase() : address.toString();
    return "[" + upper + "]" + (r.nextBoolean() ? ":" + r.nextInt(65536) : "") + "/team/app"
        + (r.nextBoolean() ? ":v" + r.nextInt(100) : "");
  }
}
