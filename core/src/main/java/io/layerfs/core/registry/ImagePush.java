package io.layerfs.core.registry;

import io.layerfs.core.Digest;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.Progress;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.image.Images;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Pushes an image of a store to a registry, as {@code docker push} and skopeo do: for each blob
 * (layers, then the config) a {@code HEAD} first, and nothing more when the repository has it;
 * otherwise a cross-repository mount when {@link BlobOrigins} knows another repository of the
 * same registry that holds it (the registry may decline, then it is uploaded); otherwise an
 * upload, in one {@code PUT} up to the options' chunk size and in {@code PATCH} chunks above it
 * (an upload the registry no longer knows, or finds at another offset, as after a chunk whose
 * answer was lost and which was sent again, starts over once in a new session).
 * The manifest goes last, byte for byte as stored, so its digest is unchanged; a registry that
 * reports another digest for it is an error. Every uploaded blob is hashed as it is read and
 * checked before the request naming its digest completes the upload: a blob damaged in the
 * store fails the push, naming it, and no manifest is sent.
 */
public final class ImagePush {
  /** The largest blob or chunk read into memory to be sent. */
  private static final long MAX_IN_MEMORY = 64L << 20;

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
    client.preparePush(target);
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
            try {
              upload(client, target, start.location(), digest, size, file, p);
            } catch (RegistryException e) {
              if (e.status() != 404 && e.status() != 416) {
                throw e;
              }
              // the session is not where a retry put it (a chunk the registry took whose answer
              // was lost, a 5xx from a gateway, was sent again): once more in a new session
              URI again = client.startUpload(target, digest, null).location();
              upload(client, target, again, digest, size, file, Progress.NONE);
            }
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

  /**
   * Uploads a stored blob, checked against its digest before the request that names the digest
   * completes the upload: a blob damaged on disk is an error, never sent under its digest to a
   * registry that might not check (a registry that does would only report a mismatch).
   */
  private static void upload(RegistryClient client, Reference target, URI location, Digest digest,
      long size, Path file, Progress progress) throws IOException {
    long chunk = client.options().chunkSize();
    MessageDigest hash = digest.newMessageDigest();
    if (size <= chunk && size <= MAX_IN_MEMORY) {
      byte[] data = readFully(file, digest, size);
      hash.update(data);
      check(hash, digest, size, file);
      client.finishUpload(target, location, digest, HttpRequest.BodyPublishers.ofByteArray(data));
      progress.advance(size);
      return;
    }
    if (size <= chunk) { // a chunk size above what is read into memory: checked, then sent
      try (InputStream in = new DigestInputStream(Files.newInputStream(file), hash)) {
        in.transferTo(OutputStream.nullOutputStream());
      }
      check(hash, digest, Files.size(file) == size ? size : -1, file);
      client.finishUpload(target, location, digest, ofFile(file));
      progress.advance(size);
      return;
    }
    byte[] buffer = new byte[(int) Math.min(chunk, MAX_IN_MEMORY)];
    long offset = 0;
    try (InputStream in = Files.newInputStream(file)) {
      while (offset < size) {
        int n = in.readNBytes(buffer, 0, (int) Math.min(buffer.length, size - offset));
        if (n <= 0) {
          throw new IOException("blob " + digest + " of the store ended at byte " + offset
              + " of " + size);
        }
        hash.update(buffer, 0, n);
        location = client.uploadChunk(target, location, buffer, n, offset, digest);
        offset += n;
        progress.advance(n);
      }
      if (in.read() >= 0) {
        check(hash, digest, -1, file);
      }
    }
    check(hash, digest, size, file);
    client.finishUpload(target, location, digest, HttpRequest.BodyPublishers.noBody());
  }

  /** The blob's {@code size} bytes, or an error naming it if the file holds another number. */
  private static byte[] readFully(Path file, Digest digest, long size) throws IOException {
    byte[] data;
    try (InputStream in = Files.newInputStream(file)) {
      data = in.readNBytes((int) size + 1);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new java.nio.file.NoSuchFileException(file.toString(), null,
          "blob " + digest + " went missing from the store during the push");
    }
    if (data.length != size) {
      throw damaged(digest, file, "holds " + (data.length > size ? "more" : data.length)
          + " bytes, not " + size);
    }
    return data;
  }

  /** Throws unless what was hashed is the blob: its digest, and {@code size} (-1: wrong size). */
  private static void check(MessageDigest hash, Digest digest, long size, Path file)
      throws IOException {
    if (size < 0) {
      throw damaged(digest, file, "does not hold the size its manifest gives");
    }
    Digest actual = Digest.of(digest.algorithm(), hash.digest());
    if (!actual.equals(digest)) {
      throw damaged(digest, file, "hashes to " + actual);
    }
  }

  private static IOException damaged(Digest digest, Path file, String what) {
    return new IOException("blob " + digest + " of the store (" + file + ") " + what
        + ": damaged on disk, not pushed (layerfs fsck finds such blobs)");
  }

  private static HttpRequest.BodyPublisher ofFile(Path file) throws IOException {
    try {
      return HttpRequest.BodyPublishers.ofFile(file);
    } catch (java.io.FileNotFoundException e) {
      throw new java.nio.file.NoSuchFileException(file.toString());
    }
  }
}
