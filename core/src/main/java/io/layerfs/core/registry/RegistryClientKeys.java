package io.layerfs.core.registry;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * The client certificates a registry asks for (mutual TLS), as Docker reads them: each {@code
 * NAME.cert} of the registry's directory ({@link CertsDirectories}) with its key {@code
 * NAME.key} (PEM; the key in PKCS#8, as openssl writes it). A {@code .cert} without its {@code
 * .key}, or the other way round, is an error, as in Docker. The pair is picked by the host and
 * port the TLS engine connects to. Thread-safe.
 */
final class RegistryClientKeys extends X509ExtendedKeyManager {
  private static final String[] KEY_FACTORIES = {"RSA", "EC", "Ed25519", "Ed448"};

  private final CertsDirectories directories;
  /** Each directory's pairs, read once: an empty list for a directory without any. */
  private final ConcurrentMap<Path, List<Pair>> byDirectory = new ConcurrentHashMap<>();
  /** Every pair read, by alias (its {@code .cert} file's path). */
  private final Map<String, Pair> byAlias = new ConcurrentHashMap<>();

  private record Pair(String alias, X509Certificate[] chain, PrivateKey key) {}

  RegistryClientKeys(CertsDirectories directories) {
    this.directories = directories;
  }

  /**
   * Reads the client certificates of the registry at {@code host:port} now, if not yet: an error
   * in its files then names them before any request, not in the middle of a handshake.
   */
  void prepare(String host, int port) throws IOException {
    Path dir = directories.directoryFor(host, port);
    if (dir != null) {
      pairs(dir);
    }
  }

  private List<Pair> pairs(Path dir) throws IOException {
    List<Pair> known = byDirectory.get(dir);
    if (known != null) {
      return known;
    }
    List<Path> certs = new ArrayList<>();
    List<Path> keys = new ArrayList<>();
    if (Files.isDirectory(dir)) {
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
        for (Path file : entries) {
          String name = file.getFileName().toString();
          if (name.endsWith(".cert")) {
            certs.add(file);
          } else if (name.endsWith(".key")) {
            keys.add(file);
          }
        }
      }
    }
    certs.sort(null);
    List<Pair> pairs = new ArrayList<>();
    for (Path cert : certs) {
      String base = cert.getFileName().toString().replaceFirst("\\.cert$", "");
      Path key = dir.resolve(base + ".key");
      if (!keys.remove(key)) {
        throw new IOException("client certificate " + cert + " has no key " + key
            + " beside it");
      }
      pairs.add(new Pair(cert.toString(), chain(cert), privateKey(key)));
    }
    if (!keys.isEmpty()) {
      Path key = keys.get(0);
      throw new IOException("client key " + key + " has no certificate "
          + dir.resolve(key.getFileName().toString().replaceFirst("\\.key$", "") + ".cert")
          + " beside it");
    }
    for (Pair pair : pairs) {
      byAlias.put(pair.alias(), pair);
    }
    List<Pair> read = List.copyOf(pairs);
    byDirectory.putIfAbsent(dir, read);
    return read;
  }

  private static X509Certificate[] chain(Path file) throws IOException {
    return PemCertificates.read(file, "client certificate").toArray(new X509Certificate[0]);
  }

  /** A PEM {@code PRIVATE KEY} (PKCS#8) of any algorithm the JDK knows. */
  static PrivateKey privateKey(Path file) throws IOException {
    String pem = Files.readString(file, StandardCharsets.US_ASCII);
    String begin = "-----BEGIN PRIVATE KEY-----";
    int start = pem.indexOf(begin);
    int end = pem.indexOf("-----END PRIVATE KEY-----");
    if (start < 0 || end < start) {
      String kind = pem.contains("-----BEGIN RSA PRIVATE KEY-----") ? "an RSA (PKCS#1) key"
          : pem.contains("-----BEGIN EC PRIVATE KEY-----") ? "an EC (SEC 1) key"
          : pem.contains("ENCRYPTED PRIVATE KEY") ? "an encrypted key" : "no PEM private key";
      throw new IOException("client key " + file + " holds " + kind + "; a PKCS#8 key without a"
          + " password is read (openssl pkcs8 -topk8 -nocrypt -in KEY -out " + file + ")");
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(pem.substring(start + begin.length(), end));
    } catch (IllegalArgumentException e) {
      throw new IOException("client key " + file + ": not base64: " + e.getMessage(), e);
    }
    for (String algorithm : KEY_FACTORIES) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException notThisOne) {
        // the next algorithm
      }
    }
    throw new IOException("client key " + file + ": not an RSA, EC or EdDSA PKCS#8 key");
  }

  @Override
  public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers,
      SSLEngine engine) {
    if (engine == null || engine.getPeerHost() == null) {
      return null;
    }
    Path dir = directories.directoryFor(engine.getPeerHost(), engine.getPeerPort());
    List<Pair> pairs = dir == null ? null : byDirectory.get(dir);
    if (pairs == null) {
      return null; // not prepared: a registry spoken to without its directory read sends none
    }
    for (Pair pair : pairs) {
      for (String type : keyTypes) {
        if (matches(pair.key(), type)) {
          return pair.alias();
        }
      }
    }
    return null;
  }

  /** Whether {@code key} serves the TLS key type {@code type} ("RSA", "EC", "EdDSA"...). */
  private static boolean matches(PrivateKey key, String type) {
    String algorithm = key.getAlgorithm();
    return type.equalsIgnoreCase(algorithm) || type.equals("EdDSA")
        && (algorithm.equals("Ed25519") || algorithm.equals("Ed448") || algorithm.equals("EdDSA"))
        || type.equals("RSASSA-PSS") && algorithm.equals("RSA");
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    Pair pair = byAlias.get(alias);
    return pair == null ? null : pair.chain().clone();
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    Pair pair = byAlias.get(alias);
    return pair == null ? null : pair.key();
  }

  // A client presents its own certificates only: none of the server side is used.

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return null;
  }

  @Override
  public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
    return null;
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return null;
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return null;
  }
}
