package io.layerfs.core;

import java.time.Instant;

/**
 * What {@code docker ps -a} shows of a container: its name, the image it was created from (as the
 * user named it, and the manifest digest that name had then), when, and the bytes of the files
 * its writable layer holds (what was written or copied up, as {@code docker ps --size} counts a
 * container's upper directory; layerfs' own records of it are not counted, so a container
 * nothing was written to has 0).
 */
public record ContainerInfo(String name, String image, Digest manifest, Instant created,
    long upperSize) {}
