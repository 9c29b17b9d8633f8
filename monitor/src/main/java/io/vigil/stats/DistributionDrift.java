package io.vigil.stats;

import org.apache.commons.statistics.distribution.ChiSquaredDistribution;

/**
 * Drift between a reference and a current distribution of one numeric variable (a score or a
 * feature), from {@link ValueHistogram}s or from exact bin counts. All statistics are unitless except
 * Wasserstein-1, which is in the units of the variable.
 *
 * <h2>Histograms, not sketches</h2>
 * Both sides are log-linear histograms with exact counts (buckets 2^-7 = 0.78% of a value wide, at most
 * {@link #MAX_BUCKETS} of them for scores, {@code DriftAggregate.FEATURE_MAX_BUCKETS} for features). Every
 * statistic is computed at the coarser of the two histograms' resolutions, where both CDFs are exact: the
 * statistics are those of the two samples with values rounded to their buckets. Rounding both samples the
 * same way keeps two samples of one distribution samples of one distribution, so the p-values below stay
 * valid (ties only make the KS p-value conservative), and the result is the same bits for any order or
 * grouping of the values. Until 2026-12 these were KLL sketches (k = 800 for scores, 200 for features):
 * their rank error does not shrink with n, so their KS floor was 0.047 (scores) and 0.106 (features) at any
 * n, and their random compaction made two replays of one input publish different drift statistics. State
 * and profiles holding KLL sketches are converted on reading and keep the sketch's rank error
 * ({@link ValueHistogram#rankError()}), which the p-values add as before.
 *
 * <h2>Definitions (golden.json, {@code drift_samples.csv})</h2>
 * <ul>
 *   <li>PSI over B bins (default the reference deciles, outer bins open), shares floored at 1e-4:
 *       sum (c - r) ln(c / r). Its null for exact counts: PSI * nm/(n+m) ~ chi-square(B - 1); see
 *       {@link #psiPValue(double[], double[], long, long, double)}.</li>
 *   <li>Jensen-Shannon distance, base 2, over the same bins on unfloored shares, in [0, 1].</li>
 *   <li>Wasserstein-1 = integral |F(x) - G(x)| dx, the CDFs stepping at bucket lower bounds: within
 *       2^-7 (E|X| + E|Y|) of the exact value, plus the value range times any converted sketch's rank
 *       error.</li>
 *   <li>KS statistic: sup |F - G| over the bucket boundaries of the common resolution (the KS statistic
 *       of the bucket-rounded samples: ties, such as kVp or slice thickness, are compared after all their
 *       mass).</li>
 * </ul>
 */
public final class DistributionDrift {

    /** The most buckets of a score histogram: at 2^-7 resolution, scores from 1e-5 to 1 fit without coarsening. */
    public static final int MAX_BUCKETS = 2048;

    /** Floor applied to bin shares in PSI, as in golden.json ({@code psi_epsilon}). */
    public static final double PSI_EPSILON = 1e-4;

    private static final double LN2 = Math.log(2);

    private DistributionDrift() {}

    /** A new empty score histogram ({@link #MAX_BUCKETS}). */
    public static ValueHistogram newHistogram() {
        return new ValueHistogram(MAX_BUCKETS);
    }

    /**
     * The largest error of a CDF value read from the histogram: 0 unless it was converted from a KLL
     * sketch (then that sketch's single-sided normalised rank error, 99% confidence).
     */
    public static double rankError(ValueHistogram histogram) {
        return histogram.rankError();
    }

