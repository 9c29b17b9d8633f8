package io.vigil.stats;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.commons.statistics.distribution.ChiSquaredDistribution;

/**
 * Calibration of predicted probabilities against binary outcomes: Brier score, log loss, ECE and
 * MCE over 10 equal-width bins, the reliability diagram, Murphy's decomposition and the
 * observed/expected ratio (STATISTICS.md, "Calibration"). All values are in probability units
 * (log loss in nats) and every statistic is {@link Estimate#EMPTY} (or an EMPTY record) when no
 * case is counted.
 *
 * <p>State: per bin k (scores in [k/10, (k+1)/10), 1.0 in bin 9) the count, positives and sum of
 * scores; overall the sums of e², e⁴ (e = p - y) and of the clipped log loss. Sums are fixed point
 * with 2^-32 resolution, so {@link #remove} exactly undoes {@link #add} and {@link #merge} is exact
 * and order-independent. Memory is constant. Mutable, not thread-safe.
 */
public final class CalibrationStats {

    /** Number of equal-width reliability bins. */
    public static final int BINS = 10;
    /** Log loss clips p to [EPS, 1 - EPS], as scikit-learn's {@code log_loss} did. */
    public static final double LOG_LOSS_EPS = 1e-15;
    /** Exact 95% Poisson upper bound for an observed count of 0: -ln(0.025). */
    private static final double ZERO_COUNT_UPPER = -Math.log(0.025);

    private static final int FORMAT = 1;

    private final long[] count = new long[BINS];
    private final long[] positives = new long[BINS];
    private final FixedPointSum[] scoreSum = new FixedPointSum[BINS];
    private FixedPointSum squaredErrorSum = new FixedPointSum();
    private FixedPointSum fourthPowerErrorSum = new FixedPointSum();
    private FixedPointSum logLossSum = new FixedPointSum();

    public CalibrationStats() {
        for (int k = 0; k < BINS; k++) {
            scoreSum[k] = new FixedPointSum();
        }
    }

    /** Reliability bin of a score: min(floor(10 p), 9). */
    public static int binOf(double score) {
        return Math.min((int) (score * BINS), BINS - 1);
    }

    /** Counts one outcome: score in [0, 1], label 0 or 1. */
    public void add(double score, int label) {
        Checks.checkScore(score);
        Checks.checkLabel(label);
        int k = binOf(score);
        count[k]++;
        positives[k] += label;
        scoreSum[k].add(score);
        double e = score - label;
        double e2 = e * e;
        squaredErrorSum.add(e2);
        fourthPowerErrorSum.add(e2 * e2);
        logLossSum.add(logLoss(score, label));
    }

    /**
     * Retracts one outcome previously added with the same score and label.
     *
     * @throws IllegalStateException if the score's bin holds no such outcome
     */
    public void remove(double score, int label) {
        Checks.checkScore(score);
        Checks.checkLabel(label);
        int k = binOf(score);
        long negatives = count[k] - positives[k];
        if (label == 1 ? positives[k] == 0 : negatives == 0) {
            throw new IllegalStateException(
                    "cannot remove label " + label + " from reliability bin " + k + ": none counted");
        }
        count[k]--;
        positives[k] -= label;
        scoreSum[k].remove(score);
        double e = score - label;
        double e2 = e * e;
        squaredErrorSum.remove(e2);
        fourthPowerErrorSum.remove(e2 * e2);
        logLossSum.remove(logLoss(score, label));
    }

    /** Adds the other accumulator's state to this one. */
    public void merge(CalibrationStats other) {
        for (int k = 0; k < BINS; k++) {
            count[k] += other.count[k];
            positives[k] += other.positives[k];
            scoreSum[k].merge(other.scoreSum[k]);
        }
        squaredErrorSum.merge(other.squaredErrorSum);
        fourthPowerErrorSum.merge(other.fourthPowerErrorSum);
        logLossSum.merge(other.logLossSum);
    }

    private static double logLoss(double score, int label) {
        double p = Math.min(Math.max(score, LOG_LOSS_EPS), 1 - LOG_LOSS_EPS);
        return label == 1 ? -Math.log(p) : -Math.log1p(-p);
    }

    /** Number of cases. */
    public long n() {
        return Arrays.stream(count).sum();
    }

    /** Number of positive outcomes, O. */
    public long observed() {
        return Arrays.stream(positives).sum();
    }

