package io.vigil.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.events.MetricSnapshot;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;

/**
 * The merge phase's per-group baselines, driven directly with a {@link MockProcessorContext}: which
 * partials join the baseline, that it outlives retention, and that a restarted processor (a new
 * instance over stores reloaded from what was committed) finds each baseline again from its key.
 */
class TwoPhaseAggregationTest {
    private static final String GROUP = "m|1|scanner|S01/CT-1";

    /** A count as the aggregate. */
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
            return ByteBuffer.allocate(8).putLong(a[0]).array();
        }

        @Override
        public long[] fromBytes(byte[] bytes) {
            return new long[] {ByteBuffer.wrap(bytes).getLong()};
        }
    };

    /** What one snapshot call saw. */
    private record Seen(
            String group,
            NavigableMap<Long, long[]> days,
            TwoPhaseAggregation.Baseline<long[]> baseline,
            long currentDay) {}

    private final List<Seen> seen = new ArrayList<>();
    private final TwoPhaseAggregation<Void, long[]> aggregation = new TwoPhaseAggregation<>(
            "test",
            COUNT,
            (in, buckets) -> {},
            new TwoPhaseAggregation.Snapshotter<>() {
                @Override
                public List<MetricSnapshot> snapshots(
                        String group, NavigableMap<Long, long[]> days, long currentDay, long computedAtMs) {
                    throw new AssertionError("the baseline-aware method must be called");
                }

                @Override
                public List<MetricSnapshot> snapshots(
                        String group,
                        NavigableMap<Long, long[]> days,
                        TwoPhaseAggregation.Baseline<long[]> baseline,
                        long currentDay,
                        long computedAtMs) {
                    seen.add(new Seen(group, new java.util.TreeMap<>(days), baseline, currentDay));
                    return List.of();
                }
            },
            Duration.ofSeconds(1),
            Duration.ofSeconds(1),
            2,
            3);

    private final MockProcessorContext<String, MetricSnapshot> context = new MockProcessorContext<>();
    private final HeapAggregateStore<long[]> buckets = HeapAggregateStore.builder(
                    aggregation.bucketsStore(), COUNT, false)
            .withLoggingDisabled()
            .build();
    private final HeapAggregateStore<long[]> baselines = HeapAggregateStore.builder(
                    aggregation.baselinesStore(), COUNT, false)
            .withLoggingDisabled()
            .build();

    private Processor<String, byte[], String, MetricSnapshot> start() {
        Processor<String, byte[], String, MetricSnapshot> merge = aggregation.newMergeProcessor();
        merge.init(context);
        return merge;
    }

    private static void partial(Processor<String, byte[], String, MetricSnapshot> merge, long day, long count) {
        merge.process(new Record<>(TwoPhaseAggregation.bucketKey(GROUP, day), COUNT.toBytes(new long[] {count}), 0L));
    }

    private Seen snapshot() {
        seen.clear();
        List<MockProcessorContext.CapturedPunctuator> punctuators = context.scheduledPunctuators();
        punctuators.get(punctuators.size() - 1).getPunctuator().punctuate(0L);
        return seen.stream().filter(s -> s.group().equals(GROUP)).findFirst().orElseThrow();
    }

    /** What a restart leaves: the committed store contents, reloaded into fresh heaps. */
    private void commitAndReload() {
        buckets.flush();
        baselines.flush();
        buckets.clearCache();
        baselines.clearCache();
    }

    @Test
    void shouldKeepEachGroupsFirstDaysAsItsBaselineBeyondRetentionAndAcrossRestarts() {
        buckets.init(context.getStateStoreContext(), buckets);
        baselines.init(context.getStateStoreContext(), baselines);
        context.addStateStore(buckets);
        context.addStateStore(baselines);

        Processor<String, byte[], String, MetricSnapshot> merge = start();
        partial(merge, 10, 100);
        partial(merge, 11, 110);
        Seen open = snapshot();
        assertThat(open.baseline().firstDay()).isEqualTo(10);
        assertThat(open.baseline().aggregate()[0]).isEqualTo(210);
        assertThat(open.baseline().complete()).isFalse();

        partial(merge, 9, 90); // before the first day seen: its daily bucket only
        partial(merge, 12, 120);
        partial(merge, 13, 130); // after the period
        Seen complete = snapshot();
        assertThat(complete.baseline().aggregate()[0]).isEqualTo(330);
        assertThat(complete.baseline().lastDay()).isEqualTo(12);
        assertThat(complete.baseline().complete()).isTrue();
        assertThat(complete.days().keySet()).containsExactly(11L, 12L, 13L); // day 9, 10 past the retention of 2
        assertThat(baselines.all().keySet()).containsExactly(TwoPhaseAggregation.bucketKey(GROUP, 10));

        commitAndReload();
        Processor<String, byte[], String, MetricSnapshot> restarted = start();
        partial(restarted, 11, 1); // late, inside the period: joins the baseline found by its key
        partial(restarted, 20, 200);
        Seen after = snapshot();
        assertThat(after.baseline().firstDay()).isEqualTo(10);
        assertThat(after.baseline().aggregate()[0]).isEqualTo(331);
        assertThat(after.baseline().complete()).isTrue();
        assertThat(after.days().keySet()).containsExactly(20L); // every day of the baseline has expired
        assertThat(baselines.all().keySet()).containsExactly(TwoPhaseAggregation.bucketKey(GROUP, 10));
    }

    @Test
    void shouldNotTellTheOldSnapshotterAboutBaselinesWhenTheyAreOff() {
        TwoPhaseAggregation.Baseline<long[]> b = new TwoPhaseAggregation.Baseline<>(10, 14, new long[] {5}, true);
        assertThat(b.lastDay()).isEqualTo(23);
        assertThat(b.overlaps(30, 7)).isFalse();
        assertThat(b.overlaps(29, 7)).isTrue();
        assertThat(b.overlaps(9, 1)).isFalse();
        assertThat(new TwoPhaseAggregation<>(
                                "off",
                                COUNT,
                                (Object in, TwoPhaseAggregation.Buckets<long[]> x) -> {},
                                (g, d, c, t) -> List.of(),
                                Duration.ofSeconds(1),
                                Duration.ofSeconds(1),
                                2)
                        .baselineDays())
                .isZero();
    }
}
