package io.vigil.verification;

import java.util.SplittableRandom;

/** Random draws for the experiments, exact and fast for the integer-shape cases they use. */
public final class Draws {
    private Draws() {}

    /** Bernoulli(p) as 0 or 1. */
    static int bernoulli(SplittableRandom random, double p) {
        return random.nextDouble() < p ? 1 : 0;
    }

    /** Beta(a, b) for integer a, b ≥ 1, as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b) sums of exponentials. */
    public static double beta(SplittableRandom random, int a, int b) {
        double x = gamma(random, a);
        double y = gamma(random, b);
        return x / (x + y);
    }

    private static double gamma(SplittableRandom random, int shape) {
        double sum = 0;
        for (int i = 0; i < shape; i++) {
            sum -= Math.log(1 - random.nextDouble()); // 1 - U in (0, 1]: never log(0)
        }
        return sum;
    }
}
