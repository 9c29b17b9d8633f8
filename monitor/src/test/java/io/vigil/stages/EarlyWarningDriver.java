package io.vigil.stages;

import io.vigil.config.VigilConfig;
import io.vigil.events.EventValidator;
import io.vigil.events.MetricSnapshot;
import io.vigil.events.ModelRef;
import io.vigil.events.Prediction;
import io.vigil.events.ReferenceProfile;
import io.vigil.serde.Json;
import io.vigil.serde.JsonSerde;
import io.vigil.testing.Events;
import io.vigil.topics.Topics;
import io.vigil.topology.VigilTopology;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

/**
 * The whole topology in a TopologyTestDriver for the early-warning stages (estimation, stability):
 * time moves by event timestamps and by {@code advanceWallClockTime} for the flush and snapshot
 * punctuations. Internal topics are drained as records arrive (the driver keeps every produced
 * record), optionally handing each to an inspector first.
 */
final class EarlyWarningDriver implements AutoCloseable {
    static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    static final String APP = "early-test";
    static final Duration INTERVAL = Duration.ofSeconds(1);
    static final String SECRET = "test-secret-0123456789";

    final TopologyTestDriver driver;
    final TestInputTopic<byte[], byte[]> predictions;
    final TestInputTopic<String, byte[]> references;
    final TestOutputTopic<String, MetricSnapshot> snapshots;
    final Map<String, MetricSnapshot> latest = new LinkedHashMap<>();
    final List<TestOutputTopic<byte[], byte[]>> internal = new ArrayList<>();
    final List<String> internalNames = new ArrayList<>();
    /** Sees every internal record (topic, key, value) before it is dropped; null to skip. */
    InternalInspector inspector;

    private int sent;

    interface InternalInspector {
        void inspect(String topic, byte[] key, byte[] value);
    }

    EarlyWarningDriver(Map<String, Object> overrides) {
        Map<String, Object> values = new HashMap<>();
        values.put(VigilConfig.BOOTSTRAP_SERVERS, "unused:9092");
        values.put(VigilConfig.DRIFT_FLUSH_INTERVAL_MS, String.valueOf(INTERVAL.toMillis()));
        values.put(VigilConfig.DRIFT_SNAPSHOT_INTERVAL_MS, String.valueOf(INTERVAL.toMillis()));
        values.put(VigilConfig.REFERENCE_BURN_IN_ENABLED, "false");
        values.put(VigilConfig.DRIFT_WINDOWS, "1d");
        values.putAll(overrides);
        VigilConfig config = new VigilConfig(values);
        Topics topics = Topics.from(config);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, APP);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        // A directory of its own: the default /tmp/kafka-streams/<app> is shared by concurrent test JVMs.
        props.put(
                StreamsConfig.STATE_DIR_CONFIG,
                io.vigil.testing.TestDirs.fresh().toString());
        props.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
        driver = new TopologyTestDriver(
                VigilTopology.build(config, topics, new EventValidator(65_536, Duration.ofMinutes(5))), props, NOW);
        predictions = driver.createInputTopic(
                topics.predictions().name(), new ByteArraySerializer(), new ByteArraySerializer());
        references =
                driver.createInputTopic(topics.references().name(), new StringSerializer(), new ByteArraySerializer());
        snapshots = driver.createOutputTopic(
                topics.snapshots().name(),
                new StringDeserializer(),
                JsonSerde.of(MetricSnapshot.class).deserializer());
        List<String> names = new ArrayList<>();
        boolean stability = config.getBoolean(VigilConfig.STABILITY_ENABLED);
        List<String> stages = stability
                ? List.of(ScoreDrift.NAME, PerformanceEstimation.NAME, TemporalStability.NAME)
                : List.of(ScoreDrift.NAME, PerformanceEstimation.NAME);
        for (String stage : stages) {
            names.add(APP + "-" + stage + "-partials-changelog");
            names.add(APP + "-" + stage + "-buckets-changelog");
            names.add(APP + "-" + stage + "-partials-repartition");
            if (config.getInt(VigilConfig.DRIFT_BASELINE_DAYS) > 0 && !stage.equals(TemporalStability.NAME)) {
                names.add(APP + "-" + stage + "-baselines-changelog");
            }
        }
        if (stability) {
            names.add(APP + "-" + TemporalStability.LAST_STORE + "-changelog");
            names.add(APP + "-" + TemporalStability.EXPIRY_STORE + "-changelog");
            names.add(APP + "-" + TemporalStability.NAME + "-by-subject-repartition");
        }
        for (String n : names) {
            internalNames.add(n);
            internal.add(driver.createOutputTopic(n, new ByteArrayDeserializer(), new ByteArrayDeserializer()));
        }
    }

    void send(Prediction p) {
        predictions.pipeInput(null, Events.json(p), p.occurredAt());
        if (++sent % 500 == 0) {
            drain();
        }
    }

    void drain() {
        for (int i = 0; i < internal.size(); i++) {
            for (TestRecord<byte[], byte[]> r : internal.get(i).readRecordsToList()) {
                if (inspector != null) {
                    inspector.inspect(internalNames.get(i), r.key(), r.value());
                }
            }
        }
    }

    void publish(ReferenceProfile profile) {
        references.pipeInput(profile.key(), json(profile));
    }

    /** One flush and one snapshot round; returns the latest snapshot per key. */
    Map<String, MetricSnapshot> round() {
        driver.advanceWallClockTime(INTERVAL);
        driver.advanceWallClockTime(INTERVAL);
        drain();
        snapshots.readRecordsToList().forEach(r -> latest.put(r.key(), r.value()));
        return latest;
    }

    MetricSnapshot get(ModelRef model, String dimension, String value, String window, String metric) {
        return latest.get(String.join("|", model.id(), model.version(), dimension, value, window, metric));
    }

    static byte[] json(Object o) {
        try {
            return Json.writer().writeValueAsBytes(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Start of a UTC day plus some hours. */
    static Instant at(long epochDay, double hours) {
        return Instant.ofEpochSecond(epochDay * 86_400L + (long) (hours * 3600));
    }

    @Override
    public void close() {
        driver.close();
    }
}