    /** Sum of predicted probabilities, E. */
    public double expected() {
        double e = 0;
        for (FixedPointSum s : scoreSum) {
            e += s.value();
        }
        return e;
    }

    /**
     * Brier score mean (p - y)² with a 95% normal interval from the sample variance of the squared
     * errors (sum e⁴), clipped to [0, 1]; with a single case the interval is [0, 1].
     */
    public Estimate brier() {
        return brier(0.0);
    }

    /**
     * {@link #brier()} with repeat studies of one subject: {@code pairCross} is Σ over within-subject pairs of
     * (b_i − B)(b_j − B) ({@link ClusteredVariance#brierCross}), added twice to the sum of squared deviations;
     * the interval is never narrower than the independent one.
     */
    public Estimate brier(double pairCross) {
        long n = n();
        if (n == 0) {
            return Estimate.EMPTY;
        }
        double mean = squaredErrorSum.value() / n;
        if (n < 2) {
            return new Estimate(mean, 0.0, 1.0, n);
        }
        double deviations = Math.max(0.0, fourthPowerErrorSum.value() - n * mean * mean);
        double variance = Math.max(deviations, deviations + 2 * pairCross) / (n - 1);
        double half = Estimate.Z95 * Math.sqrt(variance / n);
        return new Estimate(mean, Math.max(0.0, mean - half), Math.min(1.0, mean + half), n);
    }

    /** Mean log loss in nats, p clipped to [1e-15, 1 - 1e-15]; point estimate. */
    public Estimate logLoss() {
        long n = n();
        return n == 0 ? Estimate.EMPTY : Estimate.point(logLossSum.value() / n, n);
    }

    /** The 10 reliability-diagram bins, in score order, including empty ones. */
    public List<ReliabilityBin> reliabilityBins() {
        List<ReliabilityBin> bins = new ArrayList<>(BINS);
        for (int k = 0; k < BINS; k++) {
            if (count[k] == 0) {
                bins.add(new ReliabilityBin(k, 0, Double.NaN, Estimate.EMPTY));
            } else {
                bins.add(new ReliabilityBin(
                        k, count[k], scoreSum[k].value() / count[k], Wilson.interval(positives[k], count[k])));
            }
        }
        return bins;
    }

    /**
     * Expected calibration error over the 10 bins, debiased, with a 95% confidence interval for the
     * population's binned ECE, sum_k P(bin k) |delta_k|, delta_k = E[p | k] - P(y = 1 | k).
     *
     * <p>The plug-in {@link #ecePlugIn()} is biased upward: each bin's |d_k| = |pbar_k - obar_k| carries the
     * absolute value of the observed rate's sampling noise, so a calibrated model shows ECE 0.02 to 0.04 at
     * n = 1,000, and no symmetric interval around it can cover 0. The interval is the projection of the 95%
     * confidence ellipsoid of the gaps, sum_k (d_k - delta_k)^2 / s_k^2 <= c with c the 95% point of
     * chi-square with K degrees of freedom (K non-empty bins; s_k^2 = max(q_k (1 - q_k), pbar_k (1 - pbar_k))
     * / n_k, the larger of the observed rate's variance, q_k = (O_k + 1)/(n_k + 2) so that an all-negative
     * bin still varies, and its variance under calibration), onto the ECE with the bins' shares as
     * weights w_k: the upper bound is sum w_k |d_k| + sqrt(c sum w_k^2 s_k^2) (exact for the ellipsoid), the
     * lower bound the minimum of sum w_k |delta_k| over it, a soft threshold of the gaps (0 when the gaps are
     * jointly consistent with calibration: the chi-square test does not reject). It covers at least 95%
     * whenever the ellipsoid does (conservative: coverage and alert power in {@code vigil verify-statistics}). The
     * estimate is sum w_k sqrt(max(0, d_k^2 - s_k^2)), each gap shrunk by its noise, kept within the interval.
     */
    public Estimate ece() {
        long n = n();
        if (n == 0) {
            return Estimate.EMPTY;
        }
        double[] w = new double[BINS];
        double[] gap = new double[BINS];
        double[] variance = new double[BINS];
        int bins = 0;
        double plugIn = 0;
        double shrunk = 0;
        double spread = 0;
        for (int k = 0; k < BINS; k++) {
            if (count[k] > 0) {
                bins++;
                w[k] = (double) count[k] / n;
                gap[k] = Math.abs(scoreSum[k].value() / count[k] - (double) positives[k] / count[k]);
                double q = (positives[k] + 1.0) / (count[k] + 2.0);
                double p = scoreSum[k].value() / count[k];
                variance[k] = Math.max(q * (1 - q), p * (1 - p)) / count[k];
                plugIn += w[k] * gap[k];
                shrunk += w[k] * Math.sqrt(Math.max(0.0, gap[k] * gap[k] - variance[k]));
                spread += w[k] * w[k] * variance[k];
            }
        }
        double c = ChiSquaredDistribution.of(bins).inverseSurvivalProbability(0.05);
        double upper = Math.min(1.0, plugIn + Math.sqrt(c * spread));
        double lower = eceLowerBound(w, gap, variance, c);
        return new Estimate(Math.min(upper, Math.max(lower, shrunk)), lower, upper, n);
    }

