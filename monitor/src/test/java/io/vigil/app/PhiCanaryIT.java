package io.vigil.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import com.sun.net.httpserver.HttpServer;
import io.vigil.cli.DemoCommand;
import io.vigil.events.GroundTruth;
import io.vigil.events.MetricSnapshot;
import io.vigil.events.Prediction;
import io.vigil.sim.KafkaSink;
import io.vigil.sim.SimEvent;
import io.vigil.sim.Simulator;
import io.vigil.testing.KafkaBroker;
import io.vigil.testing.MonitorHarness;
import io.vigil.testing.RealKafka;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.logstash.logback.encoder.LogstashEncoder;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A PHI canary through a real broker and a real monitor with temporal stability on: every subject
 * key, study key, prediction id and scanner serial (an unsliced attribute) in the input carries a
 * unique canary string, and so do the fields of invalid records. None of those strings may appear
 * in anything that leaves Vigil: {@code /metrics}, the API, the alerts and snapshots topics, the
 * dead-letter headers (their values hold the original bytes by design), webhook bodies or the log.
 */
@RealKafka
class PhiCanaryIT {
    private static final Pattern CANARY = Pattern.compile("CANARY-[A-Z]+-[0-9]+");
    private static final String CANARY_PREFIX = "CANARY-";

    /** A webhook receiver that keeps every body. */
    static final class Receiver implements AutoCloseable {
        final List<String> bodies = new CopyOnWriteArrayList<>();
        private final HttpServer server;

        Receiver() throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
            server.setExecutor(Executors.newSingleThreadExecutor());
            server.createContext("/hook", exchange -> {
                try (exchange;
                        InputStream in = exchange.getRequestBody()) {
                    bodies.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                    exchange.sendResponseHeaders(200, -1);
                }
            });
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    /** Rewrites simulated events so that every identifying field carries a canary, consistently. */
    static final class Canaries {
        private final Map<String, String> subjects = new HashMap<>();
        private int studies;
        private int serials;

        String predictionId(String id) {
            return "CANARY-PRED-" + id.replaceAll("[^0-9]", "");
        }

        SimEvent rewrite(SimEvent e) {
            if (e.isPrediction()) {
                Prediction p = e.prediction();
                String subject = p.subjectKey() == null
                        ? null
                        : subjects.computeIfAbsent(p.subjectKey(), k -> "CANARY-SUBJ-" + subjects.size());
                Map<String, String> attributes =
                        new LinkedHashMap<>(p.attributes() == null ? Map.of() : p.attributes());
                attributes.put("device_serial", "CANARY-SERIAL-" + serials++);
                Prediction q = new Prediction(
                        predictionId(p.predictionId()),
                        p.occurredAt(),
                        p.model(),
                        p.task(),
                        p.score(),
                        p.threshold(),
                        p.predictedLabel(),
                        p.site(),
                        p.scanner(),
                        subject,
                        "CANARY-STUDY-" + studies++,
                        p.demographics(),
                        p.uncertainty(),
                        p.abstained(),
                        p.features(),
                        attributes);
                return new SimEvent(SimEvent.Type.PREDICTION, q.predictionId(), q, e.time());
            }
            GroundTruth g = (GroundTruth) e.value();
            GroundTruth h = new GroundTruth(
                    predictionId(g.predictionId()), g.label(), g.observedAt(), g.source(), g.revision());
            return new SimEvent(SimEvent.Type.GROUND_TRUTH, h.predictionId(), h, e.time());
        }
    }

    /** Invalid records whose every field carries a canary. */
    private static List<String> invalidPredictions(Instant at) {
        String ok = "{\"prediction_id\":\"CANARY-PRED-900000%d\",\"occurred_at\":\"%s\","
                + "\"model\":{\"id\":\"chest-ct-nodule\",\"version\":\"2.3.0\"},\"task\":\"binary\",\"score\":%s,"
                + "\"threshold\":0.5,\"site\":\"S01\",\"scanner\":{\"id\":\"S01-CT1\",\"manufacturer\":\"Siemens\","
                + "\"model\":\"SOMATOM Force\",\"software_version\":\"syngo CT VA50A\",\"modality\":\"CT\","
                + "\"body_part\":\"CHEST\"},\"subject_key\":\"CANARY-SUBJ-900000%d\","
                + "\"study_key\":\"CANARY-STUDY-900000%d\",\"demographics\":{\"sex\":\"%s\",\"age_band\":\"60-69\"},"
                + "\"attributes\":{\"device_serial\":\"CANARY-SERIAL-900000%d\"}}";
        List<String> out = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            out.add(String.format(ok, i, at, "7", i, i, "F", i)); // bad score
            out.add(String.format(ok, 10 + i, at, "0.3", 10 + i, 10 + i, "CANARY-ENUM-" + i, 10 + i)); // unknown enum
            out.add(String.format(ok, 20 + i, "CANARY-TIME-" + i, "0.3", 20 + i, 20 + i, "F", 20 + i)); // bad time
            out.add("{\"prediction_id\":\"CANARY-PRED-9000030" + i + "\",\"subject_key\":\"CANARY-SUBJ-9000030" + i
                    + "\""); // not JSON
        }
        return out;
    }

