package io.layerfs.it.lucene;

import java.io.IOException;
import java.nio.file.Path;
import org.apache.lucene.store.LockFactory;
import org.apache.lucene.store.MMapDirectory;

/**
 * The directory Lucene's test framework makes for {@code newDirectory()} and {@code
 * newFSDirectory()} in these suites ({@code -Dtests.directory} names it, set in the pom): an
 * {@link MMapDirectory}, {@code FSDirectory.open}'s choice, on the twin of the host directory it
 * is given in the container of the suite running ({@link LuceneContainer#forIndexes}), under that
 * suite's root. Lucene makes it by reflection, with this constructor.
 */
public class ContainerDirectory extends MMapDirectory {
  public ContainerDirectory(Path host, LockFactory lockFactory) throws IOException {
    super(LuceneContainer.forIndexes().indexPathFor(host), lockFactory);
  }
}
