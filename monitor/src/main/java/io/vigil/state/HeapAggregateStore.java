package io.vigil.state;

import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Mergeable aggregates kept as live objects on the heap, and written to a changelogged store only
 * when Kafka Streams prepares a commit.
 *
 * <p>A DSL aggregate deserialises and reserialises its value on every record, which halves the
 * throughput of a sketch update. Here a record updates the object in place and marks it dirty; at
 * each commit the dirty objects are serialised once into the inner store, inside the same
 * transaction as the input offsets and the outputs. After a crash the inner store is restored from
 * its changelog and the uncommitted input is replayed, so under {@code exactly_once_v2} every record
 * counts exactly once.
 *
 * <p>The commit hook is {@link PreCommitStore}'s: the one place Vigil relies on a Kafka Streams
 * internal interface, and why.
 */
public final class HeapAggregateStore<A> extends PreCommitStore {
    private final String name;
    private final Codec<A> codec;
    private final KeyValueStore<String, byte[]> inner;
    private final Map<String, A> heap = new HashMap<>();
    private final Set<String> dirty = new HashSet<>();
    /** Changes whenever an aggregate returned by {@link #update} may stop being the live, dirty one. */
    private long epoch;

    private boolean open;

    private HeapAggregateStore(String name, Codec<A> codec, KeyValueStore<String, byte[]> inner) {
        this.name = name;
        this.codec = codec;
        this.inner = inner;
    }

    /** A builder for a store of this kind, logged to a changelog topic named after the store. */
    public static <A> StoreBuilder<HeapAggregateStore<A>> builder(String name, Codec<A> codec, boolean persistent) {
        return new Builder<>(name, codec, persistent);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        inner.init(context, root);
        // Kafka Streams re-initialises the same store object when it revives a task (after fencing or
        // a corrupted task): start from what the inner store holds, never from an earlier life's heap.
        heap.clear();
        dirty.clear();
        loaded = false;
        epoch++;
        open = true;
    }

    /** Loads every stored aggregate into the heap; called lazily on first access after init or a restore. */
    private boolean loaded;

    private void ensureLoaded() {
        if (loaded) {
            return;
        }
        try (KeyValueIterator<String, byte[]> it = inner.all()) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> kv = it.next();
                heap.put(kv.key, codec.fromBytes(kv.value));
            }
        }
        loaded = true;
    }

    /** The aggregate under {@code key}, created empty if absent, marked dirty: the caller will change it. */
    public A update(String key) {
        ensureLoaded();
        dirty.add(key);
        return heap.computeIfAbsent(key, k -> codec.empty());
    }

    /** The aggregate under {@code key}, or null. Callers must not change it (use {@link #update}). */
    public A get(String key) {
        ensureLoaded();
        return heap.get(key);
    }

    /**
     * A number that stays the same as long as every aggregate returned by {@link #update} since it
     * was read is still in the heap and still marked dirty (no flush, clear or removal since): a
     * caller holding such an aggregate may keep changing it without calling {@code update} again.
     */
    public long epoch() {
        return epoch;
    }

    public void remove(String key) {
        ensureLoaded();
        epoch++;
        if (heap.remove(key) != null) {
            dirty.add(key);
        }
    }

    /** A read-only view of every aggregate. */
    public Map<String, A> all() {
        ensureLoaded();
        return Collections.unmodifiableMap(heap);
    }

    public int size() {
        ensureLoaded();
        return heap.size();
    }

    @Override
    protected void writeBeforeCommit() {
        if (dirty.isEmpty()) {
            return;
        }
        epoch++;
        for (String key : dirty) {
            A a = heap.get(key);
            if (a == null) {
                inner.delete(key);
            } else {
                inner.put(key, codec.toBytes(a));
            }
        }
        dirty.clear();
    }

    @Override
    protected void discardUnwritten() {
        // Uncommitted changes are discarded (the task is being closed dirty): reload from the store.
        epoch++;
        heap.clear();
        dirty.clear();
        loaded = false;
    }

    @Override
    public void flush() {
        writeBeforeCommit();
        inner.flush();
    }

    @Override
    public void commit(Map<org.apache.kafka.common.TopicPartition, Long> changelogOffsets) {
        writeBeforeCommit();
        inner.commit(changelogOffsets);
    }

    @Override
    public void close() {
        open = false;
        epoch++;
        loaded = false;
        heap.clear();
        dirty.clear();
        inner.close();
    }

    @Override
    public boolean persistent() {
        return inner.persistent();
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    private static final class Builder<A> implements StoreBuilder<HeapAggregateStore<A>> {
        private final String name;
        private final Codec<A> codec;
        private final boolean persistent;
        private Map<String, String> logConfig = new HashMap<>();
        private boolean logging = true;

        Builder(String name, Codec<A> codec, boolean persistent) {
            this.name = name;
            this.codec = codec;
            this.persistent = persistent;
        }

        @Override
        public StoreBuilder<HeapAggregateStore<A>> withCachingEnabled() {
            return this; // the heap is the cache
        }

        @Override
        public StoreBuilder<HeapAggregateStore<A>> withCachingDisabled() {
            return this;
        }

        @Override
        public StoreBuilder<HeapAggregateStore<A>> withLoggingEnabled(Map<String, String> config) {
            logging = true;
            logConfig = new HashMap<>(config);
            return this;
        }

        @Override
        public StoreBuilder<HeapAggregateStore<A>> withLoggingDisabled() {
            logging = false;
            return this;
        }

        @Override
        public HeapAggregateStore<A> build() {
            StoreBuilder<KeyValueStore<String, byte[]>> inner = Stores.keyValueStoreBuilder(
                            persistent ? Stores.persistentKeyValueStore(name) : Stores.inMemoryKeyValueStore(name),
                            Serdes.String(),
                            Serdes.ByteArray())
                    .withCachingDisabled();
            inner = logging ? inner.withLoggingEnabled(logConfig) : inner.withLoggingDisabled();
            return new HeapAggregateStore<>(name, codec, inner.build());
        }

        @Override
        public Map<String, String> logConfig() {
            return logConfig;
        }

        @Override
        public boolean loggingEnabled() {
            return logging;
        }

        @Override
        public String name() {
            return name;
        }
    }
}
