package io.layerfs.core.registry;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The proxies the environment names, as Docker, skopeo and curl read them: {@code HTTPS_PROXY}
 * for HTTPS requests, {@code HTTP_PROXY} for plain HTTP ones (either in lower case too, upper
 * case first), and {@code NO_PROXY} for the hosts reached directly: {@code *}, host names
 * ({@code example.com} is it and its subdomains, {@code .example.com} its subdomains only), IP
 * addresses and CIDR ranges, each with an optional {@code :port}. {@code localhost} and loopback
 * addresses are never proxied. A proxy is {@code [http://][USER:PASSWORD@]HOST[:PORT]} (port 80
 * by default); its credentials are sent as basic authentication. Immutable.
 */
final class EnvironmentProxy extends ProxySelector {
  private final ProxyUri https;
  private final ProxyUri http;
  private final List<String> noProxy;

  /** A proxy's address and its basic credentials ({@code Proxy-Authorization}), if any. */
  private record ProxyUri(Proxy proxy, String authorizationOrNull) {}

  private EnvironmentProxy(ProxyUri https, ProxyUri http, List<String> noProxy) {
    this.https = https;
    this.http = http;
    this.noProxy = noProxy;
  }

  /**
   * The proxies of {@code env}, or null when it names none.
   *
   * @throws IllegalArgumentException naming the variable when a proxy is not an HTTP proxy's
   *     URL
   */
  static EnvironmentProxy of(Map<String, String> env) {
    ProxyUri https = parse(env, "HTTPS_PROXY");
    ProxyUri http = parse(env, "HTTP_PROXY");
    if (https == null && http == null) {
      return null;
    }
    List<String> noProxy = new ArrayList<>();
    String list = either(env, "NO_PROXY");
    if (list != null) {
      for (String entry : list.split(",")) {
        if (!entry.isBlank()) {
          noProxy.add(entry.trim().toLowerCase(Locale.ROOT));
        }
      }
    }
    return new EnvironmentProxy(https, http, List.copyOf(noProxy));
  }

  private static String either(Map<String, String> env, String name) {
    String value = env.get(name);
    if (value == null || value.isEmpty()) {
      value = env.get(name.toLowerCase(Locale.ROOT));
    }
    return value == null || value.isEmpty() ? null : value;
  }

  private static ProxyUri parse(Map<String, String> env, String name) {
    String value = either(env, name);
    if (value == null) {
      return null;
    }
    String shown = env.get(name) != null && !env.get(name).isEmpty() ? name
        : name.toLowerCase(Locale.ROOT);
    URI uri;
    try {
      uri = new URI(value.contains("://") ? value : "http://" + value);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(shown + ": not a proxy URL: " + e.getMessage(), e);
    }
    if (!"http".equalsIgnoreCase(uri.getScheme())) {
      throw new IllegalArgumentException(shown + ": a " + uri.getScheme() + " proxy is not"
          + " supported, only an HTTP one (http://HOST:PORT)");
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException(shown + ": no proxy host in " + uri.getRawAuthority());
    }
    String authorization = null;
    if (uri.getRawUserInfo() != null) {
      // user and password percent-encoded in the URL, as curl and Go take them
      String[] parts = uri.getRawUserInfo().split(":", 2);
      String credentials = decode(parts[0]) + ":" + (parts.length > 1 ? decode(parts[1]) : "");
      authorization = "Basic " + Base64.getEncoder()
          .encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
    }
    int port = uri.getPort() < 0 ? 80 : uri.getPort();
    Proxy proxy = new Proxy(Proxy.Type.HTTP,
        InetSocketAddress.createUnresolved(uri.getHost(), port));
    return new ProxyUri(proxy, authorization);
  }

  private static String decode(String part) {
    return URLDecoder.decode(part.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  @Override
  public List<Proxy> select(URI uri) {
    ProxyUri chosen = chosen(uri);
    return List.of(chosen == null ? Proxy.NO_PROXY : chosen.proxy());
  }

  /** Whether a proxy has credentials in its URL. */
  boolean hasCredentials() {
    return https != null && https.authorizationOrNull() != null
        || http != null && http.authorizationOrNull() != null;
  }

  /**
   * The {@code Proxy-Authorization} to send with a request to {@code uri}: the credentials of
   * its proxy, or null when it goes direct or its proxy has none.
   */
  String authorization(URI uri) {
    ProxyUri chosen = chosen(uri);
    return chosen == null ? null : chosen.authorizationOrNull();
  }

  private ProxyUri chosen(URI uri) {
    ProxyUri proxy = "https".equalsIgnoreCase(uri.getScheme()) ? https
        : "http".equalsIgnoreCase(uri.getScheme()) ? http : null;
    if (proxy == null || uri.getHost() == null) {
      return null;
    }
    String host = uri.getHost().toLowerCase(Locale.ROOT);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port = uri.getPort() >= 0 ? uri.getPort()
        : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    return direct(host, port) ? null : proxy;
  }

  /** Whether {@code host:port} is reached without a proxy. */
  boolean direct(String host, int port) {
    byte[] ip = literal(host);
    if (host.equals("localhost") || ip != null && address(ip).isLoopbackAddress()) {
      return true;
    }
    for (String entry : noProxy) {
      if (entry.equals("*")) {
        return true;
      }
      String name = entry;
      int entryPort = -1;
      int colon = entry.lastIndexOf(':');
      if (colon > 0 && entry.indexOf(':') == colon || entry.startsWith("[") && colon > 0
          && entry.charAt(colon - 1) == ']') {
        try {
          entryPort = Integer.parseInt(entry.substring(colon + 1));
          name = entry.substring(0, colon);
        } catch (NumberFormatException notAPort) {
          continue; // as Go does: an entry it cannot read matches nothing
        }
      }
      if (name.startsWith("[") && name.endsWith("]")) {
        name = name.substring(1, name.length() - 1);
      }
      if (entryPort >= 0 && entryPort != port) {
        continue;
      }
      if (matches(name, host, ip)) {
        return true;
      }
    }
    return false;
  }

  private static boolean matches(String entry, String host, byte[] ip) {
    int slash = entry.indexOf('/');
    if (slash > 0) {
      byte[] network = literal(entry.substring(0, slash));
      if (network == null || ip == null || network.length != ip.length) {
        return false;
      }
      int bits;
      try {
        bits = Integer.parseInt(entry.substring(slash + 1));
      } catch (NumberFormatException e) {
        return false;
      }
      return inRange(ip, network, bits);
    }
    byte[] entryIp = literal(entry);
    if (entryIp != null || ip != null) {
      return entryIp != null && ip != null && address(entryIp).equals(address(ip));
    }
    String domain = entry.startsWith("*.") ? entry.substring(1) : entry;
    if (domain.startsWith(".")) {
      return host.endsWith(domain);
    }
    return host.equals(domain) || host.endsWith("." + domain);
  }

  private static boolean inRange(byte[] ip, byte[] network, int bits) {
    if (bits < 0 || bits > ip.length * 8) {
      return false;
    }
    for (int i = 0; i < bits; i++) {
      int mask = 0x80 >> (i % 8);
      if ((ip[i / 8] & mask) != (network[i / 8] & mask)) {
        return false;
      }
    }
    return true;
  }

  /** The bytes of an IP address literal, or null for a name (never looked up). */
  private static byte[] literal(String host) {
    boolean v4 = host.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
    boolean v6 = host.indexOf(':') >= 0 && host.matches("[0-9a-fA-F:.]+");
    if (!v4 && !v6) {
      return null;
    }
    try {
      return InetAddress.getByName(host).getAddress();
    } catch (UnknownHostException e) {
      return null;
    }
  }

  private static InetAddress address(byte[] ip) {
    try {
      return InetAddress.getByAddress(ip);
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e); // only for a length other than 4 or 16
    }
  }

  @Override
  public void connectFailed(URI uri, SocketAddress address, IOException e) {
    // nothing to remember: the request's own retries decide
  }
}
