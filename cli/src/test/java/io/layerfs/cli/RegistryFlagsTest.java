package io.layerfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.layerfs.core.registry.RegistryOptions;
import java.nio.file.Path;
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

  @Test
  void certDirIsTheDirectoryGivenMadeAbsoluteAndNoneByDefault() {
    assertNull(options().certDirOrNull(), "certs.d's directories by default");
    assertEquals(Path.of("certs").toAbsolutePath(),
        options("--cert-dir", "certs").certDirOrNull());
    assertEquals(Path.of("/etc/certs"), options("--cert-dir=/etc/certs").certDirOrNull());
  }

  @Test
  void registriesConfIsTheFileGivenMadeAbsoluteAndNoneByDefault() {
    assertNull(options().registriesConfOrNull(), "the files containers/image reads by default");
    assertEquals(Path.of("mirrors.conf").toAbsolutePath(),
        options("--registries-conf", "mirrors.conf").registriesConfOrNull());
  }

  private static RegistryOptions options(String... args) {
    CommandSpec spec = CommandSpec.create().name("pull");
    RegistryFlags.addTo(spec);
    new CommandLine(spec).parseArgs(args);
    return RegistryFlags.options(new Invocation(null, spec));
  }

  private static void assertOptions(boolean tlsVerify, boolean loopbackHttp, String... args) {
    RegistryOptions options = options(args);
    String given = String.join(" ", args);
    assertEquals(tlsVerify, options.tlsVerify(), given);
    assertEquals(loopbackHttp, options.loopbackHttp(), given);
  }
}
