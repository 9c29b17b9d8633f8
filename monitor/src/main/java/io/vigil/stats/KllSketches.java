package io.vigil.stats;

import java.lang.foreign.MemorySegment;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.apache.datasketches.quantilescommon.DoublesSortedView;

/**
 * Reads the KLL sketches that reference profiles and state written before 2026-12 carry (Apache
 * DataSketches' standard compact KLL format, unchanged since the 6.x line, so profiles written with
 * DataSketches 6.2 read as they were: {@code SketchSerialFormatCompatibilityTest}), and turns them into
 * the {@link ValueHistogram}s Vigil now keeps. Vigil no longer writes KLL sketches: their compaction draws
 * from one clock-seeded generator per JVM and their merge depends on grouping, so replays differed.
 */
public final class KllSketches {

    private KllSketches() {}

    /** A new empty on-heap sketch with parameter {@code k} (tests and fixtures that write the legacy form). */
    public static KllDoublesSketch newSketch(int k) {
        return KllDoublesSketch.newHeapInstance(k);
    }

    /** The sketch's standard DataSketches compact serial form. */
    public static byte[] toBytes(KllDoublesSketch sketch) {
        return sketch.toByteArray();
    }

    /** An updatable on-heap copy of a serialised sketch. */
    public static KllDoublesSketch fromBytes(byte[] bytes) {
        return KllDoublesSketch.heapify(MemorySegment.ofArray(bytes));
    }

    /**
     * The histogram of a sketch's retained items with their weights, carrying the sketch's single-sided
     * normalised rank error (99% confidence) once it has compacted (0 while it still holds every item, when
     * its CDF is the exact one).
     */
    public static ValueHistogram toHistogram(KllDoublesSketch sketch, int maxBuckets) {
        if (sketch.isEmpty()) {
            return new ValueHistogram(maxBuckets);
        }
        DoublesSortedView view = sketch.getSortedView();
        double[] items = view.getQuantiles();
        long[] cumulative = view.getCumulativeWeights();
        long[] weights = new long[items.length];
        for (int i = 0; i < items.length; i++) {
            weights[i] = cumulative[i] - (i == 0 ? 0 : cumulative[i - 1]);
        }
        double error = sketch.isEstimationMode() ? sketch.getNormalizedRankError(false) : 0.0;
        return ValueHistogram.ofWeighted(maxBuckets, items, weights, error);
    }

    /** {@link #toHistogram(KllDoublesSketch, int)} of a serialised sketch. */
    public static ValueHistogram toHistogram(byte[] bytes, int maxBuckets) {
        return toHistogram(fromBytes(bytes), maxBuckets);
    }
}
