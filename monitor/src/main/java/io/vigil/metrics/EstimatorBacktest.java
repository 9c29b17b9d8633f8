package io.vigil.metrics;

import io.vigil.events.MetricSnapshot;
import io.vigil.stats.Estimate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.commons.statistics.distribution.NormalDistribution;

/**
 * Scores the label-free estimates against the realised metrics once a window's labels have matured:
 * a pure function over the latest snapshots (for example the snapshot view's contents).
 *
 * <p>For every model version, slice, window and metric X in {@link #METRICS} where both the
 * realised {@code X} (status {@link MetricSnapshot.Status#FINAL}) and {@code estimated_X} exist
 * for the same window ending at the same {@code window_end} (the same prediction-day cohorts), it
 * emits {@code estimation_error:X} with estimate = realised - estimated, n = the realised n, status
 * FINAL, and, when the realised value has an interval:
 * <ul>
 *   <li>an approximate 95% interval error ± z se, with se² = se_realised² + se_estimated², each se
 *       read back from its interval as (upper - lower) / (2 z) (an estimate without interval, such as
 *       {@code estimated_auc}, counts as se 0). Treating the two errors as independent is
 *       conservative: while the calibration holds the estimate is the expected value of the realised
 *       one given the scores, so both intervals describe the same label noise and the sum counts it
 *       up to twice (the interval is up to sqrt 2 too wide): the safe side for an alert;</li>
 *   <li>the two-sided p-value of the z test of error = 0, 2(1 - Phi(|error| / se)).</li>
 * </ul>
 * A small p means the calibration map no longer describes the model: the estimates of that slice
 * are not to be trusted and the model's calibration has moved, which is itself an alert.
 *
 * <p>Provisional realised values are skipped: with labels still arriving they are biased toward
 * the cases labelled first (often the positives).
 */
public final class EstimatorBacktest {

    /** The metrics with both a realised and an {@code estimated_} form. */
    public static final List<String> METRICS = List.of("sensitivity", "specificity", "ppv", "npv", "auc");
    /** Prefix of the estimated form of a metric. */
    public static final String ESTIMATED = "estimated_";
    /** Family of the emitted snapshots: {@code estimation_error:<metric>}. */
    public static final String ERROR = "estimation_error";

    private static final NormalDistribution STANDARD_NORMAL = NormalDistribution.of(0, 1);

    private EstimatorBacktest() {}

    /**
     * The estimation errors of every matured window in {@code latest}.
     *
     * @param latest     the latest snapshots (any metrics; others are ignored)
     * @param computedAt timestamp of the emitted snapshots
     */
    public static List<MetricSnapshot> errors(Collection<MetricSnapshot> latest, Instant computedAt) {
        Objects.requireNonNull(computedAt, "computedAt");
        Map<String, MetricSnapshot> estimated = new HashMap<>();
        for (MetricSnapshot s : latest) {
            if (s.metric().startsWith(ESTIMATED) && METRICS.contains(s.metric().substring(ESTIMATED.length()))) {
                estimated.put(cohortKey(s, s.metric().substring(ESTIMATED.length())), s);
            }
        }
        List<MetricSnapshot> out = new ArrayList<>();
        for (MetricSnapshot r : latest) {
            if (!METRICS.contains(r.metric()) || r.status() != MetricSnapshot.Status.FINAL || r.estimate() == null) {
                continue;
            }
            MetricSnapshot e = estimated.get(cohortKey(r, r.metric()));
            if (e == null || e.estimate() == null || !Objects.equals(e.windowEnd(), r.windowEnd())) {
                continue;
            }
            out.add(error(r, e, computedAt));
        }
        return out;
    }

    /** The error snapshot of one realised/estimated pair (same slice, window and cohorts). */
    static MetricSnapshot error(MetricSnapshot realised, MetricSnapshot estimated, Instant computedAt) {
        double error = realised.estimate() - estimated.estimate();
        Double seR = se(realised);
        Double seE = se(estimated);
        Double lower = null;
        Double upper = null;
        Double p = null;
        if (seR != null) {
            double se = Math.sqrt(seR * seR + (seE == null ? 0 : seE * seE));
            lower = error - Estimate.Z95 * se;
            upper = error + Estimate.Z95 * se;
            if (se > 0) {
                p = Math.min(1.0, 2 * STANDARD_NORMAL.survivalProbability(Math.abs(error) / se));
            } else {
                p = error == 0 ? 1.0 : 0.0;
            }
        }
        return new MetricSnapshot(
                realised.model(),
                realised.version(),
                realised.sliceDimension(),
                realised.sliceValue(),
                realised.window(),
                realised.windowEnd(),
                ERROR + ":" + realised.metric(),
                error,
                lower,
                upper,
                realised.n(),
                p,
                MetricSnapshot.Status.FINAL,
                computedAt);
    }

    /** Standard error read back from a 95% interval; null when the snapshot has none. */
    private static Double se(MetricSnapshot s) {
        if (s.lower() == null || s.upper() == null) {
            return null;
        }
        return Math.max(0, s.upper() - s.lower()) / (2 * Estimate.Z95);
    }

    private static String cohortKey(MetricSnapshot s, String metric) {
        return String.join("|", s.model(), s.version(), s.sliceDimension(), s.sliceValue(), s.window(), metric);
    }
}
