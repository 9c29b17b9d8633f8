package io.vigil.stats;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;

/**
 * The distribution of one numeric variable as counts in log-linear buckets: deterministic and exactly
 * mergeable, so the same values give the same histogram, bit for bit, in any order of updates and
 * merges (what a KLL sketch, whose compaction flips coins, cannot give).
 *
 * <h2>Buckets</h2>
 * A double's bits, with the sign folded so that their order as signed longs is the order of the values,
 * are cut after the exponent and the first {@value #MANTISSA_BITS} mantissa bits: every bucket is a
 * half-open interval {@code [lower, upper)} of values whose width is at most 2^-7 (0.78%) of its lower
 * end's magnitude, plus one bucket holding exact zero and the subnormals below 2^-1029. No
 * floating-point arithmetic decides a bucket, so every machine and JVM agrees.
 *
 * <h2>Bound</h2>
 * At most {@code maxBuckets} non-empty buckets. When a value or a merge would exceed it, every bucket
 * is merged with its neighbour ({@link #coarsening()} one more bit dropped) until it fits. The number
 * of distinct buckets of a set of values at a given coarsening only grows as values are added, so the
 * coarsening a histogram ends at is the finest at which all of its values fit: it depends on the set
 * of values, never on their order or on how partial histograms were grouped.
 *
 * <h2>Error</h2>
 * Counts are exact, so any CDF read at a bucket boundary is the exact empirical CDF there; within a
 * bucket the values are not told apart (ties at the bucket's resolution). A histogram converted from a
 * KLL sketch ({@link #ofWeighted}) carries that sketch's rank error as {@link #rankError()} (0 for a
 * histogram built from values); merges keep the largest.
 *
 * <p>Mutable, not thread-safe.
 */
public final class ValueHistogram {

    /** Mantissa bits kept at the finest resolution. */
    public static final int MANTISSA_BITS = 7;

    private static final int FINEST_SHIFT = 52 - MANTISSA_BITS;
    private static final byte FORMAT = 1;
    private static final long[] NONE = new long[0];

    /** The most buckets a histogram may keep (and its serial form may declare). */
    public static final int MAX_BUCKETS = 1 << 20;

    private final int maxBuckets;
    private int coarsening;
    private long[] keys = NONE;
    private long[] counts = NONE;
    private int size;
    private long n;
    private double rankError;

    /**
     * An empty histogram.
     *
     * @param maxBuckets the most non-empty buckets kept, at least 2
     */
    public ValueHistogram(int maxBuckets) {
        if (maxBuckets < 2 || maxBuckets > MAX_BUCKETS) {
            throw new IllegalArgumentException("maxBuckets must be in [2, " + MAX_BUCKETS + "], got " + maxBuckets);
        }
        this.maxBuckets = maxBuckets;
    }

    /**
     * A histogram of weighted values (for example the retained items of a legacy KLL sketch), carrying
     * {@code rankError}, the largest error of the CDF the values stand for.
     */
    public static ValueHistogram ofWeighted(int maxBuckets, double[] values, long[] weights, double rankError) {
        if (values.length != weights.length) {
            throw new IllegalArgumentException(values.length + " values but " + weights.length + " weights");
        }
        if (!(rankError >= 0 && rankError <= 1)) {
            throw new IllegalArgumentException("rank error must be in [0, 1], got " + rankError);
        }
        ValueHistogram h = new ValueHistogram(maxBuckets);
        for (int i = 0; i < values.length; i++) {
            h.update(values[i], weights[i]);
        }
        h.rankError = rankError + 0.0; // -0.0 as 0.0: one histogram, one form
        return h;
    }

    /** Adds one value; NaN is ignored, infinities count as the largest finite value of their sign. */
    public void update(double value) {
        update(value, 1);
    }

    /** Adds {@code weight} copies of a value; NaN is ignored. */
    public void update(double value, long weight) {
        if (weight < 0) {
            throw new IllegalArgumentException("weight must be >= 0, got " + weight);
        }
        if (Double.isNaN(value) || weight == 0) {
            return;
        }
        long key = sortable(value) >> (FINEST_SHIFT + coarsening);
        int i = find(key);
        if (i >= 0) {
            counts[i] += weight;
        } else {
            insert(-i - 1, key, weight);
        }
        n += weight;
        while (size > maxBuckets) {
            coarsen(1);
        }
    }

