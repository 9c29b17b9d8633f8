package io.vigil.stats;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The sampling error of an isotonic calibration map fitted on a labelled reference, by a bootstrap
 * over its bins' posteriors, for the intervals of confidence-based estimates ({@link ConfidenceBasedEstimate}).
 *
 * <p>A reference of N labelled cases summarised as bins (score midpoint x_j, positives, negatives) gives
 * the map q&#770;(s) ({@link IsotonicCalibration}, pool-adjacent-violators). Every estimate made through
 * it shares its error: with 2,000 reference cases, CBPE intervals that count only the unknown labels of
 * the window covered 0.89 to 0.91, and 0.73 for a window of 5,000 (issue 18; the rows are in
 * docs/STATISTICAL-VALIDATION.md). Each of {@link #DEFAULT_REPLICATES} replicates draws every bin's event
 * share from its Jeffreys posterior Beta(positives + 1/2, negatives + 1/2), refits the map the same way and
 * evaluates it at the midpoints of the estimate's score bins; an estimate's map variance is then the mean
 * squared change of the estimate between the fitted map and the replicates, through its gradient in each
 * score bin's q ({@link ConfidenceBasedEstimate#withMapError}). The posterior rather than a binomial redraw
 * from the fitted map, because a sparse bin (a reference of 500 cases has a handful of positives in its
 * lowest bins) must not count as known when it happens to hold no positive: with binomial redraws, NPV's
 * interval covered 0.935 at a 500-case reference (2,000 replicates), with the posterior 0.972, and the other
 * rows stayed within their Monte-Carlo error. The mean squared change, not the variance about the
 * replicates' mean, keeps the fit's own bias in the error. Coverage is measured through the estimation
 * stage by {@code io.vigil.verification.EstimationClaims}.
 *
 * <p>Deterministic: the random stream is seeded from the bins, so one reference gives the same
 * replicates in every run, restart and replay. Built once per reference; immutable.
 */
public final class CalibrationMapBootstrap {
    /** Replicates; the map variance carries a Monte-Carlo error of about sqrt(2/R) = 7% of itself. */
    public static final int DEFAULT_REPLICATES = 400;

    /** Per replicate, q_rb − q&#770;_b at each score bin b. */
    private final double[][] changes;

    private CalibrationMapBootstrap(double[][] changes) {
        this.changes = changes;
    }

    /**
     * Fits the map and its replicates.
     *
     * @param x          bin midpoints of the reference's labelled bins
     * @param positives  positive labels per bin
     * @param negatives  negative labels per bin
     * @param scoreBins  equal-width score bins on [0, 1] of the estimates it will serve
     * @param replicates bootstrap replicates
     * @return the bootstrap, or null when the reference has no labelled case
     */
    public static CalibrationMapBootstrap fit(
            double[] x, long[] positives, long[] negatives, int scoreBins, int replicates) {
        int k = x.length;
        if (positives.length != k || negatives.length != k) {
            throw new IllegalArgumentException("x, positives and negatives must have equal length");
        }
        if (scoreBins < 1 || replicates < 2) {
            throw new IllegalArgumentException("need at least one score bin and two replicates");
        }
        double[] y = new double[k];
        double[] w = new double[k];
        double total = 0;
        for (int j = 0; j < k; j++) {
            long n = positives[j] + negatives[j];
            if (positives[j] < 0 || negatives[j] < 0) {
                throw new IllegalArgumentException("label counts must be >= 0 in bin " + j);
            }
            y[j] = n == 0 ? 0 : (double) positives[j] / n;
            w[j] = n;
            total += n;
        }
        if (total == 0) {
            return null;
        }
        IsotonicCalibration map = IsotonicCalibration.fit(x, y, w);
        double[] mids = new double[scoreBins];
        for (int b = 0; b < scoreBins; b++) {
            mids[b] = (b + 0.5) / scoreBins;
        }
        double[] fittedAtMids = evaluate(map, mids);
        SplittableRandom random = new SplittableRandom(seed(x, positives, negatives));
        double[][] reps = new double[replicates][];
        double[] yr = new double[k];
        for (int r = 0; r < replicates; r++) {
            for (int j = 0; j < k; j++) {
                long n = positives[j] + negatives[j];
                if (n == 0) {
                    yr[j] = 0;
                } else {
                    double a = gamma(random, positives[j] + 0.5);
                    yr[j] = a / (a + gamma(random, negatives[j] + 0.5));
                }
            }
            reps[r] = evaluate(IsotonicCalibration.fit(x, yr, w), mids);
            for (int b = 0; b < scoreBins; b++) {
                reps[r][b] -= fittedAtMids[b];
            }
        }
        return new CalibrationMapBootstrap(reps);
    }

    /** Number of score bins served. */
    public int scoreBins() {
        return changes[0].length;
    }

    /** Number of replicates. */
    public int replicates() {
        return changes.length;
    }

    /**
     * The mean over replicates of (sum over score bins of gradient_b × (q_rb − q&#770;_b))², the map
     * variance of a statistic whose gradient in each score bin's calibrated probability (summed over the
     * bin's cases) is {@code gradient}.
     */
    public double variance(double[] gradient) {
        int bins = changes[0].length;
        if (gradient.length != bins) {
            throw new IllegalArgumentException("gradient has " + gradient.length + " bins, the bootstrap " + bins);
        }
        double sum = 0;
        for (double[] change : changes) {
            double d = 0;
            for (int b = 0; b < bins; b++) {
                d += gradient[b] * change[b];
            }
            sum += d * d;
        }
        return sum / changes.length;
    }

    private static double[] evaluate(IsotonicCalibration map, double[] at) {
        double[] q = new double[at.length];
        for (int i = 0; i < at.length; i++) {
            q[i] = Math.max(0, Math.min(1, map.apply(at[i])));
        }
        return q;
    }

    /** A Gamma(shape, 1) draw (Marsaglia and Tsang 2000; shape below 1 boosted by U^(1/shape)). */
    static double gamma(SplittableRandom random, double shape) {
        if (shape < 1) {
            return gamma(random, shape + 1) * Math.pow(1 - random.nextDouble(), 1 / shape);
        }
        double d = shape - 1.0 / 3;
        double c = 1 / Math.sqrt(9 * d);
        while (true) {
            double x = random.nextGaussian();
            double v = 1 + c * x;
            if (v <= 0) {
                continue;
            }
            v = v * v * v;
            double u = 1 - random.nextDouble();
            if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) {
                return d * v;
            }
        }
    }

    private static long seed(double[] x, long[] positives, long[] negatives) {
        return 31L * (31L * Arrays.hashCode(x) + Arrays.hashCode(positives)) + Arrays.hashCode(negatives);
    }
}
