package io.vigil.stats;

import org.apache.commons.statistics.distribution.ChiSquaredDistribution;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.apache.datasketches.quantilescommon.DoublesSortedView;
import org.apache.datasketches.quantilescommon.KolmogorovSmirnov;
import org.apache.datasketches.quantilescommon.QuantileSearchCriteria;

/**
 * Drift between a reference and a current distribution of one numeric variable (a score or a
 * feature), from KLL sketches or from exact bin counts. All statistics are unitless except
 * Wasserstein-1, which is in the units of the variable.
 *
 * <h2>Sketch size</h2>
 * {@link #K} = 800. DataSketches' KLL normalised rank error (99% confidence) is, by k:
 * <pre>
 *   k      single-sided (rank, CDF, KS)   double-sided (PMF, one bin)   KS floor at large n, alpha 0.05
 *   200    1.33%                          1.65%                         0.106
 *   400    0.68%                          0.86%                         ~0.07
 *   800    0.35%                          0.45%                         0.047
 *   3200   0.09%                          0.12%                         0.024
 * </pre>
 * The KS floor is {@link #ksThreshold} at large n: DataSketches uses the retained item counts (about
 * 2,400 at k = 800) as sample sizes and adds both rank errors, so no KS distance below it can ever
 * be flagged. At k = 800 the floor is 0.047, under the 0.05 KS shift we want to catch; k = 200
 * (floor 0.106) would miss it. A k = 800 sketch holds about 2,400 doubles (about 20 KB serialised),
 * affordable per slice and day. PSI bin shares from a k = 800 sketch move by at most 2 x 0.35%.
 *
 * <h2>Definitions (golden.json, {@code drift_samples.csv})</h2>
 * <ul>
 *   <li>PSI over B bins (default the reference deciles, outer bins open), shares floored at 1e-4:
 *       sum (c - r) ln(c / r). Its null for exact counts: PSI * nm/(n+m) ~ chi-square(B - 1); from
 *       sketches, {@link #psiPValue(double[], double[], long, long, double)} adds the sketch error.</li>
 *   <li>Jensen-Shannon distance, base 2, over the same bins on unfloored shares, in [0, 1].</li>
 *   <li>Wasserstein-1 = integral |F(x) - G(x)| dx = integral |F^-1(u) - G^-1(u)| du, evaluated
 *       exactly on the two sketches' retained items (the quantile grid is the union of both
 *       sketches' items), so its only error is the sketches' rank error: at most
 *       (value range) x (eps_ref + eps_cur).</li>
 *   <li>KS statistic: sup |F - G| over the two sketches' sorted views, both CDFs evaluated at every
 *       distinct retained value after all items equal to it (inclusive ranks). DataSketches'
 *       {@code computeKSDelta} walks the two views one item at a time, so with tied values (discrete
 *       features such as kVp or slice thickness, where thousands of items share a value) it compares
 *       one sketch's CDF past a value with the other's before it and reports up to the tie's whole
 *       mass (0.2 and more between two identical distributions); on continuous data both agree to
 *       within one item's weight, far below the rank error.</li>
 * </ul>
 */
public final class DistributionDrift {

    /** KLL k used by Vigil for score and feature sketches; see the class comment. */
    public static final int K = 800;

    /** Floor applied to bin shares in PSI, as in golden.json ({@code psi_epsilon}). */
    public static final double PSI_EPSILON = 1e-4;

    private static final double LN2 = Math.log(2);

    private DistributionDrift() {}

    /** A new empty on-heap sketch with {@link #K}. */
    public static KllDoublesSketch newSketch() {
        return KllSketches.newSketch(K);
    }

    /**
     * Single-sided normalised rank error of a sketch (99% confidence): any CDF value read from it is
     * within this distance of the exact empirical CDF.
     */
    public static double rankError(KllDoublesSketch sketch) {
        return sketch.getNormalizedRankError(false);
    }

    /**
     * Everything this class computes for one reference and one current sketch.
     *
     * @param ks             KS statistic from the sketches, in [0, 1]
     * @param ksThreshold    conservative critical value at {@code alpha} (includes both rank errors)
     * @param ksDrift        {@code ks > ksThreshold}
     * @param ksPValue       sketch-aware Kolmogorov p-value ({@link #ksPValue(double, long, long, double)})
     * @param psi            population stability index over the reference bins
     * @param psiPValue      sketch-aware p-value of {@code psi} under the chi-square null
     *                       ({@link #psiPValue(double[], double[], long, long, double)})
     * @param jensenShannon  Jensen-Shannon distance, base 2, in [0, 1]
     * @param wasserstein1   Wasserstein-1 distance, in units of the variable
     * @param nReference     reference count
     * @param nCurrent       current count
     */
    public record Report(
            double ks,
            double ksThreshold,
            boolean ksDrift,
            double ksPValue,
            double psi,
            double psiPValue,
            double jensenShannon,
            double wasserstein1,
            long nReference,
            long nCurrent) {}

