package io.layerfs.core;

/**
 * Receives the progress of long work (import, export, commit, flatten), so a caller such as the
 * CLI can draw a progress bar. Calls come from the working thread, in order: {@link #start}, any
 * number of {@link #advance}, {@link #done}; a task may run several steps one after the other
 * ({@link Parallel} shows steps that run at once).
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

  /**
   * A progress that can also show steps running at once, each on its own (a pull's layers,
   * downloaded in parallel, drawn a line each as Docker draws them). Work that runs steps in
   * parallel asks for this type and otherwise reports them one after the other.
   */
  interface Parallel extends Progress {
    /**
     * A step that runs beside others, begun by this call: the progress returned takes {@link
     * #advance} and {@link #done} (its {@link #start} does nothing) from any thread.
     *
     * @param total its size in bytes, or -1 when unknown
     */
    Progress task(String step, long total);
  }
}
