package io.vigil.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.vigil.events.Slice;
import io.vigil.stages.SliceAssignment;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;

/**
 * {@code vigil_slice_overflow_total{dimension}}: predictions whose value of a slice dimension was not
 * admitted (the cap {@code slices.max-values} per model version and dimension was reached cluster-wide)
 * and so count under {@code other}; {@code vigil_slice_admission_timeouts_total{dimension}}: of those, the
 * ones sent to {@code other} because no admission decision came in time. One series per dimension, all
 * registered at start (0 until it happens), read from the slice assignment's committed count store
 * ({@link StoreTotals}): the sum across instances is the total.
 */
public final class SliceOverflowMetrics implements MeterBinder {
    private final StoreTotals totals;
    private final List<String> dimensions;

    /**
     * @param stores     looks up the local store of one partition by name, or null when not held or not queryable
     * @param partitions how many partitions to look at
     * @param running    whether Kafka Streams is running
     * @param attributes the configured slice attributes ({@code slices.attributes})
     */
    public SliceOverflowMetrics(
            PartitionStores stores, IntSupplier partitions, BooleanSupplier running, List<String> attributes) {
        this.totals = new StoreTotals(
                p -> stores.get(SliceAssignment.OVERFLOW_STORE, p),
                partitions,
                running,
                System::currentTimeMillis,
                StoreTotals.DEFAULT_GRACE);
        this.dimensions = Slice.dimensions(attributes);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (String dimension : dimensions) {
            FunctionCounter.builder(
                            "vigil.slice.overflow", this, m -> m.totals().getOrDefault(dimension, 0L))
                    .description("Predictions counted under 'other' because their slice value was not admitted "
                            + "(slices.max-values reached for the model version and dimension)")
                    .tag("dimension", dimension)
                    .register(registry);
            FunctionCounter.builder(
                            "vigil.slice.admission.timeouts",
                            this,
                            m -> m.totals().getOrDefault(SliceAssignment.TIMEOUT_PREFIX + dimension, 0L))
                    .description("Of the overflow, predictions sent to 'other' because no admission decision came "
                            + "within 5 minutes (the slice admission owner's task was not running)")
                    .tag("dimension", dimension)
                    .register(registry);
        }
    }

    /** Sums over every local partition's store. */
    Map<String, Long> totals() {
        return totals.get();
    }
}
