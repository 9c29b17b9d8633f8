package io.vigil.stats;

import java.util.Objects;

/**
 * Counts of true/false positives/negatives at a fixed decision threshold: a case is predicted
 * positive iff score >= threshold. Rates are proportions with 95% Wilson intervals, or
 * {@link Estimate#EMPTY} when their denominator is empty.
 *
 * <p>Mutable, not thread-safe. {@link #remove} exactly undoes {@link #add} (a corrected label
 * retracts the old outcome); {@link #merge} requires the same threshold. Memory is four longs.
 */
public final class ConfusionMatrix {

    private static final int FORMAT = 1;

    private final double threshold;
    private long tp;
    private long fp;
    private long tn;
    private long fn;

    /** @param threshold decision threshold in [0, 1] */
    public ConfusionMatrix(double threshold) {
        if (!(threshold >= 0.0 && threshold <= 1.0)) {
            throw new IllegalArgumentException("threshold must be in [0, 1], got " + threshold);
        }
        this.threshold = threshold;
    }

    public double threshold() {
        return threshold;
    }

    /** Counts one outcome: score in [0, 1], label 0 or 1. */
    public void add(double score, int label) {
        Checks.checkScore(score);
        Checks.checkLabel(label);
        boolean predicted = score >= threshold;
        if (label == 1) {
            if (predicted) {
                tp++;
            } else {
                fn++;
            }
        } else if (predicted) {
            fp++;
        } else {
            tn++;
        }
    }

    /**
     * Retracts one outcome previously added with the same score and label.
     *
     * @throws IllegalStateException if the matching cell is already 0
     */
    public void remove(double score, int label) {
        Checks.checkScore(score);
        Checks.checkLabel(label);
        boolean predicted = score >= threshold;
        if (label == 1) {
            if (predicted) {
                tp = Checks.decrement(tp, "tp");
            } else {
                fn = Checks.decrement(fn, "fn");
            }
        } else if (predicted) {
            fp = Checks.decrement(fp, "fp");
        } else {
            tn = Checks.decrement(tn, "tn");
        }
    }

    /** Adds the other matrix's counts to this one; the thresholds must be equal. */
    public void merge(ConfusionMatrix other) {
        if (Double.compare(threshold, other.threshold) != 0) {
            throw new IllegalArgumentException("threshold must be " + threshold + " to merge, got " + other.threshold);
        }
        tp += other.tp;
        fp += other.fp;
        tn += other.tn;
        fn += other.fn;
    }

    public long tp() {
        return tp;
    }

    public long fp() {
        return fp;
    }

    public long tn() {
        return tn;
    }

    public long fn() {
        return fn;
    }

    public long n() {
        return tp + fp + tn + fn;
    }

    public long positives() {
        return tp + fn;
    }

    public long negatives() {
        return tn + fp;
    }

    /** tp / (tp + fn). */
    public Estimate sensitivity() {
        return Wilson.interval(tp, tp + fn);
    }

    /** tn / (tn + fp). */
    public Estimate specificity() {
        return Wilson.interval(tn, tn + fp);
    }

    /** Positive predictive value tp / (tp + fp). */
    public Estimate ppv() {
        return Wilson.interval(tp, tp + fp);
    }

    /** Negative predictive value tn / (tn + fn). */
    public Estimate npv() {
        return Wilson.interval(tn, tn + fn);
    }

    /** Observed positive rate (tp + fn) / n. */
    public Estimate prevalence() {
        return Wilson.interval(tp + fn, n());
    }

    /** Share predicted positive (tp + fp) / n. */
    public Estimate predictedPositiveRate() {
        return Wilson.interval(tp + fp, n());
    }

    public byte[] toBytes() {
        ByteCodec.Writer out = new ByteCodec.Writer().writeByte(FORMAT);
        write(out);
        return out.toByteArray();
    }

    public static ConfusionMatrix fromBytes(byte[] bytes) {
        ByteCodec.Reader in = new ByteCodec.Reader(bytes);
        in.expectFormat(FORMAT, "ConfusionMatrix");
        ConfusionMatrix m = read(in);
        in.expectEnd();
        return m;
    }

    void write(ByteCodec.Writer out) {
        out.writeDouble(threshold)
                .writeVarLong(tp)
                .writeVarLong(fp)
                .writeVarLong(tn)
                .writeVarLong(fn);
    }

    static ConfusionMatrix read(ByteCodec.Reader in) {
        ConfusionMatrix m = new ConfusionMatrix(in.readDouble());
        m.tp = Checks.nonNegative(in.readVarLong(), "tp");
        m.fp = Checks.nonNegative(in.readVarLong(), "fp");
        m.tn = Checks.nonNegative(in.readVarLong(), "tn");
        m.fn = Checks.nonNegative(in.readVarLong(), "fn");
        return m;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConfusionMatrix m
                && Double.compare(threshold, m.threshold) == 0
                && tp == m.tp
                && fp == m.fp
                && tn == m.tn
                && fn == m.fn;
    }

    @Override
    public int hashCode() {
        return Objects.hash(threshold, tp, fp, tn, fn);
    }

    @Override
    public String toString() {
        return "ConfusionMatrix[threshold=" + threshold + ", tp=" + tp + ", fp=" + fp + ", tn=" + tn + ", fn=" + fn
                + "]";
    }
}
