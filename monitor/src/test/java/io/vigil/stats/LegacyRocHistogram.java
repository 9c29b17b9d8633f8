package io.vigil.stats;

import java.util.Arrays;

/**
 * {@link RocHistogram} as it was before new bins were buffered (commit 7e916cb), kept verbatim apart
 * from its name as the reference the buffered version must match bit for bit. Test code only.
 */
final class LegacyRocHistogram {

    public static final int DEFAULT_BINS = 100_000;
    private static final int FORMAT = 1;
    private static final int MAX_BINS = 10_000_000;

    private final int bins;
    private int size;
    private int[] keys = new int[16];
    private long[] pos = new long[16];
    private long[] neg = new long[16];
    private long positives;
    private long negatives;

    public LegacyRocHistogram() {
        this(DEFAULT_BINS);
    }

    /** @param bins number of equal-width bins over [0, 1], in [1, 10,000,000] */
    public LegacyRocHistogram(int bins) {
        if (bins < 1 || bins > MAX_BINS) {
            throw new IllegalArgumentException("bins must be in [1, " + MAX_BINS + "], got " + bins);
        }
        this.bins = bins;
    }

    public int bins() {
        return bins;
    }

    /** Bin width in score units (1 / bins). */
    public double binWidth() {
        return 1.0 / bins;
    }

    /** Number of occupied bins, the memory footprint. */
    public int occupiedBins() {
        return size;
    }

    public long positives() {
        return positives;
    }

    public long negatives() {
        return negatives;
    }

    int binOf(double score) {
        return Math.min((int) (score * bins), bins - 1);
    }

    /** Counts one outcome: score in [0, 1], label 0 or 1. */
    public void add(double score, int label) {
        Checks.checkScore(score);
        Checks.checkLabel(label);
        int bin = binOf(score);
        int i = Arrays.binarySearch(keys, 0, size, bin);
        if (i < 0) {
            i = -i - 1;
            insertAt(i, bin);
        }
        if (label == 1) {
            pos[i]++;
            positives++;
        } else {
            neg[i]++;
            negatives++;
        }
    }

    /**
     * Retracts one outcome previously added with the same score and label.
     *
     * @throws IllegalStateException if no such outcome is counted
     */
    public void remove(double score, int label) {
        Checks.checkScore(score);
        Checks.checkLabel(label);
        int bin = binOf(score);
        int i = Arrays.binarySearch(keys, 0, size, bin);
        if (i < 0) {
            throw new IllegalStateException("cannot remove from bin " + bin + ": it is empty");
        }
        if (label == 1) {
            pos[i] = Checks.decrement(pos[i], "positives of bin " + bin);
            positives--;
        } else {
            neg[i] = Checks.decrement(neg[i], "negatives of bin " + bin);
            negatives--;
        }
        if (pos[i] == 0 && neg[i] == 0) {
            deleteAt(i);
        }
    }

    /** Adds the other histogram's counts to this one; the bin counts must be equal. */
    public void merge(LegacyRocHistogram other) {
        if (bins != other.bins) {
            throw new IllegalArgumentException("bins must be " + bins + " to merge, got " + other.bins);
        }
        int cap = Math.max(16, size + other.size);
        int[] k = new int[cap];
        long[] p = new long[cap];
        long[] q = new long[cap];
        int i = 0;
        int j = 0;
        int m = 0;
        while (i < size || j < other.size) {
            if (j >= other.size || (i < size && keys[i] < other.keys[j])) {
                k[m] = keys[i];
                p[m] = pos[i];
                q[m++] = neg[i++];
            } else if (i >= size || other.keys[j] < keys[i]) {
                k[m] = other.keys[j];
                p[m] = other.pos[j];
                q[m++] = other.neg[j++];
            } else {
                k[m] = keys[i];
                p[m] = pos[i] + other.pos[j];
                q[m++] = neg[i++] + other.neg[j++];
            }
        }
        keys = k;
        pos = p;
        neg = q;
        size = m;
        positives += other.positives;
        negatives += other.negatives;
    }