    /** Adds {@code other} into this histogram; {@code other} is unchanged. */
    public void merge(ValueHistogram other) {
        if (other.maxBuckets != maxBuckets) {
            // the final coarsening is the finest at which all values fit in maxBuckets: one bound per kind
            throw new IllegalArgumentException(
                    "cannot merge a histogram of at most " + other.maxBuckets + " buckets into one of " + maxBuckets);
        }
        if (other.size == 0) {
            rankError = Math.max(rankError, other.rankError);
            return;
        }
        if (size == 0) {
            coarsening = 0; // an empty histogram has no resolution of its own to keep
        }
        int target = Math.max(coarsening, other.coarsening);
        coarsen(target - coarsening);
        int drop = target - other.coarsening;
        long[] k = new long[size + other.size];
        long[] c = new long[k.length];
        int m = 0;
        int i = 0;
        int j = 0;
        while (i < size || j < other.size) {
            long ko = j < other.size ? other.keys[j] >> drop : Long.MAX_VALUE;
            long next = i < size ? Math.min(keys[i], ko) : ko;
            long sum = 0;
            while (i < size && keys[i] == next) {
                sum += counts[i++];
            }
            while (j < other.size && other.keys[j] >> drop == next) {
                sum += other.counts[j++];
            }
            k[m] = next;
            c[m++] = sum;
        }
        keys = k;
        counts = c;
        size = m;
        n += other.n;
        rankError = Math.max(rankError, other.rankError);
        while (size > maxBuckets) {
            coarsen(1);
        }
    }

    /** A copy at {@code coarsening} (at least this histogram's own). */
    public ValueHistogram atCoarsening(int target) {
        if (target < coarsening) {
            throw new IllegalArgumentException("cannot refine coarsening " + coarsening + " to " + target);
        }
        if (target > MAX_COARSENING) {
            throw new IllegalArgumentException("coarsening " + target + " beyond " + MAX_COARSENING);
        }
        ValueHistogram h = copy();
        h.coarsen(target - coarsening);
        return h;
    }

    /** An independent copy. */
    public ValueHistogram copy() {
        ValueHistogram h = new ValueHistogram(maxBuckets);
        h.coarsening = coarsening;
        h.keys = Arrays.copyOf(keys, size);
        h.counts = Arrays.copyOf(counts, size);
        h.size = size;
        h.n = n;
        h.rankError = rankError;
        return h;
    }

    /** Number of values counted. */
    public long n() {
        return n;
    }

    public boolean isEmpty() {
        return n == 0;
    }

    /** Number of non-empty buckets, at most {@link #maxBuckets()}. */
    public int buckets() {
        return size;
    }

    public int maxBuckets() {
        return maxBuckets;
    }

    /** Mantissa bits dropped beyond the finest resolution (0 = 2^-7 relative width). */
    public int coarsening() {
        return coarsening;
    }

    /** The largest error of this histogram's CDF: 0 unless converted from a sketch that had one. */
    public double rankError() {
        return rankError;
    }

    /** Count in the {@code i}-th non-empty bucket, ascending. */
    public long count(int i) {
        checkIndex(i);
        return counts[i];
    }

    /** Bucket identity of the {@code i}-th non-empty bucket at this coarsening: ascending with the values. */
    public long key(int i) {
        checkIndex(i);
        return keys[i];
    }

    /** The smallest value of the {@code i}-th non-empty bucket (inclusive). */
    public double lowerBound(int i) {
        checkIndex(i);
        return boundary(keys[i], coarsening);
    }

    /** The end of the {@code i}-th non-empty bucket (exclusive); the largest double for the top bucket. */
    public double upperBound(int i) {
        checkIndex(i);
        return boundary(keys[i] + 1, coarsening);
    }

    /** The value standing for the {@code i}-th bucket: the middle of its bounds. */
    public double midpoint(int i) {
        return lowerBound(i) / 2 + upperBound(i) / 2;
    }

    /** The most mantissa and exponent bits a histogram can drop: then only the signs are told apart. */
    public static final int MAX_COARSENING = 63 - FINEST_SHIFT;

    /** Bucket identity of {@code value} at {@code coarsening}. */
    public static long keyOf(double value, int coarsening) {
        return sortable(value) >> (FINEST_SHIFT + coarsening);
    }

