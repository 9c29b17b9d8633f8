package io.vigil.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.vigil.config.VigilConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Vigil's HTTP endpoint: {@code /metrics} (Prometheus text format), {@code /health/live} (200 while
 * the process runs) and {@code /health/ready} (200 only while the Streams application is RUNNING,
 * 503 otherwise). Further routes (the API, the status page) are added with {@link #route}.
 *
 * <p>Optionally (see {@link Security}) the server speaks HTTPS only, from a PKCS12 keystore, and
 * every route except the two health probes requires HTTP Basic authentication.
 */
public final class HttpServerRunner implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpServerRunner.class);
    /** Routes open without credentials: orchestrators probe them. */
    /** Prometheus text format. */
    public static final String METRICS = "/metrics";
    /** 200 while the process runs: the liveness probe. */
    public static final String LIVE = "/health/live";
    /** 200 only while the monitor is processing: the readiness probe. */
    public static final String READY = "/health/ready";

    private static final Set<String> OPEN_ROUTES = Set.of(LIVE, READY);

    /**
     * TLS and basic-auth settings of the HTTP server.
     *
     * @param keystore         PKCS12 keystore path, or null for plain HTTP
     * @param keystorePassword password of the keystore and its key (may be null)
     * @param username         basic-auth user, or null for no authentication
     * @param password         basic-auth password (required with a user)
     */
    public record Security(Path keystore, Password keystorePassword, String username, Password password) {
        /** Plain HTTP, no authentication. */
        public static final Security NONE = new Security(null, null, null, null);

        /** The {@code http.tls.*} and {@code http.auth.*} settings of a configuration. */
        public static Security from(VigilConfig config) {
            String keystore = config.getString(VigilConfig.HTTP_TLS_KEYSTORE);
            String user = config.getString(VigilConfig.HTTP_AUTH_USERNAME);
            return new Security(
                    keystore.isBlank() ? null : Path.of(keystore),
                    config.getPassword(VigilConfig.HTTP_TLS_KEYSTORE_PASSWORD),
                    user.isEmpty() ? null : user,
                    config.getPassword(VigilConfig.HTTP_AUTH_PASSWORD));
        }

        /**
         * Fails fast, before anything else starts, when the keystore cannot be read.
         *
         * @throws ConfigException naming {@code http.tls.keystore}
         */
        public Security check() {
            if (keystore != null) {
                sslContext(keystore, keystorePassword);
            }
            return this;
        }

        /** Hides both passwords. */
        @Override
        public String toString() {
            return "Security[tls=" + (keystore != null) + ", auth=" + (username != null) + "]";
        }
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final boolean tls;
    /** SHA-256 of "user:password", or null without authentication. */
    private final byte[] credentialDigest;

    /** A plain HTTP server without authentication. */
    public HttpServerRunner(String bind, int port, Supplier<String> metrics, BooleanSupplier ready) throws IOException {
        this(bind, port, metrics, ready, Security.NONE);
    }

    /**
     * A server with the given TLS and authentication settings.
     *
     * @throws ConfigException naming {@code http.tls.keystore} when the keystore cannot be read
     */
    public HttpServerRunner(String bind, int port, Supplier<String> metrics, BooleanSupplier ready, Security security)
            throws IOException {
        InetSocketAddress address = new InetSocketAddress(bind, port);
        tls = security.keystore() != null;
        if (tls) {
            SSLContext ssl = sslContext(security.keystore(), security.keystorePassword());
            HttpsServer https = HttpsServer.create(address, 64);
            https.setHttpsConfigurator(new HttpsConfigurator(ssl));
            server = https;
        } else {
            server = HttpServer.create(address, 64);
        }
        credentialDigest = security.username() == null
                ? null
                : sha256(security.username() + ":"
                        + (security.password() == null
                                ? ""
                                : security.password().value()));
        executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "vigil-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        route(METRICS, exchange -> respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.get()));
        route(LIVE, exchange -> respond(exchange, 200, "text/plain", "live\n"));
        route(READY, exchange -> {
            boolean ok = ready.getAsBoolean();
            respond(exchange, ok ? 200 : 503, "text/plain", ok ? "ready\n" : "not ready\n");
        });
    }

    /**
     * Adds a handler for exactly {@code path} ({@code /health/livefoo} is not {@code /health/live}: 404);
     * exceptions become a 500 without details (they could carry data).
     */
    public void route(String path, HttpHandler handler) {
        add(path, false, handler);
    }

    /** Adds a handler for {@code path} and everything below it; the handler answers 404 for what it lacks. */
    public void routeTree(String path, HttpHandler handler) {
        add(path, true, handler);
    }

    /**
     * Every route answers GET and HEAD (headers only); any other method gets 405 with {@code Allow}. An
     * unknown path gets 404 (the JDK server matches contexts by prefix, so exactness is checked here).
     */
    private void add(String path, boolean tree, HttpHandler handler) {
        server.createContext(path, exchange -> {
            try (exchange) {
                if (!tree && !exchange.getRequestURI().getPath().equals(path)) {
                    respond(exchange, 404, "text/plain", "not found\n");
                    return;
                }
                if (credentialDigest != null && !OPEN_ROUTES.contains(path) && !authorized(exchange)) {
                    exchange.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"vigil\"");
                    respond(exchange, 401, "text/plain", "unauthorized\n");
                    return;
                }
                if (!"GET".equals(exchange.getRequestMethod()) && !"HEAD".equals(exchange.getRequestMethod())) {
                    exchange.getResponseHeaders().set("Allow", "GET, HEAD");
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
        LOG.info("HTTP listening on {}{}", uri(), credentialDigest != null ? " (basic auth)" : "");
    }

    private boolean authorized(HttpExchange exchange) {
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        byte[] given;
        if (header != null && header.regionMatches(true, 0, "Basic ", 0, 6)) {
            try {
                given = sha256(new String(
                        Base64.getDecoder().decode(header.substring(6).strip()), StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                given = new byte[32];
            }
        } else {
            given = new byte[32];
        }
        // Fixed-length digests compared in constant time: neither length nor prefix leaks through timing.
        return MessageDigest.isEqual(credentialDigest, given);
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static SSLContext sslContext(Path keystore, Password password) {
        char[] secret = password == null ? new char[0] : password.value().toCharArray();
        try (InputStream in = Files.newInputStream(keystore)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, secret);
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, secret);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(keys.getKeyManagers(), null, null);
            return ssl;
        } catch (IOException | GeneralSecurityException e) {
            // The cause's message names the problem (missing file, wrong password), never the password.
            throw new ConfigException(
                    VigilConfig.HTTP_TLS_KEYSTORE,
                    keystore.toString(),
                    "cannot read the PKCS12 keystore (check the file and " + VigilConfig.HTTP_TLS_KEYSTORE_PASSWORD
                            + "): " + e.getClass().getSimpleName() + ": " + e.getMessage());
        } finally {
            java.util.Arrays.fill(secret, '\0');
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String uri() {
        InetSocketAddress a = server.getAddress();
        return (tls ? "https://" : "http://") + a.getHostString() + ":" + a.getPort();
    }

    public static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
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
