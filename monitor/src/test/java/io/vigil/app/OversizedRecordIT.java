package io.vigil.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vigil.deadletters.DeadLetters;
import io.vigil.testing.Events;
import io.vigil.testing.KafkaBroker;
import io.vigil.testing.MonitorHarness;
import io.vigil.testing.RealKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.ThreadMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17, Must 1: no record can stop a stream. An input topic that takes bigger records than the
 * dead-letter topic (the broker's default 1 MiB) receives a 1.5 MiB record, then valid predictions.
 * Before the fix the dead letter's RecordTooLargeException replaced stream threads until the process
 * wedged with /health/ready at 200.
 */
@RealKafka
class OversizedRecordIT {
    private static final int BIG = 3 << 19; // 1.5 MiB
    private static final int VALID = 2_000;

    @Test
    void shouldDeadLetterATruncatedCopyOfAnOversizedRecordAndCountEveryValidOneAfterIt(
            KafkaBroker kafka, @TempDir Path state) throws Exception {
        MonitorHarness h = new MonitorHarness(kafka);
        createInputsThatTakeBigRecords(kafka, h);
        byte[] big = new byte[BIG];
        Arrays.fill(big, (byte) 'x');

        try (Monitor monitor = new Monitor(h.config(state, Map.of())).start()) {
            await("monitor running").atMost(Duration.ofSeconds(60)).until(monitor::isRunning);
            Set<String> threads = threadNames(monitor.streams());
            try (KafkaProducer<byte[], byte[]> producer = bigProducer(kafka)) {
                producer.send(new ProducerRecord<>(
                                h.topic("predictions"), 0, "big".getBytes(StandardCharsets.UTF_8), big))
                        .get();
                sendValid(producer, h, "p-", VALID);
            }
            String uri = monitor.http().uri();
            await("every valid prediction counted")
                    .atMost(Duration.ofSeconds(90))
                    .untilAsserted(() -> {
                        String metrics = h.get(uri, "/metrics");
                        assertThat(MonitorHarness.sample(
                                        metrics,
                                        "vigil_ingest_records_total",
                                        Map.of("stream", "predictions", "outcome", "accepted")))
                                .isEqualTo((double) VALID);
                        assertThat(MonitorHarness.sample(
                                        metrics,
                                        "vigil_ingest_records_total",
                                        Map.of(
                                                "stream",
                                                "predictions",
                                                "outcome",
                                                "dead_lettered",
                                                "reason",
                                                "oversized")))
                                .isEqualTo(1.0);
                    });

            List<ConsumerRecord<byte[], byte[]>> dead = await("the dead letter committed")
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> h.readAll(h.topic("dead-letters")), d -> !d.isEmpty());
            assertThat(dead).hasSize(1);
            ConsumerRecord<byte[], byte[]> letter = dead.get(0);
            assertThat(header(letter, DeadLetters.REASON)).isEqualTo("oversized");
            assertThat(header(letter, DeadLetters.TRUNCATED)).isEqualTo("true");
            assertThat(header(letter, DeadLetters.ORIGINAL_SIZE)).isEqualTo(Integer.toString(BIG));
            assertThat(header(letter, DeadLetters.SOURCE_TOPIC)).isEqualTo(h.topic("predictions"));
            assertThat(header(letter, DeadLetters.SOURCE_PARTITION)).isEqualTo("0");
            assertThat(header(letter, DeadLetters.SOURCE_OFFSET)).isEqualTo("0");
            assertThat(new String(letter.key(), StandardCharsets.UTF_8)).isEqualTo("big");
            assertThat(letter.value().length).isBetween(BIG / 2, 1 << 20);
            assertThat(letter.value()).containsOnly((byte) 'x');

            assertThat(monitor.state()).isEqualTo(KafkaStreams.State.RUNNING);
            assertThat(threadNames(monitor.streams()))
                    .as("no stream thread was replaced")
                    .isEqualTo(threads);
            assertThat(h.status(uri, "/health/ready")).isEqualTo(200);
        }
    }

    @Test
    void shouldTruncateFurtherWhenTheBrokerRefusesADeadLetterAfterItsLimitWasLowered(
            KafkaBroker kafka, @TempDir Path state) throws Exception {
        MonitorHarness h = new MonitorHarness(kafka);
        createInputsThatTakeBigRecords(kafka, h);
        try (Monitor monitor = new Monitor(h.config(state, Map.of())).start()) {
            await("monitor running").atMost(Duration.ofSeconds(60)).until(monitor::isRunning);
            // After Vigil read the dead-letter topic's limit (1 MiB), an operator lowers it to 1,500 bytes.
            try (Admin admin =
                    Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
                ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, h.topic("dead-letters"));
                admin.incrementalAlterConfigs(Map.of(
                                topic,
                                List.of(new AlterConfigOp(
                                        new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "1500"),
                                        AlterConfigOp.OpType.SET))))
                        .all()
                        .get();
                await("the broker applies the new limit")
                        .atMost(Duration.ofSeconds(30))
                        .until(() -> "1500"
                                .equals(admin.describeConfigs(List.of(topic))
                                        .all()
                                        .get()
                                        .get(topic)
                                        .get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG)
                                        .value()));
            }
            // Random letters, so that the producer's compression cannot shrink it below the new limit.
            java.util.SplittableRandom random = new java.util.SplittableRandom(3);
            StringBuilder letters = new StringBuilder();
            for (int i = 0; i < 8_000; i++) {
                letters.append((char) ('A' + random.nextInt(58)));
            }
            byte[] bad = ("{\"prediction_id\":\"" + letters + "\"").getBytes(StandardCharsets.UTF_8);
            try (KafkaProducer<byte[], byte[]> producer = bigProducer(kafka)) {
                producer.send(new ProducerRecord<>(h.topic("predictions"), 0, null, bad))
                        .get();
                sendValid(producer, h, "q-", 300);
            }
            String uri = monitor.http().uri();
            // Under exactly-once the refusal aborts the transaction: the task is restarted (its thread replaced)
            // and processes the record again with a smaller limit, until the dead letter fits.
            await("the record dead-lettered once, the valid ones accepted")
                    .dontCatchUncaughtExceptions()
                    .atMost(Duration.ofSeconds(150))
                    .untilAsserted(() -> {
                        String metrics = h.get(uri, "/metrics");
                        assertThat(MonitorHarness.sample(
                                        metrics,
                                        "vigil_ingest_records_total",
                                        Map.of("stream", "predictions", "outcome", "accepted")))
                                .isEqualTo(300.0);
                        assertThat(MonitorHarness.sample(
                                        metrics,
                                        "vigil_ingest_records_total",
                                        Map.of(
                                                "stream",
                                                "predictions",
                                                "outcome",
                                                "dead_lettered",
                                                "reason",
                                                "not_json")))
                                .isEqualTo(1.0);
                    });
            List<ConsumerRecord<byte[], byte[]>> dead = await("the dead letter committed")
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> h.readAll(h.topic("dead-letters")), d -> !d.isEmpty());
            assertThat(dead).hasSize(1);
            assertThat(header(dead.get(0), DeadLetters.TRUNCATED)).isEqualTo("true");
            assertThat(header(dead.get(0), DeadLetters.ORIGINAL_SIZE)).isEqualTo(Integer.toString(bad.length));
            assertThat(dead.get(0).value().length).isLessThan(1_500);
            assertThat(monitor.state()).isEqualTo(KafkaStreams.State.RUNNING);
            assertThat(monitor.failed()).isFalse();
            assertThat(h.status(uri, "/health/ready")).isEqualTo(200);
        }
    }

    private static void createInputsThatTakeBigRecords(KafkaBroker kafka, MonitorHarness h) {
        Map<String, String> big = Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(4 << 20));
        kafka.createTopics(List.of(
                new NewTopic(h.topic("predictions"), 3, (short) 1).configs(big),
                new NewTopic(h.topic("ground-truth"), 3, (short) 1).configs(big)));
    }

    private static KafkaProducer<byte[], byte[]> bigProducer(KafkaBroker kafka) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 4 << 20);
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static void sendValid(KafkaProducer<byte[], byte[]> producer, MonitorHarness h, String prefix, int n)
            throws Exception {
        Instant now = Instant.now();
        for (int i = 0; i < n; i++) {
            producer.send(new ProducerRecord<>(
                    h.topic("predictions"),
                    (prefix + i).getBytes(StandardCharsets.UTF_8),
                    Events.json(Events.prediction(prefix + i, (i % 100) / 100.0, now.minusSeconds(i)))));
        }
        producer.flush();
    }

    private static Set<String> threadNames(KafkaStreams streams) {
        return streams.metadataForLocalThreads().stream()
                .map(ThreadMetadata::threadName)
                .collect(Collectors.toSet());
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        return r.headers().lastHeader(name) == null
                ? null
                : new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }
}
