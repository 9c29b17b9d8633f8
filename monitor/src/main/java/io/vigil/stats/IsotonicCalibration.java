package io.vigil.stats;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Monotone (non-decreasing) calibration map score -> probability, fitted by pool-adjacent-violators
 * (weighted least squares isotonic regression) on (score, observed rate, weight) points. Points may
 * be single cases (rate 0 or 1, weight 1) or bins of a reference (mean score, event share, count),
 * so a reference of any size is summarised compactly; points with equal scores are pooled first.
 *
 * <p>The fit is a list of blocks (lowest score, highest score, calibrated value, weight).
 * {@link #apply(double)} is the value of the block containing the score, linear interpolation
 * between the end of one block and the start of the next (as scikit-learn's IsotonicRegression
 * predicts), and the nearest block's value outside the fitted range. Immutable; serialisable.
 */
public final class IsotonicCalibration {

    private final double[] lo;
    private final double[] hi;
    private final double[] value;
    private final double[] weight;

    private IsotonicCalibration(double[] lo, double[] hi, double[] value, double[] weight) {
        this.lo = lo;
        this.hi = hi;
        this.value = value;
        this.weight = weight;
    }

    /** Fit on single cases: score and binary label. */
    public static IsotonicCalibration fit(double[] scores, boolean[] labels) {
        if (scores.length != labels.length) {
            throw new IllegalArgumentException(
                    "scores and labels differ in length: " + scores.length + " vs " + labels.length);
        }
        double[] y = new double[scores.length];
        double[] w = new double[scores.length];
        for (int i = 0; i < scores.length; i++) {
            y[i] = labels[i] ? 1 : 0;
            w[i] = 1;
        }
        return fit(scores, y, w);
    }

    /**
     * Fit on weighted points.
     *
     * @param x finite scores (any order)
     * @param y observed values at each point (for bins, the event share), in any range
     * @param w positive weights (for bins, the case count); zero-weight points are skipped
     */
    public static IsotonicCalibration fit(double[] x, double[] y, double[] w) {
        int n = x.length;
        if (y.length != n || w.length != n) {
            throw new IllegalArgumentException(
                    "x, y, w must have equal length, got " + n + ", " + y.length + ", " + w.length);
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            if (!Double.isFinite(x[i]) || !Double.isFinite(y[i])) {
                throw new IllegalArgumentException("point " + i + " must be finite");
            }
            if (!(w[i] >= 0) || !Double.isFinite(w[i])) {
                throw new IllegalArgumentException("weight " + i + " must be finite and >= 0, got " + w[i]);
            }
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(x[a], x[b]));
        // Stack of blocks; each holds sum w, sum w y, lowest and highest x. A group of equal scores
        // enters as one point, so a partial group can never trigger a merge.
        double[] sw = new double[n];
        double[] swy = new double[n];
        double[] bl = new double[n];
        double[] bh = new double[n];
        int top = -1;
        int k = 0;
        while (k < n) {
            double xk = x[order[k]];
            double gw = 0;
            double gwy = 0;
            while (k < n && x[order[k]] == xk) {
                int i = order[k++];
                gw += w[i];
                gwy += w[i] * y[i];
            }
            if (gw == 0) {
                continue;
            }
            top++;
            sw[top] = gw;
            swy[top] = gwy;
            bl[top] = xk;
            bh[top] = xk;
            while (top > 0 && swy[top - 1] / sw[top - 1] >= swy[top] / sw[top]) {
                sw[top - 1] += sw[top];
                swy[top - 1] += swy[top];
                bh[top - 1] = bh[top];
                top--;
            }
        }
        if (top < 0) {
            throw new IllegalArgumentException("no points with positive weight");
        }
        int b = top + 1;
        double[] v = new double[b];
        for (int i = 0; i < b; i++) {
            v[i] = swy[i] / sw[i];
        }
        return new IsotonicCalibration(Arrays.copyOf(bl, b), Arrays.copyOf(bh, b), v, Arrays.copyOf(sw, b));
    }

    /** Calibrated value for a score; non-decreasing in the score. */
    public double apply(double score) {
        if (Double.isNaN(score)) {
            throw new IllegalArgumentException("score must not be NaN");
        }
        int b = value.length;
        if (score <= lo[0]) {
            return value[0];
        }
        if (score >= hi[b - 1]) {
            return value[b - 1];
        }
        // Last block whose lowest score is <= score.
        int i = Arrays.binarySearch(lo, score);
        if (i < 0) {
            i = -i - 2;
        }
        if (score <= hi[i]) {
            return value[i];
        }
        double f = (score - hi[i]) / (lo[i + 1] - hi[i]);
        return value[i] + f * (value[i + 1] - value[i]);
    }

    /** Number of blocks. */
    public int blocks() {
        return value.length;
    }

    /** Block values, non-decreasing (a copy). */
    public double[] values() {
        return value.clone();
    }

    /** Lowest score of each block (a copy). */
    public double[] blockStarts() {
        return lo.clone();
    }

    /** Highest score of each block (a copy). */
    public double[] blockEnds() {
        return hi.clone();
    }

    /** Total weight of each block (a copy). */
    public double[] blockWeights() {
        return weight.clone();
    }

    /** Block count followed by (lo, hi, value, weight) per block. */
    public byte[] toBytes() {
        ByteBuffer buf = ByteBuffer.allocate(4 + 32 * value.length);
        buf.putInt(value.length);
        for (int i = 0; i < value.length; i++) {
            buf.putDouble(lo[i]).putDouble(hi[i]).putDouble(value[i]).putDouble(weight[i]);
        }
        return buf.array();
    }

    /** Inverse of {@link #toBytes()}. */
    public static IsotonicCalibration fromBytes(byte[] bytes) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        int b = buf.getInt();
        if (b < 1 || bytes.length != 4 + 32 * b) {
            throw new IllegalArgumentException(
                    "corrupt isotonic calibration: " + b + " blocks in " + bytes.length + " bytes");
        }
        double[] l = new double[b];
        double[] h = new double[b];
        double[] v = new double[b];
        double[] w = new double[b];
        for (int i = 0; i < b; i++) {
            l[i] = buf.getDouble();
            h[i] = buf.getDouble();
            v[i] = buf.getDouble();
            w[i] = buf.getDouble();
            if (i > 0 && !(l[i] > h[i - 1] && v[i] >= v[i - 1])) {
                throw new IllegalArgumentException("corrupt isotonic calibration: block " + i + " out of order");
            }
        }
        return new IsotonicCalibration(l, h, v, w);
    }
}
