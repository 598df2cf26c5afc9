package io.layerfs.core.registry;

import com.fasterxml.jackson.databind.JsonNode;
import io.layerfs.core.Digest;
import io.layerfs.core.Limits;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.oci.Descriptor;
import io.layerfs.core.oci.ImageConfig;
import io.layerfs.core.oci.ImageIndex;
import io.layerfs.core.oci.ImageManifest;
import io.layerfs.core.oci.MediaTypes;
import io.layerfs.core.oci.OciJson;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.StringJoiner;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A client of the OCI distribution API (what Docker Hub, Harbor, GHCR, ECR and {@code
 * distribution} serve), on the JDK's {@code java.net.http.HttpClient}. {@link ImagePull} and
 * {@link ImagePush} are built on it; so is reading a registry image lazily.
 *
 * <h2>The API for other subsystems</h2>
 *
 * <ul>
 *   <li>{@link #resolve(Reference, Platform)}: a reference to its {@link RemoteImage} (manifest,
 *       config and layer descriptors, the image index it came from), an index resolved for the
 *       platform, without downloading a layer. Manifests and the config are verified against
 *       their digests and sizes.
 *   <li>{@link #openBlob(Reference, Digest, long, long)}: a byte range of a blob of the
 *       reference's repository, as a stream, with the blob's size: an HTTP {@code Range} request
 *       with the same authentication and retries as every other request, resumed from where it
 *       stopped when the connection is cut. The bytes are not verified (a range cannot be): the
 *       caller verifies what it can, as a pull verifies whole blobs.
 *   <li>{@link #rawManifest(Reference)} and {@link #tags(Reference)}: what {@code skopeo
 *       inspect} shows besides the image: the manifest or index as served, the repository's
 *       tags.
 * </ul>
 *
 * <p>Every request goes through {@code RegistryHttp}: authentication (anonymous, basic, bearer
 * tokens), retries with backoff and redirects. Errors are {@link RegistryException}s naming the
 * registry, the reference or blob and the HTTP status, or {@code IOException}s naming the
 * registry and the network failure.
 *
 * <p>Thread-safe; one client may serve many pulls at once and should, since it keeps the tokens
 * and each registry's scheme. {@link #close} it when done: that stops its HTTP client's thread
 * and connections at once instead of at the next garbage collection.
 */
public final class RegistryClient implements Closeable {
  /** What a pull accepts, most specific first: both manifest kinds and both index kinds. */
  static final String ACCEPT = String.join(", ", MediaTypes.OCI_MANIFEST,
      MediaTypes.DOCKER_MANIFEST, MediaTypes.OCI_INDEX, MediaTypes.DOCKER_MANIFEST_LIST);
  private static final Pattern CONTENT_RANGE =
      Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
  private static final Pattern NEXT_LINK = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");
  /** Bounds a tag listing whose pages never end (a registry's bug, or a loop of links). */
  private static final int MAX_TAG_PAGES = 10_000;
  private final RegistryOptions options;
  private final RegistryHttp http;
  /**
   * Bounds what is read: manifests and configs larger than {@code jsonBytes} are refused before
   * they are read; index nesting.
   */
  private final Limits limits;
  /** What registries.conf says of where pulls go, read on the first pull or push. */
  private volatile RegistriesConf registries;
  /** For a repository pulled from more than one place: the name of the one that served it. */
  private final ConcurrentMap<String, String> served = new ConcurrentHashMap<>();

  /** A client bounded by the limits the system properties give ({@link Limits}). */
  public RegistryClient(RegistryOptions options) {
    this(options, Limits.fromSystemProperties());
  }

  /**
   * A client that reads no more of a registry's manifests, configs and image indexes than
   * {@code limits} allow (a store's pulls use the store's).
   */
  public RegistryClient(RegistryOptions options, Limits limits) {
    this.options = options;
    this.http = new RegistryHttp(options);
    this.limits = limits;
  }

  /**
   * With waits before retries capped at {@code maxWait}, and waits for an answer's next bytes
   * at {@code idle}, instead of a minute each (for tests).
   */
  RegistryClient(RegistryOptions options, Duration maxWait, Duration idle) {
    this.options = options;
    this.http = new RegistryHttp(options, maxWait, idle);
    this.limits = Limits.fromSystemProperties();
  }

  public RegistryOptions options() {
    return options;
  }

  /** Stops the HTTP client's selector thread and connections; the client is unusable after. */
  @Override
  public void close() {
    http.close();
  }

  /** A manifest or index as served: bytes verified against {@code digest}. */
  record Manifest(String mediaType, Digest digest, byte[] bytes) {
    Descriptor descriptor() {
      return new Descriptor(mediaType, digest, bytes.length);
    }
  }

  /** The start of a range request's answer (see {@link ResumingBlobStream}). */
  record Opened(InputStream body, long start, long blobSize) {}

  /** Where a push puts a blob: mounted already, or an upload session's location. */
  record UploadStart(boolean mounted, URI location) {}

  /** Supplies blobs a store already holds, verified, so that they are not fetched again. */
  interface LocalBlobs {
    LocalBlobs NONE = d -> null;

    /** The blob's bytes, or null when it is not at hand. */
    byte[] read(Digest digest) throws IOException;

    static LocalBlobs of(ContentStore store) {
      return d -> store.contains(d) ? store.readJson(d) : null;
    }
  }

  /**
   * Resolves {@code reference} to its image for {@code platform} (see the class comment): one
   * manifest request, one more for the platform manifest of an index, one for the config.
   *
   * @throws RegistryException when the registry refuses or lacks something (401, 403, 404
   *     {@code MANIFEST_UNKNOWN}), naming it
   * @throws IOException when a digest or size does not match, the index has no manifest for the
   *     platform (listing those it has), or a layer type is unknown
   */
  public RemoteImage resolve(Reference reference, Platform platform) throws IOException {
    return resolve(reference, platform, LocalBlobs.NONE);
  }

  RemoteImage resolve(Reference reference, Platform platform, LocalBlobs local)
      throws IOException {
    return withConfig(resolveManifest(reference, platform, local), local);
  }

  /**
   * A platform manifest resolved, its config not yet read: what a pull needs to start
   * downloading layers while the config comes ({@link RegistryClient#withConfig}). {@code
   * source} is where the manifest came from (the reference, or a mirror or location of
   * registries.conf).
   */
  record ResolvedManifest(Reference reference, Reference source, Manifest manifest,
      ImageManifest parsed, Descriptor indexOrNull, byte[] indexBytesOrNull) {
    List<Descriptor> layers() {
      return parsed.layers();
    }
  }

  /**
   * The first part of {@link #resolve(Reference, Platform)}: the manifest (through image indexes
   * for {@code platform}), verified, and its layers' media types checked.
   */
  ResolvedManifest resolveManifest(Reference reference, Platform platform, LocalBlobs local)
      throws IOException {
    Reference[] from = new Reference[1];
    Manifest top = fromSources(reference, source -> {
      Manifest m = fetchManifest(source);
      from[0] = source;
      return m;
    });
    Reference source = from[0];
    Manifest current = top;
    Descriptor index = null;
    byte[] indexBytes = null;
    for (int depth = 0; MediaTypes.isIndex(current.mediaType()); depth++) {
      if (depth >= limits.indexNesting()) {
        throw limits.exceeded("indexNesting", reference + ": image indexes nested too deeply");
      }
      if (index == null) {
        index = current.descriptor();
        indexBytes = current.bytes();
      }
      String what = "image index " + current.digest() + " of " + reference;
      Descriptor child = ImageIndex.select(ImageIndex.parse(current.bytes(), what).manifests(),
          platform.os(), platform.architecture(), platform.variant(), what);
      byte[] held = local.read(child.digest());
      current = held != null ? new Manifest(ImageManifest.mediaTypeOf(held, what),
          child.digest(), held) : fetchManifest(source.withDigest(child.digest()));
      if (current.bytes().length != child.size()) {
        throw new IOException(reference + ": manifest " + child.digest() + " is "
            + current.bytes().length + " bytes but image index " + index.digest() + " says "
            + child.size());
      }
    }
    if (!MediaTypes.isManifest(current.mediaType())) {
      throw new IOException(reference + ": unsupported manifest media type "
          + current.mediaType());
    }
    String what = current.digest() + " of " + reference;
    ImageManifest manifest = ImageManifest.parse(current.bytes(), what);
    for (Descriptor layer : manifest.layers()) {
      try {
        MediaTypes.layerCompression(layer.mediaType());
      } catch (IOException e) {
        throw new IOException(reference + ": layer " + layer.digest() + ": " + e.getMessage(), e);
      }
    }
    return new ResolvedManifest(reference, source, current, manifest, index, indexBytes);
  }

  /**
   * The second part of {@link #resolve(Reference, Platform)}: the config of a resolved manifest,
   * from {@code local} or the registry, verified, and its diff_ids counted against the layers.
   */
  RemoteImage withConfig(ResolvedManifest resolved, LocalBlobs local) throws IOException {
    Reference reference = resolved.reference();
    Manifest current = resolved.manifest();
    ImageManifest manifest = resolved.parsed();
    Descriptor config = manifest.config();
    byte[] configBytes = local.read(config.digest());
    if (configBytes == null) {
      configBytes = fetchSmallBlob(reference, config);
    }
    if (configBytes.length != config.size()) {
      throw new IOException(reference + ": config " + config.digest() + " is "
          + configBytes.length + " bytes but its descriptor says " + config.size());
    }
    ImageConfig parsed = ImageConfig.parse(configBytes, "config " + config.digest() + " of "
        + reference);
    if (parsed.diffIds().size() != manifest.layers().size()) {
      throw new IOException(reference + ": manifest " + current.digest() + " lists "
          + manifest.layers().size() + " layers but its config lists " + parsed.diffIds().size()
          + " diff_ids");
    }
    return new RemoteImage(reference, current.descriptor(), current.bytes(),
        resolved.indexOrNull(), resolved.indexBytesOrNull(), config, configBytes, parsed,
        manifest.layers());
  }

  /**
   * The manifest or image index {@code reference} names, its bytes exactly as served (what
   * {@code skopeo inspect --raw} prints), from the first place registries.conf sends pulls to
   * that serves it; verified against the reference's digest when it has one, else against the
   * digest the registry reports. An index is not resolved: it need not list this platform.
   *
   * @throws RegistryException when the registry refuses or lacks it, naming it
   */
  public byte[] rawManifest(Reference reference) throws IOException {
    return fromSources(reference, this::fetchManifest).bytes();
  }

  /**
   * The tags of {@code repository}'s repository as the registry lists them ({@code GET
   * /v2/NAME/tags/list}, every page its {@code Link} headers name), asked first of the place
   * that served the repository's manifest (a mirror of registries.conf, say).
   *
   * @throws RegistryException when the registry refuses the listing (some do: ECR without
   *     {@code ecr:ListImages}, public.ecr.aws), naming it and the HTTP status
   */
  public List<String> tags(Reference repository) throws IOException {
    return fromSources(repository, this::tagsAt);
  }

  private List<String> tagsAt(Reference repository) throws IOException {
    List<String> tags = new ArrayList<>();
    String target = "/v2/" + repository.path() + "/tags/list";
    String what = "tags of " + repository.name();
    Set<String> asked = new HashSet<>();
    for (int page = 0; target != null; page++) {
      if (!asked.add(target)) {
        throw new IOException("registry " + repository.endpoint() + ": " + what + ": page "
            + page + " links back to " + target + ", a page listed already");
      }
      if (page >= MAX_TAG_PAGES) {
        throw new IOException("registry " + repository.endpoint() + ": " + what + ": more than "
            + MAX_TAG_PAGES + " pages");
      }
      RegistryHttp.Call call = new RegistryHttp.Call("GET", repository.endpoint(), target,
          pull(repository), Map.of("Accept", "application/json"), null, what);
      HttpResponse<InputStream> r = http.send(call);
      if (r.statusCode() != 200) {
        throw http.error(r, call);
      }
      byte[] body = RegistryHttp.readJson(r, limits, call);
      String where = "registry " + repository.endpoint() + ": " + what;
      for (JsonNode tag : OciJson.array(OciJson.parseObject(body, where), "tags", where)) {
        if (!tag.isTextual()) {
          throw new IOException(where + ": a tag that is not a string: " + tag);
        }
        tags.add(tag.textValue());
      }
      target = nextPage(r, target, where);
    }
    return tags;
  }

  /**
   * The target of a {@code Link: <URL>; rel="next"} header, or null on the last page: the path
   * and query of its URL (a path on the registry, as distribution sends it, or an absolute URL),
   * resolved against the page's {@code target}, always on the registry that served the page.
   * containers/image takes only the path and query too: a link to another host never sends a
   * request there, nor the registry's credentials.
   *
   * @throws IOException naming {@code where} for a link that is no URL
   */
  static String nextPage(HttpResponse<?> r, String target, String where) throws IOException {
    for (String link : r.headers().allValues("Link")) {
      Matcher m = NEXT_LINK.matcher(link);
      if (m.find()) {
        URI next;
        try {
          next = URI.create("http://registry" + target).resolve(m.group(1).trim());
        } catch (IllegalArgumentException e) {
          throw new IOException(where + ": the next page's link is no URL: " + link, e);
        }
        if (next.getRawPath() == null || next.getRawPath().isEmpty()) {
          throw new IOException(where + ": the next page's link has no path: " + link);
        }
        return next.getRawPath() + (next.getRawQuery() == null ? "" : "?" + next.getRawQuery());
      }
    }
    return null;
  }

  /**
   * Opens bytes {@code [offset, offset + length)} of blob {@code digest} of {@code
   * repository}'s repository ({@code length} -1: to the end), see the class comment.
   *
   * @throws RegistryException for a blob the registry does not have (404 {@code BLOB_UNKNOWN}) or
   *     a range outside it (416)
   */
  public BlobRange openBlob(Reference repository, Digest digest, long offset, long length)
      throws IOException {
    if (offset < 0 || length < -1) {
      throw new IllegalArgumentException("bad range: offset " + offset + ", length " + length);
    }
    return fromSources(repository, source -> {
      if (length == 0) {
        return new BlobRange(InputStream.nullInputStream(), blobSizeAt(source, digest));
      }
      ResumingBlobStream stream = new ResumingBlobStream(this, source, digest, offset,
          length < 0 ? -1 : offset + length, options.maxAttempts());
      long size = stream.open();
      return new BlobRange(stream, size);
    });
  }

  /** The size of a blob, from a {@code HEAD} request. */
  public long blobSize(Reference repository, Digest digest) throws IOException {
    return fromSources(repository, source -> blobSizeAt(source, digest));
  }

  private long blobSizeAt(Reference repository, Digest digest) throws IOException {
    RegistryHttp.Call call = call("HEAD", repository, "/blobs/" + digest, pull(repository),
        Map.of(), null, "blob " + digest + " of " + repository.name());
    HttpResponse<InputStream> r = http.send(call);
    RegistryHttp.discard(r);
    if (r.statusCode() != 200) {
      throw http.error(r, call);
    }
    return r.headers().firstValueAsLong("Content-Length").orElse(-1);
  }

  // ------------------------------------------------------------------ where requests go

  /** One request to one place a repository is pulled from. */
  private interface SourceCall<T> {
    T apply(Reference source) throws IOException;
  }

  /**
   * {@code call} on each place {@code reference} is pulled from ({@link #pullSources}) until
   * one answers; when none does, the last one's failure, naming the others'.
   */
  private <T> T fromSources(Reference reference, SourceCall<T> call) throws IOException {
    List<Reference> sources = pullSources(reference);
    List<IOException> failures = new ArrayList<>();
    for (int i = 0; i < sources.size(); i++) {
      Reference source = sources.get(i);
      String blocked = registries().blocked(source);
      if (blocked != null) {
        failures.add(new IOException(blocked));
        continue;
      }
      try {
        if (i < sources.size() - 1) {
          http.checkReachable(source.endpoint()); // a place that is down: the next, at once
        }
        T result = call.apply(source);
        if (sources.size() > 1) {
          served.put(reference.name(), source.name());
        }
        return result;
      } catch (InterruptedIOException e) {
        throw e;
      } catch (IOException e) {
        failures.add(e);
      }
    }
    IOException last = failures.get(failures.size() - 1);
    if (failures.size() == 1) {
      throw last; // the one place there is: its own error
    }
    StringJoiner others = new StringJoiner("; ", " (tried before it, as registries.conf says: ",
        ")");
    for (IOException e : failures.subList(0, failures.size() - 1)) {
      others.add(e.getMessage());
    }
    String message = last.getMessage() + others;
    IOException all = last instanceof RegistryException r
        ? new RegistryException(message, r.status()) : new IOException(message);
    all.initCause(last);
    for (IOException e : failures.subList(0, failures.size() - 1)) {
      all.addSuppressed(e);
    }
    throw all;
  }

  /**
   * Where {@code reference} is pulled from, as registries.conf says ({@link
   * RegistriesConf#pullSources}: its mirrors, then its location; the reference itself when no
   * table matches), the one that served it before first. Sets up each: insecure ones spoken to
   * unverified, and the credentials given withheld from another host than the reference's.
   *
   * @throws IOException when registries.conf blocks the reference or does not read
   */
  List<Reference> pullSources(Reference reference) throws IOException {
    List<RegistriesConf.Source> sources = registries().pullSources(reference);
    String before = served.get(reference.name());
    List<Reference> ordered = new ArrayList<>(sources.size());
    for (RegistriesConf.Source s : sources) {
      Reference source = s.reference();
      if (s.insecure() && insecureAllowed()) {
        http.allowInsecure(source.endpoint());
      }
      if (!source.endpoint().equals(reference.endpoint())) {
        http.auth().withholdGivenCredentials(source.endpoint());
      }
      if (source.name().equals(before)) {
        ordered.add(0, source);
      } else {
        ordered.add(source);
      }
    }
    return ordered;
  }

  /**
   * Checks a push to {@code reference} against registries.conf: a blocked registry is refused,
   * an insecure one spoken to unverified; a push is not redirected to mirrors or locations.
   */
  void preparePush(Reference reference) throws IOException {
    String blocked = registries().blocked(reference);
    if (blocked != null) {
      throw new IOException(blocked);
    }
    if (registries().insecure(reference) && insecureAllowed()) {
      http.allowInsecure(reference.endpoint());
    }
  }

  /**
   * Whether registries.conf may make a registry insecure: not when TLS verification was asked
   * for explicitly ({@code --tls-verify=true}, which also denies a loopback registry plain
   * HTTP), as skopeo's flag overrides the file.
   */
  private boolean insecureAllowed() {
    return !options.tlsVerify() || options.loopbackHttp();
  }

  private RegistriesConf registries() throws IOException {
    RegistriesConf conf = registries;
    if (conf == null) {
      conf = RegistriesConf.load(options.registriesConfOrNull(), System.getenv(),
          UserHome.get());
      registries = conf;
    }
    return conf;
  }

  // ----------------------------------------------------------------------- for pull and push

  Manifest fetchManifest(Reference reference) throws IOException {
    RegistryHttp.Call call = call("GET", reference, "/manifests/" + reference.manifestReference(),
        pull(reference), Map.of("Accept", ACCEPT), null, reference.toString());
    HttpResponse<InputStream> r = http.send(call);
    if (r.statusCode() != 200) {
      throw http.error(r, call);
    }
    byte[] bytes = RegistryHttp.readJson(r, limits, call);
    String what = "manifest of " + reference;
    Digest actual;
    if (reference.digest() != null) {
      actual = Digest.of(reference.digest().algorithm(),
          reference.digest().newMessageDigest().digest(bytes));
      if (!actual.equals(reference.digest())) {
        throw new IOException("registry " + reference.endpoint() + ": " + what
            + ": digest mismatch: expected " + reference.digest() + ", actual " + actual);
      }
    } else {
      actual = Digest.sha256(bytes);
      Optional<String> header = r.headers().firstValue("Docker-Content-Digest");
      if (header.isPresent() && header.get().startsWith("sha256:")
          && !header.get().equals(actual.toString())) {
        throw new IOException("registry " + reference.endpoint() + ": " + what
            + ": the registry says its digest is " + header.get() + " but it hashes to "
            + actual);
      }
    }
    String mediaType = mediaType(bytes, r, what);
    return new Manifest(mediaType, actual, bytes);
  }

  /** A config or other small blob, verified against its descriptor. */
  byte[] fetchSmallBlob(Reference repository, Descriptor blob) throws IOException {
    if (blob.size() > limits.jsonBytes()) {
      throw new IOException(repository + ": blob " + blob.digest() + " is " + blob.size()
          + " bytes, more than a config may be");
    }
    byte[] bytes;
    try (InputStream in = openBlob(repository, blob.digest(), 0, -1).stream()) {
      bytes = in.readNBytes((int) blob.size() + 1);
    }
    Digest actual = Digest.of(blob.digest().algorithm(),
        blob.digest().newMessageDigest().digest(bytes));
    if (bytes.length != blob.size() || !actual.equals(blob.digest())) {
      throw new IOException("registry " + repository.endpoint() + ": blob " + blob.digest()
          + " of " + repository.name() + ": expected " + blob.size() + " bytes with digest "
          + blob.digest() + ", got " + bytes.length + " bytes with digest " + actual);
    }
    return bytes;
  }

  Opened openRange(Reference repository, Digest digest, long from, long end)
      throws IOException {
    String range = from == 0 && end < 0 ? null
        : "bytes=" + from + "-" + (end < 0 ? "" : String.valueOf(end - 1));
    RegistryHttp.Call call = call("GET", repository, "/blobs/" + digest, pull(repository),
        range == null ? Map.of() : Map.of("Range", range),
        null, "blob " + digest + " of " + repository.name());
    HttpResponse<InputStream> r = http.send(call);
    int status = r.statusCode();
    if (status == 200) {
      return new Opened(r.body(), 0, r.headers().firstValueAsLong("Content-Length").orElse(-1));
    }
    if (status == 206) {
      String header = r.headers().firstValue("Content-Range").orElse("");
      Matcher m = CONTENT_RANGE.matcher(header);
      if (!m.matches() || Long.parseLong(m.group(1)) != from) {
        RegistryHttp.discard(r);
        throw new IOException("registry " + repository.endpoint() + ": blob " + digest
            + ": asked for " + range + " but got Content-Range '" + header + "'");
      }
      long total = m.group(3).equals("*") ? -1 : Long.parseLong(m.group(3));
      return new Opened(r.body(), from, total);
    }
    throw http.error(r, call);
  }

  /** True if the repository has the blob ({@code HEAD}). */
  boolean blobExists(Reference repository, Digest digest) throws IOException {
    RegistryHttp.Call call = call("HEAD", repository, "/blobs/" + digest, push(repository),
        Map.of(), null, "blob " + digest + " of " + repository.name());
    HttpResponse<InputStream> r = http.send(call);
    RegistryHttp.discard(r);
    if (r.statusCode() == 200) {
      return true;
    }
    if (r.statusCode() == 404) {
      return false;
    }
    throw http.error(r, call);
  }

  /**
   * Starts an upload; with {@code mountFromOrNull} (a repository path of the same registry)
   * asks the registry to mount the blob from there instead, which it may decline.
   */
  UploadStart startUpload(Reference repository, Digest digest, String mountFromOrNull)
      throws IOException {
    String query = mountFromOrNull == null ? "" : "?mount=" + encode(digest.toString())
        + "&from=" + encode(mountFromOrNull);
    List<String> scopes = mountFromOrNull == null ? push(repository)
        : List.of(push(repository).get(0), "repository:" + mountFromOrNull + ":pull");
    RegistryHttp.Call call = call("POST", repository, "/blobs/uploads/" + query, scopes,
        Map.of(), HttpRequest.BodyPublishers::noBody,
        "upload of blob " + digest + " to " + repository.name());
    HttpResponse<InputStream> r = http.send(call);
    if (r.statusCode() == 201 && mountFromOrNull != null) {
      RegistryHttp.discard(r);
      return new UploadStart(true, null);
    }
    if (r.statusCode() != 202) {
      throw http.error(r, call);
    }
    RegistryHttp.discard(r);
    return new UploadStart(false, location(r, call));
  }

  /** Sends one chunk ({@code PATCH}); returns the session's next location. */
  URI uploadChunk(Reference repository, URI location, byte[] data, int length, long offset,
      Digest digest) throws IOException {
    RegistryHttp.Call call = new RegistryHttp.Call("PATCH", repository.endpoint(),
        location.toString(), push(repository),
        Map.of("Content-Type", "application/octet-stream",
            "Content-Range", offset + "-" + (offset + length - 1)),
        () -> HttpRequest.BodyPublishers.ofByteArray(data, 0, length),
        "upload of blob " + digest + " to " + repository.name() + " at byte " + offset);
    HttpResponse<InputStream> r = http.send(call);
    if (r.statusCode() != 202) {
      throw http.error(r, call);
    }
    RegistryHttp.discard(r);
    return location(r, call);
  }

  /** Ends an upload ({@code PUT ?digest=}), with the last bytes or none. */
  void finishUpload(Reference repository, URI location, Digest digest,
      HttpRequest.BodyPublisher body) throws IOException {
    String target = location + (location.getRawQuery() == null ? "?" : "&") + "digest="
        + encode(digest.toString());
    RegistryHttp.Call call = new RegistryHttp.Call("PUT", repository.endpoint(), target,
        push(repository), Map.of("Content-Type", "application/octet-stream"), () -> body,
        "upload of blob " + digest + " to " + repository.name());
    HttpResponse<InputStream> r = http.send(call);
    RegistryHttp.discard(r);
    if (r.statusCode() != 201) {
      throw http.error(r, call);
    }
  }

  /** Puts a manifest under {@code reference}'s tag (or digest), checking the digest it reports. */
  void putManifest(Reference reference, String mediaType, byte[] bytes) throws IOException {
    RegistryHttp.Call call = call("PUT", reference, "/manifests/"
        + reference.manifestReference(), push(reference), Map.of("Content-Type", mediaType),
        () -> HttpRequest.BodyPublishers.ofByteArray(bytes), "manifest " + reference);
    HttpResponse<InputStream> r = http.send(call);
    RegistryHttp.discard(r);
    if (r.statusCode() != 201) {
      throw http.error(r, call);
    }
    Digest expected = Digest.sha256(bytes);
    Optional<String> said = r.headers().firstValue("Docker-Content-Digest");
    if (said.isPresent() && !said.get().equals(expected.toString())) {
      throw new IOException("registry " + reference.endpoint() + ": manifest " + reference
          + ": stored with digest " + said.get() + " instead of " + expected);
    }
  }

  private RegistryHttp.Call call(String method, Reference repository, String suffix,
      List<String> scopes, Map<String, String> headers,
      java.util.function.Supplier<HttpRequest.BodyPublisher> body, String what) {
    return new RegistryHttp.Call(method, repository.endpoint(),
        "/v2/" + repository.path() + suffix, scopes, headers, body, what);
  }

  private static List<String> pull(Reference r) {
    return List.of("repository:" + r.path() + ":pull");
  }

  private static List<String> push(Reference r) {
    return List.of("repository:" + r.path() + ":pull,push");
  }

  private URI location(HttpResponse<InputStream> r, RegistryHttp.Call call) throws IOException {
    String value = r.headers().firstValue("Location").orElseThrow(() -> new IOException(
        "registry " + call.registry() + ": " + call.what() + ": no Location in its answer"));
    URI base = call.target().startsWith("/") ? http.base(call.registry())
        : URI.create(call.target());
    return base.resolve(value);
  }

  private static String mediaType(byte[] bytes, HttpResponse<?> r, String what)
      throws IOException {
    String declared = io.layerfs.core.oci.OciJson.optString(
        io.layerfs.core.oci.OciJson.parseObject(bytes, what), "mediaType", what);
    if (declared != null) {
      return declared;
    }
    String contentType = r.headers().firstValue("Content-Type").orElse("");
    int semicolon = contentType.indexOf(';');
    contentType = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim();
    if (MediaTypes.isManifest(contentType) || MediaTypes.isIndex(contentType)) {
      return contentType;
    }
    try {
      return ImageManifest.mediaTypeOf(bytes, what);
    } catch (IOException e) {
      if (contentType.isEmpty()) {
        throw e;
      }
      // what the registry says it is (a Docker schema 1 manifest, say) names the problem
      throw new IOException(what + ": unsupported manifest media type " + contentType
          + " (neither an image manifest nor an image index)", e);
    }
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
