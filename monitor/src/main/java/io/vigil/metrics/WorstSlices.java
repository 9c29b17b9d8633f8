package io.vigil.metrics;

import io.vigil.events.MetricSnapshot;
import io.vigil.stats.Estimate;
import io.vigil.stats.Wilson;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.statistics.distribution.NormalDistribution;
import org.apache.commons.statistics.distribution.TDistribution;

/**
 * The worst slice per metric and slice dimension, next to {@code all}: a pure function over the
 * latest snapshots, so averages cannot hide the worst scanner.
 *
 * <p>For each model, version, window, slice dimension (other than {@code all}) and metric of
 * {@link #METRICS}, the k slices with {@code n >= minN} and a value for that metric compete (an
 * {@code insufficient_n} snapshot, below the metric's own minimum n, has none); the worst is the one
 * with the lowest value for the "higher is better" metrics (sensitivity, specificity, PPV, NPV, AUC),
 * the highest for ECE and Brier, and the furthest from 1 on the log scale for the observed/expected
 * ratio. When {@code all} has the metric too, three derived snapshots carry the worst slice's
 * dimension and value, its n (of the last: the k slices' total) and its status:
 * <ul>
 *   <li>{@code worst_slice:<metric>}: the worst slice's value with its simultaneous interval (below);</li>
 *   <li>{@code worst_slice_gap:<metric>}: worst value minus the {@code all} value (in the metric's
 *       units), with its simultaneous interval;</li>
 *   <li>{@code worst_slice_compared:<metric>}: k, the number of slices compared, over which the
 *       intervals are simultaneous.</li>
 * </ul>
 *
 * <p>Intervals, adjusted for selection: the worst of k is selected because its estimate is extreme, so
 * its own 95% interval misses its true value far more often than 5% (it covers 0.57 to 0.75 at k = 20
 * for sensitivity and AUC, slices alike or spread). Each interval is therefore taken at the Bonferroni
 * level 1 - 0.05/k, at which all k slices' intervals hold together with probability at least 95%
 * whatever the data and whichever slice is selected (no independence assumed; Šidák's level would be
 * 0.24% narrower at k = 20). Each snapshot carries only its estimate, its 95% interval and n, so each
 * metric's interval is rebuilt at that level on the scale its own method works on:
 * <ul>
 *   <li>sensitivity, specificity, PPV, NPV: when the published bounds are the Wilson interval of k/n
 *       (estimate times n an integer, bounds equal to 1e-9), the Wilson interval at the adjusted normal
 *       quantile, exactly (its bounds are not linear in z, so scaling them would not be);</li>
 *   <li>AUC: DeLong's interval is symmetric on the logit scale with a Student t quantile on
 *       min(positives, negatives) - 1 degrees of freedom; its logit half-width is scaled by the ratio
 *       of the adjusted to the 97.5% t quantile, the degrees of freedom recovered from the slice's own
 *       {@code prevalence} snapshot (when that snapshot is missing, the normal quantiles' ratio: the
 *       large-sample limit, 2.8% narrower at k = 20 with 50 positives, 16% with 10);</li>
 *   <li>O/E: its half-width on the log scale is scaled by the normal quantiles' ratio; with no observed
 *       case (O/E = 0) the upper bound is the exact Poisson bound at the adjusted level;</li>
 *   <li>anything else (Brier's normal interval, ECE's chi-square projection, an interval not
 *       recognised above): each side's distance from the estimate is scaled by the normal quantiles'
 *       ratio and clipped to the metric's range: exact for a symmetric normal interval, an approximation
 *       otherwise.</li>
 * </ul>
 * The gap's interval combines the worst slice's and {@code all}'s intervals, both at the adjusted level,
 * by Zou and Donner's MOVER: gap - sqrt((w - l_w)² + (u_a - a)²) to gap + sqrt((u_w - w)² + (a - l_a)²),
 * which is gap ± z sqrt(se_w² + se_a²) for symmetric intervals and keeps Wilson's and the logit scale's
 * asymmetry. It treats the two estimates as independent (they are not: the slice is part of
 * {@code all}, so it is conservative when the slice is a large share of all). With no interval on
 * either estimate the derived snapshot has none. Coverage through the performance stage, sensitivity and
 * AUC at k = 5 and 20 with 50 to 200 positives per slice: 0.966 to 0.984 of the selected slice's true value,
 * 0.983 to 0.990 of its true gap (conservative: the selection error is one-sided); the O/E, Brier and ECE
 * paths are not measured ({@code vigil verify-statistics}, {@code io.vigil.verification.WorstSliceClaims},
 * docs/STATISTICAL-VALIDATION.md).
 */
