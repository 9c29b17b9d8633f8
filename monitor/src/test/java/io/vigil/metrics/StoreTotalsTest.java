package io.vigil.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.Test;

class StoreTotalsTest {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicReference<ReadOnlyKeyValueStore<String, Long>> store = new AtomicReference<>();
    private final StoreTotals totals = new StoreTotals(store::get, running::get);

    @Test
    void shouldSumEveryLocalPartitionWhenRunning() {
        // A composite store over two partitions yields one entry per partition for the same key.
        store.set(entries(List.of(KeyValue.pair("accepted", 2L), KeyValue.pair("accepted", 3L),
                KeyValue.pair("dead_lettered:not_json", 1L))));

        assertThat(totals.get()).isEqualTo(Map.of("accepted", 5L, "dead_lettered:not_json", 1L));
    }

    @Test
    void shouldKeepTheLastSumsWhenKafkaStreamsIsRebalancing() {
        store.set(entries(List.of(KeyValue.pair("accepted", 5L))));
        assertThat(totals.get()).isEqualTo(Map.of("accepted", 5L));

        running.set(false);
        store.set(null);
        assertThat(totals.get()).as("not queryable while rebalancing").isEqualTo(Map.of("accepted", 5L));
        store.set(entries(List.of(KeyValue.pair("accepted", 1L))));
        assertThat(totals.get()).as("a partial view while restoring is not read").isEqualTo(Map.of("accepted", 5L));

        running.set(true);
        store.set(entries(List.of(KeyValue.pair("accepted", 9L))));
        assertThat(totals.get()).isEqualTo(Map.of("accepted", 9L));
    }

    @Test
    void shouldReadNothingWhenRunningWithoutAnActiveTaskOfTheStore() {
        store.set(entries(List.of(KeyValue.pair("accepted", 5L))));
        assertThat(totals.get()).isEqualTo(Map.of("accepted", 5L));

        // Every task with this store moved to other instances: they count it now, this one must not.
        store.set(storeWithAll(() -> {
            throw new InvalidStateStoreException("The state store may have migrated to another instance");
        }));
        assertThat(totals.get()).isEmpty();
    }

    @Test
    void shouldKeepTheLastSumsWhenARebalanceStartsDuringTheRead() {
        store.set(entries(List.of(KeyValue.pair("accepted", 5L))));
        assertThat(totals.get()).isEqualTo(Map.of("accepted", 5L));

        store.set(storeWithAll(() -> {
            running.set(false);
            throw new InvalidStateStoreException("rebalancing");
        }));
        assertThat(totals.get()).isEqualTo(Map.of("accepted", 5L));
    }

    private static ReadOnlyKeyValueStore<String, Long> entries(List<KeyValue<String, Long>> entries) {
        return storeWithAll(() -> iterator(entries.iterator()));
    }

    private static ReadOnlyKeyValueStore<String, Long> storeWithAll(
            java.util.function.Supplier<KeyValueIterator<String, Long>> all) {
        return new ReadOnlyKeyValueStore<>() {
            @Override
            public Long get(String key) {
                throw new UnsupportedOperationException();
            }

            @Override
            public KeyValueIterator<String, Long> range(String from, String to) {
                throw new UnsupportedOperationException();
            }

            @Override
            public KeyValueIterator<String, Long> all() {
                return all.get();
            }

            @Override
            public long approximateNumEntries() {
                throw new UnsupportedOperationException();
            }
        };
    }

    private static KeyValueIterator<String, Long> iterator(Iterator<KeyValue<String, Long>> it) {
        return new KeyValueIterator<>() {
            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public KeyValue<String, Long> next() {
                return it.next();
            }

            @Override
            public String peekNextKey() {
                throw new UnsupportedOperationException();
            }

            @Override
            public void close() {}
        };
    }
}
