package io.vigil.stats;

import org.apache.datasketches.kll.KllDoublesSketch;
import org.apache.datasketches.memory.Memory;

/**
 * The one place Vigil creates and (de)serialises KLL sketches, and what makes them run on Java 25.
 *
 * <h2>Java versions</h2>
 * Apache DataSketches 6.2.0 serialises through datasketches-memory 3.0.2, whose first use checks the
 * {@code java.version} string and throws on anything but Java 8, 11, 17 or 21, before doing any work.
 * On Java 25 that check would kill every stream thread at its first commit (the thread is replaced and
 * dies again, forever). The library's on-heap code paths, the only ones Vigil uses (byte arrays, no
 * direct or mapped memory), work on Java 25 through {@code sun.misc.Unsafe}, which Java 25 still
 * provides (with a one-time warning, see README "Quick start"). So when this class is initialised on
 * another Java version it presents itself as Java 21 to that one check, for the moment the library's
 * class initialises, and restores the real value. Each Java version Vigil claims in the README is
 * exercised by {@code KllSketchesTest} (the whole unit suite was run on Java 25 too); where the
 * library does not work, {@link #checkRuntime()} says so in one sentence at startup instead.
 */
public final class KllSketches {
    /** The version string datasketches-memory 3.0.2 accepts; what it sees while it initialises. */
    static final String ACCEPTED_JAVA_VERSION = "21.0.0";
    private static final String VERSION_CHECKING_CLASS = "org.apache.datasketches.memory.internal.ResourceImpl";

    static {
        int feature = Runtime.version().feature();
        if (feature != 17 && feature != 21) {
            initialiseAsAcceptedVersion();
        }
    }

    private KllSketches() {
    }

    /** A new empty on-heap sketch with parameter {@code k}. */
    public static KllDoublesSketch newSketch(int k) {
        return KllDoublesSketch.newHeapInstance(k);
    }

    /** The sketch's standard DataSketches serial form (what reference profiles carry in base64). */
    public static byte[] toBytes(KllDoublesSketch sketch) {
        return sketch.toByteArray();
    }

    /** An updatable on-heap copy of a serialised sketch, so merges into it work. */
    public static KllDoublesSketch fromBytes(byte[] bytes) {
        return KllDoublesSketch.heapify(Memory.wrap(bytes));
    }

    /**
     * Builds, serialises and reads back one sketch: throws an {@link IllegalStateException} naming the
     * Java version when the sketch library cannot run on this JVM. Called once at startup.
     */
    public static void checkRuntime() {
        checkRuntime(KllSketches::roundTrip, Runtime.version().toString());
    }

    static void checkRuntime(Runnable roundTrip, String javaVersion) {
        try {
            roundTrip.run();
        } catch (RuntimeException | LinkageError e) {
            throw new IllegalStateException("the quantile sketch library (Apache DataSketches 6.2.0) does not run on "
                    + "Java " + javaVersion + " (" + e + "); run Vigil on Java 17, 21 or 25", e);
        }
    }

    private static void roundTrip() {
        KllDoublesSketch sketch = newSketch(DistributionDrift.K);
        for (int i = 1; i <= 100; i++) {
            sketch.update(i);
        }
        KllDoublesSketch back = fromBytes(toBytes(sketch));
        if (back.getN() != 100 || back.getQuantile(0.5) != sketch.getQuantile(0.5)) {
            throw new IllegalStateException("a serialised sketch did not read back: n " + back.getN());
        }
    }

    private static void initialiseAsAcceptedVersion() {
        String real = System.getProperty("java.version");
        System.setProperty("java.version", ACCEPTED_JAVA_VERSION);
        try {
            Class.forName(VERSION_CHECKING_CLASS, true, KllSketches.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            // Left to checkRuntime(), which reports it with the real version.
        } finally {
            System.setProperty("java.version", real);
        }
    }
}
