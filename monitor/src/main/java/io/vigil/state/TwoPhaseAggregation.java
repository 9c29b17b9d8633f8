package io.vigil.state;

import io.vigil.events.MetricSnapshot;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Utils;
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
 * configured windows and emits {@link MetricSnapshot}s. A slice counts as changed when a partial for it
 * arrived, when the latest day moved (every window ends there), or when what its snapshots read besides
 * its buckets changed ({@link Snapshotter#inputsBesideBuckets}, e.g. its version's reference): so the last
 * snapshot of every slice is the same however the wall clock interleaved with the input.
 *
 * <p>Keys: a group key identifies model, version and slice ({@code model|version|dimension|value});
 * a bucket key appends the UTC epoch day ({@code group|day}).
 *
 * <h2>Per-group baselines (optional: {@code baselineDays > 0})</h2>
 * Each group's first {@code baselineDays} UTC days, counted from the first day the owner task saw for
 * the group, are also merged into one permanent baseline aggregate per group, kept in a second store
 * ({@code <name>-baselines}) under the key {@code group|firstDay}. It never expires (retention applies
 * to daily buckets only), and the key itself carries the start of the period, so after a restart the
 * store restored from its changelog is the whole truth: the in-memory index group -> first day is
 * rebuilt from the store keys. Rules, chosen for the two-phase flow where partials arrive per
 * (group, day) in any order between tasks:
 * <ul>
 *   <li>the period is {@code [firstDay, firstDay + baselineDays)}; a partial of a day in it joins the
 *       baseline whenever it arrives (records late within the upstream grace period still count for
 *       their own day); a partial of a day before {@code firstDay} (late, or overtaken by a later day
 *       from another task) joins only its daily bucket;</li>
 *   <li>each task flushes its partials in (group, day) order, so one task's first flush cannot start a
 *       group's baseline on its second day;</li>
 *   <li>the baseline is complete once the task's current day is past the period
 *       ({@code currentDay >= firstDay + baselineDays}); snapshotters decide what to do before that.</li>
 * </ul>
 * Slice values are capped per dimension, so the baselines are bounded by the number of groups.
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

    /**
     * A group's baseline: the merge of its daily buckets of {@code [firstDay, firstDay + days)}.
     *
     * @param firstDay  the first UTC epoch day the group was seen
     * @param days      length of the baseline period in days
     * @param aggregate the merged aggregate (read-only; may still grow while the period is open or
     *                  late records of its days arrive)
     * @param complete  whether the current day is past the period
     */
    public record Baseline<A>(long firstDay, int days, A aggregate, boolean complete) {
        /** The last epoch day of the period (inclusive). */
        public long lastDay() {
            return firstDay + days - 1;
        }

        /** Whether the window of {@code windowDays} days ending on {@code endDay} shares a day with the period. */
        public boolean overlaps(long endDay, int windowDays) {
            return endDay - windowDays + 1 <= lastDay() && endDay >= firstDay;
        }
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

        /**
         * As {@link #snapshots(String, NavigableMap, long, long)}, with the group's baseline when the
         * aggregation keeps baselines. The default ignores the baseline, so stages without one are
         * unchanged.
         *
         * @param baseline the group's baseline, or null (baselines disabled, or none yet)
         */
        default List<MetricSnapshot> snapshots(
                String group, NavigableMap<Long, A> days, Baseline<A> baseline, long currentDay, long computedAtMs) {
            return snapshots(group, days, currentDay, computedAtMs);
        }

        /**
         * What the group's snapshots read besides its buckets (for example the version's reference profile), as
         * a value whose {@code equals} tells whether it changed; null for nothing. When it differs from what it
         * was at the group's last snapshot, the group is snapshotted again although no record arrived: else a
         * reference published after a slice's last record (a burn-in completing at the end of a replay) would
         * reach that slice's metrics or not depending on wall-clock timing.
         */
        default Object inputsBesideBuckets(String group) {
            return null;
        }
    }

    private final String name;
    private final Codec<A> codec;
    private final Accumulator<I, A> accumulator;
    private final Snapshotter<A> snapshotter;
    private final Duration flushInterval;
    private final Duration snapshotInterval;
    private final int retentionDays;
    private final int baselineDays;

    /**
     * Without baselines.
     *
     * @param name             base name of the processors, stores and repartition topic (kebab-case)
     * @param retentionDays    daily buckets older than this many days before the current day are dropped
     */
    public TwoPhaseAggregation(
            String name,
            Codec<A> codec,
            Accumulator<I, A> accumulator,
            Snapshotter<A> snapshotter,
            Duration flushInterval,
            Duration snapshotInterval,
            int retentionDays) {
        this(name, codec, accumulator, snapshotter, flushInterval, snapshotInterval, retentionDays, 0);
    }

    /**
     * @param name             base name of the processors, stores and repartition topic (kebab-case)
     * @param retentionDays    daily buckets older than this many days before the current day are dropped
     * @param baselineDays     length of each group's baseline period in days; 0 keeps no baselines
     */
    public TwoPhaseAggregation(
            String name,
            Codec<A> codec,
            Accumulator<I, A> accumulator,
            Snapshotter<A> snapshotter,
            Duration flushInterval,
            Duration snapshotInterval,
            int retentionDays,
            int baselineDays) {
        if (baselineDays < 0) {
            throw new IllegalArgumentException("baselineDays must be >= 0, got " + baselineDays);
        }
        this.baselineDays = baselineDays;
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

    public static String groupOf(String bucketKey) {
        return bucketKey.substring(0, bucketKey.lastIndexOf('|'));
    }

    public static long dayOf(String bucketKey) {
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

    /** Name of the store of per-group baselines (keys {@code group|firstDay}); present when baselineDays > 0. */
    public String baselinesStore() {
        return name + "-baselines";
    }

    /** Length of the baseline period in days; 0 when baselines are off. */
    public int baselineDays() {
        return baselineDays;
    }

    /** Adds both phases; returns the snapshots stream. */
    public KStream<String, MetricSnapshot> addTo(StreamsBuilder builder, KStream<String, I> input) {
        builder.addStateStore(HeapAggregateStore.builder(partialsStore(), codec, false));
        builder.addStateStore(HeapAggregateStore.builder(bucketsStore(), codec, true));
        String[] mergeStores = {bucketsStore()};
        if (baselineDays > 0) {
            builder.addStateStore(HeapAggregateStore.builder(baselinesStore(), codec, true));
            mergeStores = new String[] {bucketsStore(), baselinesStore()};
        }
        return input.process(() -> new Partials(), Named.as(name + "-partial-aggregate"), partialsStore())
                .repartition(Repartitioned.<String, byte[]>with(Serdes.String(), Serdes.ByteArray())
                        .withName(name + "-partials")
                        .withStreamPartitioner(TwoPhaseAggregation::partitionByGroup))
                .process(() -> new Merge(), Named.as(name + "-merge-and-snapshot"), mergeStores);
    }

    /** A new instance of the merge-and-snapshot processor (what {@link #addTo} wires in); for tests. */
    Processor<String, byte[], String, MetricSnapshot> newMergeProcessor() {
        return new Merge();
    }

    /** A group's latest bucket: its key and, while the store's epoch holds, its live dirty aggregate. */
    private static final class LastBucket<A> {
        final long day;
        final String key;
        A aggregate;
        long epoch;

        LastBucket(long day, String key) {
            this.day = day;
            this.key = key;
        }
    }

    private final class Partials implements Processor<String, I, String, byte[]> {
        private ProcessorContext<String, byte[]> context;
        private HeapAggregateStore<A> store;

        @Override
        public void init(ProcessorContext<String, byte[]> context) {
            this.context = context;
            this.store = context.getStateStore(partialsStore());
            lastBuckets.clear();
            context.schedule(flushInterval, PunctuationType.WALL_CLOCK_TIME, this::flush);
        }

        /** group -> its latest bucket key: most records of a group fall on the same day as the previous one. */
        private final java.util.Map<String, LastBucket<A>> lastBuckets = new java.util.HashMap<>();

        private final Buckets<A> buckets = (group, day) -> {
            LastBucket<A> last = lastBuckets.get(group);
            if (last == null || last.day != day) {
                last = new LastBucket<>(day, bucketKey(group, day));
                lastBuckets.put(group, last);
            }
            if (last.aggregate == null || last.epoch != store.epoch()) {
                last.aggregate = store.update(last.key);
                last.epoch = store.epoch();
            }
            return last.aggregate;
        };

        @Override
        public void process(Record<String, I> record) {
            accumulator.accumulate(record.value(), buckets);
        }

        private void flush(long now) {
            if (store.size() == 0) {
                return;
            }
            List<String> keys = new ArrayList<>(store.all().keySet());
            // (group, day) order: a group's earlier day reaches its owner first, which matters for where
            // its baseline period starts.
            keys.sort(BUCKET_ORDER);
            for (String key : keys) {
                context.forward(new Record<>(key, codec.toBytes(store.get(key)), now));
                store.remove(key);
            }
        }
    }

    private static final java.util.Comparator<String> BUCKET_ORDER = java.util.Comparator.<String, String>comparing(
                    TwoPhaseAggregation::groupOf)
            .thenComparingLong(TwoPhaseAggregation::dayOf);

    private final class Merge implements Processor<String, byte[], String, MetricSnapshot> {
        private ProcessorContext<String, MetricSnapshot> context;
        private HeapAggregateStore<A> store;
        private HeapAggregateStore<A> baselines;
        /** group -> first day of its baseline: derived from the baseline store's keys, rebuilt on init. */
        private Map<String, Long> baselineStart;

        private final Set<String> changed = new HashSet<>();
        /** group -> {@link Snapshotter#inputsBesideBuckets} at its last snapshot. */
        private final Map<String, Object> inputsAtSnapshot = new HashMap<>();

        private long currentDay = Long.MIN_VALUE;
        /** {@link #currentDay} at the last snapshot round: when it moves, every group's windows move. */
        private long snapshotDay = Long.MIN_VALUE;

        private boolean recovered;

        @Override
        public void init(ProcessorContext<String, MetricSnapshot> context) {
            // Kafka Streams may revive a task in the same processor objects after restoring its stores
            // (TaskCorruptedException): nothing from before may survive here.
            this.changed.clear();
            this.inputsAtSnapshot.clear();
            this.currentDay = Long.MIN_VALUE;
            this.snapshotDay = Long.MIN_VALUE;
            this.recovered = false;
            this.context = context;
            this.store = context.getStateStore(bucketsStore());
            if (baselineDays > 0) {
                this.baselines = context.getStateStore(baselinesStore());
                this.baselineStart = null;
            }
            snapshotter.init(context);
            context.schedule(snapshotInterval, PunctuationType.WALL_CLOCK_TIME, this::snapshot);
        }

        @Override
        public void process(Record<String, byte[]> record) {
            A partial = codec.fromBytes(record.value());
            codec.merge(store.update(record.key()), partial);
            String group = groupOf(record.key());
            long day = dayOf(record.key());
            changed.add(group);
            currentDay = Math.max(currentDay, day);
            if (baselines != null) {
                Long first = baselineStarts().get(group);
                if (first == null) {
                    first = day;
                    baselineStart.put(group, first);
                }
                if (day >= first && day < first + baselineDays) {
                    codec.merge(baselines.update(bucketKey(group, first)), partial);
                }
            }
        }

        private Map<String, Long> baselineStarts() {
            if (baselineStart == null) {
                baselineStart = new HashMap<>();
                for (String key : baselines.all().keySet()) {
                    baselineStart.merge(groupOf(key), dayOf(key), Math::min);
                }
            }
            return baselineStart;
        }

        private Baseline<A> baseline(String group) {
            if (baselines == null) {
                return null;
            }
            Long first = baselineStarts().get(group);
            A a = first == null ? null : baselines.get(bucketKey(group, first));
            return a == null ? null : new Baseline<>(first, baselineDays, a, currentDay >= first + baselineDays);
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
            inputsAtSnapshot.forEach((group, inputs) -> {
                if (!Objects.equals(inputs, snapshotter.inputsBesideBuckets(group))) {
                    changed.add(group);
                }
            });
            // A new latest day moves every group's windows (they end at it), not only those with new records:
            // else a slice's last snapshot would end wherever the latest day was when its last record came,
            // which depends on wall-clock timing.
            boolean dayMoved = currentDay != snapshotDay;
            if (changed.isEmpty() && !dayMoved) {
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
                if (dayMoved || changed.contains(group)) {
                    byGroup.computeIfAbsent(group, g -> new TreeMap<>()).put(day, e.getValue());
                }
            }
            expired.forEach(store::remove);
            changed.forEach(inputsAtSnapshot::remove); // groups left without buckets
            for (Map.Entry<String, NavigableMap<Long, A>> g : byGroup.entrySet()) {
                inputsAtSnapshot.put(g.getKey(), snapshotter.inputsBesideBuckets(g.getKey()));
                List<MetricSnapshot> out =
                        snapshotter.snapshots(g.getKey(), g.getValue(), baseline(g.getKey()), currentDay, now);
                for (MetricSnapshot s : out) {
                    context.forward(new Record<>(s.key(), s, now));
                }
            }
            changed.clear();
            snapshotDay = currentDay;
        }
    }
}
