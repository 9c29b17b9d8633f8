package io.vigil.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.Test;

class StoreTotalsTest {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong clock = new AtomicLong(0);
    /** Partition -> its local store, absent when this instance does not hold it. */
    private final Map<Integer, ReadOnlyKeyValueStore<String, Long>> held = new HashMap<>();

    private final StoreTotals totals =
            new StoreTotals(held::get, () -> 3, running::get, clock::get, Duration.ofMinutes(2));

    @Test
    void shouldSumEveryPartitionThisInstanceHolds() {
        held.put(0, entries("accepted", 2L));
        held.put(2, entries("accepted", 3L, "dead_lettered:not_json", 1L));

        assertThat(totals.get()).isEqualTo(Map.of("accepted", 5L, "dead_lettered:not_json", 1L));
    }

    @Test
    void shouldNeverGoBackwardsWhenAStreamThreadIsReplacedAndItsPartitionsAreBrieflyUnreadable() {
        held.put(0, entries("accepted", 10L));
        held.put(1, entries("accepted", 20L));
        assertThat(totals.get()).containsEntry("accepted", 30L);

        // The thread holding partition 1 dies; Kafka Streams still says RUNNING until the rebalance.
        held.remove(1);
        clock.set(30_000);
        assertThat(totals.get()).containsEntry("accepted", 30L);
        running.set(false);
        clock.set(600_000);
        assertThat(totals.get()).as("nothing ages while not running").containsEntry("accepted", 30L);

        // The new thread restored partition 1 from its changelog and went on counting.
        running.set(true);
        held.put(1, entries("accepted", 25L));
        assertThat(totals.get()).containsEntry("accepted", 35L);
    }

    @Test
    void shouldNotLowerATotalWhenAReadShowsLessThanBefore() {
        held.put(0, entries("accepted", 10L));
        assertThat(totals.get()).containsEntry("accepted", 10L);

        // A read of uncommitted state, then the transaction aborted: the store shows 8 again until reprocessed.
        held.put(0, entries("accepted", 8L));
        assertThat(totals.get()).containsEntry("accepted", 10L);
        held.put(0, entries("accepted", 12L));
        assertThat(totals.get()).containsEntry("accepted", 12L);
    }

    @Test
    void shouldLetAPartitionGoOnceItHasBeenElsewhereLongerThanTheGrace() {
        held.put(0, entries("accepted", 10L));
        held.put(1, entries("accepted", 20L));
        assertThat(totals.get()).containsEntry("accepted", 30L);

        // Scaled out: partition 1 moved to another instance, which counts it from now on.
        held.remove(1);
        clock.set(119_000);
        assertThat(totals.get()).containsEntry("accepted", 30L);
        clock.set(121_000);
        assertThat(totals.get()).containsEntry("accepted", 10L);
    }

    @Test
    void shouldTreatAStoreThatThrowsLikeOneThatIsAbsent() {
        held.put(0, entries("accepted", 10L));
        assertThat(totals.get()).containsEntry("accepted", 10L);

        held.put(0, storeWithAll(() -> {
            throw new InvalidStateStoreException("The state store may have migrated to another instance");
        }));
        clock.set(60_000);
        assertThat(totals.get()).containsEntry("accepted", 10L);
        clock.set(200_000);
        assertThat(totals.get()).isEmpty();
    }

    private static ReadOnlyKeyValueStore<String, Long> entries(Object... keyValues) {
        List<KeyValue<String, Long>> list = new java.util.ArrayList<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            list.add(KeyValue.pair((String) keyValues[i], (Long) keyValues[i + 1]));
        }
        return storeWithAll(() -> iterator(list.iterator()));
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
                return 0;
            }
        };
    }

    private static KeyValueIterator<String, Long> iterator(Iterator<KeyValue<String, Long>> it) {
        return new KeyValueIterator<>() {
            @Override
            public void close() {}

            @Override
            public String peekNextKey() {
                throw new UnsupportedOperationException();
            }

            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public KeyValue<String, Long> next() {
                return it.next();
            }
        };
    }
}
