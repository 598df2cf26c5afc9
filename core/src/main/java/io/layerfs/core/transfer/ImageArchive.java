package io.layerfs.core.transfer;

import io.layerfs.core.Progress;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.content.Lease;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Imports an image archive whose kind is not given: a docker-archive (what {@code docker save}
 * and {@code skopeo copy ... docker-archive:} write) or an OCI archive (a tar of an OCI image
 * layout). Used to open an archive file as a file system; {@link ImageTransfer} is the general,
 * transport-named API and does the work.
 *
 * <p>An archive with a {@code manifest.json} is read as a docker-archive, even when it is also
 * an OCI layout (Docker 25+ writes both), because its RepoTags carry the full image names; one
 * with only an {@code oci-layout} is read as an OCI archive. Every image is imported and
 * verified (see {@link ImageTransfer}) before any is tagged.
 */
public final class ImageArchive {

  private ImageArchive() {}

  /** True if {@code file} is a tar (the archives this class reads are plain tars). */
  public static boolean isArchive(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      return false;
    }
    byte[] header = new byte[512];
    try (InputStream in = Files.newInputStream(file)) {
      int n = in.readNBytes(header, 0, header.length);
      return n == header.length && TarArchiveInputStream.matches(header, n);
    }
  }

  /**
   * Imports every image of the archive into {@code store} and returns the tags it created: for a
   * docker-archive its RepoTags (images without one are tagged by their config digest hex), for
   * an OCI archive its index.json tags.
   */
  public static List<String> importInto(Path archive, ContentStore store) throws IOException {
    return importInto(archive, store, Progress.NONE);
  }

  /** As {@link #importInto(Path, ContentStore)}, reporting progress. */
  public static List<String> importInto(Path archive, ContentStore store, Progress progress)
      throws IOException {
    String name = archive.toString();
    List<OciLayoutCopier.Pending> pending;
    try (Lease lease = store.lease();
        UnpackedArchive unpacked = ImageTransfer.unpack(store, archive, name, progress)) {
      if (unpacked.has("manifest.json")) {
        pending = DockerArchiveReader.read(store, unpacked, null, null, name, progress);
      } else if (unpacked.has("oci-layout")) {
        pending = OciLayoutCopier.copyAllIn(store, unpacked.dir(), name, progress);
      } else {
        throw new IOException(archive + " is neither an OCI archive (no oci-layout) nor a "
            + "docker-archive (no manifest.json)");
      }
      return ImageTransfer.tagAll(store, pending);
    }
  }
}
