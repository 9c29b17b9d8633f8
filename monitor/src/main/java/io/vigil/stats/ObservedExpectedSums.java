package io.vigil.stats;

import java.util.Objects;

/**
 * The labelled-outcome sums one cohort day contributes to the risk-adjusted CUSUM ({@link ObservedExpectedReference}):
 * labelled cases n, events O = Σ y, and over the cases' predicted risks p, E = Σ p, V = Σ p (1 − p) and the third
 * cumulant Σ p (1 − p)(1 − 2p). Signed and exact: each term in fixed point ({@link FixedPointSum}), so additions,
 * retractions (a label revision) and merges in any order hold the same bits.
 *
 * <p>The performance stage keeps one per cohort day for the labels received within {@code detection.outcome-label-age-days}
 * of the prediction: the CUSUM reads every cohort at that same label age (see {@link ObservedExpectedReference}).
 * Mutable, not thread-safe.
 */
public final class ObservedExpectedSums {
    private static final int FORMAT = 1;

    private long labelled;
    private long observed;
    private final FixedPointSum expected;
    private final FixedPointSum variance;
    private final FixedPointSum thirdCumulant;

    public ObservedExpectedSums() {
        this(0, 0, new FixedPointSum(), new FixedPointSum(), new FixedPointSum());
    }

    private ObservedExpectedSums(
            long labelled, long observed, FixedPointSum expected, FixedPointSum variance, FixedPointSum thirdCumulant) {
        this.labelled = labelled;
        this.observed = observed;
        this.expected = expected;
        this.variance = variance;
        this.thirdCumulant = thirdCumulant;
    }

    /**
     * Adds ({@code sign} = +1) or retracts (−1) one labelled case.
     *
     * @param p     the case's predicted risk (its score), in [0, 1]
     * @param label 0 or 1
     */
    public void add(double p, int label, int sign) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("risk must be in [0, 1], got " + p);
        }
        if (sign != 1 && sign != -1) {
            throw new IllegalArgumentException("sign must be +1 or -1, got " + sign);
        }
        labelled += sign;
        observed += label == 1 ? sign : 0;
        double v = p * (1 - p);
        if (sign > 0) {
            expected.add(p);
            variance.add(v);
            thirdCumulant.add(v * (1 - 2 * p));
        } else {
            expected.remove(p);
            variance.remove(v);
            thirdCumulant.remove(v * (1 - 2 * p));
        }
    }

    /** Adds another cohort's (or partial's) sums into these. */
    public void merge(ObservedExpectedSums other) {
        labelled += other.labelled;
        observed += other.observed;
        expected.merge(other.expected);
        variance.merge(other.variance);
        thirdCumulant.merge(other.thirdCumulant);
    }

    public long labelled() {
        return labelled;
    }

    public long observed() {
        return observed;
    }

    /**
     * The cohort {@code day} as the CUSUM reads it; a partial state whose retractions arrived before their
     * additions (negative counts) reads as empty.
     */
    public ObservedExpectedReference.Day day(long day) {
        if (labelled <= 0 || observed < 0 || observed > labelled) {
            return new ObservedExpectedReference.Day(day, 0, 0, 0, 0, 0);
        }
        return new ObservedExpectedReference.Day(
                day,
                labelled,
                observed,
                Math.max(0, expected.value()),
                Math.max(0, variance.value()),
                thirdCumulant.value());
    }

    public byte[] toBytes() {
        ByteCodec.Writer out = new ByteCodec.Writer().writeByte(FORMAT);
        out.writeVarLong(labelled);
        out.writeVarLong(observed);
        expected.write(out);
        variance.write(out);
        thirdCumulant.write(out);
        return out.toByteArray();
    }

    public static ObservedExpectedSums fromBytes(byte[] bytes) {
        ByteCodec.Reader in = new ByteCodec.Reader(bytes);
        in.expectFormat(FORMAT, "ObservedExpectedSums");
        ObservedExpectedSums s = new ObservedExpectedSums(
                in.readVarLong(),
                in.readVarLong(),
                FixedPointSum.read(in),
                FixedPointSum.read(in),
                FixedPointSum.read(in));
        in.expectEnd();
        return s;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ObservedExpectedSums s
                && labelled == s.labelled
                && observed == s.observed
                && expected.equals(s.expected)
                && variance.equals(s.variance)
                && thirdCumulant.equals(s.thirdCumulant);
    }

    @Override
    public int hashCode() {
        return Objects.hash(labelled, observed, expected, variance, thirdCumulant);
    }
}
