package io.layerfs.core.registry;

import java.io.InputStream;

/**
 * A byte range of a registry blob being read: the stream (close it; a connection cut while it
 * is read is resumed from where it stopped, as {@link RegistryClient#openBlob} says) and the
 * blob's whole size as the registry reported it.
 */
public record BlobRange(InputStream stream, long blobSize) {}
