package io.vigil.topics;

import io.vigil.events.MetricSnapshot;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.state.Stores;

/**
 * The metric-snapshot topic: every stage writes its snapshots here (keyed by
 * {@link MetricSnapshot#key()}, so compaction keeps the latest), and every instance reads the whole
 * topic back into a global store that the Prometheus exporter, the alert evaluator and the HTTP API
 * query. One record type, one topic, one view.
 */
public final class MetricSnapshots {
    /** Name of the global store holding the latest snapshot per key. */
    public static final String STORE = "metric-snapshots-latest";

    private final Topics topics;

    public MetricSnapshots(Topics topics) {
        this.topics = topics;
    }

    /** Sends a stage's snapshots to the topic. */
    public void publish(KStream<String, MetricSnapshot> snapshots, String stageName) {
        snapshots.to(topics.snapshots().name(), topics.snapshots().produced(stageName + "-snapshots-sink"));
    }

    /** Adds the global view of the latest snapshots. */
    public void addViewTo(StreamsBuilder builder) {
        builder.globalTable(
                topics.snapshots().name(),
                topics.snapshots().consumed("metric-snapshots-source"),
                Materialized.<String, MetricSnapshot>as(
                                // In memory: a global store is rebuilt from its compacted topic at every start, and a
                                // RocksDB one left open by a SIGKILL stops the global thread under exactly-once
                                // (KAFKA-21034; docs/notes/global-store-after-sigkill.md).
                                Stores.inMemoryKeyValueStore(STORE))
                        .withKeySerde(topics.snapshots().keySerde())
                        .withValueSerde(topics.snapshots().valueSerde()));
    }
}
