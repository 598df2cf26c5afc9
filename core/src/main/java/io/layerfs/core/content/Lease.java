package io.layerfs.core.content;

import java.io.Closeable;
import java.io.IOException;

/**
 * An ingest lease on a {@link ContentStore}: while any lease is held, in this process or another
 * one, gc waits, so blobs written but not yet referenced (an import or
 * commit writes blobs first and tags last) are not collected. Take one with {@link
 * ContentStore#lease()} in try-with-resources around the whole multi-step write.
 *
 * <p>Cheap (the first lease of a process takes a shared file lock, later ones only count) and
 * reentrant: a thread may hold several. It may be closed by another thread than the one that took
 * it; closing twice is harmless. The locking is described in {@code LeaseGate}.
 */
public final class Lease implements Closeable {
  private final LeaseGate gate;
  private final Thread owner;
  private boolean closed;

  /** A lease {@code owner} took from {@code gate}, which closing counts out. */
  Lease(LeaseGate gate, Thread owner) {
    this.gate = gate;
    this.owner = owner;
  }

  /** Ends the lease; the last lease of the process releases the shared file lock. */
  @Override
  public void close() throws IOException {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    gate.release(owner);
  }
}
