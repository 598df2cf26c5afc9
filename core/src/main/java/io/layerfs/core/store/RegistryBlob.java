package io.layerfs.core.store;

import io.layerfs.core.Digest;
import io.layerfs.core.Layer;
import io.layerfs.core.RangedBlob;
import io.layerfs.core.registry.Reference;
import io.layerfs.core.registry.RegistryClient;
import java.io.IOException;
import java.io.InputStream;

/**
 * A layer's blob in a registry, read by ranges through {@link RegistryClient#openBlob} (which
 * resumes a range cut off mid-way): what a lazily opened registry image reads through.
 */
final class RegistryBlob implements RangedBlob {
  private final RegistryClient client;
  private final Reference repository;
  private final Layer layer;

  RegistryBlob(RegistryClient client, Reference repository, Layer layer) {
    this.client = client;
    this.repository = repository;
    this.layer = layer;
  }

  @Override
  public Digest digest() {
    return layer.digest();
  }

  /** The descriptor's size: the manifest, verified by its digest, commits to it. */
  @Override
  public long size() {
    return layer.size();
  }

  @Override
  public InputStream open(long offset, long length) throws IOException {
    return client.openBlob(repository, layer.digest(), offset, length).stream();
  }
}
