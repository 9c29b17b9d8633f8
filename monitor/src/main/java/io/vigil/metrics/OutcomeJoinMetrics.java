package io.vigil.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.vigil.stages.OutcomeJoin;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;

/**
 * {@code vigil_outcome_join_events_total{event}}: what the outcome join did with each prediction and
 * label ({@link OutcomeJoin#COUNT_KEYS}: registered, duplicate, joined, held before the prediction,
 * revised, stale revision, unmatched and expired, after the max delay, expired predictions; and, as a
 * passage rather than an outcome, the predictions and labels that reached it through its repartition topic). Reads
 * the join's count store of the active tasks of this instance: the sum across instances is the total.
 * Never backwards while a partition stays here ({@link StoreTotals}).
 */
public final class OutcomeJoinMetrics implements MeterBinder {
    private final StoreTotals totals;

    /**
     * @param stores     looks up the local store of one partition by name, or null when not held or not queryable
     * @param partitions how many partitions to look at
     * @param running    whether Kafka Streams is running
     */
    public OutcomeJoinMetrics(PartitionStores stores, IntSupplier partitions, BooleanSupplier running) {
        this.totals = new StoreTotals(
                p -> stores.get(OutcomeJoin.COUNTS_STORE, p),
                partitions,
                running,
                System::currentTimeMillis,
                StoreTotals.DEFAULT_GRACE);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (String event : OutcomeJoin.COUNT_KEYS) {
            FunctionCounter.builder(
                            "vigil.outcome.join.events", this, m -> m.totals().getOrDefault(event, 0L))
                    .description("Predictions and labels seen by the outcome join, by what happened to them")
                    .baseUnit("events")
                    .tag("event", event)
                    .register(registry);
        }
    }

    /**
     * Labels the join has settled on this instance's tasks, each counted once by its final outcome: joined
     * (on arrival, or when its prediction came), duplicate, revised, stale revision, after the max delay, or
     * unmatched and expired. {@code labels_held_before_prediction} is a passage, not an outcome: a held label
     * later joins or is dead-lettered, so counting it too would count that label twice.
     */
    public long labelsSettled() {
        Map<String, Long> t = totals();
        return java.util.stream.Stream.of(
                        OutcomeJoin.LABELS_JOINED,
                        OutcomeJoin.LABELS_DUPLICATE,
                        OutcomeJoin.LABELS_REVISED,
                        OutcomeJoin.LABELS_STALE_REVISION,
                        OutcomeJoin.LABELS_AFTER_MAX_DELAY,
                        OutcomeJoin.LABELS_UNMATCHED_EXPIRED)
                .mapToLong(k -> t.getOrDefault(k, 0L))
                .sum();
    }

    /** Predictions the join has taken in on this instance's tasks: registered or duplicate. */
    public long predictionsReceived() {
        Map<String, Long> t = totals();
        return t.getOrDefault(OutcomeJoin.PREDICTIONS_REGISTERED, 0L)
                + t.getOrDefault(OutcomeJoin.PREDICTIONS_DUPLICATE, 0L);
    }

    /** Sums over every local partition's store. */
    Map<String, Long> totals() {
        return totals.get();
    }
}