    /**
     * Everything this class computes for one reference and one current histogram.
     *
     * @param ks             KS statistic between the histograms, in [0, 1]
     * @param ksThreshold    critical value at {@code alpha} (plus any converted sketch's rank error)
     * @param ksDrift        {@code ks > ksThreshold}
     * @param ksPValue       Kolmogorov p-value ({@link #ksPValue(double, long, long, double)})
     * @param psi            population stability index over the reference bins
     * @param psiPValue      p-value of {@code psi} under the chi-square null
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
     * Compares a current histogram to a reference.
     *
     * @param alpha significance level of the KS drift decision, in (0, 1)
     * @throws IllegalArgumentException when the current histogram is empty
     */
    public static Report compare(ReferenceDistribution reference, ValueHistogram current, double alpha) {
        if (current.isEmpty()) {
            throw new IllegalArgumentException("current histogram is empty: nothing to compare");
        }
        ValueHistogram ref = reference.histogram();
        long n = ref.n();
        long m = current.n();
        double d = ksStatistic(ref, current);
        double thr = ksThreshold(ref, current, alpha);
        double[] r = reference.proportions();
        double[] edges = reference.edges();
        double[] c = binProportions(current, edges);
        double psi = psi(r, c);
        double rankError = sketchError(ref, false) + sketchError(current, false);
        double binError = sketchError(ref, true) + sketchError(current, true) + straddlingShare(current, edges);
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
     * The error a histogram's CDF ({@code pmf} false) or bin shares ({@code pmf} true, a difference of two
     * CDF values) can carry: 0 for a histogram of values, whose counts are exact; for one converted from a
     * KLL sketch, that sketch's rank error (twice it for bin shares).
     */
    public static double sketchError(ValueHistogram histogram, boolean pmf) {
        return pmf ? 2 * histogram.rankError() : histogram.rankError();
    }

    /**
     * The largest share of a histogram's values in one bucket that an edge cuts (an edge that is not a bucket
     * boundary at the histogram's resolution). Such a bucket is counted in the bin of its lower bound, so a bin
     * misses at most the cut bucket at its lower edge and gains at most the one at its upper edge: each bin
     * share is within this of the exact one. 0 when the edges are the reference's bucket boundaries and the
     * current histogram is as fine as the reference's, the usual case.
     */
    public static double straddlingShare(ValueHistogram histogram, double[] edges) {
        long largest = 0;
        int i = 0;
        for (double e : edges) {
            while (i < histogram.buckets() && histogram.upperBound(i) <= e) {
                i++;
            }
            if (i < histogram.buckets() && histogram.lowerBound(i) < e) {
                largest = Math.max(largest, histogram.count(i));
            }
        }
        return histogram.isEmpty() ? 0.0 : (double) largest / histogram.n();
    }

    /**
     * KS p-value allowing for a CDF error {@code rankError} (0 for histograms of values): the asymptotic
     * p-value of the distance less that error, Q_KS(sqrt(nm/(n+m)) max(0, d - e)). A distance read from a
     * KLL sketch exceeds the exact one by at most e (with 99% confidence), so this p-value is never smaller
     * than the exact one's there: without it, KLL noise, which does not shrink with n, made 34% of null
     * windows of 200,000 scores (k = 800) and all of 200,000 feature values (k = 200) "significant" at
     * 0.05. Null false-positive rate: {@code vigil verify-statistics}.
     */
    public static double ksPValue(double d, long n, long m, double rankError) {
        return ksPValue(Math.max(0.0, d - rankError), n, m);
    }

    /**
     * PSI p-value. For exact counts, PSI nm/(n+m) ~ chi-square(B - 1) because each bin's share difference
     * has variance r (1/n + 1/m). The statistic is Pearson's form of that null with any bin-share error
     * (a converted KLL sketch's, or buckets an edge cuts) as extra variance,
     * sum_b (c_b - r_b)^2 / (r_b (1/n + 1/m) + s^2), s = binError / 2.576 (the 99% error as a standard
     * deviation), against chi-square(B - 1); with exact bins s = 0. (With KLL bins and no such term, half
     * of all null windows of 20,000 feature values were "significant".) Null false-positive rate and
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

    /** KS statistic sup |F - G| between two non-empty histograms, at the coarser one's resolution. */
    public static double ksStatistic(ValueHistogram reference, ValueHistogram current) {
        double[] d = {0};
        walkCdfs(reference, current, (x, fa, fb) -> d[0] = Math.max(d[0], Math.abs(fa - fb)));
        return d[0];
    }

