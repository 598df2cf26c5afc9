package io.layerfs.core.fsck;

import io.layerfs.core.Digest;
import io.layerfs.core.FsckReport.Kind;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.lazy.LazyLayers;
import io.layerfs.core.rootfs.LayerStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Re-hashes every blob under {@code blobs/<alg>/} (files named by a digest; others are not
 * blobs), compares its size with what descriptors say, and reports the needed blobs that are
 * missing. With repair, a corrupt uncompressed layer whose compressed blob is intact is removed
 * with its layer index (the next use rebuilds both), and any other corrupt blob is quarantined.
 */
final class BlobCheck implements Check {
  private static final int BUFFER = 1 << 20;

  private record Blob(Digest digest, Path path, long size) {}

  @Override
  public void run(FsckRun run) throws IOException {
    notFiles(run);
    List<Blob> blobs = list(run.store());
    long total = blobs.stream().mapToLong(Blob::size).sum();
    run.progress().start("check blobs", total);
    Map<Digest, Long> corrupt = new LinkedHashMap<>();
    Set<Digest> present = new HashSet<>();
    for (Blob blob : blobs) {
      Boolean intact = hashes(blob, run);
      if (intact == null) {
        continue; // removed meanwhile (by gc)
      }
      run.countBlob();
      present.add(blob.digest());
      if (!intact) {
        corrupt.put(blob.digest(), blob.size());
      }
    }
    run.progress().done();
    // a layer read lazily is not missing: its partial blob waits under layerfs/lazy/
    Set<Digest> lazy = new HashSet<>(LazyLayers.partial(run.store()));
    for (Map.Entry<Digest, List<FsckRun.Use>> e : run.uses().entrySet()) {
      Digest digest = e.getKey();
      if (!present.contains(digest) && !lazy.contains(digest)) {
        run.problem(Kind.MISSING_BLOB, digest.toString(), "needed as " + roles(e.getValue()));
      } else if (!corrupt.containsKey(digest)) {
        checkSize(run, digest, e.getValue());
      }
    }
    for (Map.Entry<Digest, Long> e : corrupt.entrySet()) {
      corrupt(run, e.getKey(), e.getValue(), corrupt.keySet());
    }
  }

  /** True if the blob hashes to its name, null if it went away while listed. */
  private static Boolean hashes(Blob blob, FsckRun run) throws IOException {
    MessageDigest md = blob.digest().newMessageDigest();
    byte[] buffer = new byte[BUFFER];
    try (InputStream in = Files.newInputStream(blob.path())) {
      for (int n; (n = in.read(buffer)) > 0; ) {
        md.update(buffer, 0, n);
        run.progress().advance(n);
      }
    } catch (NoSuchFileException e) {
      return null;
    }
    return Digest.of(blob.digest().algorithm(), md.digest()).equals(blob.digest());
  }

  private static void checkSize(FsckRun run, Digest digest, List<FsckRun.Use> uses)
      throws IOException {
    long size;
    try {
      size = Files.size(run.store().blobPath(digest));
    } catch (NoSuchFileException e) {
      return;
    }
    for (FsckRun.Use use : uses) {
      if (use.size() >= 0 && use.size() != size) {
        run.problem(Kind.BLOB_SIZE, digest.toString(), "is " + size + " bytes, but the "
            + "descriptor of the " + use.role() + " says " + use.size());
      }
    }
  }

  private static void corrupt(FsckRun run, Digest digest, long size, Set<Digest> allCorrupt)
      throws IOException {
    List<FsckRun.Use> uses = run.uses().getOrDefault(digest, List.of());
    String what = "its " + size + " bytes do not hash to its digest"
        + (uses.isEmpty() ? "" : "; needed as " + roles(uses));
    Digest compressed = run.compressedOf(digest);
    boolean derived = uses.isEmpty() && compressed != null && run.store().contains(compressed)
        && !allCorrupt.contains(compressed);
    if (!run.repair()) {
      run.problem(Kind.CORRUPT_BLOB, digest.toString(), what
          + (derived ? " (an uncompressed layer: a repair removes it to be rebuilt "
              + "from " + compressed + ")" : ""));
      return;
    }
    ContentStore store = run.store();
    Path index = LayerStore.indexRoot(store).resolve(digest.algorithm()).resolve(digest.hex());
    if (derived) {
      Files.deleteIfExists(store.blobPath(digest));
      Files.deleteIfExists(index);
      run.repaired(Kind.CORRUPT_BLOB, digest.toString(), what + "; removed with its layer index, "
          + "rebuilt from layer " + compressed + " on next use");
      return;
    }
    Path moved = Quarantine.move(store, digest);
    Files.deleteIfExists(index); // an index is only trusted with its blob
    String where = "moved to " + store.root().relativize(moved);
    if (uses.isEmpty()) {
      run.repaired(Kind.CORRUPT_BLOB, digest.toString(), what + "; " + where);
    } else {
      run.problem(Kind.CORRUPT_BLOB, digest.toString(), what + "; " + where
          + "; import the image again to restore it");
    }
  }

  private static String roles(List<FsckRun.Use> uses) {
    return uses.stream().map(FsckRun.Use::role).distinct().collect(Collectors.joining(", "));
  }

  /**
   * Reports what is named by a digest under {@code blobs/<alg>/} but is no file (a directory, a
   * link, dangling or not): readers refuse it, and gc and the blob check would pass it by. A
   * repair quarantines it, so an uncompressed layer is rebuilt in its place on next use and any
   * other blob is missing, to be imported again.
   */
  private static void notFiles(FsckRun run) throws IOException {
    ContentStore store = run.store();
    for (String algorithm : List.of("sha256", "sha512")) {
      Path dir = store.blobsDir().resolve(algorithm);
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      List<Path> odd = new ArrayList<>();
      try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
        for (Path p : files) {
          if (parse(algorithm + ":" + p.getFileName()) != null
              && !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && Files.exists(p,
                  LinkOption.NOFOLLOW_LINKS)) {
            odd.add(p);
          }
        }
      }
      odd.sort(null);
      for (Path p : odd) {
        Digest digest = parse(algorithm + ":" + p.getFileName());
        String what = p + " is " + (Files.isSymbolicLink(p) ? "a symbolic link" : Files.isDirectory(
            p, LinkOption.NOFOLLOW_LINKS) ? "a directory" : "not a regular file") + ", not a blob";
        if (!run.repair()) {
          run.problem(Kind.CORRUPT_BLOB, digest.toString(), what);
          continue;
        }
        Path moved = Quarantine.move(store, digest);
        Files.deleteIfExists(
            LayerStore.indexRoot(store).resolve(digest.algorithm()).resolve(digest.hex()));
        run.repaired(Kind.CORRUPT_BLOB, digest.toString(), what + "; moved to "
            + store.root().relativize(moved));
      }
    }
  }

  /** The files under {@code blobs/<alg>/} named by a digest, sorted. */
  private static List<Blob> list(ContentStore store) throws IOException {
    List<Blob> result = new ArrayList<>();
    for (String algorithm : List.of("sha256", "sha512")) {
      Path dir = store.blobsDir().resolve(algorithm);
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
        for (Path p : files) {
          Digest digest = parse(algorithm + ":" + p.getFileName());
          if (digest != null && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            try {
              result.add(new Blob(digest, p, Files.size(p)));
            } catch (NoSuchFileException e) {
              // removed meanwhile
            }
          }
        }
      }
    }
    result.sort((a, b) -> a.digest().compareTo(b.digest()));
    return result;
  }

  private static Digest parse(String s) {
    try {
      return Digest.parse(s);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
