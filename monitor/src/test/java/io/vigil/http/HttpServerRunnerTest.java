package io.vigil.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.vigil.app.Monitor;
import io.vigil.config.VigilConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Optional TLS and HTTP Basic authentication of the HTTP server, with a keystore made by keytool. */
class HttpServerRunnerTest {
    private static final String STORE_PASSWORD = "store-secret-4711";
    private static final String USER = "ops";
    private static final String PASSWORD = "basic-secret-0815";

    @TempDir
    static Path dir;

    private static Path keystore;

    @BeforeAll
    static void keystore() throws Exception {
        keystore = dir.resolve("http.p12");
        Process p = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "keytool")
                                .toString(),
                        "-genkeypair",
                        "-alias",
                        "vigil",
                        "-keyalg",
                        "RSA",
                        "-keysize",
                        "2048",
                        "-validity",
                        "2",
                        "-dname",
                        "CN=localhost",
                        "-ext",
                        "SAN=ip:127.0.0.1,dns:localhost",
                        "-keystore",
                        keystore.toString(),
                        "-storetype",
                        "PKCS12",
                        "-storepass",
                        STORE_PASSWORD,
                        "-keypass",
                        STORE_PASSWORD)
                .redirectErrorStream(true)
                .start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
    }

    private static HttpClient trustAll() throws Exception {
        TrustManager trustAll = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, new TrustManager[] {trustAll}, new SecureRandom());
        return HttpClient.newBuilder().sslContext(ssl).build();
    }

    private static HttpResponse<String> get(HttpClient client, String uri, String user, String password)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(uri));
        if (user != null) {
            b.header(
                    "Authorization",
                    "Basic "
                            + Base64.getEncoder()
                                    .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)));
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpServerRunner.Security security(String storePassword, String user, String password) {
        return new HttpServerRunner.Security(
                keystore, new Password(storePassword), user, password == null ? null : new Password(password));
    }

    @Test
    void shouldRequireBasicAuthOverTlsExceptOnHealthProbesWhenKeystoreAndCredentialsAreSet() throws Exception {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.setContext(context);
        logs.start();
        root.addAppender(logs);
        try (HttpServerRunner server = new HttpServerRunner(
                "127.0.0.1", 0, () -> "vigil_up 1\n", () -> true, security(STORE_PASSWORD, USER, PASSWORD))) {
            server.route("/api/", exchange -> HttpServerRunner.respond(exchange, 200, "application/json", "{}"));
            server.start();
            String uri = server.uri();
            assertThat(uri).startsWith("https://");
            HttpClient client = trustAll();

            HttpResponse<String> anonymous = get(client, uri + "/metrics", null, null);
            assertThat(anonymous.statusCode()).isEqualTo(401);
            assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValue("Basic realm=\"vigil\"");
            assertThat(anonymous.body()).doesNotContain("vigil_up");
            assertThat(get(client, uri + "/api/", null, null).statusCode()).isEqualTo(401);

            HttpResponse<String> authorised = get(client, uri + "/metrics", USER, PASSWORD);
            assertThat(authorised.statusCode()).isEqualTo(200);
            assertThat(authorised.body()).contains("vigil_up 1");
            assertThat(get(client, uri + "/api/", USER, PASSWORD).statusCode()).isEqualTo(200);

            assertThat(get(client, uri + "/metrics", USER, PASSWORD + "x").statusCode())
                    .isEqualTo(401);
            assertThat(get(client, uri + "/metrics", "root", PASSWORD).statusCode())
                    .isEqualTo(401);
            assertThat(get(client, uri + "/metrics", USER, "").statusCode()).isEqualTo(401);
            assertThat(client.send(
                                    HttpRequest.newBuilder(URI.create(uri + "/metrics"))
                                            .header("Authorization", "Basic %%%not-base64")
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .statusCode())
                    .isEqualTo(401);

            assertThat(get(client, uri + "/health/live", null, null).statusCode())
                    .isEqualTo(200);
            assertThat(get(client, uri + "/health/ready", null, null).statusCode())
                    .isEqualTo(200);
        } finally {
            root.detachAppender(logs);
            logs.stop();
        }
        assertThat(logs.list)
                .extracting(ILoggingEvent::getFormattedMessage)
                .isNotEmpty()
                .noneMatch(m -> m.contains(PASSWORD) || m.contains(STORE_PASSWORD));
    }

    @Test
    void shouldRequireBasicAuthWithoutTlsWhenOnlyCredentialsAreSet() throws Exception {
        try (HttpServerRunner server = new HttpServerRunner(
                "127.0.0.1",
                0,
                () -> "vigil_up 1\n",
                () -> false,
                new HttpServerRunner.Security(null, null, USER, new Password(PASSWORD)))) {
            server.start();
            HttpClient client = HttpClient.newHttpClient();
            assertThat(server.uri()).startsWith("http://");
            assertThat(get(client, server.uri() + "/metrics", null, null).statusCode())
                    .isEqualTo(401);
            assertThat(get(client, server.uri() + "/metrics", USER, PASSWORD).statusCode())
                    .isEqualTo(200);
            assertThat(get(client, server.uri() + "/health/ready", null, null).statusCode())
                    .isEqualTo(503);
        }
    }

    @Test
    void shouldFailFastNamingTheKeyButNotThePasswordWhenTheKeystorePasswordIsWrong() {
        String wrong = "wrong-password-2342";
        assertThatThrownBy(() ->
                        new HttpServerRunner("127.0.0.1", 0, () -> "", () -> true, security(wrong, null, null)).close())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(VigilConfig.HTTP_TLS_KEYSTORE)
                .hasMessageNotContaining(wrong)
                .hasMessageNotContaining(STORE_PASSWORD);
    }

    @Test
    void shouldFailMonitorStartupBeforeKafkaWhenTheKeystorePasswordIsWrong() {
        String wrong = "wrong-password-4242";
        Map<String, Object> values = new HashMap<>();
        values.put(VigilConfig.BOOTSTRAP_SERVERS, "127.0.0.1:9");
        values.put(VigilConfig.STATE_DIR, dir.resolve("state").toString());
        values.put(VigilConfig.HTTP_PORT, "0");
        values.put(VigilConfig.HTTP_TLS_KEYSTORE, keystore.toString());
        values.put(VigilConfig.HTTP_TLS_KEYSTORE_PASSWORD, wrong);
        assertThatThrownBy(() -> new Monitor(new VigilConfig(values)).close())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(VigilConfig.HTTP_TLS_KEYSTORE)
                .hasMessageNotContaining(wrong);
    }

    @Test
    void shouldFailFastNamingTheKeyWhenTheKeystoreIsMissing() {
        HttpServerRunner.Security missing =
                new HttpServerRunner.Security(dir.resolve("missing.p12"), new Password(STORE_PASSWORD), null, null);
        assertThatThrownBy(() -> new HttpServerRunner("127.0.0.1", 0, () -> "", () -> true, missing).close())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(VigilConfig.HTTP_TLS_KEYSTORE)
                .hasMessageContaining("missing.p12")
                .hasMessageNotContaining(STORE_PASSWORD);
    }

    @Test
    void shouldReadSecuritySettingsFromConfigAndRejectAUserWithoutPassword() {
        Map<String, Object> values = new HashMap<>();
        values.put(VigilConfig.BOOTSTRAP_SERVERS, "localhost:9092");
        values.put(VigilConfig.HTTP_TLS_KEYSTORE, keystore.toString());
        values.put(VigilConfig.HTTP_TLS_KEYSTORE_PASSWORD, STORE_PASSWORD);
        values.put(VigilConfig.HTTP_AUTH_USERNAME, USER);
        values.put(VigilConfig.HTTP_AUTH_PASSWORD, PASSWORD);
        HttpServerRunner.Security s = HttpServerRunner.Security.from(new VigilConfig(values));
        assertThat(s.keystore()).isEqualTo(keystore);
        assertThat(s.username()).isEqualTo(USER);
        assertThat(s.password().value()).isEqualTo(PASSWORD);
        assertThat(s.toString()).doesNotContain(PASSWORD).doesNotContain(STORE_PASSWORD);

        Map<String, Object> none = Map.of(VigilConfig.BOOTSTRAP_SERVERS, "localhost:9092");
        HttpServerRunner.Security plain = HttpServerRunner.Security.from(new VigilConfig(none));
        assertThat(plain.keystore()).isNull();
        assertThat(plain.username()).isNull();

        values.remove(VigilConfig.HTTP_AUTH_PASSWORD);
        assertThatThrownBy(() -> new VigilConfig(values))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(VigilConfig.HTTP_AUTH_PASSWORD);
    }

    private static HttpResponse<String> send(HttpClient client, String uri, String method) throws Exception {
        return client.send(
                HttpRequest.newBuilder(URI.create(uri))
                        .method(method, HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void shouldMatchRoutesExactlySoThatAPathThatOnlyStartsLikeOneIsNotFound() throws Exception {
        try (HttpServerRunner server = new HttpServerRunner("127.0.0.1", 0, () -> "vigil_up 1\n", () -> true)) {
            server.routeTree(
                    "/api/",
                    exchange -> HttpServerRunner.respond(
                            exchange,
                            exchange.getRequestURI().getPath().equals("/api/fleet") ? 200 : 404,
                            "text/plain",
                            "x\n"));
            server.start();
            HttpClient client = HttpClient.newHttpClient();
            assertThat(send(client, server.uri() + "/health/live", "GET").statusCode())
                    .isEqualTo(200);
            assertThat(send(client, server.uri() + "/health/livefoo", "GET").statusCode())
                    .isEqualTo(404);
            assertThat(send(client, server.uri() + "/health/live/x", "GET").statusCode())
                    .isEqualTo(404);
            assertThat(send(client, server.uri() + "/metricsx", "GET").statusCode())
                    .isEqualTo(404);
            assertThat(send(client, server.uri() + "/nothing", "GET").statusCode())
                    .isEqualTo(404);
            // A tree route sees everything below it and decides itself.
            assertThat(send(client, server.uri() + "/api/fleet", "GET").statusCode())
                    .isEqualTo(200);
            assertThat(send(client, server.uri() + "/api/other", "GET").statusCode())
                    .isEqualTo(404);
        }
    }

    @Test
    void shouldAnswerOtherMethodsWith405AndAllowAndHeadWithHeadersOnly() throws Exception {
        try (HttpServerRunner server = new HttpServerRunner("127.0.0.1", 0, () -> "vigil_up 1\n", () -> false)) {
            server.start();
            HttpClient client = HttpClient.newHttpClient();
            for (String method : new String[] {"POST", "PUT", "DELETE"}) {
                HttpResponse<String> r = send(client, server.uri() + "/metrics", method);
                assertThat(r.statusCode()).as(method).isEqualTo(405);
                assertThat(r.headers().firstValue("Allow")).contains("GET, HEAD");
            }
            HttpResponse<String> head = send(client, server.uri() + "/metrics", "HEAD");
            assertThat(head.statusCode()).isEqualTo(200);
            assertThat(head.body()).isEmpty();
            assertThat(head.headers().firstValue("Content-Type"))
                    .hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
            assertThat(send(client, server.uri() + "/health/ready", "HEAD").statusCode())
                    .isEqualTo(503);
            assertThat(send(client, server.uri() + "/health/ready", "GET").body())
                    .isEqualTo("not ready\n");
        }
    }
}
