package io.layerfs.core.fsck;

import java.io.IOException;

/**
 * One kind of check of a store, run in order by {@link Fsck}: it reads what the checks before it
 * gathered in the {@link FsckRun} and adds problems and findings there.
 */
interface Check {
  /**
   * Checks, and with {@link FsckRun#repair()} repairs what it can; reports its step (one or
   * more) to {@link FsckRun#progress()}.
   */
  void run(FsckRun run) throws IOException;
}