    /**
     * AUC = sum_b P_b (N_<b + N_b/2) / (P N) with its DeLong variance computed from the same
     * histograms (placements V10_b = (N_<b + N_b/2)/N, V01_b = (P_>b + P_b/2)/P), the normal 95%
     * interval clipped to [0, 1], and the binning bound sum_b P_b N_b / (2 P N).
     * {@link AucEstimate#EMPTY} unless both classes are present.
     */
    public AucEstimate auc() {
        if (positives == 0 || negatives == 0) {
            return AucEstimate.EMPTY;
        }
        double p = positives;
        double n = negatives;
        double sum = 0;
        double ties = 0;
        long negBelow = 0;
        for (int i = 0; i < size; i++) {
            sum += pos[i] * (negBelow + neg[i] / 2.0);
            ties += (double) pos[i] * neg[i];
            negBelow += neg[i];
        }
        double auc = sum / (p * n);
        double bound = ties / (2 * p * n);
        long total = positives + negatives;
        if (positives < 2 || negatives < 2) {
            return new AucEstimate(new Estimate(auc, 0.0, 1.0, total), Double.NaN, bound);
        }
        double s10 = 0;
        double s01 = 0;
        long below = 0;
        long posAbove = positives;
        for (int i = 0; i < size; i++) {
            posAbove -= pos[i];
            if (pos[i] > 0) {
                double v10 = (below + neg[i] / 2.0) / n - auc;
                s10 += pos[i] * v10 * v10;
            }
            if (neg[i] > 0) {
                double v01 = (posAbove + pos[i] / 2.0) / p - auc;
                s01 += neg[i] * v01 * v01;
            }
            below += neg[i];
        }
        double variance = s10 / (p - 1) / p + s01 / (n - 1) / n;
        // The interval from the variance is not what the buffer changed: the same function as production.
        return new AucEstimate(RocHistogram.logitInterval(auc, variance, positives, negatives), variance, bound);
    }

    private void insertAt(int i, int bin) {
        if (size == keys.length) {
            int cap = Math.min(Math.max(16, size * 2), bins);
            cap = Math.max(cap, size + 1);
            keys = Arrays.copyOf(keys, cap);
            pos = Arrays.copyOf(pos, cap);
            neg = Arrays.copyOf(neg, cap);
        }
        System.arraycopy(keys, i, keys, i + 1, size - i);
        System.arraycopy(pos, i, pos, i + 1, size - i);
        System.arraycopy(neg, i, neg, i + 1, size - i);
        keys[i] = bin;
        pos[i] = 0;
        neg[i] = 0;
        size++;
    }

    private void deleteAt(int i) {
        System.arraycopy(keys, i + 1, keys, i, size - i - 1);
        System.arraycopy(pos, i + 1, pos, i, size - i - 1);
        System.arraycopy(neg, i + 1, neg, i, size - i - 1);
        size--;
    }

    public byte[] toBytes() {
        ByteCodec.Writer out = new ByteCodec.Writer().writeByte(FORMAT);
        write(out);
        return out.toByteArray();
    }

    public static LegacyRocHistogram fromBytes(byte[] bytes) {
        ByteCodec.Reader in = new ByteCodec.Reader(bytes);
        in.expectFormat(FORMAT, "RocHistogram");
        LegacyRocHistogram h = read(in);
        in.expectEnd();
        return h;
    }

    void write(ByteCodec.Writer out) {
        out.writeVarLong(bins).writeVarLong(size);
        int previous = -1;
        for (int i = 0; i < size; i++) {
            out.writeVarLong(keys[i] - previous).writeVarLong(pos[i]).writeVarLong(neg[i]);
            previous = keys[i];
        }
    }

    static LegacyRocHistogram read(ByteCodec.Reader in) {
        LegacyRocHistogram h = new LegacyRocHistogram(in.readCount(MAX_BINS));
        int size = in.readCount(h.bins);
        h.keys = new int[Math.max(16, size)];
        h.pos = new long[h.keys.length];
        h.neg = new long[h.keys.length];
        long key = -1;
        for (int i = 0; i < size; i++) {
            key += in.readVarLong();
            if (key <= (i == 0 ? -1 : h.keys[i - 1]) || key >= h.bins) {
                throw new IllegalArgumentException("bin index must be increasing in [0, " + h.bins + "), got " + key);
            }
            h.keys[i] = (int) key;
            h.pos[i] = Checks.nonNegative(in.readVarLong(), "positive count");
            h.neg[i] = Checks.nonNegative(in.readVarLong(), "negative count");
            if (h.pos[i] == 0 && h.neg[i] == 0) {
                throw new IllegalArgumentException("bin " + key + " must not be stored empty");
            }
            h.positives += h.pos[i];
            h.negatives += h.neg[i];
        }
        h.size = size;
        return h;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LegacyRocHistogram h
                && bins == h.bins
                && size == h.size
                && Arrays.equals(keys, 0, size, h.keys, 0, size)
                && Arrays.equals(pos, 0, size, h.pos, 0, size)
                && Arrays.equals(neg, 0, size, h.neg, 0, size);
    }

    @Override
    public int hashCode() {
        int h = bins;
        for (int i = 0; i < size; i++) {
            h = 31 * h + keys[i];
            h = 31 * h + Long.hashCode(pos[i]);
            h = 31 * h + Long.hashCode(neg[i]);
        }
        return h;
    }

    @Override
    public String toString() {
        return "RocHistogram[bins=" + bins + ", occupied=" + size + ", positives=" + positives + ", negatives="
                + negatives + "]";
    }
}
