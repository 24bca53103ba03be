package dev.sluice.engine.kafka;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Kafka-frame-aware TCP proxy on 127.0.0.1 for tests: forwards requests to the broker and
 * responses back, except that it drops the connection instead of forwarding the first
 * {@code cuts} Produce responses, and holds the next {@code delays} Produce responses for
 * {@code delayMs} before forwarding them — so a producer sees requests that may or may not have
 * been applied, and must retry.
 */
final class ChaosProxy implements AutoCloseable {
  private final ServerSocket server;
  private final AtomicInteger cuts;
  private final AtomicInteger delays;
  private final long delayMs;
  final AtomicInteger cutsDone = new AtomicInteger();
  final AtomicInteger delaysDone = new AtomicInteger();
  private volatile InetSocketAddress target;

  ChaosProxy(int cuts, int delays, long delayMs) throws IOException {
    this.server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
    this.cuts = new AtomicInteger(cuts);
    this.delays = new AtomicInteger(delays);
    this.delayMs = delayMs;
  }

  int port() {
    return server.getLocalPort();
  }

  /** Starts accepting; connections go to {@code broker}. */
  void start(InetSocketAddress broker) {
    this.target = broker;
    Thread acceptor = new Thread(this::acceptLoop, "chaos-proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        Socket broker = new Socket();
        broker.connect(target, 5000);
        Map<Integer, Short> apiByCorrelation = new ConcurrentHashMap<>();
        daemon(() -> pump(client, broker, apiByCorrelation, true));
        daemon(() -> pump(broker, client, apiByCorrelation, false));
      } catch (IOException e) {
        return;
      }
    }
  }

  private void pump(Socket from, Socket to, Map<Integer, Short> apiByCorrelation, boolean requests) {
    try (DataInputStream in = new DataInputStream(from.getInputStream())) {
      DataOutputStream out = new DataOutputStream(to.getOutputStream());
      while (true) {
        int size = in.readInt();
        byte[] frame = new byte[size];
        in.readFully(frame);
        ByteBuffer buf = ByteBuffer.wrap(frame);
        if (requests) {
          apiByCorrelation.put(buf.getInt(4), buf.getShort(0));
        } else {
          Short api = apiByCorrelation.remove(buf.getInt(0));
          if (api != null && api == 0) { // a Produce response
            if (cuts.getAndDecrement() > 0) {
              cutsDone.incrementAndGet();
              from.close();
              to.close();
              return;
            }
            if (delays.getAndDecrement() > 0) {
              delaysDone.incrementAndGet();
              Thread.sleep(delayMs);
            }
          }
        }
        out.writeInt(size);
        out.write(frame);
        out.flush();
      }
    } catch (IOException | InterruptedException e) {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  private static void daemon(Runnable r) {
    Thread t = new Thread(r, "chaos-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
