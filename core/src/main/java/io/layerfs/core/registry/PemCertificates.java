package io.layerfs.core.registry;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/**
 * The X.509 certificates of a PEM (or DER) file of a certs.d directory, as an authority's
 * {@code ca.crt} or a client's {@code NAME.cert} holds them; {@code what} names the file's role
 * in errors, which name the file.
 */
final class PemCertificates {
  private PemCertificates() {}

  static List<X509Certificate> read(Path file, String what) throws IOException {
    List<X509Certificate> all = new ArrayList<>();
    try (InputStream in = Files.newInputStream(file)) {
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        all.add((X509Certificate) c);
      }
    } catch (IOException | CertificateException e) {
      throw new IOException("cannot read the " + what + " " + file + ": " + e.getMessage(), e);
    }
    if (all.isEmpty()) {
      throw new IOException(file + " holds no certificate");
    }
    return all;
  }
}
