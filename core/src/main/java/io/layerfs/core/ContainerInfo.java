package io.layerfs.core;

import java.time.Instant;

/**
 * What {@code docker ps -a} shows of a container: its name, the image it was created from (as the
 * user named it, and the manifest digest that name had then), when, and the bytes its writable
 * layer holds on disk (file data and metadata, as {@code docker ps --size} counts them).
 */
public record ContainerInfo(String name, String image, Digest manifest, Instant created,
    long upperSize) {}
