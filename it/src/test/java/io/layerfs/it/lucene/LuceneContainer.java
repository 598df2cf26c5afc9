package io.layerfs.it.lucene;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;

import io.layerfs.testing.ImageBuilder;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.io.file.PathUtils;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.IOContext;
import org.apache.lucene.store.IndexInput;
import org.apache.lucene.store.IndexOutput;
import org.apache.lucene.tests.util.LuceneTestCase;
import org.junit.rules.ExternalResource;

/**
 * One layerfs container per Lucene suite, and the map from the host directories Lucene's test
 * framework hands out to directories of the container. A host directory's path is mirrored under
 * one of the container's {@link #ROOTS} (its own upper store, a named volume, a bind mount, a
 * tmpfs mount), and the container's directory exists when the host's does, so that a suite's
 * expectations about missing directories hold in the container too. A JUnit 4 class rule: the
 * container opens before a suite's tests and closes after them.
 */
final class LuceneContainer extends ExternalResource {
  /** Where a suite's directories go: each of layerfs's trees that a program can write. */
  static final List<String> ROOTS =
      List.of("/srv/upper", "/srv/volume", "/srv/bind", "/srv/tmpfs");

  private final String name;
  private Path work;
  private FileSystem fs;

  /** A suite's container, named {@code name}: opened before its tests, closed after them. */
  LuceneContainer(String name) {
    this.name = name;
  }

  /** The roots as Lucene's {@code @ParametersFactory} wants them: one suite run for each. */
  static List<Object[]> roots() {
    return ROOTS.stream().map(root -> new Object[] {root}).toList();
  }

  /** Opens the container on a small image, its store in a new host directory. */
  @Override
  protected void before() throws IOException {
    work = Files.createTempDirectory("layerfs-lucene-");
    Path store = work.resolve("store");
    Path bind = Files.createDirectory(work.resolve("bind"));
    ImageBuilder.create(store).layer()
        .file("/etc/os-release", "ID=lucene\n")
        .dir("/srv/upper")
        .build("lucene:1");
    fs = FileSystems.newFileSystem(URI.create("layerfs://" + name),
        Map.of("store", store, "image", "lucene:1", "mounts", List.of(
            "type=volume,source=" + name + ",target=/srv/volume",
            "type=bind,source=" + bind + ",target=/srv/bind",
            "type=tmpfs,target=/srv/tmpfs,tmpfs-size=1g")));
  }

  /**
   * The directory for {@code host} under {@code root} in the container, made when {@code host}
   * is a directory.
   */
  Path pathFor(String root, Path host) throws IOException {
    Path inside = fs.getPath(root, host.toAbsolutePath().toString());
    if (Files.isDirectory(host)) {
      Files.createDirectories(inside);
    }
    return inside;
  }

  /** Opens a Lucene directory on a host directory's twin in the container. */
  interface Opener {
    Directory open(Path host) throws IOException;
  }

  /**
   * Lucene's {@code testFsyncDoesntCreateNewFiles}, with the file deleted through the container
   * (Lucene's deletes it through the host's path, which is not where the directory is).
   */
  void syncOfAFileDeletedBehindItsBackFails(String root, Opener opener) throws Exception {
    Path host = LuceneTestCase.createTempDir("nocreate");
    try (Directory dir = opener.open(host)) {
      try (IndexOutput out = dir.createOutput("afile", IOContext.DEFAULT)) {
        out.writeString("boo");
      }
      Files.delete(pathFor(root, host).resolve("afile"));
      int files = dir.listAll().length;
      LuceneTestCase.expectThrowsAnyOf(
          List.of(FileNotFoundException.class, NoSuchFileException.class),
          () -> dir.sync(Set.of("afile")));
      assertEquals(files, dir.listAll().length);
    }
  }

  /**
   * In place of Lucene's {@code testPendingDeletions}, which needs its virus checker (a wrapper
   * of the host's file system) to refuse deletes: on Linux no delete is refused for an open file,
   * so none is left pending, and the reader keeps its bytes.
   */
  void aFileOpenForReadingIsDeletedAtOnce(Opener opener) throws IOException {
    try (Directory dir = opener.open(LuceneTestCase.createTempDir("deletes"))) {
      FSDirectory fsDir = (FSDirectory) dir;
      try (IndexOutput out = dir.createOutput("_0.test", IOContext.DEFAULT)) {
        out.writeLong(42L);
      }
      try (IndexInput in = dir.openInput("_0.test", IOContext.DEFAULT)) {
        dir.deleteFile("_0.test");
        assertEquals(Set.of(), fsDir.getPendingDeletions());
        assertFalse(List.of(dir.listAll()).contains("_0.test"));
        LuceneTestCase.expectThrows(NoSuchFileException.class, () -> dir.fileLength("_0.test"));
        assertEquals(42L, in.readLong());
      }
    }
  }

  /** Closes the container and deletes its store. */
  @Override
  protected void after() {
    try {
      fs.close();
      PathUtils.deleteDirectory(work);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
