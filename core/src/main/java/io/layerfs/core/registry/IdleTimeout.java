package io.layerfs.core.registry;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The body of a registry's answer whose every read waits at most {@code idle} for its next
 * bytes. The JDK's HTTP client has no read timeout: a registry (or a proxy before it) that stops
 * sending in the middle of a body held a pull forever. A read that waits longer closes the body,
 * which ends the read with an {@code IOException} saying so (a blob download then resumes from
 * there, as after a cut connection). A read of bytes at hand sets no alarm. One daemon timer
 * thread serves every body, and ends 10 s after the last read that waited.
 */
final class IdleTimeout extends InputStream {
  private static final ScheduledThreadPoolExecutor TIMER = timer();

  private final InputStream in;
  private final Duration idle;
  /** Empty, or what the answer is, a colon and a space. */
  private final String what;
  private volatile boolean expired;

  private IdleTimeout(InputStream in, Duration idle, String whatOrNull) {
    this.in = in;
    this.idle = idle;
    this.what = whatOrNull == null ? "" : whatOrNull + ": ";
  }

  /**
   * Bodies as streams, each read bounded by {@code idle}; {@code whatOrNull} names the answer
   * in errors ({@code registry HOST: blob DIGEST of NAME}), or the caller does.
   */
  static HttpResponse.BodyHandler<InputStream> bodies(Duration idle, String whatOrNull) {
    return info -> HttpResponse.BodySubscribers.mapping(
        HttpResponse.BodySubscribers.ofInputStream(), in -> new IdleTimeout(in, idle, whatOrNull));
  }

  /** {@code 60 s}, or {@code 300 ms} below a second. */
  static String describe(Duration d) {
    return d.toSeconds() >= 1 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    try {
      if (in.available() > 0) {
        return in.read(b, off, len); // bytes at hand: the read does not wait
      }
      ScheduledFuture<?> alarm = TIMER.schedule(this::expire, idle.toNanos(),
          TimeUnit.NANOSECONDS);
      try {
        return in.read(b, off, len);
      } finally {
        alarm.cancel(false);
      }
    } catch (IOException e) {
      throw expired ? new IOException(what + "no data for " + describe(idle), e) : e;
    }
  }

  @Override
  public int available() throws IOException {
    return in.available();
  }

  @Override
  public void close() throws IOException {
    in.close();
  }

  /** Ends the read that waits: closing the body wakes it with an {@code IOException}. */
  private void expire() {
    expired = true;
    try {
      in.close();
    } catch (IOException e) {
      // closed already: the read ends anyway
    }
  }

  private static ScheduledThreadPoolExecutor timer() {
    ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "layerfs-registry-idle");
      t.setDaemon(true);
      return t;
    });
    timer.setRemoveOnCancelPolicy(true);
    timer.setKeepAliveTime(10, TimeUnit.SECONDS);
    timer.allowCoreThreadTimeOut(true);
    return timer;
  }
}
