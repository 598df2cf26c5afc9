package io.layerfs.core.overlay;

import java.io.IOException;

/**
 * A data file that is missing or shorter than the bytes its file's logged state says it holds:
 * its bytes are lost, and reading them as zeros would hide that. Thrown where the data file is
 * opened, which does not know the file's path; a handle names the path with {@link #at}.
 */
final class DataFileDamage extends IOException {
  private static final long serialVersionUID = 1L;

  private final String container;
  private final String detail;

  DataFileDamage(String container, String detail) {
    super("container " + container + ": " + detail);
    this.container = container;
    this.detail = detail;
  }

  /** The same damage, naming the path inside the container. */
  IOException at(String path) {
    return new IOException("container " + container + ": " + path + ": " + detail, this);
  }
}