    /**
     * KS critical value at {@code alpha}: c(alpha) sqrt((n + m)/(n m)), c(alpha) = sqrt(-ln(alpha/2)/2)
     * (the asymptotic Kolmogorov quantile), plus both histograms' rank errors (0 unless converted from KLL
     * sketches). Drift is declared when the statistic exceeds it.
     */
    public static double ksThreshold(ValueHistogram reference, ValueHistogram current, double alpha) {
        requireNonEmpty(reference, current);
        checkProbability("alpha", alpha);
        double n = reference.n();
        double m = current.n();
        double c = Math.sqrt(-0.5 * Math.log(alpha / 2));
        return c * Math.sqrt((n + m) / (n * m)) + reference.rankError() + current.rankError();
    }

    /** {@code ksStatistic > ksThreshold}. */
    public static boolean ksDrift(ValueHistogram reference, ValueHistogram current, double alpha) {
        return ksStatistic(reference, current) > ksThreshold(reference, current, alpha);
    }

    /**
     * Asymptotic two-sample KS p-value: Q_KS(sqrt(nm/(n+m)) d), with Q_KS the Kolmogorov survival
     * function. It treats {@code d} as exact, and it differs from the exact small-sample p-value by O(1/sqrt(nm/(n+m))).
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
     * Share of a histogram's values in each bin {@code (-inf, e1), [e1, e2), ..., [e_last, +inf)}, each
     * bucket counted in the bin of its lower bound: exact when every edge is a bucket boundary at the
     * histogram's resolution, otherwise within {@link #straddlingShare} per bin. Shares sum to 1.
     */
    public static double[] binProportions(ValueHistogram histogram, double[] edges) {
        ReferenceDistribution.checkEdges(edges);
        if (histogram.isEmpty()) {
            throw new IllegalArgumentException("histogram is empty");
        }
        long[] counts = new long[edges.length + 1];
        for (int i = 0; i < histogram.buckets(); i++) {
            counts[upperBound(edges, histogram.lowerBound(i))] += histogram.count(i);
        }
        return proportions(counts);
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
     * Wasserstein-1 between the distributions two histograms hold, in units of the variable: the integral
     * of |F(x) - G(x)| with both CDFs stepping at the lower bounds of the buckets at the coarser
     * resolution. Within 2^-(7 - coarsening) (E|X| + E|Y|) of the exact value between the samples.
     */
    public static double wasserstein1(ValueHistogram reference, ValueHistogram current) {
        // |F - G| is constant between consecutive bucket lower bounds: integrate the steps.
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

    /** Receives each non-empty bucket of either histogram, ascending, with both CDFs just after it. */
    @FunctionalInterface
    private interface CdfStep {
        void at(double lowerBound, double fReference, double fCurrent);
    }

    /**
     * Walks the union of both histograms' non-empty buckets at the coarser of their resolutions, in
     * ascending order, giving each bucket once with both exact CDFs at its upper end.
     */
    private static void walkCdfs(ValueHistogram reference, ValueHistogram current, CdfStep step) {
        requireNonEmpty(reference, current);
        int level = Math.max(reference.coarsening(), current.coarsening());
        int dropA = level - reference.coarsening();
        int dropB = level - current.coarsening();
        double na = reference.n();
        double nb = current.n();
        int sa = reference.buckets();
        int sb = current.buckets();
        long ca = 0;
        long cb = 0;
        int i = 0;
        int j = 0;
        while (i < sa || j < sb) {
            long ka = i < sa ? reference.key(i) >> dropA : Long.MAX_VALUE;
            long kb = j < sb ? current.key(j) >> dropB : Long.MAX_VALUE;
            long k = Math.min(ka, kb);
            while (i < sa && reference.key(i) >> dropA == k) {
                ca += reference.count(i++);
            }
            while (j < sb && current.key(j) >> dropB == k) {
                cb += current.count(j++);
            }
            step.at(ValueHistogram.boundary(k, level), ca / na, cb / nb);
        }
    }

    private static void requireNonEmpty(ValueHistogram a, ValueHistogram b) {
        if (a.isEmpty() || b.isEmpty()) {
            throw new IllegalArgumentException("histograms must be non-empty, got n=" + a.n() + " and " + b.n());
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
