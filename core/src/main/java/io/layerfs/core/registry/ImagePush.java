package io.layerfs.core.registry;

import io.layerfs.core.Digest;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.Progress;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.image.Images;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Pushes an image of a store to a registry, as {@code docker push} and skopeo do: for each blob
 * (layers, then the config) a {@code HEAD} first, and nothing more when the repository has it;
 * otherwise a cross-repository mount when {@link BlobOrigins} knows another repository of the
 * same registry that holds it (the registry may decline, then it is uploaded); otherwise an
 * upload, in one {@code PUT} up to the options' chunk size and in {@code PATCH} chunks above it.
 * The manifest goes last, byte for byte as stored, so its digest is unchanged; a registry that
 * reports another digest for it is an error.
 */
public final class ImagePush {
  private ImagePush() {}

  /**
   * What a push did.
   *
   * @param uploaded blobs uploaded
   * @param mounted blobs mounted from another repository
   * @param existing blobs the repository had already
   * @param bytesUploaded bytes of the uploaded blobs
   */
  public record Result(Reference reference, Digest manifestDigest, int uploaded, int mounted,
      int existing, long bytesUploaded) {}

  /**
   * Pushes {@code imageRef} (a tag or manifest digest of the store) to {@code target}: its tag,
   * or, with a digest only, that digest, which must be the image's.
   *
   * @throws RegistryException when the registry refuses something (401, 403, 404), naming it
   * @throws IOException when the image cannot be resolved or a blob is missing from the store
   */
  public static Result push(ContentStore store, RegistryClient client, String imageRef,
      Reference target, Progress progress) throws IOException {
    Progress p = progress == null ? Progress.NONE : progress;
    Image image = Images.resolve(store, imageRef);
    if (target.digest() != null && !target.digest().equals(image.manifestDigest())) {
      throw new IllegalArgumentException("cannot push " + imageRef + " (manifest "
          + image.manifestDigest() + ") to " + target + ": the digests differ");
    }
    byte[] manifest = store.readJson(image.manifestDigest());
    Map<Digest, Long> blobs = new LinkedHashMap<>();
    for (Layer layer : image.layers()) {
      blobs.putIfAbsent(layer.digest(), layer.size());
    }
    blobs.putIfAbsent(image.configDigest(), Files.size(store.blobPath(image.configDigest())));
    BlobOrigins origins = BlobOrigins.of(store);
    int uploaded = 0;
    int mounted = 0;
    int existing = 0;
    long bytes = 0;
    for (Map.Entry<Digest, Long> blob : blobs.entrySet()) {
      Digest digest = blob.getKey();
      long size = blob.getValue();
      Path file = store.blobPath(digest);
      if (!Files.isRegularFile(file)) {
        throw store.missing(digest);
      }
      p.start("push " + digest, size);
      try {
        if (client.blobExists(target, digest)) {
          existing++;
          p.advance(size);
        } else {
          Optional<String> from = origins.mountSource(digest, target);
          RegistryClient.UploadStart start =
              client.startUpload(target, digest, from.orElse(null));
          if (start.mounted()) {
            mounted++;
            p.advance(size);
          } else {
            upload(client, target, start.location(), digest, size, file, p);
            uploaded++;
            bytes += size;
          }
        }
      } finally {
        p.done();
      }
      origins.record(digest, target);
    }
    Reference manifestTarget = target.tag() != null ? target.withTag(target.tag()) : target;
    client.putManifest(manifestTarget, image.manifestMediaType(), manifest);
    return new Result(target, image.manifestDigest(), uploaded, mounted, existing, bytes);
  }

  private static void upload(RegistryClient client, Reference target, URI location, Digest digest,
      long size, Path file, Progress progress) throws IOException {
    long chunk = client.options().chunkSize();
    if (size <= chunk) {
      client.finishUpload(target, location, digest, ofFile(file));
      progress.advance(size);
      return;
    }
    byte[] buffer = new byte[(int) Math.min(chunk, 64L << 20)];
    long offset = 0;
    try (InputStream in = Files.newInputStream(file)) {
      while (offset < size) {
        int n = in.readNBytes(buffer, 0, (int) Math.min(buffer.length, size - offset));
        if (n <= 0) {
          throw new IOException("blob " + digest + " of the store ended at byte " + offset
              + " of " + size);
        }
        location = client.uploadChunk(target, location, buffer, n, offset, digest);
        offset += n;
        progress.advance(n);
      }
    }
    client.finishUpload(target, location, digest, HttpRequest.BodyPublishers.noBody());
  }

  private static HttpRequest.BodyPublisher ofFile(Path file) throws IOException {
    try {
      return HttpRequest.BodyPublishers.ofFile(file);
    } catch (java.io.FileNotFoundException e) {
      throw new java.nio.file.NoSuchFileException(file.toString());
    }
  }
}
