package io.vigil.app;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Vigil's HTTP endpoint: {@code /metrics} (Prometheus text format), {@code /health/live} (200 while
 * the process runs) and {@code /health/ready} (200 only while the Streams application is RUNNING,
 * 503 otherwise). Further routes (the API, the status page) are added with {@link #route}.
 */
public final class HttpServerRunner implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpServerRunner.class);

    private final HttpServer server;
    private final ExecutorService executor;

    public HttpServerRunner(String bind, int port, Supplier<String> metrics, BooleanSupplier ready)
            throws IOException {
        server = HttpServer.create(new InetSocketAddress(bind, port), 64);
        executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "vigil-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        route("/metrics", exchange -> respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8",
                metrics.get()));
        route("/health/live", exchange -> respond(exchange, 200, "text/plain", "live\n"));
        route("/health/ready", exchange -> {
            boolean ok = ready.getAsBoolean();
            respond(exchange, ok ? 200 : 503, "text/plain", ok ? "ready\n" : "not ready\n");
        });
    }

    /** Adds a handler; exceptions become a 500 without details (they could carry data). */
    public void route(String path, HttpHandler handler) {
        server.createContext(path, exchange -> {
            try (exchange) {
                if (!"GET".equals(exchange.getRequestMethod()) && !"HEAD".equals(exchange.getRequestMethod())) {
                    respond(exchange, 405, "text/plain", "method not allowed\n");
                    return;
                }
                handler.handle(exchange);
            } catch (RuntimeException | IOException e) {
                LOG.warn("HTTP {} failed: {}", path, e.toString());
                try {
                    respond(exchange, 500, "text/plain", "internal error\n");
                } catch (IOException | RuntimeException ignored) {
                    // the response was already under way; the client sees a truncated body
                }
            }
        });
    }

    public void start() {
        server.start();
        LOG.info("HTTP listening on {}", uri());
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String uri() {
        InetSocketAddress a = server.getAddress();
        return "http://" + a.getHostString() + ":" + a.getPort();
    }

    public static void respond(HttpExchange exchange, int status, String contentType, String body)
            throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        boolean head = "HEAD".equals(exchange.getRequestMethod());
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
