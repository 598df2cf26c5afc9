package io.layerfs.cli;

import io.layerfs.core.registry.Credentials;
import io.layerfs.core.registry.RegistryOptions;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code --tls-verify} and {@code --creds}, as skopeo spells them: options of the commands that
 * talk to a registry.
 */
final class RegistryFlags {
  private RegistryFlags() {}

  /** Adds the two options to {@code spec}. */
  static void addTo(CommandSpec spec) {
    spec.addOption(OptionSpec.builder("--tls-verify").type(boolean.class).paramLabel("BOOL")
        .arity("0..1").defaultValue("true").fallbackValue("true")
        .description("Require HTTPS and verify certificates (default true); false also allows a "
            + "plain-HTTP registry such as a local one.").build());
    // short lines: picocli wraps a long one after any '.', as in "config." and "json"
    spec.addOption(OptionSpec.builder("--creds").type(String.class).paramLabel("USER:PASSWORD")
        .description("Credentials for the registry (default: the auths",
            "of $DOCKER_CONFIG/config.json or", "~/.docker/config.json, else anonymous).")
        .build());
  }

  /** The registry options the invocation's flags give. */
  static RegistryOptions options(Invocation in) {
    RegistryOptions options = RegistryOptions.defaults().withTlsVerify(in.flag("--tls-verify"));
    String creds = in.option("--creds");
    return creds == null ? options : options.withCredentials(Credentials.parse(creds));
  }
}
