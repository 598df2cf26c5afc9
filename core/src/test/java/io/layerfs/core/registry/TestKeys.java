package io.layerfs.core.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * Keys and certificates for TLS tests, made by the JDK's keytool: a PKCS#12 key store {@code
 * NAME.p12} with a self-signed key, its certificate beside it in {@code NAME.crt} (PEM), and the
 * server contexts that use them.
 */
final class TestKeys {
  static final String PASSWORD = "changeit";

  private TestKeys() {}

  /** Makes {@code dir/NAME.p12} and {@code dir/NAME.crt}; {@code extension} as keytool's -ext. */
  static Path keyStore(Path dir, String name, String extension) throws Exception {
    Path store = dir.resolve(name + ".p12");
    keytool("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", "CN=" + name, "-ext", extension, "-validity", "2", "-storetype", "PKCS12",
        "-keystore", store.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD);
    keytool("-exportcert", "-rfc", "-alias", name, "-keystore", store.toString(), "-storepass",
        PASSWORD, "-file", certificate(store).toString());
    return store;
  }

  /** The PEM certificate beside key store {@code NAME.p12}: {@code NAME.crt}. */
  static Path certificate(Path keyStore) {
    String name = keyStore.getFileName().toString().replaceFirst("\\.p12$", "");
    return keyStore.resolveSibling(name + ".crt");
  }

  /** The server's key; with {@code clientOrNull}, trusting that key store's certificate only. */
  static SSLContext serverContext(Path keyStore, Path clientOrNull)
      throws GeneralSecurityException, IOException {
    KeyManagerFactory keys =
        KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keys.init(load(keyStore), PASSWORD.toCharArray());
    TrustManager[] trust = null;
    if (clientOrNull != null) {
      TrustManagerFactory clients =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      clients.init(load(clientOrNull));
      trust = clients.getTrustManagers();
    }
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keys.getKeyManagers(), trust, null);
    return context;
  }

  /** Writes the key {@code alias} of {@code keyStore} as PEM PKCS#8, as openssl writes one. */
  static void writeKey(Path keyStore, String alias, Path file) throws Exception {
    PrivateKey key = (PrivateKey) load(keyStore).getKey(alias, PASSWORD.toCharArray());
    Files.writeString(file, "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(key.getEncoded())
        + "\n-----END PRIVATE KEY-----\n");
  }

  private static KeyStore load(Path keyStore) throws GeneralSecurityException, IOException {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keyStore)) {
      ks.load(in, PASSWORD.toCharArray());
    }
    return ks;
  }

  private static void keytool(String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), "keytool " + String.join(" ", args) + ": " + out);
  }
}
