package io.vigil.topology;

import io.vigil.events.MetricSnapshot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Utils;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Aggregation per slice and day without a repartition per record: each stream task folds its
 * records into partial aggregates on the heap ({@link HeapAggregateStore}), and every
 * {@code flushInterval} sends each partial, keyed by slice and day, through one repartition topic to
 * the task that owns the slice, which merges it into its daily buckets. Every
 * {@code snapshotInterval} the owner merges the daily buckets of each changed slice into the
 * configured windows and emits {@link MetricSnapshot}s.
 *
 * <p>Keys: a group key identifies model, version and slice ({@code model|version|dimension|value});
 * a bucket key appends the UTC epoch day ({@code group|day}).
 *
 * @param <I> the input value (a sliced prediction, an outcome change)
 * @param <A> the mergeable aggregate
 */
public final class TwoPhaseAggregation<I, A> {

    /** How one input record updates the partial aggregates of its buckets. */
    @FunctionalInterface
    public interface Accumulator<I, A> {
        /** Applies {@code value} to the aggregates returned by {@code buckets.update(bucketKey)}. */
        void accumulate(I value, Buckets<A> buckets);
    }

    /** Access to the partial aggregates of the current task. */
    @FunctionalInterface
    public interface Buckets<A> {
        A update(String group, long epochDay);
    }

    /** Turns the daily buckets of one group into snapshots. */
    public interface Snapshotter<A> {
        /** Called once per task before any snapshot, e.g. to look up global stores. */
        default void init(ProcessorContext<String, MetricSnapshot> context) {}

        /**
         * @param group       {@code model|version|dimension|value}
         * @param days        the group's daily buckets by epoch day (read-only)
         * @param currentDay  the latest epoch day this task has seen: windows end here
         */
        List<MetricSnapshot> snapshots(String group, NavigableMap<Long, A> days, long currentDay, long computedAtMs);
    }

    private final String name;
    private final Codec<A> codec;
    private final Accumulator<I, A> accumulator;
    private final Snapshotter<A> snapshotter;
    private final Duration flushInterval;
    private final Duration snapshotInterval;
    private final int retentionDays;

    /**
     * @param name             base name of the processors, stores and repartition topic (kebab-case)
     * @param retentionDays    daily buckets older than this many days before the current day are dropped
     */
    public TwoPhaseAggregation(String name, Codec<A> codec, Accumulator<I, A> accumulator,
                               Snapshotter<A> snapshotter, Duration flushInterval, Duration snapshotInterval,
                               int retentionDays) {
        this.name = name;
        this.codec = codec;
        this.accumulator = accumulator;
        this.snapshotter = snapshotter;
        this.flushInterval = flushInterval;
        this.snapshotInterval = snapshotInterval;
        this.retentionDays = retentionDays;
    }

    public static String bucketKey(String group, long epochDay) {
        return group + "|" + epochDay;
    }

    static String groupOf(String bucketKey) {
        return bucketKey.substring(0, bucketKey.lastIndexOf('|'));
    }

    static long dayOf(String bucketKey) {
        return Long.parseLong(bucketKey.substring(bucketKey.lastIndexOf('|') + 1));
    }

    /**
     * Every daily bucket of a group must reach the same task, or each task would snapshot the group
     * from its own days only: partition by the group, not by the bucket key.
     */
    static Optional<Set<Integer>> partitionByGroup(String topic, String bucketKey, byte[] value, int partitions) {
        byte[] group = groupOf(bucketKey).getBytes(StandardCharsets.UTF_8);
        return Optional.of(Set.of(Utils.toPositive(Utils.murmur2(group)) % partitions));
    }

    public String partialsStore() {
        return name + "-partials";
    }

    public String bucketsStore() {
        return name + "-buckets";
    }

    /** Adds both phases; returns the snapshots stream. */
    public KStream<String, MetricSnapshot> addTo(StreamsBuilder builder, KStream<String, I> input) {
        builder.addStateStore(HeapAggregateStore.builder(partialsStore(), codec, false));
        builder.addStateStore(HeapAggregateStore.builder(bucketsStore(), codec, true));
        return input
                .process(() -> new Partials(), Named.as(name + "-partial-aggregate"), partialsStore())
                .repartition(Repartitioned.<String, byte[]>with(Serdes.String(), Serdes.ByteArray())
                        .withName(name + "-partials")
                        .withStreamPartitioner(TwoPhaseAggregation::partitionByGroup))
                .process(() -> new Merge(), Named.as(name + "-merge-and-snapshot"), bucketsStore());
    }

    private final class Partials implements Processor<String, I, String, byte[]> {
        private ProcessorContext<String, byte[]> context;
        private HeapAggregateStore<A> store;

        @Override
        public void init(ProcessorContext<String, byte[]> context) {
            this.context = context;
            this.store = context.getStateStore(partialsStore());
            context.schedule(flushInterval, PunctuationType.WALL_CLOCK_TIME, this::flush);
        }

        @Override
        public void process(Record<String, I> record) {
            accumulator.accumulate(record.value(), (group, day) -> store.update(bucketKey(group, day)));
        }

        private void flush(long now) {
            if (store.size() == 0) {
                return;
            }
            List<String> keys = new ArrayList<>(store.all().keySet());
            for (String key : keys) {
                context.forward(new Record<>(key, codec.toBytes(store.get(key)), now));
                store.remove(key);
            }
        }
    }

    private final class Merge implements Processor<String, byte[], String, MetricSnapshot> {
        private ProcessorContext<String, MetricSnapshot> context;
        private HeapAggregateStore<A> store;
        private final Set<String> changed = new HashSet<>();
        private long currentDay = Long.MIN_VALUE;
        private boolean recovered;

        @Override
        public void init(ProcessorContext<String, MetricSnapshot> context) {
            this.context = context;
            this.store = context.getStateStore(bucketsStore());
            snapshotter.init(context);
            context.schedule(snapshotInterval, PunctuationType.WALL_CLOCK_TIME, this::snapshot);
        }

        @Override
        public void process(Record<String, byte[]> record) {
            A partial = codec.fromBytes(record.value());
            codec.merge(store.update(record.key()), partial);
            changed.add(groupOf(record.key()));
            currentDay = Math.max(currentDay, dayOf(record.key()));
        }

        private void snapshot(long now) {
            if (!recovered) {
                // After a restart nothing is known to be unchanged: snapshot every group once.
                for (String key : store.all().keySet()) {
                    changed.add(groupOf(key));
                    currentDay = Math.max(currentDay, dayOf(key));
                }
                recovered = true;
            }
            if (changed.isEmpty()) {
                return;
            }
            Map<String, NavigableMap<Long, A>> byGroup = new HashMap<>();
            List<String> expired = new ArrayList<>();
            for (Map.Entry<String, A> e : store.all().entrySet()) {
                long day = dayOf(e.getKey());
                if (day < currentDay - retentionDays) {
                    expired.add(e.getKey());
                    continue;
                }
                String group = groupOf(e.getKey());
                if (changed.contains(group)) {
                    byGroup.computeIfAbsent(group, g -> new TreeMap<>()).put(day, e.getValue());
                }
            }
            expired.forEach(store::remove);
            for (Map.Entry<String, NavigableMap<Long, A>> g : byGroup.entrySet()) {
                for (MetricSnapshot s : snapshotter.snapshots(g.getKey(), g.getValue(), currentDay, now)) {
                    context.forward(new Record<>(s.key(), s, now));
                }
            }
            changed.clear();
        }
    }
}
