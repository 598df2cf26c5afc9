package io.layerfs.cli;

import io.layerfs.core.registry.Credentials;
import io.layerfs.core.registry.RegistryOptions;
import picocli.CommandLine.Option;

/**
 * {@code --tls-verify} and {@code --creds}, as skopeo spells them: a picocli mixin of the
 * commands that talk to a registry.
 */
final class RegistryFlags {
  @Option(names = "--tls-verify", paramLabel = "BOOL", arity = "0..1", defaultValue = "true",
      fallbackValue = "true",
      description = "Require HTTPS and verify certificates (default true); false also allows a "
          + "plain-HTTP registry such as a local one.")
  boolean tlsVerify;

  @Option(names = "--creds", paramLabel = "USER:PASSWORD",
      description = "Credentials for the registry (default: the auths of $DOCKER_CONFIG/"
          + "config.json or ~/.docker/config.json, else anonymous).")
  String creds;

  RegistryOptions options() {
    RegistryOptions options = RegistryOptions.defaults().withTlsVerify(tlsVerify);
    return creds == null ? options : options.withCredentials(Credentials.parse(creds));
  }
}