    /**
     * Compares a current sketch to a reference.
     *
     * @param alpha significance level of the KS drift decision, in (0, 1)
     * @throws IllegalArgumentException when the current sketch is empty
     */
    public static Report compare(ReferenceDistribution reference, KllDoublesSketch current, double alpha) {
        if (current.isEmpty()) {
            throw new IllegalArgumentException("current sketch is empty: nothing to compare");
        }
        KllDoublesSketch ref = reference.sketch();
        long n = ref.getN();
        long m = current.getN();
        double d = ksStatistic(ref, current);
        double thr = ksThreshold(ref, current, alpha);
        double[] r = reference.proportions();
        double[] c = binProportions(current, reference.edges());
        double psi = psi(r, c);
        double rankError = sketchError(ref, false) + sketchError(current, false);
        double binError = sketchError(ref, true) + sketchError(current, true);
        return new Report(
                d,
                thr,
                d > thr,
                ksPValue(d, n, m, rankError),
                psi,
                psiPValue(r, c, n, m, binError),
                jensenShannonDistance(r, c),
                wasserstein1(ref, current),
                n,
                m);
    }

    /**
     * The rank error (99% confidence) a sketch's CDF ({@code pmf} false) or bin shares ({@code pmf} true)
     * can carry: DataSketches' a-priori normalised rank error once the sketch has compacted, 0 while it
     * still holds every item (then its CDF is the exact empirical one).
     */
    public static double sketchError(KllDoublesSketch sketch, boolean pmf) {
        return sketch.isEstimationMode() ? sketch.getNormalizedRankError(pmf) : 0.0;
    }

    /**
     * Sketch-aware KS p-value: the asymptotic p-value of the distance less both sketches' rank errors,
     * Q_KS(sqrt(nm/(n+m)) max(0, d - e)). A sketched distance exceeds the exact one by at most e (with 99%
     * confidence), so this p-value is never smaller than the exact one's there: without it, sketch noise,
     * which does not shrink with n, made 34% of null windows of 200,000 scores (k = 800) and all of 200,000
     * feature values (k = 200) "significant" at 0.05. Null false-positive rate: {@code vigil
     * verify-statistics}.
     */
    public static double ksPValue(double d, long n, long m, double rankError) {
        return ksPValue(Math.max(0.0, d - rankError), n, m);
    }

    /**
     * Sketch-aware PSI p-value. For exact counts, PSI nm/(n+m) ~ chi-square(B - 1) because each bin's share
     * difference has variance r (1/n + 1/m); a sketch adds its own error to each share, which does not
     * shrink with n, so that null made half of all null windows of 20,000 feature values "significant".
     * Here the statistic is Pearson's form of the same null with the sketch error as extra variance,
     * sum_b (c_b - r_b)^2 / (r_b (1/n + 1/m) + s^2), s = binError / 2.576 (the 99% bin-share error of
     * both sketches as a standard deviation), against chi-square(B - 1). Null false-positive rate and
     * power: {@code vigil verify-statistics}.
     */
    public static double psiPValue(double[] reference, double[] current, long n, long m, double binError) {
        checkSameLength(reference, current);
        if (reference.length < 2) {
            return 1.0;
        }
        if (n <= 0 || m <= 0) {
            throw new IllegalArgumentException("sample sizes must be positive, got n=" + n + ", m=" + m);
        }
        double sampling = 1.0 / n + 1.0 / m;
        double sketch = binError / 2.576;
        double stat = 0;
        for (int i = 0; i < reference.length; i++) {
            double r = Math.max(reference[i], PSI_EPSILON);
            double diff = current[i] - reference[i];
            stat += diff * diff / (r * sampling + sketch * sketch);
        }
        return ChiSquaredDistribution.of(reference.length - 1).survivalProbability(stat);
    }

    /** KS statistic sup |F - G| between two non-empty sketches (DataSketches {@code computeKSDelta}). */
    public static double ksStatistic(KllDoublesSketch reference, KllDoublesSketch current) {
        double[] d = {0};
        walkCdfs(reference, current, (x, fa, fb) -> d[0] = Math.max(d[0], Math.abs(fa - fb)));
        return d[0];
    }

    /**
     * DataSketches' conservative KS critical value: c(alpha) sqrt((r1 + r2)/(r1 r2)) on the retained
     * item counts, plus both sketches' rank errors. Drift is declared when the statistic exceeds it.
     */
    public static double ksThreshold(KllDoublesSketch reference, KllDoublesSketch current, double alpha) {
        requireNonEmpty(reference, current);
        checkProbability("alpha", alpha);
        return KolmogorovSmirnov.computeKSThreshold(reference, current, alpha);
    }

