package io.vigil.stages.shared;

import io.vigil.events.Prediction;
import io.vigil.events.Slice;
import io.vigil.topics.Topic;
import io.vigil.topics.Topics;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * Decides, once for the whole cluster, which values of each slice dimension a model version admits:
 * the first {@code maxValues} values requested, in the order one owner sees the requests; every later
 * value is {@link Slice#OTHER}. This is what bounds Prometheus series and memory however many tasks,
 * instances and scanner ids there are (a cap per task would let 6 partitions admit 6 × the cap).
 *
 * <p>How: a task that meets a value it has no decision for sends a request (key
 * {@code model|version|dimension}, value the slice value) through the single-partition repartition
 * topic {@code <application.id>-slice-admission-requests-repartition}. The one task that reads it, the
 * owner, keeps the admitted values in its store ({@link #OWNER_STORE}, changelogged) and publishes each
 * decision on the compacted single-partition topic {@code <application.id>-slice-admissions}:
 * {@code model|version|dimension|value → 1} for an admitted value, and once the dimension is full
 * {@code model|version|dimension|\0full → cap}. Every instance reads that topic as a global store
 * ({@link #STORE}). Decisions are final: an admitted value stays admitted and a full dimension stays
 * full (at that cap), so tasks may cache them. Raising {@code slices.max-values} admits more values for
 * dimensions that were full at the lower cap; lowering it keeps the values already admitted.
 * Admitted values are written before the full marker on the same partition, so a task that sees the
 * marker sees every admitted value.
 *
 * <p>Only the first records of a new value wait for the decision ({@code SliceAssignment} holds them);
 * under exactly-once the request, the decision and the held records are all transactional.
 */
public final class SliceAdmission {
    /** The global store of decisions, read by every task. */
    public static final String STORE = "slice-admissions";
    /** The owner's admitted values and counts. */
    public static final String OWNER_STORE = "slice-admission-owner";

    static final String FULL = "\u0000full";
    private static final String COUNT = "\u0000count";
    /** A task asks again for a value still undecided after this long (a request lost under at-least-once). */
    static final Duration ASK_AGAIN = Duration.ofSeconds(30);

    /** What the decisions say about one value. */
    public enum Decision {
        ADMITTED,
        OTHER,
        UNDECIDED
    }

    private final Topics topics;
    private final int maxValues;
    /** Writes to this instance's global store, ever: tasks look again at what they hold when it moves. */
    private final AtomicLong version = new AtomicLong();

    public SliceAdmission(Topics topics, int maxValues) {
        if (maxValues < 1) {
            throw new IllegalArgumentException("maxValues must be >= 1");
        }
        this.topics = topics;
        this.maxValues = maxValues;
    }

    int maxValues() {
        return maxValues;
    }

    /** Increases whenever the global store of decisions changes on this instance. */
    public long version() {
        return version.get();
    }

    /**
     * Adds the global store of decisions, the requests from {@code predictions} and the owner. Call once,
     * before {@code SliceAssignment#addTo}.
     */
    public void addTo(StreamsBuilder builder, KStream<String, Prediction> predictions, List<String> attributes) {
        Topic<String, Long> decisions = topics.sliceAdmissions();
        builder.addGlobalStore(
                Stores.keyValueStoreBuilder(
                                Stores.inMemoryKeyValueStore(STORE), decisions.keySerde(), decisions.valueSerde())
                        .withLoggingDisabled(),
                decisions.name(),
                decisions.consumed("slice-admissions-source"),
                () -> new View());
        builder.addStateStore(
                Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(OWNER_STORE), Serdes.String(), Serdes.Long()));
        predictions
                .process(() -> new Ask(attributes), Named.as("slice-admission-ask"))
                .repartition(Repartitioned.with(Serdes.String(), Serdes.String())
                        .withNumberOfPartitions(1)
                        .withName("slice-admission-requests"))
                .process(Owner::new, Named.as("slice-admission-owner"), OWNER_STORE)
                .to(decisions.name(), decisions.produced("slice-admissions-sink"));
    }

    /** The dimension key of a slice of a prediction's model version: {@code model|version|dimension}. */
    public static String dimensionKey(Prediction p, String dimension) {
        return p.model().id() + "|" + p.model().version() + "|" + dimension;
    }

    /**
     * A task's view of the decisions: the global store behind a cache of what is final (admitted values and
     * full dimensions), so a repeated value costs one hash lookup and hostile ids cannot grow the cache.
     */
    public final class Decisions {
        private final ReadOnlyKeyValueStore<String, Long> store;
        private final Map<String, Set<String>> admitted = new HashMap<>();
        private final Set<String> full = new HashSet<>();

        public Decisions(ProcessorContext<?, ?> context) {
            this.store = context.getStateStore(STORE);
        }

        public Decision of(String dimensionKey, String value) {
            Set<String> values = admitted.get(dimensionKey);
            if (values != null && values.contains(value)) {
                return Decision.ADMITTED;
            }
            if (full.contains(dimensionKey)) {
                return Decision.OTHER;
            }
            if (store.get(dimensionKey + "|" + value) != null) {
                admitted.computeIfAbsent(dimensionKey, k -> new HashSet<>()).add(value);
                return Decision.ADMITTED;
            }
            Long cap = store.get(dimensionKey + "|" + FULL);
            if (cap != null && cap >= maxValues) {
                // Final: every admitted value was written before the marker, so take them all now; from here
                // on a value not in the cache is 'other' without a store lookup.
                Set<String> all = admitted.computeIfAbsent(dimensionKey, k -> new HashSet<>());
                try (KeyValueIterator<String, Long> it = store.prefixScan(dimensionKey + "|", new StringSerializer())) {
                    while (it.hasNext()) {
                        String key = it.next().key;
                        String v = key.substring(dimensionKey.length() + 1);
                        if (!v.equals(FULL)) {
                            all.add(v);
                        }
                    }
                }
                full.add(dimensionKey);
                return all.contains(value) ? Decision.ADMITTED : Decision.OTHER;
            }
            return Decision.UNDECIDED;
        }
    }

    /** The global store's writer: applies each decision (a null value deletes) and moves the version. */
    private final class View implements Processor<String, Long, Void, Void> {
        private KeyValueStore<String, Long> store;

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            store = context.getStateStore(STORE);
        }

        @Override
        public void process(Record<String, Long> record) {
            if (record.key() == null) {
                return;
            }
            if (record.value() == null) {
                store.delete(record.key());
            } else {
                store.put(record.key(), record.value());
            }
            version.incrementAndGet();
        }
    }

    /** Sends a request for every value of a prediction that has no decision yet (once per value, then every {@link #ASK_AGAIN}). */
    private final class Ask implements Processor<String, Prediction, String, String> {
        private final List<String> attributes;
        private final Map<String, Long> askedAt = new HashMap<>();
        private ProcessorContext<String, String> context;
        private Decisions decisions;

        Ask(List<String> attributes) {
            this.attributes = attributes;
        }

        @Override
        public void init(ProcessorContext<String, String> context) {
            this.context = context;
            this.decisions = new Decisions(context);
            askedAt.clear();
        }

        @Override
        public void process(Record<String, Prediction> record) {
            Prediction p = record.value();
            for (Slice s : Slice.candidates(p, attributes)) {
                if (s == Slice.ALL) {
                    continue;
                }
                String dimensionKey = dimensionKey(p, s.dimension());
                if (decisions.of(dimensionKey, s.value()) != Decision.UNDECIDED) {
                    askedAt.remove(dimensionKey + "|" + s.value());
                    continue;
                }
                long now = context.currentSystemTimeMs();
                Long asked = askedAt.get(dimensionKey + "|" + s.value());
                if (asked == null || now - asked >= ASK_AGAIN.toMillis()) {
                    askedAt.put(dimensionKey + "|" + s.value(), now);
                    context.forward(new Record<>(dimensionKey, s.value(), record.timestamp()));
                }
            }
            if (askedAt.size() > 100_000) {
                askedAt.clear(); // a flood of new values before the first decisions arrive: ask again later
            }
        }
    }

    /** The single owner: admits the first {@code maxValues} values per dimension key and publishes decisions. */
    private final class Owner implements Processor<String, String, String, Long> {
        private ProcessorContext<String, Long> context;
        private KeyValueStore<String, Long> store;

        @Override
        public void init(ProcessorContext<String, Long> context) {
            this.context = context;
            this.store = context.getStateStore(OWNER_STORE);
        }

        @Override
        public void process(Record<String, String> record) {
            String dimensionKey = record.key();
            String value = record.value();
            if (dimensionKey == null || value == null) {
                return;
            }
            String key = dimensionKey + "|" + value;
            if (store.get(key) != null) {
                context.forward(new Record<>(key, 1L, record.timestamp()));
                return;
            }
            Long counted = store.get(dimensionKey + COUNT);
            long n = counted == null ? 0 : counted;
            if (n < maxValues) {
                store.put(key, 1L);
                store.put(dimensionKey + COUNT, ++n);
                context.forward(new Record<>(key, 1L, record.timestamp()));
            }
            if (n >= maxValues) {
                context.forward(new Record<>(dimensionKey + "|" + FULL, (long) maxValues, record.timestamp()));
            }
        }
    }
}
