package io.layerfs.core.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RegistryHttpTest {

  @Test
  void loopbackRegistries() {
    for (String r : new String[] {"localhost", "localhost:5000", "127.0.0.1:5000", "127.1.2.3",
        "[::1]:5000", "[::1]", "[0:0:0:0:0:0:0:1]:5000", "[0::1]"}) {
      assertTrue(RegistryHttp.isLoopback(r), r);
    }
    for (String r : new String[] {"registry.example", "10.0.0.1:5000", "127.example.com",
        "localhost.example:5000", "[::2]:5000", "1127.0.0.1", "[fe80::1]:5000", "[::]",
        "[1:2:3:4:5:6:7:8:9]"}) {
      assertFalse(RegistryHttp.isLoopback(r), r);
    }
  }

  @Test
  void errorBodiesAsTheRegistrySaysThem() {
    byte[] json = ("{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\","
        + "\"detail\":{\"Tag\":\"x\"}},{\"code\":\"DENIED\",\"message\":\"\"}]}")
        .getBytes(StandardCharsets.UTF_8);
    assertEquals("MANIFEST_UNKNOWN: manifest unknown; DENIED", RegistryException.describe(404,
        json));
    assertEquals("not found", RegistryException.describe(404, "404 page not found"
        .getBytes(StandardCharsets.UTF_8)));
    assertEquals("service unavailable (try later)", RegistryException.describe(503,
        "try\n  later".getBytes(StandardCharsets.UTF_8)));
    assertEquals("unauthorized", RegistryException.describe(401, new byte[0]));
    RegistryException e = RegistryException.of("host:5000", "host:5000/a:1", 403, json);
    assertEquals(403, e.status());
    assertEquals("registry host:5000: host:5000/a:1: HTTP 403 MANIFEST_UNKNOWN: manifest unknown;"
        + " DENIED", e.getMessage());
  }
}
