package io.vigil.stats;

import java.lang.foreign.MemorySegment;
import org.apache.datasketches.kll.KllDoublesSketch;

/**
 * The one place Vigil creates and (de)serialises KLL sketches (Apache DataSketches 9, made for Java 25).
 *
 * <p>The serial form is DataSketches' standard compact KLL format, unchanged since the 6.x line:
 * reference profiles and state written by earlier Vigil versions (DataSketches 6.2) read back as they
 * were ({@code SketchSerialFormatCompatibilityTest}). Only on-heap sketches and heap segments are used,
 * so no native access is needed.
 *
 * <p>Compaction draws its random bits from one unseeded generator the library keeps for all KLL sketches
 * of the JVM, with no public way to seed or replace it: two sketches fed the same values in the same
 * order may answer quantiles differently, within the sketch's rank error.
 */
public final class KllSketches {

    private KllSketches() {}

    /** A new empty on-heap sketch with parameter {@code k}. */
    public static KllDoublesSketch newSketch(int k) {
        return KllDoublesSketch.newHeapInstance(k);
    }

    /** The sketch's standard DataSketches compact serial form (what reference profiles carry in base64). */
    public static byte[] toBytes(KllDoublesSketch sketch) {
        return sketch.toByteArray();
    }

    /** An updatable on-heap copy of a serialised sketch, so merges into it work. */
    public static KllDoublesSketch fromBytes(byte[] bytes) {
        return KllDoublesSketch.heapify(MemorySegment.ofArray(bytes));
    }
}