    /**
     * min sum w_k |delta_k| subject to sum (gap_k - delta_k)^2 / v_k <= c, gaps taken as |d_k|: the minimiser
     * shrinks each gap by t_k = w_k v_k / lambda towards 0 (soft threshold), lambda chosen by bisection so the
     * constraint binds; 0 when the gaps themselves lie within it.
     */
    private static double eceLowerBound(double[] w, double[] gap, double[] v, double c) {
        double chi = 0;
        for (int k = 0; k < BINS; k++) {
            if (w[k] > 0) {
                chi += gap[k] * gap[k] / v[k];
            }
        }
        if (chi <= c) {
            return 0.0;
        }
        // tau = 1/lambda: distance used grows with tau from 0 (no shrinkage) to chi (all gaps to 0).
        double lo = 0;
        double hi = 1;
        while (used(w, gap, v, hi) < c) {
            hi *= 2;
        }
        for (int i = 0; i < 100; i++) {
            double mid = (lo + hi) / 2;
            if (used(w, gap, v, mid) < c) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        double lower = 0;
        for (int k = 0; k < BINS; k++) {
            if (w[k] > 0) {
                lower += w[k] * Math.max(0.0, gap[k] - w[k] * v[k] * lo);
            }
        }
        return lower;
    }

    /** sum min(gap_k, t_k)^2 / v_k with t_k = w_k v_k tau: the ellipsoid distance of the shrunk gaps. */
    private static double used(double[] w, double[] gap, double[] v, double tau) {
        double sum = 0;
        for (int k = 0; k < BINS; k++) {
            if (w[k] > 0) {
                double t = Math.min(gap[k], w[k] * v[k] * tau);
                sum += t * t / v[k];
            }
        }
        return sum;
    }

    /**
     * The plug-in expected calibration error sum_k n_k/N |pbar_k - obar_k| over the 10 bins, as scikit-learn
     * users compute it; point estimate, biased upward at small N (see {@link #ece()}).
     */
    public Estimate ecePlugIn() {
        long n = n();
        if (n == 0) {
            return Estimate.EMPTY;
        }
        double ece = 0;
        for (ReliabilityBin b : reliabilityBins()) {
            if (b.n() > 0) {
                ece += (double) b.n() / n * b.gap();
            }
        }
        return Estimate.point(ece, n);
    }

    /** Maximum calibration error: the largest gap over non-empty bins; point estimate carrying N. */
    public Estimate mce() {
        long n = n();
        if (n == 0) {
            return Estimate.EMPTY;
        }
        double mce = 0;
        for (ReliabilityBin b : reliabilityBins()) {
            if (b.n() > 0) {
                mce = Math.max(mce, b.gap());
            }
        }
        return Estimate.point(mce, n);
    }

    /** Murphy's reliability, resolution and uncertainty over the 10 bins. */
    public BrierDecomposition brierDecomposition() {
        long n = n();
        if (n == 0) {
            return BrierDecomposition.EMPTY;
        }
        double obar = (double) observed() / n;
        double reliability = 0;
        double resolution = 0;
        for (ReliabilityBin b : reliabilityBins()) {
            if (b.n() > 0) {
                double ok = b.observedRate().value();
                reliability += b.n() * (b.meanScore() - ok) * (b.meanScore() - ok) / n;
                resolution += b.n() * (ok - obar) * (ok - obar) / n;
            }
        }
        return new BrierDecomposition(reliability, resolution, obar * (1 - obar), n);
    }

    /**
     * Observed/expected ratio O/E = sum y / sum p with the interval exp(ln(O/E) ± z SE), SE = sqrt(V) / O,
     * where V estimates the Poisson-binomial variance of O, sum of pi(1 - pi) over the cases: with the
     * recalibrated-in-the-large probabilities q = min(1, p O/E) taken at each reliability bin's mean score,
     * V = sum_k n_k q_k (1 - q_k) (the bin mean overstates sum p(1 - p) within a bin by at most n_k/400).
     * The Poisson variance V = O, which this replaced, ignores the (1 - pi) factor and was too wide where
     * probabilities are not small. When O = 0 the value and lower bound are 0 and the upper bound is the
     * exact Poisson bound -ln(0.025)/E. EMPTY when N = 0 or E = 0. Coverage: {@code vigil verify-statistics}.
     */
    public Estimate observedExpectedRatio() {
        return observedExpectedRatio(0.0);
    }

    /**
     * {@link #observedExpectedRatio()} with repeat studies of one subject: {@code pairCross} is Σ over
     * within-subject pairs of (y_i − R p_i)(y_j − R p_j) ({@link ClusteredVariance#observedExpectedCross}),
     * added twice to the variance V of O; the interval is never narrower than the independent one. Not applied
     * when O = 0 (the exact Poisson bound).
     */
    public Estimate observedExpectedRatio(double pairCross) {
        long n = n();
        double e = expected();
        if (n == 0 || e <= 0) {
            return Estimate.EMPTY;
        }
        long o = observed();
        if (o == 0) {
            return new Estimate(0.0, 0.0, ZERO_COUNT_UPPER / e, n);
        }
        double ratio = o / e;
        double variance = 0;
        for (int k = 0; k < BINS; k++) {
            if (count[k] > 0) {
                double q = Math.min(1.0, scoreSum[k].value() / count[k] * ratio);
                variance += count[k] * q * (1 - q);
            }
        }
        variance = Math.max(variance, variance + 2 * pairCross);
        // Every case certain (q = 1): no sampling variance left to estimate; fall back to Poisson.
        double half = Estimate.Z95 * (variance > 0 ? Math.sqrt(variance) / o : Math.sqrt(1.0 / o));
        return new Estimate(ratio, Math.exp(Math.log(ratio) - half), Math.exp(Math.log(ratio) + half), n);
    }

    public byte[] toBytes() {
        ByteCodec.Writer out = new ByteCodec.Writer().writeByte(FORMAT);
        write(out);
        return out.toByteArray();
    }

    public static CalibrationStats fromBytes(byte[] bytes) {
        ByteCodec.Reader in = new ByteCodec.Reader(bytes);
        in.expectFormat(FORMAT, "CalibrationStats");
        CalibrationStats c = read(in);
        in.expectEnd();
        return c;
    }

    void write(ByteCodec.Writer out) {
        for (int k = 0; k < BINS; k++) {
            out.writeVarLong(count[k]).writeVarLong(positives[k]);
            scoreSum[k].write(out);
        }
        squaredErrorSum.write(out);
        fourthPowerErrorSum.write(out);
        logLossSum.write(out);
    }

    static CalibrationStats read(ByteCodec.Reader in) {
        CalibrationStats c = new CalibrationStats();
        for (int k = 0; k < BINS; k++) {
            c.count[k] = Checks.nonNegative(in.readVarLong(), "count of bin " + k);
            c.positives[k] = Checks.nonNegative(in.readVarLong(), "positives of bin " + k);
            if (c.positives[k] > c.count[k]) {
                throw new IllegalArgumentException(
                        "positives of bin " + k + " must be <= " + c.count[k] + ", got " + c.positives[k]);
            }
            c.scoreSum[k] = FixedPointSum.read(in);
        }
        c.squaredErrorSum = FixedPointSum.read(in);
        c.fourthPowerErrorSum = FixedPointSum.read(in);
        c.logLossSum = FixedPointSum.read(in);
        return c;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CalibrationStats c
                && Arrays.equals(count, c.count)
                && Arrays.equals(positives, c.positives)
                && Arrays.equals(scoreSum, c.scoreSum)
                && squaredErrorSum.equals(c.squaredErrorSum)
                && fourthPowerErrorSum.equals(c.fourthPowerErrorSum)
                && logLossSum.equals(c.logLossSum);
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                Arrays.hashCode(count),
                Arrays.hashCode(positives),
                Arrays.hashCode(scoreSum),
                squaredErrorSum,
                fourthPowerErrorSum,
                logLossSum);
    }

    @Override
    public String toString() {
        return "CalibrationStats[n=" + n() + ", observed=" + observed() + ", expected=" + expected() + "]";
    }
}
