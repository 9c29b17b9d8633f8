package io.vigil.stats;

import java.util.function.DoubleUnaryOperator;

/**
 * The in-control value the estimated-sensitivity CUSUM compares each day against, self-starting like
 * {@link SelfStartingReference}: the slice's baseline (or the version's reference profile) pooled with every earlier
 * day of the path.
 *
 * <p>A day's CBPE sensitivity is the ratio s = Σa / Σb over its n cases, a_i = q_i 1[positive_i] and b_i = q_i (q the
 * calibrated probability). Its day-to-day variation comes from which cases arrive (case mix), so the scale is the
 * per-case variance of the ratio estimator: with S0 = Σa / Σb over the pool, v0 = Var(a − S0 b) / E[b]², and by the
 * delta method Var(s) ≈ v0 / n. The pool is five additive sums {N, Σa, Σb, Σa², Σb²} (Σab = Σa², a being q or 0):
 * a baseline's from its estimate ({@link ConfidenceBasedEstimate#sensitivitySums}), a profile's from its score
 * histogram through the calibration map ({@link #ofProfile}); each day adds its own. So S0 and v0 both follow the pool,
 * as the mean and variance of {@link SelfStartingReference} do, and a profile of a few hundred cases is not taken as
 * exact.
 *
 * <h2>Why the log miss-rate scale</h2>
 * At a few dozen cases a day the ratio is biased low and skewed to the left: for a screening model with sensitivity
 * 0.76 and 20% positive decisions, (s − S0) / sd has mean −0.20, variance 1.24 and skewness −1.0 at 50 cases a day,
 * and −0.10, 1.05, −0.48 at 200. Those steps made the two-sided CUSUM alarm every 247 days at 50 cases a day and
 * every 1,294 at 200, where 3,650 are configured (2,000 streams). The miss rate 1 − s = F / (A + F), with F the sum of q over
 * predicted negatives (many small terms), has a logarithm close to normal: by the delta method ln(1 − s) has variance
 * v0 / (n (1 − S0)²), and the step −(ln(1 − s) − ln(1 − S0)) (1 − S0) / sqrt(v0 (1/n + 1/N)) has mean −0.02,
 * variance 1.06 and skewness 0.08 at 50 cases a day (skewness at most 0.22 for a model of sensitivity 0.49). The run
 * lengths this gives are measured and published by {@code io.vigil.verification.RunLengthClaims}.
 *
 * <h2>At least {@value #MIN_EXPECTED_POSITIVES} expected positives a day</h2>
 * The delta method is first order: on the log scale the step's variance is still about 1 + 0.37 / E[positives] (1.06
 * at 6 expected positives a day), and a CUSUM's run length is sensitive to it (measured: 2,462 days at 50 cases a day,
 * 6.3 expected positives; 3,099 at 100). So a day gives a step only when it holds at least
 * {@value #MIN_EXPECTED_POSITIVES} expected positives at the pool's case mix, n Σb / N (its volume, not its own Σq, so
 * that which days step does not depend on their outcome); smaller days are still pooled. A slice with fewer expected
 * positives a day has no sensitivity CUSUM; its positive-rate and mean-score CUSUMs still run.
 *
 * <p>Used by the estimation stage and by the run-length experiments. Mutable, not thread-safe.
 */
public final class SensitivityReference {
    /** Expected positives a day needs, at the pool's case mix, to be a CUSUM step (see the class comment). */
    public static final double MIN_EXPECTED_POSITIVES = 20;

    private double n;
    private double a;
    private double b;
    private double a2;
    private double b2;

    private SensitivityReference(double n, double a, double b, double a2, double b2) {
        this.n = n;
        this.a = a;
        this.b = b;
        this.a2 = a2;
        this.b2 = b2;
    }

    /** A slice's baseline: its estimate's sums, to which each day's are added. */
    public static SensitivityReference ofBaseline(ConfidenceBasedEstimate baseline) {
        double[] s = baseline.sensitivitySums();
        return new SensitivityReference(s[0], s[1], s[2], s[3], s[4]);
    }

