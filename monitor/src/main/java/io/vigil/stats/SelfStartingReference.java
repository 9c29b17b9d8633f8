package io.vigil.stats;

/**
 * The in-control value a self-starting CUSUM compares each day against: the slice's baseline (or the
 * version's reference profile) pooled with every earlier day of the path (Hawkins 1987; Hawkins and
 * Olwell, <i>Cumulative Sum Charts and Charting for Quality Improvement</i>, 1998, ch. 7).
 *
 * <h2>Why pooled</h2>
 * A baseline of n0 cases estimates the in-control mean with an error that every later day shares.
 * Standardising each day against that fixed estimate gives observations that are correlated through
 * it: a slice whose baseline came out low sees a permanent upward push, and no single threshold then
 * gives every slice its configured false-alarm rate (measured: with a 14-day baseline, a threshold set
 * for an average run length of 365 days over baselines made a third of all unchanged slices alarm in
 * their first 46 days). Standardising day t instead against the pool P of the baseline and days before
 * t, x_t = (m_t − m_P) / sqrt(v_P (1/n_t + 1/N_P)), gives innovations that are uncorrelated with unit
 * variance while nothing changes (Cov(x_s, x_t) = −v/N_t + v/N_t = 0 for s &lt; t, the Helmert
 * argument), exactly normal for normal data and close to it for the day means and shares Vigil
 * watches. So the known-value threshold ({@link Cusum#forShift}) holds for every slice whatever its
 * baseline, and that is measured through the production path by
 * {@code io.vigil.verification.RunLengthClaims}.
 *
 * <p>The price: after a change the pool absorbs the changed days, so the innovations shrink and an
 * alarm ends once the changed days outweigh the earlier ones (with 14 baseline days and a 60-day
 * history, weeks after a change); a slow drift is partly absorbed as it happens. Vigil's window tests
 * (drift, performance against the baseline or target) keep alarming on a persistent change.
 *
 * <p>Works for a mean of per-case values (score) and for a share (sum = events, sum of squares = events).
 * Mutable, not thread-safe.
 */
public final class SelfStartingReference {
    private double n;
    private double sum;
    private double sumSquares;

    private SelfStartingReference(double n, double sum, double sumSquares) {
        this.n = n;
        this.sum = sum;
        this.sumSquares = sumSquares;
    }

    /** A reference of {@code n} cases with the given sum and sum of squares of their values. */
    public static SelfStartingReference of(double n, double sum, double sumSquares) {
        if (!(n >= 0) || !Double.isFinite(sum) || !Double.isFinite(sumSquares)) {
            throw new IllegalArgumentException(
                    "reference needs n >= 0 and finite sums, got " + n + ", " + sum + ", " + sumSquares);
        }
        return new SelfStartingReference(n, sum, sumSquares);
    }

    /** A reference of {@code n} cases with mean {@code mean} and (population) variance {@code variance}. */
    public static SelfStartingReference ofMoments(double n, double mean, double variance) {
        return of(n, n * mean, n * (variance + mean * mean));
    }

    /** Cases pooled so far. */
    public double n() {
        return n;
    }

    public double mean() {
        return sum / n;
    }

    /** Per-case (population) variance of the pool. */
    public double variance() {
        double m = sum / n;
        return Math.max(0, sumSquares / n - m * m);
    }

    /**
     * The day's innovation (m − m_P) / sqrt(v_P (1/n + 1/N_P)), m = daySum / dayN; NaN when the pool or the
     * day is empty or the pool has no variance (no CUSUM step then).
     */
    public double innovation(double dayN, double daySum) {
        double v = variance();
        if (!(n > 0) || !(dayN > 0) || !(v > 0)) {
            return Double.NaN;
        }
        return (daySum / dayN - sum / n) / Math.sqrt(v * (1 / dayN + 1 / n));
    }

    /** Adds the day to the pool. */
    public void pool(double dayN, double daySum, double daySumSquares) {
        n += dayN;
        sum += daySum;
        sumSquares += daySumSquares;
    }
}
