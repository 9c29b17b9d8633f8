package io.vigil.stats;

import java.util.Objects;

/**
 * All labelled-performance statistics of one slice (for example one cohort day of one scanner):
 * the {@link ConfusionMatrix} at the deployed threshold, the {@link RocHistogram} for the AUC, the
 * {@link CalibrationStats} and the {@link LogisticRecalibration}, fed by one add/remove/merge and
 * stored as one byte array.
 *
 * <p>{@link #remove} exactly undoes {@link #add}; if any part rejects a removal (the outcome was never
 * added) the parts already changed are restored, so the state stays consistent. Memory is bounded
 * by the bins of the parts (at most about 2 MB in the ROC histogram's worst case, typically a few
 * kilobytes). Mutable, not thread-safe.
 */
public final class BinaryOutcomeStats {

    private static final int FORMAT = 1;

    private final ConfusionMatrix confusion;
    private final RocHistogram roc;
    private final CalibrationStats calibration;
    private final LogisticRecalibration recalibration;

    /** @param threshold deployed decision threshold in [0, 1]; ROC histogram with default bins */
    public BinaryOutcomeStats(double threshold) {
        this(new ConfusionMatrix(threshold), new RocHistogram(), new CalibrationStats(), new LogisticRecalibration());
    }

    private BinaryOutcomeStats(
            ConfusionMatrix confusion,
            RocHistogram roc,
            CalibrationStats calibration,
            LogisticRecalibration recalibration) {
        this.confusion = confusion;
        this.roc = roc;
        this.calibration = calibration;
        this.recalibration = recalibration;
    }

    /** Counts one outcome: score in [0, 1], label 0 or 1. */
    public void add(double score, int label) {
        Checks.checkScore(score);
        Checks.checkLabel(label);
        confusion.add(score, label);
        roc.add(score, label);
        calibration.add(score, label);
        recalibration.add(score, label);
    }

    /**
     * Retracts one outcome previously added with the same score and label (e.g. a corrected label
     * retracts the old one before the new one is added).
     *
     * @throws IllegalStateException if no such outcome is counted; the state is then unchanged
     */
    public void remove(double score, int label) {
        Checks.checkScore(score);
        Checks.checkLabel(label);
        confusion.remove(score, label);
        try {
            roc.remove(score, label);
        } catch (IllegalStateException e) {
            confusion.add(score, label);
            throw e;
        }
        try {
            calibration.remove(score, label);
        } catch (IllegalStateException e) {
            confusion.add(score, label);
            roc.add(score, label);
            throw e;
        }
        try {
            recalibration.remove(score, label);
        } catch (IllegalStateException e) {
            confusion.add(score, label);
            roc.add(score, label);
            calibration.add(score, label);
            throw e;
        }
    }

    /** Adds the other slice's state to this one; thresholds and ROC bin counts must be equal. */
    public void merge(BinaryOutcomeStats other) {
        if (Double.compare(confusion.threshold(), other.confusion.threshold()) != 0 || roc.bins() != other.roc.bins()) {
            throw new IllegalArgumentException("threshold and bins must be " + confusion.threshold() + " and "
                    + roc.bins() + " to merge, got " + other.confusion.threshold() + " and " + other.roc.bins());
        }
        confusion.merge(other.confusion);
        roc.merge(other.roc);
        calibration.merge(other.calibration);
        recalibration.merge(other.recalibration);
    }

    public long n() {
        return confusion.n();
    }

    public double threshold() {
        return confusion.threshold();
    }

    /** Live view: counts and Wilson rates at the threshold. Do not mutate it directly. */
    public ConfusionMatrix confusion() {
        return confusion;
    }

    /** Live view: the ROC histogram. Do not mutate it directly. */
    public RocHistogram roc() {
        return roc;
    }

    /** Live view: Brier, log loss, ECE, reliability bins, O/E. Do not mutate it directly. */
    public CalibrationStats calibration() {
        return calibration;
    }

    /** Live view: calibration intercept and slope. Do not mutate it directly. */
    public LogisticRecalibration recalibration() {
        return recalibration;
    }

    /** Shortcut for {@code roc().auc()}. */
    public AucEstimate auc() {
        return roc.auc();
    }

    /** Shortcut for {@code recalibration().fit()}. */
    public RecalibrationFit recalibrationFit() {
        return recalibration.fit();
    }

    /**
     * This aggregate as one day of the labelled-outcome CUSUM ({@link ObservedExpectedReference}): labelled cases,
     * events O, Σ p (exact to 2^-33 per case), and Σ p (1 − p) and Σ p (1 − p)(1 − 2p) from the ROC histogram
     * (within 5e-6 per case).
     */
    public ObservedExpectedReference.Day observedExpectedDay(long day) {
        double[] cumulants = roc.bernoulliCumulantSums();
        return new ObservedExpectedReference.Day(
                day,
                calibration.n(),
                calibration.observed(),
                Math.max(0, calibration.expected()),
                cumulants[0],
                cumulants[1]);
    }

    public byte[] toBytes() {
        ByteCodec.Writer out = new ByteCodec.Writer().writeByte(FORMAT);
        confusion.write(out);
        roc.write(out);
        calibration.write(out);
        recalibration.write(out);
        return out.toByteArray();
    }

    public static BinaryOutcomeStats fromBytes(byte[] bytes) {
        ByteCodec.Reader in = new ByteCodec.Reader(bytes);
        in.expectFormat(FORMAT, "BinaryOutcomeStats");
        BinaryOutcomeStats s = new BinaryOutcomeStats(
                ConfusionMatrix.read(in),
                RocHistogram.read(in),
                CalibrationStats.read(in),
                LogisticRecalibration.read(in));
        in.expectEnd();
        return s;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BinaryOutcomeStats s
                && confusion.equals(s.confusion)
                && roc.equals(s.roc)
                && calibration.equals(s.calibration)
                && recalibration.equals(s.recalibration);
    }

    @Override
    public int hashCode() {
        return Objects.hash(confusion, roc, calibration, recalibration);
    }

    @Override
    public String toString() {
        return "BinaryOutcomeStats[" + confusion + ", " + roc + ", " + calibration + ", " + recalibration + "]";
    }
}
