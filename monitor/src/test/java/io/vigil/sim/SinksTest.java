package io.vigil.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.vigil.events.GroundTruth;
import io.vigil.events.Prediction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SinksTest {
    private static final ObjectMapper READER =
            JsonMapper.builder().addModule(new JavaTimeModule()).build();
    private static final List<SimEvent> EVENTS = Simulator.create(
                    Scenario.builtIn("default"), 1L, LocalDate.of(2025, 3, 1), 20)
            .withLabelHorizon(Duration.ofDays(10))
            .stream()
            .toList();

    @Test
    void shouldRoundTripEveryEventWhenWrittenAsSplitJsonLines(@TempDir Path dir) throws Exception {
        try (JsonLinesSink sink = JsonLinesSink.toDirectory(dir, false)) {
            EVENTS.forEach(sink::accept);
        }
        List<String> predictionLines = Files.readAllLines(dir.resolve(JsonLinesSink.PREDICTIONS_FILE));
        List<String> labelLines = Files.readAllLines(dir.resolve(JsonLinesSink.GROUND_TRUTH_FILE));
        List<Object> read = new ArrayList<>();
        for (String line : predictionLines) {
            read.add(READER.readValue(line, Prediction.class));
        }
        for (String line : labelLines) {
            read.add(READER.readValue(line, GroundTruth.class));
        }
        List<Object> expected = new ArrayList<>();
        EVENTS.stream().filter(SimEvent::isPrediction).forEach(e -> expected.add(e.value()));
        EVENTS.stream().filter(e -> !e.isPrediction()).forEach(e -> expected.add(e.value()));
        assertThat(labelLines).isNotEmpty();
        assertThat(read).isEqualTo(expected);
        assertThat(predictionLines.get(0))
                .contains("\"occurred_at\":\"2025-03-01T")
                .contains("\"prediction_id\":\"p-1-")
                .doesNotContain("\"attributes\"");
    }

    @Test
    void shouldInterleaveInEventOrderWhenWrittenMerged(@TempDir Path dir) throws Exception {
        try (JsonLinesSink sink = JsonLinesSink.toDirectory(dir, true)) {
            EVENTS.forEach(sink::accept);
        }
        List<String> lines = Files.readAllLines(dir.resolve(JsonLinesSink.MERGED_FILE));
        assertThat(lines).hasSameSizeAs(EVENTS);
        for (int i = 0; i < lines.size(); i++) {
            assertThat(lines.get(i)).isEqualTo(new String(EventJson.bytes(EVENTS.get(i)), StandardCharsets.UTF_8));
            assertThat(lines.get(i).contains("\"occurred_at\""))
                    .isEqualTo(EVENTS.get(i).isPrediction());
        }
        assertThat(dir.resolve(JsonLinesSink.PREDICTIONS_FILE)).doesNotExist();
    }

    @Test
    void shouldSendToTopicKeyedByPredictionIdWhenKafkaSinkAccepts() {
        MockProducer<String, byte[]> producer =
                new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
        List<SimEvent> some = EVENTS.subList(0, 2000);
        KafkaSink sink = new KafkaSink(producer, "preds", "truth");
        some.forEach(sink::accept);
        sink.close();
        List<ProducerRecord<String, byte[]>> sent = producer.history();
        assertThat(sent).hasSameSizeAs(some);
        assertThat(sink.sent()).isEqualTo(some.size());
        assertThat(sink.acknowledged()).isEqualTo(some.size());
        assertThat(producer.closed()).isTrue();
        for (int i = 0; i < some.size(); i++) {
            SimEvent e = some.get(i);
            ProducerRecord<String, byte[]> r = sent.get(i);
            assertThat(r.topic()).isEqualTo(e.isPrediction() ? "preds" : "truth");
            assertThat(r.key()).isEqualTo(e.key());
            assertThat(r.timestamp()).isEqualTo(e.time().toEpochMilli());
            assertThat(r.value()).isEqualTo(EventJson.bytes(e));
        }
        assertThat(sent).extracting(ProducerRecord::topic).contains("preds", "truth");
    }

    @Test
    void shouldReportTheFailureWhenASendFails() {
        MockProducer<String, byte[]> producer =
                new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer());
        KafkaSink sink = new KafkaSink(producer, "preds", "truth");
        sink.accept(EVENTS.get(0));
        producer.errorNext(new KafkaException("broker down"));
        assertThatThrownBy(() -> sink.accept(EVENTS.get(1)))
                .isInstanceOf(KafkaException.class)
                .hasRootCauseMessage("broker down");
    }

    @Test
    void shouldApplyProducerDefaultsUnlessOverriddenWhenConfigIsMerged() {
        Map<String, Object> merged = KafkaSink.withDefaults(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                "b:9092",
                ProducerConfig.LINGER_MS_CONFIG,
                50,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                "x"));
        assertThat(merged)
                .containsEntry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true)
                .containsEntry(ProducerConfig.ACKS_CONFIG, "all")
                .containsEntry(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4")
                .containsEntry(ProducerConfig.BATCH_SIZE_CONFIG, 262_144)
                .containsEntry(ProducerConfig.LINGER_MS_CONFIG, 50)
                .containsEntry(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "b:9092")
                .doesNotContainKey(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG);
    }

    @Test
    void shouldWaitUntilTheScheduledWallTimeWhenPaced() {
        FakeClock clock = new FakeClock();
        List<Long> passedAt = new ArrayList<>();
        SimSink recorder = new SimSink() {
            @Override
            public void accept(SimEvent event) {
                passedAt.add(clock.now);
            }

            @Override
            public void close() {}
        };
        List<SimEvent> some = EVENTS.subList(0, 200);
        double speed = 3600; // one simulated hour per second
        try (PacedSink paced = new PacedSink(recorder, speed, clock)) {
            some.forEach(paced::accept);
        }
        long t0 = some.get(0).time().toEpochMilli();
        for (int i = 0; i < some.size(); i++) {
            long due = (long) ((some.get(i).time().toEpochMilli() - t0) * 1e6 / speed);
            assertThat(passedAt.get(i))
                    .isGreaterThanOrEqualTo(due - PacedSink.MIN_WAIT_NANOS)
                    .isLessThanOrEqualTo(due + 1_000_000);
        }
        long span = some.get(some.size() - 1).time().toEpochMilli() - t0;
        assertThat(clock.now).isGreaterThanOrEqualTo((long) (span * 1e6 / speed) - PacedSink.MIN_WAIT_NANOS);
        assertThat(clock.waits).isLessThanOrEqualTo(some.size());
    }

    @Test
    void shouldNeverWaitWhenSpeedIsZero() {
        FakeClock clock = new FakeClock();
        List<SimEvent> got = new ArrayList<>();
        try (PacedSink paced = new PacedSink(
                new SimSink() {
                    @Override
                    public void accept(SimEvent event) {
                        got.add(event);
                    }

                    @Override
                    public void close() {}
                },
                0,
                clock)) {
            EVENTS.forEach(paced::accept);
        }
        assertThat(got).isEqualTo(EVENTS);
        assertThat(clock.waits).isZero();
    }

    /** A clock that advances only when waited on. */
    private static final class FakeClock implements PacedSink.Clock {
        long now;
        int waits;

        @Override
        public long nanoTime() {
            return now;
        }

        @Override
        public void waitNanos(long nanos) {
            waits++;
            now += nanos;
        }
    }
}
