package io.vigil.stats;

/**
 * Sequential change detection over a slice's daily series, recomputed from the daily buckets at
 * every snapshot round (no detector state of its own: the same buckets always give the same path).
 *
 * <h2>Standardised CUSUM ({@link #cusum})</h2>
 * Two-sided Page CUSUM on x_t, the day's statistic standardised by its known in-control mean and
 * standard deviation at that day's n (so x_t ~ (0, 1) while nothing has changed). Parameters k and h
 * come from {@link Cusum#forShift}: k = shift / 2, h from Siegmund's approximation so that the
 * two-sided in-control average run length is the configured number of days (for example 365: one
 * false alarm per stream per year). The statistics are not reset at an alarm: a slice is
 * <em>in alarm</em> while max(S+, S-) &gt; h, and returns to normal when the evidence decays, which
 * is what a gauge read by Prometheus and an alert rule needs. The first crossing is the same as
 * with the resetting CUSUM, so the run length (false alarms, detection delay) is unchanged.
 *
 * <p>Estimated change time: the first day after the last day on which the alarming side was 0
 * (the start of the excursion that crossed h), the usual CUSUM change-point estimate.
 *
 * <p>The path starts at 0 at the first retained day, so the CUSUM sees at most the retained
 * history; since S_t = max(0, max_j sum_{i=j..t}(x_i - k)), truncating the history can only lower
 * S_t (slightly fewer false alarms, and a shift older than the history has already alarmed).
 *
 * <h2>Risk-adjusted CUSUM over days ({@link #riskAdjusted})</h2>
 * Steiner et al. (2000) on labelled cases, day by day: the caller sums the case weights
 * W = y ln R - ln(1 - p + R p) ({@link RiskAdjustedCusum#weight}) of each day's labelled cases and
 * passes the daily sums; S_t = max(0, S_{t-1} + sum_t). Checking h once a day instead of after
 * every case can only delay an alarm by less than a day and never adds one, so a threshold from
 * {@link RiskAdjustedCusum#thresholdForArl0} (in cases) stays conservative.
 *
 * <p>Pure functions over arrays; thread-safe.
 */
public final class ChangeDetection {

    private ChangeDetection() {}

    /**
     * The outcome of running a detector over a series.
     *
     * @param statistic   the detector's value after the last step (the larger side when two-sided)
     * @param threshold   h
     * @param alarm       whether the last step is in alarm (statistic &gt; h)
     * @param direction   the alarming side at the last step, or NONE
     * @param changeIndex when in alarm: index of the estimated first changed step; else -1
     * @param firstAlarm  index of the first step whose statistic exceeded h, or -1 (for run-length studies)
     * @param steps       number of steps in the series
     */
    public record Path(
            double statistic,
            double threshold,
            boolean alarm,
            Cusum.Direction direction,
            int changeIndex,
            int firstAlarm,
            int steps) {}

    /** Two-sided non-resetting CUSUM with {@code cusum}'s k and h over standardised observations. */
    public static Path cusum(Cusum cusum, double[] x) {
        return cusum(cusum, x, new double[x.length]);
    }

    /**
     * Two-sided non-resetting CUSUM whose reference value at step t is k + {@code allowance[t]}
     * (both sides), e.g. to absorb a bounded error of the in-control mean the observations were
     * standardised with.
     *
     * @param allowance per step, &gt;= 0; same length as {@code x}
     */
    public static Path cusum(Cusum cusum, double[] x, double[] allowance) {
        if (allowance.length != x.length) {
            throw new IllegalArgumentException(
                    "x and allowance differ in length: " + x.length + " vs " + allowance.length);
        }
        double h = cusum.h();
        double up = 0;
        double lo = 0;
        int upZero = -1;
        int loZero = -1;
        int first = -1;
        for (int t = 0; t < x.length; t++) {
            if (!Double.isFinite(x[t])) {
                throw new IllegalArgumentException("observation " + t + " must be finite, got " + x[t]);
            }
            if (!(allowance[t] >= 0)) {
                throw new IllegalArgumentException("allowance " + t + " must be >= 0, got " + allowance[t]);
            }
            double k = cusum.k() + allowance[t];
            up = Math.max(0, up + x[t] - k);
            lo = Math.max(0, lo - x[t] - k);
            if (up == 0) {
                upZero = t;
            }
            if (lo == 0) {
                loZero = t;
            }
            if (first < 0 && Math.max(up, lo) > h) {
                first = t;
            }
        }
        double stat = Math.max(up, lo);
        if (stat > h) {
            boolean upper = up >= lo;
            return new Path(
                    stat,
                    h,
                    true,
                    upper ? Cusum.Direction.UP : Cusum.Direction.DOWN,
                    (upper ? upZero : loZero) + 1,
                    first,
                    x.length);
        }
        return new Path(stat, h, false, Cusum.Direction.NONE, -1, first, x.length);
    }

    /**
     * One-sided risk-adjusted CUSUM over daily sums of case weights (see the class comment).
     *
     * @param dailyWeightSums per day, the sum over its labelled cases of y ln R - ln(1 - p + R p)
     * @param h               threshold in log-likelihood-ratio units, &gt; 0
     */
    public static Path riskAdjusted(double[] dailyWeightSums, double h) {
        if (!(h > 0) || !Double.isFinite(h)) {
            throw new IllegalArgumentException("threshold h must be > 0, got " + h);
        }
        double s = 0;
        int zero = -1;
        int first = -1;
        for (int t = 0; t < dailyWeightSums.length; t++) {
            double w = dailyWeightSums[t];
            if (!Double.isFinite(w)) {
                throw new IllegalArgumentException("daily weight sum " + t + " must be finite, got " + w);
            }
            s = Math.max(0, s + w);
            if (s == 0) {
                zero = t;
            }
            if (first < 0 && s > h) {
                first = t;
            }
        }
        return s > h
                ? new Path(s, h, true, Cusum.Direction.UP, zero + 1, first, dailyWeightSums.length)
                : new Path(s, h, false, Cusum.Direction.NONE, -1, first, dailyWeightSums.length);
    }

    /** The sum of risk-adjusted CUSUM weights of one day's labelled cases (risks p, outcomes y). */
    public static double dailyWeightSum(double oddsRatio, double[] p, boolean[] y) {
        if (p.length != y.length) {
            throw new IllegalArgumentException("p and y differ in length: " + p.length + " vs " + y.length);
        }
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            sum += RiskAdjustedCusum.weight(oddsRatio, p[i], y[i]);
        }
        return sum;
    }

    /**
     * A day's mean standardised against the reference: (mean - mu0) / sqrt(var0 / n).
     *
     * @throws IllegalArgumentException when n &lt;= 0 or var0 &lt;= 0
     */
    public static double standardisedMean(double mean, double mu0, double var0, long n) {
        if (n <= 0) {
            throw new IllegalArgumentException("n must be > 0, got " + n);
        }
        if (!(var0 > 0) || !Double.isFinite(var0)) {
            throw new IllegalArgumentException("reference variance must be > 0, got " + var0);
        }
        return (mean - mu0) / Math.sqrt(var0 / n);
    }
}
