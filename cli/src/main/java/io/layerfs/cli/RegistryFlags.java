package io.layerfs.cli;

import io.layerfs.core.registry.Credentials;
import io.layerfs.core.registry.RegistryOptions;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code --tls-verify}, {@code --cert-dir}, {@code --registries-conf} and {@code --creds}, as
 * skopeo spells them: options of the commands that talk to a registry.
 */
final class RegistryFlags {
  private RegistryFlags() {}

  /** Adds the options to {@code spec}. */
  static void addTo(CommandSpec spec) {
    spec.addOption(OptionSpec.builder("--tls-verify").type(boolean.class).paramLabel("BOOL")
        .arity("0..1").defaultValue("true").fallbackValue("true")
        .description("Require HTTPS and verify certificates (default true, but a registry on "
            + "localhost, 127.0.0.0/8 or ::1 may answer plain HTTP, as in Docker; given as true, "
            + "not even there); false also allows plain HTTP and skips certificate checks.")
        .build());
    spec.addOption(OptionSpec.builder("--cert-dir").type(String.class).paramLabel("DIR")
        .description("The registry's certificates: authorities trusted",
            "too (*.crt), a client certificate (NAME.cert with",
            "NAME.key); default: the registry's own directory",
            "in certs.d, as Docker and skopeo find it:", "/etc/docker/certs.d/HOST:PORT/")
        .build());
    spec.addOption(OptionSpec.builder("--registries-conf").type(String.class).paramLabel("FILE")
        .description("Where pulls go (mirrors, locations) and which",
            "registries are blocked or insecure, in", "containers-registries.conf(5) format;",
            "default: $CONTAINERS_REGISTRIES_CONF, else",
            "~/.config/containers/registries.conf or", "/etc/containers/registries.conf.")
        .build());
    // short lines: picocli wraps a long one after any '.', as in "config." and "json"
    spec.addOption(OptionSpec.builder("--creds").type(String.class).paramLabel("USER:PASSWORD")
        .description("Credentials for the registry (default: the auths",
            "of $DOCKER_CONFIG/config.json or", "~/.docker/config.json, else anonymous).")
        .build());
  }

  /** The registry options the invocation's flags give. */
  static RegistryOptions options(Invocation in) {
    boolean verify = in.flag("--tls-verify");
    // given as true, it is skopeo's: HTTPS even on a loopback address
    boolean given = in.commandLine().getParseResult().hasMatchedOption("--tls-verify");
    RegistryOptions options = RegistryOptions.defaults().withTlsVerify(verify)
        .withLoopbackHttp(!(verify && given));
    String certDir = in.option("--cert-dir");
    if (certDir != null) {
      options = options.withCertDir(Path.of(certDir).toAbsolutePath());
    }
    String registriesConf = in.option("--registries-conf");
    if (registriesConf != null) {
      options = options.withRegistriesConf(Path.of(registriesConf).toAbsolutePath());
    }
    String creds = in.option("--creds");
    return creds == null ? options : options.withCredentials(Credentials.parse(creds));
  }
}
