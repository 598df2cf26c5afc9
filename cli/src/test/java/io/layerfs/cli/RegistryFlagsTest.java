package io.layerfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.layerfs.core.registry.RegistryOptions;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code --tls-verify} as skopeo users and Docker users expect it: not given, HTTPS verified but a
 * loopback registry may answer plain HTTP (Docker); given as true, HTTPS even there (skopeo);
 * false, plain HTTP and no certificate checks anywhere.
 */
class RegistryFlagsTest {
  @Test
  void tlsVerifyGivenOrNot() {
    assertOptions(true, true);
    assertOptions(true, false, "--tls-verify");
    assertOptions(true, false, "--tls-verify=true");
    assertOptions(false, true, "--tls-verify=false");
  }

  private static void assertOptions(boolean tlsVerify, boolean loopbackHttp, String... args) {
    CommandSpec spec = CommandSpec.create().name("pull");
    RegistryFlags.addTo(spec);
    new CommandLine(spec).parseArgs(args);
    RegistryOptions options = RegistryFlags.options(new Invocation(null, spec));
    String given = String.join(" ", args);
    assertEquals(tlsVerify, options.tlsVerify(), given);
    assertEquals(loopbackHttp, options.loopbackHttp(), given);
  }
}
