package io.vigil.metrics;

import io.vigil.events.MetricSnapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Metrics computed across snapshots rather than by one stage: the worst slice per metric and
 * dimension ({@link WorstSlices}) and the label-free estimator's backtest error
 * ({@link EstimatorBacktest}). They are derived on read from the latest snapshots, never published
 * to the compacted topic (the worst slice's identity changes, and a published key would linger).
 * The exporter, the status API and the alert evaluator all call this one function.
 */
public final class DerivedMetrics {
    private DerivedMetrics() {}

    /**
     * The latest snapshots followed by every metric derived from them, stamped with the newest {@code computed_at}
     * among them: a derived value is as new as its inputs, so reading twice with nothing new gives the same
     * snapshots (a stamp of the read's time made the demo's "settled" check and any change detection on
     * {@code computed_at} see a change at every read).
     */
    public static List<MetricSnapshot> withDerived(Collection<MetricSnapshot> latest, int worstSliceMinN) {
        Instant newest = Instant.EPOCH;
        for (MetricSnapshot s : latest) {
            if (s.computedAt().isAfter(newest)) {
                newest = s.computedAt();
            }
        }
        List<MetricSnapshot> out = new ArrayList<>(latest);
        out.addAll(WorstSlices.compute(latest, worstSliceMinN, newest));
        out.addAll(EstimatorBacktest.errors(latest, newest));
        return out;
    }
}
