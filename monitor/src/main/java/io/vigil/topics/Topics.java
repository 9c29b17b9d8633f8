package io.vigil.topics;

import io.vigil.config.VigilConfig;
import io.vigil.events.Alert;
import io.vigil.events.Incident;
import io.vigil.events.MetricSnapshot;
import io.vigil.events.ScannerSighting;
import io.vigil.serde.JsonSerde;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Every topic Vigil reads or writes, named from config in this one place. Inputs and dead letters
 * are raw bytes (validation happens in {@code Ingest}); outputs are typed JSON.
 */
public record Topics(
        Topic<byte[], byte[]> predictions,
        Topic<byte[], byte[]> groundTruth,
        Topic<byte[], byte[]> deadLetters,
        Topic<String, MetricSnapshot> snapshots,
        Topic<String, Alert> alerts,
        Topic<String, byte[]> references,
        Topic<String, byte[]> alertClock,
        Topic<String, Long> sliceAdmissions,
        Topic<String, Incident> incidents,
        Topic<String, ScannerSighting> scannerInventory) {

    public static Topics from(VigilConfig config) {
        return new Topics(
                new Topic<>(config.getString(VigilConfig.TOPIC_PREDICTIONS), Serdes.ByteArray(), Serdes.ByteArray()),
                new Topic<>(config.getString(VigilConfig.TOPIC_GROUND_TRUTH), Serdes.ByteArray(), Serdes.ByteArray()),
                new Topic<>(config.getString(VigilConfig.TOPIC_DEAD_LETTERS), Serdes.ByteArray(), Serdes.ByteArray()),
                new Topic<>(
                        config.getString(VigilConfig.TOPIC_SNAPSHOTS),
                        Serdes.String(),
                        new JsonSerde<>(MetricSnapshot.class)),
                new Topic<>(config.getString(VigilConfig.TOPIC_ALERTS), Serdes.String(), new JsonSerde<>(Alert.class)),
                new Topic<>(config.getString(VigilConfig.TOPIC_REFERENCES), Serdes.String(), Serdes.ByteArray()),
                // Single partition, never written: it places the one alert-evaluator task (see AlertEvaluator).
                new Topic<>(
                        config.getString(VigilConfig.APPLICATION_ID) + "-alert-clock",
                        Serdes.String(),
                        Serdes.ByteArray()),
                // Single partition, compacted: the slice values admitted cluster-wide (see SliceAdmission).
                new Topic<>(
                        config.getString(VigilConfig.APPLICATION_ID) + "-slice-admissions",
                        Serdes.String(),
                        Serdes.Long()),
                new Topic<>(
                        config.getString(VigilConfig.TOPIC_INCIDENTS),
                        Serdes.String(),
                        new JsonSerde<>(Incident.class)),
                // Single partition, compacted: which scanner ran which software (see ScannerInventory).
                new Topic<>(
                        config.getString(VigilConfig.APPLICATION_ID) + "-scanner-inventory",
                        Serdes.String(),
                        new JsonSerde<>(ScannerSighting.class)));
    }

    /** Topic definitions for creation at startup: outputs keyed by identity are compacted. */
    public List<NewTopic> definitions(int partitions, short replication, long inputRetentionMs) {
        Map<String, String> compacted = Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
        Map<String, String> retained = Map.of(TopicConfig.RETENTION_MS_CONFIG, Long.toString(inputRetentionMs));
        return List.of(
                new NewTopic(predictions.name(), partitions, replication).configs(retained),
                new NewTopic(groundTruth.name(), partitions, replication).configs(retained),
                new NewTopic(deadLetters.name(), partitions, replication).configs(retained),
                new NewTopic(snapshots.name(), partitions, replication).configs(compacted),
                new NewTopic(alerts.name(), partitions, replication).configs(compacted),
                new NewTopic(references.name(), 1, replication).configs(compacted),
                new NewTopic(alertClock.name(), 1, replication).configs(compacted),
                new NewTopic(sliceAdmissions.name(), 1, replication).configs(compacted),
                new NewTopic(incidents.name(), 1, replication).configs(compacted),
                new NewTopic(scannerInventory.name(), 1, replication).configs(compacted));
    }
}
