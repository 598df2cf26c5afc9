package io.layerfs.it.lucene;

import com.carrotsearch.randomizedtesting.annotations.ParametersFactory;
import com.carrotsearch.randomizedtesting.annotations.ThreadLeakFilters;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.NIOFSDirectory;
import org.apache.lucene.store.NativeFSLockFactory;
import org.apache.lucene.tests.store.BaseLockFactoryTestCase;
import org.apache.lucene.tests.util.QuickPatchThreadsFilter;
import org.junit.ClassRule;

/**
 * Lucene's own conformance suite for a lock factory (the one its {@code TestNativeFSLockFactory}
 * runs on the host), on {@link NativeFSLockFactory} in each writable tree of a layerfs container
 * ({@link LuceneContainer#ROOTS}): write locks taken with {@code FileChannel.tryLock} on layerfs
 * files, checked against the lock file's creation time, and an index written and searched by
 * two threads that contend for them.
 */
@ThreadLeakFilters(filters = {QuickPatchThreadsFilter.class, LayerfsPoolThreads.class})
public class LuceneNativeLocksIT extends BaseLockFactoryTestCase {
  @ClassRule public static final LuceneContainer container = new LuceneContainer("lucene-locks");
  private final String root;

  public LuceneNativeLocksIT(String root) {
    this.root = root;
  }

  @ParametersFactory(argumentFormatting = "%s")
  public static Iterable<Object[]> roots() {
    return LuceneContainer.roots();
  }

  @Override
  protected Directory getDirectory(Path path) throws IOException {
    return new NIOFSDirectory(container.pathFor(root, path), NativeFSLockFactory.INSTANCE);
  }
}