    /** {@code ksStatistic > ksThreshold}: the conservative sketch KS decision. */
    public static boolean ksDrift(KllDoublesSketch reference, KllDoublesSketch current, double alpha) {
        return ksStatistic(reference, current) > ksThreshold(reference, current, alpha);
    }

    /**
     * Asymptotic two-sample KS p-value: Q_KS(sqrt(nm/(n+m)) d), with Q_KS the Kolmogorov survival
     * function. It treats {@code d} as exact, so on a sketch statistic it ignores the rank error, and
     * it differs from the exact small-sample p-value by O(1/sqrt(nm/(n+m))).
     */
    public static double ksPValue(double d, long n, long m) {
        if (n <= 0 || m <= 0) {
            throw new IllegalArgumentException("sample sizes must be positive, got n=" + n + ", m=" + m);
        }
        double ne = (double) n * m / ((double) n + m);
        return kolmogorovSurvival(Math.sqrt(ne) * d);
    }

    /** Survival function of the Kolmogorov distribution, P(K > lambda). */
    public static double kolmogorovSurvival(double lambda) {
        if (lambda <= 0) {
            return 1.0;
        }
        if (lambda < 1.18) {
            // Jacobi theta form of the CDF converges fast for small lambda.
            double sum = 0;
            double c = Math.PI * Math.PI / (8 * lambda * lambda);
            for (int j = 1; j <= 20; j++) {
                int o = 2 * j - 1;
                sum += Math.exp(-o * o * c);
            }
            return Math.min(1.0, Math.max(0.0, 1 - Math.sqrt(2 * Math.PI) / lambda * sum));
        }
        double sum = 0;
        for (int j = 1; j <= 100; j++) {
            double term = Math.exp(-2.0 * j * j * lambda * lambda);
            sum += (j % 2 == 1) ? term : -term;
            if (term < 1e-300) {
                break;
            }
        }
        return Math.min(1.0, Math.max(0.0, 2 * sum));
    }

    /**
     * Share of a sketch's weight in each bin {@code (-inf, e1), [e1, e2), ..., [e_last, +inf)}, read
     * from the sketch's exclusive ranks at the edges. Each share is within 2 x {@link #rankError} of
     * the exact share. Shares sum to 1.
     */
    public static double[] binProportions(KllDoublesSketch sketch, double[] edges) {
        ReferenceDistribution.checkEdges(edges);
        if (sketch.isEmpty()) {
            throw new IllegalArgumentException("sketch is empty");
        }
        if (edges.length == 0) {
            return new double[] {1.0};
        }
        return sketch.getPMF(edges, QuantileSearchCriteria.EXCLUSIVE);
    }

    /**
     * Exact counts per bin {@code (-inf, e1), [e1, e2), ..., [e_last, +inf)} (numpy.histogram's
     * convention with open outer bins).
     */
    public static long[] binCounts(double[] values, double[] edges) {
        ReferenceDistribution.checkEdges(edges);
        long[] counts = new long[edges.length + 1];
        for (double v : values) {
            if (Double.isNaN(v)) {
                throw new IllegalArgumentException("value must not be NaN");
            }
            counts[upperBound(edges, v)]++;
        }
        return counts;
    }

