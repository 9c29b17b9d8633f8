package io.vigil.stats;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/**
 * Risk-adjusted Bernoulli CUSUM (Steiner, Cook, Farewell and Treasure 2000, Biostatistics 1:441-452)
 * for case-level outcomes against predicted risk. For a case with predicted probability p and
 * outcome y (1 = event), the log-likelihood ratio of "the odds are multiplied by R" against "p is
 * right" is W = y ln R - ln(1 - p + R p); S = max(0, S + W); alarm when S > h. Run one instance with
 * R > 1 (the model under-predicts risk) and one with R < 1 (it over-predicts). Time counts labelled
 * cases.
 *
 * <p>There is no closed form for h: {@link #thresholdForArl0} finds it by simulation (see there).
 * Immutable; the running statistic is the serialisable {@link State}; after an alarm the returned
 * state is reset to 0.
 */
public final class RiskAdjustedCusum {

    private final double oddsRatio;
    private final double h;
    private final double lnR;

    /**
     * @param oddsRatio the odds multiplier R to detect, > 0 and != 1
     * @param h         alarm threshold on S, > 0 (units: natural log-likelihood ratio)
     */
    public RiskAdjustedCusum(double oddsRatio, double h) {
        checkOddsRatio(oddsRatio);
        if (!(h > 0) || !Double.isFinite(h)) {
            throw new IllegalArgumentException("threshold h must be > 0, got " + h);
        }
        this.oddsRatio = oddsRatio;
        this.h = h;
        this.lnR = Math.log(oddsRatio);
    }

    public double oddsRatio() {
        return oddsRatio;
    }

    public double h() {
        return h;
    }

    /** The case weight W = y ln R - ln(1 - p + R p). */
    public static double weight(double oddsRatio, double p, boolean event) {
        checkOddsRatio(oddsRatio);
        checkRisk(p);
        return (event ? Math.log(oddsRatio) : 0) - Math.log(1 - p + oddsRatio * p);
    }

    /**
     * Running statistic.
     *
     * @param s     CUSUM value after case {@code t}
     * @param t     labelled cases seen
     * @param zeroT last case at which S was 0 (0 = start)
     */
    public record State(double s, long t, long zeroT) {
        public static final State INITIAL = new State(0, 0, 0);
        private static final int BYTES = 24;

        public byte[] toBytes() {
            return ByteBuffer.allocate(BYTES)
                    .putDouble(s)
                    .putLong(t)
                    .putLong(zeroT)
                    .array();
        }

        public static State fromBytes(byte[] bytes) {
            if (bytes.length != BYTES) {
                throw new IllegalArgumentException(
                        "risk-adjusted CUSUM state must be " + BYTES + " bytes, got " + bytes.length);
            }
            ByteBuffer b = ByteBuffer.wrap(bytes);
            return new State(b.getDouble(), b.getLong(), b.getLong());
        }
    }

    /**
     * Result of one update.
     *
     * @param state      the state to keep (reset to 0 after an alarm)
     * @param alarm      whether S crossed h at this case
     * @param statistic  S at this case, before any reset
     * @param changeTime on alarm, the first case after the last zero (start of the excursion); else -1
     */
    public record Step(State state, boolean alarm, double statistic, long changeTime) {}

    /** Adds one labelled case with predicted risk {@code p} in [0, 1]. */
    public Step update(State state, double p, boolean event) {
        checkRisk(p);
        double w = (event ? lnR : 0) - Math.log(1 - p + oddsRatio * p);
        double s = Math.max(0, state.s() + w);
        long t = state.t() + 1;
        long zero = s == 0 ? t : state.zeroT();
        if (s > h) {
            return new Step(new State(0, t, t), true, s, zero + 1);
        }
        return new Step(new State(s, t, zero), false, s, -1);
    }

