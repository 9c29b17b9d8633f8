package io.vigil.stages;

import io.vigil.config.VigilConfig;
import io.vigil.deadletters.DeadLetterLimit;
import io.vigil.events.EventValidator;
import io.vigil.events.GroundTruth;
import io.vigil.events.MetricSnapshot;
import io.vigil.events.ModelRef;
import io.vigil.events.Prediction;
import io.vigil.events.Scanner;
import io.vigil.serde.JsonSerde;
import io.vigil.state.CountsStore;
import io.vigil.testing.Events;
import io.vigil.topics.JoinPartitions;
import io.vigil.topics.Topics;
import io.vigil.topology.VigilTopology;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.test.TestRecord;

/** The whole Vigil topology in a TopologyTestDriver, with helpers for the outcome stage. */
final class OutcomeDriver implements AutoCloseable {
    /** Wall clock of the driver: event times in tests lie before it (ingest rejects future events). */
    static final Instant WALL = Instant.parse("2027-01-01T00:00:00Z");

    final TopologyTestDriver driver;
    private final TestInputTopic<byte[], byte[]> predictions;
    private final TestInputTopic<byte[], byte[]> labels;
    private final TestInputTopic<String, byte[]> references;
    private final TestOutputTopic<String, MetricSnapshot> snapshots;
    private final TestOutputTopic<byte[], byte[]> deadLetters;
    private final Map<String, MetricSnapshot> latest = new HashMap<>();
    private final Duration snapshotInterval;
    private final java.util.Set<String> external;

    OutcomeDriver(Map<String, Object> overrides) {
        this(overrides, JoinPartitions.unknown());
    }