public final class WorstSlices {
    /** Metrics ranked, in output order. */
    public static final List<String> METRICS =
            List.of("sensitivity", "specificity", "ppv", "npv", "auc", "ece", "oe_ratio", "brier");
    /** The worst slice's gap to {@code all}. */
    public static final String FAMILY = "worst_slice_gap";
    /** The worst slice's own value. */
    public static final String VALUE_FAMILY = "worst_slice";
    /** The number of slices compared. */
    public static final String COMPARED_FAMILY = "worst_slice_compared";
    /** Family-wise error rate of the simultaneous intervals: 95% that all k hold. */
    public static final double ALPHA = 0.05;

    private static final double Z = Estimate.Z95;
    private static final NormalDistribution STANDARD_NORMAL = NormalDistribution.of(0, 1);
    /** -ln(0.025): the exact Poisson 97.5% upper bound on O when O = 0, as {@code CalibrationStats} uses. */
    private static final double ZERO_COUNT_UPPER = -Math.log(0.025);

    private static final double TOLERANCE = 1e-9;

    private WorstSlices() {}

    /** An interval; both bounds finite. */
    record Interval(double lower, double upper) {}

    /**
     * @param latest     the latest snapshot per key (any stages; unrelated metrics are ignored)
     * @param minN       minimum n of a slice's snapshot to compete
     * @param computedAt stamped on the derived snapshots
     */
    public static List<MetricSnapshot> compute(Collection<MetricSnapshot> latest, int minN, Instant computedAt) {
        Map<String, MetricSnapshot> all = new HashMap<>();
        Map<String, MetricSnapshot> prevalence = new HashMap<>();
        Map<String, List<MetricSnapshot>> competing = new LinkedHashMap<>();
        for (MetricSnapshot s : latest) {
            if (s.metric().equals("prevalence")) {
                prevalence.put(sliceKey(s), s);
                continue;
            }
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
            competing.computeIfAbsent(key, x -> new ArrayList<>()).add(s);
        }
        List<MetricSnapshot> out = new ArrayList<>();
        for (List<MetricSnapshot> slices : competing.values()) {
            MetricSnapshot w =
                    slices.stream().reduce((a, b) -> worse(a.metric(), a, b)).orElseThrow();
            MetricSnapshot a = all.get(String.join("|", w.model(), w.version(), w.window(), w.metric()));
            if (a == null) {
                continue;
            }
            int k = slices.size();
            Interval wi = simultaneous(w, k, prevalence.get(sliceKey(w)));
            Interval ai = simultaneous(a, k, prevalence.get(sliceKey(a)));
            out.add(derived(
                    w,
                    VALUE_FAMILY,
                    w.estimate(),
                    wi == null ? null : wi.lower(),
                    wi == null ? null : wi.upper(),
                    w.n(),
                    computedAt));
            double gap = w.estimate() - a.estimate();
            Double lower = null;
            Double upper = null;
            if (wi != null && ai != null) {
                lower = gap - Math.hypot(w.estimate() - wi.lower(), ai.upper() - a.estimate());
                upper = gap + Math.hypot(wi.upper() - w.estimate(), a.estimate() - ai.lower());
            }
            out.add(derived(w, FAMILY, gap, lower, upper, w.n(), computedAt));
            long total = slices.stream().mapToLong(MetricSnapshot::n).sum();
            out.add(derived(w, COMPARED_FAMILY, k, null, null, total, computedAt));
        }
        out.sort(Comparator.comparing(MetricSnapshot::key));
        return out;
    }

    private static MetricSnapshot derived(
            MetricSnapshot w, String family, double estimate, Double lower, Double upper, long n, Instant computedAt) {
        return new MetricSnapshot(
                w.model(),
                w.version(),
                w.sliceDimension(),
                w.sliceValue(),
                w.window(),
                w.windowEnd(),
                family + ":" + w.metric(),
                estimate,
                lower,
                upper,
                n,
                null,
                w.status(),
                computedAt);
    }

