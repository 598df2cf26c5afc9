package io.layerfs.core;

/**
 * Receives the progress of long work (import, export, commit, flatten), so a caller such as the
 * CLI can draw a progress bar. Calls come from the working thread, in order: {@link #start}, any
 * number of {@link #advance}, {@link #done}; a task may run several steps one after the other.
 */
public interface Progress {
  /** Ignores everything. */
  Progress NONE = new Progress() {
    @Override
    public void start(String step, long total) {}

    @Override
    public void advance(long amount) {}

    @Override
    public void done() {}
  };

  /**
   * A step begins.
   *
   * @param step what is being done, for example "import layer sha256:ab12…"
   * @param total its size in bytes, or -1 when unknown
   */
  void start(String step, long total);

  /** {@code amount} more bytes of the current step are done. */
  void advance(long amount);

  /** The current step is finished. */
  void done();
}
