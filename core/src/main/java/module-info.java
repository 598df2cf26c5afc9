/** layerfs core: the content store, OCI image model, layer indexes and merged trees. */
module io.layerfs.core {
  requires org.apache.commons.compress;
  requires com.github.luben.zstd_jni;
  requires com.github.benmanes.caffeine;
  requires com.fasterxml.jackson.databind;
  requires org.bouncycastle.pg;
  requires org.bouncycastle.provider;

  exports io.layerfs.core;
  exports io.layerfs.core.internal;
  exports io.layerfs.core.oci;
  exports io.layerfs.core.content;
  exports io.layerfs.core.image;
  exports io.layerfs.core.rootfs;
  exports io.layerfs.core.overlay;
  exports io.layerfs.core.container;
  exports io.layerfs.core.transfer;
  exports io.layerfs.core.signing;
  exports io.layerfs.core.gc;
}
