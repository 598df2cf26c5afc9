package io.layerfs.core.registry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An HTTP proxy on loopback, as a corporate one: {@code CONNECT host:port} tunnels (HTTPS), a
 * request in absolute form ({@code GET http://host:port/...}) is passed on (plain HTTP), its
 * {@code Proxy-Authorization} taken off as a proxy does. Every host is 127.0.0.1 to it, so a
 * registry on loopback can be named by any name. With {@code authorization}, a request without
 * that {@code Proxy-Authorization} gets a 407.
 */
final class TestProxy implements AutoCloseable {
  /** What each request to the proxy was: its first line, and its Proxy-Authorization. */
  record Seen(String requestLine, String authorizationOrNull) {}

  final List<Seen> seen = new CopyOnWriteArrayList<>();
  private final ServerSocket server;
  private final String requiredOrNull;

  TestProxy(String requiredAuthorizationOrNull) throws IOException {
    this.requiredOrNull = requiredAuthorizationOrNull;
    server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
    Thread accept = new Thread(this::accept, "test-proxy");
    accept.setDaemon(true);
    accept.start();
  }

  int port() {
    return server.getLocalPort();
  }

  /** The proxy's URL, with {@code userInfoOrNull} ({@code USER:PASSWORD}, encoded) in it. */
  String url(String userInfoOrNull) {
    return "http://" + (userInfoOrNull == null ? "" : userInfoOrNull + "@") + "127.0.0.1:"
        + port();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        Thread t = new Thread(() -> serve(client), "test-proxy-connection");
        t.setDaemon(true);
        t.start();
      } catch (IOException closed) {
        return;
      }
    }
  }

  private void serve(Socket client) {
    try (client) {
      InputStream in = client.getInputStream();
      OutputStream out = client.getOutputStream();
      String head = readHead(in);
      if (head == null) {
        return;
      }
      String[] lines = head.split("\r\n");
      String requestLine = lines[0];
      String authorization = null;
      StringBuilder forwarded = new StringBuilder(requestLine).append("\r\n");
      for (int i = 1; i < lines.length; i++) {
        if (lines[i].regionMatches(true, 0, "Proxy-Authorization:", 0, 20)) {
          authorization = lines[i].substring(20).trim();
        } else if (!lines[i].isEmpty()) {
          forwarded.append(lines[i]).append("\r\n");
        }
      }
      forwarded.append("\r\n");
      seen.add(new Seen(requestLine, authorization));
      if (requiredOrNull != null && !requiredOrNull.equals(authorization)) {
        out.write(("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic "
            + "realm=\"test\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return;
      }
      String[] parts = requestLine.split(" ");
      boolean connect = parts[0].equals("CONNECT");
      String authority = connect ? parts[1] : java.net.URI.create(parts[1]).getRawAuthority();
      int port = Integer.parseInt(authority.substring(authority.lastIndexOf(':') + 1));
      try (Socket upstream = new Socket(InetAddress.getByName("127.0.0.1"), port)) {
        if (connect) {
          out.write("HTTP/1.1 200 Connection established\r\n\r\n"
              .getBytes(StandardCharsets.US_ASCII));
          out.flush();
        } else {
          // one request a connection: the next one is read (and checked) anew
          upstream.getOutputStream().write(forwarded.toString()
              .replaceFirst("(?i)\r\nConnection: [^\r]*", "")
              .replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
        }
        Thread up = new Thread(() -> pipe(in, upstream), "test-proxy-up");
        up.setDaemon(true);
        up.start();
        pipe(upstream.getInputStream(), out);
      }
    } catch (IOException | RuntimeException e) {
      // the client or the registry hung up: the connection ends
    }
  }

  private static void pipe(InputStream from, Socket to) {
    try {
      pipe(from, to.getOutputStream());
    } catch (IOException e) {
      // ends with the connection
    }
  }

  private static void pipe(InputStream from, OutputStream to) {
    byte[] buffer = new byte[64 << 10];
    try {
      for (int n; (n = from.read(buffer)) >= 0; ) {
        to.write(buffer, 0, n);
        to.flush();
      }
    } catch (IOException e) {
      // ends with the connection
    }
  }

  /** The request's line and headers, up to the empty line; null at the end of the stream. */
  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    for (int b; (b = in.read()) >= 0; ) {
      head.write(b);
      matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
      if (matched == 4) {
        String text = head.toString(StandardCharsets.ISO_8859_1);
        return text.substring(0, text.length() - 4);
      }
    }
    return null;
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
