package io.vigil.stats;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.apache.commons.statistics.distribution.BinomialDistribution;
import org.apache.commons.statistics.distribution.NormalDistribution;

/**
 * Page's CUSUM on a standardised series x_t (mean 0, variance 1 while nothing has changed) to detect
 * a mean shift of d standard deviations: S_t = max(0, S_{t-1} + x_t - k) with k = d/2, alarm when
 * S_t > h. The lower side runs the same recursion on -x_t. Time t counts updates from 1.
 *
 * <p>h is chosen from a target in-control average run length (ARL0, in steps, for example 365
 * daily steps) with Siegmund's approximation ARL(mu) ≈ (exp(-2 D b) + 2 D b - 1) / (2 D²),
 * D = mu - k, b = h + 1.166; in control (mu = 0) this is (exp(2kb) - 2kb - 1)/(2k²), solved for h by
 * bisection. A two-sided CUSUM alarms when either side does, so 1/ARL0 = 1/ARL0+ + 1/ARL0-: each
 * side gets twice the target.
 *
 * <p>This class holds the parameters and is immutable; the running statistic is the serialisable
 * {@link State}, so an aggregate store can keep it. After an alarm the returned state is reset to 0
 * (both sides), so one change raises one alarm.
 */
public final class Cusum {
    private static final NormalDistribution STANDARD_NORMAL = NormalDistribution.of(0, 1);

    /** Siegmund's boundary correction for a Gaussian random walk (0.583 x 2). */
    public static final double SIEGMUND_CORRECTION = 1.166;

    /** Which shifts the CUSUM watches. */
    public enum Side {
        UPPER,
        LOWER,
        TWO_SIDED
    }

    /** Direction of an alarm. */
    public enum Direction {
        NONE,
        UP,
        DOWN
    }

    private final double k;
    private final double h;
    private final Side side;

    private Cusum(double k, double h, Side side) {
        if (!(k > 0) || !Double.isFinite(k)) {
            throw new IllegalArgumentException("reference value k must be > 0, got " + k);
        }
        if (!(h > 0) || !Double.isFinite(h)) {
            throw new IllegalArgumentException("threshold h must be > 0, got " + h);
        }
        this.k = k;
        this.h = h;
        this.side = side;
    }

    /** A CUSUM with explicit reference value k and threshold h (both in standard deviations). */
    public static Cusum of(double k, double h, Side side) {
        return new Cusum(k, h, side);
    }

    /**
     * A CUSUM tuned to detect a shift of {@code shift} standard deviations (k = shift/2) with in-control
     * average run length {@code targetArl0} steps (Siegmund).
     */
    public static Cusum forShift(double shift, double targetArl0, Side side) {
        double k = shift / 2;
        double perSide = side == Side.TWO_SIDED ? 2 * targetArl0 : targetArl0;
        return new Cusum(k, thresholdForArl0(k, perSide), side);
    }

    /** Siegmund's one-sided average run length when the standardised mean is {@code mu}, in steps. */
    public static double siegmundArl(double k, double h, double mu) {
        double delta = mu - k;
        double b = h + SIEGMUND_CORRECTION;
        if (Math.abs(delta) < 1e-9) {
            return b * b;
        }
        return (Math.exp(-2 * delta * b) + 2 * delta * b - 1) / (2 * delta * delta);
    }

