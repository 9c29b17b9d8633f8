package io.vigil.stages;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.config.VigilConfig;
import io.vigil.deadletters.DeadLetters;
import io.vigil.events.EventValidator;
import io.vigil.events.GroundTruth;
import io.vigil.events.Prediction;
import io.vigil.serde.JsonSerde;
import io.vigil.state.CountsStore;
import io.vigil.testing.Events;
import io.vigil.topics.Input;
import io.vigil.topics.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class IngestTest {
    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> predictions;
    private TestInputTopic<byte[], byte[]> labels;
    private TestOutputTopic<String, Prediction> accepted;
    private TestOutputTopic<String, GroundTruth> acceptedLabels;
    private TestOutputTopic<byte[], byte[]> deadLetters;

    @BeforeEach
    void setUp() {
        start();
    }

    private void start() {
        VigilConfig config = new VigilConfig(Map.of(VigilConfig.BOOTSTRAP_SERVERS, "unused:9092"));
        Topics topics = Topics.from(config);
        StreamsBuilder builder = new StreamsBuilder();
        Ingest.Output out = new Ingest(topics, new EventValidator(4096, Duration.ofMinutes(5))).addTo(builder);
        out.predictions()
                .to(
                        "accepted-predictions",
                        Produced.with(
                                org.apache.kafka.common.serialization.Serdes.String(), JsonSerde.of(Prediction.class)));
        out.groundTruth()
                .to(
                        "accepted-labels",
                        Produced.with(
                                org.apache.kafka.common.serialization.Serdes.String(),
                                JsonSerde.of(GroundTruth.class)));
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "ingest-test");
        props.put(
                StreamsConfig.STATE_DIR_CONFIG,
                io.vigil.testing.TestDirs.fresh().toString());
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        driver = new TopologyTestDriver(builder.build(), props, NOW);
        predictions = driver.createInputTopic(
                topics.predictions().name(), new ByteArraySerializer(), new ByteArraySerializer());
        labels = driver.createInputTopic(
                topics.groundTruth().name(), new ByteArraySerializer(), new ByteArraySerializer());
        accepted = driver.createOutputTopic(
                "accepted-predictions",
                new StringDeserializer(),
                JsonSerde.of(Prediction.class).deserializer());
        acceptedLabels = driver.createOutputTopic(
                "accepted-labels",
                new StringDeserializer(),
                JsonSerde.of(GroundTruth.class).deserializer());
        deadLetters = driver.createOutputTopic(
                topics.deadLetters().name(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    @AfterEach
    void tearDown() {
        driver.close();
    }

    @Test
    void shouldForwardTypedPredictionKeyedByIdWhenRecordIsValid() {
        Prediction p = Events.prediction("p-1", 0.73, NOW.minusSeconds(3600));
        predictions.pipeInput(null, Events.json(p));

        var out = accepted.readKeyValuesToList();
        assertThat(out).hasSize(1);
        assertThat(out.get(0).key).isEqualTo("p-1");
        assertThat(out.get(0).value).isEqualTo(p);
        assertThat(deadLetters.isEmpty()).isTrue();
    }

    @Test
    void shouldDeadLetterOriginalBytesWithReasonAndOriginWhenScoreIsOutOfRange() {
        byte[] bad = new String(Events.json(Events.prediction("p-2", 0.5, NOW)), StandardCharsets.UTF_8)
                .replace("\"score\":0.5", "\"score\":1.5")
                .getBytes(StandardCharsets.UTF_8);
        RecordHeaders headers = new RecordHeaders();
        headers.add("trace", "abc".getBytes(StandardCharsets.UTF_8));
        predictions.pipeInput(new TestRecord<>("k".getBytes(StandardCharsets.UTF_8), bad, headers, NOW));

        assertThat(accepted.isEmpty()).isTrue();
        TestRecord<byte[], byte[]> dl = deadLetters.readRecord();
        assertThat(dl.value()).isEqualTo(bad);
        assertThat(dl.key()).isEqualTo("k".getBytes(StandardCharsets.UTF_8));
        assertThat(header(dl, "trace")).isEqualTo("abc");
        assertThat(header(dl, DeadLetters.REASON)).isEqualTo("out_of_range");
        assertThat(header(dl, DeadLetters.PATH)).isEqualTo("/score");
        assertThat(header(dl, DeadLetters.SOURCE_TOPIC)).isEqualTo("vigil.predictions");
        assertThat(header(dl, DeadLetters.SOURCE_PARTITION)).isEqualTo("0");
        assertThat(header(dl, DeadLetters.SOURCE_OFFSET)).isEqualTo("0");
        assertThat(header(dl, DeadLetters.MESSAGE)).doesNotContain("1.5");
    }

    @Test
    void shouldDeadLetterWhenEventTimeIsFurtherAheadThanTheAllowedSkew() {
        predictions.pipeInput(null, Events.json(Events.prediction("p-3", 0.2, NOW.plus(Duration.ofHours(2)))));
        predictions.pipeInput(null, Events.json(Events.prediction("p-4", 0.2, NOW.plus(Duration.ofMinutes(2)))));

        assertThat(accepted.readKeyValuesToList().stream().map(kv -> kv.key).toList())
                .containsExactly("p-4");
        assertThat(header(deadLetters.readRecord(), DeadLetters.REASON)).isEqualTo("future_timestamp");
    }

    @Test
    void shouldCountAcceptedPlusDeadLetteredAsReceivedWhenInputIsMixed() {
        List<byte[]> inputs = List.of(
                Events.json(Events.prediction("a", 0.1, NOW)),
                "not json".getBytes(StandardCharsets.UTF_8),
                "{\"prediction_id\":\"x\"}".getBytes(StandardCharsets.UTF_8),
                Events.json(Events.prediction("b", 0.9, NOW)),
                new byte[5000],
                Events.json(Events.prediction("c", 0.4, NOW)));
        inputs.forEach(v -> predictions.pipeInput(null, v));
        labels.pipeInput(null, Events.json(Events.label("a", 1, NOW, 0)));
        labels.pipeInput(null, "{\"prediction_id\":\"a\",\"label\":2}".getBytes(StandardCharsets.UTF_8));

        Map<String, Long> counts = counts(Input.PREDICTIONS);
        assertThat(counts)
                .containsEntry("accepted", 3L)
                .containsEntry("dead_lettered:not_json", 1L)
                .containsEntry("dead_lettered:missing_field", 1L)
                .containsEntry("dead_lettered:oversized", 1L);
        assertThat(counts.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(inputs.size());
        assertThat(accepted.getQueueSize()).isEqualTo(3);
        assertThat(acceptedLabels.readKeyValuesToList().stream()
                        .map(kv -> kv.key)
                        .toList())
                .containsExactly("a");
        assertThat(deadLetters.getQueueSize()).isEqualTo(4);
        assertThat(counts(Input.GROUND_TRUTH).values().stream()
                        .mapToLong(Long::longValue)
                        .sum())
                .isEqualTo(2);
    }

    @Test
    void shouldNeverEchoFieldValuesInDeadLetterHeadersWhenRecordCarriesPatientData() {
        String canary = "PHI-CANARY-98765";
        String json = new String(Events.json(Events.prediction("p-5", 0.5, NOW)), StandardCharsets.UTF_8)
                .replace("\"task\":\"binary\"", "\"task\":\"" + canary + "\"");
        predictions.pipeInput(null, json.getBytes(StandardCharsets.UTF_8));
        TestRecord<byte[], byte[]> dl = deadLetters.readRecord();
        for (Header h : dl.headers()) {
            assertThat(new String(h.value(), StandardCharsets.UTF_8)).doesNotContain(canary);
        }
        assertThat(header(dl, DeadLetters.REASON)).isEqualTo("unknown_enum");
    }

    @Test
    void shouldAcceptValidRecordsKeyedByAnythingOrNothingAndKeyThemByTheirPredictionId() {
        predictions.pipeInput("p-7".getBytes(StandardCharsets.UTF_8), Events.json(Events.prediction("p-7", 0.5, NOW)));
        predictions.pipeInput("p-1".getBytes(StandardCharsets.UTF_8), Events.json(Events.prediction("p-8", 0.5, NOW)));
        predictions.pipeInput(null, Events.json(Events.prediction("p-9", 0.5, NOW)));
        predictions.pipeInput(
                "é-1".getBytes(StandardCharsets.ISO_8859_1), Events.json(Events.prediction("é-1", 0.5, NOW)));
        labels.pipeInput("P-7".getBytes(StandardCharsets.UTF_8), Events.json(Events.label("p-7", 1, NOW, 0)));
        labels.pipeInput(null, Events.json(Events.label("p-8", 0, NOW, 0)));

        assertThat(accepted.readKeyValuesToList().stream().map(kv -> kv.key).toList())
                .containsExactly("p-7", "p-8", "p-9", "é-1");
        assertThat(acceptedLabels.readKeyValuesToList().stream()
                        .map(kv -> kv.key)
                        .toList())
                .containsExactly("p-7", "p-8");
        assertThat(deadLetters.isEmpty()).isTrue();
        assertThat(counts(Input.PREDICTIONS)).containsOnly(Map.entry("accepted", 4L));
        assertThat(counts(Input.GROUND_TRUTH)).containsOnly(Map.entry("accepted", 2L));
    }

    private Map<String, Long> counts(Input stream) {
        CountsStore store = (CountsStore) driver.getAllStateStores().get(stream.countsStore());
        Map<String, Long> out = new HashMap<>();
        try (KeyValueIterator<String, Long> it = store.all()) {
            it.forEachRemaining(kv -> out.put(kv.key, kv.value));
        }
        return out;
    }

    private static String header(TestRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
