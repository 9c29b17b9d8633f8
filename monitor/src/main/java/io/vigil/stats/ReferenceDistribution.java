package io.vigil.stats;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The frozen reference a numeric feature or score is compared against: the inner bin edges (by
 * default the reference deciles), the reference share in each bin, and the reference histogram
 * itself (for KS and Wasserstein). Bins are {@code (-inf, e1), [e1, e2), ..., [e_last, +inf)}: a value
 * equal to an edge belongs to the bin above it, as in {@code numpy.histogram}.
 *
 * <p>Immutable. Serialised with {@link #toBytes()} / {@link #fromBytes(byte[])}; the histogram part is
 * {@link ValueHistogram}'s canonical form.
 */
public final class ReferenceDistribution {

    /** Number of bins used for PSI and Jensen-Shannon unless ties force fewer. */
    public static final int DEFAULT_BINS = 10;

    private final double[] edges;
    private final double[] proportions;
    private final ValueHistogram histogram;

    private ReferenceDistribution(double[] edges, double[] proportions, ValueHistogram histogram) {
        this.edges = edges;
        this.proportions = proportions;
        this.histogram = histogram;
    }

    /**
     * A reference with given edges and proportions (for example exact decile edges and exact bin
     * shares computed offline).
     *
     * @param edges       strictly increasing finite inner edges (B - 1 of them for B bins)
     * @param proportions B non-negative shares summing to 1 (within 1e-9)
     * @param histogram   the reference histogram, non-empty
     */
    public static ReferenceDistribution of(double[] edges, double[] proportions, ValueHistogram histogram) {
        checkEdges(edges);
        if (proportions.length != edges.length + 1) {
            throw new IllegalArgumentException("proportions must have edges.length + 1 = " + (edges.length + 1)
                    + " entries, got " + proportions.length);
        }
        double sum = 0;
        for (double p : proportions) {
            if (!(p >= 0 && p <= 1)) {
                throw new IllegalArgumentException("proportion must be in [0, 1], got " + p);
            }
            sum += p;
        }
        if (Math.abs(sum - 1) > 1e-9) {
            throw new IllegalArgumentException("proportions must sum to 1, got " + sum);
        }
        if (histogram == null || histogram.isEmpty()) {
            throw new IllegalArgumentException("reference histogram must be non-empty");
        }
        return new ReferenceDistribution(edges.clone(), proportions.clone(), histogram);
    }

    /**
     * A reference whose edges are the histogram's quantiles at ranks i/bins, i = 1..bins-1 (each the lower
     * bound of the first bucket whose cumulative share reaches the rank, so that bucket, like a sample
     * quantile, opens the bin above), and whose proportions are the histogram's exact bin shares at those
     * edges. Tied quantiles (discrete data) are collapsed, so the result may have fewer than {@code bins}
     * bins; {@link #bins()} says how many.
     */
    public static ReferenceDistribution fromHistogram(ValueHistogram histogram, int bins) {
        if (histogram == null || histogram.isEmpty()) {
            throw new IllegalArgumentException("reference histogram must be non-empty");
        }
        if (bins < 2) {
            throw new IllegalArgumentException("bins must be >= 2, got " + bins);
        }
        double[] q = new double[bins - 1];
        long n = histogram.n();
        long cumulative = 0;
        int bucket = 0;
        for (int i = 1; i < bins; i++) {
            // first bucket whose cumulative count reaches i/bins of n, in exact integer arithmetic
            while (bucket < histogram.buckets() - 1 && (cumulative + histogram.count(bucket)) * bins < (long) i * n) {
                cumulative += histogram.count(bucket++);
            }
            q[i - 1] = histogram.lowerBound(bucket);
        }
        double[] edges = Arrays.stream(q).distinct().sorted().toArray();
        double[] props = DistributionDrift.binProportions(histogram, edges);
        return new ReferenceDistribution(edges, props, histogram);
    }

    /** Inner edges, strictly increasing (a copy). */
    public double[] edges() {
        return edges.clone();
    }

    /** Reference share per bin, summing to 1 (a copy). */
    public double[] proportions() {
        return proportions.clone();
    }

    /** Number of bins, {@code edges().length + 1}. */
    public int bins() {
        return proportions.length;
    }

    /** The reference histogram; callers must not update it. */
    public ValueHistogram histogram() {
        return histogram;
    }

    /** Number of reference values behind the histogram. */
    public long n() {
        return histogram.n();
    }

    /** Compact binary form: edge count, edges, proportions, histogram bytes. */
    public byte[] toBytes() {
        byte[] sk = histogram.toBytes();
        ByteBuffer buf = ByteBuffer.allocate(4 + 8 * (edges.length + proportions.length) + 4 + sk.length);
        buf.putInt(edges.length);
        for (double e : edges) {
            buf.putDouble(e);
        }
        for (double p : proportions) {
            buf.putDouble(p);
        }
        buf.putInt(sk.length);
        buf.put(sk);
        return buf.array();
    }

    /** Inverse of {@link #toBytes()}. */
    public static ReferenceDistribution fromBytes(byte[] bytes) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        int m = buf.getInt();
        if (m < 0 || m > (bytes.length - 8) / 16) {
            throw new IllegalArgumentException("corrupt reference distribution: edge count " + m);
        }
        double[] edges = new double[m];
        for (int i = 0; i < m; i++) {
            edges[i] = buf.getDouble();
        }
        double[] props = new double[m + 1];
        for (int i = 0; i <= m; i++) {
            props[i] = buf.getDouble();
        }
        byte[] sk = new byte[buf.getInt()];
        buf.get(sk);
        return of(edges, props, ValueHistogram.fromBytes(sk));
    }

    static void checkEdges(double[] edges) {
        for (int i = 0; i < edges.length; i++) {
            if (!Double.isFinite(edges[i])) {
                throw new IllegalArgumentException("edge " + i + " must be finite, got " + edges[i]);
            }
            if (i > 0 && !(edges[i] > edges[i - 1])) {
                throw new IllegalArgumentException(
                        "edges must be strictly increasing, got " + edges[i - 1] + " then " + edges[i]);
            }
        }
    }
}