    /** Threshold h giving a one-sided in-control ARL of {@code arl0} steps (Siegmund, bisection). */
    public static double thresholdForArl0(double k, double arl0) {
        if (!(k > 0)) {
            throw new IllegalArgumentException("k must be > 0, got " + k);
        }
        if (!(arl0 > siegmundArl(k, 1e-9, 0))) {
            throw new IllegalArgumentException(
                    "target ARL0 " + arl0 + " is below what any h > 0 gives (" + siegmundArl(k, 1e-9, 0) + ")");
        }
        double lo = 0;
        double hi = 1;
        while (siegmundArl(k, hi, 0) < arl0) {
            hi *= 2;
        }
        for (int i = 0; i < 200 && hi - lo > 1e-12; i++) {
            double mid = (lo + hi) / 2;
            if (siegmundArl(k, mid, 0) < arl0) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return (lo + hi) / 2;
    }

    public double k() {
        return k;
    }

    public double h() {
        return h;
    }

    public Side side() {
        return side;
    }

    /** Siegmund in-control ARL of this CUSUM (both sides combined when two-sided), in steps. */
    public double arl0() {
        double one = siegmundArl(k, h, 0);
        return side == Side.TWO_SIDED ? one / 2 : one;
    }

    /**
     * Expected detection delay, in steps, for a shift of {@code shift} standard deviations from a
     * zero state (Siegmund with D = shift - k; for large h this is about (h + 1.166)/(shift - k)).
     */
    public double expectedDelay(double shift) {
        return siegmundArl(k, h, Math.abs(shift));
    }

    /**
     * Standardises a daily rate against the reference: (events/n - p0) / sqrt(p0 (1 - p0) / n).
     *
     * @throws IllegalArgumentException when n is 0 (no value) or p0 is not in (0, 1)
     */
    public static double standardisedRate(long events, long n, double p0) {
        if (n <= 0) {
            throw new IllegalArgumentException("n must be > 0, got " + n);
        }
        if (events < 0 || events > n) {
            throw new IllegalArgumentException("events must be in [0, n=" + n + "], got " + events);
        }
        if (!(p0 > 0 && p0 < 1)) {
            throw new IllegalArgumentException("reference rate p0 must be in (0, 1), got " + p0);
        }
        return ((double) events / n - p0) / Math.sqrt(p0 * (1 - p0) / n);
    }

    /**
     * The randomised quantile score of a binomial count (Dunn and Smyth 1996): Φ⁻¹(P(X < k) + u P(X = k)) for
     * X ~ Binomial(n, p0). With u uniform on (0, 1) and independent of k it is exactly standard normal while the
     * rate is p0, however few the trials, where {@link #standardisedRate} is discrete and right-skewed at small
     * n p0 (its CUSUM then alarms several times too often). A shift of the rate moves it as it moves the
     * standardised rate. The upper tail is taken from P(X > k) + (1 − u) P(X = k), so large counts keep their
     * precision; the score is clipped to ±8.
     *
     * @param u a uniform number in (0, 1) independent of the count; {@link #dayUniform} makes one reproducibly
     * @throws IllegalArgumentException when n is 0 or above Integer.MAX_VALUE, k is outside [0, n], p0 is not in
     *                                  (0, 1) or u is not in (0, 1)
     */
    public static double binomialScore(long events, long n, double p0, double u) {
        if (n <= 0 || n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("n must be in [1, 2^31 - 1], got " + n);
        }
        if (events < 0 || events > n) {
            throw new IllegalArgumentException("events must be in [0, n=" + n + "], got " + events);
        }
        if (!(p0 > 0 && p0 < 1)) {
            throw new IllegalArgumentException("reference rate p0 must be in (0, 1), got " + p0);
        }
        if (!(u > 0 && u < 1)) {
            throw new IllegalArgumentException("u must be in (0, 1), got " + u);
        }
        BinomialDistribution b = BinomialDistribution.of((int) n, p0);
        int k = (int) events;
        double atK = b.probability(k);
        double below = k == 0 ? 0 : b.cumulativeProbability(k - 1);
        double lower = below + u * atK;
        double x;
        if (lower <= 0.5) {
            x = STANDARD_NORMAL.inverseCumulativeProbability(Math.max(lower, Double.MIN_NORMAL));
        } else {
            double upper = b.survivalProbability(k) + (1 - u) * atK;
            x = -STANDARD_NORMAL.inverseCumulativeProbability(Math.max(upper, Double.MIN_NORMAL));
        }
        return Math.max(-8, Math.min(8, x));
    }

    /**
     * A uniform number in (0, 1) determined by a series name and a day: the same series and day give the same
     * number in every run and order, different days (and series) numbers that behave as independent draws. For
     * {@link #binomialScore}, so that its randomisation is reproducible bit for bit.
     */
    public static double dayUniform(String series, long day) {
        long seed = ((long) series.hashCode() << 32) ^ (day * 0x9E3779B97F4A7C15L);
        return ((new SplittableRandom(seed).nextLong() >>> 11) + 0.5) * 0x1.0p-53;
    }

    /**
     * Running statistic.
     *
     * @param upper      S+ after step {@code t} (0 when the upper side is unused)
     * @param lower      S- after step {@code t}
     * @param t          number of updates seen
     * @param upperZeroT last step at which S+ was 0 (0 = start)
     * @param lowerZeroT last step at which S- was 0
     */
    public record State(double upper, double lower, long t, long upperZeroT, long lowerZeroT) {
        public static final State INITIAL = new State(0, 0, 0, 0, 0);
        private static final int BYTES = 8 * 5;

        public byte[] toBytes() {
            return ByteBuffer.allocate(BYTES)
                    .putDouble(upper)
                    .putDouble(lower)
                    .putLong(t)
                    .putLong(upperZeroT)
                    .putLong(lowerZeroT)
                    .array();
        }

        public static State fromBytes(byte[] bytes) {
            if (bytes.length != BYTES) {
                throw new IllegalArgumentException("CUSUM state must be " + BYTES + " bytes, got " + bytes.length);
            }
            ByteBuffer b = ByteBuffer.wrap(bytes);
            return new State(b.getDouble(), b.getDouble(), b.getLong(), b.getLong(), b.getLong());
        }
    }

    /**
     * Result of one update.
     *
     * @param state      the state to keep (already reset when {@code alarm != NONE})
     * @param alarm      direction of the alarm, or NONE
     * @param statistic  the statistic that crossed h (or the larger side when no alarm)
     * @param changeTime estimated change time on alarm: the first step after the last zero of the
     *                   alarming side (the start of the excursion); -1 without alarm
     */
    public record Step(State state, Direction alarm, double statistic, long changeTime) {
        public boolean isAlarm() {
            return alarm != Direction.NONE;
        }
    }

    /** Adds one standardised observation. */
    public Step update(State s, double x) {
        if (!Double.isFinite(x)) {
            throw new IllegalArgumentException("observation must be finite, got " + x);
        }
        long t = s.t() + 1;
        double up = 0;
        double lo = 0;
        long upZero = s.upperZeroT();
        long loZero = s.lowerZeroT();
        if (side != Side.LOWER) {
            up = Math.max(0, s.upper() + x - k);
            if (up == 0) {
                upZero = t;
            }
        }
        if (side != Side.UPPER) {
            lo = Math.max(0, s.lower() - x - k);
            if (lo == 0) {
                loZero = t;
            }
        }
        if (up > h && up >= lo) {
            return new Step(new State(0, 0, t, t, t), Direction.UP, up, upZero + 1);
        }
        if (lo > h) {
            return new Step(new State(0, 0, t, t, t), Direction.DOWN, lo, loZero + 1);
        }
        return new Step(new State(up, lo, t, upZero, loZero), Direction.NONE, Math.max(up, lo), -1);
    }
}