    /**
     * Threshold h whose in-control ARL, in labelled cases, is {@code targetArl0}, found by simulation:
     * each case draws p uniformly from {@code riskScores} (the reference predicted risks) and
     * y ~ Bernoulli(p), i.e. the model is calibrated. For a candidate h, the ARL is the mean of
     * {@code runs} run lengths, each capped at 50 x target (a capped run counts as the cap, a
     * negligible downward bias). Every candidate reuses the same per-run random streams (derived from
     * {@code seed}), so the simulated ARL is non-decreasing in h and bisection converges; the result is
     * reproducible for a given seed. Its Monte Carlo error is about 1/sqrt(runs) relative to the ARL
     * (run lengths are nearly geometric).
     *
     * @param oddsRatio  R > 0, != 1
     * @param targetArl0 target in-control ARL in cases, > 1
     * @param riskScores reference predicted risks in [0, 1], non-empty
     * @param runs       simulated runs per candidate h (e.g. 1000)
     * @param seed       random seed
     */
    public static double thresholdForArl0(
            double oddsRatio, double targetArl0, double[] riskScores, int runs, long seed) {
        checkOddsRatio(oddsRatio);
        if (!(targetArl0 > 1)) {
            throw new IllegalArgumentException("target ARL0 must be > 1, got " + targetArl0);
        }
        if (riskScores.length == 0) {
            throw new IllegalArgumentException("riskScores must be non-empty");
        }
        for (double p : riskScores) {
            checkRisk(p);
        }
        if (runs < 1) {
            throw new IllegalArgumentException("runs must be >= 1, got " + runs);
        }
        long cap = (long) Math.ceil(50 * targetArl0);
        double lo = 0;
        double hi = 1;
        while (simulatedArl0(oddsRatio, hi, riskScores, runs, seed, cap) < targetArl0) {
            lo = hi;
            hi *= 2;
            if (hi > 1e6) {
                throw new IllegalStateException("no threshold reaches ARL0 " + targetArl0);
            }
        }
        for (int i = 0; i < 40; i++) {
            double mid = (lo + hi) / 2;
            if (simulatedArl0(oddsRatio, mid, riskScores, runs, seed, cap) < targetArl0) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return hi;
    }

    /**
     * Mean simulated in-control run length (cases until the first alarm) of a CUSUM with threshold
     * {@code h}, sampling risks from {@code riskScores} and outcomes from them; each run capped at
     * {@code cap} cases.
     */
    public static double simulatedArl0(double oddsRatio, double h, double[] riskScores, int runs, long seed, long cap) {
        return simulatedArl(oddsRatio, h, riskScores, 1.0, runs, seed, cap);
    }

    /**
     * Mean simulated run length when the true odds are the predicted odds times {@code trueOddsRatio}
     * (1 = in control), in cases.
     */
    public static double simulatedArl(
            double oddsRatio, double h, double[] riskScores, double trueOddsRatio, int runs, long seed, long cap) {
        double lnR = Math.log(oddsRatio);
        int m = riskScores.length;
        double[] w0 = new double[m];
        double[] pTrue = new double[m];
        for (int i = 0; i < m; i++) {
            double p = riskScores[i];
            w0[i] = -Math.log(1 - p + oddsRatio * p);
            pTrue[i] = trueOddsRatio * p / (1 - p + trueOddsRatio * p);
        }
        // One child stream per run: run r sees the same draws whatever h is (common random numbers).
        SplittableRandom parent = new SplittableRandom(seed);
        double total = 0;
        for (int r = 0; r < runs; r++) {
            SplittableRandom rnd = parent.split();
            double s = 0;
            long t = 0;
            while (t < cap) {
                t++;
                int i = rnd.nextInt(m);
                double w = rnd.nextDouble() < pTrue[i] ? lnR + w0[i] : w0[i];
                s = Math.max(0, s + w);
                if (s > h) {
                    break;
                }
            }
            total += t;
        }
        return total / runs;
    }

    private static void checkOddsRatio(double r) {
        if (!(r > 0) || r == 1 || !Double.isFinite(r)) {
            throw new IllegalArgumentException("odds ratio R must be > 0 and != 1, got " + r);
        }
    }

    private static void checkRisk(double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("predicted risk must be in [0, 1], got " + p);
        }
    }
}
