package io.layerfs.core.registry;

import com.fasterxml.jackson.databind.JsonNode;
import io.layerfs.core.oci.OciJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.StringJoiner;

/**
 * A registry answered with an error: its one-line message names the registry, the reference or
 * blob, the HTTP status and what the registry said (the distribution API's JSON error body, such
 * as {@code MANIFEST_UNKNOWN: manifest unknown}), for example {@code registry 127.0.0.1:5000:
 * 127.0.0.1:5000/team/app:1: HTTP 404 MANIFEST_UNKNOWN: manifest unknown}.
 */
public final class RegistryException extends IOException {
  private static final int MAX_BODY = 300;
  private final int status;

  RegistryException(String message, int status) {
    super(message);
    this.status = status;
  }

  /** The HTTP status, or -1 when the error is not one answer (retries exhausted). */
  public int status() {
    return status;
  }

  static RegistryException of(String registry, String what, int status, byte[] body) {
    return new RegistryException(
        "registry " + registry + ": " + what + ": HTTP " + status + " " + describe(status, body),
        status);
  }

  /** The registry's error codes and messages from its JSON body, or a plain status name. */
  static String describe(int status, byte[] body) {
    if (body != null && body.length > 0) {
      try {
        JsonNode root = OciJson.readTree(body);
        JsonNode errors = root == null ? null : root.get("errors");
        if (errors != null && errors.isArray() && errors.size() > 0) {
          StringJoiner all = new StringJoiner("; ");
          for (JsonNode error : errors) {
            String code = error.path("code").asText("");
            String message = error.path("message").asText("");
            all.add(code.isEmpty() ? message : message.isEmpty() ? code : code + ": " + message);
          }
          return all.toString();
        }
      } catch (IOException | RuntimeException e) {
        // not JSON: fall back to the text below
      }
    }
    String name = switch (status) {
      case 400 -> "bad request";
      case 401 -> "unauthorized";
      case 403 -> "denied";
      case 404 -> "not found";
      case 405 -> "method not allowed";
      case 416 -> "range not satisfiable";
      case 429 -> "too many requests";
      case 500 -> "internal server error";
      case 502 -> "bad gateway";
      case 503 -> "service unavailable";
      default -> "";
    };
    if (body != null && body.length > 0 && status != 404) {
      String text = new String(body, 0, Math.min(body.length, MAX_BODY), StandardCharsets.UTF_8)
          .replaceAll("\\s+", " ").trim();
      if (!text.isEmpty()) {
        return name.isEmpty() ? text : name + " (" + text + ")";
      }
    }
    return name;
  }
}
