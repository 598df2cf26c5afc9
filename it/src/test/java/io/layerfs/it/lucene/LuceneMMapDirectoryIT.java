package io.layerfs.it.lucene;

import com.carrotsearch.randomizedtesting.annotations.ParametersFactory;
import com.carrotsearch.randomizedtesting.annotations.ThreadLeakFilters;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.MMapDirectory;
import org.apache.lucene.tests.store.BaseChunkedDirectoryTestCase;
import org.apache.lucene.tests.util.QuickPatchThreadsFilter;
import org.junit.ClassRule;

/**
 * Lucene's own conformance suite for a {@link Directory} with its chunked cases (the one its
 * {@code TestMMapDirectory} runs on the host), on {@link MMapDirectory}s in each writable tree of
 * a layerfs container ({@link LuceneContainer#ROOTS}): files mapped through layerfs's channels
 * in chunks of random sizes, cloned, sliced and sought across chunk boundaries, by tests nobody
 * here wrote.
 */
@ThreadLeakFilters(filters = {QuickPatchThreadsFilter.class, LayerfsPoolThreads.class})
public class LuceneMMapDirectoryIT extends BaseChunkedDirectoryTestCase {
  @ClassRule public static final LuceneContainer container = new LuceneContainer("lucene-mmap");
  private final String root;

  public LuceneMMapDirectoryIT(String root) {
    this.root = root;
  }

  @ParametersFactory(argumentFormatting = "%s")
  public static Iterable<Object[]> roots() {
    return LuceneContainer.roots();
  }

  @Override
  protected Directory getDirectory(Path path, int maxChunkSize) throws IOException {
    return new MMapDirectory(container.pathFor(root, path), maxChunkSize);
  }

  @Override
  public void testFsyncDoesntCreateNewFiles() throws Exception {
    container.syncOfAFileDeletedBehindItsBackFails(root, this::getDirectory);
  }

  @Override
  public void testPendingDeletions() throws IOException {
    container.aFileOpenForReadingIsDeletedAtOnce(this::getDirectory);
  }
}
