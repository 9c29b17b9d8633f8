package io.vigil.stats;

import java.util.List;

/**
 * The self-starting, risk-adjusted reference of the labelled-outcome CUSUM {@code cusum:observed_expected}: each
 * prediction-day cohort's observed events among its labelled cases, O_d, against what the model's predicted
 * risks p_i of those cases say, E_d = Σ p_i, scaled by the calibration factor θ̂ = O_P / E_P of the pool P of
 * the earlier cohorts of the path:
 *
 * <pre>
 *   z_d = (O_d − θ̂ E_d) / sqrt(θ̂ (V_d + E_d² V_P / E_P²)),   V = Σ p_i (1 − p_i)
 * </pre>
 *
 * <h2>Why this form</h2>
 * It is the risk-adjusted observed-minus-expected statistic (the quantity Steiner et al. 2000's Bernoulli CUSUM
 * and the VLAD chart accumulate), standardised day by day so that the configured two-sided CUSUM
 * ({@link Cusum#forShift}) and its ARL0 in days apply. Case mix enters through the p_i: a day of high-risk
 * cases is expected to have more events. Given the risks, O_d is a sum of independent Bernoullis with variance
 * V_d while the model is calibrated (θ = 1); θ̂'s own error adds E_d² Var(θ̂) = E_d² V_P / E_P². With V
 * proportional to E (a stable case mix), the innovations are uncorrelated while nothing changes, by the same
 * Helmert argument as {@link SelfStartingReference}: Cov(O_s − θ̂_s E_s, O_t − θ̂_t E_t) = −(E_t/E_{P_t})
 * (Var O_s − (E_s/E_{P_s}) Var O_{P_s}) = 0 for s &lt; t. The factor θ̂ keeps the scale right (to first order)
 * for a slice whose calibration differs from the model's but is stable: like the label-free CUSUMs, this
 * watches a slice for <em>change</em> against its own history; a slice that was always miscalibrated is
 * the window rules' finding ({@code oe_ratio}, {@code ece}, {@code calibration_*}), not this detector's.
 *
 * <h2>Skewness</h2>
 * A day with few expected events has a right-skewed O_d (skewness γ = Σ p(1 − p)(1 − 2p) / V_d^1.5, diluted by
 * the pool's share of the variance), and a CUSUM tuned for normal steps then alarms too often on the upper side
 * (measured: the plain z gave an ARL0 of 1,100 to 3,000 days where 3,650 was configured). The innovation is
 * therefore the first-order Cornish-Fisher normal score z − γ (z² − 1) / 6, with z capped at 3 / γ where that
 * stops being increasing (at γ = 1, about one expected event a day, one day then adds at most 1.67 to the
 * statistic). From about 12 expected events a day the configured ARL0 holds within 15% (and at 5 when the mean
 * risk is 0.25); with fewer, or rarer outcomes, the correction over-shoots and the detector is conservative
 * (fewer false alarms, later detection: measured ARL0 1.24 times the configured value at 5 expected events of
 * risk 0.1, about 2 times at 2, 7.9 times at 1), as {@code io.vigil.verification.OutcomeRunLengthClaims}
 * measures (table in docs/statistics.md).
 *
 * <p>Steiner's log-likelihood-ratio CUSUM itself ({@link RiskAdjustedCusum}) counts time in cases and assumes
 * the model's risks are right on every slice; its threshold for an ARL0 in days would depend on each slice's
 * daily volume and case mix. Standardising the same O − E evidence per day gives one threshold for every
 * slice, measured through this class by {@code io.vigil.verification.OutcomeRunLengthClaims}.
 *
 * <p>No step (NaN) until the pool holds {@code minCases} labelled cases and at least one event, nor for a day
 * without labelled cases or without outcome variance (V_d = 0). Mutable, not thread-safe.
 */
public final class ObservedExpectedReference {
    private final long minCases;
    private long n;
    private long observed;
    private double expected;
    private double variance;

