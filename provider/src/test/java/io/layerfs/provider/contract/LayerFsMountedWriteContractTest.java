package io.layerfs.provider.contract;

import java.util.List;
import java.util.Map;

/**
 * The write contract suite on a container that has a mount elsewhere ({@code /mnt/volume}, a
 * volume no test touches): every path of the suite is then resolved by the container's mount
 * table before its own tree, which keeps listings and finds listed paths apart from a container
 * without mounts. Where this fails and {@link LayerFsWriteContractTest} passes, a container with
 * mounts differs from one without.
 */
class LayerFsMountedWriteContractTest extends LayerFsWriteContractTest {
  @Override
  Map<String, Object> createEnv(String name) {
    return Map.of("store", store, "image", FixtureImages.TAG, "mounts",
        List.of("type=volume,source=m-" + name + ",target=/mnt/volume,volume-nocopy"));
  }
}
