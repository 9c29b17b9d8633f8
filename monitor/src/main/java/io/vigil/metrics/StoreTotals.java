package io.vigil.metrics;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/** Sums of the counter stores of the tasks this instance owns, as metric binders read them. */
final class StoreTotals {
    private StoreTotals() {}

    /**
     * Sums every local partition's entries by key: a composite store's {@code get} would return one
     * partition's value only. Empty while the store is absent, rebalancing or restoring, so a scrape
     * never fails and never reports a partial sum.
     */
    static Map<String, Long> sum(ReadOnlyKeyValueStore<String, Long> store) {
        if (store == null) {
            return Map.of();
        }
        Map<String, Long> sums = new HashMap<>();
        try (KeyValueIterator<String, Long> it = store.all()) {
            while (it.hasNext()) {
                KeyValue<String, Long> kv = it.next();
                sums.merge(kv.key, kv.value, Long::sum);
            }
        } catch (InvalidStateStoreException e) {
            return Map.of();
        }
        return sums;
    }
}
