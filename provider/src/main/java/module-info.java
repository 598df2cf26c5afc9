/** The java.nio.file provider for the {@code layerfs:} scheme. */
module io.layerfs.provider {
  requires transitive io.layerfs.core;

  exports io.layerfs.provider;

  provides java.nio.file.spi.FileSystemProvider
      with io.layerfs.provider.LayerFileSystemProvider;
  provides java.net.spi.URLStreamHandlerProvider
      with io.layerfs.provider.url.LayerUrlHandlers;
}
