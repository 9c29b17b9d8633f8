package io.vigil.metrics;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The sums of one counter store over the active tasks of this instance, as the metric binders read
 * them. While Kafka Streams is not running (rebalancing, restoring) the stores cannot be read and the
 * last complete sums are returned: sums that read 0 for one scrape would look to Prometheus like a
 * counter reset followed by an increase of the whole total, and every rebalance of a scaled-out
 * application would show up as a spike in {@code rate()}. Once it runs again the sums are read afresh,
 * so counts of tasks that moved to another instance leave this instance's sums (and appear in the other's).
 */
final class StoreTotals {
    private final Supplier<ReadOnlyKeyValueStore<String, Long>> store;
    private final BooleanSupplier running;
    private volatile Map<String, Long> last = Map.of();

    /**
     * @param store   the local (all active partitions) view of the store, or null while it is not queryable
     * @param running whether Kafka Streams is running, i.e. every active task of this instance is queryable
     */
    StoreTotals(Supplier<ReadOnlyKeyValueStore<String, Long>> store, BooleanSupplier running) {
        this.store = Objects.requireNonNull(store, "store");
        this.running = Objects.requireNonNull(running, "running");
    }

    /** Sums by key over every local partition; never throws. */
    Map<String, Long> get() {
        if (!running.getAsBoolean()) {
            return last;
        }
        Map<String, Long> now = sum(store.get());
        if (now == null) {
            // Not readable although running: no active task of this instance has the store (all are
            // elsewhere), unless a rebalance began in between.
            if (!running.getAsBoolean()) {
                return last;
            }
            now = Map.of();
        }
        last = now;
        return now;
    }

    /**
     * Sums every local partition's entries by key (a composite store's {@code get} would return one
     * partition's value only); null when the store is absent or not queryable.
     */
    private static Map<String, Long> sum(ReadOnlyKeyValueStore<String, Long> store) {
        if (store == null) {
            return null;
        }
        Map<String, Long> sums = new HashMap<>();
        try (KeyValueIterator<String, Long> it = store.all()) {
            while (it.hasNext()) {
                KeyValue<String, Long> kv = it.next();
                sums.merge(kv.key, kv.value, Long::sum);
            }
        } catch (InvalidStateStoreException e) {
            return null;
        }
        return sums;
    }
}
