package io.vigil.state;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Exactly-once event counters (ingest outcomes, outcome-join events) for a stage that counts every
 * record: {@link #increment} adds to a heap delta, and the deltas are written into a changelogged
 * key-value store once per commit (Kafka Streams' pre-commit hook, {@link PreCommitStore},
 * as {@link HeapAggregateStore} does), inside the transaction that commits the input offsets. A
 * caching store would serialise and look up the key twice per record instead.
 *
 * <p>Reads ({@link #get}, {@link #all}, ...; what interactive queries and {@code /metrics} see) return
 * the <em>flushed</em> counts, so a reader on another thread never sees a half-applied delta, and
 * the exported counters do not run ahead of what has been committed by more than the commit in
 * progress.
 */
public final class CountsStore extends PreCommitStore implements ReadOnlyKeyValueStore<String, Long> {
    private final KeyValueStore<String, Long> inner;
    /** Counts added since the last flush; touched by the stream thread only. */
    private final Map<String, long[]> deltas = new HashMap<>();

    private CountsStore(KeyValueStore<String, Long> inner) {
        this.inner = inner;
    }

    /** A builder for an in-memory counts store logged to a changelog named after it. */
    public static StoreBuilder<CountsStore> builder(String name) {
        return new Builder(name);
    }

    /** Adds one to {@code key}: becomes visible to readers at the next commit. */
    public void increment(String key) {
        deltas.computeIfAbsent(key, k -> new long[1])[0]++;
    }

    @Override
    protected void writeBeforeCommit() {
        if (deltas.isEmpty()) {
            return;
        }
        for (Map.Entry<String, long[]> e : deltas.entrySet()) {
            Long current = inner.get(e.getKey());
            inner.put(e.getKey(), (current == null ? 0L : current) + e.getValue()[0]);
        }
        deltas.clear();
    }

    @Override
    protected void discardUnwritten() {
        deltas.clear(); // the task is closed dirty: uncommitted counts go with its uncommitted input
    }

    // ---- ReadOnlyKeyValueStore (interactive queries, tests): flushed counts ----
    // Not a KeyValueStore on purpose: Kafka Streams would hand processors a decorator instead of this class.

    @Override
    public Long get(String key) {
        return inner.get(key);
    }

    @Override
    public KeyValueIterator<String, Long> range(String from, String to) {
        return inner.range(from, to);
    }

    @Override
    public KeyValueIterator<String, Long> reverseRange(String from, String to) {
        return inner.reverseRange(from, to);
    }

    @Override
    public KeyValueIterator<String, Long> all() {
        return inner.all();
    }

    @Override
    public KeyValueIterator<String, Long> reverseAll() {
        return inner.reverseAll();
    }

    @Override
    public long approximateNumEntries() {
        return inner.approximateNumEntries();
    }

    // ---- StateStore ----

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        inner.init(context, root);
    }

    @Override
    public void flush() {
        writeBeforeCommit();
        inner.flush();
    }

    @Override
    public void commit(Map<TopicPartition, Long> changelogOffsets) {
        writeBeforeCommit();
        inner.commit(changelogOffsets);
    }

    @Override
    public void close() {
        deltas.clear();
        inner.close();
    }

    @Override
    public boolean persistent() {
        return inner.persistent();
    }

    @Override
    public boolean isOpen() {
        return inner.isOpen();
    }

    @Override
    public <R> QueryResult<R> query(Query<R> query, PositionBound positionBound, QueryConfig config) {
        return inner.query(query, positionBound, config);
    }

    @Override
    public Position getPosition() {
        return inner.getPosition();
    }

    private static final class Builder implements StoreBuilder<CountsStore> {
        private final String name;
        private Map<String, String> logConfig = new HashMap<>();
        private boolean logging = true;

        Builder(String name) {
            this.name = name;
        }

        @Override
        public StoreBuilder<CountsStore> withCachingEnabled() {
            return this; // the deltas are the cache
        }

        @Override
        public StoreBuilder<CountsStore> withCachingDisabled() {
            return this;
        }

        @Override
        public StoreBuilder<CountsStore> withLoggingEnabled(Map<String, String> config) {
            logging = true;
            logConfig = new HashMap<>(config);
            return this;
        }

        @Override
        public StoreBuilder<CountsStore> withLoggingDisabled() {
            logging = false;
            return this;
        }

        @Override
        public CountsStore build() {
            StoreBuilder<KeyValueStore<String, Long>> inner = Stores.keyValueStoreBuilder(
                            Stores.inMemoryKeyValueStore(name), Serdes.String(), Serdes.Long())
                    .withCachingDisabled();
            inner = logging ? inner.withLoggingEnabled(logConfig) : inner.withLoggingDisabled();
            return new CountsStore(inner.build());
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
