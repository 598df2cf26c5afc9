/**
 * Registries: the OCI distribution API (Docker Hub, Harbor, GHCR, ECR, {@code distribution})
 * spoken with the JDK's {@code java.net.http.HttpClient} and Jackson, and pull and push between
 * a registry and a store.
 *
 * <p>{@link io.layerfs.core.registry.Reference} parses image references as Docker does; {@link
 * io.layerfs.core.registry.RegistryClient} resolves a reference to a {@link
 * io.layerfs.core.registry.RemoteImage} (manifest, config, layer descriptors, for a {@link
 * io.layerfs.core.registry.Platform}) and opens byte ranges of blobs, which is what lazy reads
 * build on; {@link io.layerfs.core.registry.ImagePull} and {@link
 * io.layerfs.core.registry.ImagePush} move whole images. {@link
 * io.layerfs.core.registry.RegistryOptions} says how ({@code tlsVerify}, credentials, parallel
 * downloads, retries, chunk size). Behind them: {@code RegistryHttp} (every request: scheme,
 * authentication, redirects, retries), {@code RegistryAuth} and {@code AuthChallenge}
 * (challenges and tokens), {@link io.layerfs.core.registry.DockerConfig} (the {@code credHelpers},
 * {@code credsStore} and {@code auths} of {@code ~/.docker/config.json}; {@code
 * CredentialHelper} runs a {@code docker-credential-NAME} as Docker does), {@code
 * ResumingBlobStream} (a range resumed after a cut), {@code IdleTimeout} (a read of an answer
 * that waits too long is ended) and
 * {@code BlobOrigins} (which repositories hold a blob, for cross-repository mounts).
 *
 * <h2>Requests</h2>
 *
 * HTTPS by default; with {@code tlsVerify} false a registry that does not answer TLS is spoken to
 * in plain HTTP (found by one probe of {@code /v2/}, remembered per client; a registry on a
 * loopback address is asked in plain HTTP first, as Docker treats those as insecure, and HTTPS
 * is taken only when a TLS server's 400 or hang-up answers), and certificates are not checked.
 * With {@code tlsVerify} true, a loopback registry is still Docker's insecure registry ({@code
 * loopbackHttp}, unless the user gave {@code --tls-verify=true}): plain HTTP when a registry
 * answers {@code /v2/} there, else HTTPS, verified; no other registry is ever spoken to in plain
 * HTTP. A certificate is verified against the JVM's trusted authorities and, as Docker and
 * skopeo add them, the {@code *.crt} files of the registry's own directory in {@code certs.d}
 * ({@code /etc/docker/certs.d/HOST:PORT/ca.crt}), or of the directory {@code certDirOrNull}
 * names ({@code --cert-dir}); the host name is checked either way ({@code RegistryTrust}). A
 * registry that asks for a client certificate gets that directory's {@code NAME.cert} and
 * {@code NAME.key} ({@code RegistryClientKeys}). {@code RegistryTls} makes the TLS context of
 * both, and reads a registry's directory before its first TLS request, so that a bad file is
 * an error naming it rather than a failed handshake ({@code CertsDirectories} finds it). Requests
 * go through the proxies {@code RegistryOptions.proxyOrNull} gives, else the JVM's when its
 * proxy properties are set, else those of {@code HTTPS_PROXY}, {@code HTTP_PROXY} and {@code
 * NO_PROXY} ({@code EnvironmentProxy}, as Docker and skopeo read them). Where a pull goes is
 * what containers-registries.conf(5) says ({@code RegistriesConf}, read on a client's first pull
 * or push from {@code registriesConfOrNull} or the files skopeo and podman read): the client
 * asks the mirrors of the reference's longest-prefix table, then its location, for the manifest,
 * and the place that served it first for every later request of that repository (the others
 * after it); a place whose own table is {@code blocked} is not asked, an {@code insecure} one is
 * spoken to as with {@code tlsVerify} off ({@code RegistryHttp.allowInsecure}, per host and
 * port in {@code RegistryTrust}), and {@code --creds} are withheld from a place on another host.
 * A push is only checked against {@code blocked} and {@code insecure}. A reference's registry
 * may be an IPv6 address in brackets; its image's tag in
 * the store is kept in {@code index.json} in the form {@code oci.RefNames} gives it. A 401 is
 * answered once per request: {@code Basic} with the credentials ({@code --creds}, else the Docker
 * config's entry for the registry), {@code Bearer} with a token fetched from the challenge's realm
 * for the request's scopes ({@code repository:NAME:pull}, {@code pull,push} for a push, plus {@code
 * repository:FROM:pull} for a mount) with the credentials as basic auth when there are any, cached
 * until it expires (a day at most, whatever its {@code expires_in}). Transient failures (5xx, 429
 * with its {@code Retry-After}, up to a minute, connections reset or refused) are retried with
 * exponential backoff, up to {@code maxAttempts} in all; TLS failures and unknown hosts are not.
 * Nothing waits forever on a registry that stops answering: a request waits a minute for its
 * answer's headers (an upload as long again as sending its bytes at 64 KiB/s takes), and every
 * read of an answer a minute for its next bytes ({@code
 * IdleTimeout}, as the JDK's client has no read timeout), after which a blob download resumes as
 * after a cut; a probe does not read its body. What a registry sends is bounded before it is
 * read: a manifest or config by {@code jsonBytes}, a layer by its descriptor's size, a token
 * answer by 1 MiB. Redirects of {@code GET} and {@code HEAD} are followed without credentials
 * to another host, or from HTTPS to plain HTTP on the same one. Errors are {@link
 * io.layerfs.core.registry.RegistryException}s, one line naming the registry, the reference or
 * blob, the HTTP status and the registry's own error codes (such as {@code MANIFEST_UNKNOWN}).
 *
 * <p>The HTTP client's cost, measured on pulls (issue 12): its read buffer is set to 512 KiB
 * (the JDK's property {@code jdk.httpclient.bufsize}, unless given), as its one selector thread
 * passing 16 KiB buffers on was the bottleneck of parallel downloads; the TLS context is made on
 * first use ({@code DeferredSslContext}), so a plain-HTTP registry never loads the TLS provider
 * or the trust store; and {@link io.layerfs.core.registry.RegistryClient#close} stops
 * the client's selector thread ({@code HttpClientShutdown}), which a Java 17 JVM's exit
 * otherwise waits 300 ms for. The client's executor is a direct one: its steps that hand a body
 * on to the reader run on the thread where they come up instead of waking a worker thread each
 * time (every request here is blocking; nothing hangs on a response).
 *
 * <h2>Pull</h2>
 *
 * One manifest request for the reference; an image index picks the platform's manifest (fetched
 * unless the store holds it); every layer the store lacks is downloaded on a bounded pool ({@code
 * parallelism}, 3 by default), each into a {@code BlobWriter} that verifies size and digest
 * before the rename that publishes it (and writes a large blob back to the disk as it goes, so
 * the fsync before that rename is short); meanwhile the pulling thread fetches the config unless
 * the store holds it, verifies it and stores it and the manifest. A cut
 * connection resumes with {@code Range: bytes=N-} from the first byte not received. So an image
 * whose blobs are all present costs one manifest request. The platform's manifest is stored and
 * tagged (not the index): {@link io.layerfs.core.registry.Reference#storeTag()}, the name {@code
 * docker pull} shows ({@code debian:12}, {@code host:5000/team/app:1}, {@code
 * name@sha256:...} for a pull by digest alone).
 *
 * <h2>Push</h2>
 *
 * Per blob, layers then config: {@code HEAD}, then a mount from another repository of the
 * registry that {@code BlobOrigins} knows to hold the blob (a registry may decline and start an
 * upload instead), else an upload: one {@code PUT} up to {@code chunkSize}, {@code PATCH} chunks
 * above it. The manifest goes last, byte for byte as stored.
 *
 * <h2>Crashes</h2>
 *
 * A pull holds an ingest lease from the first blob to the tag, so gc keeps what it wrote;
 * blobs become visible only by an atomic rename after verification, and the tag is set last. A
 * pull killed at any point leaves the store as it was plus some verified blobs (which the next
 * pull does not fetch again) and temp files under {@code layerfs/tmp} (removed by gc after an
 * hour); the file lock of the lease goes with the process. A {@code BlobOrigins} record is
 * replaced by a rename, so it is the old or the new list.
 *
 * <p>Thread safety: the client, pull and push are safe for concurrent use; a stream from {@code
 * openBlob} belongs to one thread.
 */
package io.layerfs.core.registry;
