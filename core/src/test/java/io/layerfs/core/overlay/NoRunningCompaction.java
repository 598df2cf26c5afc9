package io.layerfs.core.overlay;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * For tests that fill a container's metadata log on purpose: the log stays full, as on a full
 * disk, where a compaction cannot write its snapshot either. Without this, a writer that stays
 * open compacts the log once it holds {@link UpperLayer#COMPACT_AFTER} bytes and so empties it
 * ({@link RunningCompactionTest}).
 */
final class NoRunningCompaction implements BeforeEachCallback, AfterEachCallback {
  private long before;

  @Override
  public void beforeEach(ExtensionContext context) {
    before = UpperLayer.COMPACT_AFTER;
    UpperLayer.COMPACT_AFTER = 1L << 40;
  }

  @Override
  public void afterEach(ExtensionContext context) {
    UpperLayer.COMPACT_AFTER = before;
  }
}
