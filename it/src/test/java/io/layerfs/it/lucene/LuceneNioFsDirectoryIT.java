package io.layerfs.it.lucene;

import com.carrotsearch.randomizedtesting.annotations.ParametersFactory;
import com.carrotsearch.randomizedtesting.annotations.ThreadLeakFilters;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.NIOFSDirectory;
import org.apache.lucene.tests.store.BaseDirectoryTestCase;
import org.apache.lucene.tests.util.QuickPatchThreadsFilter;
import org.junit.ClassRule;

/**
 * Lucene's own conformance suite for a {@link Directory} (the one its {@code TestNIOFSDirectory}
 * runs on the host), on {@link NIOFSDirectory}s in each writable tree of a layerfs container
 * ({@link LuceneContainer#ROOTS}): positional reads, renames, deletes, syncs and listings through
 * layerfs's channels, by tests nobody here wrote.
 */
@ThreadLeakFilters(filters = {QuickPatchThreadsFilter.class, LayerfsPoolThreads.class})
public class LuceneNioFsDirectoryIT extends BaseDirectoryTestCase {
  @ClassRule public static final LuceneContainer container = new LuceneContainer("lucene-niofs");
  private final String root;

  public LuceneNioFsDirectoryIT(String root) {
    this.root = root;
  }

  @ParametersFactory(argumentFormatting = "%s")
  public static Iterable<Object[]> roots() {
    return LuceneContainer.roots();
  }

  @Override
  protected Directory getDirectory(Path path) throws IOException {
    return new NIOFSDirectory(container.pathFor(root, path));
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
