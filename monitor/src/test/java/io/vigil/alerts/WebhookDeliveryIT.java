package io.vigil.alerts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.vigil.app.Monitor;
import io.vigil.events.Alert;
import io.vigil.events.MetricSnapshot;
import io.vigil.events.ModelRef;
import io.vigil.serde.Json;
import io.vigil.serde.JsonSerde;
import io.vigil.testing.KafkaBroker;
import io.vigil.testing.MonitorHarness;
import io.vigil.testing.RealKafka;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Durable, signed delivery against a real broker and a real HTTP receiver that verifies every
 * signature: the receiver first refuses connections, then answers 500, then 429 with Retry-After,
 * then 200, while Vigil is stopped and restarted in between and alerts keep arriving.
 */
@RealKafka
class WebhookDeliveryIT {
    private static final byte[] KEY = "vigil-it-webhook-key-0123456789ab".getBytes(StandardCharsets.UTF_8);
    private static final String SECRET = "whsec_" + Base64.getEncoder().encodeToString(KEY);
    // A second, retired key: the receiver knows only KEY and must find its signature among several.
    private static final String OLD_SECRET = "whsec_" + Base64.getEncoder().encodeToString(new byte[32]);

    /** One request as the receiver saw it. */
    record Received(
            int answered,
            String webhookId,
            String bodyId,
            boolean signatureValid,
            long timestamp,
            long receivedNanos,
            byte[] body) {}

    /** A webhook receiver that verifies Standard Webhooks signatures with its own HMAC code. */
    static final class Receiver implements AutoCloseable {
        final AtomicReference<Integer> answer = new AtomicReference<>(500);
        final List<Received> requests = new CopyOnWriteArrayList<>();
        private final HttpServer server;