    /** Number of edges <= v. */
    private static int upperBound(double[] edges, double v) {
        int lo = 0;
        int hi = edges.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (edges[mid] <= v) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Counts to shares; an all-zero vector is rejected (no value, not 0). */
    public static double[] proportions(long[] counts) {
        long total = 0;
        for (long c : counts) {
            if (c < 0) {
                throw new IllegalArgumentException("count must be >= 0, got " + c);
            }
            total += c;
        }
        if (total == 0) {
            throw new IllegalArgumentException("counts are all zero: no distribution");
        }
        double[] p = new double[counts.length];
        for (int i = 0; i < counts.length; i++) {
            p[i] = (double) counts[i] / total;
        }
        return p;
    }

    /** PSI from exact bin counts; see {@link #psi(double[], double[])}. */
    public static double psi(long[] referenceCounts, long[] currentCounts) {
        return psi(proportions(referenceCounts), proportions(currentCounts));
    }

    /** PSI = sum (c - r) ln(c / r) with both shares floored at {@link #PSI_EPSILON}; >= 0. */
    public static double psi(double[] reference, double[] current) {
        checkSameLength(reference, current);
        double sum = 0;
        for (int i = 0; i < reference.length; i++) {
            double r = Math.max(reference[i], PSI_EPSILON);
            double c = Math.max(current[i], PSI_EPSILON);
            sum += (c - r) * Math.log(c / r);
        }
        return sum;
    }

    /**
     * P-value of a PSI under no change: PSI * nm/(n+m) ~ chi-square(bins - 1) (PSI is the symmetric
     * KL divergence, whose scaled null is asymptotically chi-square).
     */
    public static double psiPValue(double psi, int bins, long n, long m) {
        if (bins < 2) {
            return 1.0;
        }
        if (n <= 0 || m <= 0) {
            throw new IllegalArgumentException("sample sizes must be positive, got n=" + n + ", m=" + m);
        }
        double stat = psi * ((double) n * m / ((double) n + m));
        return ChiSquaredDistribution.of(bins - 1).survivalProbability(stat);
    }

    /** Jensen-Shannon distance from exact bin counts. */
    public static double jensenShannonDistance(long[] referenceCounts, long[] currentCounts) {
        return jensenShannonDistance(proportions(referenceCounts), proportions(currentCounts));
    }

    /**
     * Jensen-Shannon distance, base 2: sqrt(0.5 KL(r || m) + 0.5 KL(c || m)), m = (r + c)/2, on the
     * shares as given (no floor; 0 ln 0 = 0). In [0, 1].
     */
    public static double jensenShannonDistance(double[] reference, double[] current) {
        return Math.sqrt(jensenShannonDivergence(reference, current));
    }

    /** Jensen-Shannon divergence, base 2, in [0, 1]; the square of the distance. */
    public static double jensenShannonDivergence(double[] reference, double[] current) {
        checkSameLength(reference, current);
        double sum = 0;
        for (int i = 0; i < reference.length; i++) {
            double r = reference[i];
            double c = current[i];
            double mid = (r + c) / 2;
            if (r > 0) {
                sum += r * Math.log(r / mid);
            }
            if (c > 0) {
                sum += c * Math.log(c / mid);
            }
        }
        return Math.max(0.0, sum / (2 * LN2));
    }

    /**
     * Wasserstein-1 between the distributions two sketches represent, in units of the variable:
     * the integral of |F(x) - G(x)| over the union of both sketches' retained items. Exact when both
     * sketches retain all items; otherwise within (max - min) x (eps_ref + eps_cur).
     */
    public static double wasserstein1(KllDoublesSketch reference, KllDoublesSketch current) {
        // |F - G| is constant between consecutive distinct values: integrate the steps.
        double[] acc = {0, Double.NaN, 0}; // integral, previous x, |F - G| since previous x
        walkCdfs(reference, current, (x, fa, fb) -> {
            if (!Double.isNaN(acc[1])) {
                acc[0] += acc[2] * (x - acc[1]);
            }
            acc[1] = x;
            acc[2] = Math.abs(fa - fb);
        });
        return acc[0];
    }

    /** Receives each distinct value of either sketch, ascending, with both CDFs just after it. */
    @FunctionalInterface
    private interface CdfStep {
        void at(double x, double fReference, double fCurrent);
    }

    /**
     * Walks the union of both sketches' retained items in ascending order, giving each distinct value
     * once with both empirical CDFs evaluated at it (ties inside and across sketches handled together).
     */
    private static void walkCdfs(KllDoublesSketch reference, KllDoublesSketch current, CdfStep step) {
        requireNonEmpty(reference, current);
        DoublesSortedView a = reference.getSortedView();
        DoublesSortedView b = current.getSortedView();
        double[] qa = a.getQuantiles();
        double[] qb = b.getQuantiles();
        long[] ca = a.getCumulativeWeights();
        long[] cb = b.getCumulativeWeights();
        double na = a.getN();
        double nb = b.getN();
        int i = 0;
        int j = 0;
        while (i < qa.length || j < qb.length) {
            double x = Math.min(
                    i < qa.length ? qa[i] : Double.POSITIVE_INFINITY, j < qb.length ? qb[j] : Double.POSITIVE_INFINITY);
            while (i < qa.length && qa[i] == x) {
                i++;
            }
            while (j < qb.length && qb[j] == x) {
                j++;
            }
            step.at(x, i == 0 ? 0 : ca[i - 1] / na, j == 0 ? 0 : cb[j - 1] / nb);
        }
    }

    private static void requireNonEmpty(KllDoublesSketch a, KllDoublesSketch b) {
        if (a.isEmpty() || b.isEmpty()) {
            throw new IllegalArgumentException("sketches must be non-empty, got n=" + a.getN() + " and " + b.getN());
        }
    }

    private static void checkSameLength(double[] a, double[] b) {
        if (a.length != b.length || a.length == 0) {
            throw new IllegalArgumentException(
                    "bin vectors must have the same non-zero length, got " + a.length + " and " + b.length);
        }
    }

    private static void checkProbability(String name, double v) {
        if (!(v > 0 && v < 1)) {
            throw new IllegalArgumentException(name + " must be in (0, 1), got " + v);
        }
    }
}
