/**
 * The {@code layerfs:} URL protocol: a {@link java.net.spi.URLStreamHandlerProvider} (a service,
 * not exported) that reads a URL made by {@code path.toUri().toURL()} through the file system of
 * that name open in this JVM.
 */
package io.layerfs.provider.url;
