package io.layerfs.core.content;

import java.io.IOException;

/**
 * The bytes written to a {@link BlobWriter} do not have the size or digest the caller expected.
 * Kept apart from other {@code IOException}s of a commit (a full disk, a failed rename) so that a
 * caller who drops bytes it holds as wrong drops them only when they are.
 */
public final class BlobMismatchException extends IOException {
  BlobMismatchException(String message) {
    super(message);
  }
}
