/**
 * layerfs core: a store of OCI image layers, containers copy-on-write over them, and the
 * transports, gc and signatures around them. Users start at {@link io.layerfs.core.store.Store};
 * the root package holds the vocabulary ({@link io.layerfs.core.FileTree}, {@link
 * io.layerfs.core.Node}, {@link io.layerfs.core.Image}, ...). Every other package is internal:
 * ARCHITECTURE.md maps them.
 */
module io.layerfs.core {
  requires org.apache.commons.compress;
  requires org.apache.commons.io;
  // optional (internal.OptionalLibrary): zstd layers and signatures only
  requires static com.github.luben.zstd_jni;
  requires com.fasterxml.jackson.databind;
  requires com.fasterxml.jackson.dataformat.toml;
  requires java.net.http;
  requires static org.bouncycastle.pg;
  requires static org.bouncycastle.provider;
  // optional (internal.OptionalLibrary): tmpfs mounts only
  requires static com.google.common.jimfs;
  requires static com.google.common;

  exports io.layerfs.core;
  exports io.layerfs.core.store;
  // the registry client: references, options and the results of pull and push
  exports io.layerfs.core.registry;
  // errors as the running JDK reports them, which the provider follows too
  exports io.layerfs.core.internal to io.layerfs.provider;
  // the lazy merge a view of a lazily read image answers lookups with until it needs the tree
  exports io.layerfs.core.lazy to io.layerfs.provider;
}
