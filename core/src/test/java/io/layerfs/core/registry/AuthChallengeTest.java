package io.layerfs.core.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.testing.Props;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AuthChallengeTest {
  private static final Props P = Props.tries(300);

  @Test
  void dockerHubBearer() {
    AuthChallenge c = AuthChallenge.parse("Bearer realm=\"https://auth.docker.io/token\","
        + "service=\"registry.docker.io\",scope=\"repository:library/debian:pull\"").orElseThrow();
    assertEquals("bearer", c.scheme());
    assertEquals(Map.of("realm", "https://auth.docker.io/token", "service", "registry.docker.io",
        "scope", "repository:library/debian:pull"), c.params());
  }

  @Test
  void basicAndOddSpellings() {
    assertEquals(new AuthChallenge("basic", Map.of("realm", "Registry Realm")),
        AuthChallenge.parse("Basic realm=\"Registry Realm\"").orElseThrow());
    assertEquals(new AuthChallenge("bearer", Map.of("realm", "x", "scope", "a b")),
        AuthChallenge.parse("BEARER Realm=x , SCOPE = \"a b\"").orElseThrow());
    assertEquals("say \"hi\"", AuthChallenge.parse("Bearer realm=\"say \\\"hi\\\"\"")
        .orElseThrow().param("realm"));
    assertEquals(Map.of(), AuthChallenge.parse("Basic").orElseThrow().params());
    assertTrue(AuthChallenge.parse("").isEmpty());
    assertTrue(AuthChallenge.parse("Bearer realm=\"unterminated").isEmpty());
    assertTrue(AuthChallenge.parse("Bearer realm").isEmpty());
    assertTrue(AuthChallenge.parse(null).isEmpty());
  }

  @Test
  void quotedValuesRoundTrip() {
    P.qt().forAll(P.strings(P.charRanges(" ~"), 0, 40), P.strings("abcxyz", 1, 8))
        .checkAssert((value, name) -> {
          String quoted = "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
          AuthChallenge c = AuthChallenge.parse("Bearer " + name + "=" + quoted
              + ", service=s").orElseThrow();
          assertEquals(value, c.param(name));
          assertEquals(name.equals("service") ? value : "s", c.param("service"));
        });
  }
}