    @Test
    void shouldNeverEmitACanaryWhenEveryIdentifyingInputFieldCarriesOne(KafkaBroker kafka, @TempDir Path state)
            throws Exception {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Logger vigil = context.getLogger("io.vigil");
        Level vigilLevel = vigil.getLevel();
        ListAppender<ILoggingEvent> logs = new ListAppender<>() {
            @Override
            protected void append(ILoggingEvent e) {
                e.prepareForDeferredProcessing(); // the logging thread's MDC, for the JSON encoding below
                super.append(e);
            }
        };
        logs.setContext(context);
        logs.start();
        root.addAppender(logs);
        vigil.setLevel(Level.DEBUG);
        try (Receiver receiver = new Receiver()) {
            run(kafka, state, receiver, logs);
        } finally {
            root.detachAppender(logs);
            vigil.setLevel(vigilLevel);
            logs.stop();
        }
    }

    private void run(KafkaBroker kafka, Path state, Receiver receiver, ListAppender<ILoggingEvent> logs)
            throws Exception {
        MonitorHarness h = new MonitorHarness(kafka);
        Map<String, Object> overrides = new HashMap<>();
        overrides.put("stability.enabled", "true");
        overrides.put("stability.subject-key-secret", "phi-canary-secret-0123456789");
        overrides.put("drift.flush-interval-ms", "1000");
        overrides.put("drift.snapshot-interval-ms", "1000");
        overrides.put("outcomes.flush-interval-ms", "1000");
        overrides.put("outcomes.snapshot-interval-ms", "1000");
        overrides.put("alerts.evaluation-interval-ms", "1000");
        overrides.put("alerts.webhooks", "canary");
        overrides.put("alerts.webhook.canary.url", receiver.url());
        overrides.put(
                "alerts.webhook.canary.secret",
                "whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[32]));
        overrides.put("alerts.webhook.retry-initial-ms", "200");

        Instant now = Instant.now();
        var scenario = DemoCommand.resolveScenario("demo-short");
        Simulator simulator = Simulator.create(
                        scenario,
                        11,
                        LocalDate.ofInstant(now, ZoneOffset.UTC).minusDays(scenario.days()),
                        scenario.days())
                .withLabelHorizon(Duration.ZERO);
        Canaries canaries = new Canaries();
        List<String> invalid = invalidPredictions(now.minus(Duration.ofDays(1)));

        try (Monitor monitor = new Monitor(h.config(state, overrides)).start()) {
            await("monitor running").atMost(Duration.ofSeconds(60)).until(monitor::isRunning);
            long sent;
            try (KafkaSink sink = new KafkaSink(
                    Map.of("bootstrap.servers", kafka.bootstrapServers()),
                    h.topic("predictions"),
                    h.topic("ground-truth"))) {
                simulator.forEach(e -> sink.accept(canaries.rewrite(e)));
                sent = sink.sent();
            }
            try (KafkaProducer<byte[], byte[]> producer = h.producer()) {
                for (String json : invalid) {
                    producer.send(new ProducerRecord<>(
                            h.topic("predictions"),
                            "CANARY-KEY-1".getBytes(StandardCharsets.UTF_8),
                            json.getBytes(StandardCharsets.UTF_8)));
                }
                producer.send(new ProducerRecord<>(
                        h.topic("ground-truth"),
                        "{\"prediction_id\":\"CANARY-PRED-9000040\",\"label\":\"CANARY-LABEL-1\"}"
                                .getBytes(StandardCharsets.UTF_8)));
            }
            assertThat(sent).isGreaterThan(10_000);
            String uri = monitor.http().uri();

            // The data flowed: outcome, stability and drift snapshots, an alert delivered, the dead letters.
            await("snapshots, stability and an alert")
                    .atMost(Duration.ofSeconds(150))
                    .pollInterval(Duration.ofSeconds(1))
                    .ignoreExceptions()
                    .untilAsserted(() -> {
                        List<MetricSnapshot> latest = monitor.latestSnapshots();
                        assertThat(latest)
                                .extracting(MetricSnapshot::metric)
                                .contains("auc", "score_psi")
                                .contains("flip_rate");
                        assertThat(receiver.bodies).isNotEmpty();
                    });
            await("dead letters")
                    .atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(h.readAll(h.topic("dead-letters")))
                            .hasSizeGreaterThanOrEqualTo(invalid.size() + 1));

            Map<String, String> outputs = new LinkedHashMap<>();
            String metrics = h.get(uri, "/metrics");
            assertThat(metrics).contains("vigil_ingest_records_total", "vigil_auc_ratio", "vigil_flip_rate_ratio");
            outputs.put("/metrics", metrics);
            for (String path : List.of(
                    "/api/",
                    "/api/fleet",
                    "/api/snapshots",
                    "/api/alerts",
                    "/api/status",
                    "/api/fleet?slice=scanner",
                    "/api/snapshots?slice=scanner")) {
                outputs.put(path, h.get(uri, path));
            }
            List<MetricSnapshot> latest = monitor.latestSnapshots();
            for (int i = 0; i < latest.size(); i += Math.max(1, latest.size() / 5)) {
                String path =
                        "/api/history?key=" + URLEncoder.encode(latest.get(i).key(), StandardCharsets.UTF_8);
                outputs.put(path, h.get(uri, path));
            }
            MetricSnapshot s = latest.get(0);
            String sliced = "/api/history?model=" + s.model() + "&version=" + s.version() + "&slice="
                    + URLEncoder.encode(s.sliceDimension(), StandardCharsets.UTF_8) + "&value="
                    + URLEncoder.encode(s.sliceValue(), StandardCharsets.UTF_8);
            outputs.put(sliced, h.get(uri, sliced));
            outputs.put("alerts topic", records(h.readAll(h.topic("alerts"))));
            List<ConsumerRecord<byte[], byte[]>> snapshots = h.readAll(h.topic("snapshots"));
            assertThat(snapshots).isNotEmpty();
            outputs.put("snapshots topic", records(snapshots));
            StringBuilder headers = new StringBuilder();
            List<ConsumerRecord<byte[], byte[]>> dead = h.readAll(h.topic("dead-letters"));
            for (ConsumerRecord<byte[], byte[]> r : dead) {
                for (Header header : r.headers()) {
                    headers.append(header.key())
                            .append('=')
                            .append(new String(header.value(), StandardCharsets.UTF_8))
                            .append('\n');
                }
            }
            // The invalid records' values do carry the canaries, and the scan finds them: not vacuous.
            Map<String, String> values = new LinkedHashMap<>();
            dead.forEach(r -> values.put(
                    r.topic() + "-" + r.partition() + "@" + r.offset(), new String(r.value(), StandardCharsets.UTF_8)));
            assertThat(leaks(values)).hasSizeGreaterThanOrEqualTo(invalid.size() + 1);
            outputs.put("dead-letter headers", headers.toString());
            outputs.put("webhook bodies", String.join("\n", receiver.bodies));
            outputs.forEach((where, text) -> assertThat(text).as(where).isNotBlank());

            // The log, up to and including the shutdown below.
            monitor.close();
            StringBuilder log = new StringBuilder();
            for (ILoggingEvent e : List.copyOf(logs.list)) {
                log.append(e.getLoggerName())
                        .append(' ')
                        .append(e.getFormattedMessage())
                        .append('\n');
                if (e.getThrowableProxy() != null) {
                    log.append(ThrowableProxyUtil.asString(e.getThrowableProxy()))
                            .append('\n');
                }
            }
            assertThat(logs.list).as("log output was captured").isNotEmpty();
            outputs.put("log", log.toString());
            // The same events as the JSON log lines of --log-format json (logback.xml's encoder): the MDC and
            // every other field it adds must not leak either.
            LogstashEncoder json = new LogstashEncoder();
            json.setContext((LoggerContext) LoggerFactory.getILoggerFactory());
            json.start();
            StringBuilder jsonLog = new StringBuilder();
            for (ILoggingEvent e : List.copyOf(logs.list)) {
                jsonLog.append(new String(json.encode(e), StandardCharsets.UTF_8));
            }
            json.stop();
            outputs.put("JSON log", jsonLog.toString());

            assertThat(leaks(outputs)).as("canaries leaked").isEmpty();
        }
    }

    /** Where a canary appears: output name to a few excerpts around each hit. */
    private static Map<String, List<String>> leaks(Map<String, String> outputs) {
        Map<String, List<String>> leaks = new LinkedHashMap<>();
        outputs.forEach((where, text) -> {
            List<String> found = new ArrayList<>();
            Matcher m = CANARY.matcher(text);
            while (m.find() && found.size() < 5) {
                int from = Math.max(0, m.start() - 120);
                found.add(text.substring(from, Math.min(text.length(), m.end() + 40)));
            }
            if (!found.isEmpty() || text.contains(CANARY_PREFIX)) {
                leaks.put(where, found.isEmpty() ? List.of("(" + CANARY_PREFIX + ")") : found);
            }
        });
        return leaks;
    }

    private static String records(List<ConsumerRecord<byte[], byte[]>> records) {
        StringBuilder out = new StringBuilder();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            out.append(r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8))
                    .append(' ')
                    .append(r.value() == null ? "" : new String(r.value(), StandardCharsets.UTF_8))
                    .append('\n');
            for (Header header : r.headers()) {
                out.append(header.key())
                        .append('=')
                        .append(new String(header.value(), StandardCharsets.UTF_8))
                        .append('\n');
            }
        }
        return out.toString();
    }
}