    /**
     * A reference profile of {@code n0} cases: its score histogram, each bucket at its midpoint (within 2^-8 of a
     * score, relative) with calibrated probability {@code calibration(midpoint)} clipped to [0, 1], positive at
     * {@code threshold}; the per-case sums scaled to {@code n0} cases.
     *
     * @return the reference, or null when the profile has no cases
     */
    public static SensitivityReference ofProfile(
            ValueHistogram scores, DoubleUnaryOperator calibration, double threshold, long n0) {
        if (n0 <= 0 || scores.isEmpty()) {
            return null;
        }
        double w = 0;
        double sa = 0;
        double sb = 0;
        double sa2 = 0;
        double sb2 = 0;
        for (int i = 0; i < scores.buckets(); i++) {
            double score = scores.midpoint(i);
            double count = scores.count(i);
            double q = Math.max(0, Math.min(1, calibration.applyAsDouble(score)));
            double ai = score >= threshold ? q : 0;
            w += count;
            sa += count * ai;
            sb += count * q;
            sa2 += count * ai * ai;
            sb2 += count * q * q;
        }
        double scale = n0 / w;
        return new SensitivityReference(n0, sa * scale, sb * scale, sa2 * scale, sb2 * scale);
    }

    /** An independent copy of this reference, as it stands. */
    public SensitivityReference copy() {
        return new SensitivityReference(n, a, b, a2, b2);
    }

    /** Cases pooled so far. */
    public double n() {
        return n;
    }

    /** The pooled sensitivity S0 = Σa / Σb (NaN without expected positives). */
    public double sensitivity() {
        return a / b;
    }

    /** The pooled per-case variance v0 = Var(a − S0 b) / E[b]² (NaN without expected positives). */
    public double caseVariance() {
        double s0 = a / b;
        double eb = b / n;
        double var = Math.max(0, (a2 - 2 * s0 * a2 + s0 * s0 * b2) / n);
        return var / (eb * eb);
    }

    /**
     * The day's innovation on the log miss-rate scale, −(ln(1 − s) − ln(1 − S0)) (1 − S0) / sqrt(v0 (1/n + 1/N)),
     * positive when the sensitivity rises; NaN when the pool or the day has no defined sensitivity, either is 1, or the
     * day has fewer than {@value #MIN_EXPECTED_POSITIVES} expected positives at the pool's case mix (no CUSUM step then).
     * See the class comment for why this scale.
     */
    public double innovation(ConfidenceBasedEstimate day) {
        double sd = standardError(day);
        if (!(sd > 0) || day.n() * b / n < MIN_EXPECTED_POSITIVES) {
            return Double.NaN;
        }
        double s0 = sensitivity();
        double s = day.sensitivity().value();
        return -(Math.log1p(-s) - Math.log1p(-s0)) * (1 - s0) / sd;
    }

    /**
     * The day's innovation as the estimation stage scored it before the log miss-rate scale, (s − S0) / sqrt(v0 (1/n
     * + 1/N)), on every day: kept for the validation table's "before" rows, which show why the scale changed.
     */
    public double innovationOnRawScale(ConfidenceBasedEstimate day) {
        double sd = standardError(day);
        if (!(sd > 0)) {
            return Double.NaN;
        }
        return (day.sensitivity().value() - sensitivity()) / sd;
    }

    /** sqrt(v0 (1/n + 1/N)), or NaN when the day or the pool has no defined sensitivity or the pool's is 1. */
    private double standardError(ConfidenceBasedEstimate day) {
        if (!(n > 0) || !(b > 0) || day.n() == 0 || !(sensitivity() < 1)) {
            return Double.NaN;
        }
        double s = day.sensitivity().value();
        if (!Double.isFinite(s)) {
            return Double.NaN;
        }
        return Math.sqrt(caseVariance() * (1.0 / day.n() + 1.0 / n));
    }

    /** Adds the day to the pool. */
    public void pool(ConfidenceBasedEstimate day) {
        double[] s = day.sensitivitySums();
        n += s[0];
        a += s[1];
        b += s[2];
        a2 += s[3];
        b2 += s[4];
    }
}
