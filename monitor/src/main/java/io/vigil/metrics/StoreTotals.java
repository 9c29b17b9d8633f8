package io.vigil.metrics;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The sums of one counter store over the partitions this instance holds, as the metric binders read
 * them: committed state (the stores' changelogs), never a thread's memory, and never going backwards
 * while a partition stays with this instance. Each partition is read on its own and remembered: a
 * partition that cannot be read for a moment (its stream thread replaced, a rebalance, a restore) keeps
 * its last values, and a value read lower than before (a read of state an aborted transaction then
 * rolled back) does not lower the total. A partition unread for {@link #DEFAULT_GRACE} while Kafka
 * Streams runs has moved to another instance: its counts leave this instance's sums (and appear in the
 * other's). While Kafka Streams is not running nothing ages: a long restore cannot look like a reset.
 */
final class StoreTotals {
    /** How long a partition that cannot be read keeps its counts while Kafka Streams runs. */
    static final Duration DEFAULT_GRACE = Duration.ofMinutes(2);

    private final IntFunction<ReadOnlyKeyValueStore<String, Long>> partitionStore;
    private final IntSupplier partitions;
    private final BooleanSupplier running;
    private final LongSupplier clockMillis;
    private final long graceMillis;
    private final Map<Integer, Map<String, Long>> last = new HashMap<>();
    private final Map<Integer, Long> seenAt = new HashMap<>();

    /**
     * @param partitionStore the local store of one partition, or null when this instance does not hold it
     *                       as an active task or it is not queryable
     * @param partitions     how many partitions to look at (0 to n - 1; partitions read before are always looked at)
     * @param running        whether Kafka Streams is running
     * @param clockMillis    wall clock
     * @param grace          how long an unreadable partition keeps its counts while running
     */
    StoreTotals(
            IntFunction<ReadOnlyKeyValueStore<String, Long>> partitionStore,
            IntSupplier partitions,
            BooleanSupplier running,
            LongSupplier clockMillis,
            Duration grace) {
        this.partitionStore = Objects.requireNonNull(partitionStore, "partitionStore");
        this.partitions = partitions;
        this.running = Objects.requireNonNull(running, "running");
        this.clockMillis = Objects.requireNonNull(clockMillis, "clockMillis");
        this.graceMillis = grace.toMillis();
    }

    /** Sums by key over the partitions this instance holds (or held within the grace); never throws. */
    synchronized Map<String, Long> get() {
        long now = clockMillis.getAsLong();
        boolean isRunning = running.getAsBoolean();
        java.util.Set<Integer> look = new java.util.TreeSet<>(last.keySet());
        for (int p = 0; p < partitions.getAsInt(); p++) {
            look.add(p);
        }
        for (int p : look) {
            Map<String, Long> read = read(partitionStore.apply(p));
            if (read != null) {
                Map<String, Long> kept = last.computeIfAbsent(p, k -> new HashMap<>());
                read.forEach((k, v) -> kept.merge(k, v, Math::max));
                seenAt.put(p, now);
            } else if (isRunning && seenAt.containsKey(p) && now - seenAt.get(p) > graceMillis) {
                last.remove(p);
                seenAt.remove(p);
            }
        }
        Map<String, Long> sums = new HashMap<>();
        last.values().forEach(m -> m.forEach((k, v) -> sums.merge(k, v, Long::sum)));
        return sums;
    }

    private static Map<String, Long> read(ReadOnlyKeyValueStore<String, Long> store) {
        if (store == null) {
            return null;
        }
        Map<String, Long> values = new HashMap<>();
        try (KeyValueIterator<String, Long> it = store.all()) {
            while (it.hasNext()) {
                KeyValue<String, Long> kv = it.next();
                values.merge(kv.key, kv.value, Long::sum);
            }
        } catch (InvalidStateStoreException e) {
            return null;
        }
        return values;
    }
}
