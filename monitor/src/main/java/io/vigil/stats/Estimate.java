package io.vigil.stats;

/**
 * A point estimate with its two-sided 95% interval and the sample size behind it. An estimate
 * whose denominator is empty is {@link #EMPTY}: no value rather than 0 or NaN.
 *
 * @param value  the point estimate, or NaN when {@link #isEmpty()}
 * @param lower  lower bound of the 95% interval (equal to value when the metric has no interval)
 * @param upper  upper bound of the 95% interval
 * @param n      the number of cases the estimate rests on
 */
public record Estimate(double value, double lower, double upper, long n) {

    /** Two-sided 95% normal quantile. */
    public static final double Z95 = 1.959963984540054;

    public static final Estimate EMPTY = new Estimate(Double.NaN, Double.NaN, Double.NaN, 0);

    public boolean isEmpty() {
        return n == 0 || Double.isNaN(value);
    }

    /** An estimate without an interval. */
    public static Estimate point(double value, long n) {
        return new Estimate(value, value, value, n);
    }
}
