package io.vigil.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.config.VigilConfig;
import io.vigil.events.EventValidator;
import io.vigil.events.MetricSnapshot;
import io.vigil.serde.JsonSerde;
import io.vigil.sim.Scenario;
import io.vigil.sim.SimEvent;
import io.vigil.sim.Simulator;
import io.vigil.testing.Events;
import io.vigil.testing.TestDirs;
import io.vigil.topics.Topics;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;

/**
 * Issue 18, Must 10, through the whole production topology: one input, replayed twice with the wall clock
 * advanced at different points, publishes the same final snapshot under every key, bit for bit. Kafka Streams
 * flushes the partial aggregates and snapshots the windows at wall-clock intervals, so the two replays group the
 * same records into different partials and merge them in different orders; every published number (counts,
 * sums, histograms, ROC histograms, CUSUMs, label-free estimates, p-values) must not care. {@code
 * tools/replay-check.sh} checks the same on a real broker with three partitions and two processes.
 */
class ReplayDeterminismIT {
    private static final Instant NOW = Instant.parse("2026-12-04T23:00:00Z");
    private static final int DAYS = 24;

    /** What a snapshot publishes, without when it was computed. */
    record Published(
            Instant windowEnd,
            Double estimate,
            Double lower,
            Double upper,
            long n,
            Double pValue,
            MetricSnapshot.Status status) {
        static Published of(MetricSnapshot s) {
            return new Published(s.windowEnd(), s.estimate(), s.lower(), s.upper(), s.n(), s.pValue(), s.status());
        }
    }

    @Test
    void twoReplaysWithDifferentFlushGroupingsPublishTheSameSnapshots() throws IOException {
        Map<String, Published> a = replay(53, Duration.ofMillis(400));
        Map<String, Published> b = replay(389, Duration.ofMillis(1_300));

        // Not vacuous: the drift, performance, acquisition and CUSUM series are all there.
        assertThat(a).hasSizeGreaterThan(1_000);
        for (String metric : new String[] {
            "|score_ks", "|score_psi", "|feature_psi:", "|auc", "|ece", "|acquisition_change", "|cusum"
        }) {
            assertThat(a.keySet()).as(metric).anyMatch(k -> k.contains(metric));
        }
        assertThat(b.keySet()).isEqualTo(a.keySet());
        Map<String, String> differing = new TreeMap<>();
        a.forEach((key, value) -> {
            if (!value.equals(b.get(key))) {
                differing.put(key, value + " vs " + b.get(key));
            }
        });
        assertThat(differing).isEmpty();
    }

    /**
     * The demo's timeline (S02-CT2 updated on day 20), every record in time order; the wall clock advances by
     * {@code step} after every {@code every} records, then long enough for the last flush and snapshot rounds.
     * Returns the latest snapshot per key.
     */
    private static Map<String, Published> replay(int every, Duration step) throws IOException {
        Scenario scenario;
        try (InputStream in = ReplayDeterminismIT.class.getResourceAsStream("/scenarios/demo-short.json")) {
            scenario = Scenario.fromJson(in);
        }
        LocalDate first = LocalDate.ofInstant(NOW, ZoneOffset.UTC).minusDays(DAYS + 1L);
        Simulator simulator = Simulator.create(scenario, 42, first, DAYS).withLabelHorizon(Duration.ofDays(1));
        Map<String, Object> values = new HashMap<>();
        values.put(VigilConfig.BOOTSTRAP_SERVERS, "unused:9092");
        values.put(VigilConfig.APPLICATION_ID, "replay-determinism");
        values.put(VigilConfig.DRIFT_FLUSH_INTERVAL_MS, "1000");
        values.put(VigilConfig.DRIFT_SNAPSHOT_INTERVAL_MS, "2000");
        values.put(VigilConfig.OUTCOMES_FLUSH_INTERVAL_MS, "1000");
        values.put(VigilConfig.OUTCOMES_SNAPSHOT_INTERVAL_MS, "3000");
        values.put(VigilConfig.STABILITY_ENABLED, "true");
        values.put(VigilConfig.STABILITY_SUBJECT_KEY_SECRET, "replay-determinism-secret-0123456789");
        VigilConfig config = new VigilConfig(values);
        Topics topics = Topics.from(config);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "replay-determinism");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, TestDirs.fresh().toString());
        Map<String, Published> latest = new HashMap<>();
        try (TopologyTestDriver driver =
                new TopologyTestDriver(VigilTopology.build(config, topics, new EventValidator()), props, NOW)) {
            TestInputTopic<byte[], byte[]> predictions = driver.createInputTopic(
                    topics.predictions().name(), new ByteArraySerializer(), new ByteArraySerializer());
            TestInputTopic<byte[], byte[]> labels = driver.createInputTopic(
                    topics.groundTruth().name(), new ByteArraySerializer(), new ByteArraySerializer());
            TestOutputTopic<String, MetricSnapshot> snapshots = driver.createOutputTopic(
                    topics.snapshots().name(),
                    new StringDeserializer(),
                    JsonSerde.of(MetricSnapshot.class).deserializer());
            Map<String, TestOutputTopic<byte[], byte[]>> others = new HashMap<>();
            int sent = 0;
            for (SimEvent e : simulator) {
                byte[] key = e.key().getBytes(StandardCharsets.UTF_8);
                (e.isPrediction() ? predictions : labels).pipeInput(key, Events.json(e.value()), e.time());
                if (++sent % every == 0) {
                    driver.advanceWallClockTime(step);
                    drain(driver, snapshots, latest, others, topics);
                }
            }
            for (int i = 0; i < 20; i++) {
                driver.advanceWallClockTime(Duration.ofSeconds(5));
                drain(driver, snapshots, latest, others, topics);
            }
        }
        return latest;
    }

    /** Keeps the latest snapshot per key; drops what the other topics hold (the driver keeps every record). */
    private static void drain(
            TopologyTestDriver driver,
            TestOutputTopic<String, MetricSnapshot> snapshots,
            Map<String, Published> latest,
            Map<String, TestOutputTopic<byte[], byte[]>> others,
            Topics topics) {
        snapshots.readRecordsToList().forEach(r -> latest.put(r.key(), Published.of(r.value())));
        for (String name : driver.producedTopicNames()) {
            if (!name.equals(topics.snapshots().name())) {
                others.computeIfAbsent(
                                name,
                                n -> driver.createOutputTopic(
                                        n, new ByteArrayDeserializer(), new ByteArrayDeserializer()))
                        .readRecordsToList();
            }
        }
    }
}
