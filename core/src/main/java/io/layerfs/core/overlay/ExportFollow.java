package io.layerfs.core.overlay;

import java.io.IOException;

/**
 * Where the export of a read-only view reads a file that the container's writer (perhaps another
 * process) truncated or replaced since the view loaded: the same path in the writer's state
 * loaded again ({@link Overlay#reload}), one load shared by every such file until a file finds it
 * stale too, and given back at the close.
 */
final class ExportFollow implements LayerTarWriter.Follow, AutoCloseable {
  private final Overlay view;
  private Overlay.Reload reload;

  ExportFollow(Overlay view) {
    this.view = view;
  }

  @Override
  public ChangeWalk.Item again(ChangeWalk.Item stale, boolean newer) throws IOException {
    if (reload == null || newer) {
      Overlay.Reload next = view.reload(reload);
      if (reload != null) {
        view.release(reload);
      }
      reload = next;
    }
    // a transient view has no files to load again: its damage then stands
    return reload == null ? stale : reload.overlay.exportItem(stale.path());
  }

  @Override
  public void close() throws IOException {
    if (reload != null) {
      Overlay.Reload held = reload;
      reload = null;
      view.release(held);
    }
  }
}
