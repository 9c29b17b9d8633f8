package io.vigil.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/**
 * The Kafka Streams behaviour {@link PreCommitStore} relies on, pinned so that a Kafka upgrade that
 * changes it fails here, loudly, before it can cost exactly-once.
 *
 * <p>Under {@code exactly_once_v2} the test driver commits after every input record: it prepares the
 * commit, commits the producer's transaction, then runs the post-commit step. What a store writes to its
 * changelog before the transaction commits is captured as output; what it writes later (from
 * {@link org.apache.kafka.streams.processor.StateStore#flush()} or {@code commit(Map)}, in the post-commit
 * step) stays in the next, open transaction and is not. So the changelog holding each count right after
 * its record proves that the hook runs before the transaction commits.
 */
class PreCommitStoreContractTest {
    private static final String STORE = "contract-counts";
    private static final String CHANGELOG = "contract-app-" + STORE + "-changelog";

    @Test
    void shouldWriteTheChangelogInsideTheTransactionThatCommitsTheInput() {
        try (TopologyTestDriver driver = new TopologyTestDriver(topology(), exactlyOnce())) {
            TestInputTopic<String, String> in =
                    driver.createInputTopic("in", new StringSerializer(), new StringSerializer());
            TestOutputTopic<String, Long> changelog =
                    driver.createOutputTopic(CHANGELOG, new StringDeserializer(), new LongDeserializer());

            in.pipeInput("a", "x");
            assertThat(changelog.readKeyValuesToList()).containsExactly(KeyValue.pair("a", 1L));
            in.pipeInput("a", "x");
            in.pipeInput("b", "x");
            assertThat(changelog.readKeyValuesToList()).containsExactly(KeyValue.pair("a", 2L), KeyValue.pair("b", 1L));
        }
    }

    @Test
    void shouldBeCalledThroughTheCachedStoreHookNotThroughFlush() {
        // The same topology with a store that writes only from the public flush/commit calls: its writes
        // miss the transaction they belong to. If Kafka ever calls flush before the transaction commits,
        // this test fails and PreCommitStore's internal hook can be replaced by the public one.
        try (TopologyTestDriver driver = new TopologyTestDriver(topologyWith(true), exactlyOnce())) {
            TestInputTopic<String, String> in =
                    driver.createInputTopic("in", new StringSerializer(), new StringSerializer());
            TestOutputTopic<String, Long> changelog =
                    driver.createOutputTopic(CHANGELOG, new StringDeserializer(), new LongDeserializer());
            in.pipeInput("a", "x");
            List<KeyValue<String, Long>> seen = changelog.readKeyValuesToList();
            assertThat(seen)
                    .as("writes made from StateStore#flush/commit are after the transaction")
                    .isEmpty();
        }
    }

    private static Topology topology() {
        return topologyWith(false);
    }

    /** @param publicHookOnly a store whose pre-commit hook does nothing, so only flush/commit write */
    private static Topology topologyWith(boolean publicHookOnly) {
        Topology topology = new Topology();
        topology.addSource("source", "in");
        topology.addProcessor(
                "count",
                () -> new Processor<String, String, Void, Void>() {
                    private Consumer<String> counts;

                    @Override
                    public void init(ProcessorContext<Void, Void> context) {
                        StateStore store = context.getStateStore(STORE);
                        counts = store instanceof CountsStore c ? c::increment : ((FlushOnlyCounts) store)::increment;
                    }

                    @Override
                    public void process(Record<String, String> record) {
                        counts.accept(record.key());
                    }
                },
                "source");
        if (publicHookOnly) {
            topology.addStateStore(new FlushOnlyCounts.Builder(), "count");
        } else {
            topology.addStateStore(CountsStore.builder(STORE).withLoggingEnabled(Map.of()), "count");
        }
        return topology;
    }

    /**
     * Counts like {@link CountsStore}, but written to its logged store only from the public
     * {@link StateStore#flush()} and {@link StateStore#commit(Map)}: the negative control.
     */
    private static final class FlushOnlyCounts implements StateStore {
        private final KeyValueStore<String, Long> inner = Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(STORE), Serdes.String(), Serdes.Long())
                .withLoggingEnabled(Map.of())
                .withCachingDisabled()
                .build();
        private final Map<String, Long> deltas = new HashMap<>();

        void increment(String key) {
            deltas.merge(key, 1L, Long::sum);
        }

        private void write() {
            deltas.forEach((k, d) -> inner.put(k, (inner.get(k) == null ? 0L : inner.get(k)) + d));
            deltas.clear();
        }

        @Override
        public void flush() {
            write();
            inner.flush();
        }

        @Override
        public void commit(Map<TopicPartition, Long> changelogOffsets) {
            write();
            inner.commit(changelogOffsets);
        }

        @Override
        public String name() {
            return STORE;
        }

        @Override
        public void init(StateStoreContext context, StateStore root) {
            inner.init(context, root);
        }

        @Override
        public void close() {
            inner.close();
        }

        @Override
        public boolean persistent() {
            return false;
        }

        @Override
        public boolean isOpen() {
            return inner.isOpen();
        }

        static final class Builder implements StoreBuilder<FlushOnlyCounts> {
            @Override
            public StoreBuilder<FlushOnlyCounts> withCachingEnabled() {
                return this;
            }

            @Override
            public StoreBuilder<FlushOnlyCounts> withCachingDisabled() {
                return this;
            }

            @Override
            public StoreBuilder<FlushOnlyCounts> withLoggingEnabled(Map<String, String> config) {
                return this;
            }

            @Override
            public StoreBuilder<FlushOnlyCounts> withLoggingDisabled() {
                return this;
            }

            @Override
            public FlushOnlyCounts build() {
                return new FlushOnlyCounts();
            }

            @Override
            public Map<String, String> logConfig() {
                return Map.of();
            }

            @Override
            public boolean loggingEnabled() {
                return true;
            }

            @Override
            public String name() {
                return STORE;
            }
        }
    }

    private static Properties exactlyOnce() {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "contract-app");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        return p;
    }
}