        Receiver(int port) throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 16);
            server.setExecutor(Executors.newSingleThreadExecutor());
            server.createContext("/hook", exchange -> {
                try (exchange;
                        InputStream in = exchange.getRequestBody()) {
                    byte[] body = in.readAllBytes();
                    String id = exchange.getRequestHeaders().getFirst("webhook-id");
                    String ts = exchange.getRequestHeaders().getFirst("webhook-timestamp");
                    String sigs = exchange.getRequestHeaders().getFirst("webhook-signature");
                    boolean valid = verify(id, ts, body, sigs);
                    String bodyId = Json.mapper().readTree(body).path("id").asText();
                    int status = valid ? answer.get() : 401;
                    requests.add(new Received(status, id, bodyId, valid, Long.parseLong(ts), System.nanoTime(), body));
                    if (status == 429) {
                        exchange.getResponseHeaders().set("Retry-After", "1");
                    }
                    exchange.sendResponseHeaders(status, -1);
                }
            });
        }

        private static boolean verify(String id, String ts, byte[] body, String header) {
            if (id == null || ts == null || header == null) {
                return false;
            }
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(KEY, "HmacSHA256"));
                mac.update((id + "." + ts + ".").getBytes(StandardCharsets.UTF_8));
                byte[] expected = mac.doFinal(body);
                for (String sig : header.split(" ")) {
                    if (sig.startsWith("v1,")
                            && MessageDigest.isEqual(
                                    expected, Base64.getDecoder().decode(sig.substring(3)))) {
                        return true;
                    }
                }
                return false;
            } catch (Exception e) {
                return false;
            }
        }

        void start() {
            server.start();
        }

        long count(int status) {
            return requests.stream().filter(r -> r.answered() == status).count();
        }

        Set<String> delivered() {
            Set<String> out = new HashSet<>();
            requests.stream().filter(r -> r.answered() == 200).forEach(r -> out.add(r.webhookId()));
            return out;
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static List<Alert> alerts(int from, int to) {
        List<Alert> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            String fp = Fingerprints.fingerprint("ItRule", "score_psi", "chest-ct", "2.3.0", "scanner", "S0" + i);
            Instant started = Instant.parse("2026-03-01T00:00:00Z").plusSeconds(i);
            out.add(new Alert(
                    Fingerprints.id(fp, started, Alert.Status.FIRING),
                    fp,
                    Alert.Status.FIRING,
                    Alert.Severity.WARNING,
                    "ItRule",
                    "score_psi",
                    new ModelRef("chest-ct", "2.3.0"),
                    "scanner",
                    "S0" + i,
                    "7d",
                    new Alert.Observed(0.3, null, null, 500, 1e-6),
                    null,
                    started,
                    null,
                    "Score shift at S0" + i));
        }
        return out;
    }

    private static void produce(MonitorHarness h, List<Alert> alerts) {
        JsonSerde<Alert> serde = new JsonSerde<>(Alert.class);
        try (KafkaProducer<byte[], byte[]> p = h.producer()) {
            for (Alert a : alerts) {
                p.send(new ProducerRecord<>(
                        h.topic("alerts"),
                        a.fingerprint().getBytes(StandardCharsets.UTF_8),
                        serde.serializer().serialize(h.topic("alerts"), a)));
            }
        }
    }

    @Test
    void shouldDeliverEveryAlertSignedWhenReceiverFailsAndVigilRestarts(KafkaBroker kafka, @TempDir Path state)
            throws Exception {
        MonitorHarness h = new MonitorHarness(kafka);
        int port = freePort();
        Map<String, Object> overrides = new HashMap<>();
        overrides.put("alerts.webhooks", "it");
        overrides.put("alerts.webhook.it.url", "http://127.0.0.1:" + port + "/hook");
        overrides.put("alerts.webhook.it.secret", OLD_SECRET + "," + SECRET);
        overrides.put("alerts.webhook.retry-initial-ms", "200");
        overrides.put("alerts.webhook.retry-max-ms", "800");
        overrides.put("alerts.webhook.timeout-ms", "2000");
        overrides.put("alerts.evaluation-interval-ms", "500");
        // Kafka Streams does not leave its group on close: let the restarted member take over quickly.
        overrides.put("kafka.session.timeout.ms", "6000");
        var config = h.config(state, overrides);
        List<Alert> expected = new ArrayList<>();
        Duration atMost = Duration.ofSeconds(40);

        // 1. Receiver not listening: connections are refused and retried.
        try (Monitor first = new Monitor(config).start()) {
            await("first monitor running").atMost(atMost).until(first::isRunning);
            List<Alert> batch = alerts(0, 5);
            produce(h, batch);
            expected.addAll(batch);
            String uri = first.http().uri();
            await("refused attempts retried")
                    .atMost(atMost)
                    .until(() -> MonitorHarness.sample(
                                    h.get(uri, "/metrics"),
                                    "vigil_webhook_deliveries_total",
                                    Map.of("endpoint", "it", "outcome", "retried"))
                            >= 2);
            assertThat(MonitorHarness.sample(h.get(uri, "/metrics"), "vigil_webhook_pending", Map.of("endpoint", "it")))
                    .isEqualTo(5.0);
        }
        // 2. Alerts written while Vigil is down are not lost either.
        List<Alert> whileDown = alerts(5, 10);
        produce(h, whileDown);
        expected.addAll(whileDown);

        try (Receiver receiver = new Receiver(port)) {
            receiver.start();
            try (Monitor second = new Monitor(config).start()) {
                await("second monitor running").atMost(atMost).until(second::isRunning);
                // 3. 500, then 429 with Retry-After: 1, then 200.
                await("500s").atMost(atMost).until(() -> receiver.count(500) >= 2);
                receiver.answer.set(429);
                await("429").atMost(atMost).until(() -> receiver.count(429) >= 1);
                receiver.answer.set(200);
                // 4. An alert raised by the evaluator itself, end to end from a snapshot.
                Instant now = Instant.now();
                MetricSnapshot change = new MetricSnapshot(
                        "chest-ct",
                        "2.3.0",
                        "scanner",
                        "S09/CT-1",
                        "7d",
                        now,
                        "acquisition_change",
                        1.0,
                        null,
                        null,
                        1,
                        null,
                        MetricSnapshot.Status.FINAL,
                        now);
                try (KafkaProducer<byte[], byte[]> p = h.producer()) {
                    p.send(new ProducerRecord<>(
                            h.topic("snapshots"),
                            change.key().getBytes(StandardCharsets.UTF_8),
                            new JsonSerde<>(MetricSnapshot.class).serializer().serialize("s", change)));
                }
                Set<String> expectedIds = new HashSet<>();
                expected.forEach(a -> expectedIds.add(a.id()));
                await("every alert delivered").atMost(atMost).untilAsserted(() -> {
                    assertThat(receiver.delivered()).containsAll(expectedIds);
                    assertThat(receiver.requests).anySatisfy(r -> {
                        assertThat(r.answered()).isEqualTo(200);
                        assertThat(expectedIds).doesNotContain(r.bodyId());
                    });
                });
                assertThat(second.activeAlerts()).extracting(Alert::sliceValue).contains("S09/CT-1");
                String metrics = h.get(second.http().uri(), "/metrics");
                assertThat(MonitorHarness.sample(
                                metrics,
                                "vigil_alerts_active",
                                Map.of("rule", "VigilAcquisitionChange", "slice_value", "S09/CT-1")))
                        .isEqualTo(1.0);
                assertThat(h.get(second.http().uri(), "/api/alerts")).contains("S09/CT-1");
                await("pending drained")
                        .atMost(atMost)
                        .until(() -> MonitorHarness.sample(
                                        h.get(second.http().uri(), "/metrics"),
                                        "vigil_webhook_pending",
                                        Map.of("endpoint", "it"))
                                == 0.0);
            }
            // Every request was signed with a key the receiver knows, and each carries its own alert's id:
            // a duplicate (re-sent after a restart) has the same webhook-id as the original.
            assertThat(receiver.requests).allSatisfy(r -> {
                assertThat(r.signatureValid()).isTrue();
                assertThat(r.webhookId()).isEqualTo(r.bodyId());
            });
            // The alert that met the 500s and the 429 arrived in the end, under one id, and the retry after
            // the 429 waited for its Retry-After (1 s).
            List<Received> all = List.copyOf(receiver.requests);
            String retriedId = all.stream()
                    .filter(r -> r.answered() == 500)
                    .findFirst()
                    .orElseThrow()
                    .webhookId();
            assertThat(all)
                    .filteredOn(r -> r.webhookId().equals(retriedId))
                    .extracting(Received::answered)
                    .contains(500, 200);
            for (int i = 0; i + 1 < all.size(); i++) {
                if (all.get(i).answered() == 429) {
                    assertThat(all.get(i + 1).receivedNanos() - all.get(i).receivedNanos())
                            .isGreaterThanOrEqualTo(Duration.ofMillis(950).toNanos());
                }
            }
        }
    }

    /**
     * An endpoint with {@code .events=incidents} and the Alertmanager format gets one signed request per incident
     * transition, opened then resolved, each with its own webhook-id, the incident's labels and the links built
     * from {@code http.external-url}; an alert endpoint beside it still gets the alert itself.
     */
    @Test
    void shouldDeliverOneSignedRequestPerIncidentTransitionWithLinksToTheExternalUrl(
            KafkaBroker kafka, @TempDir Path state) throws Exception {
        MonitorHarness h = new MonitorHarness(kafka);
        int port = freePort();
        Map<String, Object> overrides = new HashMap<>();
        overrides.put("alerts.webhooks", "pager,alerts");
        overrides.put("alerts.webhook.pager.url", "http://127.0.0.1:" + port + "/hook");
        overrides.put("alerts.webhook.pager.secret", SECRET);
        overrides.put("alerts.webhook.pager.format", "alertmanager");
        overrides.put("alerts.webhook.pager.events", "incidents");
        overrides.put("alerts.webhook.alerts.url", "http://127.0.0.1:" + port + "/hook");
        overrides.put("alerts.webhook.alerts.secret", SECRET);
        overrides.put("alerts.evaluation-interval-ms", "500");
        overrides.put("http.external-url", "https://vigil.hospital.example/");
        Duration atMost = Duration.ofSeconds(60);
        try (Receiver receiver = new Receiver(port)) {
            receiver.answer.set(200);
            receiver.start();
            try (Monitor monitor = new Monitor(h.config(state, overrides)).start()) {
                await("monitor running").atMost(atMost).until(monitor::isRunning);
                sendCusumAlarm(h, 1.0);
                await("an incident opened")
                        .atMost(atMost)
                        .until(() -> receiver.requests.stream()
                                .anyMatch(r -> r.webhookId().contains("-opened-")));
                String opened = receiver.requests.stream()
                        .filter(r -> r.webhookId().contains("-opened-"))
                        .findFirst()
                        .orElseThrow()
                        .webhookId();
                String incident = opened.substring(0, opened.indexOf("-opened-"));
                assertThat(monitor.openIncidents()).singleElement().satisfies(i -> {
                    assertThat(i.id()).isEqualTo(incident);
                    assertThat(i.root().get(0).value()).isEqualTo("S09/CT-1");
                });
                String metrics = h.get(monitor.http().uri(), "/metrics");
                assertThat(MonitorHarness.sample(
                                metrics,
                                "vigil_incidents_active",
                                Map.of("incident", incident, "root", "scanner", "root_value", "S09/CT-1")))
                        .isEqualTo(1.0);
                assertThat(MonitorHarness.sample(
                                metrics,
                                "vigil_alerts_active",
                                Map.of("rule", "VigilCusumAlarm", "incident", incident)))
                        .isEqualTo(1.0);
                assertThat(h.get(monitor.http().uri(), "/api/incidents")).contains(incident, "S09/CT-1");
                assertThat(h.get(monitor.http().uri(), "/runbooks/VigilIncident"))
                        .startsWith("200")
                        .contains("# VigilIncident");

                sendCusumAlarm(h, 0.0);
                await("the incident resolved")
                        .atMost(atMost)
                        .until(() -> receiver.requests.stream()
                                .anyMatch(r -> r.webhookId().startsWith(incident + "-resolved-")));
                await("both alert transitions delivered")
                        .atMost(atMost)
                        .until(() -> receiver.requests.stream()
                                        .filter(r -> r.bodyId().endsWith("-resolved")
                                                || r.bodyId().endsWith("-firing"))
                                        .count()
                                >= 2);
            }
            List<Received> toPager = receiver.requests.stream()
                    .filter(r -> r.webhookId().startsWith("inc-"))
                    .toList();
            assertThat(toPager)
                    .extracting(r -> r.webhookId().replaceAll("-\\d+$", ""))
                    .containsExactly(incidentOf(toPager) + "-opened", incidentOf(toPager) + "-resolved");
            assertThat(toPager).allSatisfy(r -> assertThat(r.signatureValid()).isTrue());
            JsonNode body = Json.mapper().readTree(toPager.get(0).body());
            assertThat(body.path("externalURL").asText()).isEqualTo("https://vigil.hospital.example");
            JsonNode a = body.path("alerts").get(0);
            assertThat(a.path("labels").path("alertname").asText()).isEqualTo("VigilIncident");
            assertThat(a.path("labels").path("root_value").asText()).isEqualTo("S09/CT-1");
            assertThat(a.path("annotations").path("runbook_url").asText())
                    .isEqualTo("https://vigil.hospital.example/runbooks/VigilIncident");
            assertThat(a.path("generatorURL").asText()).startsWith("https://vigil.hospital.example/");
        }
    }

    private static String incidentOf(List<Received> requests) {
        String id = requests.get(0).webhookId();
        return id.substring(0, id.indexOf("-opened-"));
    }

    /** A CUSUM alarm flag on scanner S09/CT-1: VigilCusumAlarm (warning, no for-duration) holds at 1, clears at 0. */
    private static void sendCusumAlarm(MonitorHarness h, double flag) {
        Instant now = Instant.now();
        MetricSnapshot s = new MetricSnapshot(
                "chest-ct",
                "2.3.0",
                "scanner",
                "S09/CT-1",
                "60d",
                now,
                "cusum_alarm:score_mean",
                flag,
                null,
                null,
                7,
                null,
                MetricSnapshot.Status.FINAL,
                now);
        try (KafkaProducer<byte[], byte[]> p = h.producer()) {
            p.send(new ProducerRecord<>(
                    h.topic("snapshots"),
                    s.key().getBytes(StandardCharsets.UTF_8),
                    new JsonSerde<>(MetricSnapshot.class).serializer().serialize("s", s)));
        }
    }
}
