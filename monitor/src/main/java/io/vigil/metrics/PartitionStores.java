package io.vigil.metrics;

import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/** Looks up the local store of one partition: what the counter binders read (the app gives Kafka Streams'). */
@FunctionalInterface
public interface PartitionStores {
    /** The store {@code name} of {@code partition}, or null when this instance does not hold it or cannot read it. */
    ReadOnlyKeyValueStore<String, Long> get(String name, int partition);
}