    /** The smallest value in bucket {@code key} at {@code coarsening}, clamped to the finite doubles. */
    public static double boundary(long key, int coarsening) {
        int shift = FINEST_SHIFT + coarsening;
        if (key > (Long.MAX_VALUE >> shift)) {
            return Double.MAX_VALUE;
        }
        if (key < (Long.MIN_VALUE >> shift)) {
            return -Double.MAX_VALUE;
        }
        long s = key << shift;
        double v = Double.longBitsToDouble(s ^ ((s >> 63) & Long.MAX_VALUE));
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return s > 0 ? Double.MAX_VALUE : -Double.MAX_VALUE;
        }
        return v == 0 ? 0.0 : v;
    }

    /** The value's bits as a signed long in the order of the values; -0 as +0, infinities as the largest finite. */
    private static long sortable(double value) {
        double v = value == 0 ? 0.0 : Math.max(-Double.MAX_VALUE, Math.min(Double.MAX_VALUE, value));
        long bits = Double.doubleToRawLongBits(v);
        return bits ^ ((bits >> 63) & Long.MAX_VALUE);
    }

    private int find(long key) {
        if (size > 0 && keys[size - 1] == key) {
            return size - 1;
        }
        return Arrays.binarySearch(keys, 0, size, key);
    }

    private void insert(int at, long key, long weight) {
        if (size == keys.length) {
            int capacity = Math.max(8, Math.min(size * 2, maxBuckets + 1));
            keys = Arrays.copyOf(keys, capacity);
            counts = Arrays.copyOf(counts, capacity);
        }
        System.arraycopy(keys, at, keys, at + 1, size - at);
        System.arraycopy(counts, at, counts, at + 1, size - at);
        keys[at] = key;
        counts[at] = weight;
        size++;
    }

    private void coarsen(int bits) {
        if (bits <= 0) {
            return;
        }
        coarsening += bits;
        int m = 0;
        for (int i = 0; i < size; i++) {
            long k = keys[i] >> bits;
            if (m > 0 && keys[m - 1] == k) {
                counts[m - 1] += counts[i];
            } else {
                keys[m] = k;
                counts[m++] = counts[i];
            }
        }
        size = m;
    }

    private void checkIndex(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("bucket " + i + " of " + size);
        }
    }

    /** Canonical binary form: the same histogram always gives the same bytes. */
    public void write(DataOutput out) throws IOException {
        out.writeByte(FORMAT);
        writeVarLong(out, maxBuckets);
        writeVarLong(out, coarsening);
        out.writeDouble(rankError);
        writeVarLong(out, size);
        long previous = 0;
        for (int i = 0; i < size; i++) {
            writeVarLong(out, i == 0 ? zigZag(keys[0]) : keys[i] - previous);
            writeVarLong(out, counts[i]);
            previous = keys[i];
        }
    }

    /** Inverse of {@link #write}; rejects a corrupt or non-canonical form. */
    public static ValueHistogram read(DataInput in) throws IOException {
        int format = in.readByte();
        if (format != FORMAT) {
            throw new IllegalArgumentException("unknown value histogram format " + format);
        }
        long max = readVarLong(in);
        long coarsening = readVarLong(in);
        if (max < 2 || max > MAX_BUCKETS || coarsening < 0 || coarsening > MAX_COARSENING) {
            throw new IllegalArgumentException(
                    "corrupt value histogram: max buckets " + max + ", coarsening " + coarsening);
        }
        ValueHistogram h = new ValueHistogram((int) max);
        h.coarsening = (int) coarsening;
        double rankError = in.readDouble();
        if (!(rankError >= 0 && rankError <= 1) || Double.doubleToRawLongBits(rankError) == Long.MIN_VALUE) {
            throw new IllegalArgumentException("corrupt value histogram: rank error " + rankError);
        }
        h.rankError = rankError;
        long size = readVarLong(in);
        if (size < 0 || size > max) {
            throw new IllegalArgumentException("corrupt value histogram: " + size + " buckets of at most " + max);
        }
        h.keys = new long[(int) size];
        h.counts = new long[(int) size];
        long key = 0;
        for (int i = 0; i < size; i++) {
            long v = readVarLong(in);
            if (i == 0) {
                key = unZigZag(v);
            } else if (v <= 0) {
                throw new IllegalArgumentException("corrupt value histogram: keys not increasing");
            } else if (key > Long.MAX_VALUE - v) {
                throw new IllegalArgumentException("corrupt value histogram: key overflows");
            } else {
                key += v;
            }
            long c = readVarLong(in);
            if (c <= 0) {
                throw new IllegalArgumentException("corrupt value histogram: bucket count " + c);
            }
            h.keys[i] = key;
            h.counts[i] = c;
            if (h.n > Long.MAX_VALUE - c) {
                throw new IllegalArgumentException("corrupt value histogram: counts overflow");
            }
            h.n += c;
        }
        h.size = (int) size;
        return h;
    }

    public byte[] toBytes() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(16 + 3 * size);
            DataOutputStream out = new DataOutputStream(bytes);
            write(out);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static ValueHistogram fromBytes(byte[] bytes) {
        try {
            ByteArrayInputStream in = new ByteArrayInputStream(bytes);
            ValueHistogram h = read(new DataInputStream(in));
            if (in.available() > 0) {
                throw new IllegalArgumentException("corrupt value histogram: " + in.available() + " trailing bytes");
            }
            return h;
        } catch (IOException e) {
            throw new IllegalArgumentException("corrupt value histogram", e);
        }
    }

    private static long zigZag(long v) {
        return (v << 1) ^ (v >> 63);
    }

    private static long unZigZag(long v) {
        return (v >>> 1) ^ -(v & 1);
    }

    private static void writeVarLong(DataOutput out, long v) throws IOException {
        while ((v & ~0x7FL) != 0) {
            out.writeByte((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.writeByte((int) v);
    }

    private static long readVarLong(DataInput in) throws IOException {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = in.readUnsignedByte();
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return v;
            }
        }
        throw new IllegalArgumentException("corrupt value histogram: variable-length number too long");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ValueHistogram h
                && h.maxBuckets == maxBuckets
                && h.coarsening == coarsening
                && h.n == n
                && Double.compare(h.rankError, rankError) == 0
                && Arrays.equals(keys, 0, size, h.keys, 0, h.size)
                && Arrays.equals(counts, 0, size, h.counts, 0, h.size);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(Arrays.copyOf(keys, size)) + Long.hashCode(n);
    }

    @Override
    public String toString() {
        return "ValueHistogram[n=" + n + ", buckets=" + size + ", coarsening=" + coarsening + "]";
    }
}
