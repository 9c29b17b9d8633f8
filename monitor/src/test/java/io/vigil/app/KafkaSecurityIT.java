package io.vigil.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vigil.events.MetricSnapshot;
import io.vigil.events.Prediction;
import io.vigil.events.Reason;
import io.vigil.serde.Json;
import io.vigil.stats.BinaryOutcomeStats;
import io.vigil.testing.Events;
import io.vigil.testing.KafkaProcess;
import io.vigil.testing.MonitorHarness;
import io.vigil.testing.TestPki;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Vigil against a real broker's secure listeners (issue 9), configured only through its {@code kafka.}
 * pass-through: (a) SASL_SSL with SCRAM-SHA-512 and (b) mutual TLS ({@code ssl.client.auth=required}),
 * with a CA, broker and client certificates made at test time. The monitor runs as a child JVM
 * ({@code vigil run -c FILE}, secrets in {@code VIGIL_KAFKA_*} environment variables) that knows only
 * the secure listener's address. With the right credentials a prediction and its label go in and
 * counts and a performance snapshot come out; with a wrong SCRAM password, or a client certificate the
 * broker's CA did not sign, it exits within seconds naming the cause and the bootstrap servers. No
 * password ever appears in its output, although Kafka's clients log their configuration (masked).
 */
class KafkaSecurityIT {
    private static final String SCRAM = "SCRAM";
    private static final String MTLS = "MTLS";
    private static final String USER = "vigil";
    private static final Pattern LISTENING = Pattern.compile("HTTP listening on (http://127\\.0\\.0\\.1:\\d+)");
    private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    private static final Duration FAIL_FAST = Duration.ofSeconds(60);

    @TempDir
    static Path dir;

    private static KafkaProcess kafka;
    private static TestPki.Store truststore;
    private static TestPki.Store clientKeystore;
    private static TestPki.Store rogueKeystore;
    private static final String scramPassword = "scram-" + java.util.UUID.randomUUID();
    /** Every secret of this test, none of which may appear in Vigil's output. */
    private static final List<String> secrets = new ArrayList<>();

    @BeforeAll
    static void brokerWithSecureListeners() {
        long startNanos = System.nanoTime();
        Path pki = dir.resolve("pki");
        TestPki ca = TestPki.createCa(createDirectories(pki), "broker");
        truststore = ca.truststore();
        TestPki.Store brokerKeystore = ca.keystore("kafka-broker");
        clientKeystore = ca.keystore("vigil-client");
        // A client certificate from another CA, e.g. the staging CA's: the broker must refuse it.
        rogueKeystore = TestPki.createCa(pki, "rogue").keystore("vigil-rogue-client");
        System.out.println("[security] CA, broker and client keystores made by keytool in "
                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos) + " ms");
        secrets.addAll(List.of(
                scramPassword,
                truststore.password(),
                brokerKeystore.password(),
                clientKeystore.password(),
                rogueKeystore.password()));

