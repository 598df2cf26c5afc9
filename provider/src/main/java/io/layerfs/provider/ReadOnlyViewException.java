package io.layerfs.provider;

import java.nio.file.ReadOnlyFileSystemException;

/**
 * The {@link ReadOnlyFileSystemException} of a read-only layerfs file system, with a message: the
 * JDK's has none, which leaves a user who wrote to a view opened with env {@code readOnly} (or an
 * image file opened by its path) to guess which file system refused what.
 */
final class ReadOnlyViewException extends ReadOnlyFileSystemException {
  private static final long serialVersionUID = 1L;

  private final String message;

  ReadOnlyViewException(String message) {
    this.message = message;
  }

  /**
   * The error for a change of {@code path} in {@code fs}: {@code registered} tells a view opened
   * by URI with env {@code readOnly} from an image file or layout opened by its path. Typed as
   * the JDK's class, so that verifying a caller does not load this one.
   */
  static ReadOnlyFileSystemException of(LayerFileSystem fs, String path, boolean registered) {
    String how = registered
        ? " is read-only (opened with env key readOnly): cannot change " + path + "; to write,"
            + " open " + fs + " without readOnly (copy-on-write into the container)"
        : " is read-only (an image opened by its path, as zipfs opens a zip): cannot change "
            + path + "; to write, open a container of the image (layerfs://NAME with env keys"
            + " store and image)";
    return new ReadOnlyViewException(fs + how);
  }

  @Override
  public String getMessage() {
    return message;
  }
}
