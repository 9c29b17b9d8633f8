package io.vigil.aggregates;

import io.vigil.state.Codec;
import io.vigil.stats.ConfidenceBasedEstimate;
import io.vigil.stats.ExactSum;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * What the estimation stage ({@code PerformanceEstimation}) keeps per slice and UTC day: the predictions (count, predicted
 * positives at each prediction's own threshold, sum and sum of squares of the score, the latest
 * threshold seen) for the CUSUMs on positive rate and mean score, and the confidence-based estimate
 * ({@link ConfidenceBasedEstimate}) of the predictions that had a calibration map when they arrived.
 * Additive, so daily buckets merge into any window. Mutable, not thread-safe.
 *
 * <h2>AUC bins: {@value #AUC_BINS}</h2>
 * The soft AUC counts ties inside a bin as half; with bins of width 1/{@value #AUC_BINS} = 0.005 the
 * tie error is at most sum_b P_b N_b / (2 P N), a few thousandths for spread scores, while a
 * slice-day stays at about 3.3 KB (a 1000-bin estimate would be 16 KB, times slices times the
 * retained days).
 *
 * <h2>Stored form</h2>
 * Deflated: a partial flushed after a few predictions has almost every AUC bin at zero, and Kafka
 * Streams writes a changelog record per dirty aggregate at every commit, so the dense 3.3 KB would
 * dominate the changelog and repartition traffic; deflated it is a few hundred bytes.
 */
public final class EstimationAggregate {
    /** Score bins of the soft AUC; see the class comment. */
    public static final int AUC_BINS = 200;
    /** Nominal threshold of the estimate: decisions come from each prediction's own threshold. */
    public static final double NOMINAL_THRESHOLD = 0.5;

    /**
     * Stored form 2 holds the score sums as {@link ExactSum}s and the estimate's sums in fixed point, so state
     * built in any grouping of adds and merges is the same bits; form 1 (double sums) is still read.
     */
    private static final byte FORMAT = 2;

    private static final byte FORMAT_DOUBLE_SUMS = 1;

    long count;
    long positives;
    final ExactSum scoreSum = new ExactSum();
    final ExactSum scoreSumSquares = new ExactSum();
    double threshold = Double.NaN;
    final ConfidenceBasedEstimate estimate;

    private EstimationAggregate(ConfidenceBasedEstimate estimate) {
        this.estimate = estimate;
    }

    public static EstimationAggregate empty() {
        return new EstimationAggregate(new ConfidenceBasedEstimate(NOMINAL_THRESHOLD, AUC_BINS));
    }

    /**
     * Adds one prediction.
     *
     * @param q calibrated probability from the version's calibration map, or null when it has none
     */
    public void add(double score, double threshold, boolean positive, Double q) {
        count++;
        positives += positive ? 1 : 0;
        scoreSum.add(score);
        scoreSumSquares.add(score * score);
        this.threshold = threshold;
        if (q != null) {
            estimate.add(score, q, positive);
        }
    }

    public void merge(EstimationAggregate from) {
        count += from.count;
        positives += from.positives;
        scoreSum.merge(from.scoreSum);
        scoreSumSquares.merge(from.scoreSumSquares);
        if (!Double.isNaN(from.threshold)) {
            threshold = from.threshold;
        }
        estimate.merge(from.estimate);
    }

    public long count() {
        return count;
    }

    public long positives() {
        return positives;
    }

    /** The exact sum of the scores, correctly rounded: the same for any order of adds and merges. */
    public double scoreSum() {
        return scoreSum.value();
    }

    public double scoreSumSquares() {
        return scoreSumSquares.value();
    }

    /** The threshold of the latest prediction merged in; NaN when empty. */
    public double threshold() {
        return threshold;
    }

    /** The label-free estimate; callers must not change it. */
    public ConfidenceBasedEstimate estimate() {
        return estimate;
    }

    /** Binary form for state stores and the repartition topic. */
    public static final Codec<EstimationAggregate> CODEC = new Codec<>() {
        @Override
        public EstimationAggregate empty() {
            return EstimationAggregate.empty();
        }

        @Override
        public void merge(EstimationAggregate into, EstimationAggregate from) {
            into.merge(from);
        }

        @Override
        public byte[] toBytes(EstimationAggregate a) {
            byte[] raw;
            try {
                ByteArrayOutputStream rawBytes = new ByteArrayOutputStream(512);
                DataOutputStream out = new DataOutputStream(rawBytes);
                out.writeLong(a.count);
                out.writeLong(a.positives);
                a.scoreSum.write(out);
                a.scoreSumSquares.write(out);
                out.writeDouble(a.threshold);
                out.write(a.estimate.toBytes());
                out.flush();
                raw = rawBytes.toByteArray();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Deflater deflater = new Deflater(Deflater.BEST_SPEED);
            try {
                deflater.setInput(raw);
                deflater.finish();
                ByteArrayOutputStream out = new ByteArrayOutputStream(256);
                out.write(FORMAT);
                out.writeBytes(ByteBuffer.allocate(4).putInt(raw.length).array());
                byte[] buf = new byte[4096];
                while (!deflater.finished()) {
                    out.write(buf, 0, deflater.deflate(buf));
                }
                return out.toByteArray();
            } finally {
                deflater.end();
            }
        }

        @Override
        public EstimationAggregate fromBytes(byte[] bytes) {
            if (bytes.length < 5 || (bytes[0] != FORMAT && bytes[0] != FORMAT_DOUBLE_SUMS)) {
                throw new IllegalArgumentException("unknown estimation aggregate format");
            }
            boolean exact = bytes[0] == FORMAT;
            int length = ByteBuffer.wrap(bytes, 1, 4).getInt();
            if (length < (exact ? 28 : 41) || length > 1 << 20) {
                throw new IllegalArgumentException("corrupt estimation aggregate: length " + length);
            }
            byte[] raw = new byte[length];
            Inflater inflater = new Inflater();
            try {
                inflater.setInput(bytes, 5, bytes.length - 5);
                int n = inflater.inflate(raw);
                if (n != length || !inflater.finished()) {
                    throw new IllegalArgumentException(
                            "corrupt estimation aggregate: " + n + " of " + length + " bytes");
                }
            } catch (DataFormatException e) {
                throw new IllegalArgumentException("corrupt estimation aggregate", e);
            } finally {
                inflater.end();
            }
            try {
                DataInputStream in = new DataInputStream(new ByteArrayInputStream(raw));
                long count = in.readLong();
                long positives = in.readLong();
                ExactSum sum = exact ? ExactSum.read(in) : ExactSum.of(in.readDouble());
                ExactSum sumSquares = exact ? ExactSum.read(in) : ExactSum.of(in.readDouble());
                double threshold = in.readDouble();
                byte[] e = in.readAllBytes();
                EstimationAggregate a = new EstimationAggregate(
                        exact ? ConfidenceBasedEstimate.fromBytes(e) : ConfidenceBasedEstimate.fromDoubleSums(e));
                a.count = count;
                a.positives = positives;
                a.scoreSum.merge(sum);
                a.scoreSumSquares.merge(sumSquares);
                a.threshold = threshold;
                return a;
            } catch (IOException e) {
                throw new IllegalArgumentException("corrupt estimation aggregate", e);
            }
        }
    };
}
