package io.vigil.sim;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * A seeded random source for one scanner and one purpose. Uses {@link SplittableRandom} for
 * uniforms and {@link StrictMath} for transforms, so the same seed gives the same numbers on every
 * platform. Each transform consumes a fixed number of uniforms.
 */
final class Rng {
    private final SplittableRandom random;

    Rng(long seed) {
        this.random = new SplittableRandom(seed);
    }

    /**
     * The seed of the stream named {@code name} under the run seed {@code seed}: a mix of the seed
     * and a 64-bit FNV-1a hash of the name, so streams depend on their own name only.
     */
    static long derive(long seed, String name) {
        long h = 0xcbf29ce484222325L;
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            h ^= (b & 0xff);
            h *= 0x100000001b3L;
        }
        return mix64(mix64(seed) ^ h);
    }

    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** A uniform in [0,1). */
    double uniform() {
        return random.nextDouble();
    }

    long nextLong() {
        return random.nextLong();
    }

    /** A standard normal; consumes two uniforms. */
    double gaussian() {
        return gaussian(uniform(), uniform());
    }

    /** An exponential with mean 1; consumes one uniform. */
    double exponential() {
        return -StrictMath.log1p(-uniform());
    }

    /** Box-Muller from two uniforms in [0,1). */
    static double gaussian(double u1, double u2) {
        return StrictMath.sqrt(-2.0 * StrictMath.log1p(-u1)) * StrictMath.cos(2.0 * StrictMath.PI * u2);
    }

    /** {@code x} rounded half-up to {@code decimals} places. */
    static double round(double x, int decimals) {
        double f = POW10[decimals];
        return Math.round(x * f) / f;
    }

    private static final double[] POW10 = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
}
