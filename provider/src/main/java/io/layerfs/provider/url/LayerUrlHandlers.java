package io.layerfs.provider.url;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLConnection;
import java.net.URLStreamHandler;
import java.net.spi.URLStreamHandlerProvider;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Makes {@code layerfs:} URLs readable, so {@code path.toUri().toURL()} can be handed to
 * libraries that read from a URL. The URL names a path of a file system open in this JVM (as a
 * {@code jar:} URL names an entry of an archive); reading it is {@link Files#newInputStream}.
 * Found by {@link java.util.ServiceLoader} through the system class loader, like every {@link
 * URLStreamHandlerProvider}.
 */
public final class LayerUrlHandlers extends URLStreamHandlerProvider {
  @Override
  public URLStreamHandler createURLStreamHandler(String protocol) {
    return "layerfs".equalsIgnoreCase(protocol) ? new Handler() : null;
  }

  private static final class Handler extends URLStreamHandler {
    @Override
    protected URLConnection openConnection(URL url) {
      return new Connection(url);
    }
  }

  /** A read-only connection to one file; connecting looks the path up. */
  private static final class Connection extends URLConnection {
    private Path path;
    private BasicFileAttributes attributes;

    Connection(URL url) {
      super(url);
    }

    @Override
    public void connect() throws IOException {
      if (connected) {
        return;
      }
      Path p;
      try {
        p = Path.of(url.toURI());
      } catch (URISyntaxException | IllegalArgumentException e) {
        throw new IOException("not a layerfs path URL: " + url, e);
      } catch (FileSystemNotFoundException e) {
        throw new FileNotFoundException(url + ": no layerfs file system named "
            + url.getAuthority() + " is open in this JVM (open it with FileSystems.newFileSystem"
            + " first)");
      }
      BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
      if (a.isDirectory()) {
        throw new FileNotFoundException(url + ": is a directory");
      }
      path = p;
      attributes = a;
      connected = true;
    }

    @Override
    public InputStream getInputStream() throws IOException {
      connect();
      return Files.newInputStream(path);
    }

    @Override
    public long getContentLengthLong() {
      try {
        connect();
        return attributes.size();
      } catch (IOException e) {
        return -1;
      }
    }

    @Override
    public long getLastModified() {
      try {
        connect();
        return attributes.lastModifiedTime().toMillis();
      } catch (IOException e) {
        return 0;
      }
    }
  }
}
