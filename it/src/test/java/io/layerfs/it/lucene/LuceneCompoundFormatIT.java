package io.layerfs.it.lucene;

import com.carrotsearch.randomizedtesting.annotations.ParametersFactory;
import com.carrotsearch.randomizedtesting.annotations.ThreadLeakFilters;
import org.apache.lucene.codecs.Codec;
import org.apache.lucene.tests.index.BaseCompoundFormatTestCase;
import org.apache.lucene.tests.util.QuickPatchThreadsFilter;
import org.apache.lucene.tests.util.TestUtil;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.rules.TestRule;

/**
 * Lucene's own conformance suite for its compound files, with the default codec, on indexes
 * in each writable tree of a layerfs container (every directory the suite makes is a {@link
 * ContainerDirectory}): indexes written, merged, checked and read by tests nobody here wrote.
 */
@ThreadLeakFilters(filters = {QuickPatchThreadsFilter.class, LayerfsPoolThreads.class})
public class LuceneCompoundFormatIT extends BaseCompoundFormatTestCase {
  @ClassRule
  public static final LuceneContainer container = LuceneContainer.ofIndexes("lucene-compound");
  @Rule public final TestRule deleting = container.deletingEachTestsIndexes();

  public LuceneCompoundFormatIT(String root) {
    container.indexesUnder(root);
  }

  @ParametersFactory(argumentFormatting = "%s")
  public static Iterable<Object[]> roots() {
    return LuceneContainer.roots();
  }

  @Override
  protected Codec getCodec() {
    return TestUtil.getDefaultCodec();
  }
}
