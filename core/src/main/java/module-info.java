/** layerfs core: the content store, OCI image model, layer indexes and merged trees. */
module io.layerfs.core {
  requires org.apache.commons.compress;
  requires com.github.luben.zstd_jni;
  requires com.github.benmanes.caffeine;
  requires com.fasterxml.jackson.databind;
  requires org.bouncycastle.pg;
  requires org.bouncycastle.provider;

  exports io.layerfs.core;
}
