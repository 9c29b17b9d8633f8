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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A flood of valid and invalid records through a real broker and a real monitor. */
@RealKafka
class IngestIT {

    @Test
    void shouldAccountForEveryRecordWhenValidAndInvalidRecordsAreMixed(KafkaBroker kafka, @TempDir Path state)
            throws Exception {
        MonitorHarness h = new MonitorHarness(kafka);
        Instant now = Instant.now();
        Random random = new Random(42);
        List<byte[]> predictions = new ArrayList<>();
        Map<String, Integer> expectedDead = new HashMap<>();
        int valid = 0;
        for (int i = 0; i < 3000; i++) {
            int kind = random.nextInt(10);
            String json = new String(
                    Events.json(
                            Events.prediction("p-" + i, random.nextDouble(), now.minusSeconds(random.nextInt(86_400)))),
                    StandardCharsets.UTF_8);
            switch (kind) {
                case 0 -> {
                    predictions.add("{not json".getBytes(StandardCharsets.UTF_8));
                    expectedDead.merge("not_json", 1, Integer::sum);
                }
                case 1 -> {
                    predictions.add(json.replaceFirst("\"score\":[0-9.E-]+", "\"score\":7")
                            .getBytes(StandardCharsets.UTF_8));
                    expectedDead.merge("out_of_range", 1, Integer::sum);
                }
                case 2 -> {
                    predictions.add(json.replace("\"prediction_id\":\"p-" + i + "\",", "")
                            .getBytes(StandardCharsets.UTF_8));
                    expectedDead.merge("missing_field", 1, Integer::sum);
                }
                default -> {
                    predictions.add(json.getBytes(StandardCharsets.UTF_8));
                    valid++;
                }
            }
        }
        List<byte[]> labels = List.of(
                Events.json(Events.label("p-5", 1, now, 0)),
                new String(Events.json(Events.label("p-6", 0, now, 0)), StandardCharsets.UTF_8)
                        .replace("\"label\":0", "\"label\":\"yes\"")
                        .getBytes(StandardCharsets.UTF_8));

        try (Monitor monitor = new Monitor(h.config(state, Map.of())).start()) {
            await("monitor running").atMost(Duration.ofSeconds(60)).until(monitor::isRunning);
            try (KafkaProducer<byte[], byte[]> producer = h.producer()) {
                for (byte[] p : predictions) {
                    producer.send(new ProducerRecord<>(h.topic("predictions"), p));
                }
                for (byte[] l : labels) {
                    producer.send(new ProducerRecord<>(h.topic("ground-truth"), l));
                }
            }
            int deadPredictions = predictions.size() - valid;
            int expectedValid = valid;
            String uri = monitor.http().uri();
            await("every record counted").atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                String metrics = h.get(uri, "/metrics");
                assertThat(MonitorHarness.sample(
                                metrics,
                                "vigil_ingest_records_total",
                                Map.of("stream", "predictions", "outcome", "accepted")))
                        .isEqualTo((double) expectedValid);
                for (var e : expectedDead.entrySet()) {
                    assertThat(MonitorHarness.sample(
                                    metrics,
                                    "vigil_ingest_records_total",
                                    Map.of("stream", "predictions", "reason", e.getKey())))
                            .isEqualTo(e.getValue().doubleValue());
                }
                assertThat(MonitorHarness.sample(
                                metrics,
                                "vigil_ingest_records_total",
                                Map.of("stream", "ground_truth", "outcome", "accepted")))
                        .isEqualTo(1.0);
                assertThat(MonitorHarness.sample(
                                metrics,
                                "vigil_ingest_records_total",
                                Map.of("stream", "ground_truth", "reason", "wrong_type")))
                        .isEqualTo(1.0);
            });

            // /metrics reads the state store, which runs ahead of the last committed transaction; the
            // dead-letter topic, read committed, catches up at the next commit.
            List<ConsumerRecord<byte[], byte[]>> dead = await("dead letters committed")
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> h.readAll(h.topic("dead-letters")), d -> d.size() >= deadPredictions + 1);
            assertThat(dead).hasSize(deadPredictions + 1);
            Map<String, Integer> byReason = new HashMap<>();
            for (ConsumerRecord<byte[], byte[]> r : dead) {
                String reason =
                        new String(r.headers().lastHeader(DeadLetters.REASON).value(), StandardCharsets.UTF_8);
                byReason.merge(reason, 1, Integer::sum);
                assertThat(r.headers().lastHeader(DeadLetters.SOURCE_OFFSET)).isNotNull();
            }
            Map<String, Integer> expectedAll = new HashMap<>(expectedDead);
            expectedAll.merge("wrong_type", 1, Integer::sum);
            assertThat(byReason).isEqualTo(expectedAll);
            assertThat(valid + deadPredictions).isEqualTo(predictions.size());

            assertThat(monitor.state()).isEqualTo(KafkaStreams.State.RUNNING);
            assertThat(h.status(uri, "/health/ready")).isEqualTo(200);
            assertThat(h.status(uri, "/health/live")).isEqualTo(200);
        }
    }
}
