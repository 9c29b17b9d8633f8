package io.vigil.state;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.junit.jupiter.api.Test;

/** The heap store's life cycle: commit, dirty close, and a task revived on the same store object. */
class HeapAggregateStoreTest {
    private static final Codec<long[]> COUNT = new Codec<>() {
        @Override
        public long[] empty() {
            return new long[1];
        }

        @Override
        public void merge(long[] into, long[] from) {
            into[0] += from[0];
        }

        @Override
        public byte[] toBytes(long[] a) {
            return Long.toString(a[0]).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }

        @Override
        public long[] fromBytes(byte[] bytes) {
            return new long[] {Long.parseLong(new String(bytes, java.nio.charset.StandardCharsets.UTF_8))};
        }
    };

    @org.junit.jupiter.api.io.TempDir
    java.io.File stateDir;

    private MockProcessorContext<String, String> context;
    // RocksDB keeps what was flushed across close, as a restore from the changelog would.
    private HeapAggregateStore<long[]> store;

    @org.junit.jupiter.api.BeforeEach
    void setUp() {
        java.util.Properties config = new java.util.Properties();
        config.put(org.apache.kafka.streams.StreamsConfig.APPLICATION_ID_CONFIG, "heap-store-test");
        config.put(org.apache.kafka.streams.StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        context = new MockProcessorContext<>(config, new org.apache.kafka.streams.processor.TaskId(0, 0), stateDir);
        store = HeapAggregateStore.builder("counts", COUNT, true)
                .withLoggingDisabled()
                .build();
    }

    @org.junit.jupiter.api.AfterEach
    void tearDown() {
        if (store.isOpen()) {
            store.close();
        }
    }

    @Test
    void shouldStartFromTheStoreWhenTheSameObjectIsInitialisedAgain() {
        store.init(context.getStateStoreContext(), store);
        store.update("a")[0] += 5;
        store.flushCache(); // committed: 5
        store.update("a")[0] += 3; // uncommitted
        store.close();
        // A revived task: same object, init again. The uncommitted 3 must be gone, the committed 5 back.
        store.init(context.getStateStoreContext(), store);
        assertThat(store.get("a")).containsExactly(5L);
        store.update("a")[0] += 1;
        store.flushCache();
        assertThat(store.get("a")).containsExactly(6L);
    }

    @Test
    void shouldDropUncommittedChangesOnADirtyCloseAndReloadTheCommittedOnes() {
        store.init(context.getStateStoreContext(), store);
        store.update("a")[0] += 2;
        store.flushCache();
        long epoch = store.epoch();
        store.update("a")[0] += 7;
        store.clearCache();
        assertThat(store.epoch()).as("held aggregates are no longer live").isNotEqualTo(epoch);
        assertThat(store.get("a")).containsExactly(2L);
    }
}
