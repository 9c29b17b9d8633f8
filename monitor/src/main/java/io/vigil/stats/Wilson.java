package io.vigil.stats;

import org.apache.commons.statistics.distribution.NormalDistribution;

/**
 * Interval and test for a binomial proportion.
 *
 * <p>{@link #interval} is the Wilson score interval at 95%: centre (p + z²/2n)/(1 + z²/n), half width
 * z/(1 + z²/n) · sqrt(p(1-p)/n + z²/4n²). {@link #twoProportionPValue} is the pooled two-proportion
 * z test, two-sided, without continuity correction.
 */
public final class Wilson {

    private static final NormalDistribution STANDARD_NORMAL = NormalDistribution.of(0, 1);

    private Wilson() {}

    /**
     * The proportion k/n with its 95% Wilson interval; {@link Estimate#EMPTY} when n = 0.
     *
     * @throws IllegalArgumentException unless 0 <= k <= n
     */
    public static Estimate interval(long k, long n) {
        return interval(k, n, Estimate.Z95);
    }

    /**
     * The proportion k/n with its Wilson interval for the normal quantile z (1.96 for 95%; a
     * simultaneous interval over several proportions uses a larger one); {@link Estimate#EMPTY} when n = 0.
     *
     * @throws IllegalArgumentException unless 0 <= k <= n and z > 0
     */
    public static Estimate interval(long k, long n, double z) {
        if (k < 0 || k > n) {
            throw new IllegalArgumentException("k must be in [0, n=" + n + "], got " + k);
        }
        if (!(z > 0) || Double.isInfinite(z)) {
            throw new IllegalArgumentException("z must be positive and finite, got " + z);
        }
        if (n == 0) {
            return Estimate.EMPTY;
        }
        return interval(k, n, z, 1.0);
    }

    /**
     * The proportion k/n with its Wilson interval at the effective sample size n / designEffect (Kish's
     * effective n, as for clustered samples: the interval of k/n as if it rested on n / designEffect
     * independent cases); the estimate's n stays n. A design effect of 1 is {@link #interval(long, long, double)}.
     *
     * @throws IllegalArgumentException unless 0 <= k <= n, z > 0 and designEffect >= 1
     */
    public static Estimate interval(long k, long n, double z, double designEffect) {
        if (k < 0 || k > n) {
            throw new IllegalArgumentException("k must be in [0, n=" + n + "], got " + k);
        }
        if (!(z > 0) || Double.isInfinite(z)) {
            throw new IllegalArgumentException("z must be positive and finite, got " + z);
        }
        if (!(designEffect >= 1) || Double.isInfinite(designEffect)) {
            throw new IllegalArgumentException("design effect must be at least 1 and finite, got " + designEffect);
        }
        if (n == 0) {
            return Estimate.EMPTY;
        }
        double p = (double) k / n;
        double m = n / designEffect;
        double denom = 1 + z * z / m;
        double centre = (p + z * z / (2.0 * m)) / denom;
        double half = z * Math.sqrt(p * (1 - p) / m + z * z / (4.0 * m * m)) / denom;
        return new Estimate(p, centre - half, centre + half, n);
    }

    /**
     * Pooled two-proportion z statistic for k1/n1 (current) against k2/n2 (reference): positive when
     * the current rate is higher. NaN when either denominator is 0; 0 when the pooled rate is 0 or 1
     * (the two rates are then equal).
     */
    public static double twoProportionZ(long k1, long n1, long k2, long n2) {
        if (k1 < 0 || k1 > n1 || k2 < 0 || k2 > n2) {
            throw new IllegalArgumentException(
                    "counts must satisfy 0 <= k <= n, got " + k1 + "/" + n1 + " and " + k2 + "/" + n2);
        }
        if (n1 == 0 || n2 == 0) {
            return Double.NaN;
        }
        double pbar = (double) (k1 + k2) / (n1 + n2);
        double se = Math.sqrt(pbar * (1 - pbar) * (1.0 / n1 + 1.0 / n2));
        if (se == 0) {
            return 0.0;
        }
        return ((double) k1 / n1 - (double) k2 / n2) / se;
    }

    /** Two-sided p-value of {@link #twoProportionZ}; NaN when either denominator is 0. */
    public static double twoProportionPValue(long k1, long n1, long k2, long n2) {
        double z = twoProportionZ(k1, n1, k2, n2);
        if (Double.isNaN(z)) {
            return Double.NaN;
        }
        return Math.min(1.0, 2 * STANDARD_NORMAL.survivalProbability(Math.abs(z)));
    }
}
