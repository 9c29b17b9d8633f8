package io.vigil.verification;

import java.util.SplittableRandom;

/**
 * Runs a {@link Claim} for a number of replicates from a fixed seed: each replicate gets its own
 * split of one random stream seeded by the seed and the claim's name, so a claim's result does not
 * depend on which other claims run or in what order.
 */
public final class MonteCarlo {
    private MonteCarlo() {}

    /** What a claim measured. */
    public record Result(Claim claim, int replicates, long successes) {
        /** Share of replicates in which the claim held. */
        public double measured() {
            return (double) successes / replicates;
        }

        /** Monte-Carlo standard error of {@link #measured()}: sqrt(m (1 − m) / R). */
        public double standardError() {
            double m = measured();
            return Math.sqrt(m * (1 - m) / replicates);
        }

        /**
         * Whether the measurement is consistent with the nominal rate: measured ≥ nominal − 3 SE, the SE
         * taken at the nominal rate (so a claim that holds fails this about once in 700 seeds).
         */
        public boolean meetsNominal() {
            double nominal = claim.nominal();
            return measured() >= nominal - 3 * Math.sqrt(nominal * (1 - nominal) / replicates);
        }
    }

    /** Runs {@code replicates} trials of the claim. */
    public static Result run(Claim claim, int replicates, long seed) {
        if (replicates < 1) {
            throw new IllegalArgumentException("replicates must be at least 1: " + replicates);
        }
        SplittableRandom root = new SplittableRandom(seed ^ (claim.quantity() + " | " + claim.setting()).hashCode());
        long successes = 0;
        for (int r = 0; r < replicates; r++) {
            if (claim.trial().succeeds(root.split())) {
                successes++;
            }
        }
        return new Result(claim, replicates, successes);
    }
}
