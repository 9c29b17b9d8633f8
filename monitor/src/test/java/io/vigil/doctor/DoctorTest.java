package io.vigil.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.vigil.config.VigilConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The doctor's local checks, each shown passing and failing. */
class DoctorTest {
    private static final String SECRET =
            "whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[32]);

    @Test
    void shouldFailAStateDirectoryThatCannotBeWrittenAndPassOneThatCan(@TempDir Path dir) throws IOException {
        assertThat(doctor(Map.of(VigilConfig.STATE_DIR, dir.toString()))
                        .stateDir()
                        .status())
                .isEqualTo(Check.Status.PASS);
        Path file = Files.createFile(dir.resolve("a-file"));
        Check blocked = doctor(
                        Map.of(VigilConfig.STATE_DIR, file.resolve("state").toString()))
                .stateDir();
        assertThat(blocked.status()).isEqualTo(Check.Status.FAIL);
        assertThat(blocked.remedy()).contains("state.dir");
    }

    @Test
    void shouldFailAnHttpPortInUseAndPassAFreeOne() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Check busy = doctor(Map.of(VigilConfig.HTTP_PORT, Integer.toString(taken.getLocalPort())))
                    .httpPort();
            assertThat(busy.status()).isEqualTo(Check.Status.FAIL);
            assertThat(busy.remedy()).contains("http.port");
        }
        int free;
        try (ServerSocket s = new ServerSocket(0)) {
            free = s.getLocalPort();
        }
        assertThat(doctor(Map.of(VigilConfig.HTTP_PORT, Integer.toString(free)))
                        .httpPort()
                        .status())
                .isEqualTo(Check.Status.PASS);
    }

    @Test
    void shouldReachAListeningWebhookWithoutSendingARequestAndFailAClosedOne() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        int[] requests = {0};
        server.createContext("/", exchange -> {
            requests[0]++;
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.start();
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        try {
            Map<String, String> settings = new HashMap<>();
            settings.put(VigilConfig.ALERTS_WEBHOOKS, "up,down");
            settings.put(
                    "alerts.webhook.up.url",
                    "http://127.0.0.1:" + server.getAddress().getPort() + "/hook");
            settings.put("alerts.webhook.up.secret", SECRET);
            settings.put("alerts.webhook.down.url", "http://127.0.0.1:" + closed + "/hook");
            settings.put("alerts.webhook.down.secret", SECRET);
            List<Check> checks = doctor(settings).webhooks();

            assertThat(checks).extracting(Check::name).containsExactly("webhook up", "webhook down");
            assertThat(checks.get(0).status()).isEqualTo(Check.Status.PASS);
            assertThat(checks.get(1).status()).isEqualTo(Check.Status.FAIL);
            assertThat(checks.get(1).remedy()).contains("alerts.webhook.down.url");
            assertThat(requests[0]).as("no request: it could page someone").isZero();
        } finally {
            server.stop(0);
        }
    }

    private static Doctor doctor(Map<String, String> settings) {
        Map<String, String> all = new HashMap<>(settings);
        all.putIfAbsent(VigilConfig.BOOTSTRAP_SERVERS, "127.0.0.1:1");
        return new Doctor(new VigilConfig(all));
    }
}
