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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.commons.io.file.PathUtils;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.IOContext;
import org.apache.lucene.store.IndexInput;
import org.apache.lucene.store.IndexOutput;
import org.apache.lucene.tests.util.LuceneTestCase;
import org.junit.rules.ExternalResource;
import org.junit.rules.TestRule;

/**
 * One layerfs container per Lucene suite, and the map from the host directories Lucene's test
 * framework hands out to directories of the container. A host directory's path is mirrored under
 * one of the container's {@link #ROOTS} (its own upper store, a named volume, a bind mount, a
 * tmpfs mount), and the container's directory exists when the host's does, so that a suite's
 * expectations about missing directories hold in the container too. A JUnit 4 class rule: the
 * container opens before a suite's tests and closes after them. While it is open, the
 * directories Lucene's framework makes itself ({@link ContainerDirectory}) go under the root its
 * suite chose last ({@link #indexesUnder}).
 */
final class LuceneContainer extends ExternalResource {
  /** Where a suite's directories go: each of layerfs's trees that a program can write. */
  static final List<String> ROOTS =
      List.of("/srv/upper", "/srv/volume", "/srv/bind", "/srv/tmpfs");

  /** The container of the suite running (suites run one after another), or null. */
  private static volatile LuceneContainer running;

  private final String name;
  /** Whether the suite is of indexes, and so fails if the framework made none here. */
  private final boolean ofIndexes;
  /** The root the framework's own directories go under. */
  private volatile String indexRoot = ROOTS.get(0);
  private final AtomicInteger indexes = new AtomicInteger();
  /** The index directories made in the container by the test running, or null between tests. */
  private List<Path> madeByTheTest;
  private Path work;
  private FileSystem fs;

  /** A suite's container, named {@code name}: opened before its tests, closed after them. */
  LuceneContainer(String name) {
    this(name, false);
  }

  private LuceneContainer(String name, boolean ofIndexes) {
    this.name = name;
    this.ofIndexes = ofIndexes;
  }

  /**
   * The container of a suite of indexes, which the framework makes itself: the suite fails if
   * none was made in the container.
   */
  static LuceneContainer ofIndexes(String name) {
    return new LuceneContainer(name, true);
  }

  /** Where the framework's own directories go from now on: under {@code root}. */
  void indexesUnder(String root) {
    indexRoot = root;
  }

  /** The container of the suite running, for the directories Lucene's framework makes. */
  static LuceneContainer forIndexes() {
    LuceneContainer container = running;
    if (container == null) {
      throw new IllegalStateException("a ContainerDirectory outside a suite with a container");
    }
    return container;
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
            // room for the largest file of a suite (testLargeCFS: 512 MiB, then its copy)
            "type=tmpfs,target=/srv/tmpfs,tmpfs-size=" + (ofIndexes ? "2g" : "1g"))));
    running = this;
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

  /** {@link #pathFor} under the root the framework's own directories go to. */
  Path indexPathFor(Path host) throws IOException {
    indexes.incrementAndGet();
    Path inside = pathFor(indexRoot, host);
    synchronized (this) {
      if (madeByTheTest != null) {
        madeByTheTest.add(inside);
      }
    }
    return inside;
  }

  /**
   * A rule that deletes the index directories each test made in the container when it ends:
   * Lucene deletes their host twins only after the suite, and the container's tmpfs is memory.
   */
  TestRule deletingEachTestsIndexes() {
    return new ExternalResource() {
      @Override
      protected void before() {
        synchronized (LuceneContainer.this) {
          madeByTheTest = new ArrayList<>();
        }
      }

      @Override
      protected void after() {
        List<Path> made;
        synchronized (LuceneContainer.this) {
          made = madeByTheTest;
          madeByTheTest = null;
        }
        try {
          for (Path dir : made) {
            if (Files.exists(dir)) {
              PathUtils.deleteDirectory(dir);
            }
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    };
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
    running = null;
    if (ofIndexes && indexes.get() == 0) {
      throw new AssertionError(name + ": no index directory was made in the container; is"
          + " -Dtests.directory=" + ContainerDirectory.class.getName() + " set?");
    }
    try {
      fs.close();
      PathUtils.deleteDirectory(work);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
