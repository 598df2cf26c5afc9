package io.layerfs.core.store;

import io.layerfs.core.Digest;
import io.layerfs.core.Layer;
import io.layerfs.core.RangedBlob;
import io.layerfs.core.registry.Reference;
import io.layerfs.core.registry.RegistryClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

/**
 * A layer's blob in a registry, read by ranges through {@link RegistryClient#openBlob} (which
 * resumes a range cut off mid-way): what a lazily opened registry image reads through.
 */
final class RegistryBlob implements RangedBlob {
  private final RegistryClient client;
  private final Reference repository;
  private final Layer layer;
  /** The lazy layer's origin file {@link #repository} was read from, or null. */
  private final Path recordedIn;

  RegistryBlob(RegistryClient client, Reference repository, Layer layer) {
    this(client, repository, layer, null);
  }

  /**
   * A blob of {@code repository} as a lazy layer's origin file {@code recordedInOrNull} names
   * it: a failure to reach it says so, since a damaged file may name another registry.
   */
  RegistryBlob(RegistryClient client, Reference repository, Layer layer, Path recordedInOrNull) {
    this.client = client;
    this.repository = repository;
    this.layer = layer;
    this.recordedIn = recordedInOrNull;
  }

  @Override
  public Digest digest() {
    return layer.digest();
  }

  @Override
  public String origin() {
    return " from " + repository;
  }

  /** The descriptor's size: the manifest, verified by its digest, commits to it. */
  @Override
  public long size() {
    return layer.size();
  }

  @Override
  public InputStream open(long offset, long length) throws IOException {
    try {
      return client.openBlob(repository, layer.digest(), offset, length).stream();
    } catch (IOException e) {
      if (recordedIn == null) {
        throw e;
      }
      throw new IOException(e.getMessage() + " (the registry " + repository + " as the layer's "
          + "recorded origin " + recordedIn + " names it)", e);
    }
  }
}
