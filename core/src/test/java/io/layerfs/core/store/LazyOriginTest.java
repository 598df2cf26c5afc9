package io.layerfs.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.registry.Reference;
import io.layerfs.core.registry.RegistryOptions;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * What a lazy layer's folder records of how to reach its registry, read back by another process
 * that reads on: the TLS choice the user made, an explicit HTTPS-only for loopback included, and
 * the registries.conf given by name.
 */
class LazyOriginTest {
  private static final Reference REF = Reference.parse("127.0.0.1:5000/team/app:1");

  @Test
  void theDefaultsComeBackAsTheyWere() {
    RegistryOptions back = Store.originOptions(Store.lazyOrigin(REF,
        RegistryOptions.defaults()));
    assertTrue(back.tlsVerify());
    assertTrue(back.loopbackHttp());
  }

  @Test
  void httpsRequiredOfALoopbackRegistryIsKept() {
    String origin = Store.lazyOrigin(REF, RegistryOptions.defaults().withLoopbackHttp(false));
    RegistryOptions back = Store.originOptions(origin);
    assertTrue(back.tlsVerify());
    assertFalse(back.loopbackHttp(), origin);
  }

  @Test
  void plainHttpAllowedIsKept() {
    RegistryOptions back = Store.originOptions(Store.lazyOrigin(REF,
        RegistryOptions.defaults().withTlsVerify(false)));
    assertFalse(back.tlsVerify());
  }

  @Test
  void aRegistriesConfGivenByNameIsKeptAbsolute() {
    RegistryOptions back = Store.originOptions(Store.lazyOrigin(REF,
        RegistryOptions.defaults().withRegistriesConf(Path.of("mirrors.conf"))));
    assertEquals(Path.of("mirrors.conf").toAbsolutePath(), back.registriesConfOrNull());
    assertNull(Store.originOptions(Store.lazyOrigin(REF, RegistryOptions.defaults()))
        .registriesConfOrNull());
  }

  @Test
  void anOriginWrittenBeforeReadsAsBefore() {
    assertEquals(REF + "\ntlsVerify=true\n",
        Store.lazyOrigin(REF, RegistryOptions.defaults()), "the format of the defaults changed");
    RegistryOptions old = Store.originOptions(REF + "\ntlsVerify=false\n");
    assertFalse(old.tlsVerify());
    assertTrue(Store.originOptions(REF + "\n").tlsVerify());
  }
}