    /**
     * @param joinPartitions the outcome join's partition count as startup would set it: the driver reads every
     *                       input from partition 0, so the records of ids that belong to another partition take
     *                       the join's repartition topic (all of them while unknown)
     */
    OutcomeDriver(Map<String, Object> overrides, JoinPartitions joinPartitions) {
        Map<String, Object> values = new HashMap<>();
        values.put(VigilConfig.BOOTSTRAP_SERVERS, "unused:9092");
        values.put(VigilConfig.OUTCOMES_FLUSH_INTERVAL_MS, 1000L);
        values.put(VigilConfig.OUTCOMES_SNAPSHOT_INTERVAL_MS, 1000L);
        values.putAll(overrides);
        VigilConfig config = new VigilConfig(values);
        snapshotInterval = Duration.ofMillis(config.getLong(VigilConfig.OUTCOMES_SNAPSHOT_INTERVAL_MS) + 1);
        Topics topics = Topics.from(config);
        Properties props = config.streamsProperties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "outcome-test");
        try {
            props.put(
                    StreamsConfig.STATE_DIR_CONFIG,
                    java.nio.file.Files.createTempDirectory("vigil-ttd").toString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        driver = new TopologyTestDriver(
                VigilTopology.build(
                        config,
                        topics,
                        new EventValidator(65_536, Duration.ofMinutes(5)),
                        List::of,
                        DeadLetterLimit.kafkaDefaults(),
                        joinPartitions),
                props,
                WALL);
        predictions = driver.createInputTopic(
                topics.predictions().name(), new ByteArraySerializer(), new ByteArraySerializer());
        labels = driver.createInputTopic(
                topics.groundTruth().name(), new ByteArraySerializer(), new ByteArraySerializer());
        references = driver.createInputTopic(
                topics.references().name(),
                new org.apache.kafka.common.serialization.StringSerializer(),
                new ByteArraySerializer());
        snapshots = driver.createOutputTopic(
                topics.snapshots().name(),
                new StringDeserializer(),
                JsonSerde.of(MetricSnapshot.class).deserializer());
        external =
                java.util.Set.of(topics.snapshots().name(), topics.deadLetters().name());
        deadLetters = driver.createOutputTopic(
                topics.deadLetters().name(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    static Prediction prediction(
            String id, Instant at, String version, double score, double threshold, String site, String scanner) {
        return prediction(id, at, version, score, threshold, site, scanner, null);
    }

    /** A prediction of one patient: {@code subjectKey} as a sender would fill it (null for none). */
    static Prediction prediction(
            String id,
            Instant at,
            String version,
            double score,
            double threshold,
            String site,
            String scanner,
            String subjectKey) {
        return new Prediction(
                id,
                at,
                new ModelRef("model", version),
                "binary",
                score,
                threshold,
                null,
                site,
                new Scanner(scanner, "Acme", "X1", "1.0", "CT", "CHEST"),
                subjectKey,
                null,
                null,
                null,
                null,
                Map.of(),
                Map.of());
    }

    static Prediction prediction(String id, Instant at, double score) {
        return prediction(id, at, "v1", score, 0.5, "S01", "A");
    }

    void predict(Prediction p) {
        predictions.pipeInput(null, Events.json(p));
    }

    void label(String id, int label, Instant observedAt, int revision) {
        labels.pipeInput(null, Events.json(new GroundTruth(id, label, observedAt, "pathology", revision)));
    }

    /** A label record exactly as a sender wrote it: key, value bytes and headers. */
    void labelRecord(TestRecord<byte[], byte[]> record) {
        labels.pipeInput(record);
    }

    /** Publishes a reference profile on the references topic (read back by the global store). */
    void reference(io.vigil.events.ReferenceProfile profile) {
        references.pipeInput(profile.key(), EarlyWarningDriver.json(profile));
    }

    void label(GroundTruth gt) {
        labels.pipeInput(null, Events.json(gt));
    }

    /**
     * Releases predictions that waited for a slice admission decision, flushes partials and takes snapshots
     * (three wall-clock steps: the driver runs what one punctuation forwards only after all due punctuations),
     * then returns the latest per key.
     */
    Map<String, MetricSnapshot> snapshot() {
        driver.advanceWallClockTime(SliceAssignment.RELEASE_INTERVAL);
        driver.advanceWallClockTime(Duration.ofMillis(1001));
        driver.advanceWallClockTime(snapshotInterval);
        snapshots.readValuesToList().forEach(s -> latest.put(s.key(), s));
        return latest;
    }

    MetricSnapshot get(String version, String dimension, String value, String window, String metric) {
        snapshot();
        return latest.get(String.join("|", "model", version, dimension, value, window, metric));
    }

    MetricSnapshot all(String window, String metric) {
        return get("v1", "all", "all", window, metric);
    }

    /**
     * Flushes the partial aggregates (one flush interval) and drops the records the driver keeps of
     * internal topics (changelogs, repartitions): it commits after every record, so the changelog of
     * a partial aggregate grows with every input record.
     */
    void flushAndDrain() {
        driver.advanceWallClockTime(Duration.ofMillis(1001));
        for (String topic : driver.producedTopicNames()) {
            if (!external.contains(topic)) {
                driver.createOutputTopic(topic, new ByteArrayDeserializer(), new ByteArrayDeserializer())
                        .readRecordsToList();
            }
        }
    }

    /** Moves the driver's wall clock (wall-clock punctuators run: the outcome join's label wait). */
    void advanceWall(Duration d) {
        driver.advanceWallClockTime(d);
    }

    List<TestRecord<byte[], byte[]>> deadLetters() {
        return deadLetters.readRecordsToList();
    }

    Map<String, Long> joinCounts() {
        CountsStore store = (CountsStore) driver.getAllStateStores().get(OutcomeJoin.COUNTS_STORE);
        Map<String, Long> out = new HashMap<>();
        try (KeyValueIterator<String, Long> it = store.all()) {
            it.forEachRemaining(kv -> out.put(kv.key, kv.value));
        }
        return out;
    }

    static String header(TestRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        driver.close();
    }
}