    /**
     * One cohort day's labelled cases: count, events O, Σ p (E), Σ p (1 − p) (V, the variance of O given the
     * risks) and Σ p (1 − p)(1 − 2p) (its third cumulant).
     */
    public record Day(long day, long labelled, long observed, double expected, double variance, double thirdCumulant) {
        public Day {
            if (labelled < 0 || observed < 0 || observed > labelled) {
                throw new IllegalArgumentException(
                        "need 0 <= observed <= labelled, got " + observed + " of " + labelled);
            }
            if (!(expected >= 0) || !(variance >= 0) || !Double.isFinite(expected) || !Double.isFinite(variance)) {
                throw new IllegalArgumentException(
                        "expected and variance must be finite and >= 0, got " + expected + ", " + variance);
            }
            if (!Double.isFinite(thirdCumulant)) {
                throw new IllegalArgumentException("third cumulant must be finite, got " + thirdCumulant);
            }
        }
    }

    /** An empty pool that yields steps once it holds {@code minCases} labelled cases. */
    public ObservedExpectedReference(long minCases) {
        if (minCases < 1) {
            throw new IllegalArgumentException("minimum cases must be >= 1, got " + minCases);
        }
        this.minCases = minCases;
    }

    /** Labelled cases pooled so far. */
    public long n() {
        return n;
    }

    /** The pool's calibration factor O_P / E_P (NaN while E_P = 0). */
    public double factor() {
        return expected > 0 ? observed / expected : Double.NaN;
    }

    /** The day's standardised innovation against the pool, or NaN (no step; see the class comment). */
    public double innovation(Day d) {
        if (n < minCases || observed == 0 || !(expected > 0) || d.labelled() == 0 || !(d.variance() > 0)) {
            return Double.NaN;
        }
        double theta = observed / expected;
        // Var(O_d − θ̂ E_d) = θ (V_d + E_d² V_P / E_P²) = θ V_d × inflation
        double inflation = 1 + d.expected() * d.expected() * variance / (expected * expected * d.variance());
        double z = (d.observed() - theta * d.expected()) / Math.sqrt(theta * d.variance() * inflation);
        double gamma = d.thirdCumulant() / Math.pow(d.variance(), 1.5) / Math.pow(inflation, 1.5);
        if (gamma > 0) {
            z = Math.min(z, 3 / gamma);
        } else if (gamma < 0) {
            z = Math.max(z, 3 / gamma);
        }
        return z - gamma / 6 * (z * z - 1);
    }

    /** Adds the day to the pool. */
    public void pool(Day d) {
        n += d.labelled();
        observed += d.observed();
        expected += d.expected();
        variance += d.variance();
    }

    /**
     * The cohort days the CUSUM steps on at {@code currentDay}: the {@code historyDays} days that are at least
     * {@code labelAgeDays} old, {first, last} inclusive. Each is read at that label age (its cases whose first label
     * was observed within {@code labelAgeDays} of the prediction), so a step, once taken, no longer changes as labels
     * arrive, and the pool of older cohorts is read at the same age: a stable label process, however biased towards
     * verifying positives, is the same in the day and in the pool.
     */
    public static long[] cohortsAtLabelAge(long currentDay, int historyDays, int labelAgeDays) {
        long last = currentDay - labelAgeDays;
        return new long[] {last - historyDays + 1, last};
    }

    /**
     * The CUSUM series of a slice's cohort days in day order: each day against the pool of the days before it,
     * then pooled. The topology and the run-length experiments both build the series here.
     */
    public static DailyCusumSeries series(List<Day> days, long minCases) {
        ObservedExpectedReference pool = new ObservedExpectedReference(minCases);
        DailyCusumSeries series = new DailyCusumSeries();
        for (Day d : days) {
            series.add(d.day(), pool.innovation(d));
            pool.pool(d);
        }
        return series;
    }
}