        KafkaProcess.Builder b = KafkaProcess.builder()
                .dir(dir.resolve("kafka"))
                .listener(SCRAM, "SASL_SSL")
                .listener(MTLS, "SSL")
                .scramUser("SCRAM-SHA-512", USER, scramPassword)
                .property("sasl.enabled.mechanisms", "SCRAM-SHA-512")
                .property("listener.name.scram.sasl.enabled.mechanisms", "SCRAM-SHA-512")
                .property(
                        "listener.name.scram.scram-sha-512.sasl.jaas.config",
                        "org.apache.kafka.common.security.scram.ScramLoginModule required;")
                .property("listener.name.mtls.ssl.client.auth", "required")
                .property(
                        "listener.name.mtls.ssl.truststore.location",
                        truststore.path().toString())
                .property("listener.name.mtls.ssl.truststore.password", truststore.password())
                .property("listener.name.mtls.ssl.truststore.type", "PKCS12");
        for (String listener : List.of("scram", "mtls")) {
            b.property(
                            "listener.name." + listener + ".ssl.keystore.location",
                            brokerKeystore.path().toString())
                    .property("listener.name." + listener + ".ssl.keystore.password", brokerKeystore.password())
                    .property("listener.name." + listener + ".ssl.key.password", brokerKeystore.password())
                    .property("listener.name." + listener + ".ssl.keystore.type", "PKCS12");
        }
        kafka = b.start();
        System.out.println("[security] broker with SASL_SSL (SCRAM-SHA-512) at " + kafka.bootstrapServers(SCRAM)
                + " and mutual TLS at " + kafka.bootstrapServers(MTLS) + ", up "
                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos) + " ms after the start");
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void shouldMonitorRecordsOverSaslSslWhenTheScramCredentialsAreRight() throws Exception {
        Map<String, String> client = scramClient(scramPassword);
        String output = monitorRoundTrip(kafka.bootstrapServers(SCRAM), client, "scram");
        assertThat(output)
                .as("Kafka's clients logged their configuration, masked")
                .contains("sasl.jaas.config = [hidden]")
                .contains("ssl.truststore.password = [hidden]")
                .contains("security.protocol = SASL_SSL");
    }

    @Test
    void shouldMonitorRecordsOverMutualTlsWhenTheClientCertificateIsSignedByTheBrokersCa() throws Exception {
        Map<String, String> client = tlsClient(clientKeystore);
        String output = monitorRoundTrip(kafka.bootstrapServers(MTLS), client, "mtls");
        assertThat(output)
                .as("Kafka's clients logged their configuration, masked")
                .contains("ssl.keystore.password = [hidden]")
                .contains("ssl.key.password = [hidden]")
                .contains("security.protocol = SSL");
    }

    @Test
    void shouldExitWithinSecondsNamingTheAuthenticationFailureWhenTheScramPasswordIsWrong() throws Exception {
        String wrong = "wrong-" + java.util.UUID.randomUUID();
        secrets.add(wrong);
        String bootstrap = kafka.bootstrapServers(SCRAM);
        String output = expectFastFailure(bootstrap, scramClient(wrong), "scram-wrong-password");
        assertThat(output)
                .contains("Cannot start: Kafka authentication failed at bootstrap servers " + bootstrap
                        + " (security.protocol=SASL_SSL, sasl.mechanism=SCRAM-SHA-512)");
        assertThat(output).containsIgnoringCase("invalid credentials");
        assertNoSecret(output);
    }

    @Test
    void shouldExitWithinSecondsNamingTheTlsHandshakeWhenTheClientCertificateIsNotSignedByTheBrokersCa()
            throws Exception {
        String bootstrap = kafka.bootstrapServers(MTLS);
        String output = expectFastFailure(bootstrap, tlsClient(rogueKeystore), "mtls-rogue-certificate");
        assertThat(output)
                .contains("Cannot start: TLS handshake with Kafka failed at bootstrap servers " + bootstrap
                        + " (security.protocol=SSL)");
        assertNoSecret(output);
    }

    /** Client settings (without the kafka. prefix) for SASL_SSL with SCRAM-SHA-512. */
    private static Map<String, String> scramClient(String password) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("security.protocol", "SASL_SSL");
        c.put("sasl.mechanism", "SCRAM-SHA-512");
        c.put(
                "sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + USER + "\" password=\""
                        + password + "\";");
        c.put("ssl.truststore.location", truststore.path().toString());
        c.put("ssl.truststore.password", truststore.password());
        c.put("ssl.truststore.type", "PKCS12");
        return c;
    }

    /** Client settings (without the kafka. prefix) for mutual TLS with the given client keystore. */
    private static Map<String, String> tlsClient(TestPki.Store keystore) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("security.protocol", "SSL");
        c.put("ssl.keystore.location", keystore.path().toString());
        c.put("ssl.keystore.password", keystore.password());
        c.put("ssl.key.password", keystore.password());
        c.put("ssl.keystore.type", "PKCS12");
        c.put("ssl.truststore.location", truststore.path().toString());
        c.put("ssl.truststore.password", truststore.password());
        c.put("ssl.truststore.type", "PKCS12");
        return c;
    }

    /**
     * Starts the monitor on the secure listener, sends predictions (one invalid) and labels through the
     * same listener, and checks the counts on /metrics and the performance snapshot it publishes.
     *
     * @return the monitor's whole output, checked for secrets
     */
    private String monitorRoundTrip(String bootstrap, Map<String, String> client, String name) throws Exception {
        MonitorHarness h = new MonitorHarness(kafka);
        // 20 cases: below the default outcomes.min-n (50) sensitivity would be published as insufficient_n; this
        // test is about the secure path, so it asks for values from one case.
        Child child = Child.start(h, bootstrap, client, Map.of("outcomes.min-n", "1"), dir.resolve(name));
        try {
            String uri = child.awaitReady(h);
            List<Prediction> predictions = new ArrayList<>();
            BinaryOutcomeStats batch = new BinaryOutcomeStats(0.5);
            Map<String, Object> producerSettings = new HashMap<>(client);
            producerSettings.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            producerSettings.put(ProducerConfig.ACKS_CONFIG, "all");
            try (KafkaProducer<byte[], byte[]> producer =
                    new KafkaProducer<>(producerSettings, new ByteArraySerializer(), new ByteArraySerializer())) {
                for (int i = 0; i < 20; i++) {
                    double score = (i + 0.5) / 20;
                    Prediction p =
                            Events.prediction("sec-" + name + "-" + i, score, NOW.minus(Duration.ofHours(30 - i)));
                    predictions.add(p);
                    producer.send(new ProducerRecord<>(h.topic("predictions"), Events.json(p)));
                }
                producer.send(
                        new ProducerRecord<>(h.topic("predictions"), "{not json".getBytes(StandardCharsets.UTF_8)));
                for (int i = 0; i < predictions.size(); i++) {
                    Prediction p = predictions.get(i);
                    // Mostly right, with a few misses either way, so sensitivity and specificity are not 1.
                    int label = (p.score() >= 0.5) != (i % 7 == 3) ? 1 : 0;
                    batch.add(p.score(), label);
                    producer.send(new ProducerRecord<>(
                            h.topic("ground-truth"),
                            Events.json(Events.label(p.predictionId(), label, NOW.minus(Duration.ofHours(2)), 0))));
                }
                producer.flush();
            }
            await("counts on /metrics")
                    .atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(500))
                    .ignoreExceptions()
                    .untilAsserted(() -> {
                        String m = h.get(uri, "/metrics");
                        assertThat(sample(
                                        m,
                                        "vigil_ingest_records_total",
                                        Map.of("stream", "predictions", "outcome", "accepted")))
                                .isEqualTo(20.0);
                        assertThat(sample(
                                        m,
                                        "vigil_ingest_records_total",
                                        Map.of(
                                                "stream",
                                                "predictions",
                                                "outcome",
                                                "dead_lettered",
                                                "reason",
                                                Reason.NOT_JSON)))
                                .isEqualTo(1.0);
                        assertThat(sample(
                                        m,
                                        "vigil_ingest_records_total",
                                        Map.of("stream", "ground_truth", "outcome", "accepted")))
                                .isEqualTo(20.0);
                        assertThat(sample(m, "vigil_outcome_join_events_total", Map.of("event", "labels_joined")))
                                .isEqualTo(20.0);
                    });
            var cm = batch.confusion();
            String key = String.join("|", Events.MODEL.id(), Events.MODEL.version(), "all", "all", "30d", "");
            Map<String, Object> consumerSettings = new HashMap<>(client);
            consumerSettings.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            await("performance snapshot, read over the secure listener")
                    .atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(500))
                    .ignoreExceptions()
                    .untilAsserted(() -> {
                        Map<String, MetricSnapshot> s = latestSnapshots(consumerSettings, h.topic("snapshots"));
                        assertThat(s.get(key + "labelled").estimate()).isEqualTo(20.0);
                        assertThat(s.get(key + "sensitivity").estimate())
                                .isEqualTo(cm.sensitivity().value());
                        assertThat(s.get(key + "specificity").estimate())
                                .isEqualTo(cm.specificity().value());
                        assertThat(s.get(key + "sensitivity").lower())
                                .isEqualTo(cm.sensitivity().lower());
                    });
            System.out.println("[security] " + name + ": 20 predictions, 1 dead letter, 20 labels in; sensitivity "
                    + cm.sensitivity().value() + " and specificity "
                    + cm.specificity().value() + " out, through "
                    + bootstrap + " only");
        } finally {
            child.stop();
        }
        String output = child.output();
        assertThat(output).contains("Vigil running");
        assertNoSecret(output);
        return output;
    }

    /** Starts the monitor with bad credentials; it must exit 1 within seconds, before serving HTTP. */
    private String expectFastFailure(String bootstrap, Map<String, String> client, String name) throws Exception {
        MonitorHarness h = new MonitorHarness(kafka);
        long startNanos = System.nanoTime();
        // Without topic creation nothing else would stop startup: only the connectivity check can.
        Child child = Child.start(h, bootstrap, client, Map.of("topic.create", "false"), dir.resolve(name));
        try {
            await(name + ": the monitor exits instead of retrying")
                    .atMost(FAIL_FAST)
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> !child.process.isAlive());
        } finally {
            child.stop();
        }
        String output = child.output();
        System.out.println("[security] " + name + ": exit " + child.process.exitValue() + " after "
                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos) + " ms (JVM start included): "
                + output.lines()
                        .filter(l -> l.startsWith("Cannot start"))
                        .findFirst()
                        .orElse("(no message)"));
        assertThat(child.process.exitValue()).as(output).isEqualTo(1);
        assertThat(output).doesNotContain("HTTP listening");
        return output;
    }

    private static void assertNoSecret(String output) {
        for (String secret : secrets) {
            assertThat(output).as("a password in the monitor's output").doesNotContain(secret);
        }
    }

    private static double sample(String metrics, String name, Map<String, String> labels) {
        return MonitorHarness.sample(metrics, name, labels);
    }

    /** The latest committed snapshot per key, read with the given (secure) client settings. */
    private static Map<String, MetricSnapshot> latestSnapshots(Map<String, Object> settings, String topic)
            throws IOException {
        Properties p = new Properties();
        p.putAll(settings);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        Map<String, MetricSnapshot> out = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> c =
                new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = c.partitionsFor(topic).stream()
                    .map(i -> new TopicPartition(topic, i.partition()))
                    .toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            long deadline = System.currentTimeMillis() + 30_000;
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))
                    && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    if (r.value() != null) {
                        MetricSnapshot s = Json.mapper().readValue(r.value(), MetricSnapshot.class);
                        out.put(s.key(), s);
                    }
                }
            }
        }
        return out;
    }

    private static Path createDirectories(Path path) {
        try {
            return Files.createDirectories(path);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * {@code vigil run -c FILE} in its own JVM: settings in a properties file, secrets (the JAAS config
     * and every store password) in {@code VIGIL_KAFKA_*} environment variables, as a deployment would
     * pass them; Kafka's clients log at INFO and Vigil at DEBUG, into one output file.
     */
    private static final class Child {
        private final Process process;
        private final Path log;

        private Child(Process process, Path log) {
            this.process = process;
            this.log = log;
        }

        static Child start(
                MonitorHarness h, String bootstrap, Map<String, String> client, Map<String, String> extra, Path dir)
                throws IOException {
            Files.createDirectories(dir);
            Map<String, String> settings = new LinkedHashMap<>();
            settings.put("bootstrap.servers", bootstrap);
            settings.put("application.id", h.topic("vigil"));
            settings.put("state.dir", dir.resolve("state").toString());
            for (String t :
                    List.of("predictions", "ground-truth", "dead-letters", "snapshots", "alerts", "references")) {
                settings.put("topic." + t, h.topic(t));
            }
            settings.put("topic.partitions", "1");
            settings.put("http.port", "0");
            settings.put("drift.windows", "7d,30d");
            settings.put("drift.flush-interval-ms", "500");
            settings.put("drift.snapshot-interval-ms", "1000");
            settings.put("outcomes.windows", "7d,30d");
            settings.put("outcomes.flush-interval-ms", "500");
            settings.put("outcomes.snapshot-interval-ms", "1000");
            settings.put("kafka.commit.interval.ms", "200");
            settings.putAll(extra);
            Map<String, String> env = new LinkedHashMap<>();
            client.forEach((k, v) -> {
                if (k.contains("password") || k.equals("sasl.jaas.config")) {
                    env.put(
                            "VIGIL_KAFKA_"
                                    + k.toUpperCase(java.util.Locale.ROOT).replace('.', '_'),
                            v);
                } else {
                    settings.put("kafka." + k, v);
                }
            });
            Path config = dir.resolve("vigil.properties");
            Files.writeString(
                    config,
                    settings.entrySet().stream()
                            .map(e -> e.getKey() + "=" + e.getValue())
                            .collect(Collectors.joining("\n", "", "\n")),
                    StandardCharsets.UTF_8);
            Path logback = dir.resolve("logback.xml");
            Files.writeString(logback, LOGBACK, StandardCharsets.UTF_8);
            String java =
                    Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> cmd = List.of(
                    java,
                    "-Xmx384m",
                    "-XX:+UseSerialGC",
                    "-XX:TieredStopAtLevel=1",
                    "-Dlogback.configurationFile=" + logback,
                    "-cp",
                    System.getProperty("java.class.path"),
                    "io.vigil.cli.Vigil",
                    "run",
                    "-c",
                    config.toString());
            Path log = dir.resolve("vigil.log");
            ProcessBuilder pb =
                    new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().putAll(env);
            return new Child(pb.start(), log);
        }

        /** Waits until the child serves HTTP and reports ready; returns its base URI. */
        String awaitReady(MonitorHarness h) {
            String[] uri = new String[1];
            await("child listening")
                    .atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        if (!process.isAlive()) {
                            throw new IllegalStateException("child exited " + process.exitValue() + ":\n" + output());
                        }
                        Matcher m = LISTENING.matcher(output());
                        if (m.find()) {
                            uri[0] = m.group(1);
                            return true;
                        }
                        return false;
                    });
            await("child ready")
                    .atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(100))
                    .ignoreExceptions()
                    .until(() -> h.status(uri[0], "/health/ready") == 200);
            return uri[0];
        }

        /** Stops the child as an orchestrator would (SIGTERM, so its shutdown hook runs), then for sure. */
        void stop() throws InterruptedException {
            if (process.isAlive()) {
                process.destroy();
                if (!process.waitFor(45, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
            process.waitFor();
        }

        String output() throws IOException {
            return Files.readString(log, StandardCharsets.UTF_8);
        }
    }

    /** Everything a secret could leak into: Vigil at DEBUG, Kafka's clients at INFO (they print their configs). */
    private static final String LOGBACK = """
            <configuration>
              <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
                <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n</pattern></encoder>
              </appender>
              <logger name="io.vigil" level="DEBUG"/>
              <root level="INFO"><appender-ref ref="OUT"/></root>
            </configuration>
            """;
}
