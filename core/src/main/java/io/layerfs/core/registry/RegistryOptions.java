package io.layerfs.core.registry;

import java.net.ProxySelector;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link RegistryClient} talks to registries. Immutable; start from {@link #defaults()}
 * and change with the {@code with} methods.
 *
 * @param tlsVerify false: a registry that does not speak TLS is spoken to in plain HTTP, and a
 *     TLS certificate is not checked (skopeo's {@code --tls-verify=false}); true: HTTPS,
 *     verified (the default), except where {@code loopbackHttp} allows a loopback registry
 *     plain HTTP
 * @param loopbackHttp with {@code tlsVerify} true, a registry on a loopback address ({@code
 *     localhost}, 127.0.0.0/8, {@code [::1]}) that does not answer TLS is spoken to in plain
 *     HTTP, as Docker treats those registries as insecure by default; nothing leaves the machine.
 *     A certificate it presents is still verified. True by default; false (skopeo's explicit
 *     {@code --tls-verify=true}) requires HTTPS there too
 * @param credentialsOrNull used for every registry when given ({@code --creds}); otherwise the
 *     {@code dockerConfig} entry of the registry, else anonymous
 * @param dockerConfig the {@code auths} of a Docker config file; null: the one of this
 *     environment ({@link DockerConfig#defaultFile()}), read when a registry first asks
 * @param parallelism how many blobs a pull fetches at once
 * @param maxAttempts how often one request is tried when it fails transiently (5xx, 429, a reset
 *     or refused connection), and how often a cut-off blob download is resumed
 * @param backoff the wait before the first retry, doubled for each later one (a {@code
 *     Retry-After} of a 429 or 503 counts instead, up to a minute)
 * @param chunkSize push uploads larger blobs in chunks of this many bytes ({@code PATCH}), smaller
 *     ones in one request
 * @param certDirOrNull the directory of every registry's certificates (skopeo's {@code
 *     --cert-dir}): its {@code *.crt} files name authorities trusted besides the JVM's, its
 *     {@code NAME.cert} and {@code NAME.key} a client certificate for a registry that asks for
 *     one; null: each registry's own directory in {@code certs.d}, as Docker and skopeo find it
 *     ({@code ~/.config/containers/certs.d}, {@code /etc/containers/certs.d}, {@code
 *     /etc/docker/certs.d}: {@code HOST:PORT/ca.crt})
 * @param proxyOrNull the proxies requests go through; null: the JVM's ({@code https.proxyHost},
 *     {@code http.proxyHost} and the other networking properties) when any is set, else those
 *     the environment names as Docker and skopeo read them ({@code HTTPS_PROXY}, {@code
 *     HTTP_PROXY}, {@code NO_PROXY}; a loopback registry is never proxied), else none
 * @param registriesConfOrNull the containers-registries.conf(5) file (skopeo's {@code
 *     --registries-conf}) that says where pulls go (mirrors, locations) and which registries are
 *     blocked or insecure, read with the drop-in directories; null: the file containers/image
 *     reads ({@code $CONTAINERS_REGISTRIES_CONF}, {@code ~/.config/containers/registries.conf},
 *     {@code /etc/containers/registries.conf}), if there is one
 */
public record RegistryOptions(boolean tlsVerify, boolean loopbackHttp,
    Credentials credentialsOrNull, DockerConfig dockerConfig, int parallelism, int maxAttempts,
    Duration backoff, long chunkSize, Path certDirOrNull, ProxySelector proxyOrNull,
    Path registriesConfOrNull) {

  public RegistryOptions {
    Objects.requireNonNull(backoff, "backoff");
    if (parallelism < 1 || maxAttempts < 1 || chunkSize < 1) {
      throw new IllegalArgumentException("parallelism, maxAttempts and chunkSize must be >= 1");
    }
  }

  /**
   * TLS verified (a loopback registry may answer plain HTTP), no {@code --creds}, the Docker
   * config of this environment read when a registry asks for credentials ({@link
   * DockerConfig#defaultFile()}), 3 blobs at once, 5 attempts from 500 ms on, 16 MiB chunks.
   */
  public static RegistryOptions defaults() {
    return new RegistryOptions(true, true, null, null, 3, 5, Duration.ofMillis(500), 16L << 20,
        null, null, null);
  }

  public RegistryOptions withTlsVerify(boolean verify) {
    return new RegistryOptions(verify, loopbackHttp, credentialsOrNull, dockerConfig,
        parallelism, maxAttempts, backoff, chunkSize, certDirOrNull, proxyOrNull,
        registriesConfOrNull);
  }

  /** As {@code loopbackHttp} says: false requires HTTPS of a loopback registry too. */
  public RegistryOptions withLoopbackHttp(boolean allow) {
    return new RegistryOptions(tlsVerify, allow, credentialsOrNull, dockerConfig, parallelism,
        maxAttempts, backoff, chunkSize, certDirOrNull, proxyOrNull, registriesConfOrNull);
  }

  public RegistryOptions withCredentials(Credentials credentials) {
    return new RegistryOptions(tlsVerify, loopbackHttp, credentials, dockerConfig, parallelism,
        maxAttempts, backoff, chunkSize, certDirOrNull, proxyOrNull, registriesConfOrNull);
  }

  public RegistryOptions withDockerConfig(DockerConfig config) {
    return new RegistryOptions(tlsVerify, loopbackHttp, credentialsOrNull, config, parallelism,
        maxAttempts, backoff, chunkSize, certDirOrNull, proxyOrNull, registriesConfOrNull);
  }

  public RegistryOptions withParallelism(int n) {
    return new RegistryOptions(tlsVerify, loopbackHttp, credentialsOrNull, dockerConfig, n,
        maxAttempts, backoff, chunkSize, certDirOrNull, proxyOrNull, registriesConfOrNull);
  }

  public RegistryOptions withRetries(int attempts, Duration firstBackoff) {
    return new RegistryOptions(tlsVerify, loopbackHttp, credentialsOrNull, dockerConfig,
        parallelism, attempts, firstBackoff, chunkSize, certDirOrNull, proxyOrNull,
        registriesConfOrNull);
  }

  /** As {@code certDirOrNull} says: the certificates of {@code dir} instead of certs.d's. */
  public RegistryOptions withCertDir(Path dir) {
    return new RegistryOptions(tlsVerify, loopbackHttp, credentialsOrNull, dockerConfig,
        parallelism, maxAttempts, backoff, chunkSize, dir, proxyOrNull, registriesConfOrNull);
  }

  /** As {@code proxyOrNull} says: requests through the proxies {@code selector} picks. */
  public RegistryOptions withProxy(ProxySelector selector) {
    return new RegistryOptions(tlsVerify, loopbackHttp, credentialsOrNull, dockerConfig,
        parallelism, maxAttempts, backoff, chunkSize, certDirOrNull, selector,
        registriesConfOrNull);
  }

  /** As {@code registriesConfOrNull} says: pulls go where {@code file} sends them. */
  public RegistryOptions withRegistriesConf(Path file) {
    return new RegistryOptions(tlsVerify, loopbackHttp, credentialsOrNull, dockerConfig,
        parallelism, maxAttempts, backoff, chunkSize, certDirOrNull, proxyOrNull, file);
  }

  public RegistryOptions withChunkSize(long bytes) {
    return new RegistryOptions(tlsVerify, loopbackHttp, credentialsOrNull, dockerConfig,
        parallelism, maxAttempts, backoff, bytes, certDirOrNull, proxyOrNull, registriesConfOrNull);
  }
}
