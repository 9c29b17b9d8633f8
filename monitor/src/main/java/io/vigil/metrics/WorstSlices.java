package io.vigil.metrics;

import io.vigil.events.MetricSnapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The worst slice per metric and slice dimension, next to {@code all}: a pure function over the
 * latest snapshots, so averages cannot hide the worst scanner.
 *
 * <p>For each model, version, window, slice dimension (other than {@code all}) and metric of
 * {@link #METRICS}, among the slices with {@code n >= minN} for that metric, the worst is the one
 * with the lowest value for the "higher is better" metrics (sensitivity, specificity, PPV, NPV, AUC),
 * the highest for ECE and Brier, and the furthest from 1 on the log scale for the observed/expected
 * ratio. It becomes a derived snapshot {@code worst_slice_gap:<metric>} with slice dimension and
 * value of the worst slice, estimate = worst value minus the {@code all} value (in the metric's
 * units), {@code n} the worst slice's n and the status of the worst slice.
 *
 * <p>Interval: the two estimates are treated as independent (they are not: the slice is part of
 * {@code all}, so the interval is conservative when the slice is a large share of all), each standard
 * error taken from its 95% interval as half-width / 1.96: gap ± 1.96 sqrt(se1² + se2²). When either
 * estimate has no interval (ECE), the gap has none either.
 */
public final class WorstSlices {
    /** Metrics ranked, in output order. */
    public static final List<String> METRICS = List.of("sensitivity", "specificity", "ppv", "npv", "auc", "ece",
            "oe_ratio", "brier");
    public static final String FAMILY = "worst_slice_gap";
    private static final double Z = 1.959963984540054;

    private WorstSlices() {}

    /**
     * @param latest     the latest snapshot per key (any stages; unrelated metrics are ignored)
     * @param minN       minimum n of a slice's snapshot to compete
     * @param computedAt stamped on the derived snapshots
     */
    public static List<MetricSnapshot> compute(Collection<MetricSnapshot> latest, int minN, Instant computedAt) {
        Map<String, MetricSnapshot> all = new HashMap<>();
        Map<String, MetricSnapshot> worst = new HashMap<>();
        for (MetricSnapshot s : latest) {
            if (!METRICS.contains(s.metric()) || s.estimate() == null || !Double.isFinite(s.estimate())) {
                continue;
            }
            if (s.sliceDimension().equals("all")) {
                all.put(String.join("|", s.model(), s.version(), s.window(), s.metric()), s);
                continue;
            }
            if (s.n() < minN) {
                continue;
            }
            String key = String.join("|", s.model(), s.version(), s.window(), s.metric(), s.sliceDimension());
            worst.merge(key, s, (a, b) -> worse(s.metric(), a, b));
        }
        List<MetricSnapshot> out = new ArrayList<>();
        for (Map.Entry<String, MetricSnapshot> e : worst.entrySet()) {
            MetricSnapshot w = e.getValue();
            MetricSnapshot a = all.get(String.join("|", w.model(), w.version(), w.window(), w.metric()));
            if (a == null) {
                continue;
            }
            double gap = w.estimate() - a.estimate();
            Double lower = null;
            Double upper = null;
            double se1 = standardError(w);
            double se2 = standardError(a);
            if (Double.isFinite(se1) && Double.isFinite(se2)) {
                double half = Z * Math.sqrt(se1 * se1 + se2 * se2);
                lower = gap - half;
                upper = gap + half;
            }
            out.add(new MetricSnapshot(w.model(), w.version(), w.sliceDimension(), w.sliceValue(), w.window(),
                    w.windowEnd(), FAMILY + ":" + w.metric(), gap, lower, upper, w.n(), null, w.status(),
                    computedAt));
        }
        out.sort(java.util.Comparator.comparing(MetricSnapshot::key));
        return out;
    }

    /** The worse of two snapshots of the same metric; ties go to the larger n, then the smaller value name. */
    static MetricSnapshot worse(String metric, MetricSnapshot a, MetricSnapshot b) {
        double ba = badness(metric, a.estimate());
        double bb = badness(metric, b.estimate());
        if (ba != bb) {
            return ba > bb ? a : b;
        }
        if (a.n() != b.n()) {
            return a.n() > b.n() ? a : b;
        }
        return a.sliceValue().compareTo(b.sliceValue()) <= 0 ? a : b;
    }

    /** Larger is worse. */
    static double badness(String metric, double value) {
        return switch (metric) {
            case "ece", "brier" -> value;
            case "oe_ratio" -> value <= 0 ? Double.POSITIVE_INFINITY : Math.abs(Math.log(value));
            default -> -value;
        };
    }

    private static double standardError(MetricSnapshot s) {
        if (s.lower() == null || s.upper() == null) {
            return Double.NaN;
        }
        double width = s.upper() - s.lower();
        return width > 0 ? width / 2 / Z : Double.NaN;
    }
}