    private static String sliceKey(MetricSnapshot s) {
        return String.join("|", s.model(), s.version(), s.sliceDimension(), s.sliceValue(), s.window());
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

    /** The two-sided normal quantile of the Bonferroni level 1 - {@link #ALPHA}/k: 1.96 at k = 1, 3.02 at k = 20. */
    static double quantile(int k) {
        return STANDARD_NORMAL.inverseSurvivalProbability(ALPHA / (2.0 * k));
    }

    /**
     * The snapshot's interval rebuilt at the Bonferroni level over k (see the class comment); null when the
     * snapshot has no interval.
     *
     * @param prevalence the same slice's {@code prevalence} snapshot, or null (used for the AUC's degrees of
     *                   freedom)
     */
    static Interval simultaneous(MetricSnapshot s, int k, MetricSnapshot prevalence) {
        if (s.lower() == null
                || s.upper() == null
                || !Double.isFinite(s.lower())
                || !Double.isFinite(s.upper())
                || s.lower() > s.estimate()
                || s.upper() < s.estimate()
                || s.upper() <= s.lower()) {
            return null;
        }
        double z = quantile(k);
        double est = s.estimate();
        return switch (s.metric()) {
            case "sensitivity", "specificity", "ppv", "npv" -> {
                Interval wilson = wilson(s, z);
                yield wilson != null ? wilson : scaled(s, z / Z, 0, 1);
            }
            case "auc" -> {
                Interval logit = logitScale(s, k, prevalence);
                yield logit != null ? logit : scaled(s, z / Z, 0, 1);
            }
            case "oe_ratio" -> {
                if (est == 0) {
                    yield new Interval(0, s.upper() * -Math.log(ALPHA / (2.0 * k)) / ZERO_COUNT_UPPER);
                }
                if (s.lower() <= 0) {
                    yield scaled(s, z / Z, 0, Double.POSITIVE_INFINITY);
                }
                double r = z / Z;
                double log = Math.log(est);
                yield new Interval(
                        Math.exp(log - (log - Math.log(s.lower())) * r),
                        Math.exp(log + (Math.log(s.upper()) - log) * r));
            }
            default -> scaled(s, z / Z, 0, 1);
        };
    }

    /** Each side's distance from the estimate times r, clipped to [min, max]. */
    private static Interval scaled(MetricSnapshot s, double r, double min, double max) {
        double est = s.estimate();
        return new Interval(Math.max(min, est - (est - s.lower()) * r), Math.min(max, est + (s.upper() - est) * r));
    }

    /** The Wilson interval at z when the snapshot's bounds are its 95% Wilson interval, else null. */
    private static Interval wilson(MetricSnapshot s, double z) {
        long n = s.n();
        double count = s.estimate() * n;
        long positives = Math.round(count);
        if (n <= 0 || positives < 0 || positives > n || Math.abs(count - positives) > TOLERANCE * Math.max(1, n)) {
            return null;
        }
        Estimate published = Wilson.interval(positives, n);
        if (Math.abs(published.lower() - s.lower()) > TOLERANCE
                || Math.abs(published.upper() - s.upper()) > TOLERANCE) {
            return null;
        }
        Estimate adjusted = Wilson.interval(positives, n, z);
        return new Interval(Math.max(0.0, adjusted.lower()), Math.min(1.0, adjusted.upper()));
    }

    /**
     * The AUC interval at the adjusted level on the logit scale, when the published one is symmetric there
     * (DeLong's, not the Hanley-McNeil fallback at AUC 0 or 1); else null.
     */
    private static Interval logitScale(MetricSnapshot s, int k, MetricSnapshot prevalence) {
        double est = s.estimate();
        if (!(est > 0 && est < 1 && s.lower() > 0 && s.upper() < 1)) {
            return null;
        }
        double centre = logit(est);
        double below = centre - logit(s.lower());
        double above = logit(s.upper()) - centre;
        if (!(below > 0 && above > 0) || Math.abs(below - above) > 1e-6 * (below + above)) {
            return null;
        }
        double ratio = quantile(k) / Z;
        long df = degreesOfFreedom(s, prevalence);
        if (df >= 1) {
            TDistribution t = TDistribution.of(df);
            ratio = t.inverseSurvivalProbability(ALPHA / (2.0 * k)) / t.inverseSurvivalProbability(ALPHA / 2);
        }
        double half = (below + above) / 2 * ratio;
        return new Interval(expit(centre - half), expit(centre + half));
    }

    /**
     * min(positives, negatives) - 1 of the AUC's cases, from the slice's prevalence snapshot over the same
     * labelled cases (same n); 0 when unknown.
     */
    private static long degreesOfFreedom(MetricSnapshot auc, MetricSnapshot prevalence) {
        if (prevalence == null || prevalence.estimate() == null || prevalence.n() != auc.n()) {
            return 0;
        }
        double count = prevalence.estimate() * prevalence.n();
        long positives = Math.round(count);
        if (Math.abs(count - positives) > TOLERANCE * Math.max(1, prevalence.n())) {
            return 0;
        }
        return Math.min(positives, prevalence.n() - positives) - 1;
    }

    private static double logit(double p) {
        return Math.log(p / (1 - p));
    }

    private static double expit(double x) {
        return 1 / (1 + Math.exp(-x));
    }
}
